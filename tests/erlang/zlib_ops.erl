-module(zlib_ops).
-export([main/0]).
-compile(nowarn_deprecated_function).

%% OTP's own zlib.beam over girder's zlib NIFs. Compressed bytes are the
%% compressor's own choice (zlib's in erl, miniz_oxide's in girder), so this
%% prints round trips, sizes of what decompresses and the decompression of
%% streams erl's zlib made (literals below), never compressed bytes.

main() ->
    Text = text(),
    Rand = pseudo_random(70000),
    [roundtrip(Name, D) || {Name, D} <- [{empty, <<>>}, {text, Text}, {rand, Rand},
                                          {iolist, [<<"ab">>, "cd", [[$e]]]}]],
    %% Streams erl's zlib produced (zlib, gzip, raw deflate).
    show(zlib:uncompress(erl_zlib())),
    show(zlib:gunzip(erl_gzip())),
    show(zlib:unzip(erl_raw())),
    show(zlib:gunzip(<<(erl_gzip())/binary, (erl_gzip())/binary>>)),
    streaming(Rand),
    levels(Text),
    checksums(),
    errors(),
    ok.

roundtrip(Name, D) ->
    B = iolist_to_binary(D),
    C = zlib:compress(D),
    G = zlib:gzip(D),
    Z = zlib:zip(D),
    io:format("~p ~p ~p ~p ~p~n",
              [Name, zlib:uncompress(C) =:= B, zlib:gunzip(G) =:= B,
               zlib:unzip(Z) =:= B, byte_size(B)]),
    io:format("~p header ~w ~w~n", [Name, binary:part(C, 0, 1), binary:part(G, 0, 3)]).

show(B) -> io:format("~p ~s~n", [byte_size(B), binary:part(B, 0, 20)]).

streaming(Data) ->
    Z = zlib:open(),
    ok = zlib:deflateInit(Z, best_speed, deflated, 15, 8, default),
    Parts = [zlib:deflate(Z, binary:part(Data, I, 7000)) || I <- lists:seq(0, 62999, 7000)],
    Last = zlib:deflate(Z, binary:part(Data, 63000, 7000), finish),
    ok = zlib:deflateEnd(Z),
    Comp = iolist_to_binary([Parts, Last]),
    ok = zlib:inflateInit(Z),
    Out = iolist_to_binary(zlib:inflate(Z, Comp)),
    ok = zlib:inflateEnd(Z),
    io:format("stream ~p~n", [Out =:= Data]),
    %% safeInflate: chunk by chunk.
    ok = zlib:inflateInit(Z),
    Safe = iolist_to_binary(safe(Z, zlib:safeInflate(Z, Comp), [])),
    ok = zlib:inflateEnd(Z),
    io:format("safe ~p~n", [Safe =:= Data]),
    %% inflateChunk with a small buffer.
    ok = zlib:inflateInit(Z),
    ok = zlib:setBufSize(Z, 1000),
    io:format("bufsize ~p~n", [zlib:getBufSize(Z)]),
    Chunked = iolist_to_binary(chunks(Z, zlib:inflateChunk(Z, Comp), [])),
    ok = zlib:inflateEnd(Z),
    io:format("chunk ~p~n", [Chunked =:= Data]),
    %% deflateParams between parts, raw crc32.
    ok = zlib:deflateInit(Z, default, deflated, -15, 8, default),
    P1 = zlib:deflate(Z, binary:part(Data, 0, 30000)),
    ok = zlib:deflateParams(Z, best_compression, filtered),
    P2 = zlib:deflate(Z, binary:part(Data, 30000, 40000), finish),
    io:format("raw crc ~p~n", [zlib:crc32(Z) =:= erlang:crc32(Data)]),
    ok = zlib:deflateEnd(Z),
    io:format("params ~p~n", [zlib:unzip(iolist_to_binary([P1, P2])) =:= Data]),
    ok = zlib:close(Z).

safe(Z, {continue, Out}, Acc) -> safe(Z, zlib:safeInflate(Z, []), [Acc, Out]);
safe(_, {finished, Out}, Acc) -> [Acc, Out].

chunks(Z, {more, Out}, Acc) -> chunks(Z, zlib:inflateChunk(Z), [Acc, Out]);
chunks(_, Out, Acc) -> [Acc, Out].

levels(Text) ->
    Z = zlib:open(),
    Res = [begin
               ok = zlib:deflateInit(Z, L),
               C = iolist_to_binary(zlib:deflate(Z, Text, finish)),
               ok = zlib:deflateEnd(Z),
               {L, zlib:uncompress(C) =:= Text}
           end || L <- [none, best_speed, default, best_compression, 0, 5, 9]],
    zlib:close(Z),
    io:format("levels ~w~n", [Res]).

checksums() ->
    Z = zlib:open(),
    io:format("~p~n", [[zlib:crc32(Z, <<"hello">>), zlib:crc32(Z, 7, <<"hello">>),
                        zlib:adler32(Z, <<"hello">>), zlib:adler32(Z, 7, "hello"),
                        zlib:crc32_combine(Z, 1, 2, 3), zlib:adler32_combine(Z, 1, 2, 3)]]),
    zlib:close(Z).

errors() ->
    Z = zlib:open(),
    ok = zlib:close(Z),
    err(fun() -> zlib:deflateInit(Z) end),
    err(fun() -> zlib:close(Z) end),
    err(fun() -> zlib:uncompress(<<"not a zlib stream">>) end),
    err(fun() -> zlib:gunzip(<<"not gzip data at all">>) end),
    err(fun() -> zlib:unzip(<<255, 255, 255>>) end),
    err(fun() -> zlib:uncompress(<<1, 2>>) end),
    Bad = binary:part(erl_zlib(), 0, 30),
    err(fun() -> zlib:uncompress(Bad) end),
    Y = zlib:open(),
    err(fun() -> zlib:deflate(Y, <<"x">>) end),
    err(fun() -> zlib:deflateInit(Y, 12) end),
    err(fun() -> zlib:deflateInit(Y, default, deflated, 99, 8, default) end),
    err(fun() -> zlib:inflateInit(Y, 99) end),
    ok = zlib:inflateInit(Y),
    err(fun() -> zlib:inflateInit(Y) end),
    err(fun() -> zlib:inflateEnd(Y) end),
    Self = self(),
    spawn(fun() -> Self ! {other, catch zlib:deflateInit(Y)} end),
    receive {other, {'EXIT', {R, _}}} -> io:format("other ~p~n", [R]) end,
    err(fun() -> zlib:set_controlling_process(Y, not_a_pid) end),
    zlib:close(Y).

err(F) ->
    try F() of
        V -> io:format("ok ~p~n", [V])
    catch
        C:R -> io:format("~p ~p~n", [C, R])
    end.

text() ->
    iolist_to_binary(lists:duplicate(40, "The quick brown fox jumps over the lazy dog. ")).

pseudo_random(N) ->
    pseudo_random(N, 12345, []).
pseudo_random(0, _, Acc) -> list_to_binary(Acc);
pseudo_random(N, S, Acc) ->
    S1 = (S * 1103515245 + 12345) rem 2147483648,
    pseudo_random(N - 1, S1, [(S1 bsr 16) band 255 | Acc]).

erl_zlib() ->
    <<120,156,11,201,72,85,40,44,205,76,206,86,72,42,202,47,207,83,72,203,175,80,200,42,
      205,45,40,86,200,47,75,45,82,40,1,74,231,36,86,85,42,164,228,167,235,41,132,140,42,
      30,85,60,170,152,218,138,1,71,165,67,28>>.
erl_gzip() ->
    <<31,139,8,0,0,0,0,0,0,3,11,201,72,85,40,44,205,76,206,86,72,42,202,47,207,83,72,203,
      175,80,200,42,205,45,40,86,200,47,75,45,82,40,1,74,231,36,86,85,42,164,228,167,235,
      41,132,140,42,30,85,60,170,152,218,138,1,230,74,102,176,132,3,0,0>>.
erl_raw() ->
    <<11,201,72,85,40,44,205,76,206,86,72,42,202,47,207,83,72,203,175,80,200,42,205,45,40,
      86,200,47,75,45,82,40,1,74,231,36,86,85,42,164,228,167,235,41,132,140,42,30,85,60,
      170,152,218,138,1>>.

%% Appending to binaries and bitstrings (<<Acc/binary, ...>>, which girder extends in
%% place when it can): loops, several appends to the same binary, unaligned bitstrings,
%% appends after a binary was sent to another process or matched, and the error_info
%% OTP 25 attaches to a failing binary construction.
-module(binary_append).
-export([main/0]).

main() ->
    %% A loop building a binary byte by byte, then record by record.
    B1 = bytes(1000, <<>>),
    io:format("~w ~w ~w~n", [byte_size(B1), binary:part(B1, 0, 5), erlang:md5(B1)]),
    B2 = records(500, <<>>),
    io:format("~w ~w~n", [byte_size(B2), erlang:md5(B2)]),
    %% Two appends to the same binary: the second must not see the first's bytes.
    Base = bytes(300, <<>>),
    X = <<Base/binary, "xxx">>,
    Y = <<Base/binary, "yy">>,
    Z = <<X/binary, "z">>,
    io:format("~w ~w ~w ~w~n", [byte_size(Base), byte_size(X), byte_size(Y), byte_size(Z)]),
    io:format("~w ~w ~w~n", [binary:part(X, 298, 5), binary:part(Y, 298, 4),
                             binary:part(Z, 298, 6)]),
    io:format("~w~n", [Base =:= binary:part(Z, 0, 300)]),
    %% Unaligned bitstrings: appends that start mid-byte.
    P = bits(400, <<>>),
    io:format("~w ~w~n", [bit_size(P), erlang:md5(<<P/bitstring, 0:(8 - bit_size(P) rem 8)>>)]),
    Q1 = <<P/bitstring, 1:1>>,
    Q2 = <<P/bitstring, 0:1, 5:3>>,
    io:format("~w ~w ~w~n", [bit_size(Q1), bit_size(Q2), tails([P, Q1, Q2])]),
    io:format("~w~n", [[P < Q1, Q2 < Q1, P =:= Q1]]),
    %% Sent to another process, which appends; the sender appends too.
    Self = self(),
    S = bytes(200, <<>>),
    spawn(fun() -> Self ! {grown, <<S/binary, "child">>} end),
    Mine = <<S/binary, "parent">>,
    receive {grown, G} -> ok end,
    io:format("~w ~w ~w~n", [binary:part(G, 198, 7), binary:part(Mine, 198, 8),
                             binary:part(S, 198, 2)]),
    %% Matched parts of a growing binary, then more appends.
    <<Head:100/binary, Rest/binary>> = B1,
    More = <<B1/binary, Head/binary>>,
    io:format("~w ~w ~w~n", [byte_size(Rest), byte_size(More), binary:part(More, 1000, 3)]),
    %% A bitstring comprehension and appends of every kind of segment.
    C = << <<N:5>> || N <- lists:seq(1, 30) >>,
    D = kinds(20, C),
    io:format("~w ~w~n", [bit_size(D), erlang:md5(<<D/bitstring, 0:(8 - bit_size(D) rem 8)>>)]),
    %% Small integers of constant sizes appended to whole bytes: big and little endian,
    %% negative and too-large values (truncated), sizes in units, 64 bits at once, fields
    %% that add up to whole bytes, and neighbours that do not (a bignum, 0 bits, 4 bits).
    Ints = [fun(B, N) -> <<B/binary, N:16/little, (-N):32/little, N:8>> end,
            fun(B, N) -> <<B/binary, (N * 1000003):64, (-N):64/little>> end,
            fun(B, N) -> <<B/binary, (N band 7):3, (N band 31):5, 300:8>> end,
            fun(B, N) -> <<B/binary, N:2/unit:8, (-1):3/unit:8-little>> end,
            fun(B, N) -> <<B/binary, (N + (1 bsl 62)):64/signed-little, N:0>> end,
            fun(B, N) -> <<B/binary, (1 bsl 64 + N):64, N:4, N:4>> end,
            fun(B, N) -> <<B/binary, N:24/native, N:40>> end],
    [io:format("~w~n", [lists:foldl(fun(N, B) -> F(B, N) end, <<"s">>, lists:seq(1, 40))])
     || F <- Ints],
    io:format("~w~n", [catch_it(fun() -> <<(id(<<1:4>>))/binary, 1:8>> end)]),
    io:format("~w~n", [catch_it(fun() -> <<(id(<<1>>))/binary, (id(x)):8>> end)]),
    %% Failing constructions and appends.
    Bad = [fun() -> <<(id(foo)):8>> end,
           fun() -> <<(id([1]))/binary>> end,
           fun() -> <<1:(id(-3))>> end,
           fun() -> <<1:(id(all))>> end,
           fun() -> <<1:(id(1 bsl 70))>> end,
           fun() -> <<(id(1.5)):(id(24))/float>> end,
           fun() -> <<(id(1 bsl 1100)):64/float>> end,
           fun() -> <<(id(<<1,2>>)):3/binary>> end,
           fun() -> <<(id(<<1:3>>))/binary>> end,
           fun() -> <<(id(16#D800))/utf8>> end,
           fun() -> <<(id(-1))/utf16>> end,
           fun() -> <<(id(16#110000))/utf32>> end,
           fun() -> <<1:8, (id(bar)):16, (id(-1)):(id(-1))>> end,
           fun() -> acc(id(<<1:3>>), 3) end,
           fun() -> acc(id(foo), 3) end,
           fun() -> <<(id(1.0e300)):32/float, (id(1.0e10)):16/float>> end],
    [io:format("~w~n", [catch_it(F)]) || F <- Bad],
    %% The same through catch.
    {'EXIT', {R1, [F1 | _]}} = (catch <<(id(foo)):8, (id(1.5))/float>>),
    {'EXIT', {R2, [F2 | _]}} = (catch acc(id(<<1:7>>), 1)),
    io:format("~w~n~w~n", [{R1, F1}, {R2, F2}]),
    ok.

bytes(0, B) -> B;
bytes(N, B) -> bytes(N - 1, <<B/binary, (N band 255)>>).

records(0, B) -> B;
records(N, B) -> records(N - 1, <<B/binary, N:32, (N rem 7):8, 0:(N rem 7)/unit:8>>).

bits(0, B) -> B;
bits(N, B) -> bits(N - 1, <<B/bitstring, (N band 7):3, (N band 1):1, (N rem 31):5>>).

kinds(0, B) -> B;
kinds(N, B) ->
    kinds(N - 1, <<B/bitstring, N:7/little, (N * 1.5):32/float, (N * 300)/utf8,
                   (N * 70):16/native, "s", (N band 3):2>>).

acc(B, 0) -> B;
acc(B, K) -> acc(<<B/binary, K:8>>, K - 1).

tails(Bs) -> [begin S = bit_size(B) - 8, <<_:S, T:8>> = B, T end || B <- Bs].

catch_it(F) ->
    try F() of
        V -> {ok, V}
    catch
        C:R:S ->
            [{M, Fn, A, Loc} | _] = S,
            {C, R, M, is_atom(Fn), A, Loc}
    end.

id(X) -> X.

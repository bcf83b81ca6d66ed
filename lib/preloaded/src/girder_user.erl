%% girder's standard I/O servers: `user` (standard input and output) and
%% `standard_error`, speaking the Erlang I/O protocol as OTP's `user` and
%% `standard_error` do when erl runs with -noshell:
%%
%%   {io_request, From, ReplyAs, Request}  ->  {io_reply, ReplyAs, Reply}
%%
%% The device encoding starts as latin1 (characters above 255 are written as
%% \x{...}), as OTP 25's -noshell device does. The bytes go out through
%% girder_io:write/2 and come in through girder_io:read_start/0 (native), in chunks
%% as they arrive, each as a message from girder's standard input thread (no
%% scheduler thread waits for input; other requests wait in the queue meanwhile).
-module(girder_user).
-export([server/1]).

%% The server for file descriptor Fd (1: `user`, which also reads standard
%% input; 2: `standard_error`). girder's boot spawns and registers both.
server(Fd) ->
    put(encoding, latin1),
    put(read_mode, list),
    loop(Fd, {[], false}).

%% In = {Buffer, Eof}: input read but not consumed yet ([] when none), and
%% whether standard input has ended.
loop(Fd, In) ->
    receive
        {io_request, From, ReplyAs, Request} when is_pid(From) ->
            {Reply, In1} = request(Request, Fd, In),
            From ! {io_reply, ReplyAs, Reply},
            loop(Fd, In1);
        _Other ->
            loop(Fd, In)
    end.

%% {Reply, NewIn}
request({put_chars, unicode, Chars}, Fd, In) ->
    {put_chars(wrap(Chars, unicode, get(encoding)), Fd), In};
request({put_chars, unicode, M, F, A}, Fd, In) ->
    case catch apply(M, F, A) of
        Data when is_list(Data); is_binary(Data) ->
            {put_chars(wrap(Data, unicode, get(encoding)), Fd), In};
        _ ->
            {{error, put_chars}, In}
    end;
request({put_chars, latin1, Chars}, Fd, In) ->
    {put_chars(convert(Chars, latin1, get(encoding)), Fd), In};
request({put_chars, latin1, M, F, A}, Fd, In) ->
    case catch apply(M, F, A) of
        Data when is_list(Data); is_binary(Data) ->
            {put_chars(convert(Data, latin1, get(encoding)), Fd), In};
        _ ->
            {{error, put_chars}, In}
    end;
request({get_chars, Enc, Prompt, N}, 1, In) ->
    get_chars(Prompt, io_lib, collect_chars, N, In, Enc);
request({get_line, Enc, Prompt}, 1, In) ->
    get_chars(Prompt, io_lib, collect_line, [], In, Enc);
request({get_until, Enc, Prompt, M, F, A}, 1, In) ->
    get_chars(Prompt, io_lib, get_until, {M, F, A}, In, Enc);
request(getopts, _Fd, In) ->
    {[{binary, get(read_mode) =:= binary}, {encoding, get(encoding)}], In};
request({setopts, Opts}, _Fd, In) when is_list(Opts) ->
    {setopts(Opts), In};
request({requests, Reqs}, Fd, In) ->
    requests(Reqs, {ok, In}, Fd);
request({get_geometry, _}, _Fd, In) ->
    %% Not a terminal (girder does not query the window size yet).
    {{error, enotsup}, In};
%% The forms older clients send, without an encoding.
request({put_chars, Chars}, Fd, In) ->
    request({put_chars, latin1, Chars}, Fd, In);
request({put_chars, M, F, A}, Fd, In) ->
    request({put_chars, latin1, M, F, A}, Fd, In);
request({get_chars, Prompt, N}, Fd, In) ->
    request({get_chars, latin1, Prompt, N}, Fd, In);
request({get_line, Prompt}, Fd, In) ->
    request({get_line, latin1, Prompt}, Fd, In);
request({get_until, Prompt, M, F, A}, Fd, In) ->
    request({get_until, latin1, Prompt, M, F, A}, Fd, In);
request(R, _Fd, In) ->
    {{error, {request, R}}, In}.

%% A list of requests, stopping at the first that does not reply ok.
requests([R | Rs], {ok, In}, Fd) ->
    requests(Rs, request(R, Fd, In), Fd);
requests([_ | _], Error, _Fd) ->
    Error;
requests([], Result, _Fd) ->
    Result.

put_chars(Bin, Fd) when is_binary(Bin) ->
    case girder_io:write(Fd, Bin) of
        ok -> ok;
        {error, _} = E -> E
    end;
put_chars(error, _Fd) ->
    {error, put_chars}.

%% Characters in encoding From as a binary in the device encoding To; a
%% character a latin1 device cannot hold is written as \x{...} by wrap/3 (and
%% is an error for convert/3). Only the unicode BIFs are used, so that printing
%% does not load OTP's unicode module.
wrap(Chars, unicode, latin1) ->
    case catch unicode:characters_to_list(Chars, unicode) of
        L when is_list(L) ->
            list_to_binary([escape(C) || C <- L]);
        _ ->
            error
    end;
wrap(Chars, From, To) ->
    convert(Chars, From, To).

escape(C) when C > 255 -> ["\\x{", integer_to_list(C, 16), $}];
escape(C) -> C.

convert(Bin, Enc, Enc) when is_binary(Bin) ->
    Bin;
convert(Chars, From, latin1) ->
    case catch unicode:characters_to_list(Chars, From) of
        L when is_list(L) ->
            case catch list_to_binary(L) of
                Bin when is_binary(Bin) -> Bin;
                _ -> error
            end;
        _ ->
            error
    end;
convert(Chars, From, _Unicode) ->
    case catch unicode:characters_to_binary(Chars, From) of
        Bin when is_binary(Bin) -> Bin;
        _ -> error
    end.

setopts(Opts0) ->
    Opts = proplists:unfold(
             proplists:substitute_negations([{list, binary}], expand(Opts0))),
    case lists:all(fun valid_opt/1, Opts) of
        true ->
            case proplists:get_value(encoding, Opts) of
                latin1 -> put(encoding, latin1);
                undefined -> ok;
                _ -> put(encoding, unicode)
            end,
            case proplists:get_value(binary, Opts) of
                true -> put(read_mode, binary);
                false -> put(read_mode, list);
                _ -> ok
            end,
            ok;
        false ->
            {error, enotsup}
    end.

expand([latin1 | T]) -> [{encoding, latin1} | expand(T)];
expand([unicode | T]) -> [{encoding, unicode} | expand(T)];
expand([H | T]) -> [H | expand(T)];
expand([]) -> [].

valid_opt({binary, _}) -> true;
valid_opt({encoding, E}) -> E =:= latin1 orelse E =:= unicode orelse E =:= utf8;
valid_opt(_) -> false.

%% Input: apply M:F(State, Data, Encoding, Extra) to the input as it comes
%% (the io_lib collectors) until it returns {stop, Result, Rest}.
get_chars(Prompt, M, F, Xa, In, Enc) ->
    case prompt(Prompt) of
        error ->
            {{error, F}, In};
        ok ->
            case In of
                {[], true} -> {eof, In};
                _ -> collect(start, M, F, Xa, In, Enc)
            end
    end.

collect(State, M, F, Xa, {[], false}, Enc) ->
    ok = girder_io:read_start(),
    receive
        {girder_io, stdin, Bin} when is_binary(Bin) ->
            collect(State, M, F, Xa, {Bin, false}, Enc);
        {girder_io, stdin, _EofOrError} ->
            collect(State, M, F, Xa, {eof, true}, Enc)
    end;
collect(State, M, F, Xa, {[], true}, Enc) ->
    collect(State, M, F, Xa, {eof, true}, Enc);
collect(State0, M, F, Xa, {Buf, Eof}, Enc) ->
    case catch M:F(State0, cast(Buf, Enc), Enc, Xa) of
        {stop, Result, Left} when Left =:= <<>>; Left =:= []; Left =:= eof ->
            {Result, {[], Eof}};
        {stop, Result, Left} ->
            {Result, {Left, Eof}};
        {'EXIT', _} ->
            {{error, err_func(M, F, Xa)}, {[], Eof}};
        State1 when Buf =:= eof ->
            %% The collector wants more, but input has ended.
            {eof_result(State1), {[], Eof}};
        State1 ->
            collect(State1, M, F, Xa, {[], Eof}, Enc)
    end.

%% A collector that does not stop at eof (it always should) gets eof.
eof_result(_) -> eof.

err_func(io_lib, get_until, {_, F, _}) -> F;
err_func(_, F, _) -> F.

prompt('') -> ok;
prompt(Prompt) ->
    Encoding = get(encoding),
    case wrap(io_lib:format_prompt(Prompt, Encoding), unicode, Encoding) of
        Bin when is_binary(Bin) -> girder_io:write(1, Bin), ok;
        error -> error
    end.

%% The data handed to the collector: the device's bytes as a list or binary in
%% the client's encoding.
cast(eof, _Enc) ->
    eof;
cast(Data, Enc) ->
    cast(Data, get(read_mode), get(encoding), Enc).

cast(B, binary, E, E) when is_binary(B) -> B;
cast(D, binary, From, To) ->
    translate(catch unicode:characters_to_binary(D, From, To), From, To);
cast(B, list, latin1, latin1) when is_binary(B) -> binary_to_list(B);
cast(D, list, From, To) ->
    case catch unicode:characters_to_list(D, From) of
        L when is_list(L), To =:= latin1 ->
            [if C > 255 -> exit({no_translation, From, To}); true -> C end || C <- L];
        L when is_list(L) ->
            L;
        _ ->
            exit({no_translation, From, To})
    end.

translate(Bin, _, _) when is_binary(Bin) -> Bin;
translate(_, From, To) -> exit({no_translation, From, To}).

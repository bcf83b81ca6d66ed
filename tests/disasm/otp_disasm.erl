%% Summarises what OTP's own disassembler (beam_disasm) sees in every .beam of the installed
%% OTP, for comparison with `girder disasm`: per file a line `file PATH`, then for each
%% function `function Name/Arity` followed by one generic opcode name per instruction.
-module(otp_disasm).
-export([main/1]).

%% The files are disassembled by one process per scheduler (beam_disasm over all of OTP
%% takes minutes on one core) and written in file order.
main([OutFile]) ->
    Files = lists:sort(filelib:wildcard(filename:join([code:lib_dir(), "*", "ebin", "*.beam"]))),
    N = erlang:system_info(schedulers_online),
    Self = self(),
    Workers = [spawn_link(fun() -> Self ! {self(), [summarise(F) || F <- every_nth(Files, I, N)]} end)
               || I <- lists:seq(0, N - 1)],
    Parts = [receive {W, P} -> P end || W <- Workers],
    Summaries = interleave(Parts),
    ok = file:write_file(OutFile, unicode:characters_to_binary(Summaries)),
    halt(0).

%% Files I, I + N, I + 2N... (0-based) of Files.
every_nth(Files, I, N) ->
    [F || {K, F} <- lists:zip(lists:seq(0, length(Files) - 1), Files), K rem N =:= I].

%% The inverse of dealing out with every_nth/3: back to the original order.
interleave(Parts) ->
    case [P || P <- Parts, P =/= []] of
        [] -> [];
        Live -> [hd(P) || P <- Live] ++ interleave([tl(P) || P <- Live])
    end.

summarise(File) ->
    Head = io_lib:format("file ~ts~n", [File]),
    Body = case beam_disasm:file(File) of
        {beam_file, _Module, _Exports, _Attr, _CompileInfo, [First | Rest]} ->
            [function(First) | [function(undo_prefix_reversal(Fun)) || Fun <- Rest]];
        {error, beam_disasm, Reason} ->
            io_lib:format("error ~w~n", [Reason])
    end,
    [Head | Body].

function({function, Name, Arity, _Entry, Code}) ->
    [io_lib:format("function ~tw/~w~n", [Name, Arity]) | [[atom_to_list(op_name(I)), $\n] || I <- Code]].

%% beam_disasm lists the labels and line instructions that precede a func_info in file order
%% for the first function but reversed for every later one (an artefact of how it splits the
%% reversed code). girder prints file order; restore it here.
undo_prefix_reversal({function, Name, Arity, Entry, Code}) ->
    {Prefix, Rest} = lists:splitwith(fun(I) -> element(1, I) =/= func_info end, Code),
    {function, Name, Arity, Entry, lists:reverse(Prefix) ++ Rest}.

%% beam_disasm resolves some instructions into shapes named after a family rather than the
%% generic opcode; map them back.
op_name(I) when is_atom(I) -> I;
op_name(I) when element(1, I) =:= test -> element(2, I);
op_name(I) when element(1, I) =:= arithfbif -> element(2, I);
op_name({bif, _Name, _Fail, Args, _Dst}) -> list_to_atom("bif" ++ integer_to_list(length(Args)));
op_name({gc_bif, _Name, _Fail, _Live, Args, _Dst}) ->
    list_to_atom("gc_bif" ++ integer_to_list(length(Args)));
op_name(I) when is_tuple(I) -> element(1, I).

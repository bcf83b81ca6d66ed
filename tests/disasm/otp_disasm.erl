%% Summarises what OTP's own disassembler (beam_disasm) sees in every .beam of the installed
%% OTP, for comparison with `girder disasm`: per file a line `file PATH`, then for each
%% function `function Name/Arity` followed by one generic opcode name per instruction.
-module(otp_disasm).
-export([main/1]).

main([OutFile]) ->
    Files = lists:sort(filelib:wildcard(filename:join([code:lib_dir(), "*", "ebin", "*.beam"]))),
    {ok, Fd} = file:open(OutFile, [write, {encoding, utf8}]),
    lists:foreach(fun(F) -> summarise(Fd, F) end, Files),
    ok = file:close(Fd),
    halt(0).

summarise(Fd, File) ->
    io:format(Fd, "file ~ts~n", [File]),
    case beam_disasm:file(File) of
        {beam_file, _Module, _Exports, _Attr, _CompileInfo, [First | Rest]} ->
            function(Fd, First),
            [function(Fd, undo_prefix_reversal(Fun)) || Fun <- Rest];
        {error, beam_disasm, Reason} ->
            io:format(Fd, "error ~w~n", [Reason])
    end.

function(Fd, {function, Name, Arity, _Entry, Code}) ->
    io:format(Fd, "function ~tw/~w~n", [Name, Arity]),
    [io:format(Fd, "~s~n", [op_name(I)]) || I <- Code].

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

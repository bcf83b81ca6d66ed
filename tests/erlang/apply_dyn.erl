%% apply/2,3, erlang:apply and dynamic Module:Function(Args) calls.
-module(apply_dyn).
-export([main/0, sum/2, hello/0, echo/1, mod/0, undefined_function/3]).

main() ->
    M = mod(),
    F = list_to_atom("sum"),
    io:format("apply/3 ~p~n", [apply(M, F, [3, 4])]),
    io:format("erlang:apply/3 ~p~n", [erlang:apply(M, sum, [10, 20])]),
    io:format("apply/3 zero args ~p~n", [apply(?MODULE, hello, [])]),
    io:format("apply/3 stdlib ~p~n", [apply(lists, reverse, [[1, 2, 3]])]),
    io:format("apply/3 bif ~p~n", [apply(erlang, atom_to_list, [abc])]),
    io:format("apply/2 fun ~p~n", [apply(fun(X, Y) -> X * Y end, [6, 7])]),
    io:format("erlang:apply/2 ~p~n", [erlang:apply(fun ?MODULE:echo/1, [e])]),
    io:format("apply/2 ext fun ~p~n", [apply(fun lists:sum/1, [[1, 2, 3]])]),
    io:format("dynamic M:F ~p~n", [M:F(1, 2)]),
    Mods = [lists, string, ?MODULE],
    io:format("dynamic mods ~p~n", [[Mod:module_info(module) || Mod <- Mods]]),
    Calls = [{erlang, length, [[a, b]]}, {lists, seq, [1, 4]},
             {?MODULE, echo, [x]}, {erlang, '+', [1, 2]}],
    io:format("table ~p~n", [[apply(Mo, Fu, A) || {Mo, Fu, A} <- Calls]]),
    io:format("ops ~p~n", [[erlang:Op(7, 2) || Op <- ['-', '*', 'div', 'rem']]]),
    io:format("tail apply ~p~n", [tail_apply(5)]),
    io:format("undef apply ~p~n", [catch_class(fun() -> apply(M, nope, [1]) end)]),
    io:format("badarg apply ~p~n",
              [catch_class(fun() -> apply(M, F, not_a_list()) end)]),
    io:format("badarg module ~p~n",
              [catch_class(fun() -> apply(not_an_atom(), F, []) end)]),
    error_handler_flag(),
    ok.

%% process_flag(error_handler, M): a call of a missing function becomes
%% M:undefined_function(Module, Function, Args); nothing is loaded on demand (that is the
%% default error_handler's job). Nothing is printed until the default handler is back (io
%% would load modules through ours). (A handler that is not loaded is left out: erl 25
%% dies of SIGILL on the call; girder raises undef.)
error_handler_flag() ->
    Old = process_flag(error_handler, ?MODULE),
    Info = process_info(self(), error_handler),
    Missing = no_such_module_xyz:f(a, b),
    MissingFun = apply(mod(), no_such_fun, [1]),
    NotLoaded = (list_to_atom("digraph_utils")):components(no_graph),
    Back = process_flag(error_handler, Old),
    io:format("error_handler ~p ~p~n", [Old, Info]),
    io:format("handled ~p ~p~n", [Missing, MissingFun]),
    io:format("not loaded on demand ~p ~p~n",
              [NotLoaded, code:is_loaded(digraph_utils)]),
    io:format("back ~p~n", [Back]),
    io:format("badarg flag ~p~n",
              [catch_class(fun() -> process_flag(error_handler, "x") end)]),
    {Pid, Ref} = spawn_monitor(fun() -> exit(process_info(self(), error_handler)) end),
    receive {'DOWN', Ref, process, Pid, R} -> io:format("spawned ~p~n", [R]) end.

undefined_function(M, F, Args) -> {handled, M, F, Args}.

mod() -> ?MODULE.
not_a_list() -> {1, 2}.
not_an_atom() -> "lists".

sum(A, B) -> A + B.
hello() -> hello.
echo(X) -> {echo, X}.

tail_apply(0) -> done;
tail_apply(N) -> apply(?MODULE, echo, [N]), apply(fun tail_apply/1, [N - 1]).

catch_class(F) ->
    try F() of
        V -> {value, V}
    catch
        C:R -> {C, R}
    end.

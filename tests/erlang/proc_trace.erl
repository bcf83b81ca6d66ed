-module(proc_trace).
%% The procs trace flag: spawn, link, unlink, getting_linked, getting_unlinked, register,
%% unregister and exit events, with the other flags in trace_info's order.
-export([main/0, child/1, collector/1]).

collector(Acc) ->
    receive
        {get, From} -> From ! {collected, lists:reverse(Acc)}, collector([]);
        Msg -> collector([Msg | Acc])
    end.

child(Parent) -> receive go -> Parent ! done end.

collected(C) ->
    timer:sleep(50),
    C ! {get, self()},
    receive {collected, L} -> L end.

%% Runs F in a traced worker, then everything its tracer got, pids shown as who they are.
traced(Flags, F, Stop) ->
    C = spawn(?MODULE, collector, [[]]),
    S = self(),
    W = spawn(fun() -> receive {do, G} -> G(), S ! did end,
                       receive stop -> exit(Stop) end end),
    erlang:trace(W, true, [{tracer, C} | Flags]),
    Ref = monitor(process, W),
    W ! {do, F},
    receive
        did ->
            W ! stop,
            receive {'DOWN', Ref, _, _, _} -> ok end;
        {'DOWN', Ref, _, _, _} ->
            ok
    end,
    L = collected(C),
    exit(C, kill),
    io:format("~p~n", [[show(X, W, S) || X <- L]]).

show(T, W, S) -> list_to_tuple([who(E, W, S) || E <- tuple_to_list(T)]).

who(W, W, _) -> worker;
who(S, _, S) -> main;
who(P, _, _) when is_pid(P) -> pid;
who({M, F, A}, W, S) when is_list(A) -> {M, F, [who(X, W, S) || X <- A]};
who(F, _, _) when is_function(F) -> fn;
who(X, _, _) -> X.

main() ->
    S = self(),
    W0 = spawn(fun() -> receive stop -> ok end end),
    io:format("~p~n", [erlang:trace(W0, true, [procs, call, send, 'receive', set_on_spawn, timestamp])]),
    io:format("~p~n", [erlang:trace_info(W0, flags)]),
    io:format("~p~n", [erlang:trace(W0, false, [call, send, 'receive', set_on_spawn, timestamp])]),
    io:format("~p~n", [erlang:trace_info(W0, flags)]),
    erlang:trace(W0, false, [procs]),
    W0 ! stop,
    traced([procs], fun() ->
        P = spawn(?MODULE, child, [self()]),
        link(P),
        unlink(P),
        register(wname, self()),
        unregister(wname),
        P2 = spawn_link(fun() -> ok end),
        _ = P2,
        process_flag(trap_exit, true),
        receive {'EXIT', _, _} -> ok end,
        P ! go,
        receive done -> ok end
    end, normal),
    Dead = spawn(fun() -> ok end),
    Mon = monitor(process, Dead),
    receive {'DOWN', Mon, _, _, _} -> ok end,
    traced([procs], fun() ->
        process_flag(trap_exit, true),
        catch link(Dead),
        unlink(Dead),
        unlink(S),
        link(self()),
        register(wname, self()),
        P3 = spawn(fun() -> receive {link, X} -> link(X), receive stop -> unlink(X) end end end),
        P3 ! {link, self()},
        timer:sleep(10),
        P3 ! stop,
        timer:sleep(10),
        P4 = spawn(fun() -> receive _ -> ok end end),
        register(other, P4),
        unregister(other),
        P4 ! x,
        receive _ -> ok after 10 -> ok end
    end, {shutdown, bye}),
    %% A linked process's exit, untrapped, kills the worker.
    traced([procs], fun() ->
        P5 = spawn_link(fun() -> receive go -> exit(boom) end end),
        P5 ! go,
        receive after infinity -> ok end
    end, normal),
    set_on_link(),
    ok.

%% set_on_link: a child spawned linked inherits the flags and tracer (erl 25 passes them
%% on through spawn_link only, not to a process linked with link/1).
set_on_link() ->
    S = self(),
    Q = spawn(fun() -> receive stop -> ok end end),
    R = spawn(fun() -> receive {link, X} -> link(X), S ! linked, receive stop -> ok end end end),
    W = spawn(fun() -> receive go -> ok end,
                       C = spawn_link(fun() -> receive stop -> ok end end),
                       C2 = spawn(fun() -> receive stop -> ok end end),
                       link(Q),
                       S ! {kids, C, C2},
                       receive stop -> ok end
              end),
    erlang:trace(W, true, [procs, set_on_link]),
    io:format("~p~n", [erlang:trace_info(W, flags)]),
    W ! go,
    {C, C2} = receive {kids, A, B} -> {A, B} end,
    R ! {link, W},
    receive linked -> ok end,
    [io:format("~p~n", [{N, erlang:trace_info(P, flags)}]) || {N, P} <- [{c, C}, {c2, C2}, {q, Q}, {r, R}]],
    io:format("~p~n", [erlang:trace_info(C, tracer) =:= {tracer, self()}]),
    erlang:trace(all, false, [procs, set_on_link]),
    [exit(P, kill) || P <- [W, C, C2, Q, R]],
    Fl = fun F() -> receive _ -> F() after 100 -> ok end end,
    Fl().

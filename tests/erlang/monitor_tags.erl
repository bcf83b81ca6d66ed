%% Tagged monitors: `monitor/3`'s `{tag, T}` and `{alias, M}`, `spawn_opt` and
%% `spawn_request` with `{monitor, Opts}`, their errors, and `erpc:multicall` (which
%% monitors with a tag) with a finite timeout on the local node.
-module(monitor_tags).
-export([main/0, work/1]).

main() ->
    tags(),
    aliases(),
    spawns(),
    errors(),
    erpc_local(),
    ok.

waiter() ->
    spawn(fun() -> receive {go, R} -> exit(R) end end).

tags() ->
    P = waiter(),
    R = erlang:monitor(process, P, [{tag, mytag}]),
    P ! {go, boom},
    receive M -> io:format("tag atom: ~p~n", [M =:= {mytag, R, process, P, boom}]) end,
    R2 = erlang:monitor(process, P, [{tag, {a, [b], <<"c">>}}]),
    receive {T2, R2, process, P, Why} -> io:format("tag term (dead): ~p ~p~n", [T2, Why]) end,
    R3 = erlang:monitor(process, no_such_name, [{tag, t3}]),
    receive {t3, R3, process, {no_such_name, N}, noproc} -> io:format("by name: ~p~n", [N =:= node()]) end,
    register(tagged_target, Q = waiter()),
    R4 = erlang:monitor(process, tagged_target, [{tag, t4}]),
    Q ! {go, normal},
    receive {t4, R4, process, {tagged_target, _}, normal} -> io:format("registered: ok~n") end,
    %% The last tag given counts; an untagged monitor is still 'DOWN'.
    P5 = waiter(),
    R5 = erlang:monitor(process, P5, [{tag, first}, {tag, second}]),
    R6 = erlang:monitor(process, P5),
    P5 ! {go, done},
    receive {second, R5, process, P5, done} -> io:format("last tag: ok~n") end,
    receive {'DOWN', R6, process, P5, done} -> io:format("untagged: ok~n") end,
    %% demonitor with flush removes a tagged DOWN message too.
    P7 = waiter(),
    R7 = erlang:monitor(process, P7, [{tag, t7}]),
    P7 ! {go, x},
    timer:sleep(20),
    true = erlang:demonitor(R7, [flush]),
    receive Left -> io:format("left: ~p~n", [Left]) after 20 -> io:format("none left~n") end,
    %% Demonitored before the process exits: no message at all.
    P8 = waiter(),
    R8 = erlang:monitor(process, P8, [{tag, t8}]),
    true = erlang:demonitor(R8),
    P8 ! {go, x},
    receive Left8 -> io:format("left: ~p~n", [Left8]) after 50 -> io:format("demonitored: none~n") end,
    %% A tagged port monitor.
    Port = open_port({spawn, "cat"}, []),
    RP = erlang:monitor(port, Port, [{tag, port_tag}]),
    unlink(Port),
    port_close(Port),
    receive {port_tag, RP, port, Port, Reason} -> io:format("port: ~p~n", [Reason]) end.

aliases() ->
    Self = self(),
    P = spawn(fun() -> receive {go, A} -> A ! {reply, self()}, receive stop -> ok end end end),
    R = erlang:monitor(process, P, [{alias, reply_demonitor}, {tag, at}]),
    P ! {go, R},
    receive {reply, P} -> io:format("reply through alias~n") end,
    %% reply_demonitor: the monitor is gone after the reply.
    P ! stop,
    receive Any -> io:format("after reply: ~p~n", [Any]) after 50 -> io:format("after reply: none~n") end,
    Q = waiter(),
    R2 = erlang:monitor(process, Q, [{tag, t}, {alias, demonitor}]),
    Q ! {go, bye},
    receive {t, R2, process, Q, bye} -> ok end,
    %% The alias ended with the monitor.
    R2 ! late,
    receive late -> io:format("alias still active~n") after 20 -> io:format("alias ended~n") end,
    Self = self().

spawns() ->
    {P, R} = spawn_opt(fun() -> exit(bye) end, [{monitor, [{tag, t3}]}]),
    receive {t3, R, process, P, bye} -> io:format("spawn_opt tag: ok~n") end,
    {P2, R2} = spawn_opt(?MODULE, work, [7], [{priority, low}, {monitor, []}]),
    receive {'DOWN', R2, process, P2, normal} -> io:format("spawn_opt monitor []: ok~n") end,
    {P3, R3} = spawn_opt(fun() -> receive {go, A} -> A ! hi end end,
                         [{monitor, [{alias, explicit_unalias}, {tag, t5}]}]),
    P3 ! {go, R3},
    receive hi -> io:format("spawn_opt alias: ok~n") end,
    receive {t5, R3, process, P3, normal} -> io:format("spawn_opt alias down: ok~n") end,
    io:format("unalias: ~p~n", [unalias(R3)]),
    Ref = spawn_request(fun() -> exit(bye2) end, [{monitor, [{tag, t4}]}]),
    P4 = receive {spawn_reply, Ref, ok, Pid4} -> Pid4 end,
    receive {t4, Ref, process, P4, bye2} -> io:format("spawn_request tag: ok~n") end,
    Ref2 = spawn_request(?MODULE, work, [1], [{reply_tag, rt}, {monitor, [{tag, mt}]}]),
    P5 = receive {rt, Ref2, ok, Pid5} -> Pid5 end,
    receive {mt, Ref2, process, P5, normal} -> io:format("spawn_request reply_tag: ok~n") end.

work(N) -> N * 2.

errors() ->
    Self = self(),
    show(fun() -> erlang:monitor(process, Self, [{tag}]) end),
    show(fun() -> erlang:monitor(process, Self, [foo]) end),
    show(fun() -> erlang:monitor(process, Self, [{alias, bad}]) end),
    show(fun() -> erlang:monitor(process, Self, x) end),
    show(fun() -> erlang:monitor(process, Self, [{tag, 1} | x]) end),
    show(fun() -> erlang:monitor(foo, Self, []) end),
    show(fun() -> erlang:monitor(foo, Self) end),
    show(fun() -> erlang:monitor(foo, 1, [foo]) end),
    show(fun() -> erlang:monitor(process, 1, []) end),
    show(fun() -> erlang:monitor(port, Self) end),
    show(fun() -> erlang:monitor(process, {a, b, c}) end),
    F = fun() -> ok end,
    show(fun() -> spawn_opt(F, [{monitor, [{tag}]}]) end),
    show(fun() -> spawn_opt(F, [{monitor, x}]) end),
    show(fun() -> spawn_opt(F, [{monitor, [{alias, x}]}]) end),
    show(fun() -> spawn_opt(F, [{priority, x}]) end),
    show(fun() -> spawn_opt(F, [bad]) end),
    show(fun() -> spawn_opt(?MODULE, work, [1], [bad]) end),
    show(fun() -> spawn_opt(?MODULE, work, x, [bad]) end),
    show(fun() -> spawn_opt(?MODULE, work, x, []) end),
    show(fun() -> spawn_request(node(), ?MODULE, work, 7, x) end),
    show(fun() -> spawn_request(node(), ?MODULE, work, 7, [bad]) end),
    show(fun() -> spawn_request(node(), ?MODULE, "work", [], x) end),
    show(fun() -> spawn_request(?MODULE, work, [], x) end),
    show(fun() -> spawn_request(F, x) end),
    [begin
         Ref = spawn_request(F, O),
         receive {spawn_reply, Ref, What, Why} -> io:format("~w: ~p ~p~n", [O, What, Why])
         after 1000 -> io:format("~w: no reply~n", [O])
         end
     end || O <- [[{monitor, [{tag}]}], [{monitor, x}], [{priority, x}], [bad],
                  [{monitor, [{alias, x}]}], [{reply, maybe}]]],
    [begin
         Ref = spawn_request(node(), ?MODULE, work, A, O),
         receive {spawn_reply, Ref, What, Why} -> io:format("~w ~w: ~p ~p~n", [A, O, What, Why])
         after 100 -> io:format("~w ~w: no reply~n", [A, O])
         end
     end || {A, O} <- [{[1], [{reply, no}, bad]}, {[1], [bad, {reply, success_only}]},
                       {[1], [{reply, error_only}, bad]}, {[1], [{reply, no}]},
                       {[1], [{reply, error_only}]}]],
    ok.

show(F) ->
    try F() of
        V -> io:format("ok ~p~n", [is_reference(V)])
    catch
        C:E:St ->
            [{M, Fn, Args, Info} | _] = St,
            io:format("~p:~p in ~p:~p/~p ~p~n", [C, E, M, Fn, length(Args), Info])
    end.

erpc_local() ->
    Me = node(),
    io:format("multicall: ~p~n", [erpc:multicall([Me, Me], ?MODULE, work, [21], 5000)]),
    io:format("multicall crash: ~p~n",
              [erpc:multicall([Me], erlang, error, [oops], 5000)]),
    io:format("multicall timeout: ~p~n",
              [erpc:multicall([Me], timer, sleep, [1000], 50)]),
    io:format("call: ~p~n", [erpc:call(Me, ?MODULE, work, [4], 1000)]),
    io:format("flushed: ~p~n", [flush()]).

flush() ->
    receive M -> [M | flush()] after 0 -> [] end.

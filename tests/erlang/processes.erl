%% Processes (issue 5): spawn_opt, process_info, timers, exit signal rules, the registry,
%% priorities. Output is deterministic: pids are never printed, only compared.
-module(processes).
-export([main/0, waiter/0, echo_loop/0, woken/1]).

%% The reason of a caught exception (stack traces would show pids).
-define(R(Expr), r(catch Expr)).

r({'EXIT', {Reason, [_ | _]}}) -> {'EXIT', Reason};
r(Other) -> Other.

main() ->
    spawn_options(),
    info(),
    timers(),
    exits(),
    exit_signals(),
    registry(),
    priorities(),
    chains(),
    heap_limits(),
    hibernation(),
    stats(),
    mutual_info(),
    ok.

%% erlang:exit_signal/2 is exit/2 except to the caller itself: there it is an ordinary
%% signal, handled when the caller next looks at its signals (exit/2 acts at once).
exit_signals() ->
    S = self(),
    W = fun(F) ->
                {P, R} = spawn_monitor(fun() -> F(), S ! {self(), after_call},
                                                timer_sleep(20), S ! {self(), after_sleep} end),
                io:format("exit_signal ~p~n", [collect_until_down(P, R)])
        end,
    W(fun() -> erlang:exit_signal(self(), normal) end),
    W(fun() -> erlang:exit_signal(self(), foo) end),
    W(fun() -> erlang:exit_signal(self(), kill) end),
    W(fun() -> process_flag(trap_exit, true), erlang:exit_signal(self(), kill) end),
    W(fun() -> process_flag(trap_exit, true), erlang:exit_signal(self(), foo),
               receive M -> S ! {self(), element(3, M)} end end),
    W(fun() -> exit(self(), normal) end),
    W(fun() -> erlang:exit_signal(spawn(fun() -> ok end), foo) end),
    io:format("exit_signal ~p~n", [?R(erlang:exit_signal(foo, x))]).

collect_until_down(P, R) ->
    receive
        {P, X} -> [X | collect_until_down(P, R)];
        {'DOWN', R, _, _, Why} -> [{down, Why}]
    end.

%% Two busy processes reading each other's process_info (with two scheduler threads both
%% run at once: neither may wait for the other forever).
mutual_info() ->
    Self = self(),
    Peer = fun() -> receive {peer, P} -> inspect(P, 5000), Self ! done end end,
    A = spawn(Peer),
    B = spawn(Peer),
    A ! {peer, B},
    B ! {peer, A},
    receive done -> ok end,
    receive done -> ok end,
    io:format("mutual process_info done~n").

inspect(_, 0) -> ok;
inspect(P, N) ->
    _ = process_info(P, reductions),
    inspect(P, N - 1).

stats() ->
    {R, _} = statistics(reductions),
    {R2, Since} = statistics(reductions),
    io:format("stats ~p ~p ~p ~p~n",
              [R > 0 andalso R2 >= R andalso Since >= 0, is_integer(statistics(run_queue)),
               lists:all(fun is_integer/1, statistics(run_queue_lengths)),
               element(1, statistics(context_switches)) > 0]).

heap_limits() ->
    io:format("max_heap old ~p~n", [process_flag(max_heap_size, 1000000)]),
    io:format("max_heap now ~p~n", [process_info(self(), max_heap_size)]),
    io:format("max_heap map ~p~n", [process_flag(max_heap_size, #{size => 0, kill => false})]),
    io:format("max_heap bad ~p~n", [?R(process_flag(max_heap_size, #{size => -1}))]),
    io:format("max_heap bad key ~p~n", [?R(process_flag(max_heap_size, #{bogus => 1}))]),
    process_flag(max_heap_size, 0),
    {P, R} = spawn_opt(fun() -> grow([]) end,
                       [monitor, {max_heap_size, #{size => 20000, kill => true, error_logger => false}}]),
    receive {'DOWN', R, process, P, Why} -> io:format("over the limit ~p~n", [Why]) end,
    {P2, R2} = spawn_opt(fun() -> _ = lists:seq(1, 30000), exit(fine) end,
                         [monitor, {max_heap_size, #{size => 20000, kill => false, error_logger => false}}]),
    receive {'DOWN', R2, process, P2, Why2} -> io:format("no kill ~p~n", [Why2]) end.

grow(L) -> grow([L | L]).

hibernation() ->
    Self = self(),
    P = spawn(fun() -> put(k, v), erlang:hibernate(?MODULE, woken, [Self]) end),
    timer_sleep(20),
    io:format("hibernating alive ~p~n", [is_process_alive(P)]),
    P ! wake,
    receive {woken, Msg, Dict} -> io:format("woken ~p ~p~n", [Msg, Dict]) end.

woken(Parent) ->
    receive M -> Parent ! {woken, M, get(k)} end.

waiter() ->
    receive stop -> ok end.

echo_loop() ->
    receive
        {From, M} -> From ! {echo, M}, echo_loop();
        stop -> ok
    end.

spawn_options() ->
    Self = self(),
    {P1, R1} = spawn_opt(?MODULE, waiter, [], [monitor]),
    io:format("monitor ref ~p~n", [is_reference(R1)]),
    P1 ! stop,
    receive {'DOWN', R1, process, P1, Why} -> io:format("down ~p~n", [Why]) end,
    P2 = spawn_opt(?MODULE, waiter, [], [link, {priority, high}, {min_heap_size, 1000}]),
    {links, L} = process_info(self(), links),
    io:format("linked ~p~n", [lists:member(P2, L)]),
    io:format("priority ~p~n", [process_info(P2, priority)]),
    unlink(P2), P2 ! stop,
    io:format("bad opt ~p~n", [?R(spawn_opt(?MODULE, waiter, [], [bogus]))]),
    io:format("bad prio ~p~n", [?R(spawn_opt(?MODULE, waiter, [], [{priority, urgent}]))]),
    {P3, R3} = spawn_monitor(fun() -> exit({done, 7}) end),
    receive {'DOWN', R3, process, P3, R} -> io:format("spawn_monitor ~p~n", [R]) end,
    {P4, R4} = spawn_opt(fun() -> Self ! hi end, [monitor]),
    receive hi -> ok end,
    receive {'DOWN', R4, process, P4, R5} -> io:format("fun spawn_opt ~p~n", [R5]) end.

info() ->
    P = spawn(?MODULE, waiter, []),
    erlang:yield(),
    timer_sleep(20),
    io:format("status ~p~n", [process_info(P, status)]),
    io:format("initial ~p~n", [process_info(P, initial_call)]),
    io:format("current ~p~n", [process_info(P, current_function)]),
    io:format("own current ~p~n", [process_info(self(), current_function)]),
    io:format("own status ~p~n", [process_info(self(), status)]),
    P ! hello1, P ! hello2,
    timer_sleep(10),
    io:format("queue ~p~n", [process_info(P, message_queue_len)]),
    put(color, blue),
    {dictionary, D} = process_info(self(), dictionary),
    io:format("dict ~p~n", [lists:keyfind(color, 1, D)]),
    io:format("trap ~p~n", [process_info(self(), trap_exit)]),
    io:format("unnamed ~p~n", [process_info(P, registered_name)]),
    register(info_target, P),
    io:format("named ~p~n", [process_info(P, registered_name)]),
    io:format("list ~p~n", [process_info(P, [registered_name, priority, trap_exit])]),
    Ref = monitor(process, P),
    {monitors, Ms} = process_info(self(), monitors),
    io:format("monitors ~p~n", [Ms =:= [{process, P}]]),
    {monitored_by, By} = process_info(P, monitored_by),
    io:format("monitored_by ~p~n", [By =:= [self()]]),
    All = process_info(P),
    io:format("info/1 keys ~p~n", [[K || {K, _} <- All]]),
    io:format("bad item ~p~n", [?R(process_info(P, bogus))]),
    io:format("bad pid ~p~n", [?R(process_info(self, status))]),
    exit(P, kill),
    receive {'DOWN', Ref, process, P, killed} -> ok end,
    io:format("dead info ~p ~p~n", [process_info(P, status), process_info(P)]),
    {reductions, N} = process_info(self(), reductions),
    io:format("reductions positive ~p~n", [N > 0]).

timer_sleep(Ms) -> receive after Ms -> ok end.

timers() ->
    T1 = erlang:start_timer(30, self(), ping),
    Left = erlang:read_timer(T1),
    io:format("read_timer ~p~n", [is_integer(Left) andalso Left =< 30]),
    receive {timeout, T1, ping} -> io:format("start_timer fired~n") end,
    io:format("read expired ~p~n", [erlang:read_timer(T1)]),
    T2 = erlang:send_after(5000, self(), never),
    C = erlang:cancel_timer(T2),
    io:format("cancel ~p~n", [is_integer(C) andalso C > 4000]),
    io:format("cancel again ~p~n", [erlang:cancel_timer(T2)]),
    T3 = erlang:send_after(5000, self(), never),
    io:format("cancel async ~p~n", [erlang:cancel_timer(T3, [{async, true}, {info, true}])]),
    receive {cancel_timer, T3, Ms} -> io:format("async info ~p~n", [is_integer(Ms)]) end,
    io:format("cancel noinfo ~p~n", [erlang:cancel_timer(make_ref(), [{info, false}])]),
    Now = erlang:monotonic_time(millisecond),
    _ = erlang:send_after(Now + 10, self(), absolute, [{abs, true}]),
    receive absolute -> io:format("abs fired~n") end,
    register(timer_target, self()),
    _ = erlang:send_after(5, timer_target, by_name),
    receive by_name -> io:format("named timer fired~n") end,
    unregister(timer_target),
    io:format("bad time ~p~n", [?R(erlang:send_after(-1, self(), x))]),
    io:format("bad dest ~p~n", [?R(erlang:send_after(1, "x", x))]),
    io:format("read non-timer ~p~n", [erlang:read_timer(make_ref())]),
    io:format("read badarg ~p~n", [?R(erlang:read_timer(x))]),
    %% A spawned BIF runs (through erlang:apply/3, as in OTP); timer:apply_after uses that.
    Self = self(),
    _ = spawn(erlang, send, [Self, from_bif]),
    receive from_bif -> io:format("spawned BIF ran~n") end,
    {ok, _} = timer:apply_after(5, erlang, send, [Self, applied]),
    receive applied -> io:format("apply_after fired~n") end.

exits() ->
    process_flag(trap_exit, true),
    P1 = spawn_link(fun() -> exit(normal) end),
    receive {'EXIT', P1, R1} -> io:format("exit normal ~p~n", [R1]) end,
    P2 = spawn_link(fun() -> receive after infinity -> ok end end),
    exit(P2, kill),
    receive {'EXIT', P2, R2} -> io:format("killed ~p~n", [R2]) end,
    P3 = spawn(fun() -> process_flag(trap_exit, true), receive {'EXIT', _, W} -> exit({got, W}) end end),
    Ref3 = monitor(process, P3),
    timer_sleep(10),
    exit(P3, boom),
    receive {'DOWN', Ref3, process, P3, R3} -> io:format("trapped then exit ~p~n", [R3]) end,
    P4 = spawn(fun() -> receive after infinity -> ok end end),
    exit(P4, normal),
    io:format("normal ignored ~p~n", [is_process_alive(P4)]),
    exit(P4, kill),
    io:format("alive after kill ~p~n", [is_process_alive(P4)]),
    io:format("link dead ~p~n", [?R(link(P4))]),
    receive {'EXIT', P4, R4} -> io:format("link to dead ~p~n", [R4]) end,
    process_flag(trap_exit, false),
    io:format("link dead untrapped ~p~n", [?R(link(P4))]),
    Ref5 = monitor(process, P4),
    receive {'DOWN', Ref5, process, P4, R5} -> io:format("monitor dead ~p~n", [R5]) end,
    Ref6 = monitor(process, no_such_name),
    receive {'DOWN', Ref6, process, D6, R6} -> io:format("monitor name ~p ~p~n", [D6, R6]) end,
    P7 = spawn(?MODULE, waiter, []),
    Ref7 = monitor(process, P7),
    io:format("demonitor ~p~n", [demonitor(Ref7, [info])]),
    io:format("demonitor again ~p~n", [demonitor(Ref7, [info])]),
    P7 ! stop,
    timer_sleep(10),
    receive {'DOWN', Ref7, _, _, _} -> io:format("unexpected DOWN~n") after 0 -> io:format("no DOWN after demonitor~n") end,
    P8 = spawn(fun() -> receive after infinity -> ok end end),
    Ref8 = monitor(process, P8),
    exit(P8, kill),
    receive {'DOWN', Ref8, _, _, _} -> ok end,
    io:format("flush ~p~n", [demonitor(Ref8, [flush])]),
    receive {'DOWN', Ref8, _, _, _} -> io:format("flush failed~n") after 0 -> io:format("flushed~n") end.

registry() ->
    P = spawn(?MODULE, echo_loop, []),
    true = register(echo, P),
    echo ! {self(), 42},
    receive {echo, M} -> io:format("echo ~p~n", [M]) end,
    io:format("twice ~p~n", [?R(register(echo, self()))]),
    io:format("second name ~p~n", [?R(register(echo2, P))]),
    io:format("undefined ~p~n", [?R(register(undefined, self()))]),
    io:format("unknown send ~p~n", [?R(nobody ! hi)]),
    io:format("whereis ~p~n", [whereis(echo) =:= P]),
    io:format("registered ~p~n", [lists:member(echo, registered())]),
    Ref = monitor(process, echo),
    echo ! stop,
    receive {'DOWN', Ref, process, Who, normal} -> io:format("down by name ~p~n", [Who]) end,
    io:format("gone ~p~n", [whereis(echo)]),
    io:format("unregister ~p~n", [?R(unregister(echo))]).

priorities() ->
    io:format("old prio ~p~n", [process_flag(priority, low)]),
    io:format("now ~p~n", [process_info(self(), priority)]),
    process_flag(priority, max),
    io:format("max ~p~n", [process_info(self(), priority)]),
    process_flag(priority, normal),
    io:format("bad ~p~n", [?R(process_flag(priority, top))]),
    Self = self(),
    %% A busy low-priority process does not starve normal ones.
    Low = spawn_opt(fun() -> spin(Self, 0) end, [{priority, low}]),
    N = spawn(fun() -> Self ! {normal_done, lists:sum(lists:seq(1, 10000))} end),
    receive {normal_done, S} -> io:format("normal ran ~p~n", [S]) end,
    exit(Low, kill),
    _ = N.

spin(Parent, N) -> spin(Parent, N + 1).

chains() ->
    process_flag(trap_exit, true),
    Self = self(),
    Last = lists:foldl(fun(_, Prev) ->
                               spawn(fun() -> link(Prev), Self ! linked, receive after infinity -> ok end end)
                       end, Self, lists:seq(1, 10)),
    [receive linked -> ok end || _ <- lists:seq(1, 10)],
    exit(Last, chain_reason),
    receive {'EXIT', _, R} -> io:format("chain ~p~n", [R]) end,
    process_flag(trap_exit, false).

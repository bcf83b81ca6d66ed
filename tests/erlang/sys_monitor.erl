-module(sys_monitor).
%% erlang:system_monitor/0,1,2 (settings, large_heap reports, the monitor's exit),
%% erlang:trace_delivered/1, and the DTrace tag BIFs of an emulator without probes.
-export([main/0]).

t(F) -> try F() catch C:E -> {C, E} end.

show(X) -> io:format("~p~n", [X]).

%% The settings with the monitor's pid replaced, so the output does not vary.
settings({Pid, Opts}) when is_pid(Pid) -> {Pid =:= self(), Opts};
settings(Other) -> Other.

set(Opts) -> settings(t(fun() -> erlang:system_monitor(self(), Opts) end)).

main() ->
    show(settings(erlang:system_monitor())),
    show(set([busy_port, {large_heap, 100}, {long_gc, 5}])),
    show(settings(erlang:system_monitor())),
    show(set([{long_schedule, 10}, busy_dist_port, busy_port])),
    show(settings(erlang:system_monitor())),
    [show({O, set(O), settings(erlang:system_monitor())})
     || O <- [[{large_heap, 1}], [{large_heap, 16385}], [{large_heap, 1 bsl 58}],
              [{long_gc, 0}], [{long_schedule, 0}], [{long_gc, 5}, {long_gc, 7}],
              [busy_port, busy_port],
              [{long_gc, x}], [{long_gc, -1}], [{large_heap, 1 bsl 70}], [foo],
              [{busy_port, true}], [busy_port | x], x]],
    show(t(fun() -> erlang:system_monitor(list_to_pid("<0.9999.0>"), [busy_port]) end)),
    show(t(fun() -> erlang:system_monitor(foo) end)),
    show(t(fun() -> erlang:system_monitor({self(), x}) end)),
    show(t(fun() -> erlang:system_monitor({self()}) end)),
    show(settings(erlang:system_monitor({self(), [{large_heap, 20000}]}))),
    show(settings(erlang:system_monitor())),
    show(set([])),
    show(settings(erlang:system_monitor())),
    %% A large heap after a collection: {monitor, Pid, large_heap, Info}.
    erlang:system_monitor(self(), [{large_heap, 100000}]),
    P = spawn(fun() -> L = lists:seq(1, 100000), receive stop -> length(L) end end),
    receive
        {monitor, P, large_heap, Info} -> show({large_heap, [K || {K, _} <- Info]})
    after 5000 -> show(no_large_heap_report)
    end,
    show(settings(erlang:system_monitor(undefined))),
    show(erlang:system_monitor(undefined)),
    exit(P, kill),
    %% The monitor's exit ends monitoring.
    M = spawn(fun() -> receive _ -> ok end end),
    erlang:system_monitor(M, [busy_port]),
    show(erlang:system_monitor() =:= {M, [busy_port]}),
    Ref = monitor(process, M),
    exit(M, kill),
    receive {'DOWN', Ref, _, _, _} -> ok end,
    show(erlang:system_monitor()),
    flush(),
    %% trace_delivered/1.
    R1 = erlang:trace_delivered(self()),
    show(receive X1 -> X1 =:= {trace_delivered, self(), R1} after 1000 -> timeout end),
    R2 = erlang:trace_delivered(all),
    show(receive X2 -> X2 =:= {trace_delivered, all, R2} after 1000 -> timeout end),
    show(is_reference(erlang:trace_delivered(list_to_pid("<0.9999.0>")))),
    flush(),
    show(t(fun() -> erlang:trace_delivered(foo) end)),
    %% Tracing then trace_delivered: every trace message is there before the reply.
    Tracer = self(),
    W = spawn(fun() -> receive go -> ok end, receive stop -> ok end end),
    erlang:trace(W, true, ['receive', {tracer, Tracer}]),
    W ! go,
    R3 = erlang:trace_delivered(W),
    show(receive {trace_delivered, W, R3} -> none after 1000 -> timeout end),
    flush(),
    W ! stop,
    %% DTrace tags: without probes there is no tag, and vm tag data passes through.
    show([erlang:dt_get_tag(), erlang:dt_get_tag_data(), erlang:dt_put_tag(<<"a">>),
          erlang:dt_get_tag(), erlang:dt_put_tag(foo), erlang:dt_prepend_vm_tag_data(<<"p">>),
          erlang:dt_append_vm_tag_data(foo), erlang:dt_spread_tag(true),
          erlang:dt_restore_tag(true)]),
    show([t(fun() -> erlang:dt_restore_tag(X) end) || X <- [false, undefined, x, {a, b}]]),
    show(t(fun() -> erlang:dt_spread_tag(x) end)),
    ok.

flush() -> receive _ -> flush() after 0 -> ok end.

%% Scheduler stress: work handed between scheduler threads in every way the
%% scheduler has (a process's own run queue, stealing, waking a sleeping
%% thread, a timer waking a process while every other one waits), many times
%% over. A lost wake-up shows as a stall, a wrong "nothing can run any more"
%% as a hang (the harness times out), a message lost or duplicated between
%% threads as a wrong count. Run with +S 1, +S 2 and on aarch64 under qemu
%% (scripts/cross-test), where loads and stores are reordered as x86-64 never
%% does.
-module(sched_stress).
-export([main/0]).

main() ->
    io:format("ping-pong ~p~n", [ping_pong(8, 300)]),
    io:format("fan-in ~p~n", [fan_in(400)]),
    io:format("ring ~p~n", [ring(50, 20)]),
    io:format("timer relay ~p~n", [timer_relay(40)]),
    io:format("bursts ~p~n", [bursts(15, 30)]),
    io:format("exits ~p~n", [exits(100)]),
    ok.

%% Pairs bouncing a counter: each hop wakes a waiting process, often on the
%% other thread.
ping_pong(Pairs, Hops) ->
    Self = self(),
    [spawn(fun() -> pair(Self, Hops) end) || _ <- lists:seq(1, Pairs)],
    lists:sum([receive {pair_done, N} -> N end || _ <- lists:seq(1, Pairs)]).

pair(Parent, Hops) ->
    Pong = spawn(fun pong/0),
    Pong ! {self(), 0},
    Parent ! {pair_done, ping(Pong, Hops)}.

ping(Pong, 0) ->
    Pong ! stop,
    0;
ping(Pong, Left) ->
    receive
        {Pong, N} ->
            Pong ! {self(), N + 1},
            1 + ping(Pong, Left - 1)
    end.

pong() ->
    receive
        {From, N} -> From ! {self(), N + 1}, pong();
        stop -> ok
    end.

%% Many short processes made runnable at once: queued locally, then stolen.
fan_in(N) ->
    Self = self(),
    [spawn(fun() -> Self ! {sq, I * I} end) || I <- lists:seq(1, N)],
    lists:sum([receive {sq, S} -> S end || _ <- lists:seq(1, N)]).

%% A token around a chain of processes ending at the caller, lap after lap.
ring(Size, Laps) ->
    Self = self(),
    First = lists:foldl(fun(_, Next) -> spawn(fun() -> relay(Next) end) end, Self, lists:seq(1, Size)),
    Count = lists:foldl(fun(_, C) -> First ! {token, C}, receive {token, C2} -> C2 end end, 0, lists:seq(1, Laps)),
    First ! stop,
    Count.

relay(Next) ->
    receive
        {token, C} -> Next ! {token, C + 1}, relay(Next);
        stop -> Next ! stop
    end.

%% Every process waits on a timer in turn: the schedulers go idle with only a
%% timer pending, which must wake them (and not end the VM).
timer_relay(N) ->
    Self = self(),
    spawn(fun() -> timed(Self, N, 0) end),
    receive {timed_done, Steps} -> Steps end.

timed(Parent, 0, Steps) ->
    Parent ! {timed_done, Steps};
timed(Parent, N, Steps) ->
    receive never -> ok after 1 -> ok end,
    Me = self(),
    spawn(fun() -> timed_child(Me) end),
    receive {child, X} -> ok end,
    timed(Parent, N - 1 + X, Steps + 1).

timed_child(Parent) ->
    erlang:send_after(1, Parent, {child, 0}).

%% Bursts of work separated by idle gaps: threads sleep, then are woken by
%% work queued from the other one.
bursts(Rounds, Width) ->
    Self = self(),
    lists:sum([begin
                   receive after 2 -> ok end,
                   [spawn(fun() -> Self ! {b, lists:sum(lists:seq(1, I))} end) || I <- lists:seq(1, Width)],
                   lists:sum([receive {b, S} -> S end || _ <- lists:seq(1, Width)])
               end || _ <- lists:seq(1, Rounds)]).

%% Exit signals and DOWN messages crossing threads.
exits(N) ->
    process_flag(trap_exit, true),
    Linked = [spawn_link(fun() -> exit({bye, I}) end) || I <- lists:seq(1, N)],
    Reasons = [receive {'EXIT', P, {bye, I}} -> I end || P <- Linked],
    Mons = [spawn_monitor(fun() -> receive go -> exit(I) end end) || I <- lists:seq(1, N)],
    [P ! go || {P, _} <- Mons],
    Downs = [receive {'DOWN', R, process, P, I} -> I end || {P, R} <- Mons],
    process_flag(trap_exit, false),
    {lists:sum(Reasons), lists:sum(Downs)}.

%% Processes: spawning short-lived processes that each compute a little, send the result
%% back to their parent and exit, in batches; plus spawn_monitor and the 'DOWN' message.
-module(spawn).
-export([main/0, main/1]).

main() -> main([full]).

main([Size]) ->
    bench_harness:measure(spawn, fun(S) -> run(params(S)) end, Size).

params(quick) -> {100, 5};
params(full) -> {1000, 350}.

run({Batch, Rounds}) -> run(Batch, Rounds, 0).

run(_, 0, Acc) -> Acc;
run(Batch, R, Acc) ->
    Parent = self(),
    Pids = [spawn(fun() -> Parent ! {self(), I * I + R} end) || I <- lists:seq(1, Batch)],
    Sum = collect(Pids, 0),
    {Pid, Ref} = spawn_monitor(fun() -> exit({done, R}) end),
    Down = receive
               {'DOWN', Ref, process, Pid, {done, X}} -> X
           end,
    run(Batch, R - 1, (Acc + Sum + Down) rem 1000000007).

%% Receive the replies in spawn order (each receive finds its message quickly, since
%% replies mostly arrive in order).
collect([], Acc) -> Acc;
collect([Pid | Pids], Acc) ->
    receive
        {Pid, V} -> collect(Pids, Acc + V)
    end.


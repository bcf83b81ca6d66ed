%% SMP scaling: a fixed amount of CPU-bound work (integer recursion plus list building)
%% cut into 32 independent jobs, all spawned at once, results gathered in order. The
%% work and the checksum do not depend on the number of schedulers, so comparing runs
%% with different scheduler counts (the runner's erl-s1 entry) shows the scaling.
-module(parallel).
-export([main/0, main/1]).

-define(JOBS, 32).

main() -> main([full]).

main([Size]) ->
    bench_harness:measure(parallel, fun(S) -> run(n(S)) end, Size).

n(quick) -> 14;
n(full) -> 33.

run(N) ->
    Parent = self(),
    Pids = [spawn(fun() -> Parent ! {self(), job(J, N)} end) || J <- lists:seq(1, ?JOBS)],
    lists:foldl(fun(Pid, Acc) ->
                        receive {Pid, V} -> (Acc * 31 + V) rem 1000000007 end
                end, 0, Pids).

job(J, N) ->
    F = fib(N - J rem 3),
    L = lists:foldl(fun(X, A) -> (A + X * J) rem 65521 end, 0, lists:seq(1, 1000 * N)),
    F + L.

fib(N) when N < 2 -> N;
fib(N) -> fib(N - 1) + fib(N - 2).


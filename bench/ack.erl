%% Integer recursion: the Ackermann function A(3, N) (deep non-tail recursion: the stack
%% grows to about 2^(N+3) frames), repeated.
-module(ack).
-export([main/0, main/1]).

main() -> main([full]).

main([Size]) ->
    bench_harness:measure(ack, fun(S) -> {N, Reps} = params(S), run(N, Reps) end, Size).

params(quick) -> {5, 2};
params(full) -> {10, 7}.

run(N, Reps) -> run(N, Reps, 0).

run(_, 0, Acc) -> Acc;
run(N, K, Acc) -> run(N, K - 1, Acc + ack(3, N)).

ack(0, N) -> N + 1;
ack(M, 0) -> ack(M - 1, 1);
ack(M, N) -> ack(M - 1, ack(M, N - 1)).


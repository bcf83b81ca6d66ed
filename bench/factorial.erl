%% Bignums: factorials by repeated multiplication (bignum x small), a product tree
%% (bignum x bignum), then conversion of the result to decimal and a remainder.
-module(factorial).
-export([main/0, main/1]).

main() -> main([full]).

main([Size]) ->
    bench_harness:measure(factorial, fun(S) -> run(params(S)) end, Size).

params(quick) -> {300, 2};
params(full) -> {5000, 22}.

run({N, Reps}) -> run(N, Reps, 0).

run(_, 0, Acc) -> Acc;
run(N, K, Acc) ->
    M = N + K,
    F1 = linear(M, 1),
    F2 = tree(1, M),
    F1 = F2,
    Digits = length(integer_to_list(F1)),
    run(N, K - 1, (Acc * 31 + Digits * 1000003 + F1 rem 1000000007) rem 1000000007).

linear(0, Acc) -> Acc;
linear(N, Acc) -> linear(N - 1, Acc * N).

%% Product of Lo..Hi by splitting the range in halves.
tree(Lo, Hi) when Lo >= Hi -> Lo;
tree(Lo, Hi) when Hi - Lo =:= 1 -> Lo * Hi;
tree(Lo, Hi) ->
    Mid = (Lo + Hi) div 2,
    tree(Lo, Mid) * tree(Mid + 1, Hi).


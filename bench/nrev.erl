%% Lists: naive reverse (quadratic append) of a 30-element list, many times: list
%% construction, head/tail matching and non-tail recursion with a short-lived heap.
-module(nrev).
-export([main/0, main/1]).

main() -> main([full]).

main([Size]) ->
    bench_harness:measure(nrev, fun(S) -> run(reps(S)) end, Size).

reps(quick) -> 2000;
reps(full) -> 400000.

run(Reps) -> run(Reps, lists:seq(1, 30), 0).

run(0, _, Acc) -> Acc;
run(K, L, Acc) ->
    [H | _] = nrev(L),
    run(K - 1, L, (Acc + H * K) rem 1000000007).

nrev([]) -> [];
nrev([H | T]) -> app(nrev(T), [H]).

app([], L) -> L;
app([H | T], L) -> [H | app(T, L)].


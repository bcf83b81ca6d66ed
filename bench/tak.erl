%% Integer recursion: the Takeuchi function (three-argument calls, comparisons,
%% deeply nested argument evaluation), repeated over a few argument triples.
-module(tak).
-export([main/0, main/1]).

main() -> main([full]).

main([Size]) ->
    bench_harness:measure(tak, fun(S) -> run(reps(S)) end, Size).

reps(quick) -> 2;
reps(full) -> 600.

run(Reps) -> run(Reps, 0).

run(0, Acc) -> Acc;
run(K, Acc) ->
    run(K - 1, Acc + tak(18, 12, 6) + tak(18 + K rem 3, 10, 4)).

tak(X, Y, Z) when Y < X ->
    tak(tak(X - 1, Y, Z), tak(Y - 1, Z, X), tak(Z - 1, X, Y));
tak(_, _, Z) ->
    Z.


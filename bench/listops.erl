%% Lists: higher-order list functions from OTP's lists module (map, foldl, filter,
%% zip, seq, flatmap) and list comprehensions with filters and multiple generators.
-module(listops).
-export([main/0, main/1]).

main() -> main([full]).

main([Size]) ->
    bench_harness:measure(listops, fun(S) -> run(params(S)) end, Size).

params(quick) -> {1000, 2};
params(full) -> {10000, 500}.

run({N, Reps}) -> run(N, Reps, 0).

run(_, 0, Acc) -> Acc;
run(N, K, Acc) ->
    L = lists:seq(K, N + K),
    Sq = lists:map(fun(X) -> X * X end, L),
    Odd = lists:filter(fun(X) -> X band 1 =:= 1 end, Sq),
    Sum = lists:foldl(fun(X, A) -> (A + X) rem 1000000007 end, 0, Odd),
    Pairs = lists:zip(L, Sq),
    Diff = lists:foldl(fun({X, Y}, A) -> A + (Y - X) rem 97 end, 0, Pairs),
    Comp = [X * Y || X <- lists:sublist(L, 100), Y <- lists:sublist(L, 100), (X + Y) rem 3 =:= 0],
    Flat = lists:flatmap(fun(X) -> [X, X + 1] end, lists:sublist(L, 1000)),
    Len = length(Comp) + length(Flat),
    Tot = lists:sum(Comp) rem 1000000007,
    run(N, K - 1, (Acc * 7 + Sum + Diff + Len + Tot) rem 1000000007).


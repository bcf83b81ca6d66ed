%% Lists: sorting pseudo-random integer lists with OTP's lists:sort/1 and lists:usort/1
%% and with a hand-written quicksort and merge sort. The checksum folds the sorted lists.
-module(sort).
-export([main/0, main/1]).

main() -> main([full]).

main([Size]) ->
    bench_harness:measure(sort, fun(S) -> run(params(S)) end, Size).

params(quick) -> {1000, 2};
params(full) -> {20000, 24}.

run({N, Reps}) -> run(N, Reps, 0).

run(_, 0, Acc) -> Acc;
run(N, K, Acc) ->
    L = random_list(N, K, []),
    S1 = lists:sort(L),
    S2 = qsort(L),
    S3 = msort(L),
    S1 = S2,
    S1 = S3,
    U = lists:usort(L),
    run(N, K - 1, hash(U, hash(S1, Acc))).

%% A linear congruential generator, so that both VMs sort the same lists.
random_list(0, _, Acc) -> Acc;
random_list(N, Seed, Acc) ->
    X = (Seed * 1103515245 + 12345) rem 2147483648,
    random_list(N - 1, X, [X rem 100000 | Acc]).

qsort([]) -> [];
qsort([P | Xs]) ->
    qsort([X || X <- Xs, X < P]) ++ [P | qsort([X || X <- Xs, X >= P])].

msort([]) -> [];
msort([X]) -> [X];
msort(L) ->
    {A, B} = split(L, [], []),
    merge(msort(A), msort(B)).

split([], A, B) -> {A, B};
split([X | Xs], A, B) -> split(Xs, B, [X | A]).

merge([], B) -> B;
merge(A, []) -> A;
merge([X | Xs] = A, [Y | Ys] = B) ->
    if
        X =< Y -> [X | merge(Xs, B)];
        true -> [Y | merge(A, Ys)]
    end.

hash([], H) -> H;
hash([X | Xs], H) -> hash(Xs, (H * 31 + X) rem 1000000007).


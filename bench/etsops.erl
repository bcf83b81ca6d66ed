%% ETS: a set and an ordered_set table: inserts, lookups, update_counter, member,
%% deletes, next-key traversal of the ordered set and a match_object/select.
-module(etsops).
-export([main/0, main/1]).

main() -> main([full]).

main([Size]) ->
    bench_harness:measure(etsops, fun(S) -> run(params(S)) end, Size).

params(quick) -> {1000, 2};
params(full) -> {50000, 11}.

run({N, Reps}) -> run(N, Reps, 0).

run(_, 0, Acc) -> Acc;
run(N, K, Acc) ->
    Set = ets:new(bench_set, [set]),
    Ord = ets:new(bench_ord, [ordered_set]),
    insert(N, K, Set, Ord),
    L = lookup(N, Set, 0),
    bump(N, Set),
    C = lists:sum([element(3, hd(ets:lookup(Set, I))) || I <- lists:seq(1, N, 97)]),
    delete(N, Set),
    Size = ets:info(Set, size),
    Walk = walk(ets:first(Ord), Ord, 0),
    Sel = length(ets:select(Ord, [{{'$1', '$2'}, [{'<', '$1', 1000}], ['$2']}])),
    ets:delete(Set),
    ets:delete(Ord),
    run(N, K - 1, (Acc * 31 + L + C + Size + Walk + Sel) rem 1000000007).

insert(0, _, _, _) -> ok;
insert(I, K, Set, Ord) ->
    true = ets:insert(Set, {I, {val, I * K}, 0}),
    true = ets:insert(Ord, {(I * 7919) rem 1000003, I}),
    insert(I - 1, K, Set, Ord).

lookup(0, _, Acc) -> Acc;
lookup(I, Set, Acc) ->
    [{I, {val, V}, _}] = ets:lookup(Set, I),
    Hit = case ets:member(Set, I * 3) of true -> 1; false -> 0 end,
    lookup(I - 1, Set, (Acc + V + Hit) rem 1000000007).

bump(0, _) -> ok;
bump(I, Set) ->
    _ = ets:update_counter(Set, I, {3, I rem 5}),
    bump(I - 1, Set).

delete(0, _) -> ok;
delete(I, Set) when I rem 2 =:= 0 -> ets:delete(Set, I), delete(I - 1, Set);
delete(I, Set) -> delete(I - 1, Set).

walk('$end_of_table', _, Acc) -> Acc;
walk(Key, Ord, Acc) -> walk(ets:next(Ord, Key), Ord, (Acc * 3 + Key) rem 1000000007).


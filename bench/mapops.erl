%% Maps: building maps with integer and tuple keys (past the 32-key flat-map limit into
%% hash maps), lookups by pattern matching and maps:get/find, updates with :=,
%% maps:fold/update_with, and many small record-like maps.
-module(mapops).
-export([main/0, main/1]).

main() -> main([full]).

main([Size]) ->
    bench_harness:measure(mapops, fun(S) -> run(params(S)) end, Size).

params(quick) -> {500, 2};
params(full) -> {20000, 14}.

run({N, Reps}) -> run(N, Reps, 0).

run(_, 0, Acc) -> Acc;
run(N, K, Acc) ->
    M0 = build(N, K, #{}),
    M1 = update(N, M0),
    Found = lookup(N, M1, 0),
    Folded = maps:fold(fun({_, I}, V, A) -> (A + I * V) rem 1000000007;
                          (I, V, A) -> (A + I + V) rem 1000000007
                       end, 0, M1),
    Small = small(N, 0),
    run(N, K - 1, (Acc * 31 + Found + Folded + Small + map_size(M1)) rem 1000000007).

build(0, _, M) -> M;
build(I, K, M) ->
    build(I - 1, K, M#{I => I * K, {k, I} => I + K}).

update(0, M) -> M;
update(I, M) ->
    #{I := V} = M,
    M1 = M#{I := V + 1},
    M2 = maps:update_with({k, I}, fun(X) -> X * 2 end, M1),
    update(I - 1, M2).

lookup(0, _, Acc) -> Acc;
lookup(I, M, Acc) ->
    A = maps:get(I, M),
    B = case maps:find({k, I + 1}, M) of
            {ok, X} -> X;
            error -> 0
        end,
    lookup(I - 1, M, (Acc + A + B) rem 1000000007).

%% Small maps used like records: create, match, update.
small(0, Acc) -> Acc;
small(I, Acc) ->
    P = #{name => point, x => I, y => I * 2, z => 0},
    #{x := X, y := Y} = P1 = P#{z := X0 = I rem 7},
    small(I - 1, Acc + X + Y + X0 + map_size(P1)).


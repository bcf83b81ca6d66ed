%% Maps of more than 32 keys: OTP keeps them as hash tries, whose order (to_list, keys,
%% values, fold, iterators, printing, term_to_binary) follows its internal term hash.
%% Atom keys are hashed by their atom-table index in OTP, so large maps keyed by atoms are
%% only printed sorted here.
-module(maps_large).
-export([main/0]).

-define(LIT, #{1 => a, 2 => b, 3 => c, 4 => d, 5 => e, 6 => f, 7 => g, 8 => h, 9 => i,
               10 => j, 11 => k, 12 => l, 13 => m, 14 => n, 15 => o, 16 => p, 17 => q,
               18 => r, 19 => s, 20 => t, 21 => u, 22 => v, 23 => w, 24 => x, 25 => y,
               26 => z, 27 => aa, 28 => bb, 29 => cc, 30 => dd, 31 => ee, 32 => ff,
               33 => gg, 34 => hh, <<"bin">> => ii, {"tuple", 1} => jj, [1, 2] => kk,
               1.5 => ll}).

main() ->
    transitions(),
    orders(),
    updates(),
    matching(),
    comparisons(),
    external(),
    nested(),
    atoms(),
    literal(),
    ok.

ints(From, To) -> maps:from_list([{I, I * I} || I <- lists:seq(From, To)]).

show(Label, M) ->
    io:format("~s ~w~n  ~w~n", [Label, map_size(M), M]).

transitions() ->
    M32 = ints(1, 32),
    show(flat32, M32),
    M33 = M32#{33 => 0},
    show(put33, M33),
    show(remove_to_32, maps:remove(7, M33)),
    show(remove_absent, maps:remove(99, M33)),
    show(put_existing, M33#{5 := five}),
    show(from_list_dups, maps:from_list([{I rem 20, I} || I <- lists:seq(1, 40)])),
    show(from_list_33, maps:from_list([{I rem 33, I} || I <- lists:seq(1, 66)])),
    show(from_keys, maps:from_keys(lists:seq(-20, 20), k)),
    Grow = lists:foldl(fun(I, Acc) -> Acc#{I => -I} end, #{}, lists:seq(100, 140)),
    show(grown, Grow),
    Shrink = lists:foldl(fun(I, Acc) -> maps:remove(I, Acc) end, Grow, lists:seq(100, 135)),
    show(shrunk, Shrink),
    Multi = M32#{-1 => 1, -2 => 2, 3 => three},
    show(put_many, Multi).

orders() ->
    M = maps:from_list([{I, I} || I <- lists:seq(-50, 50)]
                       ++ [{1 bsl I, big} || I <- [59, 60, 64, 100]]
                       ++ [{-(1 bsl I), neg} || I <- [59, 60, 64, 100]]
                       ++ [{float(I) / 3, fl} || I <- lists:seq(-5, 5)]
                       ++ [{-0.0, negzero}, {[], nil}, {"abc", str}, {[1 | 2], improper},
                           {<<>>, empty}, {<<1:3>>, bits}, {<<"hello world">>, bin},
                           {{}, tup0}, {{1, {2, 3}}, tup}]),
    io:format("~w~n~w~n~w~n", [maps:keys(M), maps:values(M), maps:to_list(M)]),
    io:format("~w~n", [maps:fold(fun(K, _, A) -> [K | A] end, [], M)]),
    io:format("~w~n", [iter(maps:next(maps:iterator(M)))]),
    %% A flat map's iterator gives every pair at once (a trie's, batches whose size
    %% depends on the reductions left).
    io:format("~w ~w~n", [maps:next(maps:iterator(ints(1, 4))), maps:next(maps:iterator(#{}))]),
    io:format("~w~n", [try maps:to_list([0 | ints(1, 3)]) catch error:R -> R end]),
    io:put_chars(io_lib:format("~p~n", [ints(1, 40)])),
    io:put_chars(io_lib:format("~w~n", [M])),
    io:format("~w~n", [maps:filter(fun(K, _) -> is_integer(K) andalso K > 0 end, M)]),
    io:format("~w~n", [maps:map(fun(K, V) -> {K, V} end, ints(1, 35))]),
    io:format("~w~n", [maps:with(lists:seq(1, 40, 2), M)]),
    io:format("~w~n", [maps:without(lists:seq(-50, 0), M)]),
    io:format("~w~n", [maps:merge(ints(1, 20), ints(15, 50))]),
    io:format("~w~n", [maps:merge(ints(15, 50), ints(1, 20))]),
    io:format("~w~n", [maps:merge(ints(1, 60), #{-1 => y})]),
    io:format("~w~n", [length(maps:values(M))]).

iter(none) -> [];
iter({K, V, I}) -> [{K, V} | iter(maps:next(I))].

updates() ->
    M = ints(1, 100),
    M1 = M#{50 := updated, 101 => new},
    io:format("~w ~w ~w~n", [maps:get(50, M1), maps:get(101, M1), map_size(M1)]),
    io:format("~w~n", [try M#{200 := x} catch error:R1 -> R1 end]),
    io:format("~w~n", [try maps:update(200, x, M) catch error:R2 -> R2 end]),
    io:format("~w~n", [try maps:get(200, M) catch error:R3 -> R3 end]),
    io:format("~w ~w~n", [maps:find(10, M), maps:find(1000, M)]),
    io:format("~w ~w~n", [maps:is_key(77, M), is_map_key(-1, M)]),
    {V, Rest} = maps:take(42, M),
    io:format("~w ~w ~w~n", [V, map_size(Rest), maps:is_key(42, Rest)]),
    io:format("~w~n", [maps:take(4242, M)]),
    U = maps:update_with(3, fun(X) -> X * 1000 end, M),
    io:format("~w~n", [maps:get(3, U)]),
    io:format("~w~n", [maps:update_with(999, fun(X) -> X end, init, M)]),
    All = lists:foldl(fun(I, Acc) -> maps:remove(I, Acc) end, M, lists:seq(1, 100)),
    io:format("~w ~w~n", [All, All =:= #{}]).

matching() ->
    M = maps:from_list([{{k, I}, I} || I <- lists:seq(1, 64)]),
    #{{k, 1} := A, {k, 64} := B} = M,
    io:format("~w ~w~n", [A, B]),
    io:format("~w~n", [case M of #{{k, 65} := _} -> found; #{} -> missing end]),
    io:format("~w~n", [[X || #{{k, 7} := X} <- [M, #{}, ints(1, 40)]]]),
    %% Tuple keys holding atoms: lookups only, no order.
    io:format("~w~n", [lists:sort(maps:to_list(M))]),
    io:format("~w~n", [is_map(M)]).

comparisons() ->
    A = ints(1, 40),
    B = maps:from_list(lists:reverse(maps:to_list(A))),
    C = lists:foldl(fun(I, Acc) -> Acc#{I => I * I} end, #{}, lists:seq(40, 1, -1)),
    io:format("~w ~w ~w ~w~n", [A =:= B, A =:= C, A == C, A =/= A#{1 := 2}]),
    D = A#{40 := 1600.0},
    io:format("~w ~w ~w~n", [A == D, A =:= D, A < D]),
    E = (maps:remove(40, A))#{41 => 1600},
    io:format("~w ~w ~w~n", [A < E, E < A, lists:sort([E, A, D, ints(1, 39), ints(2, 41)])
                                                == [ints(1, 39), A, D, ints(2, 41), E]]),
    io:format("~w~n", [lists:usort([ints(1, 35), ints(0, 34), ints(1, 35)])]),
    io:format("~w ~w~n", [erlang:phash2(A), erlang:phash2(C) =:= erlang:phash2(A)]),
    io:format("~w~n", [erlang:phash2(maps:from_list([{I, {I}} || I <- lists:seq(1, 70)]))]).

external() ->
    M = maps:from_list([{I, <<I>>} || I <- lists:seq(1, 40)] ++ [{{"t", I}, I} || I <- lists:seq(1, 5)]),
    Bin = term_to_binary(M),
    io:format("~w~n", [Bin]),
    io:format("~w~n", [term_to_binary(M, [deterministic])]),
    io:format("~w~n", [binary_to_term(Bin) =:= M]),
    io:format("~w~n", [maps:to_list(binary_to_term(Bin))]),
    io:format("~w~n", [erlang:external_size(M)]).

nested() ->
    Inner = ints(1, 33),
    M = maps:from_list([{Inner, inner}, {ints(1, 3), small}, {#{}, empty}]
                       ++ [{{I, ints(1, I)}, I} || I <- lists:seq(30, 40)]
                       ++ [{I, Inner} || I <- lists:seq(1, 30)]),
    io:format("~w~n", [maps:keys(M)]),
    io:format("~w~n", [maps:get(ints(1, 33), M)]),
    io:format("~w~n", [maps:get({35, ints(1, 35)}, M)]).

atoms() ->
    M = maps:from_list([{list_to_atom("key" ++ integer_to_list(I)), I} || I <- lists:seq(1, 50)]),
    io:format("~w~n", [lists:sort(maps:to_list(M))]),
    io:format("~w ~w~n", [maps:get(key17, M), maps:is_key(key51, M)]),
    io:format("~w~n", [lists:sort(maps:keys(maps:remove(key3, M)))]).

literal() ->
    M = ?LIT,
    io:format("~w~n", [M]),
    io:format("~w~n", [M#{1 := changed, 99 => added}]),
    io:format("~w~n", [maps:get([1, 2], M)]).

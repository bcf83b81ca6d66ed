%% List BIFs and operators, common lists functions, comprehensions (nested,
%% filtered, with patterns), strings as lists, improper lists.
-module(lists_ops).
-export([main/0]).

main() ->
    L = [3, 1, 4, 1, 5, 9, 2, 6],
    io:format("hd tl ~p ~p~n", [hd(L), tl(L)]),
    io:format("length ~p ~p~n", [length(L), length([])]),
    io:format("++ ~p~n", [[1, 2] ++ [3] ++ [] ++ [4, 5]]),
    io:format("++ improper tail ~p~n", [[1, 2] ++ 3]),
    io:format("-- ~p~n", [L -- [1, 9, 7]]),
    io:format("-- dups ~p~n", [[a, b, a, c, a] -- [a, a]]),
    io:format("reverse ~p~n", [lists:reverse(L)]),
    io:format("reverse/2 ~p~n", [lists:reverse([1, 2], [3, 4])]),
    io:format("member ~p~n", [[lists:member(X, L) || X <- [4, 7]]]),
    KV = [{a, 1}, {b, 2}, {c, 3}],
    io:format("keyfind ~p~n", [[lists:keyfind(K, 1, KV) || K <- [b, z]]]),
    io:format("keyfind pos 2 ~p~n", [lists:keyfind(3, 2, KV)]),
    io:format("keystore ~p~n", [lists:keystore(b, 1, KV, {b, 20})]),
    io:format("keydelete ~p~n", [lists:keydelete(a, 1, KV)]),
    io:format("sort ~p~n", [lists:sort(L)]),
    io:format("usort ~p~n", [lists:usort(L)]),
    io:format("seq ~p~n", [{lists:seq(1, 5), lists:seq(10, 1, -3), lists:seq(1, 0)}]),
    io:format("nth sublist ~p~n", [{lists:nth(3, L), lists:sublist(L, 2, 3)}]),
    io:format("split ~p~n", [lists:split(3, L)]),
    io:format("zip ~p~n", [lists:zip([a, b, c], [1, 2, 3])]),
    io:format("unzip ~p~n", [lists:unzip(KV)]),
    io:format("flatten ~p~n", [lists:flatten([1, [2, [3, [4]], []], 5])]),
    io:format("append ~p~n", [lists:append([[a], [b, c], []])]),
    io:format("duplicate ~p~n", [lists:duplicate(3, x)]),
    io:format("sum max min ~p~n", [{lists:sum(L), lists:max(L), lists:min(L)}]),
    io:format("last nthtail ~p~n", [{lists:last(L), lists:nthtail(5, L)}]),
    io:format("partition ~p~n", [lists:partition(fun(X) -> X > 3 end, L)]),
    io:format("dropwhile ~p~n", [lists:dropwhile(fun(X) -> X < 4 end, L)]),
    io:format("mapfoldl ~p~n", [lists:mapfoldl(fun(X, A) -> {X * 2, A + X} end, 0, [1, 2, 3])]),
    io:format("any all ~p~n", [{lists:any(fun(X) -> X > 8 end, L), lists:all(fun is_integer/1, L)}]),
    io:format("lc ~p~n", [[X * X || X <- L, X > 2]]),
    io:format("lc nested ~p~n", [[{X, Y} || X <- [1, 2, 3], Y <- [a, b], X =/= 2]]),
    io:format("lc dependent ~p~n", [[{X, Y} || X <- [1, 2, 3], Y <- lists:seq(1, X)]]),
    io:format("lc pattern ~p~n", [[V || {ok, V} <- [{ok, 1}, error, {ok, 2}, {ok}]]]),
    io:format("lc of lc ~p~n", [[[Y || Y <- lists:seq(1, X)] || X <- [1, 2, 3]]]),
    io:format("lc string ~p~n", [[C - 32 || C <- "hello", C =/= $l]]),
    io:format("pythagorean ~p~n", [pyth(20)]),
    io:format("qsort ~p~n", [qsort([5, 3, 8, 1, 9, 2, 7])]),
    io:format("improper ~p~n", [[1, 2 | three]]),
    io:format("improper w ~w~n", [[a | b]]),
    io:format("improper nested ~p~n", [[[1 | 2], [3 | [4 | 5]]]]),
    io:format("cons build ~p~n", [[x | [y | [z | []]]]]),
    io:format("string ~p ~s~n", ["text", "text"]),
    io:format("string ops ~p~n", [{string:to_upper("abc"), "ab" ++ "cd", lists:concat([a, 1, "b"])}]),
    io:format("charlist ~p ~w~n", [[104, 105], [104, 105]]),
    io:format("not a string ~p~n", [[104, 0, 300]]),
    io:format("length improper ~p~n", [try length(improper()) catch error:R -> R end]),
    io:format("hd empty ~p~n", [try hd(empty()) catch error:R2 -> R2 end]),
    io:format("-- improper ~p~n", [try [1] -- improper() catch error:R3 -> R3 end]),
    ok.

empty() -> [].
improper() -> [a | b].

pyth(N) ->
    [{A, B, C} || A <- lists:seq(1, N), B <- lists:seq(A, N), C <- lists:seq(B, N),
                  A * A + B * B =:= C * C].

qsort([]) -> [];
qsort([P | T]) -> qsort([X || X <- T, X < P]) ++ [P] ++ qsort([X || X <- T, X >= P]).

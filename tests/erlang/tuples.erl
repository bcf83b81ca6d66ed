%% Tuple BIFs: element, setelement, tuple_size, make_tuple, append_element,
%% tuple_to_list, list_to_tuple, and their badarg cases.
-module(tuples).
-export([main/0]).

main() ->
    T = {a, b, c, d},
    io:format("element ~p~n", [[element(I, T) || I <- [1, 2, 3, 4]]]),
    io:format("setelement ~p~n", [setelement(2, T, x)]),
    io:format("setelement last ~p~n", [setelement(4, T, {nested})]),
    io:format("setelement big ~p~n", [element(1000, setelement(id(1000), big(), last))]),
    io:format("original ~p~n", [T]),
    io:format("tuple_size ~p~n", [[tuple_size(X) || X <- [{}, {1}, T, big()]]]),
    io:format("size ~p~n", [size(T)]),
    io:format("make_tuple/2 ~p~n", [erlang:make_tuple(3, z)]),
    io:format("make_tuple/3 ~p~n", [erlang:make_tuple(5, 0, [{2, two}, {4, four}, {2, again}])]),
    io:format("make_tuple zero ~p~n", [erlang:make_tuple(0, q)]),
    io:format("append_element ~p~n", [erlang:append_element(T, e)]),
    io:format("append to empty ~p~n", [erlang:append_element({}, only)]),
    io:format("tuple_to_list ~p~n", [tuple_to_list(T)]),
    io:format("list_to_tuple ~p~n", [list_to_tuple([1, [2], {3}])]),
    io:format("roundtrip ~p~n", [list_to_tuple(tuple_to_list(T)) =:= T]),
    io:format("big tuple ~p~n", [lists:sum(tuple_to_list(big()))]),
    io:format("big element ~p~n", [element(1000, big())]),
    io:format("pattern ~p~n", [swap({1, 2})]),
    io:format("nested pattern ~p~n", [deep({x, {y, {z, 42}}})]),
    io:format("update chain ~p~n", [update_all(erlang:make_tuple(4, 0), 4)]),
    io:format("tuple of tuples ~p~n", [[{I, {I * I}} || I <- [1, 2, 3]]]),
    Errs = [fun() -> element(id(0), T) end,
            fun() -> element(id(5), T) end,
            fun() -> element(1, not_tuple()) end,
            fun() -> setelement(id(9), T, x) end,
            fun() -> setelement(id(0), T, x) end,
            fun() -> setelement(id(-1), T, x) end,
            fun() -> setelement(id(1 bsl 70), T, x) end,
            fun() -> setelement(id(a), T, x) end,
            fun() -> setelement(1, not_tuple(), x) end,
            fun() -> setelement(1, id({}), x) end,
            fun() -> tuple_size(not_tuple()) end,
            fun() -> erlang:make_tuple(-1, a) end,
            fun() -> list_to_tuple(improper()) end,
            fun() -> erlang:append_element(not_tuple(), a) end],
    io:format("badargs ~p~n", [[catch_error(F) || F <- Errs]]),
    ok.

big() -> list_to_tuple(lists:seq(1, 1000)).
not_tuple() -> [a, b].
id(X) -> X.
improper() -> [a | b].

swap({A, B}) -> {B, A}.

deep({_, {_, {_, V}}}) -> V.

update_all(T, 0) -> T;
update_all(T, N) -> update_all(setelement(N, T, N * 10), N - 1).

catch_error(F) -> try F() of V -> {ok, V} catch error:R -> R end.

%% Comparison operators across types, mixed integer/float arithmetic
%% comparisons, bignums, and the standard term order.
-module(compare).
-export([main/0]).

main() ->
    Pairs = [{1, 1}, {1, 1.0}, {1, 2}, {2.5, 2}, {-1, 0.0}, {0, -0.0},
             {a, b}, {b, a}, {a, a}, {1, a}, {a, {}}, {{}, []},
             {[], [a]}, {"abc", "abd"}, {[1, 2], [1 | 2]},
             {{1, 2}, {1, 3}}, {{2}, {1, 1}}, {<<1>>, <<1, 0>>},
             {<<2>>, <<1, 9>>}, {[a], <<>>}, {#{}, {}}, {#{}, []},
             {#{a => 1}, #{b => 0}}, {#{a => 1}, #{a => 1.0}},
             {#{a => 2}, #{b => 1, c => 1}},
             {1 bsl 70, 1 bsl 69}, {1 bsl 64, 18446744073709551616.0},
             {-(1 bsl 70), 1.0}, {100000000000000000000, 1.0e20}],
    io:format("ops: == /= =:= =/= < > =< >=~n"),
    [io:format("~s ~w~n", [ops(P), P]) || P <- Pairs],
    Fun = fun() -> ok end,
    Ref = make_ref(),
    Pid = self(),
    Order = [[], Pid, Fun, #{}, {}, a, 1, Ref, <<>>, [x], 1.5],
    Sorted = lists:sort(Order),
    io:format("order ~w~n", [[type_name(X) || X <- Sorted]]),
    io:format("number vs atom ~w~n", [[1 < a, 99999999999999999999 < a, 1.0e300 < a]]),
    io:format("float int sort ~w~n", [lists:sort([3, 2.0, 1, 2, 1.0, 0.5])]),
    io:format("usort ~w~n", [lists:usort([b, 1, a, 1.0, b, 1])]),
    io:format("max min ~w~n", [[max(1, 1.0), min(1, 1.0), max(a, 1), min({}, [])]]),
    io:format("nested eq ~w~n", [[{1, [2.0]} == {1, [2]}, {1, [2.0]} =:= {1, [2]}]]),
    io:format("list length order ~w~n", [[[1, 2] < [1, 2, 3], [2] > [1, 9, 9]]]),
    io:format("tuple size order ~w~n", [[{9, 9} < {1, 1, 1}, {z} < {a, a}]]),
    io:format("atom order ~w~n", [lists:sort([zebra, apple, 'Zed', aa, a])]),
    io:format("string order ~w~n", [lists:sort(["b", "a", "ab", "", "B"]) =:= ["", "B", "a", "ab", "b"]]),
    io:format("float precise ~w~n", [[9007199254740993 == 9007199254740992.0,
                                     9007199254740993 > 9007199254740992.0]]),
    ok.

%% One letter per operator: T or F.
ops({A, B}) ->
    [case R of true -> $T; false -> $F end
     || R <- [A == B, A /= B, A =:= B, A =/= B, A < B, A > B, A =< B, A >= B]].

type_name(X) when is_number(X) -> number;
type_name(X) when is_atom(X) -> atom;
type_name(X) when is_reference(X) -> reference;
type_name(X) when is_function(X) -> 'fun';
type_name(X) when is_pid(X) -> pid;
type_name(X) when is_tuple(X) -> tuple;
type_name(X) when is_map(X) -> map;
type_name([]) -> nil;
type_name(X) when is_list(X) -> list;
type_name(X) when is_bitstring(X) -> bitstring.

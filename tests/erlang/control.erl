%% case/if/guards: dispatch on atoms and integers (select_val), on tuple
%% arity (select_tuple_arity), guard sequences, andalso/orelse, guard BIFs,
%% guards that fail by exception (and so are just false).
-module(control).
-export([main/0]).

main() ->
    io:format("atoms ~p~n", [[color(C) || C <- [red, green, blue, other]]]),
    io:format("ints ~p~n", [[small(I) || I <- [0, 1, 2, 3, 7, 100, -1]]]),
    io:format("sparse ints ~p~n", [[sparse(I) || I <- [1, 10, 100, 1000, 5]]]),
    io:format("arity ~p~n", [[shape(T) || T <- [{1}, {1, 2}, {1, 2, 3}, {}, [x], {a, b, c, d}]]]),
    io:format("if ~p~n", [[sign(X) || X <- [-5, 0, 5, 2.5]]]),
    io:format("guard seq ~p~n", [[kind(X) || X <- [1, 1.5, a, "s", <<"b">>, {t}]]]),
    io:format("andalso ~p~n", [[in_range(X) || X <- [0, 5, 10, 11, x]]]),
    io:format("orelse ~p~n", [[edge(X) || X <- [0, 5, 10, z]]]),
    io:format("guard bifs ~p~n", [[gbif(X) || X <- [[1, 2, 3], {a, b}, <<1, 2>>, -7, 3.7, []]]]),
    io:format("guard exception ~p~n", [[safe(X) || X <- [{1, 2}, {}, atom, [1]]]]),
    io:format("nested case ~p~n", [[nested(A, B) || A <- [x, y], B <- [1, 2]]]),
    io:format("case on binding ~p~n", [bind_case(7)]),
    io:format("boolean ops ~p~n", [[bool(A, B) || A <- [true, false], B <- [true, false]]]),
    io:format("not ~p~n", [[(not B) || B <- [true, false]]]),
    io:format("xor ~p~n", [[A xor B || A <- [true, false], B <- [true, false]]]),
    io:format("case value ~p~n", [case_value(3)]),
    io:format("string prefix ~p~n", [[prefix(S) || S <- ["abc", "xyz", "ab", ""]]]),
    io:format("multi-clause ~p~n", [[mc(X, Y) || {X, Y} <- [{1, 1}, {1, 2}, {a, a}, {b, c}]]]),
    io:format("float case ~p~n", [[fl(F) || F <- [1.0, 2.0, 1, 0.5]]]),
    io:format("receive timeout ~p~n", [wait()]),
    io:format("not equal guard ~p~n", [[ne(A, B) || {A, B} <- [{1, 2}, {1, 1.0}, {a, 1}, {2, 2}]]]),
    ok.

color(red) -> 1;
color(green) -> 2;
color(blue) -> 3;
color(_) -> 0.

small(X) ->
    case X of
        0 -> zero;
        1 -> one;
        2 -> two;
        3 -> three;
        7 -> seven;
        _ -> many
    end.

sparse(X) ->
    case X of
        1 -> a;
        10 -> b;
        100 -> c;
        1000 -> d;
        _ -> e
    end.

shape(T) ->
    case T of
        {A} -> {one, A};
        {A, B} -> {two, A + B};
        {A, B, C} -> {three, A + B + C};
        {} -> empty;
        _ when is_tuple(T) -> {big, tuple_size(T)};
        _ -> not_tuple
    end.

sign(X) ->
    if X < 0 -> negative;
       X == 0 -> zero;
       is_float(X) -> positive_float;
       true -> positive
    end.

kind(X) when is_integer(X); is_float(X) -> number;
kind(X) when is_atom(X) -> atom;
kind(X) when is_list(X), length(X) > 0 -> nonempty_list;
kind(X) when is_binary(X) -> binary;
kind(_) -> other.

in_range(X) -> is_integer(X) andalso X >= 1 andalso X =< 10.

edge(X) -> X =:= 0 orelse X =:= 10.

gbif(X) when is_list(X), length(X) > 2 -> {len, length(X)};
gbif(X) when tuple_size(X) =:= 2 -> {elem, element(2, X)};
gbif(X) when byte_size(X) > 1 -> {bytes, byte_size(X), bit_size(X)};
gbif(X) when is_integer(X), abs(X) > 5 -> {abs, abs(X)};
gbif(X) when is_float(X), trunc(X) =:= 3 -> {trunc, round(X)};
gbif(X) when hd(X) =:= a -> never;
gbif(_) -> none.

%% element/2 raising inside a guard makes the guard false, not an error.
safe(X) when element(1, X) =:= 1 -> first_is_one;
safe(X) when tuple_size(X) =:= 0 -> empty;
safe(_) -> other.

nested(A, B) ->
    case A of
        x ->
            case B of
                1 -> x1;
                _ -> xn
            end;
        _ ->
            if B > 1 -> big; true -> small end
    end.

bind_case(X) ->
    Y = 7,
    case X of
        Y -> same;
        _ -> different
    end.

bool(A, B) -> {A and B, A or B}.

case_value(N) ->
    R = case N rem 2 of 0 -> even; 1 -> odd end,
    {R, N}.

prefix("ab" ++ Rest) -> {ab, Rest};
prefix([C | _]) -> {first, C};
prefix([]) -> empty.

mc(X, X) -> same;
mc(X, Y) when is_integer(X), is_integer(Y) -> ints;
mc(_, _) -> differ.

fl(1.0) -> one_float;
fl(2.0) -> two_float;
fl(X) when X == 1 -> equal_to_one;
fl(_) -> other.

ne(A, B) when A /= B, is_integer(A) -> int_differs;
ne(A, B) when A =/= B -> differs_exactly;
ne(_, _) -> same.

wait() ->
    receive never_sent -> got after 0 -> timeout end.

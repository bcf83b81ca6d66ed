%% Float arithmetic through the float registers (fconv, fadd, fsub, fmul, fdiv, fnegate),
%% with mixed integer operands and the badarith cases.
-module(float_ops).
-export([main/0]).

main() ->
    io:format("~p~n", [poly(2.0)]),
    io:format("~p~n", [poly(3)]),
    io:format("~p~n", [mix(1.5, 4)]),
    io:format("~p~n", [neg(2.5)]),
    io:format("~p~n", [try mix(a, 1) catch error:R1 -> R1 end]),
    io:format("~p~n", [try divide(1.0, 0.0) catch error:R2 -> R2 end]),
    io:format("~p~n", [[norm(X, Y) || {X, Y} <- [{3.0, 4.0}, {1.0, 1.0}, {0.5, 0.25}]]]),
    io:format("~p~n", [[root(V) || V <- [16, 2, 0, 0.0, -0.0, 2.25, 1 bsl 59 - 1, 1 bsl 80,
                                           (1 bsl 59) * 4, -1, -2.5, a, "4", 1.0e308]]]),
    ok.

%% math:sqrt/1 called as a function (call_ext), not a guard BIF.
root(V) -> try math:sqrt(V) catch C:R -> {C, R} end.

poly(X) when is_float(X); is_integer(X) ->
    F = float(X),
    F * F * 3.0 - F / 2.0 + 1.0.

mix(A, B) -> A * 2.0 + B - 0.5.

neg(X) when is_float(X) -> -X * 2.0.

divide(A, B) when is_float(A), is_float(B) -> A / B.

norm(X, Y) when is_float(X), is_float(Y) -> math:sqrt(X * X + Y * Y).

%% Integer and float arithmetic: small and big integers, div/rem signs,
%% bitwise operators and shifts, float formatting, conversions.
-module(arith).
-export([main/0]).

main() ->
    io:format("basic ~p~n", [[7 + 3, 7 - 10, 7 * 6, 7 div 2, 7 rem 2, 7 / 2]]),
    io:format("signs div ~p~n", [[X div Y || {X, Y} <- signs()]]),
    io:format("signs rem ~p~n", [[X rem Y || {X, Y} <- signs()]]),
    io:format("unary ~p~n", [[-id(5), +id(5), -id(-5), -id(0.5)]]),
    io:format("bitwise ~p~n", [[12 band 10, 12 bor 10, 12 bxor 10, bnot 12]]),
    io:format("shifts ~p~n", [[1 bsl 10, 1024 bsr 3, -16 bsr 2, 5 bsl -1, -1 bsr 100]]),
    io:format("fact 25 ~p~n", [fact(25)]),
    io:format("2^100 ~p~n", [pow(2, 100)]),
    io:format("big ops ~p~n", [[pow(2, 64) - 1, pow(2, 64) div 3, pow(2, 64) rem 7]]),
    io:format("big neg ~p~n", [-pow(3, 40) * 2]),
    io:format("big bitwise ~p~n", [[pow(2, 70) band (pow(2, 70) - 1), pow(2, 70) bor 1]]),
    io:format("big shift ~p~n", [[pow(2, 100) bsr 98, 1 bsl 65, -(1 bsl 65) bsr 64]]),
    io:format("big to small ~p~n", [pow(2, 80) - pow(2, 80) + 3]),
    io:format("small max ~p~n", [[(1 bsl 59) - 1 + 1, (1 bsl 60) + 1, -(1 bsl 60) - 1]]),
    io:format("mul overflow ~p~n", [id(4294967296) * id(4294967296)]),
    io:format("floats ~p~n", [[1.0, 0.1, 1.5e10, 1.0e-10, 123.456, -0.0, 3.0e100]]),
    io:format("float ops ~p~n", [[0.1 + 0.2, 1 / 3, 2.0 * 3, 10 / 4]]),
    io:format("float precision ~p~n", [[1.0e15 + 0.3, 1.0e16 + 1.0, 5.0e-324]]),
    io:format("mixed ~p~n", [[1 + 1.0, 3 * 0.5, 2 - 0.5, pow(2, 70) * 1.0]]),
    io:format("conversions ~p~n", [[trunc(-2.7), round(2.5), round(-2.5), float(3), ceil(1.1), floor(-1.1)]]),
    io:format("abs ~p~n", [[abs(-3), abs(3.5), abs(-pow(2, 70))]]),
    io:format("to list ~p~n", [[integer_to_list(255), integer_to_list(255, 16), integer_to_list(-pow(2, 65))]]),
    io:format("from list ~p~n", [[list_to_integer("-42"), list_to_integer("ff", 16), list_to_float("2.5e3")]]),
    io:format("float_to_list ~p~n", [float_to_list(1.5, [{decimals, 3}])]),
    io:format("binary conv ~p~n", [[integer_to_binary(77), binary_to_integer(<<"123">>)]]),
    io:format("math ~p~n", [[math:sqrt(16), math:pow(2, 10), math:pi() > 3.14]]),
    io:format("max min ~p~n", [[max(3, 7), min(3, 7), max(2, 2.0)]]),
    io:format("sum loop ~p~n", [sum_to(100000, 0)]),
    io:format("collatz ~p~n", [collatz(27, 0)]),
    io:format("gcd ~p~n", [gcd(pow(2, 40) * 3, pow(2, 38) * 9)]),
    io:format("float regs ~p~n", [float_regs(1.5)]),
    io:format("float regs not float ~p~n", [float_regs(3)]),
    io:format("horner ~p~n", [horner([1.0, -2.0, 0.5], 3.0, 0.0)]),
    ok.

%% Arithmetic on values known to be floats is compiled to float-register ops.
float_regs(X) when is_float(X) ->
    Y = X + 2.0,
    Z = Y - X * 3.0,
    {-Z, Y / 2.0};
float_regs(X) -> {not_float, X}.

horner([], _, Acc) -> Acc;
horner([C | Cs], X, Acc) when is_float(C), is_float(X), is_float(Acc) ->
    horner(Cs, X, Acc * X + C).

id(X) -> X.

signs() -> [{7, 2}, {-7, 2}, {7, -2}, {-7, -2}].

fact(0) -> 1;
fact(N) -> N * fact(N - 1).

pow(_, 0) -> 1;
pow(B, E) -> B * pow(B, E - 1).

sum_to(0, Acc) -> Acc;
sum_to(N, Acc) -> sum_to(N - 1, Acc + N).

collatz(1, Steps) -> Steps;
collatz(N, Steps) when N rem 2 =:= 0 -> collatz(N div 2, Steps + 1);
collatz(N, Steps) -> collatz(3 * N + 1, Steps + 1).

gcd(A, 0) -> A;
gcd(A, B) -> gcd(B, A rem B).

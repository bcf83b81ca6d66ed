%% Generic arithmetic and comparisons on floats and mixed integer/float operands (the JIT's
%% inline float paths for gc_bif '+' '-' '*' '/' and is_lt/is_ge), with the edges: results
%% that overflow to infinity, division by zero, integers beyond 2^53 compared with floats,
%% -0.0 against 0.0, bignums. Also lists:keyfind/member/reverse on improper lists and
%% persistent_term keys that differ only by number type.
-module(mixed_numbers).
-export([main/0]).

main() ->
    Vals = [0, 1, -3, 7, 0.0, -0.0, 1.5, -2.25, 1.0e300, -1.0e300, 5.0e-324,
            1 bsl 53, (1 bsl 53) + 1, -(1 bsl 53) - 1, 1 bsl 59, 1 bsl 70, a],
    lists:foreach(
        fun({Op, F}) ->
            Rs = [result(catch F(A, B)) || A <- Vals, B <- Vals],
            io:format("~p ~w~n", [Op, Rs])
        end,
        [{add, fun add/2}, {sub, fun sub/2}, {mul, fun mul/2}, {fdiv, fun fdiv/2},
         {lt, fun lt/2}, {ge, fun ge/2}, {gt, fun gt/2}, {le, fun le/2}]),
    io:format("~p~n", [loop(0.0, 1, 100)]),
    io:format("~p~n", [[catch lists:keyfind(a, 1, [{a, 1} | foo]),
                        catch lists:keyfind(b, 1, [{a, 1} | foo]),
                        catch lists:keyfind(b, 1, [{a, 1}, {b, 2}]),
                        catch lists:member(a, [a | b]),
                        catch lists:member(c, [a | b]),
                        catch lists:member(c, [a, b, c]),
                        catch lists:reverse([1, 2 | x], []),
                        catch lists:reverse([1, 2], x),
                        catch lists:reverse([], x),
                        catch lists:reverse(lists:seq(1, 10), [z])]]),
    persistent_term:put({mixed_numbers, 1}, int),
    persistent_term:put({mixed_numbers, 1.0}, float),
    persistent_term:put({mixed_numbers, <<"k">>, [1, 2]}, bin),
    io:format("~p~n", [[persistent_term:get({mixed_numbers, 1}),
                        persistent_term:get({mixed_numbers, 1.0}),
                        persistent_term:get({mixed_numbers, <<"k">>, [1, 2]}),
                        persistent_term:get({mixed_numbers, 2}, none),
                        persistent_term:erase({mixed_numbers, 1}),
                        persistent_term:erase({mixed_numbers, 1}),
                        persistent_term:get({mixed_numbers, 1}, gone),
                        persistent_term:get({mixed_numbers, 1.0})]]),
    ok.

%% The result without the stack trace (which names the fun).
result({'EXIT', {Reason, _}}) -> Reason;
result(R) -> R.

add(A, B) -> A + B.
sub(A, B) -> A - B.
mul(A, B) -> A * B.
fdiv(A, B) -> A / B.
lt(A, B) when A < B -> true;
lt(_, _) -> false.
ge(A, B) when A >= B -> true;
ge(_, _) -> false.
gt(A, B) when A > B -> true;
gt(_, _) -> false.
le(A, B) when A =< B -> true;
le(_, _) -> false.

%% A float accumulator with an integer step, long enough to run natively and to collect.
loop(Acc, _, 0) -> Acc;
loop(Acc, I, N) when Acc < 1.0e6 -> loop(Acc * 1.5 + I / 3 - 0.25, I + 1, N - 1);
loop(Acc, I, N) -> loop(Acc - 1.0e6, I, N - 1).

%% Local, external and tail calls; classic recursive benchmarks. (The
%% million-frame recursions are in deep_recursion.erl.)
-module(calls).
-export([main/0, double/1, ext_loop/2]).

main() ->
    io:format("fib ~p~n", [fib(20)]),
    io:format("tak ~p~n", [tak(18, 12, 6)]),
    io:format("ack ~p~n", [[ack(M, N) || M <- [0, 1, 2, 3], N <- [0, 3]]]),
    io:format("local ~p~n", [add3(1, 2, 3)]),
    io:format("external ~p~n", [?MODULE:double(21)]),
    io:format("stdlib ~p~n", [lists:max([3, 9, 2])]),
    io:format("tail loop ~p~n", [count(1000000, 0)]),
    io:format("ext tail loop ~p~n", [ext_loop(100000, 0)]),
    io:format("mutual ~p ~p~n", [is_even(100001), is_odd(100001)]),
    io:format("last call ~p~n", [first(5)]),
    io:format("nested arity ~p~n", [many(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)]),
    io:format("accumulate ~p~n", [acc(lists:seq(1, 10), [])]),
    ok.

fib(0) -> 0;
fib(1) -> 1;
fib(N) -> fib(N - 1) + fib(N - 2).

tak(X, Y, Z) when Y < X ->
    tak(tak(X - 1, Y, Z), tak(Y - 1, Z, X), tak(Z - 1, X, Y));
tak(_, _, Z) ->
    Z.

ack(0, N) -> N + 1;
ack(M, 0) -> ack(M - 1, 1);
ack(M, N) -> ack(M - 1, ack(M, N - 1)).

add3(A, B, C) -> A + B + C.

double(X) -> X * 2.

count(0, Acc) -> Acc;
count(N, Acc) -> count(N - 1, Acc + 1).

ext_loop(0, Acc) -> Acc;
ext_loop(N, Acc) -> ?MODULE:ext_loop(N - 1, Acc + 2).

is_even(0) -> true;
is_even(N) -> is_odd(N - 1).

is_odd(0) -> false;
is_odd(N) -> is_even(N - 1).

first(N) -> second(N, [N]).
second(N, L) -> third(N * 2, [N | L]).
third(N, L) -> {N, L}.

many(A, B, C, D, E, F, G, H, I, J) ->
    {J, I, H, G, F, E, D, C, B, A}.

acc([], Acc) -> Acc;
acc([H | T], Acc) when H rem 2 =:= 0 -> acc(T, [H | Acc]);
acc([_ | T], Acc) -> acc(T, Acc).

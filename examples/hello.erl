-module(hello).
-export([main/0, fib/1]).

main() ->
    io:format("hello, world: fib(20) = ~p~n", [fib(20)]).

fib(N) when N < 2 -> N;
fib(N) -> fib(N - 1) + fib(N - 2).

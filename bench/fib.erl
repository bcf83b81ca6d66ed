%% Integer recursion: doubly recursive Fibonacci (non-tail calls, small-integer + and <).
-module(fib).
-export([main/0, main/1]).

main() -> main([full]).

main([Size]) ->
    bench_harness:measure(fib, fun(S) -> fib(n(S)) end, Size).

n(quick) -> 22;
n(full) -> 39.

fib(N) when N < 2 -> N;
fib(N) -> fib(N - 1) + fib(N - 2).


%% Integer recursion: doubly recursive Fibonacci (non-tail calls, small-integer + and <).
-module(fib).
-export([main/0, main/1]).

main() -> main([full]).

main([Size]) ->
    N = n(Size),
    _ = fib(n(quick)),
    T0 = erlang:monotonic_time(),
    R = fib(N),
    T1 = erlang:monotonic_time(),
    report(fib, T1 - T0, R).

n(quick) -> 22;
n(full) -> 39.

fib(N) when N < 2 -> N;
fib(N) -> fib(N - 1) + fib(N - 2).

report(Name, Native, Checksum) ->
    Us = erlang:convert_time_unit(Native, native, microsecond),
    io:format("RESULT ~w ~w ~w~n", [Name, Us, Checksum]).

%% A fun called in tail position (call_fun/call_fun2, deallocate, return) is a tail call, as
%% OTP's loader makes it: stack traces show the fun's frame once, and recursion through a
%% fun runs in constant stack. Funs in X and Y registers, local and external, and a BIF
%% called through an external fun in tail position.
-module(fun_tail_calls).
-export([main/0, ext/2]).

main() ->
    F = fun(_, 0) -> erlang:error(bottom); (G, N) -> G(G, N - 1) end,
    try F(F, 3) catch error:bottom:S -> io:format("~p~n", [S]) end,
    H = fun(_, 0) ->
                {stack_size, M} = process_info(self(), stack_size),
                M;
           (G, N) -> G(G, N - 1)
        end,
    io:format("~p~n", [H(H, 100000) < 1000]),
    K = fun(G, N) when N > 0 -> G(G, N - 1); (_, _) -> erlang:error(bottom2) end,
    try K(K, 2) catch error:bottom2:S2 -> io:format("~p~n", [S2]) end,
    io:format("~p~n", [via_y(fun ?MODULE:ext/2, 3)]),
    try via_y(fun erlang:element/2, 7) catch error:E3:S3 -> io:format("~p~n", [{E3, S3}]) end,
    io:format("~p~n", [via_y(fun erlang:max/2, 3)]),
    try via_y(fun(A) -> A end, 3) catch error:E4:S4 -> io:format("~p~n", [{E4, S4}]) end,
    try via_y(not_a_fun, 3) catch error:E5:S5 -> io:format("~p~n", [{E5, S5}]) end,
    ok.

%% The fun is kept in a Y register across a call, then called in tail position.
via_y(Fun, N) ->
    X = id(N),
    Fun(X, {a, b, c, d}).

id(X) -> X.

ext(N, T) -> {N, tuple_size(T)}.

%% The BIFs and exception instructions the JIT does inline (element, tuple_size, hd, tl,
%% not, and, or, the comparisons, is_atom, is_list, unary minus; try/catch markers), on
%% values it decides inline and values it leaves to the BIF: results and exceptions.
-module(inline_bifs).
-export([main/0]).
t(F) -> try F() catch C:R -> {C, R} end.
main() ->
    T = {a, b, c},
    L = [1, 2 | x],
    Vals = [0, 1, 3, 4, -1, 1 bsl 59, -(1 bsl 59), (1 bsl 59) - 1, 1.0, a, T, L, [], <<"b">>, true, false, 576460752303423488],
    R = [[t(fun() -> element(I, T) end) || I <- Vals],
         [t(fun() -> element(1, V) end) || V <- Vals],
         [t(fun() -> tuple_size(V) end) || V <- Vals],
         [t(fun() -> hd(V) end) || V <- Vals],
         [t(fun() -> tl(V) end) || V <- Vals],
         [t(fun() -> not V end) || V <- Vals],
         [t(fun() -> V and W end) || V <- Vals, W <- [true, false, 1]],
         [t(fun() -> V or W end) || V <- Vals, W <- [true, false, 1]],
         [{V =:= W, V =/= W, V < W, V > W, V =< W, V >= W, V == W} || V <- Vals, W <- Vals],
         [{is_atom(V), is_list(V)} || V <- Vals],
         [t(fun() -> -V end) || V <- Vals],
         [t(fun() -> try throw(V) catch throw:X -> {caught, X} after ok end end) || V <- Vals],
         [catch element(V, T) || V <- Vals]],
    io:format("~p~n", [R]),
    G = [case V of _ when element(1, V) =:= a -> tup; _ when hd(V) > 0 -> hd; _ when tuple_size(V) > 2 -> big; _ -> other end || V <- Vals],
    io:format("~p~n", [G]).

%% Non-tail recursion 1,000,000 frames deep, and lists built that deep by
%% body recursion (the stack must grow far beyond any fixed size).
-module(deep_recursion).
-export([main/0]).

-define(DEPTH, 1000000).

main() ->
    Deep = build(?DEPTH),
    io:format("deep build ~p ~p~n", [hd(Deep), lists:last(Deep)]),
    io:format("naive len ~p~n", [len(Deep)]),
    io:format("naive sum ~p~n", [sum(Deep)]),
    Incr = incr(Deep),
    io:format("deep map ~p ~p~n", [len(Incr), hd(Incr)]),
    io:format("deep append ~p~n", [length(app(Deep, [x, y]))]),
    io:format("deep nest ~p~n", [depth(nest(?DEPTH))]),
    io:format("deep tuple chain ~p~n", [chain_len(chain(?DEPTH), 0)]),
    io:format("deep fun recursion ~p~n", [fun_len(Deep)]),
    io:format("lists:foldr ~p~n", [lists:foldr(fun(X, A) -> X + A end, 0, Deep)]),
    io:format("deep reverse ~p~n", [hd(lists:reverse(Deep))]),
    ok.

build(0) -> [];
build(N) -> [N | build(N - 1)].

len([]) -> 0;
len([_ | T]) -> 1 + len(T).

sum([]) -> 0;
sum([H | T]) -> H + sum(T).

incr([]) -> [];
incr([H | T]) -> [H + 1 | incr(T)].

app([], L) -> L;
app([H | T], L) -> [H | app(T, L)].

%% [[[...[]...]]]: a list nested DEPTH levels, built and measured recursively.
nest(0) -> [];
nest(N) -> [nest(N - 1)].

depth([]) -> 0;
depth([X]) -> 1 + depth(X).

chain(0) -> nil;
chain(N) -> {N, chain(N - 1)}.

chain_len(nil, Acc) -> Acc;
chain_len({_, T}, Acc) -> chain_len(T, Acc + 1).

fun_len(L) ->
    Len = fun Len([]) -> 0; Len([_ | T]) -> 1 + Len(T) end,
    Len(L).

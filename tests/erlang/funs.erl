%% Funs and closures: free variables, fun M:F/A, higher-order library calls,
%% funs returning funs, recursion through funs, badarity.
-module(funs).
-export([main/0, triple/1]).

main() ->
    N = 10,
    Add = fun(X) -> X + N end,
    io:format("closure ~p~n", [Add(5)]),
    Pair = make_pair(a, b),
    io:format("two free vars ~p~n", [Pair(c)]),
    io:format("no free vars ~p~n", [(fun() -> constant end)()]),
    io:format("fun M:F/A ~p~n", [(fun ?MODULE:triple/1)(7)]),
    io:format("fun F/A ~p~n", [(fun local_sq/1)(9)]),
    Ext = fun lists:reverse/1,
    io:format("fun lists:reverse/1 ~p~n", [Ext([1, 2, 3])]),
    io:format("map ~w~n", [lists:map(Add, [1, 2, 3])]),
    io:format("map ext ~p~n", [lists:map(fun ?MODULE:triple/1, [1, 2, 3])]),
    io:format("foldl ~p~n", [lists:foldl(fun(X, Acc) -> X * Acc end, 1, [1, 2, 3, 4, 5])]),
    io:format("foldr ~p~n", [lists:foldr(fun(X, Acc) -> [X | Acc] end, [], [a, b, c])]),
    io:format("filter ~p~n", [lists:filter(fun(X) -> X rem 3 =:= 0 end, lists:seq(1, 12))]),
    io:format("sort by ~p~n", [lists:sort(fun(A, B) -> A >= B end, [3, 1, 2])]),
    Adder = adder(100),
    io:format("fun returning fun ~p~n", [(Adder(5))(1)]),
    Compose = compose(fun(X) -> X + 1 end, fun(X) -> X * 2 end),
    io:format("compose ~p~n", [Compose(5)]),
    io:format("curried ~p~n", [((curry3())(1))(2)]),
    Fact = fun Fact(0) -> 1; Fact(K) -> K * Fact(K - 1) end,
    io:format("named fun ~p~n", [Fact(20)]),
    Y = fun(F) -> fun(V) -> F(F, V) end end,
    Fib = Y(fun(_, 0) -> 0; (_, 1) -> 1; (Self, K) -> Self(Self, K - 1) + Self(Self, K - 2) end),
    io:format("self application ~p~n", [Fib(15)]),
    Counters = [fun() -> I * I end || I <- lists:seq(1, 5)],
    io:format("funs in list ~p~n", [[C() || C <- Counters]]),
    io:format("is_function ~p~n", [[is_function(Add), is_function(Add, 1),
                                    is_function(Add, 2), is_function(Ext, 1),
                                    is_function(x)]]),
    io:format("fun_info arity ~p~n", [[erlang:fun_info(Add, arity), erlang:fun_info(Ext, arity)]]),
    io:format("fun_info module ~p~n", [erlang:fun_info(Ext, module)]),
    %% new_uniq is the module's MD5 (printed whole: erlc +deterministic is not used here,
    %% so only the comparison is stable); fun_info/1 asks for every item.
    io:format("fun_info new_uniq ~p ~p~n",
              [element(2, erlang:fun_info(Add, new_uniq)) =:= ?MODULE:module_info(md5),
               erlang:fun_info(Ext, new_uniq)]),
    io:format("fun_info/1 keys ~p~n", [[K || {K, _} <- erlang:fun_info(Add)]]),
    io:format("fun equality ~p~n", [[fun lists:sum/1 =:= fun lists:sum/1, Add =:= Add]]),
    io:format("badarity ~p~n", [call_catching(Add, [1, 2])]),
    io:format("badarity zero ~p~n", [call_catching(fun() -> ok end, [x])]),
    io:format("ext badarity ~p~n", [call_catching(Ext, [])]),
    io:format("badfun ~p~n", [call_catching(not_a_fun(), [1])]),
    io:format("closure over closure ~p~n", [nested_closure(3)]),
    io:format("fun in tuple ~p~n", [apply_tagged({op, fun erlang:'-'/2}, 9, 4)]),
    io:format("fold with closure ~p~n", [fold_closure([1, 2, 3])]),
    ok.

triple(X) -> 3 * X.
local_sq(X) -> X * X.
not_a_fun() -> {not_a, 'fun'}.

make_pair(A, B) -> fun(C) -> {A, B, C} end.

adder(N) -> fun(X) -> fun(Y) -> N + X + Y end end.

compose(F, G) -> fun(X) -> F(G(X)) end.

curry3() -> fun(A) -> fun(B) -> {A, B} end end.

call_catching(F, Args) ->
    try apply(F, Args)
    catch error:{badarity, {_, A}} -> {badarity, A};
          error:{badfun, Bad} -> {badfun, Bad}
    end.

nested_closure(N) ->
    Outer = fun(X) -> Inner = fun(Y) -> {N, X, Y} end, Inner(X + 1) end,
    Outer(N * 10).

apply_tagged({op, F}, A, B) -> F(A, B).

fold_closure(L) ->
    Base = 1000,
    lists:foldl(fun(X, Acc) -> Acc + X + Base end, 0, L).

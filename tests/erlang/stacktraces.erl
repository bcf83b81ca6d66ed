%% Stack traces as erl builds them: only frames of this module are printed
%% ({M,F,Arity or Args,Location}), so the tests do not depend on OTP's own
%% line numbers or init's frames. Tail calls leave no frame, nor do calls the
%% compiler knows never return; a run of identical return addresses (direct
%% recursion) shows as one frame; the depth is capped (8 frames).
-module(stacktraces).
-export([main/0, ext/1, id/1]).

main() ->
    show(error_in_body, fun() -> a(?MODULE:id(1)) end),
    show(tail_calls, fun() -> t1(1) end),
    show(function_clause, fun() -> fc(not_int) end),
    show(bif_badarg, fun() -> elem(0) end),
    show(badarith, fun() -> arith(0) end),
    show(badmatch, fun() -> bm(2) end),
    show(throw, fun() -> thrower() end),
    show(exit, fun() -> exiter() end),
    show(undef, fun() -> ?MODULE:no_such(1) end),
    show(external, fun() -> ?MODULE:ext(x) end),
    show(in_fun, fun() -> lists:map(fun(X) -> 10 div X end, [1, 0]) end),
    show(error_args, fun() -> error_args(1, two) end),
    show(deep, fun() -> deep(20) end),
    show(case_clause, fun() -> cc(q) end),
    io:format("depth cap ~p~n", [depth_cap()]),
    ok.

show(Name, F) ->
    try F() of
        V -> io:format("~p returned ~p~n", [Name, V])
    catch
        Class:Reason:Stack ->
            io:format("~p ~p:~p~n", [Name, Class, Reason]),
            case Stack of
                [{erlang, _, _, _} = Bif | _] -> io:format("  bif ~p~n", [Bif]);
                _ -> ok
            end,
            [io:format("  ~p~n", [Frame]) || {M, Fn, _, _} = Frame <- Stack,
                                              M =:= ?MODULE, Fn =/= show]
    end.

a(X) -> [b(X)].
b(X) -> {c(X)}.
c(X) when X > 100 -> X;
c(X) -> error({c_failed, X}).

t1(X) -> t2(X + 1).
t2(X) -> t3(X + 1).
t3(X) -> error({t3, X}).

fc(X) when is_integer(X) -> X.

elem(I) -> {element(I, {a}), ok}.

arith(Z) -> 1 + 10 div Z.

bm(X) ->
    {ok, Y} = {X, X},
    Y.

thrower() -> [throw(ball)].

exiter() -> [exit(leaving)].

error_args(A, B) ->
    case A of
        0 -> ok;
        _ -> erlang:error(with_args, [A, B])
    end,
    {A, B}.

ext(X) -> {ext_inner(X)}.
ext_inner(X) -> X + 1.

deep(0) -> error(bottom);
deep(N) when N > 0 -> [deep(N - 1)];
deep(_) -> [].

id(X) -> X.

depth_cap() ->
    try f1(x)
    catch error:f10:S -> {length(S), [F || {_, F, _, _} <- S]}
    end.

f1(X) -> [f2(X)].
f2(X) -> [f3(X)].
f3(X) -> [f4(X)].
f4(X) -> [f5(X)].
f5(X) -> [f6(X)].
f6(X) -> [f7(X)].
f7(X) -> [f8(X)].
f8(X) -> [f9(X)].
f9(X) -> [f10(X)].
f10(X) ->
    case ?MODULE:id(X) of
        x -> error(f10);
        _ -> X
    end.

cc(X) ->
    R = case X of
            p -> 1
        end,
    {R}.

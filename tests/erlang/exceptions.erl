%% try/catch/after (and the order in which after clauses print), old-style
%% catch, throw/error/exit in all three classes, nested try, try ... of.
-module(exceptions).
-export([main/0]).

main() ->
    io:format("throw ~p~n", [classify(fun() -> throw(ball) end)]),
    io:format("error ~p~n", [classify(fun() -> error(oops) end)]),
    io:format("exit ~p~n", [classify(fun() -> exit(bye) end)]),
    io:format("error/2 ~p~n", [classify(fun() -> error(with_args, [1, 2]) end)]),
    io:format("erlang:error ~p~n", [classify(fun() -> erlang:error({tag, 1}) end)]),
    io:format("erlang:exit ~p~n", [classify(fun() -> erlang:exit(normal) end)]),
    io:format("erlang:throw ~p~n", [classify(fun() -> erlang:throw([x]) end)]),
    io:format("no exception ~p~n", [classify(fun() -> fine end)]),
    io:format("catch throw ~p~n", [catch throw(thrown)]),
    io:format("catch value ~p~n", [catch 1 + 2]),
    io:format("catch exit ~p~n", [catch exit(gone)]),
    {'EXIT', {Reason, _Stack}} = catch error(broken),
    io:format("catch error ~p~n", [Reason]),
    io:format("catch in expr ~p~n", [[catch throw(N) || N <- [1, 2]]]),
    after_order(),
    io:format("after with throw ~p~n", [catch after_throw()]),
    io:format("after value ~p~n", [after_value()]),
    io:format("nested ~p~n", [nested()]),
    io:format("rethrow inner ~p~n", [rethrow_inner()]),
    io:format("try of ~p~n", [[try_of(X) || X <- [1, 2, 3]]]),
    io:format("class only ~p~n", [[only_throw(F) || F <- [fun() -> throw(t) end, fun() -> ok end]]]),
    {'EXIT', {Escaped, _}} = catch only_throw(fun() -> error(e) end),
    io:format("escapes ~p~n", [Escaped]),
    io:format("catch pattern ~p~n", [[match_reason(R) || R <- [{a, 1}, {b, 2}, c]]]),
    io:format("exception in after ~p~n", [catch after_raises()]),
    io:format("deep throw ~p~n", [catch deep_throw(50)]),
    io:format("try in loop ~p~n", [loop(5, [])]),
    io:format("stack not needed ~p~n", [try error(x) catch error:x:_ -> caught end]),
    io:format("exit in catch ~p~n", [catch (catch exit(inner))]),
    io:format("throw from catch clause ~p~n", [catch rethrow_from_handler()]),
    ok.

classify(F) ->
    try F() of
        V -> {normal, V}
    catch
        throw:T -> {throw, T};
        error:E -> {error, E};
        exit:X -> {exit, X}
    end.

after_order() ->
    try
        io:format("body~n"),
        throw(x)
    catch
        throw:x -> io:format("handler~n")
    after
        io:format("after~n")
    end,
    io:format("next~n").

after_throw() ->
    try
        throw(t1)
    after
        io:format("after runs before the catch sees t1~n")
    end.

after_value() ->
    try value after io:format("after does not change the value~n"), ignored end.

nested() ->
    try
        try throw(inner)
        catch throw:inner -> throw(outer)
        after io:format("inner after~n")
        end
    catch throw:What -> {caught, What}
    after io:format("outer after~n")
    end.

rethrow_inner() ->
    try
        try error(first) catch error:first -> exit(second) end
    catch exit:S -> S
    end.

try_of(X) ->
    try X * 2 of
        2 -> two;
        4 -> four;
        _ -> other
    catch
        error:_ -> error
    end.

only_throw(F) ->
    try F() catch throw:T -> {thrown, T} end.

match_reason(R) ->
    try throw(R) catch
        throw:{a, N} -> {a_with, N};
        throw:{_, _} -> pair;
        throw:_ -> anything
    end.

after_raises() ->
    try ok after throw(from_after) end.

deep_throw(0) -> throw(bottom);
deep_throw(N) -> [N | deep_throw(N - 1)].

loop(0, Acc) -> lists:reverse(Acc);
loop(N, Acc) ->
    R = try
            case N rem 2 of 0 -> throw(N); 1 -> N end
        catch throw:V -> {t, V}
        end,
    loop(N - 1, [R | Acc]).

rethrow_from_handler() ->
    try throw(a) catch throw:a -> throw(b) end.

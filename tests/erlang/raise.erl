%% erlang:raise/3 (rethrowing with the original class and stack trace),
%% stack traces captured with the Class:Reason:Stack syntax, and raise's
%% own badarg cases.
-module(raise).
-export([main/0]).

main() ->
    [io:format("rethrow ~p ~p~n", [C, rethrow(C)]) || C <- [throw, error, exit]],
    io:format("stack preserved ~p~n", [stack_preserved()]),
    io:format("reclassify ~p~n", [reclassify()]),
    io:format("raise in catch ~p~n", [catch erlang:raise(throw, caught_by_catch, [])]),
    {'EXIT', {raised_error, _}} = catch erlang:raise(error, raised_error, []),
    io:format("raise error in catch ok~n"),
    io:format("bad class ~p~n", [bad_raise(fun() -> erlang:raise(bogus, r, []) end)]),
    io:format("bad stack ~p~n", [bad_raise(fun() -> erlang:raise(error, r, not_a_list) end)]),
    io:format("custom stack ~p~n", [custom_stack()]),
    io:format("retry ~p~n", [retry(3)]),
    io:format("cleanup then rethrow ~p~n", [cleanup()]),
    io:format("get_stacktrace style ~p~n", [frames_named()]),
    ok.

rethrow(Class) ->
    try
        try erlang:raise(Class, {reason, Class}, [])
        catch C:R:S -> erlang:raise(C, {again, R}, S)
        end
    catch
        C2:R2 -> {C2, R2}
    end.

fail(X) -> error({failed, X}).

stack_preserved() ->
    try
        try fail(1)
        catch error:R:S -> put(first, S), erlang:raise(error, R, S)
        end
    catch error:_:S2 -> S2 =:= erase(first)
    end.

reclassify() ->
    try
        try throw(t) catch throw:T:S -> erlang:raise(exit, {was_throw, T}, S) end
    catch exit:X -> X
    end.

%% raise/3 with bad arguments returns badarg as an error.
bad_raise(F) ->
    try F() of V -> {returned, V} catch C:R -> {C, R} end.

custom_stack() ->
    Stack = [{some_mod, some_fun, 2, [{file, "x.erl"}, {line, 7}]}],
    try erlang:raise(error, custom, Stack)
    catch error:custom:S -> hd(S)
    end.

retry(N) ->
    try attempt(N)
    catch throw:{again, K} when K > 0 -> retry(K - 1);
          throw:{again, 0} -> gave_up
    end.

attempt(N) -> throw({again, N}).

cleanup() ->
    try
        try error(disk_full)
        catch Class:Reason:Stack ->
                io:format("cleaning up~n"),
                erlang:raise(Class, Reason, Stack)
        end
    catch error:R -> {rethrown, R}
    end.

frames_named() ->
    try fail(2)
    catch error:_:S ->
            [{M, F, A} || {M, F, A, _} <- S, M =:= ?MODULE]
    end.

%% The process dictionary: put/get/erase, get/0 and get_keys (sorted before
%% printing, their order is unspecified), get_keys/1, erase/0.
-module(proc_dict).
-export([main/0]).

main() ->
    io:format("initial ~p~n", [get()]),
    io:format("initial get ~p~n", [get(counter)]),
    io:format("put new ~p~n", [put(counter, 1)]),
    io:format("put old ~p~n", [put(counter, 2)]),
    io:format("get ~p~n", [get(counter)]),
    put({tuple, key}, [1, 2]),
    put("s", v),
    put(42, ans),
    put(other, 2),
    io:format("composite ~p~n", [get({tuple, key})]),
    io:format("get/0 ~p~n", [lists:sort(get())]),
    io:format("get_keys ~p~n", [lists:sort(get_keys())]),
    io:format("get_keys/1 ~p~n", [lists:sort(get_keys(2))]),
    io:format("get_keys/1 none ~p~n", [get_keys(nothing)]),
    io:format("erase ~p~n", [erase(counter)]),
    io:format("erase missing ~p~n", [erase(counter)]),
    io:format("after erase ~p~n", [get(counter)]),
    io:format("keys left ~p~n", [lists:sort(get_keys())]),
    [put({n, I}, I * I) || I <- lists:seq(1, 100)],
    io:format("many ~p~n", [lists:sum([get({n, I}) || I <- lists:seq(1, 100)])]),
    io:format("count ~p~n", [length(get_keys())]),
    [erase({n, I}) || I <- lists:seq(1, 100, 2)],
    io:format("count after erasing odd ~p~n", [length(get())]),
    bump_loop(1000),
    io:format("loop counter ~p~n", [get(loop)]),
    io:format("in fun ~p~n", [(fun() -> put(f, 1), get(f) + 1 end)()]),
    catch_and_keep(),
    io:format("survives throw ~p~n", [get(thrown)]),
    io:format("big value ~p~n", [begin put(big, lists:seq(1, 1000)), length(get(big)) end]),
    io:format("erase/0 size ~p~n", [length(erase())]),
    io:format("after erase/0 ~p~n", [get()]),
    ok.

bump_loop(0) -> ok;
bump_loop(N) ->
    case get(loop) of
        undefined -> put(loop, 1);
        V -> put(loop, V + 1)
    end,
    bump_loop(N - 1).

catch_and_keep() ->
    catch begin put(thrown, yes), throw(oops) end.

%% ets:select/2, match/2 and match_object/2 whose patterns bind the key (looked up rather
%% than scanned): the same answers as a scan, for every table type, with keys that compare
%% equal but not exactly, compound keys, map keys and several clauses.
-module(ets_select_key).
-export([main/0]).

main() ->
    [run(Type) || Type <- [set, ordered_set, bag, duplicate_bag]],
    ok.

run(Type) ->
    T = ets:new(t, [Type]),
    ets:insert(T, [{1, a}, {1.0, b}, {{k, 2}, c}, {{k, 2}, d}, {#{x => 1}, e},
                   {#{x => 1, y => 2}, f}, {[1, 2], g}, {<<"bin">>, h}, {'$1', i}]),
    ets:insert(T, {{k, 2}, d}),
    Q = [ets:select(T, [{{1, '$1'}, [], ['$1']}]),
         ets:select(T, [{{1.0, '$1'}, [], ['$_']}]),
         ets:select(T, [{{{k, 2}, '$1'}, [], ['$1']}]),
         ets:select(T, [{{{k, '_'}, '$1'}, [], ['$1']}]),
         ets:select(T, [{{#{x => 1}, '$1'}, [], ['$1']}]),
         ets:select(T, [{{[1, 2], '$1'}, [], ['$1']}]),
         ets:select(T, [{{<<"bin">>, '$1'}, [], [{{'$1', '$1'}}]}]),
         ets:select(T, [{{1, '$1'}, [{'=:=', '$1', a}], ['$1']}, {{1, '$1'}, [], [other]}]),
         ets:select(T, [{{1, '$1'}, [], ['$1']}, {{{k, 2}, '$1'}, [], ['$1']}]),
         ets:select(T, [{{missing, '$1'}, [], ['$1']}]),
         ets:match(T, {{k, 2}, '$1'}),
         ets:match_object(T, {1, '_'}),
         ets:select(T, [{{'$1', i}, [], ['$1']}]),
         ets:select_reverse(T, [{{{k, 2}, '$1'}, [], ['$1']}])],
    io:format("~p: ~p~n", [Type, [sort(Type, R) || R <- Q]]),
    ets:delete(T).

%% Results over several keys come in the table's order, which only an ordered_set fixes.
sort(ordered_set, R) -> R;
sort(_, R) -> lists:sort(R).

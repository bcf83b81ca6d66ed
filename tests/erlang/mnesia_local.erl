%% OTP's mnesia on one node: a schema on disc, ram_copies and disc_copies tables,
%% transactions, dirty operations, indexes, and a disc table surviving a restart (over
%% dets, disk_log and files).
-module(mnesia_local).
-export([main/0]).

-record(person, {name, age, city}).

main() ->
    %% Application stop reports carry a time stamp.
    ok = logger:set_primary_config(level, warning),
    Dir = filename:absname("mnesia_local_" ++ os:getpid()),
    ok = application:set_env(mnesia, dir, Dir),
    ok = mnesia:create_schema([node()]),
    ok = mnesia:start(),
    {atomic, ok} = mnesia:create_table(kv, [{ram_copies, [node()]}, {attributes, [k, v]}]),
    {atomic, ok} = mnesia:create_table(person, [{disc_copies, [node()]}, {index, [city]},
                                                {attributes, record_info(fields, person)}]),
    {atomic, ok} = mnesia:create_table(log, [{disc_only_copies, [node()]}, {type, bag},
                                             {attributes, [k, v]}]),
    ok = mnesia:wait_for_tables([kv, person, log], 5000),
    {atomic, ok} = mnesia:transaction(fun() -> [mnesia:write({kv, I, I * I}) || I <- lists:seq(1, 10)], ok end),
    People = [#person{name = N, age = A, city = C} ||
                 {N, A, C} <- [{ann, 31, oslo}, {bob, 25, rome}, {cid, 40, oslo}, {dag, 19, lima}]],
    {atomic, ok} = mnesia:transaction(fun() -> lists:foreach(fun mnesia:write/1, People) end),
    ok = mnesia:dirty_write({log, a, 1}),
    ok = mnesia:dirty_write({log, a, 2}),
    io:format("read: ~p~n", [mnesia:transaction(fun() -> mnesia:read(kv, 3) end)]),
    io:format("dirty: ~p~n", [mnesia:dirty_read(person, bob)]),
    io:format("keys: ~p~n", [lists:sort(mnesia:dirty_all_keys(kv))]),
    io:format("index: ~p~n", [lists:sort(mnesia:dirty_index_read(person, oslo, #person.city))]),
    io:format("match: ~p~n", [lists:sort(mnesia:dirty_match_object(#person{age = '_', name = '_', city = oslo}))]),
    io:format("select: ~p~n", [lists:sort(mnesia:dirty_select(person, [{#person{name = '$1', age = '$2', _ = '_'}, [{'>', '$2', 30}], ['$1']}]))]),
    io:format("bag: ~p~n", [lists:sort(mnesia:dirty_read(log, a))]),
    io:format("abort: ~p~n", [mnesia:transaction(fun() -> mnesia:write({kv, 99, x}), mnesia:abort(nope) end)]),
    io:format("aborted write: ~p~n", [mnesia:dirty_read(kv, 99)]),
    {aborted, {Why, [{mnesia_local, _, 0, _} | _]}} = mnesia:transaction(fun() -> error(boom) end),
    io:format("crash: ~p~n", [Why]),
    io:format("delete: ~p ~p~n", [mnesia:transaction(fun() -> mnesia:delete({person, dag}) end), mnesia:dirty_read(person, dag)]),
    io:format("counter: ~p~n", [[mnesia:dirty_update_counter(kv, 100, 5) || _ <- [1, 2]]]),
    io:format("info: ~p ~p ~p~n", [mnesia:table_info(person, size), mnesia:table_info(kv, type), mnesia:table_info(log, storage_type)]),
    stopped = mnesia:stop(),
    ok = mnesia:start(),
    ok = mnesia:wait_for_tables([kv, person, log], 5000),
    io:format("after restart: ~p ~p ~p~n", [lists:sort(mnesia:dirty_all_keys(person)), mnesia:dirty_read(kv, 3), lists:sort(mnesia:dirty_read(log, a))]),
    stopped = mnesia:stop(),
    ok = file:del_dir_r(Dir),
    ok.

-module(counters_stats).
-export([main/0]).

%% counters, atomics, erlang:memory/0,1, statistics/1 and garbage_collect/0,1,2. Values
%% that depend on the VM (memory sizes, times) are shown by their type and shape only.

main() ->
    atomics_ops(),
    counters_ops(),
    memory(),
    stats(),
    gc(),
    ok.

show(Label, Term) -> io:format("~s: ~p~n", [Label, Term]).

err(F) ->
    try F() of
        V -> {value, V}
    catch
        C:R:St ->
            [{M, Fn, _, Info} | _] = St,
            {C, R, M, Fn, proplists:get_value(error_info, Info)}
    end.

atomics_ops() ->
    A = atomics:new(3, []),
    show("is_ref", is_reference(A)),
    show("info", maps:without([memory], atomics:info(A))),
    ok = atomics:put(A, 1, 10),
    show("get", atomics:get(A, 1)),
    ok = atomics:add(A, 1, 5),
    show("add_get", atomics:add_get(A, 1, -20)),
    show("sub_get", atomics:sub_get(A, 2, 7)),
    ok = atomics:sub(A, 3, 1),
    show("exchange", atomics:exchange(A, 3, 99)),
    show("cas ok", atomics:compare_exchange(A, 3, 99, 100)),
    show("cas fail", atomics:compare_exchange(A, 3, 99, 101)),
    show("all", [atomics:get(A, I) || I <- [1, 2, 3]]),
    atomics:put(A, 1, 9223372036854775807),
    show("wrap", atomics:add_get(A, 1, 1)),
    show("add big", atomics:add_get(A, 2, 18446744073709551615)),
    U = atomics:new(2, [{signed, false}]),
    show("unsigned info", maps:without([memory], atomics:info(U))),
    show("unsigned wrap", atomics:sub_get(U, 1, 1)),
    show("unsigned put neg", err(fun() -> atomics:put(U, 1, -1) end)),
    show("signed put big", err(fun() -> atomics:put(A, 1, 1 bsl 63) end)),
    show("bad index", err(fun() -> atomics:get(A, 4) end)),
    show("index 0", err(fun() -> atomics:get(A, 0) end)),
    show("bad ref", err(fun() -> atomics:get(make_ref(), 1) end)),
    show("new 0", err(fun() -> atomics:new(0, []) end)),
    show("new badopt", err(fun() -> atomics:new(1, [foo]) end)),
    show("new bad size", err(fun() -> atomics:new(a, []) end)),
    show("add float", err(fun() -> atomics:add(A, 1, 1.0) end)),
    show("add too big", err(fun() -> atomics:add(A, 1, 1 bsl 64) end)),
    %% Shared between processes.
    Self = self(),
    Pids = [spawn(fun() -> [atomics:add(A, 3, 1) || _ <- lists:seq(1, 1000)], Self ! done end)
            || _ <- lists:seq(1, 4)],
    [receive done -> ok end || _ <- Pids],
    show("shared", atomics:get(A, 3)).

counters_ops() ->
    [begin
         C = counters:new(2, Opts),
         counters:add(C, 1, 5),
         counters:sub(C, 2, 3),
         counters:add(C, 1, 9223372036854775807),
         show("counters " ++ io_lib:format("~w", [Opts]),
              {counters:get(C, 1), counters:get(C, 2),
               maps:without([memory], counters:info(C))}),
         counters:put(C, 2, 42),
         show("put", counters:get(C, 2)),
         show("bad index", err(fun() -> counters:get(C, 3) end)),
         show("big incr", err(fun() -> counters:add(C, 1, 1 bsl 63) end)),
         show("too big incr", err(fun() -> counters:add(C, 1, 1 bsl 64) end)),
         show("big put", err(fun() -> counters:put(C, 1, 1 bsl 63) end)),
         show("bad put", err(fun() -> counters:put(C, 1, foo) end))
     end || Opts <- [[], [atomics], [write_concurrency]]],
    show("new badopt", err(fun() -> counters:new(1, [foo]) end)),
    show("new 0", err(fun() -> counters:new(0, [write_concurrency]) end)),
    show("not counters", err(fun() -> counters:get(foo, 1) end)).

memory() ->
    M = erlang:memory(),
    show("memory keys", [K || {K, _} <- M]),
    show("all integers", lists:all(fun({_, V}) -> is_integer(V) andalso V >= 0 end, M)),
    Get = fun(K) -> element(2, lists:keyfind(K, 1, M)) end,
    show("total = processes + system", Get(total) =:= Get(processes) + Get(system)),
    show("used <= allocated",
         {Get(processes_used) =< Get(processes), Get(atom_used) =< Get(atom)}),
    show("memory(total)", is_integer(erlang:memory(total))),
    show("memory list", [K || {K, _} <- erlang:memory([ets, binary, code])]),
    show("memory(foo)", err(fun() -> erlang:memory(foo) end)),
    show("memory(maximum)", err(fun() -> erlang:memory(maximum) end)),
    show("memory([total, foo])", err(fun() -> erlang:memory([total, foo]) end)),
    show("memory(5)", err(fun() -> erlang:memory(5) end)),
    Bin = binary:copy(<<"x">>, 1000000),
    show("binary counted", erlang:memory(binary) >= byte_size(Bin)).

stats() ->
    Shapes = [{K, shape(statistics(K))}
              || K <- [active_tasks, active_tasks_all, context_switches, exact_reductions,
                       garbage_collection, io, reductions,
                       run_queue, run_queue_lengths, run_queue_lengths_all, runtime,
                       scheduler_wall_time, scheduler_wall_time_all, total_active_tasks,
                       total_active_tasks_all, total_run_queue_lengths,
                       total_run_queue_lengths_all, wall_clock]],
    [show(atom_to_list(K), S) || {K, S} <- Shapes],
    show("active_tasks_all longer", length(statistics(active_tasks_all)) =:=
             length(statistics(active_tasks)) + 1),
    show("run_queue_lengths_all longer", length(statistics(run_queue_lengths_all)) =:=
             length(statistics(run_queue_lengths)) + 1),
    show("one fewer than schedulers",
         length(statistics(run_queue_lengths)) =:= erlang:system_info(schedulers) + 1),
    show("statistics(foo)", err(fun() -> statistics(foo) end)).

shape(T) when is_integer(T) -> integer;
shape(T) when is_atom(T) -> T;
shape(T) when is_map(T) -> maps:map(fun(_, V) -> shape(V) end, T);
shape(T) when is_list(T) -> lists:usort([shape(E) || E <- T]);
shape(T) when is_tuple(T) -> list_to_tuple([shape(E) || E <- tuple_to_list(T)]).

gc() ->
    show("gc/0", garbage_collect()),
    show("gc self", garbage_collect(self())),
    show("gc minor", garbage_collect(self(), [{type, minor}])),
    show("gc major", erts_internal:garbage_collect(major)),
    Dead = spawn(fun() -> ok end),
    Ref = monitor(process, Dead),
    receive {'DOWN', Ref, _, _, _} -> ok end,
    show("gc dead", garbage_collect(Dead)),
    Live = spawn(fun() -> receive stop -> ok end end),
    show("gc other", garbage_collect(Live)),
    show("gc async", garbage_collect(Live, [{async, my_tag}])),
    show("async reply", receive {garbage_collect, my_tag, R} -> R after 5000 -> timeout end),
    show("gc dead async", garbage_collect(Dead, [{async, t2}])),
    show("dead async reply", receive {garbage_collect, t2, R2} -> R2 after 5000 -> timeout end),
    Live ! stop,
    show("gc(foo)", err(fun() -> garbage_collect(foo) end)),
    show("gc bad option", err(fun() -> garbage_collect(self(), [bad]) end)),
    show("gc bad type", err(fun() -> garbage_collect(self(), [{type, huge}]) end)),
    show("internal bad", err(fun() -> erts_internal:garbage_collect(foo) end)),
    {garbage_collection, Info} = process_info(self(), garbage_collection),
    show("gc info keys", lists:sort([K || {K, _} <- Info])),
    {GCs, _, 0} = statistics(garbage_collection),
    garbage_collect(),
    {GCs2, _, 0} = statistics(garbage_collection),
    show("gc counted", GCs2 > GCs).

%% ETS: access rights between processes, a table dying with its owner, heirs,
%% give_away and setopts, and the errors (with OTP's error_info causes).
-module(ets_owner).
-export([main/0]).

p(X) -> io:format("~p~n", [X]).

err(F) ->
    try F() of
        V -> {ok, V}
    catch
        error:R:St ->
            [{ets, Fn, Args, Info} | _] = St,
            EI = proplists:get_value(error_info, Info),
            {R, Fn, length(Args), maps:get(cause, EI, none), maps:get(module, EI)}
    end.

%% Run F in another process; its result.
elsewhere(F) ->
    Self = self(),
    Pid = spawn(fun() -> Self ! {self(), F()} end),
    receive {Pid, R} -> R end.

main() ->
    access(),
    owner_death(),
    heir(),
    give_away(),
    errors(),
    ok.

access() ->
    [begin
         T = ets:new(t, [Access]),
         ets:insert(T, {k, 1}),
         p(Access),
         p(elsewhere(fun() -> err(fun() -> ets:lookup(T, k) end) end)),
         p(elsewhere(fun() -> err(fun() -> ets:insert(T, {k, 2}) end) end)),
         p(elsewhere(fun() -> err(fun() -> ets:update_counter(T, k, 1) end) end)),
         p(elsewhere(fun() -> err(fun() -> ets:select(T, [{'_', [], ['$_']}]) end) end)),
         p(elsewhere(fun() -> err(fun() -> ets:delete(T) end) end)),
         p(ets:info(T, size)),
         ets:info(T) =/= undefined andalso ets:delete(T)
     end || Access <- [public, protected, private]],
    ok.

%% A process that makes a table with Opts, reports it, and exits when told.
table_owner(Opts) ->
    table_owner(owned, Opts).

table_owner(Name, Opts) ->
    Self = self(),
    Pid = spawn(fun() ->
                        T = ets:new(Name, Opts),
                        ets:insert(T, {data, 42}),
                        Self ! {table, self(), T},
                        serve(T)
                end),
    receive {table, Pid, T} -> {Pid, T} end.

serve(T) ->
    receive
        stop -> ok;
        {setopts, Opts} -> ets:setopts(T, Opts), serve(T)
    end.

stop(Pid) ->
    Ref = monitor(process, Pid),
    Pid ! stop,
    receive {'DOWN', Ref, process, Pid, Reason} -> Reason end.

owner_death() ->
    {Pid, T} = table_owner([public]),
    p({ets:lookup(T, data), ets:info(T, owner) =:= Pid}),
    p(stop(Pid)),
    p({ets:info(T), err(fun() -> ets:lookup(T, data) end)}),
    {Pid2, named_owned} = table_owner(named_owned, [named_table, public]),
    p(ets:lookup(named_owned, data)),
    p(stop(Pid2)),
    p({ets:whereis(named_owned), ets:info(named_owned)}),
    p(ets:new(named_owned, [named_table])),
    ets:delete(named_owned),
    %% An owner that kills itself.
    Self = self(),
    Pid3 = spawn(fun() ->
                         Self ! {t, ets:new(x, [])},
                         receive die -> exit(self(), kill) end
                 end),
    T3 = receive {t, X} -> X end,
    Ref = monitor(process, Pid3),
    Pid3 ! die,
    receive {'DOWN', Ref, process, Pid3, R} -> p(R) end,
    p(ets:info(T3)),
    %% An owner killed by another process, its heir alive.
    {Pid4, T4} = table_owner([{heir, Self, killed_owner}]),
    Ref4 = monitor(process, Pid4),
    spawn(fun() -> exit(Pid4, kill) end),
    receive {'DOWN', Ref4, process, Pid4, R4} -> p(R4) end,
    receive {'ETS-TRANSFER', T4, Pid4, D4} -> p({D4, ets:lookup(T4, data)}) end,
    ets:delete(T4),
    {Pid5, T5} = table_owner([]),
    Ref5 = monitor(process, Pid5),
    spawn(fun() -> exit(Pid5, shutdown) end),
    receive {'DOWN', Ref5, process, Pid5, R5} -> p(R5) end,
    p(ets:info(T5)).

heir() ->
    Self = self(),
    {Pid, T} = table_owner([{heir, Self, my_gift}]),
    p({ets:info(T, heir) =:= Self, ets:info(T, owner) =:= Pid}),
    Ref = monitor(process, Pid),
    Pid ! stop,
    %% The transfer arrives before the DOWN message.
    First = receive M1 -> M1 end,
    Second = receive M2 -> M2 end,
    {'ETS-TRANSFER', T1, From, Gift} = First,
    p({T1 =:= T, From =:= Pid, Gift}),
    {'DOWN', Ref, process, Pid, normal} = Second,
    p({ets:info(T, owner) =:= Self, ets:info(T, heir) =:= Self, ets:lookup(T, data)}),
    ets:delete(T),
    %% The heir set with setopts; a named table is sent by name.
    {Pid2, named_heir} = table_owner(named_heir, [named_table]),
    p(elsewhere(fun() -> err(fun() -> ets:setopts(named_heir, {heir, Self, x}) end) end)),
    stop(Pid2),
    p(ets:info(named_heir)),
    Owner = spawn(fun() ->
                          ets:new(named_heir, [named_table]),
                          ets:setopts(named_heir, [{heir, Self, {via, setopts}}]),
                          Self ! ready,
                          receive stop -> ok end
                  end),
    receive ready -> ok end,
    Owner ! stop,
    receive {'ETS-TRANSFER', Name, Owner, Data} -> p({Name, Data}) end,
    p(ets:info(named_heir, owner) =:= Self),
    ets:delete(named_heir),
    %% A dead heir: the table dies with its owner.
    Dead = spawn(fun() -> ok end),
    stop(Dead),
    {Pid3, T3} = table_owner([{heir, Dead, x}]),
    stop(Pid3),
    p(ets:info(T3)),
    %% heir none.
    {Pid4, T4} = table_owner([{heir, Self, x}]),
    Pid4 ! {setopts, [{heir, none}]},
    stop(Pid4),
    receive {'ETS-TRANSFER', T4, _, _} -> p(transferred) after 0 -> p(none) end,
    ets:info(T4) =/= undefined andalso ets:delete(T4),
    ok.

give_away() ->
    Self = self(),
    T = ets:new(g, [protected]),
    ets:insert(T, {k, v}),
    Child = spawn(fun() ->
                          receive
                              {'ETS-TRANSFER', Tab, From, Gift} ->
                                  ets:insert(Tab, {k, child}),
                                  Self ! {got, Tab, From, Gift, ets:info(Tab, owner) =:= self()}
                          end,
                          receive stop -> ok end
                  end),
    p(ets:give_away(T, Child, {a, gift})),
    receive {got, T, Self, G, Own} -> p({G, Own}) end,
    p({ets:lookup(T, k), ets:info(T, owner) =:= Child}),
    p(err(fun() -> ets:insert(T, {k, back}) end)),
    p(err(fun() -> ets:give_away(T, Self, x) end)),
    stop(Child),
    p(ets:info(T)),
    T2 = ets:new(g2, []),
    p(err(fun() -> ets:give_away(T2, self(), x) end)),
    Dead = spawn(fun() -> ok end),
    stop(Dead),
    p(err(fun() -> ets:give_away(T2, Dead, x) end)),
    p(err(fun() -> ets:give_away(T2, not_a_pid, x) end)),
    p(err(fun() -> ets:give_away(no_such_table, Self, x) end)),
    ets:delete(T2).

errors() ->
    T = ets:new(e, [set]),
    B = ets:new(b, [bag]),
    ets:insert(T, {k, 1, a}),
    Calls =
        [fun() -> ets:new(1, []) end,
         fun() -> ets:new(n, [bad_option]) end,
         fun() -> ets:new(n, [{keypos, 0}]) end,
         fun() -> ets:new(n, not_a_list) end,
         fun() -> ets:new(n, [{heir, not_a_pid, x}]) end,
         fun() -> ets:insert(T, [{ok}, bad]) end,
         fun() -> ets:insert(T, {}) end,
         fun() -> ets:insert(1, {a}) end,
         fun() -> ets:insert(no_table, {a}) end,
         fun() -> ets:insert_new(T, [{a} | b]) end,
         fun() -> ets:lookup(make_ref(), k) end,
         fun() -> ets:lookup_element(T, k, 4) end,
         fun() -> ets:lookup_element(T, k, 0) end,
         fun() -> ets:lookup_element(T, nokey, 2) end,
         fun() -> ets:update_counter(T, k, 1) end,
         fun() -> ets:update_counter(T, k, {3, 1}) end,
         fun() -> ets:update_counter(T, k, {1, 1}) end,
         fun() -> ets:update_counter(T, k, {4, 1}) end,
         fun() -> ets:update_counter(T, k, {2, a}) end,
         fun() -> ets:update_counter(T, k, [{2, 1} | bad]) end,
         fun() -> ets:update_counter(T, nokey, 1) end,
         fun() -> ets:update_counter(T, nokey, 1, not_a_tuple) end,
         fun() -> ets:update_counter(T, nokey, {3, 1}, {x, 0}) end,
         fun() -> ets:update_counter(B, k, 1) end,
         fun() -> ets:update_element(T, k, {1, x}) end,
         fun() -> ets:update_element(T, k, {9, x}) end,
         fun() -> ets:update_element(B, k, {2, x}) end,
         fun() -> ets:delete_object(T, not_a_tuple) end,
         fun() -> ets:next(T, nokey) end,
         fun() -> ets:safe_fixtable(T, maybe) end,
         fun() -> ets:rename(T, "name") end,
         fun() -> ets:setopts(T, [{heir, none}, bad]) end,
         fun() -> ets:info(T, bad_item) end,
         fun() -> ets:info(1) end,
         fun() -> ets:whereis("x") end,
         fun() -> ets:slot(T, -1) end,
         fun() -> ets:match(T, {'$1'}, 0) end,
         fun() -> ets:select_count(T, bad) end],
    [p(err(F)) || F <- Calls],
    ets:delete(T),
    ets:delete(B),
    p(err(fun() -> ets:delete(T) end)),
    p(err(fun() -> ets:lookup(T, k) end)).

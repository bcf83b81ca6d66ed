%% ETS: every BIF given a bad table (not a table name, not a table reference, a deleted
%% table, a private table of another process) and other bad arguments: the error and the
%% error_info cause OTP 25 gives.
-module(ets_errors).
-export([main/0]).

p(X) -> io:format("~p~n", [X]).

err(F) ->
    try F() of
        V -> {ok, V}
    catch
        error:R:St ->
            [{ets, Fn, Args, Info} | _] = St,
            EI = proplists:get_value(error_info, Info),
            {R, Fn, length(Args), maps:get(cause, EI, none)}
    end.

calls(T) ->
    MS = [{'_', [], ['$_']}],
    [{first, fun() -> ets:first(T) end},
     {last, fun() -> ets:last(T) end},
     {next, fun() -> ets:next(T, k) end},
     {prev, fun() -> ets:prev(T, k) end},
     {insert, fun() -> ets:insert(T, {k}) end},
     {insert_new, fun() -> ets:insert_new(T, {k}) end},
     {lookup, fun() -> ets:lookup(T, k) end},
     {lookup_element, fun() -> ets:lookup_element(T, k, 1) end},
     {member, fun() -> ets:member(T, k) end},
     {delete1, fun() -> ets:delete(T) end},
     {delete2, fun() -> ets:delete(T, k) end},
     {delete_object, fun() -> ets:delete_object(T, {k}) end},
     {delete_all, fun() -> ets:delete_all_objects(T) end},
     {take, fun() -> ets:take(T, k) end},
     {update_counter, fun() -> ets:update_counter(T, k, 1) end},
     {update_counter4, fun() -> ets:update_counter(T, k, 1, {k, 0}) end},
     {update_element, fun() -> ets:update_element(T, k, {2, x}) end},
     {match, fun() -> ets:match(T, '$1') end},
     {match3, fun() -> ets:match(T, '$1', 1) end},
     {match_object, fun() -> ets:match_object(T, '_') end},
     {match_object3, fun() -> ets:match_object(T, '_', 1) end},
     {select, fun() -> ets:select(T, MS) end},
     {select3, fun() -> ets:select(T, MS, 1) end},
     {select_reverse, fun() -> ets:select_reverse(T, MS) end},
     {select_count, fun() -> ets:select_count(T, MS) end},
     {select_delete, fun() -> ets:select_delete(T, [{'_', [], [false]}]) end},
     {select_replace, fun() -> ets:select_replace(T, MS) end},
     {slot, fun() -> ets:slot(T, 0) end},
     {rename, fun() -> ets:rename(T, ets_errors_renamed) end},
     {setopts, fun() -> ets:setopts(T, [{heir, none}]) end},
     {safe_fixtable, fun() -> ets:safe_fixtable(T, true) end},
     {give_away, fun() -> ets:give_away(T, self(), x) end},
     {info, fun() -> case ets:info(T) of L when is_list(L) -> length(L); X -> X end end},
     {info2, fun() -> ets:info(T, size) end},
     {tab2list, fun() -> ets:tab2list(T) end}].

main() ->
    Deleted = ets:new(d, []),
    ets:delete(Deleted),
    Self = self(),
    Other = spawn(fun() ->
                          Self ! {private, ets:new(p, [private])},
                          receive stop -> ok end
                  end),
    Private = receive {private, P} -> P end,
    [begin
         p(What),
         [p({Name, err(F)}) || {Name, F} <- calls(T)]
     end || {What, T} <- [{not_a_name, no_such_table}, {a_ref, make_ref()},
                          {an_integer, 17}, {deleted, Deleted}, {private, Private}]],
    Other ! stop,
    ok.

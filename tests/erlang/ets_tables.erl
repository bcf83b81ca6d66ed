%% ETS: every table type, object operations, counters, traversal and info.
-module(ets_tables).
-export([main/0]).

p(X) -> io:format("~p~n", [X]).

%% An error's reason, BIF and error_info (the arguments hold table references).
err(F) ->
    try F() of
        V -> {ok, V}
    catch
        error:R:St ->
            [{M, Fn, Args, Info} | _] = St,
            {R, M, Fn, length(Args), proplists:get_value(error_info, Info)}
    end.

main() ->
    types(),
    counters(),
    traversal(),
    named(),
    info(),
    terms(),
    all(),
    ok.

all() ->
    Named = ets:new(all_named, [named_table]),
    Anon = ets:new(all_anon, []),
    All = ets:all(),
    p({lists:member(Named, All), lists:member(Anon, All)}),
    ets:delete(Anon),
    p(lists:member(Anon, ets:all())).

types() ->
    S = ets:new(s, [set]),
    p(ets:insert(S, {a, 1})),
    p(ets:insert(S, [{b, 2}, {c, 3}, {a, 4}])),
    p(lists:sort(ets:tab2list(S))),
    p({ets:lookup(S, a), ets:lookup(S, zz), ets:member(S, b), ets:member(S, zz)}),
    p(ets:insert_new(S, {a, 9})),
    p(ets:insert_new(S, [{d, 1}, {b, 0}])),
    p(ets:insert_new(S, [{d, 1}, {e, 5}, {d, 2}])),
    p(lists:sort(ets:tab2list(S))),
    p(ets:lookup_element(S, e, 2)),
    p({ets:take(S, e), ets:take(S, e)}),
    p(ets:delete(S, d)),
    p(ets:delete_object(S, {a, 5})),
    p(ets:delete_object(S, {a, 4})),
    p(lists:sort(ets:tab2list(S))),
    %% 1 and 1.0 are different keys in a set, the same in an ordered_set
    ets:insert(S, [{1, int}, {1.0, float}]),
    p(lists:sort(ets:lookup(S, 1) ++ ets:lookup(S, 1.0))),
    O = ets:new(o, [ordered_set]),
    ets:insert(O, [{1, int}, {1.0, float}, {2, two}]),
    p(ets:tab2list(O)),
    p(ets:lookup(O, 1)),
    B = ets:new(b, [bag]),
    ets:insert(B, {k, 3}), ets:insert(B, {k, 1}), ets:insert(B, {k, 3}), ets:insert(B, {k, 2}),
    p(ets:lookup(B, k)),
    ets:insert(B, [{j, 3}, {j, 1}, {j, 5}, {j, 1}]),
    p(ets:lookup(B, j)),
    p(ets:lookup_element(B, k, 2)),
    ets:delete_object(B, {k, 1}),
    p(ets:lookup(B, k)),
    p(ets:info(B, size)),
    D = ets:new(d, [duplicate_bag]),
    ets:insert(D, {k, 3}), ets:insert(D, {k, 1}), ets:insert(D, {k, 3}),
    ets:insert(D, [{k, 7}, {k, 7}]),
    p(ets:lookup(D, k)),
    ets:delete_object(D, {k, 7}),
    p(ets:lookup(D, k)),
    p(ets:take(D, k)),
    p(ets:info(D, size)),
    K = ets:new(k, [{keypos, 2}]),
    ets:insert(K, [{rec, a, 1}, {rec, b, 2}]),
    p(ets:lookup(K, b)),
    p(err(fun() -> ets:insert(K, {x}) end)),
    ets:delete_all_objects(S),
    p({ets:tab2list(S), ets:info(S, size)}),
    [ets:delete(T) || T <- [S, O, B, D, K]],
    ok.

counters() ->
    T = ets:new(c, [set, public]),
    ets:insert(T, {c, 0, 10, x}),
    p(ets:update_counter(T, c, 1)),
    p(ets:update_counter(T, c, {3, -4})),
    p(ets:update_counter(T, c, [{2, 5}, {3, 1}, {2, -1}])),
    p(ets:update_counter(T, c, {2, 10, 12, 0})),
    p(ets:update_counter(T, c, {3, -20, 0, 100})),
    p(ets:update_counter(T, c, {2, 1 bsl 62})),
    p(ets:update_counter(T, c, {2, -(1 bsl 62)})),
    p(ets:lookup(T, c)),
    p(ets:update_counter(T, new, 5, {whatever, 100})),
    p(ets:update_counter(T, new2, [{2, 1}, {3, 2}], {new2, 0, 0})),
    p(lists:sort(ets:tab2list(T))),
    p(ets:update_element(T, c, {4, y})),
    p(ets:update_element(T, c, [{2, a}, {3, b}])),
    p(ets:update_element(T, nokey, {2, a})),
    p(ets:lookup(T, c)),
    O = ets:new(oc, [ordered_set]),
    p(ets:update_counter(O, 1, 1, {0, 0})),
    p(ets:update_counter(O, 1.0, 1)),
    p(ets:tab2list(O)),
    %% Updating keeps the parts of the object that did not change (they are copied from
    %% the object being replaced before it is freed).
    ets:insert(O, [{K, [K, {deep, [K]}], <<"bin", K>>, 0} || K <- lists:seq(1, 50)]),
    [ets:update_counter(O, K, {4, 1}) || _ <- [1, 2, 3], K <- lists:seq(1, 50)],
    [ets:update_element(O, K, {3, <<"new", K>>}) || K <- lists:seq(1, 50, 7)],
    ets:select_replace(O, [{{'$1', '$2', '$3', '$4'}, [{'<', '$1', 10}],
                            [{{'$1', '$2', '$3', {'+', '$4', 100}}}]}]),
    [p(X) || X <- lists:sublist(ets:tab2list(O), 3, 3)],
    p(lists:sum([C || {_, _, _, C} <- ets:tab2list(O)])),
    p(lists:all(fun({K, [K, {deep, [K]}], <<_:3/binary, K>>, _}) -> true; (_) -> false end,
                ets:tab2list(O) -- [{1.0, 1}])),
    ets:delete(T), ets:delete(O).

traversal() ->
    O = ets:new(o, [ordered_set]),
    ets:insert(O, [{K, v} || K <- [5, 3, b, 1, "s", {t}, a, 2.5]]),
    p(ets:first(O)),
    p(ets:last(O)),
    p(walk(ets:first(O), fun(K) -> ets:next(O, K) end)),
    p(walk(ets:last(O), fun(K) -> ets:prev(O, K) end)),
    p({ets:next(O, 2), ets:next(O, 2.5), ets:prev(O, 0), ets:next(O, {t})}),
    p([ets:slot(O, I) || I <- [0, 1, 7, 8]]),
    p({slots(O, 0), ets:slot(O, 5), ets:slot(O, 2), ets:slot(O, 2)}),
    ets:insert(O, {4, w}),
    p({ets:slot(O, 3), ets:slot(O, 4)}),
    ets:delete(O, 4),
    p({ets:slot(O, 4), slots(O, 0)}),
    p(ets:foldl(fun({K, _}, Acc) -> [K | Acc] end, [], O)),
    p(ets:foldr(fun({K, _}, Acc) -> [K | Acc] end, [], O)),
    S = ets:new(s, [set]),
    ets:insert(S, [{I, I} || I <- lists:seq(1, 20)]),
    Keys = walk(ets:first(S), fun(K) -> ets:next(S, K) end),
    p(lists:sort(Keys)),
    p(lists:sort(ets:foldl(fun({K, _}, Acc) -> [K | Acc] end, [], S))),
    p({ets:first(ets:new(e, [])), ets:last(ets:new(e2, [ordered_set]))}),
    ets:delete(O), ets:delete(S),
    delete_walk().

slots(T, I) ->
    case ets:slot(T, I) of
        '$end_of_table' -> [];
        Objects -> Objects ++ slots(T, I + 1)
    end.

%% Deleting while traversing: fine in a fixed table (ets:foldl fixes it), badarg for a
%% deleted key in an unfixed hash table.
delete_walk() ->
    [begin
         T = ets:new(t, [Type]),
         ets:insert(T, [{I, I} || I <- lists:seq(1, 30)]),
         N = ets:foldl(fun({K, V}, A) -> ets:delete(T, K), A + V end, 0, T),
         p({Type, N, ets:info(T, size)}),
         ets:insert(T, [{I, I} || I <- lists:seq(1, 30)]),
         ets:safe_fixtable(T, true),
         S = delete_walk(T, ets:first(T), 0),
         ets:safe_fixtable(T, false),
         p({S, ets:info(T, size)}),
         ets:insert(T, [{1, 1}]),
         K = ets:first(T),
         ets:delete(T, K),
         p(err(fun() -> ets:next(T, K) end)),
         ets:delete(T)
     end || Type <- [set, bag, duplicate_bag, ordered_set]].

delete_walk(_, '$end_of_table', A) -> A;
delete_walk(T, K, A) ->
    [{K, V}] = ets:lookup(T, K),
    ets:delete(T, K),
    delete_walk(T, ets:next(T, K), A + V).

walk('$end_of_table', _) -> [];
walk(K, Next) -> [K | walk(Next(K), Next)].

named() ->
    T = ets:new(ets_named, [named_table, public]),
    p(T),
    ets:insert(ets_named, {x, 1}),
    p(ets:lookup(ets_named, x)),
    Ref = ets:whereis(ets_named),
    p({is_reference(Ref), ets:lookup(Ref, x)}),
    p(ets:whereis(no_such_table)),
    p(err(fun() -> ets:new(ets_named, [named_table]) end)),
    p(ets:rename(ets_named, ets_renamed)),
    p({ets:info(ets_named), ets:lookup(ets_renamed, x)}),
    p(ets:info(ets_renamed, name)),
    U = ets:new(unnamed, []),
    p(is_reference(U)),
    p(ets:rename(U, still_unnamed) =:= U),
    p({ets:info(U, name), ets:info(U, named_table), ets:whereis(still_unnamed)}),
    p(ets:delete(ets_renamed)),
    p(ets:info(ets_renamed)),
    ets:delete(U).

info() ->
    T = ets:new(i, [bag, private, {keypos, 3}, {read_concurrency, true},
                    {write_concurrency, true}, compressed]),
    Info = ets:info(T),
    Shown = [{K, V} || {K, V} <- Info, K =/= id, K =/= memory, K =/= owner],
    [p(lists:sublist(Shown, I, 2)) || I <- [1, 3, 5, 7, 9, 11]],
    Names = [K || {K, _} <- Info],
    [p(lists:sublist(Names, I, 5)) || I <- [1, 6, 11]],
    Pub = ets:new(i, [public, {read_concurrency, true}, {write_concurrency, auto}]),
    p([ets:info(Pub, I) || I <- [read_concurrency, write_concurrency, decentralized_counters]]),
    ets:delete(Pub),
    p({ets:info(T, owner) =:= self(), ets:info(T, id) =:= T, is_integer(ets:info(T, memory))}),
    p([ets:info(T, I) || I <- [type, protection, keypos, named_table, size, heir, fixed]]),
    O = ets:new(o, [ordered_set, {write_concurrency, true}]),
    p([ets:info(O, I) || I <- [type, protection, decentralized_counters, write_concurrency]]),
    ets:safe_fixtable(O, true),
    p(ets:info(O, fixed)),
    {_, [{Pid, 1}]} = ets:info(O, safe_fixed),
    p(Pid =:= self()),
    ets:safe_fixtable(O, false),
    p({ets:info(O, fixed), ets:info(O, safe_fixed)}),
    ets:delete(T),
    p({ets:info(T), ets:info(T, size)}),
    ets:delete(O),
    memory().

%% info(T, memory) after every way objects come and go: back to the empty table's figure
%% at the end (girder keeps the count as objects change; its debug build checks it).
memory() ->
    [begin
         T = ets:new(m, [Type]),
         Empty = ets:info(T, memory),
         ets:insert(T, [{K, [K], <<"bytes">>} || K <- lists:seq(1, 20)]),
         ets:insert(T, [{K, {K, K}, "str"} || K <- lists:seq(1, 20, 2)]),
         ets:insert(T, {1, x, y}),
         ets:delete(T, 2),
         ets:delete_object(T, {3, {3, 3}, "str"}),
         ets:select_delete(T, [{{'$1', '_', '_'}, [{'<', '$1', 10}], [true]}]),
         ets:insert(T, {c, 1}),
         6 = case Type of
                 set -> ets:update_counter(T, c, 5);
                 ordered_set -> ets:update_counter(T, c, 5);
                 _ -> 6
             end,
         Grown = ets:info(T, memory),
         ets:delete_all_objects(T),
         p({Type, Grown > Empty, ets:info(T, memory) =:= Empty}),
         ets:delete(T)
     end || Type <- [set, ordered_set, bag, duplicate_bag]],
    ok.

%% Objects holding every kind of term survive their table, the writer's GCs and deletion.
terms() ->
    Big = list_to_binary(lists:duplicate(20, "0123456789")),
    <<_:3/binary, Sub:50/binary, _/binary>> = Big,
    F = fun(X) -> X + byte_size(Big) end,
    Objs = [{bin, Big, Sub, <<1, 2, 3>>},
            {num, 1 bsl 100, -(1 bsl 70), 2.5, -0.0},
            {misc, self(), F, fun lists:reverse/1, make_ref() =:= make_ref()},
            {deep, [{a, [b, {c, #{k => [1, 2 | 3]}}]}], "string", #{}},
            {{compound, [key]}, value},
            {<<"binary key">>, v}],
    T = ets:new(terms, [set]),
    ets:insert(T, Objs),
    garbage(1000),
    Back = [hd(ets:lookup(T, element(1, O))) || O <- Objs],
    p(Back =:= Objs),
    [{misc, _, F2, R, _}] = ets:lookup(T, misc),
    p({F2(1), R([1, 2])}),
    [{bin, B1, S1, _}] = ets:lookup(T, bin),
    ets:delete(T),
    garbage(1000),
    p({byte_size(B1), byte_size(S1), B1 =:= Big, binary:part(S1, 0, 7)}),
    O = ets:new(o, [ordered_set]),
    ets:insert(O, [{K, x} || K <- [<<"b">>, 1 bsl 70, "a", 2.0, {1}, [], atom, -1 bsl 70]]),
    p([K || {K, x} <- ets:tab2list(O)]),
    ets:delete(O).

garbage(0) -> ok;
garbage(N) -> _ = lists:seq(1, 50), garbage(N - 1).

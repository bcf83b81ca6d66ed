%% ETS: match, match_object, select and their continuations, match specifications with
%% guards and bodies, select_count/delete/replace, compiled match specifications.
-module(ets_match).
-export([main/0]).
-include_lib("stdlib/include/ms_transform.hrl").

p(X) -> io:format("~p~n", [X]).

err(F) ->
    try F() of
        V -> {ok, V}
    catch
        error:R:St ->
            [{M, Fn, Args, Info} | _] = St,
            {R, M, Fn, length(Args), proplists:get_value(error_info, Info)}
    end.

main() ->
    patterns(),
    specs(),
    chunks(),
    modify(),
    compiled(),
    ok.

people(Type) ->
    T = ets:new(people, [Type]),
    ets:insert(T, [{alice, 31, [erlang, rust], #{city => paris}},
                   {bob, 25, [c], #{city => oslo}},
                   {carol, 47, [], #{city => paris, pet => cat}},
                   {dave, 25, [erlang], #{}},
                   {eve, 3.5, [x, y, z], #{city => rome}}]),
    T.

patterns() ->
    T = people(set),
    p(lists:sort(ets:match(T, {'$1', 25, '_', '_'}))),
    p(lists:sort(ets:match(T, {'$1', '_', [erlang | '_'], '_'}))),
    p(lists:sort(ets:match(T, {'$2', '$1', '_', #{city => paris}}))),
    p(lists:sort(ets:match_object(T, {'_', '_', [], '_'}))),
    p(lists:sort(ets:match(T, {'$1', '_', ['$2', '$3' | '$4'], '_'}))),
    p(ets:match(T, {'$1', '$1', '_', '_'})),
    p(lists:sort(ets:match(T, {'_', '$1', '_', '_'}))),
    p(ets:match(T, {'_', '_'})),
    p(length(ets:match_object(T, '_'))),
    p(length(ets:match(T, '$1'))),
    ets:match_delete(T, {'_', 25, '_', '_'}),
    p(lists:sort(ets:select(T, [{{'$1', '_', '_', '_'}, [], ['$1']}]))),
    O = ets:new(o, [ordered_set]),
    ets:insert(O, [{1, 1}, {2.0, 2}, {3, 3.0}]),
    p(ets:match(O, {'$1', 1})),
    p(ets:match(O, {2, '$1'})),
    p(ets:match_object(O, {'_', 3.0})),
    ets:delete(T), ets:delete(O).

specs() ->
    T = people(ordered_set),
    S = fun(MS) -> ets:select(T, MS) end,
    p(S([{{'$1', '$2', '_', '_'}, [{'>', '$2', 30}], ['$1']}])),
    p(S([{{'$1', '$2', '_', '_'}, [{is_float, '$2'}], [{{'$1', {float, '$2'}}}]}])),
    p(S([{{'$1', '$2', '$3', '_'},
          [{'andalso', {is_list, '$3'}, {'>', {length, '$3'}, 1}}],
          [{{'$1', {hd, '$3'}, {tl, '$3'}}}]}])),
    p(S([{{'$1', '$2', '_', '_'}, [{'orelse', {'==', '$2', 25}, {'<', '$2', 4}}], ['$$']}])),
    p(S([{{'$1', '_', '_', '$4'}, [{is_map_key, pet, '$4'}], [{map_get, pet, '$4'}]}])),
    p(S([{{'$1', '_', '_', '$4'}, [{'==', {map_size, '$4'}, 0}], ['$_']}])),
    p(S([{{'$1', '$2', '_', '_'}, [{'=:=', {'rem', {trunc, '$2'}, 2}, 1}], ['$1']}])),
    p(S([{{'$1', '$2', '_', '_'}, [{'and', {is_atom, '$1'}, {'not', {is_integer, '$2'}}}],
          [{const, {'$1', x}}]}])),
    %% A guard raising is a failed clause; the next clause is tried.
    p(S([{{'$1', '$2', '_', '_'}, [{'>', {hd, '$2'}, 0}], [first]},
         {{'$1', '_', '_', '_'}, [{'==', '$1', bob}], [second]}])),
    %% A body raising gives 'EXIT'.
    p(S([{{'$1', '$2', '_', '_'}, [{'<', '$2', 30}], [{'+', '$2', '$1'}]}])),
    p(S([{{'$1', '$2', '_', '_'}, [{'<', '$2', 30}], [{element, 1, {{'$2', '$1'}}}]}])),
    p(S([{{'$1', '$2', '_', '_'}, [{'<', '$2', 30}],
          [[a, '$1' | '$2'], #{k => '$1'}, {'*', '$2', 2}, {'div', 7, 2}, {abs, -3}]}])),
    p(S([{{bob, '$2', '$3', '$4'}, [], [{{'$2', '$3', '$4', {size, {{1, 2}}}}}]}])),
    p(S([{{bob, '_', '_', '_'}, [], [{self}]}]) =:= [self()]),
    p(S([{{bob, '_', '_', '_'}, [{is_pid, {self}}], [{node}]}])),
    p(S([{{'$1', '_', '_', '_'}, [{'>=', '$1', dave}], ['$1']}])),
    p(S([{foo, [], [true]}])),
    p(S([{{'$1', '_', '_', '_'}, [false], ['$1']}, {{'$1', 3.5, '_', '_'}, [true], ['$1']}])),
    p(S(ets:fun2ms(fun({N, A, _, _}) when A > 26, A < 40 -> {N, A * 10} end))),
    p(S(ets:fun2ms(fun({N, _, L, _} = O) when length(L) =:= 0 -> {N, O} end))),
    p(ets:select_reverse(T, [{{'$1', '_', '_', '_'}, [], ['$1']}])),
    Bad = [[bad], [{a, b}], [{{'$1'}, [], ['$2']}], [{{'$1'}, [{foo, '$1'}], [x]}],
           [{{'$1'}, [], []}], [{{'$1'}, [], [x]} | tail], not_a_list, [{{'$1'}, bad, [x]}]],
    [p(err(fun() -> ets:select(T, B) end)) || B <- Bad],
    p(ets:select(T, [])),
    ets:delete(T).

chunks() ->
    O = ets:new(o, [ordered_set]),
    ets:insert(O, [{I, I * I} || I <- lists:seq(1, 10)]),
    MS = [{{'$1', '$2'}, [{'=/=', '$1', 5}], ['$2']}],
    p(collect(ets:select(O, MS, 3), fun ets:select/1)),
    p(collect(ets:select(O, MS, 4), fun ets:select/1)),
    p(collect(ets:select(O, MS, 100), fun ets:select/1)),
    p(collect(ets:select_reverse(O, MS, 4), fun ets:select_reverse/1)),
    p(collect(ets:match(O, {'$1', '_'}, 4), fun ets:match/1)),
    p(collect(ets:match_object(O, {'$1', 4}, 2), fun ets:match_object/1)),
    p(ets:select(O, [{{'$1', '_'}, [{'>', '$1', 99}], ['$1']}], 2)),
    p(ets:select('$end_of_table')),
    {_, Cont} = ets:select(O, MS, 3),
    p(element(1, ets:select(ets:repair_continuation(Cont, MS)))),
    p(err(fun() -> ets:select(O, MS, 0) end)),
    S = ets:new(s, [set]),
    ets:insert(S, [{I, I} || I <- lists:seq(1, 25)]),
    p(lists:sort(collect(ets:select(S, [{{'$1', '_'}, [], ['$1']}], 7), fun ets:select/1))),
    p(length(lists:usort(collect(ets:match_object(S, '_', 5), fun ets:match_object/1)))),
    {_, C} = ets:select(O, MS, 3),
    [p(err(fun() -> ets:select(X) end))
     || X <- [foo, {a, b}, {1, 2, 3}, setelement(1, C, nosuch), {O, 2, 3}]],
    p(err(fun() -> ets:match(foo) end)),
    p(err(fun() -> ets:select(O, MS, foo) end)),
    p(err(fun() -> ets:match(O, {'$1', '_'}, foo) end)),
    p(err(fun() -> ets:select(nosuch, [bad], 1) end)),
    p(err(fun() -> ets:select(O, [bad], 1) end)),
    [begin
         B = ets:new(b, [Type]),
         ets:insert(B, [{K, V} || K <- [a, b, c], V <- [1, 2, 3, 2]]),
         p(chunk_sizes(ets:select(B, [{{'$1', '$2'}, [{'>', '$2', 1}], ['$2']}], 2),
                       fun ets:select/1)),
         p(chunk_sizes(ets:match_object(B, {'_', 2}, 4), fun ets:match_object/1)),
         ets:delete(B)
     end || Type <- [bag, duplicate_bag]],
    ets:delete(O), ets:delete(S).

%% The sizes of the chunks, and all the results sorted.
chunk_sizes('$end_of_table', _) -> {[], []};
chunk_sizes({L, C}, Next) ->
    {Sizes, All} = chunk_sizes(Next(C), Next),
    {[length(L) | Sizes], lists:sort(L ++ All)}.

collect('$end_of_table', _) -> [];
collect({L, C}, Next) -> L ++ collect(Next(C), Next).

modify() ->
    T = people(set),
    p(ets:select_count(T, [{{'_', '$1', '_', '_'}, [{is_integer, '$1'}], [true]}])),
    p(ets:select_count(T, [{{'_', '$1', '_', '_'}, [], ['$1']}])),
    p(ets:select_delete(T, [{{'_', '$1', '_', '_'}, [{'<', '$1', 26}], [true]}])),
    p(lists:sort(ets:select(T, [{{'$1', '_', '_', '_'}, [], ['$1']}]))),
    p(ets:select_replace(T, [{{'$1', '$2', '$3', '$4'}, [{is_integer, '$2'}],
                              [{{'$1', {'+', '$2', 1}, '$3', '$4'}}]}])),
    p(lists:sort(ets:select(T, [{{'$1', '$2', '_', '_'}, [], [{{'$1', '$2'}}]}]))),
    p(err(fun() -> ets:select_replace(T, [{{'$1', '$2', '$3', '$4'}, [],
                                             [{{x, '$2', '$3', '$4'}}]}]) end)),
    p(ets:select_delete(T, [{'_', [], [true]}])),
    p(ets:info(T, size)),
    B = ets:new(b, [bag]),
    ets:insert(B, [{k, 1}, {k, 2}, {j, 3}]),
    p(ets:select_delete(B, [{{k, '$1'}, [{'>', '$1', 1}], [true]}])),
    p(lists:sort(ets:tab2list(B))),
    {badarg, _, _, _, Info} = err(fun() -> ets:select_replace(B, [{'_', [], ['$_']}]) end),
    p(Info),
    ets:delete(T), ets:delete(B).

compiled() ->
    MS = ets:match_spec_compile([{{'$1', '$2'}, [{'>', '$2', 1}], [{{'$2', '$1'}}]}]),
    p({is_reference(MS), ets:is_compiled_ms(MS), ets:is_compiled_ms(make_ref()),
       ets:is_compiled_ms(x)}),
    p(ets:match_spec_run([{a, 1}, {b, 2}, {c, 3}, not_a_tuple, {d}], MS)),
    T = ets:new(t, [ordered_set]),
    ets:insert(T, [{a, 5}, {b, 0}]),
    p(err(fun() -> ets:select(T, MS) end)),
    p(err(fun() -> ets:match_spec_compile([{bad}]) end)),
    p(err(fun() -> ets:match_spec_run([{a, 1}], not_compiled) end)),
    ets:delete(T).

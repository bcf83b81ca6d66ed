%% Maps: construction, update (=> and :=), matching in heads and cases,
%% guards, the maps module (results sorted or printed with ~p, which sorts).
-module(maps_ops).
-export([main/0]).

main() ->
    M = #{a => 1, b => 2},
    io:format("literal ~p~n", [M]),
    io:format("put ~p~n", [M#{c => 3}]),
    io:format("update ~p~n", [M#{a := 10}]),
    io:format("mixed keys ~p~n", [#{1 => int, 1.0 => float, "s" => str, {t} => tuple}]),
    io:format("get ~p~n", [[maps:get(a, M), maps:get(z, M, default), map_get(b, M)]]),
    io:format("find ~p~n", [[maps:find(a, M), maps:find(z, M)]]),
    io:format("is_key ~p~n", [[is_map_key(a, M), maps:is_key(q, M)]]),
    io:format("size ~p~n", [[map_size(M), maps:size(#{})]]),
    io:format("keys ~p~n", [lists:sort(maps:keys(M))]),
    io:format("values ~p~n", [lists:sort(maps:values(M))]),
    io:format("to_list ~p~n", [lists:sort(maps:to_list(M))]),
    io:format("from_list ~p~n", [maps:from_list([{x, 1}, {y, 2}, {x, 3}])]),
    io:format("remove ~p~n", [maps:remove(a, M)]),
    io:format("merge ~p~n", [maps:merge(M, #{b => 20, c => 30})]),
    io:format("map fun ~p~n", [maps:map(fun(_, V) -> V * 100 end, M)]),
    io:format("fold ~p~n", [maps:fold(fun(_, V, A) -> V + A end, 0, M)]),
    io:format("filter ~p~n", [maps:filter(fun(K, _) -> K =/= a end, M)]),
    io:format("match head ~p~n", [[kind(X) || X <- [#{type => circle, r => 2}, #{type => sq}, #{}]]]),
    #{a := A, b := B} = M,
    io:format("match bind ~p~n", [{A, B}]),
    io:format("guard ~p~n", [[g(X) || X <- [#{}, #{k => 1}, #{k => 1, j => 2}, nomap]]]),
    io:format("case ~p~n", [[lookup(K, M) || K <- [a, b, c]]]),
    io:format("has field ~p~n", [[has_a(X) || X <- [M, #{b => 1}, #{}]]]),
    Big = maps:from_list([{I, I * I} || I <- lists:seq(1, 100)]),
    io:format("big size ~p~n", [map_size(Big)]),
    io:format("big get ~p~n", [[maps:get(I, Big) || I <- [1, 50, 100]]]),
    io:format("big sum ~p~n", [lists:sum(maps:values(Big))]),
    Big2 = lists:foldl(fun(I, Acc) -> maps:remove(I, Acc) end, Big, lists:seq(1, 95)),
    io:format("shrunk ~p~n", [Big2]),
    io:format("nested ~p~n", [#{outer => #{inner => [1, 2]}}]),
    io:format("update nested ~p~n", [update_in(#{x => #{y => 1}})]),
    io:format("equality ~p~n", [[#{a => 1} =:= #{a => 1}, #{a => 1} == #{a => 1.0}, #{a => 1} =:= #{a => 1.0}]]),
    io:format("comprehension ~p~n", [maps:from_list([{V, K} || {K, V} <- maps:to_list(M)])]),
    io:format("update_with ~p~n", [maps:update_with(a, fun(V) -> V + 1 end, M)]),
    io:format("iterator sorted ~p~n", [lists:sort(iterate(maps:iterator(M), []))]),
    io:format("badkey ~p~n", [try (id(M))#{zz := 1} catch error:R -> R end]),
    io:format("badmap ~p~n", [try map_size(id([])) catch error:R2 -> R2 end]),
    %% Matching on a large map (a hash trie past 32 keys), on keys that are integers, and
    %% on a map whose keys were put in one at a time and in groups.
    Trie = maps:from_list([{type, circle}, {r, 7} | [{I, -I} || I <- lists:seq(1, 40)]]),
    io:format("large ~p~n", [[kind(Trie), kind(maps:remove(r, Trie)), has_a(Trie), ints(Trie)]]),
    Grown = lists:foldl(fun(I, Acc) -> Acc#{I => I, {I} => I} end, #{a => 0}, lists:seq(1, 20)),
    %% The order map keys sort by (OTP's compiler sorts map patterns with it).
    io:format("cmp_term ~p~n", [[erts_internal:cmp_term(X, Y) || {X, Y} <- [{1, 1.0}, {1.0, 1}, {1, 1}, {2, 1.5}, {a, b}, {[1], [1.0]}, {{}, []}]]]),
    io:format("grown ~p~n", [[map_size(Grown), ints(Grown), has_a(Grown), kind(Grown#{type => sq})]]),
    ok.

id(X) -> X.

ints(#{1 := A, 2 := B, 3 := C}) -> A + B + C;
ints(_) -> none.

kind(#{type := circle, r := R}) -> {circle, R};
kind(#{type := T}) -> {other, T};
kind(#{}) -> empty.

g(X) when is_map(X), map_size(X) =:= 0 -> empty;
g(X) when is_map_key(j, X) -> has_j;
g(#{k := V}) -> {k, V};
g(_) -> not_map.

has_a(M) ->
    case M of
        #{a := _} -> has_a;
        _ -> no
    end.

lookup(K, M) ->
    case M of
        #{K := V} -> {found, V};
        _ -> missing
    end.

update_in(M = #{x := Inner}) -> M#{x := Inner#{y := 2, z => 3}}.

iterate(I, Acc) ->
    case maps:next(I) of
        none -> Acc;
        {K, V, Next} -> iterate(Next, [{K, V} | Acc])
    end.

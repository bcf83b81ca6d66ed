-module(stdlib_smoke).
%% One smoke call (or a few) through the public API of each OTP module girder runs; the
%% README's list "OTP modules known to run" comes from the modules/0 list below.
-export([main/0, modules/0]).

modules() ->
    [lists, maps, proplists, string, unicode, dict, orddict, sets, ordsets, gb_trees,
     gb_sets, queue, array, binary, math, calendar, base64, rand, timer, erl_scan,
     erl_parse, erl_eval, file, filename, os, re].

main() ->
    [begin
         R = try smoke(M) catch C:E -> {crashed, C, E} end,
         io:format("~p: ~p~n", [M, R])
     end || M <- modules()],
    ok.

id(X) -> X.

smoke(lists) ->
    L = [3, 1, 4, 1, 5, 9, 2, 6],
    {lists:sort(L), lists:usort(L), lists:keysort(2, [{a, 3}, {b, 1}]),
     lists:foldl(fun(X, A) -> X + A end, 0, L), lists:zip3([1, 2], [a, b], "xy"),
     lists:partition(fun(X) -> X > 3 end, L), lists:splitwith(fun(X) -> X < 4 end, L),
     lists:flatmap(fun(X) -> [X, X] end, [1, 2]), lists:sublist(L, 2, 3),
     lists:seq(10, 1, -3), lists:max(L), lists:nthtail(5, L), lists:enumerate(L),
     lists:merge3([1, 4], [2, 5], [3, 6]), lists:subtract(L, [1, 9]),
     lists:mapfoldl(fun(X, A) -> {X * 2, A + X} end, 0, L), lists:droplast(L),
     lists:uniq([b, a, b, c, a])};
smoke(maps) ->
    M = #{a => 1, b => 2, c => 3},
    {maps:fold(fun(K, V, A) -> [{K, V} | A] end, [], M), maps:filter(fun(_, V) -> V > 1 end, M),
     maps:map(fun(_, V) -> V * 10 end, M), maps:with([a, z], M), maps:without([a], M),
     maps:update_with(a, fun(V) -> V + 100 end, M), maps:groups_from_list(fun(X) -> X rem 2 end, [1, 2, 3]),
     maps:merge_with(fun(_, A, B) -> A + B end, M, #{a => 5}),
     maps:intersect(M, #{b => x}), catch maps:get(z, id(M)), maps:take(b, M)};
smoke(proplists) ->
    P = [{a, 1}, b, {c, 3}, {a, 4}],
    {proplists:get_value(a, P), proplists:get_all_values(a, P), proplists:get_bool(b, P),
     proplists:lookup(c, P), proplists:delete(a, P), proplists:expand([{b, [x, y]}], P),
     proplists:normalize([a, {b, true}], [{aliases, [{a, z}]}]), proplists:to_map(P),
     proplists:split(P, [a])};
smoke(string) ->
    S = "  Héllo, Wörld ∑ ",
    {string:trim(S), string:uppercase(S), string:lowercase("ÅÄÖ"), string:length(S),
     string:lexemes("a,b,,c", ","), string:split("a=b=c", "=", all), string:replace("aXbXc", "X", "-", all),
     string:pad("ab", 5, both, $*), string:reverse("añb"), string:slice("héllo", 1, 3),
     string:find("hello world", "o w"), string:to_integer("42abc"), string:to_float("3.5e2x"),
     string:titlecase("élan"), string:casefold("Straße"), string:equal("a", "A", true),
     string:next_grapheme("e\x{301}x"), string:tokens("a b  c", " "), string:join(["a", "b"], "-"),
     string:str("hello", "ll"), string:chomp("x\r\n"), string:is_empty(""), string:prefix("foobar", "foo"),
     string:take("abc123", lists:seq($a, $z))};
smoke(unicode) ->
    B = unicode:characters_to_binary("日本語 €"),
    {B, unicode:characters_to_list(B), unicode:characters_to_binary("€", unicode, utf16),
     unicode:characters_to_list(<<"ab", 255>>), unicode:bom_to_encoding(<<239, 187, 191, "x">>),
     unicode:encoding_to_bom(utf8), unicode:characters_to_nfd_list("é"), unicode:characters_to_nfc_binary("e\x{301}"),
     unicode:characters_to_nfkc_list("ﬁ"), unicode:characters_to_list(<<"caf", 233>>, latin1)};
smoke(dict) ->
    D = lists:foldl(fun({K, V}, A) -> dict:append(K, V, A) end, dict:new(), [{a, 1}, {b, 2}, {a, 3}]),
    D2 = dict:update_counter(c, 5, dict:store(z, 0, D)),
    {lists:sort(dict:to_list(D2)), dict:find(a, D2), dict:is_key(q, D2), dict:size(D2),
     lists:sort(dict:fetch_keys(dict:erase(z, D2))), dict:fold(fun(_, V, A) -> A + length([V]) end, 0, D2)};
smoke(orddict) ->
    O = orddict:from_list([{b, 2}, {a, 1}, {c, 3}]),
    {O, orddict:store(d, 4, O), orddict:fetch(b, O), orddict:update(a, fun(V) -> V + 1 end, O),
     orddict:merge(fun(_, X, Y) -> X * Y end, O, [{a, 10}]), orddict:filter(fun(_, V) -> V > 1 end, O)};
smoke(sets) ->
    A = sets:from_list([1, 2, 3, 2]), B = sets:from_list([3, 4], [{version, 2}]),
    {lists:sort(sets:to_list(sets:union(A, B))), lists:sort(sets:to_list(sets:intersection(A, B))),
     sets:size(A), sets:is_element(2, A), sets:is_subset(sets:from_list([1]), A),
     lists:sort(sets:to_list(sets:subtract(A, B))), sets:is_disjoint(A, sets:from_list([9]))};
smoke(ordsets) ->
    A = ordsets:from_list([c, a, b, a]),
    {A, ordsets:add_element(d, A), ordsets:del_element(a, A), ordsets:union([A, [z], [0]]),
     ordsets:intersection(A, [b, c, x]), ordsets:subtract(A, [b]), ordsets:is_subset([a], A)};
smoke(gb_trees) ->
    T = lists:foldl(fun(K, Acc) -> gb_trees:insert(K, K * K, Acc) end, gb_trees:empty(), [5, 3, 8, 1]),
    {gb_trees:to_list(T), gb_trees:lookup(3, T), gb_trees:smallest(T), gb_trees:largest(T),
     gb_trees:to_list(gb_trees:delete(5, T)), gb_trees:size(T), gb_trees:keys(gb_trees:balance(T)),
     gb_trees:next(gb_trees:iterator_from(4, T)) =/= none, gb_trees:take_smallest(T)};
smoke(gb_sets) ->
    S = gb_sets:from_list([4, 2, 9, 2]),
    {gb_sets:to_list(S), gb_sets:is_member(9, S), gb_sets:to_list(gb_sets:union(S, gb_sets:singleton(0))),
     gb_sets:smallest(S), gb_sets:to_list(gb_sets:filter(fun(X) -> X > 2 end, S)),
     gb_sets:to_list(gb_sets:difference(S, gb_sets:from_list([2])))};
smoke(queue) ->
    Q = queue:from_list([1, 2, 3]),
    Q2 = queue:in_r(0, queue:in(4, Q)),
    {queue:to_list(Q2), queue:out(Q2), queue:out_r(Q2), queue:len(Q2), queue:peek(Q2),
     queue:to_list(queue:reverse(Q2)), queue:to_list(queue:filter(fun(X) -> X rem 2 == 0 end, Q2)),
     queue:is_empty(queue:new()), queue:to_list(queue:join(Q, Q)), queue:member(3, Q)};
smoke(array) ->
    A = array:from_list([a, b, c]),
    A2 = array:set(10, z, A),
    {array:to_list(A), array:get(1, A), array:size(A2), array:get(5, A2), array:sparse_to_orddict(A2),
     array:to_list(array:map(fun(I, X) -> {I, X} end, A)), array:foldl(fun(I, _, Acc) -> I + Acc end, 0, A),
     array:default(array:new([{default, 0}])), array:to_list(array:resize(2, A)),
     catch array:get(-1, A)};
smoke(binary) ->
    B = <<"hello world, hello erlang">>,
    {binary:match(B, <<"hello">>), binary:matches(B, [<<"hello">>, <<"erl">>]),
     binary:split(B, <<" ">>), binary:split(B, [<<" ">>, <<",">>], [global, trim_all]),
     binary:replace(B, <<"hello">>, <<"bye">>, [global]), binary:replace(B, <<"o">>, <<"[]">>, [{insert_replaced, 1}]),
     binary:part(B, 6, 5), binary:part(B, {byte_size(B), -6}), binary:copy(<<"ab">>, 3),
     binary:encode_unsigned(258), binary:encode_unsigned(258, little), binary:decode_unsigned(<<1, 2>>),
     binary:decode_unsigned(<<1, 2>>, little), binary:longest_common_prefix([<<"erlang">>, <<"ergo">>]),
     binary:longest_common_suffix([<<"abc">>, <<"xbc">>]), binary:first(B), binary:last(B), binary:at(B, 4),
     binary:bin_to_list(B, 0, 5), binary:list_to_bin([<<"a">>, "b", $c]), binary:referenced_byte_size(<<"x">>),
     binary:match(B, <<"zzz">>), binary:matches(B, <<"l">>, [{scope, {0, 5}}]),
     binary:encode_hex(<<1, 171>>), binary:decode_hex(<<"01AB">>), binary:compile_pattern(<<"a">>) =/= x,
     catch binary:part(B, 100, 1)};
smoke(math) ->
    Fs = [sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, atanh, exp, log, log2, log10,
          sqrt, ceil, floor, erf, erfc],
    One = [{F, math:F(0.5)} || F <- Fs],
    {One, math:acosh(2.0), math:pi(), math:pow(2, 10), math:atan2(1, -1), math:fmod(7.5, 2),
     catch math:log(id(0)), catch math:sqrt(id(-1))};
smoke(calendar) ->
    {calendar:date_to_gregorian_days(2024, 2, 29), calendar:gregorian_days_to_date(739000),
     calendar:day_of_the_week({2024, 3, 1}), calendar:is_leap_year(1900), calendar:last_day_of_the_month(2023, 2),
     calendar:iso_week_number({2021, 1, 3}), calendar:seconds_to_daystime(100000),
     calendar:time_difference({{2020, 1, 1}, {0, 0, 0}}, {{2020, 3, 1}, {12, 0, 0}}),
     calendar:datetime_to_gregorian_seconds({{2000, 1, 1}, {0, 0, 0}}),
     calendar:system_time_to_rfc3339(1700000000, [{offset, "Z"}]),
     calendar:rfc3339_to_system_time("2023-11-14T22:13:20Z"), calendar:valid_date(2023, 2, 29),
     calendar:system_time_to_universal_time(1700000000, second)};
smoke(base64) ->
    E = base64:encode(<<"any carnal pleasure.">>),
    {E, base64:decode(E), base64:encode_to_string("ab"), base64:mime_decode("YW\nJj"),
     base64:decode_to_string("Zm9v"), catch base64:decode("!!!")};
smoke(rand) ->
    S = [begin rand:seed(Alg, {1, 2, 3}), {Alg, [rand:uniform(1000) || _ <- lists:seq(1, 5)], rand:uniform()} end
         || Alg <- [exsss, exro928ss, exrop, exs1024s, exsp]],
    St = rand:seed_s(exsss, 42),
    {X, St2} = rand:uniform_s(St),
    {N, _} = rand:normal_s(St2),
    {S, X, N, element(1, rand:uniform_s(10, St2)), rand:export_seed_s(St) =/= undefined,
     [rand:uniform(6) || _ <- lists:seq(1, 3), rand:seed(exsss, 7) =/= x]};
smoke(timer) ->
    {T, V} = timer:tc(fun() -> lists:sum(lists:seq(1, 1000)) end),
    Self = self(),
    {ok, _} = timer:send_after(10, Self, ping),
    {ok, _} = timer:send_after(5, Self, first),
    ok = timer:sleep(20),
    Got = [receive first -> first after 1000 -> none end, receive ping -> ping after 1000 -> none end],
    {ok, TRef} = timer:send_after(10000, Self, never),
    {is_integer(T), V, Got, timer:cancel(TRef), timer:seconds(2), timer:minutes(1), timer:hms(1, 2, 3)};
smoke(erl_scan) ->
    {ok, Ts, End} = erl_scan:string("foo(X) -> X + 1.\n", 1),
    {Ts, End, erl_scan:string("\"unterminated"), erl_scan:tokens([], "a. b", 1),
     erl_scan:string("x % comment\n", 1, [return_comments])};
smoke(erl_parse) ->
    {ok, Ts, _} = erl_scan:string("f(X) when X > 0 -> [X | #{a => <<1:8>>}]."),
    {ok, Form} = erl_parse:parse_form(Ts),
    {ok, ETs, _} = erl_scan:string("{a, [1, 2], \"s\"}."),
    {ok, Term} = erl_parse:parse_term(ETs),
    {ok, BTs, _} = erl_scan:string("f(."),
    {Form, Term, erl_parse:parse_exprs(BTs), erl_parse:abstract({x, [1.5]}),
     erl_parse:normalise({cons, 1, {integer, 1, 1}, {nil, 1}})};
smoke(erl_eval) ->
    {ok, Ts, _} = erl_scan:string("Y = X * 2, F = fun(A) -> A + Y end, {F(1), [Z || Z <- [1, 2, 3], Z > 1], catch 1/0}."),
    {ok, Es} = erl_parse:parse_exprs(Ts),
    {value, V, B} = erl_eval:exprs(Es, erl_eval:add_binding('X', 5, erl_eval:new_bindings())),
    {V, lists:sort(proplists:get_keys(B)), erl_eval:bindings(erl_eval:new_bindings())};
smoke(file) ->
    D = "stdlib_smoke_" ++ os:getpid(),
    ok = file:make_dir(D),
    F = filename:join(D, "t"),
    ok = file:write_file(F, "{ok, 1}.\n"),
    R = {file:read_file(F), file:consult(F), file:list_dir(D), file:read_file(filename:join(D, "no"))},
    ok = file:delete(F),
    ok = file:del_dir(D),
    R;
smoke(filename) ->
    {filename:join(["a", "b", "c.erl"]), filename:basename("a/b/c.erl", ".erl"), filename:extension("c.erl"),
     filename:split("a/b"), filename:dirname("a/b/c"), filename:rootname("a/b.c")};
smoke(os) ->
    true = os:putenv("GIRDER_SMOKE_VAR", "v1"),
    V = os:getenv("GIRDER_SMOKE_VAR"),
    true = os:unsetenv("GIRDER_SMOKE_VAR"),
    {MS, S, US} = os:timestamp(),
    T = os:system_time(millisecond),
    {V, os:getenv("GIRDER_SMOKE_VAR"), os:getenv("GIRDER_SMOKE_VAR", "dflt"), os:type(),
     is_integer(MS + S + US), is_integer(T), T > 1600000000000, os:system_time() > 0,
     lists:member("GIRDER_SMOKE_VAR=v1", os:getenv())};
smoke(re) ->
    {ok, MP} = re:compile("(\\w+)@(\\w+)"),
    {re:run("mail: joe@erlang", MP, [{capture, all_but_first, list}]),
     re:replace("a-b-c", "-", "+", [global, {return, list}]), re:split("a1b2c", "\\d")}.

%% Paths the JIT emits inline for maps with constant keys and for comparisons that are
%% not between two small integers; each case also has a neighbour that must take the
%% slow path (a missing key, a large map, numbers of two kinds).
-module(jit_inline_paths).
-export([main/0]).

main() ->
    maps_get(),
    maps_put(),
    maps_new(),
    compare_order(),
    compare_equal(),
    ok.

spec(I) ->
    #{control_char => $p, args => [I], width => none, adjust => right,
      precision => none, pad_char => $\s, encoding => latin1, strings => true}.

get8(#{control_char := C, args := As, width := W, adjust := Ad,
       precision := P, pad_char := Pad, encoding := Enc, strings := Str}) ->
    {C, As, W, Ad, P, Pad, Enc, Str};
get8(Other) -> {no, Other}.

get_some(#{width := W, args := A}) -> {W, A};
get_some(_) -> none.

large(N) -> maps:from_list([{list_to_atom("k" ++ integer_to_list(K)), K} || K <- lists:seq(1, N)]).

maps_get() ->
    io:format("~p~n", [get8(spec(1))]),
    io:format("~p~n", [get8(maps:remove(strings, spec(2)))]),
    io:format("~p~n", [get8((spec(3))#{extra => 1})]),
    io:format("~p~n", [get_some(#{args => 1})]),
    io:format("~p~n", [get_some(#{args => 1, width => 2, z => 3})]),
    io:format("~p~n", [get_some(not_a_map)]),
    L = (large(40))#{width => w, args => a},
    io:format("~p~n", [get_some(L)]).

count(0, M) -> M;
count(N, M = #{w := W}) -> count(N - 1, M#{w := W + 1}).

maps_put() ->
    M = spec(4),
    io:format("~p~n", [M#{width := 10, precision := 2}]),
    io:format("~p~n", [M#{width => 11, brand_new => yes}]),
    io:format("~p~n", [count(1000, #{w => 0, p => 0, s => 0, other => 0})]),
    io:format("~p~n", [catch (M#{nope := 1})]),
    io:format("~p~n", [catch (not_a_map(M))#{width := 1}]),
    L = large(40),
    io:format("~p~n", [maps:get(k7, L#{k7 := seven})]),
    io:format("~p~n", [maps:size(L#{k41 => 41})]),
    Small = maps:from_list([{K, K} || K <- lists:seq(1, 31)]),
    io:format("~p~n", [maps:size(Small#{a => 1, b => 2})]),
    Y = keep(M#{adjust := left}),
    io:format("~p~n", [maps:get(adjust, Y)]).

not_a_map(M) -> [M].
keep(X) -> erlang:garbage_collect(), X.

maps_new() ->
    [io:format("~p~n", [#{b => I, a => [I], c => {I}}]) || I <- [1, 2.5, "x"]],
    Big = [#{x => I, y => I * 2} || I <- lists:seq(1, 20000)],
    io:format("~p~n", [lists:sum([X + Y || #{x := X, y := Y} <- Big])]).

width(F) when F < 0 -> negative;
width(F) when F >= 0 -> F;
width(_) -> other.

compare_order() ->
    Vals = [none, 0, -1, 5, 1.5, -2.5, 'a', [], {}, <<>>, "s", self(), make_ref(),
            1 bsl 70, -(1 bsl 70)],
    io:format("~p~n", [[width(V) || V <- Vals, not is_pid(V), not is_reference(V)]]),
    io:format("~p~n", [[{A < B, A >= B, A > B, A =< B} || A <- Vals, B <- [0, none, 1.0]]]),
    io:format("~p~n", [[V || V <- lists:sort(Vals), not is_pid(V), not is_reference(V)]]).

compare_equal() ->
    Vals = [{}, {1}, {1.0}, {1, 2}, [1], [1.0], <<"ab">>, binary:part(<<"xaby">>, 1, 2),
            1.0, 1, 1 bsl 70, float(1 bsl 70), #{}, #{a => 1}, "ab", [a | b], atom],
    io:format("~p~n", [[{A =:= B, A == B, A =/= B, A /= B} || A <- Vals, B <- Vals]]),
    io:format("~p~n", [[X || X <- Vals, X =:= {}]]),
    io:format("~p~n", [[X || X <- Vals, X == {1}]]).

%% Maps: N puts into one map, N gets, N removes. OTP: O(log N) each.
-module(sc_maps).
-export([main/1]).
main(Size) -> scaling_harness:run(maps, {2000, 25000}, fun op/1, Size).
op(N) ->
    Keys = [(I * 7919) rem N || I <- lists:seq(1, N)],
    scaling_harness:time(
      fun() ->
              M = lists:foldl(fun(K, A) -> A#{K => K} end, #{}, Keys),
              S = lists:foldl(fun(K, A) -> A + maps:get(K, M) end, 0, Keys),
              E = lists:foldl(fun(K, A) -> maps:remove(K, A) end, M, Keys),
              S + map_size(E)
      end).

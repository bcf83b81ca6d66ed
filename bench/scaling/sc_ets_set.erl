%% ETS set: N inserts, N lookups, N update_counter, N selects with a bound key, N
%% deletes. OTP: O(1) each.
-module(sc_ets_set).
-export([main/1]).
main(Size) -> scaling_harness:run(ets_set, {2000, 20000}, fun op/1, Size).
op(N) ->
    T = ets:new(t, [set]),
    Keys = [(I * 7919) rem N || I <- lists:seq(1, N)],
    scaling_harness:time(
      fun() ->
              [ets:insert(T, {K, 0}) || K <- Keys],
              S = lists:sum([V || K <- Keys, {_, V} <- ets:lookup(T, K)]),
              [ets:update_counter(T, K, 1) || K <- Keys],
              C = length([x || K <- Keys, _ <- ets:select(T, [{{K, '$1'}, [], ['$1']}])]),
              [ets:delete(T, K) || K <- Keys],
              S + C + ets:info(T, size)
      end).

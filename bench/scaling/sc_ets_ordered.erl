%% ETS ordered_set: N inserts, N lookups, a first/next walk over all keys, N deletes.
%% OTP: O(log N) each.
-module(sc_ets_ordered).
-export([main/1]).
main(Size) -> scaling_harness:run(ets_ordered, {2000, 20000}, fun op/1, Size).
op(N) ->
    T = ets:new(t, [ordered_set]),
    Keys = [(I * 7919) rem N || I <- lists:seq(1, N)],
    scaling_harness:time(
      fun() ->
              [ets:insert(T, {K, K}) || K <- Keys],
              S = lists:sum([V || K <- Keys, {_, V} <- ets:lookup(T, K)]),
              W = walk(T, ets:first(T), 0),
              [ets:delete(T, K) || K <- Keys],
              S + W
      end).
walk(_, '$end_of_table', A) -> A;
walk(T, K, A) -> walk(T, ets:next(T, K), A + 1).

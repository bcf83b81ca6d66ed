%% ETS bag and duplicate_bag: N inserts (a few objects per key), N lookups, N deletes.
%% OTP: O(1) each for short buckets.
-module(sc_ets_bag).
-export([main/1]).
main(Size) -> scaling_harness:run(ets_bag, {1000, 10000}, fun op/1, Size).
op(N) ->
    B = ets:new(b, [bag]),
    D = ets:new(d, [duplicate_bag]),
    Keys = [(I * 7919) rem N || I <- lists:seq(1, N)],
    scaling_harness:time(
      fun() ->
              [ets:insert(T, {K, V}) || T <- [B, D], K <- Keys, V <- [1, 2, 3]],
              S = lists:sum([length(ets:lookup(T, K)) || T <- [B, D], K <- Keys]),
              [ets:delete(T, K) || T <- [B, D], K <- Keys],
              S + ets:info(B, size) + ets:info(D, size)
      end).

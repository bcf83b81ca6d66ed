%% The process dictionary: N puts, N gets and N erases (a heap sort keeping its heap
%% there does the same). OTP: O(1) each.
-module(sc_pdict).
-export([main/1]).
main(Size) -> scaling_harness:run(pdict, {2000, 25000}, fun op/1, Size).
op(N) ->
    Keys = [(I * 7919) rem N || I <- lists:seq(1, N)],
    scaling_harness:time(
      fun() ->
              [put(K, K + 1) || K <- Keys],
              S = lists:foldl(fun(K, A) -> A + get(K) end, 0, Keys),
              [erase(K) || K <- Keys],
              S
      end).

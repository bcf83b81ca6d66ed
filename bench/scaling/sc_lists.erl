%% List BIFs on an N-element list, 20 times each: length/1, lists:reverse/2,
%% lists:keyfind/3 (of the last key) and ++. OTP: O(N) each.
-module(sc_lists).
-export([main/1]).
main(Size) -> scaling_harness:run(lists, {2000, 25000}, fun op/1, Size).
op(N) ->
    L = lists:seq(1, N),
    KL = [{I, I} || I <- L],
    scaling_harness:time(
      fun() ->
              R = [length(L) + hd(lists:reverse(L, [])) + element(2, lists:keyfind(N, 1, KL))
                   + length(L ++ [x]) || _ <- lists:seq(1, 20)],
              lists:sum(R)
      end).

%% The mailbox: N messages sent to self, then received oldest first. OTP: O(1) each.
-module(sc_mailbox).
-export([main/1]).
main(Size) -> scaling_harness:run(mailbox, {2000, 25000}, fun op/1, Size).
op(N) ->
    scaling_harness:time(
      fun() ->
              [self() ! {m, I} || I <- lists:seq(1, N)],
              drain(N, 0)
      end).
drain(0, A) -> A;
drain(K, A) -> receive {m, I} -> drain(K - 1, A + I) end.

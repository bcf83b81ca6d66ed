%% A receive with `after 0` that matches nothing, with N messages queued: 50 of them.
%% OTP: O(N) each (it looks at every message).
-module(sc_recv_after0).
-export([main/1]).
main(Size) -> scaling_harness:run(recv_after0, {1000, 10000}, fun op/1, Size).
op(N) ->
    [self() ! {m, I} || I <- lists:seq(1, N)],
    scaling_harness:time(fun() -> lists:sum([poll() || _ <- lists:seq(1, 50)]) end).
poll() -> receive nothing -> 1 after 0 -> 0 end.

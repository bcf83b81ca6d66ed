%% Monitors: N monitors of one process, N demonitors, then N more and the exit fan-out (N
%% 'DOWN' messages). OTP: O(1) or O(log N) each.
-module(sc_monitors).
-export([main/1]).
main(Size) -> scaling_harness:run(monitors, {1000, 10000}, fun op/1, Size).
op(N) ->
    T = spawn(fun() -> receive stop -> ok end end),
    scaling_harness:time(
      fun() ->
              Refs = [monitor(process, T) || _ <- lists:seq(1, N)],
              [demonitor(R) || R <- Refs],
              [monitor(process, T) || _ <- lists:seq(1, N)],
              T ! stop,
              downs(N, 0)
      end).
downs(0, A) -> A;
downs(K, A) -> receive {'DOWN', _, process, _, normal} -> downs(K - 1, A + 1) end.

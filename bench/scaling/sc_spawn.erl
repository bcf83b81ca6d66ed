%% The process table: spawning N processes that wait, then stopping them all.
%% OTP: O(1) each.
-module(sc_spawn).
-export([main/1]).
main(Size) -> scaling_harness:run(spawn, {1000, 10000}, fun op/1, Size).
op(N) ->
    Self = self(),
    scaling_harness:time(
      fun() ->
              Ps = [spawn(fun() -> receive stop -> Self ! stopped end end)
                    || _ <- lists:seq(1, N)],
              [P ! stop || P <- Ps],
              length([receive stopped -> 1 end || _ <- Ps])
      end).

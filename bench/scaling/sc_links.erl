%% Links: a process links to N processes, unlinks them all, links again, then exits and
%% the N linked processes (trapping exits) hear of it. OTP: O(1) or O(log N) each.
-module(sc_links).
-export([main/1]).
main(Size) -> scaling_harness:run(links, {500, 5000}, fun op/1, Size).
op(N) ->
    Self = self(),
    Ps = [spawn(fun() -> process_flag(trap_exit, true), Self ! ready,
                         receive {'EXIT', _, _} -> Self ! gone end end)
          || _ <- lists:seq(1, N)],
    [receive ready -> ok end || _ <- Ps],
    scaling_harness:time(
      fun() ->
              L = spawn(fun() ->
                                [link(P) || P <- Ps],
                                [unlink(P) || P <- Ps],
                                [link(P) || P <- Ps],
                                exit(done)
                        end),
              _ = L,
              length([receive gone -> 1 end || _ <- Ps])
      end).

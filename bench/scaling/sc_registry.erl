%% The registry: N processes registered under N names, each looked up with whereis/1
%% and sent to by name, then unregistered. OTP: O(1) each.
-module(sc_registry).
-export([main/1]).
main(Size) -> scaling_harness:run(registry, {1000, 10000}, fun op/1, Size).
op(N) ->
    U = integer_to_list(erlang:unique_integer([positive])),
    Names = [list_to_atom("sc_reg_" ++ U ++ "_" ++ integer_to_list(I)) || I <- lists:seq(1, N)],
    scaling_harness:time(
      fun() ->
              [register(Name, self()) || Name <- [hd(Names)]],
              unregister(hd(Names)),
              Ps = [spawn(fun() -> receive _ -> ok end end) || _ <- Names],
              [register(Name, P) || {Name, P} <- lists:zip(Names, Ps)],
              C = length([x || Name <- Names, is_pid(whereis(Name))]),
              [unregister(Name) || Name <- Names],
              [P ! stop || P <- Ps],
              C
      end).

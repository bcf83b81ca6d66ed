%% Garbage collection of a heap holding an N-element list: 20 full collections.
%% OTP: linear in what is live.
-module(sc_gc_list).
-export([main/1]).
main(Size) -> scaling_harness:run(gc_list, {4000, 62500}, fun op/1, Size).
op(N) ->
    L = lists:seq(1, N),
    scaling_harness:time(
      fun() ->
              [erlang:garbage_collect() || _ <- lists:seq(1, 20)],
              length(L)
      end).

%% Garbage collection of a process holding N sub-binaries (100 bytes each) of one large
%% binary: 20 full collections. OTP: linear in what is live.
-module(sc_gc_subbins).
-export([main/1]).
main(Size) -> scaling_harness:run(gc_subbins, {1000, 10000}, fun op/1, Size).
op(N) ->
    B = binary:copy(<<"0123456789abcdef">>, N * 7),
    Subs = [binary:part(B, I, 100) || I <- lists:seq(0, N - 1)],
    scaling_harness:time(
      fun() ->
              [erlang:garbage_collect() || _ <- lists:seq(1, 20)],
              length(Subs) + byte_size(hd(Subs))
      end).

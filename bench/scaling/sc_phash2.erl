%% erlang:phash2/1 of an N-element list of tuples, 20 times. OTP: O(N).
-module(sc_phash2).
-export([main/1]).
main(Size) -> scaling_harness:run(phash2, {2000, 25000}, fun op/1, Size).
op(N) ->
    L = [{I, [I]} || I <- lists:seq(1, N)],
    scaling_harness:time(fun() -> lists:sum([erlang:phash2(L) || _ <- lists:seq(1, 20)]) end).

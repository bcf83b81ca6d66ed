%% Non-tail recursion N deep (the stack grows to N frames), 5 times. OTP: O(N).
-module(sc_deep_stack).
-export([main/1]).
main(Size) -> scaling_harness:run(deep_stack, {4000, 62500}, fun op/1, Size).
op(N) -> scaling_harness:time(fun() -> lists:sum([depth(N) || _ <- lists:seq(1, 5)]) end).
depth(0) -> 0;
depth(K) -> 1 + depth(K - 1).

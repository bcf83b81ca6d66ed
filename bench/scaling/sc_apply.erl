%% Code lookup: N calls through an export entry found by name (erlang:apply/3 with a
%% module and function known only at run time). OTP: O(1) each.
-module(sc_apply).
-export([main/1, id/1]).
main(Size) -> scaling_harness:run(apply, {5000, 62500}, fun op/1, Size).
op(N) ->
    M = list_to_atom("sc_apply"),
    scaling_harness:time(fun() -> loop(M, N, 0) end).
loop(_, 0, A) -> A;
loop(M, K, A) -> loop(M, K - 1, A + M:id(K)).
id(X) -> X.

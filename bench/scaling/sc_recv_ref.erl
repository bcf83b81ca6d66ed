%% Selective receive of a fresh reference (gen_server:call) from a process with N
%% unrelated messages queued: 1000 calls. OTP: receive markers skip the old messages, so the
%% cost does not grow with N.
-module(sc_recv_ref).
-export([main/1]).
main(Size) -> scaling_harness:run(recv_ref, {1000, 10000}, fun op/1, Size).
op(N) ->
    Server = spawn_link(fun loop/0),
    [self() ! {junk, I} || I <- lists:seq(1, N)],
    %% Copy the queued messages out of the young heap now, not inside the timed calls.
    erlang:garbage_collect(),
    scaling_harness:time(fun() -> lists:sum([call(Server, I) || I <- lists:seq(1, 1000)]) end).
call(S, M) ->
    R = make_ref(),
    S ! {self(), R, M},
    receive {R, X} -> X end.
loop() -> receive {F, R, M} -> F ! {R, M}, loop() end.

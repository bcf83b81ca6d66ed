%% Selective receive: a mailbox filled with tagged messages and unrelated noise, drained
%% in an order other than arrival order (each receive scans past the messages it skips),
%% and the receive-after-make_ref pattern (which OTP optimises to skip older messages).
-module(selective).
-export([main/0, main/1]).

main() -> main([full]).

main([Size]) ->
    bench_harness:measure(selective, fun(S) -> run(params(S)) end, Size).

params(quick) -> {200, 2};
params(full) -> {2000, 80}.

run({N, Rounds}) -> run(N, Rounds, 0).

run(_, 0, Acc) -> Acc;
run(N, R, Acc) ->
    Self = self(),
    [Self ! {msg, I, I * R} || I <- lists:seq(1, N)],
    [Self ! {noise, I} || I <- lists:seq(1, N div 10)],
    Rev = drain_reverse(N, 0),
    Noise = drain_noise(N div 10, 0),
    Calls = calls(N, 0),
    run(N, R - 1, (Acc * 31 + Rev + Noise + Calls) rem 1000000007).

%% Newest first: each receive skips every older message still queued.
drain_reverse(0, Acc) -> Acc;
drain_reverse(I, Acc) ->
    receive
        {msg, I, V} -> drain_reverse(I - 1, (Acc * 7 + V) rem 1000000007)
    end.

drain_noise(0, Acc) -> Acc;
drain_noise(I, Acc) ->
    receive
        {noise, I} -> drain_noise(I - 1, Acc + I)
    end.

%% A request/reply pair with a fresh reference, as gen_server:call does.
calls(0, Acc) -> Acc;
calls(I, Acc) ->
    Ref = make_ref(),
    self() ! {reply, Ref, I},
    receive
        {reply, Ref, V} -> calls(I - 1, Acc + V)
    end.


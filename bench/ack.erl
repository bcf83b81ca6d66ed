%% Integer recursion: the Ackermann function A(3, N) (deep non-tail recursion: the stack
%% grows to about 2^(N+3) frames), repeated.
-module(ack).
-export([main/0, main/1]).

main() -> main([full]).

main([Size]) ->
    {N, Reps} = params(Size),
    {QN, QReps} = params(quick),
    _ = run(QN, QReps),
    T0 = erlang:monotonic_time(),
    R = run(N, Reps),
    T1 = erlang:monotonic_time(),
    report(ack, T1 - T0, R).

params(quick) -> {5, 2};
params(full) -> {10, 7}.

run(N, Reps) -> run(N, Reps, 0).

run(_, 0, Acc) -> Acc;
run(N, K, Acc) -> run(N, K - 1, Acc + ack(3, N)).

ack(0, N) -> N + 1;
ack(M, 0) -> ack(M - 1, 1);
ack(M, N) -> ack(M - 1, ack(M, N - 1)).

report(Name, Native, Checksum) ->
    Us = erlang:convert_time_unit(Native, native, microsecond),
    io:format("RESULT ~w ~w ~w~n", [Name, Us, Checksum]).

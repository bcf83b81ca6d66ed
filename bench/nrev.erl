%% Lists: naive reverse (quadratic append) of a 30-element list, many times: list
%% construction, head/tail matching and non-tail recursion with a short-lived heap.
-module(nrev).
-export([main/0, main/1]).

main() -> main([full]).

main([Size]) ->
    _ = run(reps(quick)),
    T0 = erlang:monotonic_time(),
    R = run(reps(Size)),
    T1 = erlang:monotonic_time(),
    report(nrev, T1 - T0, R).

reps(quick) -> 2000;
reps(full) -> 400000.

run(Reps) -> run(Reps, lists:seq(1, 30), 0).

run(0, _, Acc) -> Acc;
run(K, L, Acc) ->
    [H | _] = nrev(L),
    run(K - 1, L, (Acc + H * K) rem 1000000007).

nrev([]) -> [];
nrev([H | T]) -> app(nrev(T), [H]).

app([], L) -> L;
app([H | T], L) -> [H | app(T, L)].

report(Name, Native, Checksum) ->
    Us = erlang:convert_time_unit(Native, native, microsecond),
    io:format("RESULT ~w ~w ~w~n", [Name, Us, Checksum]).

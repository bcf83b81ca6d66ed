%% Float numerics: power iteration with an implicitly defined N x N matrix
%% (A(i,j) = 1/((i+j)(i+j+1)/2 + i + 1)), matrix-vector products over lists of floats.
%% The checksum is the squared spectral-norm estimate, scaled and rounded.
-module(spectral).
-export([main/0, main/1]).

main() -> main([full]).

main([Size]) ->
    bench_harness:measure(spectral, fun(S) -> round(run(n(S)) * 1.0e9) end, Size).

n(quick) -> 40;
n(full) -> 600.

run(N) ->
    U0 = lists:duplicate(N, 1.0),
    {U, V} = iterate(10, N, U0, U0),
    dot(U, V) / dot(V, V).

iterate(0, _, U, V) -> {U, V};
iterate(K, N, U, _) ->
    V = at_times(N, U),
    iterate(K - 1, N, at_times(N, V), V).

%% A^T (A v)
at_times(N, V) -> times(N, fun a_t/2, times(N, fun a/2, V)).

times(N, F, V) -> [row(F, I, 0, V, 0.0) || I <- lists:seq(0, N - 1)].

row(_, _, _, [], Acc) -> Acc;
row(F, I, J, [X | Xs], Acc) -> row(F, I, J + 1, Xs, Acc + F(I, J) * X).

a(I, J) -> 1.0 / ((I + J) * (I + J + 1) div 2 + I + 1).
a_t(I, J) -> a(J, I).

dot(Xs, Ys) -> dot(Xs, Ys, 0.0).
dot([X | Xs], [Y | Ys], Acc) -> dot(Xs, Ys, Acc + X * Y);
dot([], [], Acc) -> Acc.


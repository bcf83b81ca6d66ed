%% Bignums: decimal digits of pi from a streaming spigot over a growing linear
%% fractional transformation {Q, R, T} (bignum multiply, add and exact division).
%% The checksum folds every digit produced.
-module(pidigits).
-export([main/0, main/1]).

main() -> main([full]).

main([Size]) ->
    bench_harness:measure(pidigits, fun(S) -> digits(n(S)) end, Size).

n(quick) -> 100;
n(full) -> 2200.

digits(N) -> spigot(N, 1, 0, 1, 1, 0).

%% State: the transformation (Q*x + R) / T applied to the tail of the series, the next
%% term index K, and the running checksum H.
spigot(0, _, _, _, _, H) -> H;
spigot(N, Q, R, T, K, H) ->
    case extract(Q, R, T, 3) =:= extract(Q, R, T, 4) of
        true ->
            D = extract(Q, R, T, 3),
            spigot(N - 1, 10 * Q, 10 * (R - D * T), T, K, (H * 10 + D) rem 1000000007);
        false ->
            %% compose with the K-th term of the series: (k, 4k+2; 0, 2k+1)
            spigot(N, Q * K, (2 * K + 1) * (2 * Q + R), (2 * K + 1) * T, K + 1, H)
    end.

extract(Q, R, T, X) -> (Q * X + R) div T.


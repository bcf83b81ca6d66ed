%% Tuples and records: a simulation of particles held as records, updated field by
%% field, plus element/setelement on a fixed-size tuple used as a histogram.
-module(records).
-export([main/0, main/1]).

-record(particle, {id, x = 0, y = 0, vx = 1, vy = 1, hits = 0}).

main() -> main([full]).

main([Size]) ->
    bench_harness:measure(records, fun(S) -> run(params(S)) end, Size).

params(quick) -> {100, 20};
params(full) -> {1000, 6000}.

run({N, Steps}) ->
    Ps = [#particle{id = I, x = I rem 50, y = I rem 37, vx = 1 + I rem 3, vy = 2 - I rem 5}
          || I <- lists:seq(1, N)],
    Hist0 = erlang:make_tuple(16, 0),
    {Ps1, Hist} = steps(Steps, Ps, Hist0),
    Hits = lists:foldl(fun(#particle{hits = H, x = X, y = Y}, A) -> A + H * 3 + X + Y end,
                       0, Ps1),
    Weighted = lists:foldl(fun(I, A) -> A + I * element(I, Hist) end, 0, lists:seq(1, 16)),
    (Hits * 1000003 + Weighted) rem 1000000007.

steps(0, Ps, Hist) -> {Ps, Hist};
steps(K, Ps, Hist) ->
    {Ps1, Hist1} = step(Ps, [], Hist),
    steps(K - 1, Ps1, Hist1).

step([], Acc, Hist) -> {Acc, Hist};
step([P | Ps], Acc, Hist) ->
    P1 = bounce(move(P)),
    Bin = 1 + (P1#particle.x + P1#particle.y) rem 16,
    Hist1 = setelement(Bin, Hist, element(Bin, Hist) + 1),
    step(Ps, [P1 | Acc], Hist1).

move(#particle{x = X, y = Y, vx = VX, vy = VY} = P) ->
    P#particle{x = X + VX, y = Y + VY}.

bounce(#particle{x = X, vx = VX, hits = H} = P) when X < 0; X > 100 ->
    bounce(P#particle{x = X - 2 * VX, vx = -VX, hits = H + 1});
bounce(#particle{y = Y, vy = VY, hits = H} = P) when Y < 0; Y > 100 ->
    P#particle{y = Y - 2 * VY, vy = -VY, hits = H + 1};
bounce(P) ->
    P.


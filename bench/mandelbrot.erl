%% Float numerics: escape-time iteration over a grid of the complex plane (float
%% multiply/add/compare in a tight loop). The checksum is the total iteration count.
-module(mandelbrot).
-export([main/0, main/1]).

-define(MAX_ITER, 64).

main() -> main([full]).

main([Size]) ->
    bench_harness:measure(mandelbrot, fun(S) -> grid(side(S)) end, Size).

side(quick) -> 60;
side(full) -> 1000.

grid(Side) -> rows(Side - 1, Side, 0).

rows(-1, _, Acc) -> Acc;
rows(J, Side, Acc) ->
    CI = -1.25 + 2.5 * J / Side,
    rows(J - 1, Side, cols(Side - 1, Side, CI, Acc)).

cols(-1, _, _, Acc) -> Acc;
cols(I, Side, CI, Acc) ->
    CR = -2.0 + 2.5 * I / Side,
    cols(I - 1, Side, CI, Acc + iter(0.0, 0.0, CR, CI, 0)).

iter(_, _, _, _, ?MAX_ITER) -> ?MAX_ITER;
iter(ZR, ZI, CR, CI, N) ->
    ZR2 = ZR * ZR,
    ZI2 = ZI * ZI,
    if
        ZR2 + ZI2 > 4.0 -> N;
        true -> iter(ZR2 - ZI2 + CR, 2.0 * ZR * ZI + CI, CR, CI, N + 1)
    end.


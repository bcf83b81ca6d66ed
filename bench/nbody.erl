%% Float numerics: a gravitational n-body simulation (five bodies, all-pairs forces,
%% symplectic Euler steps) on tuples of floats, with math:sqrt in the inner loop.
%% The checksum is the system's energy after the run, scaled and rounded to an integer.
-module(nbody).
-export([main/0, main/1]).

main() -> main([full]).

main([Size]) ->
    bench_harness:measure(nbody, fun(S) -> round(run(steps(S)) * 1.0e9) end, Size).

steps(quick) -> 2000;
steps(full) -> 600000.

%% A made-up system: a heavy central body and four lighter ones on rough orbits.
%% Body: {X, Y, Z, VX, VY, VZ, Mass}.
bodies() ->
    Bs = [{0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 40.0},
          {1.0, 0.0, 0.1, 0.0, 6.2, 0.05, 0.02},
          {0.0, 2.1, -0.2, -4.3, 0.0, 0.1, 0.05},
          {-3.3, 0.4, 0.0, 0.3, -3.4, 0.0, 0.01},
          {0.2, -5.0, 0.3, 2.8, 0.1, -0.02, 0.08}],
    offset_momentum(Bs).

offset_momentum(Bs) ->
    {PX, PY, PZ, M} =
        lists:foldl(fun({_, _, _, VX, VY, VZ, Mi}, {AX, AY, AZ, AM}) ->
                            {AX + VX * Mi, AY + VY * Mi, AZ + VZ * Mi, AM + Mi}
                    end, {0.0, 0.0, 0.0, 0.0}, Bs),
    [{X, Y, Z, VX, VY, VZ, Mi} | Rest] = Bs,
    [{X, Y, Z, VX - PX / M, VY - PY / M, VZ - PZ / M, Mi} | Rest].

run(Steps) ->
    energy(advance(Steps, 0.001, bodies())).

advance(0, _, Bs) -> Bs;
advance(N, Dt, Bs) -> advance(N - 1, Dt, move(Dt, velocities(Dt, Bs))).

%% Update every pair's velocities once.
velocities(_, []) -> [];
velocities(Dt, [B | Rest]) ->
    {B1, Rest1} = pairs(Dt, B, Rest, []),
    [B1 | velocities(Dt, Rest1)].

pairs(_, B, [], Acc) -> {B, lists:reverse(Acc)};
pairs(Dt, {X, Y, Z, VX, VY, VZ, M}, [{X2, Y2, Z2, VX2, VY2, VZ2, M2} | Rest], Acc) ->
    DX = X - X2, DY = Y - Y2, DZ = Z - Z2,
    D2 = DX * DX + DY * DY + DZ * DZ,
    Mag = Dt / (D2 * math:sqrt(D2)),
    B1 = {X, Y, Z, VX - DX * M2 * Mag, VY - DY * M2 * Mag, VZ - DZ * M2 * Mag, M},
    B2 = {X2, Y2, Z2, VX2 + DX * M * Mag, VY2 + DY * M * Mag, VZ2 + DZ * M * Mag, M2},
    pairs(Dt, B1, Rest, [B2 | Acc]).

move(_, []) -> [];
move(Dt, [{X, Y, Z, VX, VY, VZ, M} | Rest]) ->
    [{X + Dt * VX, Y + Dt * VY, Z + Dt * VZ, VX, VY, VZ, M} | move(Dt, Rest)].

energy(Bs) -> energy(Bs, 0.0).

energy([], E) -> E;
energy([{X, Y, Z, VX, VY, VZ, M} | Rest], E) ->
    Kin = 0.5 * M * (VX * VX + VY * VY + VZ * VZ),
    Pot = lists:foldl(fun({X2, Y2, Z2, _, _, _, M2}, P) ->
                              DX = X - X2, DY = Y - Y2, DZ = Z - Z2,
                              P - M * M2 / math:sqrt(DX * DX + DY * DY + DZ * DZ)
                      end, 0.0, Rest),
    energy(Rest, E + Kin + Pot).


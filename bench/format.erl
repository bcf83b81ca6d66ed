%% String formatting: io_lib:format with the common directives (~p ~w ~s ~b ~B ~f ~e
%% ~c ~ts with widths, precisions, padding) over integers, floats, atoms, strings and
%% nested terms. The checksum folds every character produced.
-module(format).
-export([main/0, main/1]).

main() -> main([full]).

main([Size]) ->
    bench_harness:measure(format, fun(S) -> run(n(S)) end, Size).

n(quick) -> 200;
n(full) -> 35000.

run(N) -> run(N, 0).

run(0, Acc) -> Acc;
run(I, Acc) ->
    F = I / 7,
    Lines =
        [io_lib:format("~p ~w ~s~n", [{I, [a, "str", F]}, I * I, "plain"]),
         io_lib:format("~8.3f|~-12s|~12s|~.16B|~b~n", [F, "left", "right", I, -I]),
         io_lib:format("~e ~.2e ~10.4f~n", [F * 1.0e6, F, -F]),
         io_lib:format("~5..0B ~-6w| ~c~c ~~ ~ts~n", [I rem 1000, ok, $x, $y, "text"]),
         io_lib:format("~p~n", [[{key, I}, {value, lists:seq(1, I rem 5)}]])],
    run(I - 1, fold(lists:flatten(Lines), Acc)).

fold([], H) -> H;
fold([C | Cs], H) -> fold(Cs, (H * 31 + C) rem 1000000007).


%% halt/2 with {flush, true}: the output is written before exiting with 7.
-module(halt_flush).
-export([main/0]).

main() ->
    [io:format("line ~p~n", [I]) || I <- lists:seq(1, 20)],
    halt(7, [{flush, true}]).

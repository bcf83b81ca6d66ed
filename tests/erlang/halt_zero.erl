%% halt/0 after printing: exit status 0, output flushed, init stop never runs.
-module(halt_zero).
-export([main/0]).

main() ->
    io:format("before halt~n"),
    halt(),
    io:format("never printed~n").

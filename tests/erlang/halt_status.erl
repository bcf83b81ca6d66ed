%% halt/1 with a non-zero status: erl exits with that status.
-module(halt_status).
-export([main/0]).

main() ->
    io:format("halting with 3~n"),
    [io:format("line ~p~n", [I]) || I <- lists:seq(1, 5)],
    halt(3).

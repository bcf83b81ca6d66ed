%% halt/1 with a status above 255: the OS keeps the low 8 bits (300 -> 44).
-module(halt_wrap).
-export([main/0]).

main() ->
    io:format("halting with 300~n"),
    halt(300).

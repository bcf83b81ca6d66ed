#!/usr/bin/env escript
%% -*- erlang -*-
%%! -pa /nonexistent -myflag 1
%% An escript in source form with a shebang and an emulator-arguments line.
main(Args) ->
    io:format("source ~p ~p~n", [Args, init:get_argument(myflag)]),
    halt(lists:sum([list_to_integer(A) || A <- Args])).

%% An uncaught error in the start function: erl prints its boot crash report
%% ("init terminating in do_boot") and exits with status 1. Nothing is printed
%% before the crash: erl halts without flushing io, so earlier output may or
%% may not appear.
-module(crash_in_main).
-export([main/0]).

main() ->
    Config = parse([{name, "x"}, {size, "12"}, {depth, "deep"}]),
    {ok, Config}.

parse(Pairs) ->
    [{K, to_int(V)} || {K, V} <- Pairs, K =/= name].

to_int(S) ->
    case string:to_integer(S) of
        {N, []} -> N;
        _ -> erlang:error({not_an_integer, S})
    end.

%% An escript's main module (crates/girder-cli/tests/as_erl.rs builds escripts
%% of it in each form).
-module(hello).
-export([main/1]).

main(Args) ->
    io:format("hello ~p ~p~n", [Args, escript:script_name() =/= []]),
    io:format("~ts~n", [io_lib:format("~p", [lists:seq(1, 5)])]).

%% persistent_term, os environment functions and module_loaded.
-module(runtime_services).
-export([main/0]).

main() ->
    io:format("~p~n", [persistent_term:get(rs_missing, default)]),
    ok = persistent_term:put({rs, key}, #{list => [1, 2, 3], bin => <<"b">>}),
    io:format("~p~n", [persistent_term:get({rs, key})]),
    ok = persistent_term:put({rs, key}, replaced),
    io:format("~p~n", [persistent_term:get({rs, key})]),
    io:format("~p~n", [persistent_term:erase({rs, key})]),
    io:format("~p~n", [persistent_term:erase({rs, key})]),
    io:format("~p~n", [try persistent_term:get({rs, key}) catch error:E -> E end]),
    io:format("~p~n", [os:getenv("GIRDER_SURELY_UNSET_VARIABLE")]),
    true = os:putenv("GIRDER_RS_TEST", "value 1"),
    io:format("~p~n", [os:getenv("GIRDER_RS_TEST")]),
    true = os:unsetenv("GIRDER_RS_TEST"),
    io:format("~p~n", [os:getenv("GIRDER_RS_TEST")]),
    io:format("~p~n", [{erlang:module_loaded(runtime_services), erlang:module_loaded(surely_no_such_module)}]),
    ok.

-module(nif_loading).
-export([main/0, stub/1]).
-on_load(init/0).
-nifs([stub/1]).

%% The `on_load` function runs before the module can be called; a NIF library
%% girder does not provide fails to load as a missing one does in erl, and the
%% functions declared as NIFs keep their Erlang bodies.

init() ->
    R = erlang:load_nif("./nif_loading_no_such_lib", 0),
    io:format("on_load: ~p~n", [R]),
    put(on_load_ran, yes),
    ok.

stub(X) ->
    erlang:nif_error({not_loaded, X}).

main() ->
    io:format("main~n"),
    io:format("~p~n", [catch stub(1)]),
    io:format("~p~n", [erlang:load_nif("./nif_loading_other", [])]),
    io:format("~p~n", [code:is_loaded(nif_loading) =/= false]),
    io:format("~p~n", [erlang:function_exported(nif_loading, stub, 1)]),
    %% OTP's modules with NIFs girder provides load theirs in `on_load`.
    io:format("~p ~p~n", [is_binary(crypto:hash(sha, <<>>)), is_binary(zlib:compress(<<>>))]),
    io:format("~p~n", [erlang:function_exported(crypto, hash, 2)]),
    ok.

-module(otp_gen_event).
-behaviour(gen_event).
-export([main/0]).
-export([init/1, handle_event/2, handle_call/2, handle_info/2, terminate/2, code_change/3]).

%% Two handlers of this module (ids {otp_gen_event, Name}) on one event manager:
%% notify, sync_notify, call, info, swap, delete, a crashing handler removed.

main() ->
    {ok, M} = gen_event:start_link({local, evm}),
    ok = gen_event:add_handler(evm, {?MODULE, a}, {a, []}),
    ok = gen_event:add_handler(evm, {?MODULE, b}, {b, []}),
    io:format("~p~n", [lists:sort(gen_event:which_handlers(evm))]),
    ok = gen_event:notify(evm, one),
    ok = gen_event:sync_notify(evm, two),
    evm ! three,
    io:format("~p~n", [gen_event:call(evm, {?MODULE, a}, get)]),
    io:format("~p~n", [gen_event:call(evm, {?MODULE, b}, get)]),
    io:format("~p~n", [gen_event:call(evm, {?MODULE, c}, get)]),
    ok = gen_event:swap_handler(evm, {{?MODULE, a}, swapped}, {{?MODULE, c}, c}),
    io:format("~p~n", [lists:sort(gen_event:which_handlers(evm))]),
    io:format("~p~n", [gen_event:call(evm, {?MODULE, c}, get)]),
    io:format("~p~n", [gen_event:delete_handler(evm, {?MODULE, b}, bye)]),
    io:format("~p~n", [gen_event:delete_handler(evm, {?MODULE, b}, bye)]),
    %% a handler that returns remove_handler goes away
    ok = gen_event:sync_notify(evm, remove_me),
    io:format("~p~n", [gen_event:which_handlers(evm)]),
    ok = gen_event:add_sup_handler(evm, {?MODULE, s}, {s, []}),
    io:format("~p~n", [gen_event:delete_handler(evm, {?MODULE, s}, go)]),
    receive
        {gen_event_EXIT, H, R} -> io:format("exit ~p ~p~n", [H, R])
    after 1000 -> io:format("no exit~n")
    end,
    io:format("~p~n", [erlang:is_process_alive(M)]),
    ok = gen_event:stop(evm),
    io:format("~p~n", [whereis(evm)]),
    ok.

init({Name, {From, N}}) when is_atom(From), is_integer(N) ->
    {ok, {Name, [{swapped_from, From, N}]}};
init({Name, Log}) ->
    {ok, {Name, Log}}.

handle_event(remove_me, {c, _}) ->
    remove_handler;
handle_event(E, {Name, Log}) ->
    {ok, {Name, [E | Log]}}.

handle_call(get, {Name, Log} = S) ->
    {ok, {Name, lists:reverse(Log)}, S}.

handle_info(I, {Name, Log}) ->
    {ok, {Name, [{info, I} | Log]}}.

terminate(swapped, {Name, Log}) ->
    {Name, length(Log)};
terminate({stop, _}, _) ->
    ok;
terminate(Arg, {Name, _}) ->
    {terminated, Name, Arg}.

code_change(_Old, S, _Extra) ->
    {ok, S}.

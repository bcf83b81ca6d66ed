-module(otp_gen_statem).
-behaviour(gen_statem).
-export([main/0]).
-export([callback_mode/0, init/1, locked/3, open/3, handle_event/4, terminate/3, code_change/4]).

%% A code lock in state functions mode, and a counter in handle_event_function

main() ->
    {ok, Pid} = gen_statem:start_link({local, lock}, ?MODULE, [1, 2, 3], []),
    io:format("~p~n", [gen_statem:call(lock, state)]),
    gen_statem:cast(lock, {button, 1}),
    gen_statem:cast(lock, {button, 2}),
    io:format("~p~n", [gen_statem:call(lock, state)]),
    gen_statem:cast(lock, {button, 3}),
    io:format("~p~n", [gen_statem:call(lock, state)]),
    %% postponed until the lock closes again
    gen_statem:cast(lock, postponed_hello),
    %% the state timeout closes the lock
    timer:sleep(150),
    io:format("~p~n", [gen_statem:call(lock, state)]),
    io:format("~p~n", [gen_statem:call(lock, log)]),
    io:format("~p~n", [sys:get_state(lock)]),
    ok = sys:suspend(lock),
    io:format("~p~n", [element(1, sys:get_status(lock))]),
    ok = sys:resume(lock),
    io:format("~p~n", [catch gen_statem:call(lock, bad_request, 100)]),
    ok = gen_statem:stop(Pid),
    io:format("~p~n", [whereis(lock)]),
    {ok, C} = gen_statem:start(?MODULE, {counter, 0}, []),
    io:format("~p~n", [gen_statem:call(C, {add, 5})]),
    io:format("~p~n", [gen_statem:call(C, {add, 7})]),
    gen_statem:cast(C, reset),
    io:format("~p~n", [gen_statem:call(C, get)]),
    %% generic timeout and event timeout
    io:format("~p~n", [gen_statem:call(C, {wait_generic, 30})]),
    io:format("~p~n", [after_timeout(C, 100)]),
    io:format("~p~n", [gen_statem:call(C, {wait_event, 30})]),
    io:format("~p~n", [after_timeout(C, 100)]),
    Ref = erlang:monitor(process, C),
    gen_statem:cast(C, {stop, normal}),
    receive {'DOWN', Ref, process, C, R} -> io:format("down ~p~n", [R]) end,
    ok.

%% The state once the 30 ms timeout has fired: looked at every 20 ms through sys (a
%% system message is not an event, so it does not cancel an event timeout; a loaded
%% machine may fire the timeout late), at most Tries times.
after_timeout(C, Tries) ->
    timer:sleep(20),
    case sys:get_state(C) of
        {waiting, _} when Tries > 1 -> after_timeout(C, Tries - 1);
        _ -> gen_statem:call(C, get)
    end.

callback_mode() ->
    case get(mode) of
        counter -> handle_event_function;
        _ -> state_functions
    end.

init({counter, N}) ->
    put(mode, counter),
    {ok, counting, N};
init(Code) ->
    {ok, locked, #{code => Code, entered => [], log => []}}.


locked(cast, {button, B}, #{code := Code, entered := E} = D) ->
    case E ++ [B] of
        Code -> {next_state, open, D#{entered := [], log := [opened | maps:get(log, D)]},
                 [{state_timeout, 50, lock}]};
        E1 when length(E1) < length(Code) -> {keep_state, D#{entered := E1}};
        _ -> {keep_state, D#{entered := []}}
    end;
locked(cast, Msg, #{log := L} = D) ->
    {keep_state, D#{log := [{got, Msg} | L]}};
locked({call, From}, state, D) ->
    {keep_state_and_data, [{reply, From, {locked, maps:get(entered, D)}}]};
locked({call, From}, log, D) ->
    {keep_state_and_data, [{reply, From, lists:reverse(maps:get(log, D))}]};
locked({call, _From}, bad_request, _D) ->
    keep_state_and_data.

open(state_timeout, lock, #{log := L} = D) ->
    {next_state, locked, D#{log := [closed | L]}};
open(cast, {button, _}, _D) ->
    keep_state_and_data;
open(cast, _Msg, _D) ->
    {keep_state_and_data, [postpone]};
open({call, From}, state, _D) ->
    {keep_state_and_data, [{reply, From, open}]}.

%% handle_event_function mode
handle_event({call, From}, {add, N}, counting, Sum) ->
    {keep_state, Sum + N, [{reply, From, Sum + N}]};
handle_event({call, From}, get, State, Sum) ->
    {keep_state_and_data, [{reply, From, {State, Sum}}]};
handle_event({call, From}, {wait_generic, T}, _State, _Sum) ->
    {next_state, waiting, 0, [{reply, From, waiting}, {{timeout, g}, T, fired}]};
handle_event({call, From}, {wait_event, T}, _State, _Sum) ->
    {next_state, waiting, 0, [{reply, From, waiting}, {timeout, T, idle}]};
handle_event({timeout, g}, fired, waiting, Sum) ->
    {next_state, counting, Sum + 100};
handle_event(timeout, idle, waiting, Sum) ->
    {next_state, counting, Sum + 1000};
handle_event(cast, reset, _State, _Sum) ->
    {keep_state, 0};
handle_event(cast, {stop, R}, _State, _Sum) ->
    {stop, R}.

terminate(_Reason, _State, _Data) -> ok.
code_change(_Old, State, Data, _Extra) -> {ok, State, Data}.

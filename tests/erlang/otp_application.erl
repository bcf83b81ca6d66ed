-module(otp_application).
-behaviour(application).
-export([main/0]).
-export([start/2, prep_stop/1, stop/1]).
-export([init/1, handle_call/3, handle_cast/2, start_worker/0]).

%% An application (otp_application.app) whose callback module is this one: it
%% starts a supervisor (init(sup)) over one gen_server worker (init(worker)).

main() ->
    %% No "application exited" notices: erl's logger writes them at a time of its own.
    ok = logger:set_primary_config(level, warning),
    io:format("~p~n", [application:get_env(otp_application, greeting)]),
    io:format("~p~n", [application:load(otp_application)]),
    io:format("~p~n", [application:load(otp_application)]),
    io:format("~p~n", [application:get_env(otp_application, greeting)]),
    io:format("~p~n", [application:get_env(otp_application, missing, fallback)]),
    io:format("~p~n", [lists:sort(application:get_all_env(otp_application))]),
    io:format("~p~n", [application:get_key(otp_application, vsn)]),
    io:format("~p~n", [application:get_key(otp_application, registered)]),
    io:format("~p~n", [application:get_env(kernel, no_such_key)]),
    io:format("~p~n", [application:start(no_such_app)]),
    io:format("~p~n", [application:start(otp_application)]),
    io:format("~p~n", [application:start(otp_application)]),
    io:format("~p~n", [[A || {A, _, _} <- application:which_applications()]]),
    io:format("~p~n", [gen_server:call(otp_application_worker, greet)]),
    io:format("~p~n", [application:get_application(whereis(otp_application_worker))]),
    ok = application:set_env(otp_application, greeting, bonjour),
    io:format("~p~n", [gen_server:call(otp_application_worker, greet)]),
    ok = application:unset_env(otp_application, greeting),
    io:format("~p~n", [gen_server:call(otp_application_worker, greet)]),
    io:format("~p~n", [supervisor:count_children(otp_application_sup)]),
    io:format("~p~n", [application:stop(otp_application)]),
    io:format("~p~n", [whereis(otp_application_sup)]),
    io:format("~p~n", [application:stop(otp_application)]),
    io:format("~p~n", [[A || {A, _, _} <- application:which_applications()]]),
    io:format("~p~n", [application:ensure_all_started(otp_application)]),
    io:format("~p~n", [application:ensure_all_started(otp_application)]),
    io:format("~p~n", [application:ensure_started(otp_application)]),
    io:format("~p~n", [application:stop(otp_application)]),
    io:format("~p~n", [application:unload(otp_application)]),
    io:format("~p~n", [application:get_env(otp_application, greeting)]),
    %% Left running: init:stop stops it (prep_stop, stop) before the VM halts.
    io:format("~p~n", [application:start(otp_application)]),
    ok.

%% application
start(normal, Args) ->
    io:format("start ~p~n", [Args]),
    supervisor:start_link({local, otp_application_sup}, ?MODULE, sup).

prep_stop(State) ->
    io:format("prep_stop~n"),
    State.

stop(_State) ->
    io:format("stop~n"),
    ok.

%% supervisor and gen_server
init(sup) ->
    {ok, {#{strategy => one_for_one},
          [#{id => worker, start => {?MODULE, start_worker, []}}]}};
init(worker) ->
    {ok, no_state}.

start_worker() ->
    gen_server:start_link({local, otp_application_worker}, ?MODULE, worker, []).

handle_call(greet, _From, S) ->
    {reply, application:get_env(greeting), S}.

handle_cast(_Msg, S) ->
    {noreply, S}.

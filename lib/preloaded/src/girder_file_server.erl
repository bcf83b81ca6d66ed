%% The file server's stand-in. OTP's kernel starts its file server (file_server_2, which
%% `file` calls) at boot. Starting OTP's file_server means loading gen_server, gen,
%% proc_lib and file_server, which costs about as much as the rest of girder's boot; so
%% init registers this process under the name instead, and it becomes OTP's file_server
%% (file_server:init/1, then gen_server:enter_loop/4) when the first message arrives.
-module(girder_file_server).
-export([start/0, wait/1]).

-define(NAME, file_server_2).

start() ->
    Pid = spawn(?MODULE, wait, [self()]),
    true = register(?NAME, Pid),
    ok.

wait(Parent) ->
    receive
        Msg -> become(Parent, Msg)
    end.

become(Parent, Msg) ->
    %% What proc_lib records for a process it starts (gen_server:enter_loop needs the
    %% parent).
    put('$ancestors', [Parent]),
    put('$initial_call', {file_server, init, 1}),
    {ok, State0} = file_server:init([]),
    State = case Msg of
                %% Calls and system messages are synchronous: their sender waits for
                %% the reply and has sent nothing after them, so the server takes them
                %% from its queue (only other senders' messages may come first, which
                %% Erlang's ordering allows).
                {'$gen_call', _, _} -> self() ! Msg, State0;
                {system, _, _} -> self() ! Msg, State0;
                {'$gen_cast', Cast} -> noreply(file_server:handle_cast(Cast, State0), State0);
                _ -> noreply(file_server:handle_info(Msg, State0), State0)
            end,
    gen_server:enter_loop(file_server, [], State, {local, ?NAME}).

noreply({noreply, State}, _) -> State;
noreply({stop, Reason, State}, _) ->
    _ = file_server:terminate(Reason, State),
    exit(Reason).

%% girder's `user_sup`: the supervisor bridge kernel_sup starts as OTP's, over
%% girder's `user` I/O server, which the boot started before `init` (girder_user,
%% standard input and output; OTP's starts `user` or `user_drv` over a port,
%% which girder does not have, and girder has no shell).
-module(user_sup).
-behaviour(supervisor_bridge).
-export([start/0, init/1, terminate/2]).

start() ->
    supervisor_bridge:start_link(user_sup, []).

init([]) ->
    case whereis(user) of
        Pid when is_pid(Pid) -> {ok, Pid, Pid};
        undefined -> ignore
    end.

terminate(_Reason, _Pid) ->
    ok.

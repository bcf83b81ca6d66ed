%% girder's `standard_error`: the supervisor bridge kernel_sup starts as OTP's
%% (registered `standard_error_sup`), over girder's `standard_error` I/O server,
%% which the boot started before `init` (girder_user, writing to fd 2; OTP's
%% opens a port, which girder does not have).
-module(standard_error).
-behaviour(supervisor_bridge).
-export([start_link/0, init/1, terminate/2]).

start_link() ->
    supervisor_bridge:start_link({local, standard_error_sup}, ?MODULE, []).

init([]) ->
    case whereis(standard_error) of
        Pid when is_pid(Pid) -> {ok, Pid, Pid};
        undefined -> {error, no_stderror}
    end.

terminate(_Reason, Pid) ->
    (catch exit(Pid, kill)),
    ok.

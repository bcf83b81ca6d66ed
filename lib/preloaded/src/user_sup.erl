%% girder's `user_sup`: the supervisor bridge kernel_sup starts as OTP's.
%%
%% With -noshell or -noinput it bridges over girder's `user` I/O server, which
%% the boot started before `init` (girder_user: standard input and output).
%% Otherwise it starts the shell as OTP's user_sup does: OTP's `user_drv`, which
%% opens the terminal driver (`tty_sl`, girder's, in girder-runtime's
%% port/tty.rs) and starts `group` and `shell`; where standard input or output is
%% no terminal, that port does not open and `user_drv` falls back on OTP's
%% `user` over the `{fd, 0, 1}` port, as in erl. The boot's own server stays up,
%% unregistered, as the group leader of the processes started before.
-module(user_sup).
-behaviour(supervisor_bridge).
-export([start/0, init/1, terminate/2]).

start() ->
    supervisor_bridge:start_link(user_sup, []).

init([]) ->
    case user_mode(init:get_arguments(), {user_drv, start, []}) of
        boot_server ->
            case whereis(user) of
                Pid when is_pid(Pid) -> {ok, Pid, Pid};
                undefined -> ignore
            end;
        {user_drv, start, []} = MFA ->
            case remote_shell() of
                true -> start_remote_shell(MFA);
                false -> start_user(user_drv, start, [])
            end;
        {M, F, A} ->
            start_user(M, F, A)
    end.

%% -remsh Node with -sname or -name: OTP's user_drv starts the shell on Node,
%% which needs this node's distribution. erl's kernel_sup starts that before
%% `user`; girder's starts it after the boot (see init:start_distribution/0),
%% so user_drv starts once the node has its name (at most 30 s), from a process
%% of its own: kernel_sup waits for this child before the boot goes on. (Without
%% a name, user_drv asks net_kernel for a dynamic one, which girder lacks.)
remote_shell() ->
    init:get_argument(remsh) =/= error andalso
        (init:get_argument(sname) =/= error orelse init:get_argument(name) =/= error).

start_remote_shell({M, F, A}) ->
    Starter = spawn_link(fun() ->
                                 wait_for_node(300),
                                 {ok, User, _} = start_user(M, F, A),
                                 receive after infinity -> User end
                         end),
    {ok, Starter, {shell, Starter}}.

wait_for_node(0) ->
    exit(nodistribution);
wait_for_node(N) ->
    case node() of
        nonode@nohost ->
            receive after 100 -> ok end,
            wait_for_node(N - 1);
        _ ->
            ok
    end.

%% A shell's server: as OTP's, give it a second to write what it has (the
%% shell's last answer), then stop it. girder's own server is left to `init`,
%% which stops every process itself once the applications are down.
terminate(_Reason, {shell, UserPid}) ->
    receive after 1000 -> ok end,
    exit(UserPid, kill),
    ok;
terminate(_Reason, _UserPid) ->
    ok.

%% The flags decide as in OTP's user_sup (the last one wins); -oldshell is
%% OTP's `user` with a shell; `-user Mod` starts Mod:start() (IEx.CLI so).
user_mode([{noshell, []} | T], _) -> user_mode(T, boot_server);
user_mode([{noinput, []} | T], _) -> user_mode(T, boot_server);
user_mode([{nouser, []} | T], _) -> user_mode(T, boot_server);
user_mode([{oldshell, []} | T], _) -> user_mode(T, {user, start, []});
user_mode([{user, [User]} | T], _) -> user_mode(T, {list_to_atom(User), start, []});
user_mode([_ | T], Mode) -> user_mode(T, Mode);
user_mode([], Mode) -> Mode.

start_user(M, F, A) ->
    case whereis(user) of
        undefined -> ok;
        _Boot -> unregister(user)
    end,
    _ = apply(M, F, A),
    wait_for_user(100).

%% OTP's user_sup waits the same way: user_drv (or user) registers `user`.
wait_for_user(0) ->
    {error, nouser};
wait_for_user(N) ->
    case whereis(user) of
        Pid when is_pid(Pid) ->
            link(Pid),
            {ok, Pid, {shell, Pid}};
        undefined ->
            receive after 100 -> ok end,
            wait_for_user(N - 1)
    end.

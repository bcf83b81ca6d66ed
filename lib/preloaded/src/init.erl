%% girder's init: OTP's preloaded `init` module, written for girder. As in
%% OTP, init:boot/1 registers the calling process as `init`, which traps exits
%% and serves init's requests (get_status/0, script_id/0, notify_when_started/1,
%% get_configfd/1, make_permanent/2...), while a boot process it links to
%% evaluates the boot script (`-boot`, default bin/start.boot of the OTP
%% installation) and then runs the -s, -run and -eval requests in command-line
%% order, as OTP's init:start_em/1 runs them, so a crash shows OTP's frames
%% (init:start_it/1, init:start_em/1, init:do_boot/3). stop/0,1, reboot/0 and
%% restart/0,1 take the system down as OTP's init does (the kernel processes,
%% then every other process and port); restart/0,1 then boots again in the same
%% OS process. The command line itself comes from girder's `girder_init` BIFs.
-module(init).
-export([boot/1]).
-export([get_arguments/0, get_argument/1, get_plain_arguments/0,
         script_id/0, script_name/0, get_status/0,
         restart/0, restart/1, reboot/0, stop/0, stop/1]).
-export([run_on_load_handlers/0, fetch_loaded/0, ensure_loaded/1,
         make_permanent/2, notify_when_started/1, wait_until_started/0,
         objfile_extension/0, archive_extension/0, code_path_choice/0,
         get_configfd/1, set_configfd/2]).

-record(state, {flags = [],
                args = [],
                start = [],
                kernel = [],
                bootpid,
                status = {starting, starting},
                script_id = [],
                loaded = [],
                subscribed = [],
                configfds = #{},
                script_name = []}).

%% ---------------------------------------------------------------------
%% The interface (requests to the init process, as OTP's)

get_arguments() ->
    request(get_arguments).

get_argument(Flag) ->
    request({get_argument, Flag}).

get_plain_arguments() ->
    request(get_plain_arguments).

script_id() ->
    request(script_id).

script_name() ->
    request(get_script_name).

get_status() ->
    request(get_status).

fetch_loaded() ->
    request(fetch_loaded).

ensure_loaded(Module) ->
    request({ensure_loaded, Module}).

make_permanent(Boot, Config) ->
    request({make_permanent, Boot, Config}).

notify_when_started(Pid) ->
    request({notify_when_started, Pid}).

wait_until_started() ->
    receive
        {init, started} -> ok
    end.

get_configfd(Id) ->
    request({get_configfd, Id}).

set_configfd(Id, Config) ->
    request({set_configfd, Id, Config}).

%% Without an init process (`girder run`), the command line answers directly.
request(Req) ->
    case whereis(init) of
        undefined ->
            direct(Req);
        Init ->
            Init ! {self(), Req},
            receive
                {init, Rep} -> Rep
            end
    end.

direct(get_arguments) -> girder_init:get_arguments();
direct({get_argument, F}) -> get_argument(F, girder_init:get_arguments());
direct(get_plain_arguments) -> girder_init:get_plain_arguments();
direct(get_status) -> {started, started};
direct(_) -> erlang:error(badarg).

restart() ->
    restart([]).

restart([]) ->
    init ! {stop, restart}, ok;
restart([{mode, Mode}]) when Mode =:= embedded; Mode =:= interactive ->
    init ! {stop, {restart, Mode}}, ok;
restart(Opts) when is_list(Opts) ->
    erlang:error(badarg, [Opts]).

reboot() ->
    init ! {stop, reboot}, ok.

stop() ->
    init ! {stop, stop}, ok.

stop(Status) when is_integer(Status), Status >= 0 ->
    stop_1(Status);
stop(Status) when is_list(Status) ->
    case is_bytelist(Status) of
        true -> stop_1(Status);
        false -> erlang:error(badarg)
    end;
stop(_) ->
    erlang:error(badarg).

is_bytelist([B | Bs]) when is_integer(B), B >= 0, B < 256 -> is_bytelist(Bs);
is_bytelist([]) -> true;
is_bytelist(_) -> false.

stop_1(Status) ->
    init ! {stop, {stop, Status}}, ok.

code_path_choice() ->
    case get_argument(code_path_choice) of
        {ok, [["strict"]]} -> strict;
        {ok, [["relaxed"]]} -> relaxed;
        _ -> relaxed
    end.

%% The extension of object files (code:which/1 and friends), as OTP's.
objfile_extension() ->
    ".beam".

archive_extension() ->
    ".ez".

%% OTP's init defers the on_load functions of the modules loaded during boot
%% until kernel_safe_sup calls this. girder's loader defers none (it does not
%% run on_load functions), so there is nothing to run.
run_on_load_handlers() ->
    ok.

%% ---------------------------------------------------------------------
%% The init process

%% Start is the list of start requests, each {eval, Binary} or
%% [Module, Function | Args]. (girder's boot has already started `user` and
%% `standard_error`.)
boot(Start) ->
    register(init, self()),
    process_flag(trap_exit, true),
    boot(Start, girder_init:get_arguments(), girder_init:get_plain_arguments()).

boot(Start, Flags, Args) ->
    BootPid = do_boot(Flags, Start),
    boot_loop(BootPid, #state{flags = Flags, args = Args, start = Start,
                              bootpid = BootPid}).

do_boot(Flags, Start) ->
    Self = self(),
    spawn_link(fun() -> do_boot(Self, Flags, Start) end).

%% The boot process: the boot script, then the start requests.
do_boot(Init, Flags, Start) ->
    process_flag(trap_exit, true),
    eval_boot_script(Init, Flags),
    start_em(Start),
    Init.

boot_loop(BootPid, State) ->
    receive
        {BootPid, started, KernelPid} ->
            boot_loop(BootPid, new_kernelpid(KernelPid, BootPid, State));
        {BootPid, progress, started} ->
            {InS, _} = State#state.status,
            notify(State#state.subscribed),
            boot_loop(BootPid, State#state{status = {InS, started},
                                           subscribed = []});
        {BootPid, progress, NewStatus} ->
            {InS, _} = State#state.status,
            boot_loop(BootPid, State#state{status = {InS, NewStatus}});
        {BootPid, {script_id, Id, Name}} ->
            boot_loop(BootPid, State#state{script_id = Id, script_name = Name});
        {'EXIT', BootPid, normal} ->
            {_, PS} = State#state.status,
            notify(State#state.subscribed),
            loop(State#state{status = {started, PS}, subscribed = []});
        {'EXIT', BootPid, Reason} ->
            %% girder's boot reports this as erl does and halts.
            exit(Reason);
        {'EXIT', Pid, Reason} ->
            terminate(Pid, State#state.kernel, Reason),
            boot_loop(BootPid, State);
        {stop, Reason} ->
            stop(Reason, State);
        {From, fetch_loaded} ->
            From ! {init, State#state.loaded},
            boot_loop(BootPid, State#state{loaded = []});
        {From, {ensure_loaded, Module}} ->
            {Res, Loaded} = boot_ensure_loaded(Module, State#state.loaded),
            From ! {init, Res},
            boot_loop(BootPid, State#state{loaded = Loaded});
        Msg ->
            boot_loop(BootPid, handle_msg(Msg, State))
    end.

loop(State) ->
    receive
        {'EXIT', Pid, Reason} ->
            terminate(Pid, State#state.kernel, Reason),
            loop(State);
        {stop, Reason} ->
            stop(Reason, State);
        {From, fetch_loaded} ->
            From ! {init, State#state.loaded},
            loop(State);
        Msg ->
            loop(handle_msg(Msg, State))
    end.

boot_ensure_loaded(Module, Loaded) ->
    case erlang:module_loaded(Module) of
        true ->
            {{module, Module}, Loaded};
        false ->
            case code:ensure_modules_loaded([Module]) of
                ok -> {{module, Module}, [{Module, loaded_from(Module)} | Loaded]};
                {error, [{_, nofile}]} -> {error, Loaded};
                {error, _} -> {error, [{Module, loaded_from(Module)} | Loaded]}
            end
    end.

loaded_from(Module) ->
    File = atom_to_list(Module) ++ objfile_extension(),
    case [filename:append(D, File) || D <- girder_code:get_path(),
                                      {ok, Names} <- [erl_prim_loader:list_dir(D)],
                                      lists:member(File, Names)] of
        [] -> File;
        [Path | _] -> Path
    end.

notify(Pids) ->
    lists:foreach(fun(Pid) -> Pid ! {init, started} end, Pids).

new_kernelpid({Name, {ok, Pid}}, BootPid, State) when is_pid(Pid) ->
    link(Pid),
    BootPid ! {self(), ok, Pid},
    State#state{kernel = [{Name, Pid} | State#state.kernel]};
new_kernelpid({_Name, ignore}, BootPid, State) ->
    BootPid ! {self(), ignore},
    State;
new_kernelpid({Name, What}, _BootPid, _State) ->
    exit({could_not_start_kernel_pid, Name, What}).

%% A kernel process died: the node cannot go on (OTP halts with this slogan).
terminate(Pid, Kernel, Reason) ->
    case lists:keyfind(Pid, 2, Kernel) of
        {Name, _} ->
            erlang:halt("Kernel pid terminated (" ++ to_string(Name) ++ ") ("
                        ++ to_string(Reason) ++ ")");
        false ->
            ok
    end.

%% A string as it is (application_controller exits with one), else the term.
to_string(X) ->
    case io_lib:printable_list(X) of
        true -> X;
        false -> lists:flatten(io_lib:format("~w", [X]))
    end.

handle_msg(Msg, State0) ->
    case catch do_handle_msg(Msg, State0) of
        {new_state, State} -> State;
        _ -> State0
    end.

do_handle_msg(Msg, State) ->
    #state{flags = Flags, status = Status, script_id = Sid, args = Args,
           subscribed = Subscribed, configfds = Fds} = State,
    case Msg of
        {From, get_plain_arguments} ->
            From ! {init, Args};
        {From, get_arguments} ->
            From ! {init, Flags};
        {From, {get_argument, Arg}} ->
            From ! {init, get_argument(Arg, Flags)};
        {From, get_status} ->
            From ! {init, Status};
        {From, script_id} ->
            From ! {init, Sid};
        {From, get_script_name} ->
            From ! {init, State#state.script_name};
        {From, {make_permanent, Boot, Config}} ->
            {Res, State1} = make_permanent(Boot, Config, State),
            From ! {init, Res},
            {new_state, State1};
        {From, {notify_when_started, Pid}} ->
            case Status of
                {InS, PS} when InS =:= started; PS =:= started ->
                    From ! {init, started};
                _ ->
                    From ! {init, ok},
                    {new_state, State#state{subscribed = [Pid | Subscribed]}}
            end;
        {From, {ensure_loaded, _}} ->
            From ! {init, not_allowed};
        {From, {get_configfd, Id}} ->
            From ! {init, maps:get(Id, Fds, none)};
        {From, {set_configfd, Id, Config}} ->
            From ! {init, ok},
            {new_state, State#state{configfds = Fds#{Id => Config}}};
        X ->
            case whereis(user) of
                undefined -> ok;
                User -> User ! X, ok
            end
    end.

get_argument(Arg, Flags) ->
    case [V || {F, V} <- Flags, F =:= Arg] of
        [] -> error;
        Values -> {ok, Values}
    end.

%% A new boot script and configuration for the next restart, as OTP's.
make_permanent(Boot, Config, State) ->
    case set_flag(boot, Boot, State#state.flags) of
        {ok, Flags1} ->
            case set_flag(config, Config, Flags1) of
                {ok, Flags} -> {ok, State#state{flags = Flags}};
                Error -> {Error, State}
            end;
        Error ->
            {Error, State}
    end.

set_flag(_Flag, false, Flags) ->
    {ok, Flags};
set_flag(Flag, Value, Flags) when is_list(Value) ->
    case catch unicode:characters_to_list(Value) of
        L when is_list(L) -> {ok, set_argument(Flags, Flag, L)};
        _ -> {error, badarg}
    end;
set_flag(_, _, _) ->
    {error, badarg}.

set_argument([{Flag, _} | Flags], Flag, Value) ->
    [{Flag, [Value]} | Flags];
set_argument([Item | Flags], Flag, Value) ->
    [Item | set_argument(Flags, Flag, Value)];
set_argument([], Flag, Value) ->
    [{Flag, [Value]}].

%% ---------------------------------------------------------------------
%% Taking the system down (stop, reboot) and restarting, as OTP's init: the
%% kernel processes but heart and the logger are told to stop as if their
%% parent (the boot process) had exited with reason shutdown, newest first (so
%% application_controller stops every application), then every other process
%% is killed (girder's standard I/O servers, which girder starts before init,
%% excepted) and every port closed. Loaded code stays loaded (girder does not
%% unload modules).

stop(Reason, State) ->
    {_, Progress} = State#state.status,
    State1 = State#state{status = {stopping, Progress}},
    clear_system(State1),
    do_stop(Reason, State1).

do_stop({restart, Mode}, #state{start = Start, flags = Flags0, args = Args}) ->
    Flags = set_argument(Flags0, mode, atom_to_list(Mode)),
    restart_io(),
    boot(Start, Flags, Args);
do_stop(restart, #state{start = Start, flags = Flags, args = Args}) ->
    restart_io(),
    boot(Start, Flags, Args);
do_stop(reboot, _) ->
    erlang:halt();
do_stop(stop, _) ->
    erlang:halt();
do_stop({stop, Status}, _) ->
    erlang:halt(Status).

clear_system(State) ->
    Kernel = State#state.kernel,
    Heart = proplists:get_value(heart, Kernel),
    Logger = proplists:get_value(logger, Kernel),
    Timer = shutdown_timer(State#state.flags),
    catch shutdown(Kernel, State#state.bootpid, Timer),
    kill_all_pids([Heart, Logger]),
    kill_all_ports(),
    flush_timeout(Timer),
    kill_em([Logger]).

shutdown([{heart, _} | Kernel], BootPid, Timer) ->
    shutdown(Kernel, BootPid, Timer);
shutdown([{logger, _} | Kernel], BootPid, Timer) ->
    shutdown(Kernel, BootPid, Timer);
shutdown([{_, Pid} | Kernel], BootPid, Timer) ->
    Pid ! {'EXIT', BootPid, shutdown},
    shutdown_loop(Pid, Timer),
    shutdown(Kernel, BootPid, Timer);
shutdown([], _, _) ->
    true.

shutdown_loop(Pid, Timer) ->
    receive
        {'EXIT', Pid, _} -> ok;
        {Timer, timeout} -> throw(timeout)
    end.

shutdown_timer(Flags) ->
    case get_argument(shutdown_time, Flags) of
        {ok, [[Str]]} ->
            try list_to_integer(Str) of
                Time when Time > 0 -> erlang:start_timer(Time, self(), timeout);
                _ -> infinity
            catch
                _:_ -> infinity
            end;
        _ ->
            infinity
    end.

flush_timeout(infinity) ->
    ok;
flush_timeout(Timer) ->
    _ = erlang:cancel_timer(Timer),
    receive {Timer, timeout} -> ok after 0 -> ok end.

%% girder's standard I/O servers (which OTP's kernel starts, and girder's boot
%% before init) go down with the kernel's supervisor bridges over them: start
%% them again for the new boot.
restart_io() ->
    lists:foreach(
      fun({Name, Fd}) ->
              case whereis(Name) of
                  undefined ->
                      Pid = spawn(girder_user, server, [Fd]),
                      register(Name, Pid);
                  _ ->
                      ok
              end
      end, [{standard_error, 2}, {user, 1}]),
    group_leader(whereis(user), self()).

kill_all_pids(Keep0) ->
    Keep = [self() | [P || P <- [whereis(user), whereis(standard_error),
                           whereis(erts_code_purger) | Keep0],
                           is_pid(P)]],
    case [P || P <- processes(), not lists:member(P, Keep)] of
        [] -> ok;
        Pids -> kill_em(Pids), kill_all_pids(Keep0)
    end.

kill_em(Pids) ->
    lists:foreach(fun(P) when is_pid(P) -> exit(P, kill); (_) -> ok end, Pids).

kill_all_ports() ->
    lists:foreach(fun(P) -> exit(P, kill) end, erlang:ports()).

start_em([S | Tail]) ->
    case whereis(user) of
        undefined ->
            ok;
        P when is_pid(P) ->
            erlang:group_leader(P, self())
    end,
    start_it(S),
    start_em(Tail);
start_em([]) ->
    ok.

start_it([]) ->
    ok;
start_it({eval, Bin}) ->
    Str = b2s(Bin),
    {ok, Ts, _} = erl_scan:string(Str),
    Ts1 = case lists:reverse(Ts) of
              [{dot, _} | _] -> Ts;
              TsR -> lists:reverse([{dot, erl_anno:new(1)} | TsR])
          end,
    {ok, Expr} = erl_parse:parse_exprs(Ts1),
    {value, _Value, _Bs} = erl_eval:exprs(Expr, erl_eval:new_bindings()),
    ok;
start_it([_ | _] = MFA) ->
    case MFA of
        [M] -> M:start();
        [M, F] -> M:F();
        [M, F | Args] -> M:F(Args)
    end.

%% The -eval text as characters: UTF-8 when it is valid UTF-8, else bytes.
b2s(Bin) ->
    try
        unicode:characters_to_list(Bin, utf8)
    catch
        _:_ -> binary_to_list(Bin)
    end.

%% The boot script named by -boot (Name.boot, relative to the current
%% directory, else in the installation's bin directory; `start` by default),
%% evaluated as OTP's init does: the kernel processes (each linked to init,
%% which tells the boot process its pid), the progress reports, and the apply
%% steps (loading and starting the applications). OTP's path and primLoad steps
%% are girder's native loading, and `c:erlangrc/0` (reading ~/.erlang) is not
%% run. Without an OTP installation (no `root`), there is no kernel to start.
eval_boot_script(Init, Flags) ->
    case get_argument(root, Flags) of
        {ok, [[Root | _] | _]} ->
            Name = case get_argument(boot, Flags) of
                       {ok, [[B | _] | _]} -> B;
                       _ -> "start"
                   end,
            {File, Bin} = get_boot(Name, Root),
            case catch binary_to_term(Bin) of
                {script, Id, Script} when is_list(Script) ->
                    Init ! {self(), {script_id, Id, File}},
                    eval_script(Script, Init, boot_path_args(Root, Flags));
                _ ->
                    exit({'bootfile format error', list_to_atom(File)})
            end;
        _ ->
            ok
    end.

boot_path_args(Root, Flags) ->
    Values = fun(F) -> [V || {G, V} <- Flags, G =:= F] end,
    Vars = [{Var, Value} || [Var, Value | _] <- Values(boot_var)],
    {Root, Vars, lists:append(lists:reverse(Values(pa))), lists:append(Values(pz))}.

expand_var(Dir, Root, Vars) when is_atom(Dir) ->
    expand_var(atom_to_list(Dir), Root, Vars);
expand_var("$" ++ Dir, Root, Vars) ->
    {Var, Rest} = lists:splitwith(fun(C) -> C =/= $/ end, Dir),
    case lists:keyfind(Var, 1, [{"ROOT", Root} | Vars]) of
        {_, Value} -> Value ++ Rest;
        false -> exit(list_to_atom("cannot expand $" ++ Var ++ " in bootfile"))
    end;
expand_var(Dir, _Root, _Vars) ->
    Dir.

get_boot(Name, Root) ->
    BootFile = Name ++ ".boot",
    case erl_prim_loader:get_file(BootFile) of
        {ok, Bin, _} ->
            %% (file_server is not up yet: the directory from prim_file.)
            case {filename:pathtype(BootFile), prim_file:get_cwd()} of
                {relative, {ok, Cwd}} -> {filename:join(Cwd, BootFile), Bin};
                _ -> {BootFile, Bin}
            end;
        error ->
            File = filename:join([Root, "bin", BootFile]),
            case erl_prim_loader:get_file(File) of
                {ok, Bin, _} -> {File, Bin};
                error -> exit({'cannot get bootfile', list_to_atom(BootFile)})
            end
    end.

%% A path step sets erl_prim_loader's path as OTP's init does: the -pa
%% directories (the last flag's first), the step's ($ROOT and -boot_var
%% variables expanded), the -pz directories. The code path is girder's own.
eval_script([{path, Path} | T], Init, BootPath) ->
    {Root, Vars, Pa, Pz} = BootPath,
    erl_prim_loader:set_path(Pa ++ [expand_var(D, Root, Vars) || D <- Path] ++ Pz),
    eval_script(T, Init, BootPath);
eval_script([{progress, Info} | T], Init, BootPath) ->
    Init ! {self(), progress, Info},
    eval_script(T, Init, BootPath);
eval_script([{kernelProcess, Name, {M, F, A}} | T], Init, BootPath) ->
    Res = apply(M, F, A),
    Init ! {self(), started, {Name, Res}},
    receive
        {Init, ok, Pid} -> unlink(Pid);
        {Init, ignore} -> ok
    end,
    eval_script(T, Init, BootPath);
eval_script([{apply, {c, erlangrc, []}} | T], Init, BootPath) ->
    eval_script(T, Init, BootPath);
eval_script([{apply, {M, F, A}} | T], Init, BootPath) ->
    apply(M, F, A),
    eval_script(T, Init, BootPath);
eval_script([_ | T], Init, BootPath) ->
    eval_script(T, Init, BootPath);
eval_script([], _Init, _BootPath) ->
    start_inet_db(),
    start_signal_server(),
    start_distribution().

%% kernel_sup runs as under `-mode minimal` (see girder_bifs' init arguments),
%% which leaves out inet_db; girder starts it as the child OTP's kernel_sup
%% gives it otherwise, so gen_tcp, gen_udp and inet find their modules and
%% host tables as in erl.
start_inet_db() ->
    case whereis(kernel_sup) of
        undefined ->
            ok;
        _ ->
            Spec = {inet_db, {inet_db, start_link, []},
                    permanent, 2000, worker, [inet_db]},
            case supervisor:start_child(kernel_sup, Spec) of
                {ok, _} -> ok;
                Error -> exit({kernel_process_failed, inet_db, Error})
            end
    end.

%% The event manager OTP's kernel_sup starts outside -mode minimal, with the
%% handler OTP's kernel adds to it (erl_signal_handler): Elixir's
%% System.trap_signal/3 (which ExUnit calls) adds its own handlers there.
start_signal_server() ->
    case whereis(kernel_sup) of
        undefined ->
            ok;
        _ ->
            Spec = {erl_signal_server,
                    {gen_event, start_link, [{local, erl_signal_server}]},
                    permanent, 2000, worker, dynamic},
            case supervisor:start_child(kernel_sup, Spec) of
                {ok, _} -> ok = erl_signal_handler:start();
                Error -> exit({kernel_process_failed, erl_signal_server, Error})
            end
    end.

%% With -sname or -name, the distribution children OTP's kernel_sup starts
%% (rex, global_name_server, net_sup, which starts erl_epmd, auth and
%% net_kernel, and global_group: OTP's modules), in OTP's order. (erl starts
%% them on every node, distributed or not; girder only on a named one.)
start_distribution() ->
    case {whereis(kernel_sup), init:get_argument(sname), init:get_argument(name)} of
        {undefined, _, _} ->
            ok;
        {_, error, error} ->
            ok;
        _ ->
            Specs = [{rex, {rpc, start_link, []},
                      permanent, 2000, worker, [rpc]},
                     {global_name_server, {global, start_link, []},
                      permanent, 2000, worker, [global]},
                     {net_sup, {erl_distribution, start_link, []},
                      permanent, infinity, supervisor, [erl_distribution]},
                     {global_group, {global_group, start_link, []},
                      permanent, 2000, worker, [global_group]}],
            lists:foreach(
              fun({Id, _, _, _, _, _} = Spec) ->
                      case supervisor:start_child(kernel_sup, Spec) of
                          {ok, _} -> ok;
                          Error -> exit({kernel_process_failed, Id, Error})
                      end
              end, Specs)
    end.


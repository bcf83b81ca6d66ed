%% girder's init: the part of OTP's preloaded `init` module that girder runs in
%% Erlang. The boot process calls boot/1 with the -s, -run and -eval requests in
%% command-line order; they run here as OTP's init:start_em/1 runs them, so a
%% crash shows OTP's frames (init:start_it/1, init:start_em/1, init:do_boot/3).
%%
%% It also boots the kernel (start_kernel/0) and stops it (stop/0,1) as OTP's
%% init does. The rest of init's interface girder provides as BIFs
%% (get_arguments/0, get_argument/1, get_plain_arguments/0).
-module(init).
-export([boot/1]).
-export([run_on_load_handlers/0, stop/0, stop/1, objfile_extension/0]).

%% Run the start requests, each {eval, Binary} or [Module, Function | Args].
%% (girder's boot has already started `user` and `standard_error`.)
boot(Start) ->
    start_kernel(),
    do_boot(self(), [], Start).

%% Returns Init (a body call, so that init:do_boot/3 shows in stack traces as
%% it does in OTP's).
do_boot(Init, _Flags, Start) ->
    start_em(Start),
    Init.

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

%% Start the kernel as OTP's init does: a boot process runs the kernel processes
%% and the application steps of OTP's own boot script (bin/start.boot), in its
%% order: heart, logger_server, application_controller (with kernel's .app
%% spec), load stdlib, start kernel and stdlib. As in OTP, each kernel process
%% has the boot process as its parent, and init (this process) takes over its
%% link. OTP's preLoaded/path/primLoad steps are girder's native loading;
%% `c:erlangrc/0` (reading ~/.erlang) is not run. Without an OTP installation
%% (no `root`), there is no kernel to start.
start_kernel() ->
    case init:get_argument(root) of
        {ok, [[Root]]} ->
            File = filename:join([Root, "bin", "start.boot"]),
            case erl_prim_loader:get_file(File) of
                {ok, Bin, _} ->
                    {script, _Id, Script} = binary_to_term(Bin),
                    Init = self(),
                    {BootPid, Ref} =
                        spawn_monitor(fun() -> eval_script(Script, Init) end),
                    persistent_term:put({?MODULE, boot_pid}, BootPid),
                    kernel_started(BootPid, Ref);
                error ->
                    erlang:error({no_boot_script, File})
            end;
        _ ->
            ok
    end.

kernel_started(BootPid, Ref) ->
    receive
        {BootPid, started, Pid} ->
            link(Pid),
            BootPid ! {self(), linked},
            kernel_started(BootPid, Ref);
        {'DOWN', Ref, process, BootPid, normal} ->
            ok;
        {'DOWN', Ref, process, BootPid, Reason} ->
            erlang:error(Reason)
    end.

eval_script([{kernelProcess, Name, {M, F, A}} | T], Init) ->
    case apply(M, F, A) of
        {ok, Pid} when is_pid(Pid) ->
            Init ! {self(), started, Pid},
            receive {Init, linked} -> ok end,
            unlink(Pid);
        ignore ->
            ok;
        Error ->
            exit({kernel_process_failed, Name, Error})
    end,
    eval_script(T, Init);
eval_script([{apply, {c, erlangrc, []}} | T], Init) ->
    eval_script(T, Init);
eval_script([{apply, {M, F, A}} | T], Init) ->
    case apply(M, F, A) of
        {error, _} = Error -> exit({boot_failed, {M, F, A}, Error});
        _ -> ok
    end,
    eval_script(T, Init);
eval_script([_ | T], Init) ->
    eval_script(T, Init);
eval_script([], _Init) ->
    start_inet_db(),
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

%% OTP's init defers the on_load functions of the modules loaded during boot
%% until kernel_safe_sup calls this. girder's loader defers none (it does not
%% run on_load functions), so there is nothing to run.
run_on_load_handlers() ->
    ok.

%% init:stop/0,1 as OTP's: the status is checked, the kernel processes but heart
%% and the logger are told to stop as if their parent (the boot process) had
%% exited with reason shutdown, and waited for (application_controller stops
%% every application, calling its prep_stop/1 and stop/1), then the VM halts.
%% OTP's init does this in its own process while stop returns ok; girder's does
%% it in the caller, which never returns.
stop() ->
    shutdown_kernel(),
    erlang:halt().

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
    shutdown_kernel(),
    erlang:halt(Status).

shutdown_kernel() ->
    case {persistent_term:get({?MODULE, boot_pid}, undefined),
          whereis(application_controller)} of
        {BootPid, AC} when is_pid(BootPid), is_pid(AC), AC =/= self() ->
            %% As OTP's init, outlive the kernel processes linked to us.
            process_flag(trap_exit, true),
            Ref = erlang:monitor(process, AC),
            AC ! {'EXIT', BootPid, shutdown},
            receive
                {'DOWN', Ref, process, AC, _} -> ok
            end;
        _ ->
            ok
    end.

%% The extension of object files (code:which/1 and friends), as OTP's.
objfile_extension() ->
    ".beam".

%% girder's init: the part of OTP's preloaded `init` module that girder runs in
%% Erlang. The boot process calls boot/1 with the -s, -run and -eval requests in
%% command-line order; they run here as OTP's init:start_em/1 runs them, so a
%% crash shows OTP's frames (init:start_it/1, init:start_em/1, init:do_boot/3).
%%
%% The rest of init's interface girder provides as BIFs (get_arguments/0,
%% get_argument/1, get_plain_arguments/0, stop/0,1).
-module(init).
-export([boot/1]).
-export([run_on_load_handlers/0]).

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

%% Start the kernel as OTP's init does: run the kernel processes and the
%% application steps of OTP's own boot script (bin/start.boot), in its order:
%% heart, logger_server, application_controller (with kernel's .app spec), load
%% stdlib, start kernel and stdlib. OTP's preLoaded/path/primLoad steps are
%% girder's native loading; `c:erlangrc/0` (reading ~/.erlang) is not run.
start_kernel() ->
    {ok, [[Root]]} = init:get_argument(root),
    File = filename:join([Root, "bin", "start.boot"]),
    case erl_prim_loader:get_file(File) of
        {ok, Bin, _} ->
            {script, _Id, Script} = binary_to_term(Bin),
            eval_script(Script);
        error ->
            erlang:error({no_boot_script, File})
    end.

eval_script([{kernelProcess, Name, {M, F, A}} | T]) ->
    case apply(M, F, A) of
        {ok, Pid} when is_pid(Pid) -> ok;
        ignore -> ok;
        Error -> erlang:error({kernel_process_failed, Name, Error})
    end,
    eval_script(T);
eval_script([{apply, {c, erlangrc, []}} | T]) ->
    eval_script(T);
eval_script([{apply, {M, F, A}} | T]) ->
    case apply(M, F, A) of
        {error, _} = Error -> erlang:error({boot_failed, {M, F, A}, Error});
        _ -> ok
    end,
    eval_script(T);
eval_script([_ | T]) ->
    eval_script(T);
eval_script([]) ->
    ok.

%% OTP's init defers the on_load functions of the modules loaded during boot
%% until kernel_safe_sup calls this. girder's loader defers none (it does not
%% run on_load functions), so there is nothing to run.
run_on_load_handlers() ->
    ok.

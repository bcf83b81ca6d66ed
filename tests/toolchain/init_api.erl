%% girder as erl (crates/girder-cli/tests/as_erl.rs): erl's command line as the
%% init process reports it, OTP's init API, application environment from -config
%% and -App Key Value, application:start(sasl), init:make_permanent/2 and
%% init:restart/0 (the system boots again, with the new boot script, in the same
%% OS process). Run as `-s init_api main`, under erl and girder; the output
%% must be the same.
-module(init_api).
-export([main/0]).

main() ->
    case os:getenv("INIT_API_ROUND") of
        false -> first();
        _ -> second()
    end.

p(What, Value) ->
    io:format("~p: ~p~n", [What, Value]).

first() ->
    os:putenv("INIT_API_ROUND", "2"),
    p(plain, init:get_plain_arguments()),
    [p(F, init:get_argument(F))
     || F <- [a, c, f, z, pz, boot, boot_var, myapp, kernel, hidden, noinput, env,
              progname, nosuch]],
    p(env, os:getenv("INIT_API_ENV")),
    p(app_env, [application:get_env(myapp, key), application:get_env(myapp, list),
                application:get_env(kernel, from_config),
                application:get_env(kernel, from_flag)]),
    p(printable, {io:printable_range(), io_lib:format("~p", [[1000, 1001]])}),
    Libs = os:getenv("ERL_LIBS"),
    p(libs, lists:sort([filename:basename(filename:dirname(D))
             || D <- code:get_path(), lists:prefix(Libs, D)])),
    p(status, init:get_status()),
    p(notify, init:notify_when_started(self())),
    {ok, [[Root]]} = init:get_argument(root),
    p(script, {init:script_id(), init:script_name() =:= Root ++ "/bin/start.boot"}),
    p(loaded, {init:ensure_loaded(lists), init:fetch_loaded()}),
    p(ext, {init:archive_extension(), init:objfile_extension(), init:code_path_choice()}),
    p(configfd, {init:get_configfd(7), init:set_configfd(7, cfg), init:get_configfd(7)}),
    p(bad_restart, catch init:restart([bad])),
    p(bad_stop, catch init:stop(-1)),
    p(permanent, {init:make_permanent(x, false),
                  init:make_permanent(Root ++ "/bin/start_sasl", false),
                  init:get_argument(boot) =:= {ok, [[Root ++ "/bin/start_sasl"]]}}),
    spawn(fun after_boot/0),
    ok.

%% Once the boot process is done (the -s calls have returned).
after_boot() ->
    wait_started(),
    p(started, {init:get_status(), init:notify_when_started(self()),
                init:ensure_loaded(lists)}),
    p(sasl, application:start(sasl)),
    p(apps, apps()),
    register(init_api_first_round, spawn(fun() -> receive after infinity -> ok end end)),
    init:restart().

wait_started() ->
    case init:get_status() of
        {started, _} -> ok;
        _ -> timer:sleep(10), wait_started()
    end.

second() ->
    {ok, [[Root]]} = init:get_argument(root),
    p(second, {init:get_status(), whereis(init_api_first_round),
               init:script_name() =:= Root ++ "/bin/start_sasl.boot", apps()}),
    init:stop(3).

apps() ->
    lists:sort([A || {A, _, _} <- application:which_applications()]).

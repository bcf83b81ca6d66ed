-module(hot_code).
-export([main/0]).

%% Hot code loading: a module compiled in memory from source (no files) in
%% three versions; current and old code side by side, a process looping in
%% old code with a fully qualified call moves to the new code, one looping
%% with a local call stays, check_old_code/check_process_code, soft_purge
%% refused while a process runs old code, purge killing it, funs of purged
%% code (badfun, or undef through the error handler), delete, sticky modules,
%% a fun of an unloaded module decoded from the external format.

-define(M, hot_code_subj).

source(Vsn) ->
    V = integer_to_list(Vsn),
    ["-module(hot_code_subj).\n"
     "-export([vsn/0, loop/0, idle/0, make_fun/0, extra/0]).\n"
     "vsn() -> ", V, ".\n"
     "loop() -> receive {ask, From} -> From ! {vsn, vsn()}, hot_code_subj:loop();"
     " stop -> ok end.\n"
     "idle() -> receive {ask, From} -> From ! {idle_vsn, vsn()}, idle() end.\n"
     "make_fun() -> V = vsn(), fun(X) -> {fun_vsn, V, X} end.\n",
     case Vsn of
         1 -> "extra() -> only_in_v1.\n";
         _ -> "extra() -> erlang:error(gone).\n"
     end].

compile(Vsn) ->
    {ok, Tokens, _} = erl_scan:string(lists:flatten(source(Vsn))),
    Forms = split(Tokens, []),
    {ok, ?M, Bin} = compile:forms(Forms, [binary, deterministic]),
    Bin.

split([], []) -> [];
split([{dot, _} = Dot | Rest], Acc) ->
    {ok, Form} = erl_parse:parse_form(lists:reverse([Dot | Acc])),
    [Form | split(Rest, [])];
split([T | Rest], Acc) ->
    split(Rest, [T | Acc]).

ask(Pid) ->
    Pid ! {ask, self()},
    receive
        {_, _} = Reply -> Reply
    after 5000 -> timeout
    end.

show(Label, Value) ->
    io:format("~s: ~p~n", [Label, Value]).

down(Ref) ->
    receive
        {'DOWN', Ref, process, _, Reason} -> Reason
    after 5000 -> timeout
    end.

quiet(F) ->
    %% Loading refused by the code server logs an error report (with a
    %% timestamp): keep it off the output.
    #{level := Level} = logger:get_primary_config(),
    ok = logger:set_primary_config(level, none),
    try F() after logger:set_primary_config(level, Level) end.

main() ->
    Bin1 = compile(1),
    Bin2 = compile(2),
    Bin3 = compile(3),
    show("load v1", code:load_binary(?M, "hot_code_subj.erl", Bin1)),
    show("vsn", ?M:vsn()),
    show("old code", erlang:check_old_code(?M)),
    Mover = spawn(?M, loop, []),
    Idle = spawn(?M, idle, []),
    show("ask", {ask(Mover), ask(Idle)}),
    F1 = ?M:make_fun(),
    show("fun v1", F1(a)),

    show("load v2", code:load_binary(?M, "hot_code_subj.erl", Bin2)),
    show("vsn", ?M:vsn()),
    show("old code", erlang:check_old_code(?M)),
    show("loaded", erlang:module_loaded(?M)),
    show("extra", try ?M:extra() catch error:E1 -> E1 end),
    %% The mover's first answer comes from the old code, its fully qualified
    %% call enters the new; the idle process keeps answering from the old.
    show("mover", [ask(Mover), ask(Mover), ask(Mover)]),
    show("idle", [ask(Idle), ask(Idle)]),
    show("old fun", F1(b)),
    F2 = ?M:make_fun(),
    show("new fun", F2(c)),
    show("cpc idle", erlang:check_process_code(Idle, ?M)),
    show("cpc mover", erlang:check_process_code(Mover, ?M)),
    show("cpc self", erlang:check_process_code(self(), ?M)),
    show("cpc opts", erlang:check_process_code(Idle, ?M, [{allow_gc, false}])),
    show("cpc bad opt", try erlang:check_process_code(Idle, ?M, [bad])
                        catch error:E2 -> E2 end),
    show("cpc other", erlang:check_process_code(Idle, lists)),

    show("load v3", erlang:load_module(?M, Bin3)),
    show("vsn", ?M:vsn()),
    show("soft purge", code:soft_purge(?M)),
    show("old code", erlang:check_old_code(?M)),
    IdleRef = monitor(process, Idle),
    show("purge", code:purge(?M)),
    show("idle down", down(IdleRef)),
    show("old code", erlang:check_old_code(?M)),
    show("purge again", code:purge(?M)),
    show("soft purge again", code:soft_purge(?M)),
    show("purged fun", try F1(d) catch error:{badfun, G} -> {badfun, G =:= F1} end),
    show("mover alive", is_process_alive(Mover)),
    show("mover", ask(Mover)),

    show("load v3", erlang:load_module(?M, Bin3)),
    show("old code", erlang:check_old_code(?M)),
    %% The mover runs v2, which is old now.
    show("soft purge", code:soft_purge(?M)),
    show("load v1", erlang:load_module(?M, Bin1)),
    show("vsn", ?M:vsn()),
    show("mover", [ask(Mover), ask(Mover)]),
    show("soft purge", code:soft_purge(?M)),
    show("old code", erlang:check_old_code(?M)),
    show("new fun", try F2(e) catch error:{badfun, G2} -> {badfun, G2 =:= F2} end),

    show("delete", code:delete(?M)),
    show("loaded", erlang:module_loaded(?M)),
    show("old code", erlang:check_old_code(?M)),
    %% (code:delete/1 again would fail: erts logs "must be purged" then.)
    show("exported", erlang:function_exported(?M, vsn, 0)),
    show("call", try ?M:vsn() catch error:E3 -> E3 end),
    MoverRef = monitor(process, Mover),
    show("purge", code:purge(?M)),
    show("mover down", down(MoverRef)),
    %% No current code: the error handler tries to load the module, fails,
    %% and raises undef with the fun on top of the stack trace.
    show("fun of no module",
         try F1(f)
         catch error:undef:St ->
                 [{Fun, Args, Loc} | _] = St,
                 {undef, Fun =:= F1, Args, Loc}
         end),
    show("delete_module", erlang:delete_module(?M)),
    show("delete_module bad", try erlang:delete_module("x") catch error:E4 -> E4 end),
    show("check_old_code bad", try erlang:check_old_code(1) catch error:E5 -> E5 end),

    %% The same code loaded again: its funs work again.
    show("load v1", code:load_binary(?M, "hot_code_subj.erl", Bin1)),
    show("fun v1 again", F1(g)),

    show("sticky lists", code:is_sticky(lists)),
    show("sticky", code:is_sticky(?M)),
    show("stick", code:stick_mod(?M)),
    show("sticky", code:is_sticky(?M)),
    show("load sticky", quiet(fun() -> code:load_binary(?M, "hot_code_subj.erl", Bin2) end)),
    show("vsn", ?M:vsn()),
    show("unstick", code:unstick_mod(?M)),
    show("load unstuck", code:load_binary(?M, "hot_code_subj.erl", Bin2)),
    show("vsn", ?M:vsn()),
    show("load_abs missing", code:load_abs("/nonexistent/hot_code_subj")),
    Mover2 = spawn(?M, idle, []),
    show("ask", ask(Mover2)),
    show("purge v1", code:purge(?M)),
    show("load v3", erlang:load_module(?M, Bin3)),
    show("load not purged", erlang:load_module(?M, Bin1)),
    show("finish",
         begin
             P = erlang:prepare_loading(?M, Bin1),
             {is_reference(P), erlang:has_prepared_code_on_load(P),
              erlang:finish_loading([P])}
         end),
    Ref2 = monitor(process, Mover2),
    show("purge", code:purge(?M)),
    show("down", down(Ref2)),
    show("finish",
         begin
             P2 = erlang:prepare_loading(?M, Bin1),
             erlang:finish_loading([P2])
         end),
    show("vsn", ?M:vsn()),
    show("bad prepared", try erlang:finish_loading([make_ref()]) catch error:E6 -> E6 end),
    _ = code:purge(?M),
    show("delete", code:delete(?M)),
    show("purge", code:purge(?M)),
    show("loaded", lists:member(?M, erlang:loaded())),
    %% A fun of a module that is not loaded, from the external format: a stub;
    %% called, the error handler finds no module to load (undef); once the
    %% module is loaded again, the stub runs its fun.
    show("load v2 for a fun", code:load_binary(?M, "hot_code_subj.erl", Bin2)),
    FunBin = term_to_binary(?M:make_fun()),
    _ = code:delete(?M),
    _ = code:purge(?M),
    Stub = binary_to_term(FunBin),
    show("stub", {is_function(Stub, 1), erlang:fun_info(Stub, module)}),
    show("stub call", try Stub(h) catch C7:E7 -> {C7, E7} end),
    show("load v2 again", code:load_binary(?M, "hot_code_subj.erl", Bin2)),
    show("stub after load", Stub(i)),
    Mover ! stop,
    ok.

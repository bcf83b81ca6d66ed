-module(otp_supervisor).
-behaviour(supervisor).
-export([main/0]).
-export([init/1, start_worker/1, start_plain/1, plain_init/2]).
-export([handle_call/3, handle_cast/2]).

%% Supervisors of every strategy over workers of this module (gen_servers, and
%% plain proc_lib processes), crashing and being restarted. Crash and supervisor
%% reports are written by erl's logger at a time of its own, so the logger is
%% kept quiet here (crates/girder-cli/tests/otp_reports.rs compares them).

main() ->
    ok = logger:set_primary_config(level, none),
    process_flag(trap_exit, true),
    one_for_one(),
    one_for_all(),
    rest_for_one(),
    simple_one_for_one(),
    child_management(),
    restart_types(),
    intensity(),
    ok.

one_for_one() ->
    {ok, Sup} = supervisor:start_link(?MODULE, {one_for_one, [a, b]}),
    io:format("one_for_one ~p~n", [ids(Sup)]),
    Before = pids(Sup),
    crash(Sup, a),
    After = pids(Sup),
    io:format("changed ~p~n", [changed(Before, After)]),
    io:format("~p~n", [gen_server:call(child(Sup, a), whoami)]),
    stop(Sup).

one_for_all() ->
    {ok, Sup} = supervisor:start_link(?MODULE, {one_for_all, [a, b, c]}),
    Before = pids(Sup),
    crash(Sup, b),
    io:format("one_for_all changed ~p~n", [changed(Before, pids(Sup))]),
    stop(Sup).

rest_for_one() ->
    {ok, Sup} = supervisor:start_link(?MODULE, {rest_for_one, [a, b, c]}),
    Before = pids(Sup),
    crash(Sup, b),
    io:format("rest_for_one changed ~p~n", [changed(Before, pids(Sup))]),
    stop(Sup).

simple_one_for_one() ->
    {ok, Sup} = supervisor:start_link(?MODULE, simple),
    {ok, P1} = supervisor:start_child(Sup, [x]),
    {ok, P2} = supervisor:start_child(Sup, [y]),
    {ok, _P3} = supervisor:start_child(Sup, [z]),
    io:format("simple ~p~n", [supervisor:count_children(Sup)]),
    io:format("~p~n", [[Id || {Id, _, _, _} <- supervisor:which_children(Sup)]]),
    io:format("~p~n", [gen_server:call(P2, whoami)]),
    io:format("~p~n", [supervisor:terminate_child(Sup, P1)]),
    io:format("~p~n", [supervisor:terminate_child(Sup, P1)]),
    io:format("~p~n", [is_process_alive(P1)]),
    exit(P2, kill),
    %% Two children before the kill already: wait for P2's replacement, not the count
    %% (the supervisor may answer before P2's 'EXIT' reaches it).
    wait_until(fun() ->
                       Children = supervisor:which_children(Sup),
                       length(Children) =:= 2 andalso not lists:keymember(P2, 2, Children)
               end),
    io:format("~p~n", [supervisor:count_children(Sup)]),
    io:format("~p~n", [lists:sort([gen_server:call(P, whoami) || {_, P, _, _} <- supervisor:which_children(Sup)])]),
    stop(Sup).

child_management() ->
    {ok, Sup} = supervisor:start_link(?MODULE, {one_for_one, [a]}),
    Spec = #{id => d, start => {?MODULE, start_plain, [d]}, restart => transient},
    {ok, D} = supervisor:start_child(Sup, Spec),
    io:format("~p~n", [supervisor:start_child(Sup, Spec) =:= {error, {already_started, D}}]),
    io:format("~p~n", [supervisor:get_childspec(Sup, d)]),
    io:format("~p~n", [ids(Sup)]),
    io:format("~p~n", [supervisor:delete_child(Sup, d)]),
    io:format("~p~n", [supervisor:terminate_child(Sup, d)]),
    io:format("~p~n", [[{Id, P} || {Id, P, _, _} <- supervisor:which_children(Sup), not is_pid(P)]]),
    {ok, D2} = supervisor:restart_child(Sup, d),
    io:format("~p~n", [D2 =/= D]),
    io:format("~p~n", [supervisor:restart_child(Sup, d)]),
    io:format("~p~n", [supervisor:terminate_child(Sup, d)]),
    io:format("~p~n", [supervisor:delete_child(Sup, d)]),
    io:format("~p~n", [supervisor:delete_child(Sup, d)]),
    io:format("~p~n", [supervisor:restart_child(Sup, nope)]),
    io:format("~p~n", [supervisor:check_childspecs([#{id => x, start => {m, f, []}}])]),
    io:format("~p~n", [supervisor:check_childspecs([#{id => x, start => bad}])]),
    io:format("~p~n", [supervisor:start_child(Sup, #{id => e, start => {?MODULE, start_plain, [fail]}})]),
    stop(Sup).

restart_types() ->
    {ok, Sup} = supervisor:start_link(?MODULE, {one_for_one, []}),
    {ok, T} = supervisor:start_child(Sup, #{id => t, start => {?MODULE, start_plain, [t]}, restart => temporary}),
    {ok, R} = supervisor:start_child(Sup, #{id => r, start => {?MODULE, start_plain, [r]}, restart => transient}),
    {ok, R2} = supervisor:start_child(Sup, #{id => r2, start => {?MODULE, start_plain, [r2]}, restart => transient}),
    exit(T, kill),
    R ! {exit, normal},
    R2 ! {exit, abnormal},
    wait_until(fun() ->
                       Children = supervisor:which_children(Sup),
                       %% Every exit handled: t gone, r stopped, r2 restarted.
                       length(Children) =:= 2 andalso
                           lists:keyfind(r, 1, Children) =/= {r, R, worker, [?MODULE]} andalso
                           lists:keyfind(r2, 1, Children) =/= {r2, R2, worker, [?MODULE]}
               end),
    io:format("restart_types ~p~n", [lists:sort([{Id, is_pid(P)} || {Id, P, _, _} <- supervisor:which_children(Sup)])]),
    stop(Sup).

intensity() ->
    {ok, Sup} = supervisor:start_link(?MODULE, {intensity, [a]}),
    Ref = erlang:monitor(process, Sup),
    crash(Sup, a),
    crash(Sup, a),
    exit(child(Sup, a), kill),
    receive
        {'DOWN', Ref, process, Sup, Reason} -> io:format("intensity ~p~n", [Reason])
    end,
    receive
        {'EXIT', Sup, Reason2} -> io:format("exit ~p~n", [Reason2])
    end.

%% supervisor, and gen_server
init({worker, Name}) ->
    {ok, Name};
init({intensity, Ids}) ->
    {ok, {#{strategy => one_for_one, intensity => 2, period => 3600}, specs(Ids)}};
init({Strategy, Ids}) ->
    {ok, {#{strategy => Strategy, intensity => 10}, specs(Ids)}};
init(simple) ->
    {ok, {#{strategy => simple_one_for_one},
          [#{id => dyn, start => {?MODULE, start_worker, []}, shutdown => brutal_kill}]}}.

specs(Ids) ->
    [#{id => Id, start => {?MODULE, start_worker, [Id]}} || Id <- Ids].

start_worker(Name) ->
    gen_server:start_link(?MODULE, {worker, Name}, []).

handle_call(whoami, _From, Name) ->
    {reply, {Name, self() =/= undefined}, Name}.

handle_cast(_, Name) ->
    {noreply, Name}.

%% a proc_lib process that acknowledges its start
start_plain(fail) ->
    proc_lib:start_link(?MODULE, plain_init, [self(), fail]);
start_plain(Name) ->
    proc_lib:start_link(?MODULE, plain_init, [self(), Name]).

plain_init(_Parent, fail) ->
    proc_lib:init_ack({error, refused});
plain_init(_Parent, Name) ->
    proc_lib:init_ack({ok, self()}),
    plain_loop(Name).

plain_loop(Name) ->
    receive
        {exit, Reason} -> exit(Reason);
        _ -> plain_loop(Name)
    end.

%% helpers
ids(Sup) -> [Id || {Id, _, _, _} <- supervisor:which_children(Sup)].
pids(Sup) -> lists:sort([{Id, P} || {Id, P, _, _} <- supervisor:which_children(Sup)]).
child(Sup, Id) -> {Id, P, _, _} = lists:keyfind(Id, 1, supervisor:which_children(Sup)), P.

changed(Before, After) ->
    [Id || {{Id, P1}, {Id, P2}} <- lists:zip(Before, After), P1 =/= P2].

%% Crash a child and wait until the supervisor has restarted it.
crash(Sup, Id) ->
    Old = child(Sup, Id),
    exit(Old, kill),
    wait_until(fun() ->
                       case catch child(Sup, Id) of
                           P when is_pid(P) -> P =/= Old;
                           _ -> false
                       end
               end).

wait_until(F) ->
    case F() of
        true -> ok;
        false -> timer:sleep(5), wait_until(F)
    end.

stop(Sup) ->
    unlink(Sup),
    Ref = erlang:monitor(process, Sup),
    exit(Sup, shutdown),
    receive {'DOWN', Ref, process, Sup, R} -> io:format("stopped ~p~n", [R]) end.

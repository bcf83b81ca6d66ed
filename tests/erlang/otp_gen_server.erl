-module(otp_gen_server).
-behaviour(gen_server).
-export([main/0]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2, code_change/3]).
-export([plain/1, acked/2, looper/0]).

%% gen_server under sys and proc_lib: state inspection, suspension, start
%% options, enter_loop, and proc_lib's own process starting.

main() ->
    %% Crash reports of the processes that fail on purpose are written by erl's
    %% logger at a time of its own: keep it quiet (tests/otp_reports.rs compares them).
    ok = logger:set_primary_config(level, none),
    process_flag(trap_exit, true),
    {ok, S} = gen_server:start_link({local, counter}, ?MODULE, 10, []),
    ok = gen_server:cast(counter, {add, 5}),
    counter ! {add, 2},
    io:format("~p~n", [gen_server:call(counter, get)]),
    io:format("~p~n", [sys:get_state(counter)]),
    io:format("~p~n", [sys:replace_state(counter, fun(N) -> N * 2 end)]),
    io:format("~p~n", [gen_server:call(counter, get)]),
    ok = sys:suspend(counter),
    ok = gen_server:cast(counter, {add, 1}),
    io:format("~p~n", [catch gen_server:call(counter, get, 50)]),
    ok = sys:resume(counter),
    io:format("~p~n", [gen_server:call(counter, get)]),
    {status, S, {module, gen_server}, [_PDict, SysState, Parent, _Dbg, _Misc]} = sys:get_status(counter),
    io:format("~p ~p~n", [SysState, Parent =:= self()]),
    io:format("~p~n", [proc_lib:initial_call(S)]),
    io:format("~p~n", [proc_lib:translate_initial_call(S)]),
    io:format("~p~n", [gen_server:start({local, counter}, ?MODULE, 0, []) =:= {error, {already_started, S}}]),
    io:format("~p~n", [gen_server:start(?MODULE, refuse, [])]),
    io:format("~p~n", [gen_server:start(?MODULE, ignore_me, [])]),
    io:format("~p~n", [gen_server:start(?MODULE, slow, [{timeout, 20}])]),
    io:format("~p~n", [gen_server:call(counter, {reply_later, 7})]),
    io:format("~p~n", [gen_server:multi_call([node()], counter, get)]),
    ok = gen_server:stop(counter, normal, infinity),
    receive {'EXIT', S, R} -> io:format("exit ~p~n", [R]) end,
    %% proc_lib
    P = proc_lib:spawn_link(?MODULE, plain, [self()]),
    receive {P, {initial, I}} -> io:format("~p~n", [I]) end,
    {ok, A} = proc_lib:start_link(?MODULE, acked, [self(), ok]),
    io:format("~p~n", [proc_lib:initial_call(A)]),
    io:format("~p~n", [catch proc_lib:start_link(?MODULE, acked, [self(), crash])]),
    receive {'EXIT', _, R2} -> io:format("exit ~p~n", [R2]) end,
    io:format("~p~n", [proc_lib:start(?MODULE, acked, [self(), slow], 20)]),
    %% enter_loop
    L = proc_lib:spawn_link(?MODULE, looper, []),
    io:format("~p~n", [gen_server:call(L, get)]),
    ok = gen_server:stop(L),
    receive {'EXIT', L, R3} -> io:format("exit ~p~n", [R3]) end,
    ok.

init(refuse) -> {stop, refused};
init(ignore_me) -> ignore;
init(slow) -> timer:sleep(200), {ok, 0};
init(N) -> {ok, N}.

handle_call(get, _From, N) ->
    {reply, N, N};
handle_call({reply_later, X}, From, N) ->
    self() ! {later, From, X},
    {noreply, N}.

handle_cast({add, X}, N) ->
    {noreply, N + X}.

handle_info({add, X}, N) ->
    {noreply, N + X};
handle_info({later, From, X}, N) ->
    gen_server:reply(From, {later, X}),
    {noreply, N}.

terminate(_Reason, _N) -> ok.
code_change(_Old, N, _Extra) -> {ok, N}.

plain(Parent) ->
    Parent ! {self(), {initial, proc_lib:translate_initial_call(self())}}.

acked(_Parent, ok) -> proc_lib:init_ack({ok, self()}), receive after infinity -> ok end;
acked(_Parent, crash) -> exit(crashed_before_ack);
acked(_Parent, slow) -> timer:sleep(200), proc_lib:init_ack(late).

looper() ->
    gen_server:enter_loop(?MODULE, [], 42).

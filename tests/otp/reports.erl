%% Crash, supervisor and error reports as OTP's logger writes them: a supervised
%% gen_server that crashes, a proc_lib worker that exits, and a supervisor that
%% gives up when its restart intensity is reached. Run by
%% crates/girder-cli/tests/otp_reports.rs under erl and girder.
-module(reports).
-behaviour(supervisor).
-export([main/0, init/1, start_server/0, start_plain/0, plain/0]).
-export([handle_call/3, handle_cast/2]).

main() ->
    process_flag(trap_exit, true),
    {ok, Sup} = supervisor:start_link({local, reports_sup}, ?MODULE, sup),
    gen_server:cast(reports_server, {divide, 0}),
    wait_restart(reports_server),
    reports_plain ! {exit, {bad_thing, [1, 2, 3]}},
    wait_restart(reports_plain),
    reports_plain ! {exit, again},
    receive {'EXIT', Sup, Reason} -> io:format("supervisor exited: ~p~n", [Reason]) end,
    timer:sleep(300),
    halt().

wait_restart(Name) ->
    Old = whereis(Name),
    wait_restart(Name, Old).

wait_restart(Name, Old) ->
    timer:sleep(5),
    case whereis(Name) of
        P when is_pid(P), P =/= Old -> ok;
        _ -> wait_restart(Name, Old)
    end.

init(sup) ->
    {ok, {#{strategy => one_for_one, intensity => 2, period => 3600},
          [#{id => server, start => {?MODULE, start_server, []}},
           #{id => plain, start => {?MODULE, start_plain, []}}]}};
init(server) ->
    {ok, 100}.

start_server() ->
    gen_server:start_link({local, reports_server}, ?MODULE, server, []).

handle_call(get, _From, N) ->
    {reply, N, N}.

handle_cast({divide, D}, N) ->
    {noreply, N div D}.

start_plain() ->
    {ok, proc_lib:spawn_link(?MODULE, plain, [])}.

plain() ->
    register(reports_plain, self()),
    receive {exit, Reason} -> exit(Reason) end.

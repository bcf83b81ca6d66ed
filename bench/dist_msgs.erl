%% Messages between two nodes of the same VM (girder to girder, erl to erl) over
%% distribution on 127.0.0.1. This VM is only the launcher: it starts a private epmd and two
%% nodes of its own kind (the same executable, engine and scheduler count; epmd's port
%% reaches them as ERL_EPMD_PORT, as erl's launcher passes it on), passes on the RESULT
%% line of the driving node, and stops epmd. The driving node streams messages to a
%% registered sink on the other, waiting for the sink's answer after every 1000 (so the
%% queue stays bounded): N small messages (`{msg, I}`), then N div 10 larger ones (a list
%% of 100 integers, a 1 KiB binary, a map). Only the stream is timed, not the start. The
%% checksum is what the sink counted and summed. Peak RSS in the table is the launcher's.
-module(dist_msgs).
-export([main/0, main/1, drive/0]).

%% The sink, run by the other node (as `-eval` text); it halts when told to, when the
%% driver's node goes down, or after five minutes.
-define(PEER,
    "spawn(fun() -> timer:sleep(300000), halt() end),"
    "Sink = fun Sink(C, S) -> receive"
    "  {msg, I} -> Sink(C + 1, S + I);"
    "  {big, I, #{list := L}} -> Sink(C + 1, S + I + length(L));"
    "  {sync, From, Ref} -> From ! {Ref, synced}, Sink(C, S);"
    "  {start, From, _} -> monitor_node(node(From), true), Sink(0, 0);"
    "  {done, From, Ref} -> From ! {Ref, C, S}, Sink(0, 0);"
    "  stop -> halt();"
    "  {nodedown, _} -> halt()"
    " end end,"
    "register(sink, self()),"
    "io:format(\"ready~n\"),"
    "Sink(0, 0).").

main() -> main([full]).

main([Size]) ->
    {ok, L} = gen_tcp:listen(0, [{ip, {127,0,0,1}}]),
    {ok, EpmdPort} = inet:port(L),
    ok = gen_tcp:close(L),
    P = integer_to_list(EpmdPort),
    Epmd = os:find_executable("epmd"),
    _ = os:cmd(Epmd ++ " -port " ++ P ++ " -address 127.0.0.1 -relaxed_command_check -daemon"),
    try
        launch(P, Size)
    after
        os:cmd(Epmd ++ " -port " ++ P ++ " -kill")
    end.

launch(EpmdPort, Size) ->
    Id = integer_to_list(erlang:unique_integer([positive])) ++ "_" ++ os:getpid(),
    {ok, Host} = inet:gethostname(),
    Peer = "dm_peer" ++ Id,
    Ebin = filename:dirname(code:which(?MODULE)),
    Env = [{"ERL_EPMD_PORT", EpmdPort}, {"DIST_MSGS_SIZE", atom_to_list(Size)},
           {"DIST_MSGS_PEER", Peer ++ "@" ++ Host}],
    Sink = node_port(Env, ["-sname", Peer, "-eval", ?PEER]),
    receive {Sink, {data, <<"ready", _/binary>>}} -> ok
    after 30000 -> exit(peer_start_timeout)
    end,
    Main = node_port(Env,
                     ["-sname", "dm_main" ++ Id, "-pa", Ebin, "-s", ?MODULE, "drive", "-s", "init", "stop"]),
    relay(Main),
    receive {Sink, {exit_status, _}} -> ok after 10000 -> port_close(Sink) end.

%% Pass the driving node's output on until it exits.
relay(Port) ->
    receive
        {Port, {data, D}} -> io:put_chars(D), relay(Port);
        {Port, {exit_status, 0}} -> ok;
        {Port, {exit_status, S}} -> exit({driver_exited, S})
    after 120000 -> exit(driver_timeout)
    end.

node_port(Env, Args) ->
    {Exe, Flags} = vm(),
    open_port({spawn_executable, Exe},
              [{args, Flags ++ ["+S", integer_to_list(erlang:system_info(schedulers)),
                                "-noshell", "-start_epmd", "false",
                                "-setcookie", "dist_msgs_bench" | Args]},
               {env, Env}, exit_status, binary]).

%% This VM's executable and engine flags: girder runs itself again; erl runs the erl of
%% its root.
vm() ->
    {ok, Self} = file:read_link_all("/proc/self/exe"),
    case filename:basename(Self) of
        "beam" ++ _ ->
            [[Root]] = element(2, init:get_argument(root)),
            {filename:join([Root, "bin", "erl"]), []};
        _ ->
            {Self, ["-emu_flavor", atom_to_list(erlang:system_info(emu_flavor))]}
    end.

%% The driving node.
drive() ->
    Peer = list_to_atom(os:getenv("DIST_MSGS_PEER")),
    pong = net_adm:ping(Peer),
    Size = list_to_atom(os:getenv("DIST_MSGS_SIZE")),
    bench_harness:measure(dist_msgs, fun(S) -> run(Peer, params(S)) end, Size),
    {sink, Peer} ! stop.

params(quick) -> 2000;
params(full) -> 200000.

-define(WINDOW, 1000).

run(Peer, N) ->
    Sink = {sink, Peer},
    Ref = make_ref(),
    Sink ! {start, self(), Ref},
    small(Sink, Ref, 1, N),
    Big = #{list => lists:seq(1, 100), bin => binary:copy(<<"girder!!">>, 128), pid => self()},
    large(Sink, Ref, 1, N div 10, Big),
    Sink ! {done, self(), Ref},
    receive {Ref, Count, Sum} -> Count + Sum after 60000 -> exit(sink_timeout) end.

small(_Sink, _Ref, I, N) when I > N -> ok;
small(Sink, Ref, I, N) ->
    Sink ! {msg, I},
    window(Sink, Ref, I),
    small(Sink, Ref, I + 1, N).

large(_Sink, _Ref, I, N, _Big) when I > N -> ok;
large(Sink, Ref, I, N, Big) ->
    Sink ! {big, I, Big},
    window(Sink, Ref, I),
    large(Sink, Ref, I + 1, N, Big).

window(Sink, Ref, I) when I rem ?WINDOW =:= 0 ->
    Sink ! {sync, self(), Ref},
    receive {Ref, synced} -> ok after 60000 -> exit(sync_timeout) end;
window(_, _, _) -> ok.


-module(ports).
-export([main/0]).

%% Ports: open_port/2 with spawn, spawn_executable and fd, their options, the messages
%% they send, links and monitors, and os:cmd/1 on top. Port identifiers, references and OS
%% pids differ between VMs, so messages are shown with the port as `port`.

main() ->
    process_flag(trap_exit, true),
    %% First, before anything goes through erl's own standard output (another port: the
    %% order of two ports' writes is not defined, and erl once printed the next line
    %% after this port's); closing this port waits until its writes are done.
    fd_port(),
    spawn_basic(),
    exit_statuses(),
    line_mode(),
    packets(),
    big_stream(),
    executable(),
    eof_option(),
    info_and_list(),
    close_message(),
    connect(),
    links_and_monitors(),
    errors(),
    oscmd(),
    ok.

show(Label, Term) -> io:format("~s: ~p~n", [Label, Term]).

%% What calling F raises, without the arguments (they hold pids and ports).
err(F) ->
    try F() of
        V -> {value, V}
    catch
        C:R:St ->
            [{M, Fn, _, Info} | _] = St,
            {C, R, M, Fn, proplists:get_value(error_info, Info)}
    end.

%% Every message from Port until it closes ('EXIT' from it), the port masked.
collect(Port) -> collect(Port, []).
collect(Port, Acc) ->
    receive
        {Port, M} -> collect(Port, [M | Acc]);
        {'EXIT', Port, R} -> lists:reverse([{'EXIT', R} | Acc])
    after 5000 -> lists:reverse([timeout | Acc])
    end.

%% The same, with consecutive stream data joined (chunking depends on timing).
joined(Port) -> join(collect(Port)).
join([{data, A}, {data, B} | T]) when is_binary(A) -> join([{data, <<A/binary, B/binary>>} | T]);
join([{data, A}, {data, B} | T]) when is_list(A) -> join([{data, A ++ B} | T]);
join([H | T]) -> [H | join(T)];
join([]) -> [].

spawn_basic() ->
    P = open_port({spawn, "echo hello world"}, []),
    show("is_port", is_port(P)),
    show("echo", joined(P)),
    P2 = open_port({spawn, "echo binary"}, [binary, stream]),
    show("echo binary", joined(P2)),
    P3 = open_port({spawn, "printf 'no newline'"}, [binary, in]),
    show("printf", joined(P3)).

exit_statuses() ->
    [begin
         P = open_port({spawn, Cmd}, [exit_status, binary]),
         show(Cmd, joined(P))
     end || Cmd <- ["true", "false", "sh -c 'exit 3'", "sh -c 'echo out; exit 42'",
                    "sh -c 'kill -9 $$'", "sh -c 'exec 2>/dev/null; echo to stderr >&2; exit 1'"]],
    P = open_port({spawn, "sh -c 'echo err >&2; echo out'"},
                  [exit_status, stderr_to_stdout, binary]),
    show("stderr_to_stdout", joined(P)).

line_mode() ->
    Text = "a\\nbb\\nccc\\ndddd\\neeeeeeeee\\n\\nf",
    [begin
         P = open_port({spawn, "printf '" ++ Text ++ "'"}, [{line, N} | Opts]),
         show("line " ++ integer_to_list(N), collect(P))
     end || {N, Opts} <- [{3, []}, {3, [binary]}, {1, []}, {100, [binary, exit_status]}]].

packets() ->
    [begin
         P = open_port({spawn, "cat"}, [{packet, N}, binary]),
         port_command(P, <<"first">>),
         port_command(P, ["se", [$c | <<"ond">>], []]),
         true = port_command(P, <<>>),
         P ! {self(), {command, <<"third">>}},
         Got = [receive {P, {data, D}} -> D after 5000 -> timeout end || _ <- [1, 2, 3, 4]],
         show("packet " ++ integer_to_list(N), Got),
         port_close(P),
         show("after port_close", collect(P))
     end || N <- [1, 2, 4]],
    P = open_port({spawn, "cat"}, [{packet, 2}]),
    port_command(P, "list mode"),
    show("packet 2 list", receive {P, {data, D}} -> D after 5000 -> timeout end),
    port_close(P),
    collect(P).

big_stream() ->
    %% More than a pipe holds: the port queues output and writes it as cat reads.
    Big = list_to_binary([integer_to_list(I) || I <- lists:seq(1, 60000)]),
    P = open_port({spawn, "cat"}, [binary, stream]),
    port_command(P, Big),
    Got = read_bytes(P, byte_size(Big), []),
    show("big stream", {byte_size(Big), Got =:= Big}),
    port_close(P),
    collect(P).

read_bytes(_, 0, Acc) -> iolist_to_binary(lists:reverse(Acc));
read_bytes(P, N, Acc) ->
    receive {P, {data, D}} -> read_bytes(P, N - byte_size(D), [D | Acc])
    after 5000 -> timeout
    end.

executable() ->
    Sh = os:find_executable("sh"),
    P = open_port({spawn_executable, Sh},
                  [{args, ["-c", "echo $0 $1 \"$2\"", "zero", "one", "two words"]},
                   exit_status, binary]),
    show("args", joined(P)),
    P2 = open_port({spawn_executable, Sh},
                   [{args, ["-c", "echo $0"]}, {arg0, "myname"}, binary]),
    show("arg0", joined(P2)),
    P3 = open_port({spawn_executable, "/bin/pwd"}, [{cd, "/"}, binary]),
    show("cd", joined(P3)),
    os:putenv("GIRDER_PORT_GONE", "present"),
    P4 = open_port({spawn_executable, Sh},
                   [{args, ["-c", "echo \"$GIRDER_PORT_VAR.${GIRDER_PORT_GONE:-unset}\""]},
                    {env, [{"GIRDER_PORT_VAR", "set"}, {"GIRDER_PORT_GONE", false}]},
                    binary]),
    show("env", joined(P4)),
    P5 = open_port({spawn_executable, list_to_binary(Sh)},
                   [{args, [<<"-c">>, <<"echo binary names">>]}, binary]),
    show("binary names", joined(P5)).

eof_option() ->
    P = open_port({spawn, "echo with eof"}, [eof, exit_status, binary]),
    Msgs = [receive {P, M} -> M after 5000 -> timeout end || _ <- [1, 2, 3]],
    show("eof messages", Msgs),
    show("still open", is_list(erlang:port_info(P))),
    port_close(P),
    show("closed", collect(P)).

info_and_list() ->
    P = open_port({spawn, "cat"}, []),
    Info = erlang:port_info(P),
    show("info keys", [K || {K, _} <- Info]),
    show("name", erlang:port_info(P, name)),
    show("connected", erlang:port_info(P, connected) =:= {connected, self()}),
    show("links", erlang:port_info(P, links) =:= {links, [self()]}),
    {os_pid, OsPid} = erlang:port_info(P, os_pid),
    show("os_pid", is_integer(OsPid)),
    port_command(P, "12345"),
    receive {P, {data, _}} -> ok end,
    show("io counts", {erlang:port_info(P, input), erlang:port_info(P, output)}),
    show("in ports()", lists:member(P, erlang:ports())),
    show("roundtrip", list_to_port(port_to_list(P)) =:= P),
    show("list_to_port bad", err(fun() -> list_to_port("#Port<0.x>") end)),
    show("process_info links", lists:member(P, element(2, process_info(self(), links)))),
    port_close(P),
    show("closed info", {erlang:port_info(P), erlang:port_info(P, name)}),
    show("not in ports()", lists:member(P, erlang:ports())),
    show("port_info badarg", err(fun() -> erlang:port_info(self()) end)),
    collect(P).

close_message() ->
    P = open_port({spawn, "cat"}, []),
    P ! {self(), close},
    R1 = receive M1 -> mask(P, M1) after 5000 -> timeout end,
    R2 = receive M2 -> mask(P, M2) after 5000 -> timeout end,
    show("close order", [R1, R2]),
    show("closed command", err(fun() -> port_command(P, "x") end)),
    show("closed close", err(fun() -> port_close(P) end)),
    P ! {self(), close},
    show("send to closed", ok).

mask(P, T) when T =:= P -> port;
mask(P, T) when is_tuple(T) -> list_to_tuple([mask(P, E) || E <- tuple_to_list(T)]);
mask(_, T) -> T.

connect() ->
    Self = self(),
    P = open_port({spawn, "cat"}, [binary]),
    Other = spawn(fun() ->
                          process_flag(trap_exit, true),
                          receive go -> ok end,
                          port_command(P, <<"via other">>),
                          receive {P, {data, D}} -> Self ! {other_got, D} end,
                          receive {'EXIT', P, R} -> Self ! {other_exit, R} end
                  end),
    true = erlang:port_connect(P, Other),
    show("connected", erlang:port_info(P, connected) =:= {connected, Other}),
    unlink(P),
    Other ! go,
    show("other", receive {other_got, D} -> D after 5000 -> timeout end),
    port_close(P),
    show("other exit", receive {other_exit, R} -> R after 5000 -> timeout end),
    show("connect closed", err(fun() -> erlang:port_connect(P, self()) end)),
    P2 = open_port({spawn, "cat"}, [binary]),
    P2 ! {self(), {connect, Other}},
    show("connect message", receive {P2, connected} -> connected after 5000 -> timeout end),
    port_close(P2),
    collect(P2).

links_and_monitors() ->
    P = open_port({spawn, "cat"}, []),
    Ref = monitor(port, P),
    exit(P, boom),
    show("exit boom", collect(P)),
    show("down", receive {'DOWN', Ref, port, P, R} -> R after 5000 -> timeout end),
    P2 = open_port({spawn, "cat"}, []),
    unlink(P2),
    Ref2 = monitor(port, P2),
    show("monitors", [K || {K, _} <- element(2, process_info(self(), monitors)), K =:= port]),
    port_close(P2),
    show("down normal", receive {'DOWN', Ref2, port, P2, R2} -> R2 after 5000 -> timeout end),
    show("no exit after unlink", receive {'EXIT', P2, _} -> got after 100 -> none end),
    Ref3 = monitor(port, P2),
    show("monitor closed", receive {'DOWN', Ref3, port, P2, R3} -> R3 after 5000 -> timeout end),
    show("link closed", err(fun() -> link(P2) end)),
    %% A port whose owner dies closes.
    Self = self(),
    Owner = spawn(fun() ->
                          Q = open_port({spawn, "cat"}, []),
                          Self ! {port, Q},
                          receive stop -> exit(stopped) end
                  end),
    Q = receive {port, Q0} -> Q0 end,
    QRef = monitor(port, Q),
    Owner ! stop,
    show("owner died", receive {'DOWN', QRef, port, Q, QR} -> QR after 5000 -> timeout end),
    %% exit(Port, normal) from a process that is not the owner does nothing.
    P3 = open_port({spawn, "cat"}, []),
    spawn(fun() -> exit(P3, normal), Self ! done end),
    receive done -> ok end,
    timer:sleep(50),
    show("normal from other", is_list(erlang:port_info(P3))),
    show("closed by exit/2 normal", collect(P3)),
    P4 = open_port({spawn, "cat"}, []),
    exit(P4, kill),
    show("killed", collect(P4)),
    P5 = open_port({spawn, "cat"}, []),
    exit(P5, normal),
    show("exit normal from owner", collect(P5)).

errors() ->
    show("enoent", err(fun() -> open_port({spawn_executable, "/nonexistent/program"}, []) end)),
    show("badopt", err(fun() -> open_port({spawn, "cat"}, [nonsense]) end)),
    show("packet 3", err(fun() -> open_port({spawn, "cat"}, [{packet, 3}]) end)),
    show("line 0", err(fun() -> open_port({spawn, "cat"}, [{line, 0}]) end)),
    show("bad name", err(fun() -> open_port({spawn, 42}, []) end)),
    show("bad name tuple", err(fun() -> open_port({nothing, "x"}, []) end)),
    show("bad options", err(fun() -> open_port({spawn, "cat"}, not_a_list) end)),
    P = open_port({spawn, "cat"}, []),
    show("bad option", err(fun() -> port_command(P, "x", [bogus]) end)),
    show("port_command force", err(fun() -> port_command(P, "x", [force]) end)),
    show("port_command nosuspend", port_command(P, "x", [nosuspend])),
    receive {P, {data, _}} -> ok end,
    show("port_control", err(fun() -> erlang:port_control(P, 1, "x") end)),
    port_close(P),
    collect(P).

oscmd() ->
    show("os:cmd", os:cmd("echo one; echo two; printf three")),
    show("os:cmd stderr", os:cmd("echo out; echo err 1>&2")),
    show("os:cmd unicode", os:cmd("printf '\\303\\251t\\303\\251'")),
    show("os:cmd missing", os:cmd("girder_no_such_command_xyz")),
    show("os:cmd max_size", os:cmd("echo 1234567890", #{max_size => 4})),
    show("os:cmd background", os:cmd("sleep 5 & echo started")),
    show("find sh", os:find_executable("sh") =/= false),
    show("find missing", os:find_executable("girder_no_such_command_xyz")),
    show("os:cmd bad", err(fun() -> os:cmd(an_atom_is_fine) end)),
    show("os:cmd bad 2", err(fun() -> os:cmd({nota, command}) end)),
    %% os:cmd's ports close asynchronously: wait (bounded) until they are gone.
    show("ports left", ports_left(100)).

ports_left(0) -> own_ports();
ports_left(N) ->
    case own_ports() of
        [] -> [];
        _ -> receive after 20 -> ports_left(N - 1) end
    end.

own_ports() ->
    [P || P <- erlang:ports(), erlang:port_info(P, connected) =:= {connected, self()}].

fd_port() ->
    P = open_port({fd, 0, 1}, [out, binary]),
    port_command(P, <<"through fd 1\n">>),
    port_command(P, ["as ", "iolist", $\n]),
    port_command(P, io_lib:format("fd info: ~p~n", [[K || {K, _} <- erlang:port_info(P)]])),
    port_close(P),
    receive {'EXIT', P, R} -> R = normal end.

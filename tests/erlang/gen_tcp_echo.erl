%% gen_tcp on 127.0.0.1 with ephemeral ports: an echo server per packet mode,
%% the active modes, passive recv with lengths and timeouts, options, errors.
-module(gen_tcp_echo).
-export([main/0]).

main() ->
    [echo(Mode) || Mode <- [raw, 0, 1, 2, 4, line]],
    active_modes(),
    passive(),
    options(),
    errors(),
    shutdown_and_owner(),
    ok.

%% A server that echoes each packet back until the client closes.
echo(Packet) ->
    {ok, L} = gen_tcp:listen(0, [binary, {packet, Packet}, {active, false},
                                 {reuseaddr, true}, {ip, {127,0,0,1}}]),
    {ok, Port} = inet:port(L),
    Server = spawn_link(fun() -> serve(L) end),
    {ok, C} = gen_tcp:connect({127,0,0,1}, Port, [binary, {packet, Packet}, {active, false}]),
    Msgs = case Packet of
               line -> [<<"one\n">>, <<"two two\n">>, <<"\n">>];
               _ -> [<<"a">>, <<"hello">>, list_to_binary(lists:seq(0, 200))]
           end,
    Replies = [begin ok = gen_tcp:send(C, M), recv_all(C, Packet, byte_size(M)) end
               || M <- Msgs],
    io:format("~p: ~p~n", [Packet, [R =:= M || {R, M} <- lists:zip(Replies, Msgs)]]),
    ok = gen_tcp:close(C),
    receive {'EXIT', Server, R} -> io:format("server ~p~n", [R]) after 10000 -> io:format("no exit~n") end,
    gen_tcp:close(L).

recv_all(C, P, N) when P =:= raw; P =:= 0 -> recv_n(C, N, <<>>);
recv_all(C, _, _) -> {ok, D} = gen_tcp:recv(C, 0, 10000), D.

recv_n(_, 0, Acc) -> Acc;
recv_n(C, N, Acc) ->
    {ok, D} = gen_tcp:recv(C, 0, 10000),
    recv_n(C, N - byte_size(D), <<Acc/binary, D/binary>>).

serve(L) ->
    process_flag(trap_exit, false),
    {ok, S} = gen_tcp:accept(L, 10000),
    loop(S).

loop(S) ->
    case gen_tcp:recv(S, 0, infinity) of
        {ok, D} -> ok = gen_tcp:send(S, D), loop(S);
        {error, closed} -> exit(done)
    end.

pair(Opts) ->
    {ok, L} = gen_tcp:listen(0, [{ip, loopback} | Opts]),
    {ok, Port} = inet:port(L),
    {ok, C} = gen_tcp:connect("localhost", Port, [inet | Opts]),
    {ok, S} = gen_tcp:accept(L, 10000),
    ok = gen_tcp:close(L),
    {C, S}.

%% N messages (waiting as long as they take), then any more that come within 100 ms.
take(0) -> flush();
take(N) -> receive M -> [M | take(N - 1)] after 10000 -> [timeout] end.

flush() ->
    receive M -> [M | flush()] after 100 -> [] end.

strip(S, Msgs) -> [strip1(S, M) || M <- Msgs].
strip1(S, T) when is_tuple(T) ->
    list_to_tuple([case E of S -> sock; _ -> E end || E <- tuple_to_list(T)]).

active_modes() ->
    process_flag(trap_exit, true),
    %% active true, list mode
    {C, S} = pair([list, {active, true}]),
    ok = gen_tcp:send(C, "ping"),
    receive {tcp, S, D} -> io:format("active true: ~p~n", [D]) after 10000 -> io:format("none~n") end,
    %% active once: one message, then passive
    ok = inet:setopts(S, [{active, once}]),
    ok = gen_tcp:send(C, <<"x">>),
    receive {tcp, S, D1} -> io:format("once: ~p~n", [D1]) after 10000 -> io:format("none~n") end,
    io:format("after once: ~p~n", [inet:getopts(S, [active])]),
    ok = gen_tcp:send(C, <<"y">>),
    io:format("queued: ~p~n", [strip(S, flush())]),
    io:format("recv: ~p~n", [gen_tcp:recv(S, 0, 10000)]),
    %% active N, with packet 2 so each send is one message
    ok = inet:setopts(S, [{packet, 2}, {active, 2}]),
    ok = inet:setopts(C, [{packet, 2}]),
    [ok = gen_tcp:send(C, [I]) || I <- [1, 2, 3]],
    io:format("active 2: ~p~n", [strip(S, take(3))]),
    io:format("getopts: ~p~n", [inet:getopts(S, [active, packet, mode])]),
    ok = inet:setopts(S, [{active, 1}]),
    io:format("active 1: ~p~n", [strip(S, take(2))]),
    %% peer close in active mode
    ok = inet:setopts(S, [{active, true}]),
    ok = gen_tcp:close(C),
    io:format("closed: ~p~n", [strip(S, take(1))]),
    io:format("send after close: ~p~n", [gen_tcp:send(S, <<"z">>)]),
    gen_tcp:close(S),
    process_flag(trap_exit, false).

passive() ->
    {C, S} = pair([binary, {active, false}]),
    io:format("timeout: ~p~n", [gen_tcp:recv(S, 0, 50)]),
    ok = gen_tcp:send(C, <<"0123456789">>),
    io:format("recv 4: ~p~n", [gen_tcp:recv(S, 4, 10000)]),
    io:format("recv 6: ~p~n", [gen_tcp:recv(S, 6, 10000)]),
    ok = gen_tcp:send(C, <<"abc">>),
    io:format("recv 5 timeout: ~p~n", [gen_tcp:recv(S, 5, 100)]),
    ok = gen_tcp:send(C, <<"de">>),
    io:format("recv 5: ~p~n", [gen_tcp:recv(S, 5, 10000)]),
    ok = inet:setopts(S, [{packet, line}]),
    ok = gen_tcp:send(C, <<"l1\nl2\npartial">>),
    io:format("lines: ~p ~p~n", [gen_tcp:recv(S, 0, 1000), gen_tcp:recv(S, 0, 10000)]),
    io:format("partial: ~p~n", [gen_tcp:recv(S, 0, 100)]),
    io:format("length with packet: ~p~n", [gen_tcp:recv(S, 3, 100)]),
    ok = gen_tcp:close(C),
    io:format("after peer close: ~p~n", [gen_tcp:recv(S, 0, 10000)]),
    io:format("again: ~p~n", [gen_tcp:recv(S, 0, 10000)]),
    ok = gen_tcp:close(S).

options() ->
    {C, S} = pair([binary, {active, false}, {nodelay, true}, {keepalive, true},
                   {recbuf, 16384}, {sndbuf, 16384}]),
    {ok, Opts} = inet:getopts(S, [nodelay, keepalive, active, mode, packet, reuseaddr,
                                  exit_on_close, header]),
    io:format("accepted: ~p~n", [Opts]),
    {ok, [{recbuf, R}, {sndbuf, Sn}]} = inet:getopts(C, [recbuf, sndbuf]),
    io:format("buffers set: ~p~n", [R >= 16384 andalso Sn >= 16384]),
    ok = inet:setopts(C, [{nodelay, false}, list, {header, 0}]),
    io:format("client: ~p~n", [inet:getopts(C, [nodelay, mode])]),
    {ok, {PA, PP}} = inet:peername(C),
    {ok, {SA, SP}} = inet:sockname(S),
    io:format("addresses: ~p ~p~n", [PA, SA]),
    io:format("ports agree: ~p~n", [PP =:= SP andalso inet:port(S) =:= {ok, SP}]),
    io:format("bad option: ~p~n", [inet:setopts(C, [{active, maybe}])]),
    io:format("bad getopt: ~p~n", [inet:getopts(C, [nonsense])]),
    ok = gen_tcp:send(C, <<1,2,3>>),
    ok = inet:setopts(S, [binary, {header, 2}]),
    io:format("header: ~p~n", [gen_tcp:recv(S, 0, 10000)]),
    {ok, St} = inet:getstat(S, [recv_oct, recv_cnt]),
    io:format("stat: ~p~n", [St]),
    gen_tcp:close(C), gen_tcp:close(S).

errors() ->
    {ok, L} = gen_tcp:listen(0, [{ip, {127,0,0,1}}]),
    {ok, Port} = inet:port(L),
    io:format("eaddrinuse: ~p~n", [gen_tcp:listen(Port, [{ip, {127,0,0,1}}])]),
    io:format("accept timeout: ~p~n", [gen_tcp:accept(L, 30)]),
    ok = gen_tcp:close(L),
    io:format("econnrefused: ~p~n", [gen_tcp:connect({127,0,0,1}, Port, [])]),
    io:format("accept closed: ~p~n", [gen_tcp:accept(L, 30)]),
    io:format("bad port: ~p~n", [catch gen_tcp:connect({127,0,0,1}, 70000, [])]),
    io:format("bad opt: ~p~n", [catch gen_tcp:listen(0, [{packet, 3}])]),
    {ok, L2} = gen_tcp:listen(0, [{active, false}]),
    io:format("recv on listen: ~p~n", [gen_tcp:recv(L2, 0, 10)]),
    io:format("send on listen: ~p~n", [gen_tcp:send(L2, <<"x">>)]),
    gen_tcp:close(L2).

shutdown_and_owner() ->
    {C, S} = pair([binary, {active, false}]),
    ok = gen_tcp:send(C, <<"bye">>),
    ok = gen_tcp:shutdown(C, write),
    io:format("half closed: ~p ~p~n", [gen_tcp:recv(S, 0, 1000), gen_tcp:recv(S, 0, 10000)]),
    io:format("still reads: ~p~n", [gen_tcp:send(S, <<"back">>)]),
    io:format("client gets: ~p~n", [gen_tcp:recv(C, 0, 10000)]),
    gen_tcp:close(C), gen_tcp:close(S),
    {C2, S2} = pair([binary, {active, true}]),
    Self = self(),
    P = spawn(fun() -> receive go -> ok end,
                       receive {tcp, S2, D} -> Self ! {got, D} after 10000 -> Self ! none end end),
    ok = gen_tcp:controlling_process(S2, P),
    P ! go,
    ok = gen_tcp:send(C2, <<"to new owner">>),
    receive Got -> io:format("owner: ~p~n", [Got]) end,
    io:format("not owner: ~p~n", [gen_tcp:controlling_process(S2, self())]),
    gen_tcp:close(C2),
    gen_tcp:close(S2).

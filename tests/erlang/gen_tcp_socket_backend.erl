%% gen_tcp and gen_udp with `{inet_backend, socket}`: OTP's gen_tcp_socket and
%% gen_udp_socket over the `socket` module, on 127.0.0.1.
-module(gen_tcp_socket_backend).
-export([main/0]).

-define(B, {inet_backend, socket}).

main() ->
    tcp(),
    packet_modes(),
    errors(),
    udp(),
    ok.

listen(Opts) ->
    {ok, L} = gen_tcp:listen(0, [?B, {ip, {127,0,0,1}}, {reuseaddr, true} | Opts]),
    {ok, Port} = inet:port(L),
    {L, Port}.

echo_server(L) ->
    Self = self(),
    spawn(fun() ->
                  {ok, S} = gen_tcp:accept(L, 5000),
                  echo(S),
                  Self ! {echo, done}
          end).

echo(S) ->
    case gen_tcp:recv(S, 0, 5000) of
        {ok, D} -> ok = gen_tcp:send(S, D), echo(S);
        {error, _} -> gen_tcp:close(S)
    end.

tcp() ->
    {L, Port} = listen([binary, {active, false}]),
    echo_server(L),
    {ok, C} = gen_tcp:connect({127,0,0,1}, Port, [?B, binary, {active, false}], 5000),
    ok = gen_tcp:send(C, <<"hello">>),
    io:format("passive: ~p~n", [gen_tcp:recv(C, 5, 5000)]),
    io:format("timeout: ~p~n", [gen_tcp:recv(C, 0, 50)]),
    ok = inet:setopts(C, [{active, once}]),
    ok = gen_tcp:send(C, "list data"),
    receive {tcp, C, D} -> io:format("once: ~p~n", [D]) after 5000 -> io:format("none~n") end,
    io:format("opts: ~p~n", [inet:getopts(C, [active, mode, packet, nodelay])]),
    {ok, {Addr, _}} = inet:sockname(C),
    {ok, {PAddr, PPort}} = inet:peername(C),
    io:format("names: ~p ~p ~p~n", [Addr, PAddr, PPort =:= Port]),
    ok = gen_tcp:shutdown(C, write),
    io:format("after shutdown: ~p~n", [gen_tcp:recv(C, 0, 5000)]),
    done(),
    ok = gen_tcp:close(C),
    echo_server(L),
    {ok, C2} = gen_tcp:connect({127,0,0,1}, Port, [?B, list, {active, true}], 5000),
    ok = gen_tcp:send(C2, <<"active">>),
    receive {tcp, C2, D2} -> io:format("active list: ~p~n", [D2]) after 5000 -> io:format("none~n") end,
    ok = gen_tcp:close(C2),
    done(),
    ok = gen_tcp:close(L).

done() ->
    receive {echo, done} -> ok after 5000 -> io:format("echo server stuck~n") end.

packet_modes() ->
    {L, Port} = listen([binary, {active, false}, {packet, 2}]),
    echo_server(L),
    {ok, C} = gen_tcp:connect({127,0,0,1}, Port, [?B, binary, {active, false}, {packet, 2}]),
    ok = gen_tcp:send(C, <<"framed">>),
    ok = gen_tcp:send(C, <<"twice">>),
    io:format("packet 2: ~p ~p~n", [gen_tcp:recv(C, 0, 5000), gen_tcp:recv(C, 0, 5000)]),
    gen_tcp:close(C),
    done(),
    gen_tcp:close(L),
    {L2, Port2} = listen([binary, {active, false}]),
    echo_server(L2),
    {ok, C2} = gen_tcp:connect({127,0,0,1}, Port2, [?B, binary, {active, false}, {packet, line}]),
    ok = gen_tcp:send(C2, <<"one\ntwo\n">>),
    io:format("line: ~p ~p~n", [gen_tcp:recv(C2, 0, 5000), gen_tcp:recv(C2, 0, 5000)]),
    gen_tcp:close(C2),
    done(),
    gen_tcp:close(L2).

errors() ->
    {L, Port} = listen([]),
    io:format("accept timeout: ~p~n", [gen_tcp:accept(L, 50)]),
    ok = gen_tcp:close(L),
    io:format("refused: ~p~n", [gen_tcp:connect({127,0,0,1}, Port, [?B], 5000)]),
    io:format("closed: ~p~n", [gen_tcp:send(L, <<"x">>)]).

udp() ->
    {ok, U} = gen_udp:open(0, [?B, binary, {active, false}, {ip, {127,0,0,1}}]),
    {ok, V} = gen_udp:open(0, [?B, binary, {active, false}, {ip, {127,0,0,1}}]),
    {ok, UP} = inet:port(U),
    ok = gen_udp:send(V, {127,0,0,1}, UP, <<"dgram">>),
    {ok, {A, _, D}} = gen_udp:recv(U, 0, 5000),
    io:format("udp: ~p ~p~n", [A, D]),
    io:format("udp timeout: ~p~n", [gen_udp:recv(U, 0, 50)]),
    ok = inet:setopts(U, [{active, once}]),
    ok = gen_udp:send(V, {127,0,0,1}, UP, <<"active">>),
    receive {udp, U, _, _, D2} -> io:format("udp active: ~p~n", [D2]) after 5000 -> io:format("none~n") end,
    [gen_udp:close(X) || X <- [U, V]],
    ok.

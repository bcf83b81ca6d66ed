%% gen_udp on 127.0.0.1 (passive and active modes) and inet's address functions.
-module(gen_udp_inet).
-export([main/0]).

main() ->
    udp(),
    addresses(),
    inet6(),
    ok.

%% IPv6 on ::1, where the host has it (erl and girder run on the same host).
inet6() ->
    case gen_udp:open(0, [inet6, binary, {active, false}, {ip, {0,0,0,0,0,0,0,1}}]) of
        {ok, U} ->
            {ok, P} = inet:port(U),
            ok = gen_udp:send(U, {0,0,0,0,0,0,0,1}, P, <<"self">>),
            {ok, {A, P, D}} = gen_udp:recv(U, 0, 10000),
            io:format("udp6: ~p ~p~n", [A, D]),
            {ok, L} = gen_tcp:listen(0, [inet6, {active, false}, {ip, {0,0,0,0,0,0,0,1}}]),
            {ok, TP} = inet:port(L),
            {ok, C} = gen_tcp:connect({0,0,0,0,0,0,0,1}, TP, [inet6, {linger, {true, 1}}]),
            {ok, S} = gen_tcp:accept(L, 10000),
            ok = gen_tcp:send(C, "v6"),
            io:format("tcp6: ~p ~p ~p~n", [gen_tcp:recv(S, 0, 10000), inet:getopts(C, [linger]),
                                          element(1, element(2, inet:peername(S)))]),
            io:format("v4 to v6: ~p~n", [gen_tcp:connect({127,0,0,1}, TP, [inet6])]),
            [gen_tcp:close(X) || X <- [C, S, L]],
            gen_udp:close(U);
        Error ->
            io:format("no ipv6: ~p~n", [Error])
    end.

udp() ->
    {ok, A} = gen_udp:open(0, [binary, {active, false}, {ip, {127,0,0,1}}]),
    {ok, B} = gen_udp:open(0, [list, {ip, loopback}, {reuseaddr, true}]),
    {ok, PA} = inet:port(A),
    {ok, PB} = inet:port(B),
    ok = gen_udp:send(A, {127,0,0,1}, PB, <<"to b">>),
    receive {udp, B, IP, P, D} -> io:format("active: ~p ~p ~p~n", [IP, P =:= PA, D])
    after 10000 -> io:format("none~n") end,
    ok = gen_udp:send(B, "localhost", PA, "to a"),
    {ok, {IP2, P2, D2}} = gen_udp:recv(A, 0, 10000),
    io:format("passive: ~p ~p ~p~n", [IP2, P2 =:= PB, D2]),
    io:format("timeout: ~p~n", [gen_udp:recv(A, 0, 50)]),
    ok = inet:setopts(A, [{active, once}]),
    ok = gen_udp:send(B, {127,0,0,1}, PA, [1, 2, <<3>>]),
    ok = gen_udp:send(B, {127,0,0,1}, PA, "second"),
    receive {udp, A, _, _, D3} -> io:format("once: ~p~n", [D3]) after 10000 -> io:format("none~n") end,
    io:format("then: ~p~n", [inet:getopts(A, [active])]),
    io:format("queued: ~p~n", [element(3, element(2, gen_udp:recv(A, 0, 10000)))]),
    ok = inet:setopts(A, [{active, 2}]),
    [ok = gen_udp:send(B, {127,0,0,1}, PA, [I]) || I <- [7, 8]],
    Got = [receive {udp, A, _, _, X} -> X after 10000 -> none end || _ <- [1, 2]],
    io:format("active 2: ~p ~p~n", [Got, receive {udp_passive, A} -> passive after 10000 -> none end]),
    io:format("eaddrinuse: ~p~n", [gen_udp:open(PA, [{ip, {127,0,0,1}}])]),
    ok = gen_udp:close(A),
    ok = gen_udp:close(B).

addresses() ->
    io:format("~p~n", [[inet:parse_address(S) || S <- ["127.0.0.1", "::1", "fe80::1:2", "1.2.3", "x"]]]),
    io:format("~p~n", [inet:getaddr("localhost", inet)]),
    io:format("~p~n", [inet:getaddr({10,1,2,3}, inet)]),
    io:format("~p~n", [inet:getaddrs("127.0.0.1", inet)]),
    io:format("~p~n", [inet:getaddr("no.such.host.invalid", inet)]),
    {ok, H} = inet:gethostname(),
    {ok, H2} = net_adm_free_hostname(),
    io:format("hostname agrees: ~p~n", [H =:= H2]),
    {ok, Ifs} = inet:getifaddrs(),
    Lo = [Opts || {_, Opts} <- Ifs, lists:member({addr, {127,0,0,1}}, Opts)],
    io:format("loopback: ~p~n", [[{F, lists:member(loopback, F)} || [{flags, F} | _] <- Lo]]),
    io:format("ntoa: ~p ~p~n", [inet:ntoa({127,0,0,1}), inet:ntoa({0,0,0,0,0,0,0,1})]).

%% The host name as the OS reports it, read without the inet driver.
net_adm_free_hostname() ->
    {ok, string:trim(os:cmd("hostname"))}.

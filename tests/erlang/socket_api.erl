%% OTP's `socket` module (over the `prim_socket` NIFs) on 127.0.0.1: a TCP echo, UDP,
%% timeouts, `nowait` with select messages and `cancel`, options, and errors.
-module(socket_api).
-export([main/0]).

-define(LO, #{family => inet, addr => {127,0,0,1}, port => 0}).

main() ->
    registry(),
    tcp_echo(),
    tcp_nowait(),
    tcp_errors(),
    udp(),
    options(),
    owner_exit(),
    inet6(),
    ok.

%% IPv6 on ::1, where the host has it (erl and girder run on the same host).
inet6() ->
    Lo6 = #{family => inet6, addr => {0,0,0,0,0,0,0,1}, port => 0},
    {ok, L} = socket:open(inet6, stream, tcp),
    case socket:bind(L, Lo6) of
        ok ->
            ok = socket:listen(L),
            {ok, #{port := Port, family := F}} = socket:sockname(L),
            {ok, C} = socket:open(inet6, stream),
            ok = socket:connect(C, Lo6#{port => Port}),
            {ok, S} = socket:accept(L, 5000),
            ok = socket:send(C, <<"v6">>),
            {ok, #{addr := PeerAddr}} = socket:peername(S),
            io:format("inet6: ~p ~p ~p~n", [F, socket:recv(S, 2, 5000), PeerAddr]),
            io:format("v6only: ~p~n", [socket:getopt(L, {ipv6, v6only})]),
            [socket:close(X) || X <- [C, S]];
        Error ->
            io:format("no ipv6: ~p~n", [Error])
    end,
    socket:close(L).

%% socket_registry: the sockets it knows and socket monitors (the first socket of the
%% program: the registry must be up before it is used).
registry() ->
    {ok, S} = socket:open(inet, stream),
    M = socket:monitor(S),
    io:format("number_of: ~p~n", [socket:number_of()]),
    io:format("which_sockets: ~p ~p~n", [socket:which_sockets() =:= [S], socket:which_sockets(tcp) =:= [S]]),
    io:format("monitored_by: ~p~n", [length(socket:monitored_by(S))]),
    socket:close(S),
    receive {'DOWN', M, socket, S, R} -> io:format("down: ~p~n", [R]) after 2000 -> io:format("no down~n") end,
    io:format("number_of: ~p~n", [socket:number_of()]),
    M2 = socket:monitor(S),
    receive {'DOWN', M2, socket, S, R2} -> io:format("monitor closed: ~p~n", [R2]) after 2000 -> io:format("no down~n") end,
    {ok, U} = socket:open(inet, dgram),
    M3 = socket:monitor(U),
    io:format("cancel_monitor: ~p ~p~n", [socket:cancel_monitor(M3), socket:cancel_monitor(M3)]),
    socket:close(U),
    io:format("info: ~p~n", [maps:get(num_sockets, maps:get(counters, socket:info()))]).

%% A socket is closed when its controlling process exits.
owner_exit() ->
    Self = self(),
    {P, M} = spawn_monitor(fun() ->
                                   {L, _, _} = listener(),
                                   Self ! {sock, L},
                                   receive stop -> ok end
                           end),
    L = receive {sock, S} -> S end,
    io:format("owner alive: ~p~n", [element(1, socket:sockname(L))]),
    P ! stop,
    receive {'DOWN', M, process, P, normal} -> ok end,
    io:format("owner gone: ~p~n", [closed_soon(L, 100)]),
    {ok, D} = socket:open(inet, stream),
    Q = spawn(fun() -> receive {go, From} -> From ! {Self, socket:setopt(D, {otp, controlling_process}, Self)} end end),
    Q ! {go, Self},
    receive {Self, R} -> io:format("not owner: ~p~n", [R]) end,
    socket:close(D).

closed_soon(S, 0) -> socket:sockname(S);
closed_soon(S, N) ->
    case socket:sockname(S) of
        {error, closed} = E -> E;
        _ -> timer:sleep(10), closed_soon(S, N - 1)
    end.

listener() ->
    {ok, L} = socket:open(inet, stream, tcp),
    ok = socket:setopt(L, {socket, reuseaddr}, true),
    ok = socket:bind(L, ?LO),
    ok = socket:listen(L),
    {ok, #{port := Port} = Addr} = socket:sockname(L),
    {L, Port, Addr}.

tcp_echo() ->
    {L, Port, Addr} = listener(),
    io:format("listen addr: ~p ~p~n", [maps:get(family, Addr), maps:get(addr, Addr)]),
    Self = self(),
    Server = spawn(fun() ->
                           {ok, S} = socket:accept(L, 5000),
                           echo(S),
                           Self ! {server, done}
                   end),
    {ok, C} = socket:open(inet, stream),
    ok = socket:connect(C, ?LO#{port => Port}),
    {ok, Peer} = socket:peername(C),
    io:format("peer: ~p~n", [Peer =:= ?LO#{port => Port}]),
    ok = socket:send(C, <<"hello">>),
    io:format("recv 5: ~p~n", [socket:recv(C, 5, 5000)]),
    ok = socket:send(C, [<<"io">>, "list", [$!]]),
    io:format("recv 7: ~p~n", [socket:recv(C, 7, 5000)]),
    Big = binary:copy(<<"0123456789">>, 100000),
    ok = socket:send(C, Big),
    io:format("big: ~p~n", [recv_all(C, byte_size(Big), <<>>) =:= Big]),
    io:format("recv timeout: ~p~n", [socket:recv(C, 0, 100)]),
    io:format("recv zero timeout: ~p~n", [socket:recv(C, 0, 0)]),
    ok = socket:shutdown(C, write),
    io:format("after shutdown: ~p~n", [socket:recv(C, 0, 5000)]),
    receive {server, done} -> ok end,
    io:format("closed: ~p~n", [socket:close(C)]),
    io:format("close again: ~p~n", [socket:close(C)]),
    io:format("send closed: ~p~n", [socket:send(C, <<"x">>)]),
    io:format("recv closed: ~p~n", [socket:recv(C, 0, 100)]),
    ok = socket:close(L),
    Server =/= self().

echo(S) ->
    case socket:recv(S, 0, 5000) of
        {ok, Data} ->
            ok = socket:send(S, Data),
            echo(S);
        {error, closed} ->
            socket:close(S)
    end.

recv_all(_S, 0, Acc) -> Acc;
recv_all(S, N, Acc) ->
    {ok, B} = socket:recv(S, 0, 5000),
    recv_all(S, N - byte_size(B), <<Acc/binary, B/binary>>).

tcp_nowait() ->
    {L, Port, _} = listener(),
    {select, {select_info, accept, Ref} = SI} = socket:accept(L, nowait),
    io:format("accept nowait: ~p~n", [is_reference(Ref)]),
    {ok, C} = socket:open(inet, stream, tcp),
    ok = socket:connect(C, ?LO#{port => Port}),
    receive {'$socket', L, select, Ref} -> io:format("select message~n")
    after 5000 -> io:format("no select~n")
    end,
    {ok, S} = socket:accept(L, nowait),
    {select, {select_info, recv, R2} = SI2} = socket:recv(S, 0, nowait),
    io:format("cancel: ~p~n", [socket:cancel(S, SI2)]),
    {error, {invalid, SI2}} = socket:cancel(S, SI2),
    io:format("cancel again: invalid~n"),
    {select, {select_info, recv, R3}} = socket:recv(S, 4, nowait),
    ok = socket:send(C, <<"ab">>),
    receive {'$socket', S, select, R3} -> ok end,
    {select, {{select_info, recv, _}, Part}} = socket:recv(S, 4, nowait),
    io:format("partial: ~p~n", [Part]),
    ok = socket:send(C, <<"cd">>),
    io:format("rest: ~p~n", [socket:recv(S, 2, 5000)]),
    io:format("same refs: ~p~n", [R2 =/= R3]),
    %% A select handle chosen by the caller.
    H = make_ref(),
    {select, {select_info, recv, H}} = socket:recv(S, 0, H),
    ok = socket:send(C, <<"x">>),
    receive {'$socket', S, select, H} -> io:format("own handle: ~p~n", [socket:recv(S, 0, H)]) end,
    %% A pending recv is aborted when the socket is closed.
    Self = self(),
    P = spawn(fun() -> Self ! {recv, socket:recv(S, 0, infinity)} end),
    timer:sleep(50),
    ok = socket:close(S),
    receive {recv, R} -> io:format("recv on close: ~p~n", [R]) after 5000 -> io:format("stuck~n") end,
    [socket:close(X) || X <- [C, L]],
    io:format("cancel on closed: ~p~n", [socket:cancel(L, SI)]),
    P =/= self().

tcp_errors() ->
    {L, Port, _} = listener(),
    ok = socket:close(L),
    {ok, C} = socket:open(inet, stream, tcp),
    io:format("refused: ~p~n", [socket:connect(C, ?LO#{port => Port}, 5000)]),
    socket:close(C),
    {L2, _, _} = listener(),
    io:format("accept timeout: ~p~n", [socket:accept(L2, 50)]),
    io:format("accept zero: ~p~n", [socket:accept(L2, 0)]),
    {ok, #{port := P2}} = socket:sockname(L2),
    {ok, B} = socket:open(inet, stream, tcp),
    io:format("in use: ~p~n", [socket:bind(B, ?LO#{port => P2})]),
    io:format("bind twice: ~p~n", [socket:bind(L2, ?LO)]),
    io:format("peername unconnected: ~p~n", [socket:peername(B)]),
    io:format("recv unconnected: ~p~n", [socket:recv(B, 0, 100)]),
    io:format("listen dgram: ~p~n", [begin {ok, U} = socket:open(inet, dgram), R = socket:listen(U), socket:close(U), R end]),
    io:format("bad domain: ~p~n", [catch socket:open(foo, stream)]),
    io:format("bad type: ~p~n", [catch socket:open(inet, foo)]),
    io:format("bad timeout: ~p~n", [catch socket:recv(B, 0, -1)]),
    io:format("badarg: ~p~n", [catch socket:recv(foo, 0)]),
    [socket:close(X) || X <- [B, L2]],
    io:format("sockname closed: ~p~n", [socket:sockname(B)]).

udp() ->
    {ok, U1} = socket:open(inet, dgram, udp),
    {ok, U2} = socket:open(inet, dgram),
    ok = socket:bind(U1, ?LO),
    ok = socket:bind(U2, ?LO),
    {ok, A1} = socket:sockname(U1),
    {ok, A2} = socket:sockname(U2),
    ok = socket:sendto(U1, <<"ping">>, A2),
    {ok, {From, Data}} = socket:recvfrom(U2, 0, 5000),
    io:format("udp: ~p ~p~n", [Data, From =:= A1]),
    ok = socket:sendto(U2, [<<"po">>, "ng"], From),
    io:format("udp back: ~p~n", [element(2, element(2, socket:recvfrom(U1, 0, 5000)))]),
    io:format("udp timeout: ~p~n", [socket:recvfrom(U1, 0, 50)]),
    {select, {select_info, recvfrom, H}} = socket:recvfrom(U1, 0, nowait),
    ok = socket:sendto(U2, <<"late">>, A1),
    receive {'$socket', U1, select, H} -> io:format("udp select: ~p~n", [element(2, element(2, socket:recvfrom(U1, 0, nowait)))]) end,
    ok = socket:connect(U1, A2),
    ok = socket:send(U1, <<"connected">>),
    io:format("connected udp: ~p~n", [element(2, element(2, socket:recvfrom(U2, 0, 5000)))]),
    [socket:close(X) || X <- [U1, U2]],
    ok.

options() ->
    {ok, S} = socket:open(inet, stream, tcp),
    io:format("reuseaddr: ~p~n", [socket:getopt(S, {socket, reuseaddr})]),
    ok = socket:setopt(S, {socket, reuseaddr}, true),
    io:format("reuseaddr: ~p~n", [socket:getopt(S, {socket, reuseaddr})]),
    io:format("nodelay: ~p~n", [socket:getopt(S, {tcp, nodelay})]),
    ok = socket:setopt(S, {tcp, nodelay}, true),
    io:format("nodelay: ~p~n", [socket:getopt(S, {tcp, nodelay})]),
    ok = socket:setopt(S, {socket, keepalive}, true),
    io:format("keepalive: ~p~n", [socket:getopt(S, {socket, keepalive})]),
    ok = socket:setopt(S, {socket, rcvbuf}, 65536),
    {ok, RB} = socket:getopt(S, {socket, rcvbuf}),
    io:format("rcvbuf: ~p~n", [RB >= 65536]),
    io:format("type: ~p~n", [[socket:getopt(S, {socket, O}) || O <- [type, domain, protocol]]]),
    io:format("otp rcvbuf: ~p~n", [socket:getopt(S, {otp, rcvbuf})]),
    ok = socket:setopt(S, {otp, rcvbuf}, 4096),
    io:format("otp rcvbuf: ~p~n", [socket:getopt(S, {otp, rcvbuf})]),
    io:format("iow: ~p~n", [socket:getopt(S, {otp, iow})]),
    ok = socket:setopt(S, {otp, iow}, true),
    io:format("iow: ~p~n", [socket:getopt(S, {otp, iow})]),
    io:format("meta: ~p~n", [socket:getopt(S, {otp, meta})]),
    ok = socket:setopt(S, {otp, meta}, {some, term}),
    io:format("meta: ~p~n", [socket:getopt(S, {otp, meta})]),
    io:format("otp domain: ~p~n", [socket:getopt(S, {otp, domain})]),
    io:format("bad value: ~p~n", [socket:setopt(S, {socket, reuseaddr}, 7)]),
    io:format("bad option: ~p~n", [socket:setopt(S, {socket, nosuch}, 1)]),
    io:format("bad level: ~p~n", [socket:getopt(S, {nosuch, nodelay})]),
    io:format("linger: ~p~n", [socket:getopt(S, {socket, linger})]),
    ok = socket:setopt(S, {socket, linger}, #{onoff => true, linger => 2}),
    io:format("linger: ~p~n", [socket:getopt(S, {socket, linger})]),
    Self = self(),
    io:format("controlling: ~p~n", [socket:getopt(S, {otp, controlling_process}) =:= {ok, Self}]),
    Info = socket:info(S),
    io:format("info: ~p~n", [maps:with([domain, type, protocol, ctype, num_readers,
                                        num_writers, num_acceptors], Info)]),
    socket:close(S),
    io:format("getopt closed: ~p~n", [socket:getopt(S, {socket, reuseaddr})]),
    io:format("setopt closed: ~p~n", [socket:setopt(S, {socket, reuseaddr}, true)]).

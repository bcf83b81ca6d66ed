%% gen_tcp with {packet, http | http_bin} (passive and active, start lines, headers with
%% continuation lines, the end of the headers, errors), then raw for the body; asn1, tpkt.
-module(gen_tcp_http).
-export([main/0]).
main() ->
    [run(P, A) || P <- [http, http_bin], A <- [false, true]],
    other(),
    ok.

pair(Opts) ->
    {ok, L} = gen_tcp:listen(0, [{ip, loopback} | Opts]),
    {ok, Port} = inet:port(L),
    {ok, C} = gen_tcp:connect({127,0,0,1}, Port, [binary, {active, false}]),
    {ok, S} = gen_tcp:accept(L, 10000),
    gen_tcp:close(L),
    {C, S}.

run(Packet, Active) ->
    {C, S} = pair([binary, {packet, Packet}, {active, false}]),
    ok = gen_tcp:send(C, <<"GET /index.html?x=1 HTTP/1.1\r\nHost: example.com\r\n"
                           "X-Custom-Thing: a\r\n b\r\nContent-Length: 4\r\n\r\nbody">>),
    Got = case Active of
              false -> [gen_tcp:recv(S, 0, 10000) || _ <- [1, 2, 3, 4, 5]];
              true -> ok = inet:setopts(S, [{active, 5}]),
                      [receive M -> setelement(2, M, sock) after 10000 -> none end || _ <- [1,2,3,4,5,6]]
          end,
    io:format("~p ~p:~n~p~n", [Packet, Active, Got]),
    ok = inet:setopts(S, [{packet, raw}, {active, false}]),
    io:format("body: ~p~n", [gen_tcp:recv(S, 4, 10000)]),
    ok = inet:setopts(S, [{packet, http}]),
    ok = gen_tcp:send(C, <<"HTTP/1.0 404 Not Found\r\nbad header line\r\n">>),
    io:format("~p~n", [[gen_tcp:recv(S, 0, 10000), gen_tcp:recv(S, 0, 1000)]]),
    gen_tcp:close(C), gen_tcp:close(S).

other() ->
    {C, S} = pair([binary, {packet, asn1}, {active, false}]),
    ok = gen_tcp:send(C, <<16#30, 3, 1, 2, 3, 16#30, 1>>),
    io:format("asn1: ~p~n", [gen_tcp:recv(S, 0, 10000)]),
    ok = gen_tcp:send(C, <<9>>),
    io:format("asn1: ~p~n", [gen_tcp:recv(S, 0, 10000)]),
    ok = inet:setopts(S, [{packet, tpkt}]),
    ok = gen_tcp:send(C, <<3, 0, 0, 6, 7, 8>>),
    io:format("tpkt: ~p~n", [gen_tcp:recv(S, 0, 10000)]),
    gen_tcp:close(C), gen_tcp:close(S).

%% Loopback TCP: N clients connect at once to one listener on 127.0.0.1 and each makes R
%% round trips of a 64-byte message with its own echo process (gen_tcp, passive
%% sockets); the checksum is the number of bytes echoed. Full size: 5000 connections (10
%% 000 sockets in the VM, half the descriptors a process may have on the machine these
%% figures come from).
-module(tcp_echo).
-export([main/0, main/1]).

main() -> main([full]).

main([Size]) ->
    bench_harness:measure(tcp_echo, fun(S) -> run(params(S)) end, Size).

params(quick) -> {100, 10};
params(full) -> {5000, 20}.

-define(MSG, <<"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef">>).

run({N, R}) ->
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}, {ip, {127,0,0,1}},
                                 {reuseaddr, true}, {backlog, 4096}]),
    {ok, Port} = inet:port(L),
    Self = self(),
    Acceptor = spawn_link(fun() -> accept(L, N) end),
    _ = [spawn_link(fun() -> Self ! {done, client(Port, R)} end) || _ <- lists:seq(1, N)],
    Total = collect(N, 0),
    unlink(Acceptor),
    ok = gen_tcp:close(L),
    Total.

accept(_L, 0) -> ok;
accept(L, N) ->
    {ok, S} = gen_tcp:accept(L, 30000),
    P = spawn(fun() -> receive go -> echo(S) end end),
    ok = gen_tcp:controlling_process(S, P),
    P ! go,
    accept(L, N - 1).

echo(S) ->
    case gen_tcp:recv(S, byte_size(?MSG), 30000) of
        {ok, B} -> ok = gen_tcp:send(S, B), echo(S);
        {error, closed} -> gen_tcp:close(S)
    end.

client(Port, R) ->
    {ok, S} = gen_tcp:connect({127,0,0,1}, Port, [binary, {active, false}, {nodelay, true}], 30000),
    Bytes = round_trips(S, R, 0),
    ok = gen_tcp:close(S),
    Bytes.

round_trips(_S, 0, Acc) -> Acc;
round_trips(S, R, Acc) ->
    ok = gen_tcp:send(S, ?MSG),
    {ok, B} = gen_tcp:recv(S, byte_size(?MSG), 30000),
    round_trips(S, R - 1, Acc + byte_size(B)).

collect(0, Acc) -> Acc;
collect(N, Acc) ->
    receive {done, B} -> collect(N - 1, Acc + B) end.

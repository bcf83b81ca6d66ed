%% Processes and messages: spawn, send, receive (selective, with guards,
%% after 0, after N), links and trapped exits, monitors. No pid or ref is
%% ever printed, only data and exit reasons.
-module(messages).
-export([main/0, echo_loop/0]).

main() ->
    Self = self(),
    Echo = spawn(?MODULE, echo_loop, []),
    Echo ! {Self, hello},
    receive {Echo, R1} -> io:format("echo ~p~n", [R1]) end,
    Echo ! {Self, [1, 2, 3]},
    receive {Echo, R2} -> io:format("echo list ~p~n", [R2]) end,
    self() ! first,
    self() ! second,
    self() ! {third, 3},
    receive {third, N} -> io:format("selective ~p~n", [N]) end,
    io:format("mailbox order ~p~n", [drain([])]),
    io:format("after 0 ~p~n", [receive _ -> got after 0 -> empty end]),
    io:format("after 10 ~p~n", [receive _ -> got after 10 -> timed_out end]),
    [self() ! I || I <- [5, 1, 4, 2, 3]],
    io:format("guarded receive ~p~n", [take_small([])]),
    io:format("rest ~p~n", [drain([])]),
    Parent = self(),
    Workers = [spawn(fun() -> Parent ! {result, I, I * I} end) || I <- lists:seq(1, 5)],
    io:format("workers ~p~n", [[receive {result, I, Sq} -> Sq end || I <- lists:seq(1, length(Workers))]]),
    {Pid, Ref} = spawn_monitor(fun() -> exit(custom_reason) end),
    receive {'DOWN', Ref, process, Pid, Why} -> io:format("monitor ~p~n", [Why]) end,
    {Pid2, Ref2} = spawn_monitor(fun() -> exit({boom, []}) end),
    receive {'DOWN', Ref2, process, Pid2, {Why2, _}} -> io:format("monitor error ~p~n", [Why2]) end,
    {Pid3, Ref3} = spawn_monitor(fun() -> ok end),
    receive {'DOWN', Ref3, process, Pid3, Why3} -> io:format("monitor normal ~p~n", [Why3]) end,
    process_flag(trap_exit, true),
    Linked = spawn_link(fun() -> exit(linked_reason) end),
    receive {'EXIT', Linked, Why4} -> io:format("trapped exit ~p~n", [Why4]) end,
    Mon = monitor(process, Echo),
    Echo ! stop,
    receive {'DOWN', Mon, process, Echo, Why5} -> io:format("echo stopped ~p~n", [Why5]) end,
    io:format("is_process_alive ~p~n", [is_process_alive(Echo)]),
    io:format("ring ~p~n", [ring(100, token)]),
    Counter = spawn(fun() -> counter(0) end),
    [Counter ! incr || _ <- lists:seq(1, 1000)],
    Counter ! {get, self()},
    receive {count, C} -> io:format("counter ~p~n", [C]) end,
    io:format("register ~p~n", [reg()]),
    ok.

echo_loop() ->
    receive
        {From, Msg} -> From ! {self(), Msg}, echo_loop();
        stop -> ok
    end.

drain(Acc) ->
    receive M -> drain([M | Acc]) after 0 -> lists:reverse(Acc) end.

take_small(Acc) ->
    receive I when I < 3 -> take_small([I | Acc]) after 0 -> lists:reverse(Acc) end.

ring(N, Token) ->
    Self = self(),
    First = lists:foldl(fun(_, Next) -> spawn(fun() -> relay(Next) end) end, Self, lists:seq(1, N)),
    First ! {Token, 0},
    receive {Token, Hops} -> Hops end.

relay(Next) ->
    receive {T, Hops} -> Next ! {T, Hops + 1} end.

counter(N) ->
    receive
        incr -> counter(N + 1);
        {get, From} -> From ! {count, N}
    end.

reg() ->
    Self = self(),
    P = spawn(fun() -> receive {ping, From} -> From ! pong end end),
    true = register(messages_test_name, P),
    messages_test_name ! {ping, Self},
    R = receive pong -> pong end,
    {R, whereis(no_such_registered_name)}.

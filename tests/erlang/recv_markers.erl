%% Receive markers (OTP 24+): a receive for a fresh reference skips the messages queued
%% before the reference was made, yet sees every later message, in order; markers survive
%% other receives that take messages out before them, nested calls, timeouts and
%% demonitor(R, [flush]).
-module(recv_markers).
-export([main/0]).

main() ->
    Server = spawn(fun server/0),
    %% Unrelated messages queued before each call stay, in order.
    [self() ! {junk, I} || I <- lists:seq(1, 5)],
    show(call1, call(Server, {echo, a})),
    %% The reply has the same shape as a queued message with another reference.
    Old = make_ref(),
    self() ! {Old, stale},
    show(call2, call(Server, {echo, b})),
    show(old_still_there, receive {Old, X} -> X after 0 -> none end),
    %% A receive with the marker in use that waits, then sees a later message.
    show(delayed, call(Server, {delay, 20, c})),
    %% Several replies: the first matching one after the marker comes first.
    show(multi, multi_call(Server)),
    %% A nested call between reserve and use (the marker moves back when an earlier
    %% message is taken out).
    show(nested, nested(Server)),
    %% A timeout with the marker in use, then the late reply is still received.
    show(timeout, timeout_call(Server)),
    %% demonitor with flush takes messages out from before a marker.
    show(flush, flush_case(Server)),
    %% A reply for a reference sent before a marker was reserved for another one.
    show(crossed, crossed(Server)),
    %% gen_server-style calls from a process with a long queue.
    [self() ! {junk2, I} || I <- lists:seq(1, 2000)],
    show(many_calls, lists:sum([call(Server, {echo, I}) || I <- lists:seq(1, 200)])),
    show(queue, length(flush_all())),
    Server ! stop,
    ok.

call(Server, Msg) ->
    Ref = make_ref(),
    Server ! {self(), Ref, Msg},
    receive {Ref, Reply} -> Reply after 5000 -> timeout end.

multi_call(Server) ->
    Ref = make_ref(),
    Server ! {self(), Ref, {twice, x}},
    R1 = receive {Ref, A} -> A end,
    R2 = receive {Ref, B} -> B end,
    {R1, R2}.

nested(Server) ->
    Ref = make_ref(),
    Server ! {self(), Ref, {delay, 10, outer}},
    %% Take out a message queued before the outer reference's marker.
    J = receive {junk, N} -> N end,
    Inner = call(Server, {echo, inner}),
    Outer = receive {Ref, R} -> R end,
    {J, Inner, Outer}.

timeout_call(Server) ->
    Ref = make_ref(),
    Server ! {self(), Ref, {delay, 50, late}},
    First = receive {Ref, R} -> R after 5 -> timed_out end,
    Second = receive {Ref, R2} -> R2 end,
    {First, Second}.

flush_case(Server) ->
    P = spawn(fun() -> ok end),
    M = monitor(process, P),
    receive after 20 -> ok end,
    Ref = make_ref(),
    Server ! {self(), Ref, {echo, after_flush}},
    %% The reply is queued behind the 'DOWN' message that the flush takes out.
    receive after 20 -> ok end,
    demonitor(M, [flush]),
    receive {Ref, R} -> R end.

crossed(Server) ->
    Ref1 = make_ref(),
    Server ! {self(), Ref1, {echo, first}},
    receive after 20 -> ok end,
    Ref2 = make_ref(),
    Server ! {self(), Ref2, {echo, second}},
    B = receive {Ref2, Y} -> Y end,
    A = receive {Ref1, X} -> X end,
    {A, B}.

flush_all() ->
    receive M -> [M | flush_all()] after 0 -> [] end.

server() ->
    receive
        {From, Ref, {echo, X}} -> From ! {Ref, X}, server();
        {From, Ref, {twice, X}} -> From ! {Ref, {1, X}}, From ! {Ref, {2, X}}, server();
        {From, Ref, {delay, Ms, X}} ->
            receive after Ms -> ok end,
            From ! {Ref, X},
            server();
        stop -> ok
    end.

show(Tag, T) -> io:format("~p: ~p~n", [Tag, T]).

%% More erlang BIFs: conversions, tuple editing, checksums, identifiers as text, calendar
%% time shapes, unique integers.
-module(more_bifs).
-export([main/0]).

main() ->
    io:format("~p~n", [[binary_to_integer(<<"-123">>), binary_to_integer(<<"ff">>, 16),
                        binary_to_integer(<<"zz">>, 36), try binary_to_integer(id(<<"1.0">>)) catch error:R1 -> R1 end]]),
    io:format("~p~n", [[integer_to_binary(255, 16), integer_to_binary(-35, 36), integer_to_binary(1 bsl 40, 2)]]),
    io:format("~w~n", [bitstring_to_list(<<1, 2, 3:4>>)]),
    io:format("~w~n", [list_to_bitstring([1, <<2:3>>, [<<1:5>>, 7]])]),
    io:format("~p~n", [{erlang:insert_element(2, {a, c}, b), erlang:delete_element(1, {a, b}), try erlang:insert_element(4, {a, b}, c) catch error:R2 -> R2 end}]),
    io:format("~p~n", [{erlang:crc32(<<"hello">>), erlang:crc32([<<"hel">>, "lo"]),
                        erlang:crc32(erlang:crc32(<<"hel">>), <<"lo">>)}]),
    io:format("~p~n", [{erlang:adler32(<<"hello">>), erlang:adler32(erlang:adler32(<<"he">>), "llo")}]),
    io:format("~p~n", [{erlang:fun_to_list(fun lists:map/2), pid_to_list(list_to_pid("<0.42.0>"))}]),
    _ = lists:map(fun(X) -> X end, []),
    io:format("~p~n", [[erlang:function_exported(lists, map, 2), erlang:function_exported(lists, nope, 1),
                        erlang:function_exported(erlang, element, 2)]]),
    {{Y, Mo, D}, {H, Mi, S}} = erlang:universaltime(),
    io:format("~p~n", [[is_integer(X) || X <- [Y, Mo, D, H, Mi, S]]]),
    {Mega, Sec, Micro} = os:timestamp(),
    io:format("~p~n", [is_integer(Mega + Sec + Micro)]),
    U1 = erlang:unique_integer([positive, monotonic]),
    U2 = erlang:unique_integer([positive, monotonic]),
    io:format("~p~n", [{U2 > U1, U1 > 0}]),
    io:format("~p~n", [{erlang:append([1, 2], [3]), erlang:subtract([1, 2, 1], [1])}]),
    {W, _} = statistics(wall_clock),
    {R, _} = statistics(runtime),
    io:format("~p~n", [{is_integer(W), is_integer(R), W >= 0, R >= 0, is_integer(statistics(run_queue))}]),
    %% The system task under garbage_collect/2: ok, then the answer.
    GcRef = make_ref(),
    GcDead = spawn(fun() -> ok end),
    GcMon = monitor(process, GcDead),
    receive {'DOWN', GcMon, _, _, _} -> ok end,
    io:format("~p~n", [[erts_internal:request_system_task(self(), normal, {garbage_collect, GcRef, major}),
                        receive {garbage_collect, GcRef, A1} -> A1 end,
                        erts_internal:request_system_task(GcDead, normal, {garbage_collect, GcRef, minor}),
                        receive {garbage_collect, GcRef, A2} -> A2 end,
                        garbage_collect(GcDead, [{async, x}]),
                        receive {garbage_collect, x, A3} -> A3 end]]),
    %% A stub erts has no C function for either: its Erlang body runs.
    io:format("~p~n", [try erlang:garbage_collect_message_area()
                       catch C:E:St -> {C, E, [{M, F} || {M, F, _, _} <- lists:sublist(St, 2)]} end]),
    ok.

id(X) -> X.

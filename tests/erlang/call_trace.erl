-module(call_trace).
-export([main/0, double/1, add/2, fact/1, boom/1, worker/1, collector/1]).

%% Call tracing with erlang:trace/3 and erlang:trace_pattern/3: global
%% patterns (fully qualified calls traced, local calls not), match
%% specifications on the arguments, timestamps, another process as the
%% tracer, trace_info/2, and turning it all off.

double(X) -> 2 * X.

add(X, Y) -> X + Y.

boom(X) when X > 0 -> erlang:error({boom, X});
boom(X) -> X.

fact(0) -> 1;
fact(N) -> N * ?MODULE:fact(N - 1).

%% Runs the calls it is sent, then reports.
worker(Parent) ->
    receive
        {run, F} ->
            F(),
            Parent ! {self(), done},
            worker(Parent);
        stop ->
            ok
    end.

collector(Acc) ->
    receive
        {get, From} -> From ! {collected, lists:reverse(Acc)}, collector([]);
        Msg -> collector([Msg | Acc])
    end.

run(W, F) ->
    W ! {run, F},
    receive {W, done} -> ok after 5000 -> timeout end.

%% Every message in the queue now, pids shown as who they are.
drain(W) ->
    receive
        Msg -> [show(Msg, W) | drain(W)]
    after 0 -> []
    end.

show({trace_ts, P, What, MFA, {A, B, C}}, W)
  when is_integer(A), is_integer(B), is_integer(C) ->
    {trace_ts, who(P, W), What, MFA, timestamp};
show({trace, P, Send, Msg, To}, W)
  when Send =:= send; Send =:= send_to_non_existing_process ->
    {trace, who(P, W), Send, plain(Msg, W), who(To, W)};
show({trace, P, 'receive', Msg}, W) -> {trace, who(P, W), 'receive', plain(Msg, W)};
show(T, W) when element(1, T) =:= trace -> setelement(2, T, who(element(2, T), W));
show(Other, _) -> Other.

error_info([{_, _, _, Info} | _]) -> proplists:get_value(error_info, Info).

plain({W, done}, W) -> {worker, done};
plain({run, F}, _) when is_function(F) -> run;
plain(Msg, _) -> Msg.

who(A, _) when is_atom(A) -> A;
who(W, W) -> worker;
who(P, _) when P =:= self() -> self;
who(_, _) -> other.

out(Label, V) ->
    io:format("~s: ~p~n", [Label, V]).

main() ->
    W = spawn(?MODULE, worker, [self()]),
    out("trace", erlang:trace(W, true, [call])),
    out("flags", erlang:trace_info(W, flags)),
    out("tracer", element(2, erlang:trace_info(W, tracer)) =:= self()),
    out("pattern double", erlang:trace_pattern({?MODULE, double, 1}, true, [global])),
    out("traced", erlang:trace_info({?MODULE, double, 1}, traced)),
    %% A false takes away only a pattern of its own kind.
    out("local kept", erlang:trace_info({?MODULE, add, 2}, traced)),
    out("off local", erlang:trace_pattern({?MODULE, add, 2}, false, [local])),
    out("traced", erlang:trace_info({?MODULE, add, 2}, traced)),
    erlang:trace_pattern({?MODULE, boom, 1}, true, [global]),
    out("off local of global", erlang:trace_pattern({?MODULE, boom, 1}, false, [local])),
    out("global kept", erlang:trace_info({?MODULE, boom, 1}, traced)),
    erlang:trace_pattern({?MODULE, boom, 1}, true, [local]),
    erlang:trace_pattern({?MODULE, boom, 1}, true, [global]),
    out("global over local", erlang:trace_info({?MODULE, boom, 1}, traced)),
    erlang:trace_pattern({?MODULE, boom, 1}, false, [global]),
    out("traced", erlang:trace_info({?MODULE, boom, 1}, traced)),
    out("match_spec", erlang:trace_info({?MODULE, double, 1}, match_spec)),
    out("not traced", erlang:trace_info({?MODULE, add, 2}, traced)),
    ok = run(W, fun() -> ?MODULE:double(1), double(2), ?MODULE:double(3) end),
    out("calls", drain(W)),

    MS = [{['$1', '_'], [{'>', '$1', 10}], [true]}],
    out("pattern add", erlang:trace_pattern({?MODULE, add, 2}, MS, [global])),
    out("match_spec", erlang:trace_info({?MODULE, add, 2}, match_spec)),
    ok = run(W, fun() -> [?MODULE:add(X, 1) || X <- [1, 11, 5, 20]] end),
    out("filtered", drain(W)),

    out("all of module", erlang:trace_pattern({?MODULE, '_', '_'}, true, [])),
    ok = run(W, fun() -> ?MODULE:add(1, 2), lists:reverse([1, 2]) end),
    out("module", drain(W)),

    out("return trace", erlang:trace_pattern({?MODULE, fact, 1},
                                              [{'_', [], [{return_trace}]}], [global])),
    ok = run(W, fun() -> ?MODULE:fact(3) end),
    out("returns", drain(W)),
    out("message", erlang:trace_pattern({?MODULE, double, 1},
                                         [{['$1'], [], [{message, {{arg, '$1'}}}]}], [global])),
    ok = run(W, fun() -> ?MODULE:double(6) end),
    out("with message", drain(W)),
    out("no message", erlang:trace_pattern({?MODULE, double, 1},
                                            [{'_', [], [{message, false}, {return_trace}]}],
                                            [global])),
    ok = run(W, fun() -> ?MODULE:double(7) end),
    out("return only", drain(W)),
    out("match_spec", erlang:trace_info({?MODULE, double, 1}, match_spec)),
    out("exception trace", erlang:trace_pattern({?MODULE, boom, 1},
                                                 [{'_', [], [{exception_trace}]}], [global])),
    ok = run(W, fun() -> catch ?MODULE:boom(1), ?MODULE:boom(0) end),
    out("exceptions", drain(W)),
    %% The traced call's stack trace shows no frame of the tracing machinery.
    Main = self(),
    ok = run(W, fun() -> try ?MODULE:boom(2)
                         catch error:_:St -> Main ! {stack, [{M, F, A} || {M, F, A, _} <- St]}
                         end end),
    out("stack under exception_trace", drain(W)),
    out("return trace", erlang:trace_pattern({?MODULE, boom, 1}, [{'_', [], [{return_trace}]}], [global])),
    ok = run(W, fun() -> try ?MODULE:boom(3)
                         catch error:_:St -> Main ! {stack, [{M, F, A} || {M, F, A, _} <- St]}
                         end end),
    out("stack under return_trace", drain(W)),
    out("local", erlang:trace_pattern({?MODULE, add, 2}, true, [local])),
    out("traced", erlang:trace_info({?MODULE, add, 2}, traced)),
    out("off module", erlang:trace_pattern({?MODULE, '_', '_'}, false, [])),
    out("traced", erlang:trace_info({?MODULE, double, 1}, traced)),
    out("pattern lists", erlang:trace_pattern({lists, reverse, 1}, true, [global])),
    ok = run(W, fun() -> lists:reverse([a, b]), ?MODULE:double(4) end),
    out("lists", drain(W)),

    out("timestamps", erlang:trace(W, true, [timestamp])),
    out("flags", erlang:trace_info(W, flags)),
    ok = run(W, fun() -> lists:reverse([c]) end),
    out("with timestamps", drain(W)),

    C = spawn(?MODULE, collector, [[]]),
    out("retrace", erlang:trace(W, false, [call, timestamp])),
    out("to collector", erlang:trace(W, true, [call, {tracer, C}])),
    out("tracer", element(2, erlang:trace_info(W, tracer)) =:= C),
    ok = run(W, fun() -> lists:reverse([d]) end),
    C ! {get, self()},
    receive
        {collected, Got} -> out("collected", [show(M, W) || M <- Got])
    after 5000 -> out("collected", timeout)
    end,
    out("here", drain(W)),

    out("untrace", erlang:trace(W, false, [call])),
    out("flags", erlang:trace_info(W, flags)),
    out("tracer", erlang:trace_info(W, tracer)),
    ok = run(W, fun() -> lists:reverse([e]) end),
    out("none", drain(W)),
    out("off lists", erlang:trace_pattern({lists, reverse, 1}, false, [])),

    register(call_trace_main, self()),
    out("send", erlang:trace(W, true, [send])),
    out("flags", erlang:trace_info(W, flags)),
    ok = run(W, fun() ->
                        call_trace_main ! hi,
                        self() ! me,
                        receive me -> ok end,
                        erlang:send(call_trace_main, via_bif),
                        list_to_pid("<0.9999.0>") ! lost
                end),
    out("sends", drain(W)),
    out("send off", erlang:trace(W, false, [send])),
    ok = run(W, fun() -> call_trace_main ! quiet end),
    out("no sends", drain(W)),

    %% What the worker receives, traced to the collector.
    out("receive", erlang:trace(W, true, ['receive', {tracer, C}])),
    out("flags", erlang:trace_info(W, flags)),
    ok = run(W, fun() -> self() ! me, receive me -> ok end end),
    C ! {get, self()},
    receive
        {collected, Got2} -> out("received", [show(M, W) || M <- Got2])
    after 5000 -> out("received", timeout)
    end,
    out("receive off", erlang:trace(W, false, ['receive'])),

    %% Processes the worker spawns inherit its flags and tracer; so do new
    %% processes after trace(new, ...).
    out("pattern lists", erlang:trace_pattern({lists, reverse, 1}, true, [global])),
    out("set_on_spawn", erlang:trace(W, true, [call, set_on_spawn, {tracer, C}])),
    out("flags", erlang:trace_info(W, flags)),
    ok = run(W, fun() ->
                        Me = self(),
                        spawn(fun() -> lists:reverse([child]), Me ! child_done end),
                        receive child_done -> ok end
                end),
    out("spawn off", erlang:trace(W, false, [call, set_on_spawn])),
    Main = self(),
    out("new", erlang:trace(new, true, [call, {tracer, C}])),
    spawn(fun() -> lists:reverse([fresh]), Main ! fresh_done end),
    receive fresh_done -> ok end,
    out("new off", erlang:trace(new, false, [call])),
    out("new flags", erlang:trace_info(new, flags)),
    C ! {get, self()},
    receive
        {collected, Got3} -> out("spawned", [show(M, W) || M <- Got3])
    after 5000 -> out("spawned", timeout)
    end,
    out("off lists", erlang:trace_pattern({lists, reverse, 1}, false, [])),

    out("bad pattern", try erlang:trace_pattern({?MODULE, double, 1}, [bad], [])
                       catch error:R1:S1 -> {R1, error_info(S1)} end),
    out("bad message", try erlang:trace_pattern({?MODULE, double, 1},
                                                [{'_', [], [{message, {arg, 1}}]}], [])
                       catch error:R3:S3 -> {R3, error_info(S3)} end),
    out("bad mfa", try erlang:trace_pattern({?MODULE, '_', 1}, true, [])
                   catch error:R2 -> R2 end),
    out("test_ms", ets:test_ms({a, 1}, [{{a, '$1'}, [], ['$1']}])),
    out("test_ms no match", ets:test_ms({b, 1}, [{{a, '$1'}, [], ['$1']}])),
    out("test_ms not a list", ets:test_ms({b, 1}, bad)),
    out("ms test trace", erlang:match_spec_test([a, b], [{['$1', b], [],
                                                         [{message, '$1'}, {return_trace}]}],
                                                trace)),
    out("ms test plain", erlang:match_spec_test([a], [{'_', [], [true]}], trace)),
    out("ms test bad type", try erlang:match_spec_test(a, [], foo) catch error:R4 -> R4 end),
    W ! stop,
    exit(C, kill),
    call_count(),
    ok.

%% call_count patterns: calls through the export in any process, no trace flags needed.
call_count() ->
    out("count", erlang:trace_pattern({?MODULE, double, 1}, true, [call_count])),
    [?MODULE:double(I) || I <- lists:seq(1, 5)],
    {_, Ref} = spawn_monitor(fun() -> ?MODULE:double(2) end),
    receive {'DOWN', Ref, _, _, _} -> ok end,
    out("counted", erlang:trace_info({?MODULE, double, 1}, call_count)),
    out("traced", erlang:trace_info({?MODULE, double, 1}, traced)),
    out("pause", erlang:trace_pattern({?MODULE, double, 1}, pause, [call_count])),
    ?MODULE:double(1),
    out("paused", erlang:trace_info({?MODULE, double, 1}, call_count)),
    out("restart", erlang:trace_pattern({?MODULE, double, 1}, restart, [call_count])),
    ?MODULE:double(1),
    out("restarted", erlang:trace_info({?MODULE, double, 1}, call_count)),
    out("count again", erlang:trace_pattern({?MODULE, double, 1}, true, [call_count])),
    out("from zero", erlang:trace_info({?MODULE, double, 1}, call_count)),
    out("bad count", try erlang:trace_pattern({?MODULE, double, 1}, 0, [call_count])
                     catch error:R -> R end),
    out("stop", erlang:trace_pattern({?MODULE, double, 1}, false, [call_count])),
    ?MODULE:double(1),
    out("stopped", erlang:trace_info({?MODULE, double, 1}, call_count)),
    out("never", erlang:trace_info({?MODULE, main, 0}, call_count)).

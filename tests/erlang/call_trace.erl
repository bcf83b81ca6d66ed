-module(call_trace).
-export([main/0, double/1, add/2, worker/1, collector/1]).

%% Call tracing with erlang:trace/3 and erlang:trace_pattern/3: global
%% patterns (fully qualified calls traced, local calls not), match
%% specifications on the arguments, timestamps, another process as the
%% tracer, trace_info/2, and turning it all off.

double(X) -> 2 * X.

add(X, Y) -> X + Y.

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

show({trace, P, call, MFA}, W) -> {trace, who(P, W), call, MFA};
show({trace_ts, P, call, MFA, {A, B, C}}, W)
  when is_integer(A), is_integer(B), is_integer(C) ->
    {trace_ts, who(P, W), call, MFA, timestamp};
show(Other, _) -> Other.

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

    out("bad pattern", try erlang:trace_pattern({?MODULE, double, 1}, [bad], [])
                       catch error:R1 -> R1 end),
    out("bad mfa", try erlang:trace_pattern({?MODULE, '_', 1}, true, [])
                   catch error:R2 -> R2 end),
    W ! stop,
    exit(C, kill),
    ok.

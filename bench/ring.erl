%% Message passing: a ring of processes, each forwarding a counter to the next one after
%% incrementing it, for many laps; the checksum is the counter when it comes home.
-module(ring).
-export([main/0, main/1]).

main() -> main([full]).

main([Size]) ->
    bench_harness:measure(ring, fun(S) -> run(params(S)) end, Size).

params(quick) -> {100, 10};
params(full) -> {1000, 1800}.

run({N, Laps}) ->
    Self = self(),
    First = lists:foldl(fun(_, Next) -> spawn(fun() -> node_loop(Next) end) end,
                        Self, lists:seq(1, N - 1)),
    R = lap(First, Laps, 0),
    First ! stop,
    receive stop -> ok end,
    R.

lap(_, 0, Token) -> Token;
lap(First, Laps, Token) ->
    First ! {token, Token + 1},
    receive
        {token, T} -> lap(First, Laps - 1, T)
    end.

node_loop(Next) ->
    receive
        {token, T} ->
            Next ! {token, T + 1},
            node_loop(Next);
        stop ->
            Next ! stop
    end.


%% The measurement every scaling program shares: one operation at sizes N, 4N and 16N,
%% each run (three times at full sizes, five at the quick ones, the fastest kept) in a
%% fresh process so that no heap, mailbox or dictionary carries over, reported as one line
%% per size `SCALE <name> <size> <nanoseconds> <checksum>` for the runner (`girder-bench
%% --scaling`), which fits the growth exponent of time against size.
-module(scaling_harness).
-export([run/4, time/1]).

%% run(Name, {QuickN, FullN}, Op, [quick | full]): Op(N) sets up, then times the
%% operation itself with time/1 and returns what time/1 returned.
-spec run(atom(), {pos_integer(), pos_integer()}, fun((pos_integer()) -> {integer(), term()}),
          [atom()]) -> ok.
run(Name, {QuickN, FullN}, Op, [Size]) ->
    {Base, Reps} = case Size of quick -> {QuickN, 5}; full -> {FullN, 3} end,
    %% A warm-up at the smallest size (loads and prepares the code).
    _ = isolated(Op, Base),
    lists:foreach(
      fun(K) ->
              N = Base * K,
              Runs = [isolated(Op, N) || _ <- lists:seq(1, Reps)],
              Ns = lists:min([T || {T, _} <- Runs]),
              [{_, Check} | _] = Runs,
              io:format("SCALE ~w ~w ~w ~w~n", [Name, N, Ns, erlang:phash2(Check)])
      end, [1, 4, 16]).

%% The nanoseconds Fun takes, and what it returned.
-spec time(fun(() -> term())) -> {integer(), term()}.
time(Fun) ->
    T0 = erlang:monotonic_time(nanosecond),
    R = Fun(),
    T1 = erlang:monotonic_time(nanosecond),
    {T1 - T0, R}.

isolated(Op, N) ->
    {Pid, Ref} = spawn_monitor(fun() -> exit({done, Op(N)}) end),
    receive
        {'DOWN', Ref, process, Pid, {done, Result}} -> Result;
        {'DOWN', Ref, process, Pid, Other} -> erlang:error({failed, N, Other})
    end.

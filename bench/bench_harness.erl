%% The measurement every benchmark shares: a warm-up run at the quick size, then the timed
%% run at the requested size, reported as one line `RESULT <name> <microseconds> <checksum>`
%% for the runner (crates/girder-bench) to read. Only the workload is timed, in-process.
-module(bench_harness).
-export([measure/3, report/3]).

-spec measure(atom(), fun((quick | full) -> integer()), quick | full) -> ok.
measure(Name, Workload, Size) ->
    _ = Workload(quick),
    T0 = erlang:monotonic_time(),
    Checksum = Workload(Size),
    T1 = erlang:monotonic_time(),
    report(Name, T1 - T0, Checksum).

%% The RESULT line for a workload that took `Native` time units.
-spec report(atom(), integer(), integer()) -> ok.
report(Name, Native, Checksum) ->
    Us = erlang:convert_time_unit(Native, native, microsecond),
    io:format("RESULT ~w ~w ~w~n", [Name, Us, Checksum]).

%% Soak: spawn and finish 1,000,000 processes (in batches of 10,000, each process sending
%% one message and exiting), then pause so that the resident memory can be compared with the
%% pause after a 10,000-process warm-up. `scripts/soak` runs it and reads the RSS.
-module(soak).
-export([main/0]).

main() ->
    run(1),
    pause("warm"),
    run(100),
    Left = length(processes()),
    io:format("processes left ~p~n", [Left]),
    io:format("boot heap ~p~n", [process_info(self(), [total_heap_size, message_queue_len])]),
    pause("done"),
    halt().

pause(Tag) ->
    io:format("PAUSE ~s~n", [Tag]),
    receive after 1500 -> ok end.

run(0) -> ok;
run(Batches) ->
    Self = self(),
    Pids = [spawn(fun() -> Self ! {self(), I} end) || I <- lists:seq(1, 10000)],
    [receive {P, _} -> ok end || P <- Pids],
    run(Batches - 1).

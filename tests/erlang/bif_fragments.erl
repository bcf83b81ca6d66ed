%% A loop whose only allocation is done by BIFs (no heap test of its own between calls):
%% what the BIFs build is collected as the loop goes, as OTP collects after a BIF call
%% whose results outgrew the free heap, so the heap stays small however long the loop.
-module(bif_fragments).
-export([main/0]).

main() ->
    B = binary:copy(<<"0123456789abcdef">>, 4096),
    ok = parts(B, 300000),
    ok = splits(B, 100000),
    {total_heap_size, Words} = process_info(self(), total_heap_size),
    io:format("small heap after the loops: ~p~n", [Words < 400000]),
    %% Results and live registers survive the collections those calls trigger.
    io:format("~p~n", [keep(B, 20000, [])]),
    ok.

parts(_, 0) -> ok;
parts(B, N) ->
    _ = binary:part(B, N rem 60000, 12),
    parts(B, N - 1).

splits(_, 0) -> ok;
splits(B, N) ->
    _ = split_binary(B, N rem 60000),
    splits(B, N - 1).

keep(_, 0, Acc) -> {length(Acc), lists:sum([binary:first(P) || P <- Acc]), hd(Acc)};
keep(B, N, Acc) ->
    P = binary:part(B, N rem 60000, 3),
    keep(B, N - 1, [P | Acc]).

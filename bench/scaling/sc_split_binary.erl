%% split_binary/2 at every offset of an N-byte binary. OTP: O(1) each (two sub-binaries).
-module(sc_split_binary).
-export([main/1]).
main(Size) -> scaling_harness:run(split_binary, {4000, 50000}, fun op/1, Size).
op(N) ->
    B = binary:copy(<<"0123456789abcdef">>, N div 16),
    scaling_harness:time(fun() -> splits(B, 0, byte_size(B), 0) end).
splits(_, I, Max, Acc) when I > Max -> Acc;
splits(B, I, Max, Acc) ->
    {L, R} = split_binary(B, I),
    splits(B, I + 1, Max, Acc + byte_size(L) - byte_size(R)).

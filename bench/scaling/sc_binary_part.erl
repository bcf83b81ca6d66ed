%% binary:part/3 of 12 bytes at every offset of an N-byte binary. OTP: O(part) each.
-module(sc_binary_part).
-export([main/1]).
main(Size) -> scaling_harness:run(binary_part, {4000, 50000}, fun op/1, Size).
op(N) ->
    B = binary:copy(<<"0123456789abcdef">>, N div 16),
    scaling_harness:time(fun() -> parts(B, 0, byte_size(B) - 12, 0) end).
parts(_, I, Max, Acc) when I > Max -> Acc;
parts(B, I, Max, Acc) -> parts(B, I + 1, Max, Acc + binary:first(binary:part(B, I, 12))).

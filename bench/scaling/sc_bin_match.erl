%% Matching 16-byte records, each a sub-binary, out of an N-byte binary, 20 times.
%% OTP: O(part) each.
-module(sc_bin_match).
-export([main/1]).
main(Size) -> scaling_harness:run(bin_match, {4000, 50000}, fun op/1, Size).
op(N) ->
    B = binary:copy(<<"0123456789abcdef">>, N div 16),
    scaling_harness:time(fun() -> lists:sum([recs(B, 0) || _ <- lists:seq(1, 20)]) end).
recs(<<X:8, Rec:15/binary, Rest/binary>>, Acc) -> recs(Rest, Acc + X + binary:last(Rec));
recs(<<>>, Acc) -> Acc.

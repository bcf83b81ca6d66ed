%% term_to_binary and binary_to_term of a wide term (an N-element list of small tuples)
%% and a long one (tuples chained N deep through list tails). OTP: O(N).
%% (Terms nested through tuple elements more than 2000 deep are refused by girder's
%% decoder: see ARCHITECTURE.md, the complexity table.)
-module(sc_t2b).
-export([main/1]).
main(Size) -> scaling_harness:run(t2b, {2000, 20000}, fun op/1, Size).
op(N) ->
    Wide = [{I, <<"x">>, [I]} || I <- lists:seq(1, N)],
    Long = lists:foldl(fun(I, A) -> [{I} | A] end, [], lists:seq(1, N)),
    scaling_harness:time(
      fun() ->
              BW = term_to_binary(Wide),
              BL = term_to_binary(Long),
              Wide = binary_to_term(BW),
              Long = binary_to_term(BL),
              byte_size(BW) + byte_size(BL)
      end).

%% term_to_binary and binary_to_term of a wide term (an N-element list of tuples) and a
%% deep one (N nested tuples). OTP: O(N).
-module(sc_t2b).
-export([main/1]).
main(Size) -> scaling_harness:run(t2b, {2000, 20000}, fun op/1, Size).
op(N) ->
    Wide = [{I, <<"x">>, [I]} || I <- lists:seq(1, N)],
    Deep = lists:foldl(fun(I, A) -> {I, A} end, nil, lists:seq(1, N)),
    scaling_harness:time(
      fun() ->
              BW = term_to_binary(Wide),
              BD = term_to_binary(Deep),
              Wide = binary_to_term(BW),
              Deep = binary_to_term(BD),
              byte_size(BW) + byte_size(BD)
      end).

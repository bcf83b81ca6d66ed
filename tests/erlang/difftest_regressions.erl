%% Divergences found by the differential test (crates/girder-cli/tests/differential.rs),
%% minimised.
-module(difftest_regressions).
-export([main/0]).

%% select_val over a table mixing small integers with bignums.
sel([]) -> nil;
sel(16450545745838583554535738268592894885) -> big;
sel(-4) -> minus_four;
sel(-16450545745838583554535738268592894885) -> negbig;
sel(7) -> seven;
sel(_) -> other.

%% Negation: the fnegate float instruction computes 0 - X, so it turns 0.0 into 0.0,
%% while the erlang:'-'/1 BIF gives -0.0; abs/1 leaves -0.0 as it is.
neg(X) -> -X.
fneg(X) when is_float(X) -> -X.
fneg_mul(X) when is_float(X) -> Y = X * 2.0, -Y.

%% A size the compiler folds into a constant past 64 bits: `bs_test_tail2` gets a big
%% operand; the module loads and the match fails.
huge_tail(B) ->
    N = 10376293541461622785,
    case B of
        <<_:N/binary>> -> yes;
        _ -> no
    end.

main() ->
    io:format("~p~n", [[sel(X) || X <- [[], -4, 7, 4, 16450545745838583554535738268592894885,
                                        -16450545745838583554535738268592894885,
                                        16450545745838583554535738268592894886, 1 bsl 64,
                                        -4.0, a]]]),
    io:format("~p~n", [[neg(0.0), neg(-0.0), fneg(0.0), fneg(-0.0), fneg_mul(0.0),
                        fneg_mul(-0.0), neg(1.5), fneg(-2.5), neg(0), abs(neg(0.0)), abs(neg(-0.0)), abs(neg(1.5))]]),
    io:format("~p~n", [[try F(X) catch C:R -> {C, R} end
                        || F <- [fun list_to_binary/1, fun iolist_to_binary/1,
                                 fun erlang:list_to_bitstring/1],
                           X <- [<<7>>, [<<7>>], <<1:3>>, [<<1:3>>], [], 7]]]),
    io:format("~p~n", [[huge_tail(<<>>), huge_tail(<<1, 2>>)]]),
    ok.

%% Integer fields of fixed sizes read at every bit offset, signed and unsigned, big and
%% little endian, from heap binaries, reference-counted binaries and sub-binaries (whose
%% bits start inside a byte); skipped fields; fields that do not fit.
-module(bs_fields).
-export([main/0]).

main() ->
    Small = list_to_binary([(I * 37 + 11) band 255 || I <- lists:seq(1, 40)]),
    Large = list_to_binary([(I * 91 + 7) band 255 || I <- lists:seq(1, 300)]),
    <<_:3, Odd:300/bitstring, _/bitstring>> = Large,
    <<_:16, Sub:200/binary, _/binary>> = Large,
    [report(Name, B) || {Name, B} <- [{small, Small}, {large, Large}, {odd, Odd}, {sub, Sub},
                                      {empty, <<>>}, {tiny, <<5:3>>}]],
    io:format("skips ~p~n", [[skip(B) || B <- [Small, Odd, <<1:7>>, <<>>]]]),
    io:format("tails ~p~n", [[tail(B) || B <- [<<1, 2, 3>>, <<1:1, 2:16>>, <<255>>]]]),
    io:format("records ~p~n", [records(<<3:8, "abc", 2:8, "de", 0:8, 9:4>>, [])]),
    ok.

report(Name, B) ->
    Fields = [fun u1/1, fun u3/1, fun u5/1, fun s7/1, fun u8/1, fun s8/1, fun u11/1,
              fun s13/1, fun u16/1, fun s16/1, fun ul16/1, fun sl16/1, fun u24/1,
              fun u31/1, fun s32/1, fun u32/1, fun ul32/1, fun sl32/1, fun u33/1],
    Sums = [walk(F, B, 0, 0, 0) || F <- Fields],
    io:format("~w ~w~n", [Name, Sums]).

%% Read the field at every bit offset; sum the values, count the misses.
walk(F, B, Off, Sum, Miss) when Off =< bit_size(B) ->
    <<_:Off, Rest/bitstring>> = B,
    case F(Rest) of
        {V, _} -> walk(F, B, Off + 1, (Sum * 7 + V) rem 1000000007, Miss);
        none -> walk(F, B, Off + 1, Sum, Miss + 1)
    end;
walk(_, _, _, Sum, Miss) -> {Sum, Miss}.

u1(<<V:1, R/bitstring>>) -> {V, R}; u1(_) -> none.
u3(<<V:3, R/bitstring>>) -> {V, R}; u3(_) -> none.
u5(<<V:5, R/bitstring>>) -> {V, R}; u5(_) -> none.
s7(<<V:7/signed, R/bitstring>>) -> {V, R}; s7(_) -> none.
u8(<<V:8, R/bitstring>>) -> {V, R}; u8(_) -> none.
s8(<<V:8/signed, R/bitstring>>) -> {V, R}; s8(_) -> none.
u11(<<V:11, R/bitstring>>) -> {V, R}; u11(_) -> none.
s13(<<V:13/signed, R/bitstring>>) -> {V, R}; s13(_) -> none.
u16(<<V:16, R/bitstring>>) -> {V, R}; u16(_) -> none.
s16(<<V:16/signed, R/bitstring>>) -> {V, R}; s16(_) -> none.
ul16(<<V:16/little, R/bitstring>>) -> {V, R}; ul16(_) -> none.
sl16(<<V:16/little-signed, R/bitstring>>) -> {V, R}; sl16(_) -> none.
u24(<<V:24, R/bitstring>>) -> {V, R}; u24(_) -> none.
u31(<<V:31, R/bitstring>>) -> {V, R}; u31(_) -> none.
s32(<<V:32/signed, R/bitstring>>) -> {V, R}; s32(_) -> none.
u32(<<V:32, R/bitstring>>) -> {V, R}; u32(_) -> none.
ul32(<<V:32/little, R/bitstring>>) -> {V, R}; ul32(_) -> none.
sl32(<<V:32/little-signed, R/bitstring>>) -> {V, R}; sl32(_) -> none.
u33(<<V:33, R/bitstring>>) -> {V, R}; u33(_) -> none.

skip(<<_:5, _:16, X:3, _/bitstring>>) -> {long, X};
skip(<<_:3, _/bitstring>>) -> short;
skip(_) -> none.

tail(<<A:8, B:8, C:8>>) -> {three, A, B, C};
tail(<<A:1, B:16>>) -> {odd, A, B};
tail(<<A:8>>) -> {one, A}.

records(<<Len:8, Payload:Len/binary, Rest/bitstring>>, Acc) when Len > 0 ->
    records(Rest, [Payload | Acc]);
records(<<0:8, Rest/bitstring>>, Acc) -> {lists:reverse(Acc), Rest};
records(Other, Acc) -> {bad, Other, Acc}.

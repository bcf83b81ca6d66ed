%% The bit syntax on its own: construction and matching of every segment kind, sizes,
%% endianness, signedness, unaligned fields, UTF encodings and binary comprehensions.
-module(bit_syntax).
-export([main/0, skip16/1]).

main() ->
    X = id(5), Y = id(300), Z = id(<<"hey">>),
    io:format("build ~w~n", [<<X:8, Y:16/little-signed, Z/binary, "xy", X:3, 1:1>>]),
    io:format("float ~w~n", [<<1.5:64/float, 2.5:32/float, 1.0:16/float, (id(3)):32/float-little>>]),
    io:format("utf ~w~n", [<<(id(233))/utf8, (id(8364))/utf16, (id(66))/utf32-little>>]),
    io:format("neg ~w~n", [<<(id(-1)):12, (id(-2)):7/little>>]),
    io:format("big ~w~n", [<<(id(1 bsl 70)):80>>]),
    io:format("parse ~p~n", [parse(<<1:3, -3:5/little-signed, 1.5:16/float, "ab", "é"/utf8, "rest">>)]),
    io:format("parse2 ~p~n", [parse(<<9, 1:1>>)]),
    io:format("nibbles ~p~n", [[N || <<N:4>> <= <<16#12, 16#34>>]]),
    io:format("le16 ~p~n", [[W || <<W:16/little>> <= <<1, 2, 3, 4>>]]),
    io:format("bincomp ~p~n", [<< <<(C + 1)>> || <<C>> <= <<"abc">> >>]),
    io:format("fields ~p~n", [fields(<<16#ABCD:16, 7:3, 0:5, "tail">>)]),
    io:format("utf16 ~p~n", [utf16(<<0, 65, 216, 61, 222, 0>>)]),
    io:format("utf32 ~p~n", [[C || <<C/utf32>> <= <<0, 0, 0, 66, 0, 1, 243, 0>>]]),
    io:format("skip ~p~n", [skip(<<"é"/utf8, 1, 2, 3>>)]),
    io:format("size var ~p~n", [sized(<<3, "abcdef">>)]),
    io:format("bad utf8 ~p~n", [catch [C || <<C/utf8>> <= <<255>>]]),
    io:format("badarg ~p~n", [try <<(id(a)):8>> catch error:R -> R end]),
    io:format("sizes ~p~n", [{byte_size(<<1:9>>), bit_size(<<1:9>>)}]),
    io:format("prefix ~p~n", [[prefix(B) || B <- [<<"abcd">>, <<"ab">>, <<"abc", 1:1>>]]]),
    io:format("skip utf16/32 ~p~n", [{?MODULE:skip16(<<216, 61, 222, 0, "x">>), skip32(<<66, 0, 0, 0, "y">>)}]),
    ok.

id(X) -> X.

parse(<<A:3, B:5/little-signed, C:16/float, "ab", D/utf8, Rest/binary>>) -> {A, B, C, D, Rest};
parse(<<_:8, T/bitstring>>) -> T.

fields(<<Hi:8, Lo:8, Three:3, _:5, Rest/binary>>) -> {Hi, Lo, Three, Rest}.

utf16(<<C/utf16, Rest/binary>>) -> [C | utf16(Rest)];
utf16(<<>>) -> [].

skip(<<_/utf8, _:8, Rest/binary>>) -> Rest.

sized(<<N:8, Part:N/binary, Rest/binary>>) -> {Part, Rest}.

prefix(<<P:2/binary, _/binary>>) -> P;
prefix(_) -> no.

skip16(<<_/utf16, R/binary>>) -> R.

skip32(<<_/utf32-little, R/binary>>) -> R.

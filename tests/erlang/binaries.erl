%% Binaries and bit syntax: construction, matching, sizes and types,
%% utf8, binary comprehensions, sub-binaries, the binary module.
-module(binaries).
-export([main/0]).

main() ->
    B = <<1, 2, 3, 250>>,
    io:format("literal ~p ~w~n", [B, <<"abc">>]),
    io:format("sizes ~p~n", [[byte_size(B), bit_size(B), bit_size(<<1:3>>)]]),
    io:format("build ~p~n", [<<(id(1)):16, (id(-1)):8/signed, (id(7)):4, 0:4>>]),
    io:format("little ~p~n", [<<(id(258)):16/little, (id(258)):32/big>>]),
    io:format("float ~p~n", [<<(id(1.5)):64/float>>]),
    io:format("float32 ~p~n", [<<(id(0.25)):32/float>>]),
    io:format("bits ~p~n", [<<(id(5)):3, (id(1)):1>>]),
    <<X:16, Y:8/signed, Rest/binary>> = <<1, 0, 255, 9, 9>>,
    io:format("match ~p~n", [{X, Y, Rest}]),
    <<F:64/float>> = <<(id(2.5)):64/float>>,
    io:format("match float ~p~n", [F]),
    io:format("parse ~p~n", [parse(<<3, "abc", 2, "de", 0>>)]),
    io:format("tlv ~p~n", [tlv(<<1:8, 2:16, 7, 8, 2:8, 1:16, 9>>)]),
    io:format("utf8 ~w~n", [<<"héllo"/utf8>>]),
    io:format("utf8 decode ~w~n", [[C || <<C/utf8>> <= <<"aé€"/utf8>>]]),
    io:format("bin comprehension ~p~n", [<< <<(V * 2)>> || <<V>> <= <<1, 2, 3>> >>]),
    io:format("list from bin ~w~n", [[V || <<V:4>> <= <<16#AB, 16#CD>>]]),
    io:format("append ~p~n", [append_loop(5, <<>>)]),
    io:format("sub binary ~p~n", [binary:part(<<"hello world">>, 6, 5)]),
    io:format("split ~p~n", [binary:split(<<"a,b,c">>, <<",">>, [global])]),
    io:format("conversions ~p~n", [[binary_to_list(<<"xy">>), list_to_binary([<<"a">>, "b", 99])]]),
    io:format("term roundtrip ~p~n", [binary_to_term(term_to_binary({a, [1, 2], <<3>>}))]),
    io:format("term_to_binary ~w~n", [term_to_binary({a, 1})]),
    io:format("iolist ~p~n", [[iolist_size([<<1, 2>>, "ab", [3]]), iolist_to_binary([$a, [<<"b">>], "c"])]]),
    io:format("match string ~p~n", [[prefix(S) || S <- [<<"GET /x">>, <<"PUT /y">>, <<"GE">>]]]),
    io:format("bitstring match ~p~n", [bits(<<2#101:3, 2#11:2>>)]),
    io:format("size var ~p~n", [sized(<<4, "abcdefg">>)]),
    io:format("guard sizes ~p~n", [[kind(V) || V <- [<<>>, <<1>>, <<1, 2, 3>>, <<1:1>>]]]),
    io:format("bad construct ~p~n", [try <<(id(a)):8>> catch error:R -> R end]),
    io:format("bad match ~p~n", [try <<_:32>> = id(<<1>>) catch error:{badmatch, V} -> V end]),
    io:format("big int seg ~p~n", [<<(id(1 bsl 64)):72>>]),
    io:format("utf16 utf32 ~p~n", [utfs(<<"ab"/utf16, "c"/utf32, "x"/utf8, "y"/utf16, "z"/utf32, 9>>)]),
    io:format("skip bits ~p~n", [[low_nibble(<<16#AB, 1>>), second(<<1, 2, 3>>)]]),
    io:format("unit test ~p~n", [[tail_kind(Bin) || Bin <- [<<1>>, <<1:2>>, <<1:4>>, <<1:11>>]]]),
    io:format("int from bin ~p~n", [binary:decode_unsigned(<<1, 0, 0, 0, 0, 0, 0, 0, 0>>)]),
    ok.

id(X) -> X.

parse(<<0>>) -> [];
parse(<<Len, Str:Len/binary, Rest/binary>>) -> [Str | parse(Rest)].

tlv(<<>>) -> [];
tlv(<<T:8, L:16, V:L/binary, Rest/binary>>) -> [{T, V} | tlv(Rest)].

append_loop(0, Acc) -> Acc;
append_loop(N, Acc) -> append_loop(N - 1, <<Acc/binary, N>>).

utfs(<<X/utf16, Y/utf16, Z/utf32, _/utf8, _/utf16, _/utf32, Rest/binary>>) ->
    {[X, Y, Z], Rest}.

low_nibble(<<_:4, X:4, _/binary>>) -> X.

second(<<_:8, X:8, _/binary>>) -> X.

%% Whether what follows the first 3 bits is a whole number of bytes.
tail_kind(<<_:3, Rest/bitstring>>) when is_binary(Rest) -> bytes;
tail_kind(<<_:3, _/bitstring>>) -> bits;
tail_kind(_) -> short.

prefix(<<"GET ", Path/binary>>) -> {get, Path};
prefix(<<"PUT ", Path/binary>>) -> {put, Path};
prefix(_) -> unknown.

bits(<<A:3, B:2>>) -> {A, B}.

sized(<<N, Part:N/binary, _/binary>>) -> Part.

kind(<<>>) -> empty;
kind(B) when is_binary(B), byte_size(B) < 2 -> small;
kind(B) when is_binary(B) -> large;
kind(_) -> bits.

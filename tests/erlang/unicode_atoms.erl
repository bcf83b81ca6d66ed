-module(unicode_atoms).
-export([main/0]).

%% Atoms with any Unicode characters: list_to_atom/1, binary_to_atom/2 in both encodings,
%% atom_to_binary/2, printing, the external term format (ATOM_UTF8_EXT), the 255-character
%% limit (system_limit) and bad characters (badarg).

main() ->
    A = list_to_atom([1000, $a]),
    B = binary_to_atom(<<"日本"/utf8>>, utf8),
    C = list_to_atom("é"),
    io:format("~p ~w ~p ~w ~p~n", [A, A, B, B, C]),
    io:format("~tp ~tw~n", [A, B]),
    io:format("~p~n", [atom_to_binary(A, utf8)]),
    io:format("~p~n", [catch atom_to_binary(A, id(latin1))]),
    io:format("~p~n", [atom_to_list(B)]),
    io:format("~p~n", [catch binary_to_atom(id(<<200>>), utf8)]),
    io:format("~p~n", [binary_to_atom(<<200>>, latin1)]),
    io:format("~p~n", [term_to_binary(A)]),
    io:format("~p~n", [term_to_binary(C)]),
    io:format("~p~n", [term_to_binary(abc)]),
    io:format("~p~n", [binary_to_term(term_to_binary({A, B, C})) =:= {A, B, C}]),
    io:format("~p~n", [binary_to_term(<<131,119,2,207,168,97>>)]),
    io:format("~p~n", [binary_to_term(<<131,118,0,2,207,168>>)]),
    io:format("~p~n", [catch list_to_atom(lists:duplicate(256, $a))]),
    io:format("~p~n", [length(atom_to_list(list_to_atom(lists:duplicate(255, 1000))))]),
    io:format("~p~n", [catch list_to_atom(lists:duplicate(256, 1000))]),
    io:format("~p~n", [catch binary_to_atom(binary:copy(<<"é"/utf8>>, 256), utf8)]),
    io:format("~p~n", [catch binary_to_atom(binary:copy(<<"é"/utf8>>, 255), utf8) =:= list_to_atom(lists:duplicate(255, $é))]),
    io:format("~p~n", [catch list_to_existing_atom([1000, $a])]),
    io:format("~p~n", [catch binary_to_existing_atom(<<"日本"/utf8>>, utf8)]),
    io:format("~p~n", [catch list_to_atom(id([-1]))]),
    io:format("~p~n", [catch list_to_atom(id([16#110000]))]),
    io:format("~p~n", [catch list_to_atom(id([16#D800]))]),
    io:format("~p~n", [atom_to_binary(C)]),
    io:format("~p~n", [lists:sort([B, A, C, z, 'Z'])]),
    io:format("~p~n", [erlang:phash2(A)]),
    io:format("~ts~n", [atom_to_list(A)]),
    io:format("~p~n", [atom_to_binary(C, latin1)]),
    io:format("~p~n", [binary_to_atom(<<233>>, latin1) =:= C]),
    io:format("~p~n", [catch binary_to_atom(<<"x">>, id(foo))]),
    io:format("~p~n", [catch atom_to_binary(x, id(foo))]),
    io:format("~p~n", [binary_to_existing_atom(<<233>>, latin1)]),
    io:format("~p~n", [catch binary_to_existing_atom(<<"never_made_\x{1F600}"/utf8>>, utf8)]),
    io:format("~w~n", [[list_to_atom([C1]) || C1 <- [127, 128, 160, 215, 223, 247, 255, 256]]]),
    Z = list_to_atom([16#1F600]),
    io:format("~p ~p~n", [term_to_binary(Z), atom_to_binary(Z)]),
    io:format("~p~n", [binary_to_term(term_to_binary(Z, [{minor_version, 1}])) =:= Z]),
    ok.

%% Hides a constant from the compiler (which warns about calls bound to fail).
id(X) -> X.

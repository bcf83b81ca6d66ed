-module(display).
-export([main/0]).

%% erlang:display/1 writes terms as erts' own printer does (not as io_lib does): floats
%% as %.6e, strings by erts' rules, binaries, maps (a large map as its hash trie), atoms
%% quoted by erts' rules. Pids and references differ between VMs and are left out.

main() ->
    F = fun(X) -> X end,
    [erlang:display(T)
     || T <- ["hi", 3.5, 1.0e100, -0.0, 0.1, 1.0e-10, 100.0, 123.456, 1.0e15, 5.0e-324,
              -1.0e-5, 2.5e-300, 123456789012345678901234567890, -98765432109876543210, -5,
              [], [1, 2, 3], [a | b], [$a, $b | c], "a\nb\"c", "tab\there", "back\\slash",
              [200, 201], [1000], [$a, 256], "\e\b\f\v\r\t", [127], [160], "", [[]],
              <<"bin">>, <<1, 2, 3>>, <<1:3>>, <<"abc", 1:2>>, <<>>, <<"a\nb">>,
              <<"x\"y">>, <<"back\\slash">>, <<200, 201>>, <<"é"/utf8>>, [$a | <<"b">>],
              #{a => 1, "k" => [x]}, #{}, #{1 => 2, {a} => [b], 1.0 => c},
              maps:from_list([{I, I * I} || I <- lists:seq(1, 40)]),
              maps:from_list([{integer_to_list(I), I} || I <- lists:seq(1, 100)]),
              {}, {a, "s", 1.5}, fun lists:map/2, 'quoted atom', 'Cap', '[]', 'a@b',
              a@b, '_x', 'a.b', 'aB9_@', '', 'if', 'fun', 'end', atom, true, "é", 'é',
              'ÿß', 'a×b', 'a÷b', list_to_atom([1000]), list_to_atom([$a, 127]),
              list_to_atom([$a, 8, 9, 10, 11, 12, 13, 27, 0, 31]), 'it\'s',
              list_to_atom([$a, 92]), list_to_atom([$a, 128, 159, 160])]],
    [erlang:display({C, [$a, C], list_to_atom([$a, C]), list_to_atom([C]), <<$a, C>>})
     || C <- lists:seq(0, 300)],
    erlang:display(is_function(F)),
    erlang:display(lists:seq(1, 10)),
    ok.

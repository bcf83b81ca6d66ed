%% Float text conversions, the external term format BIFs, phash/phash2 and md5:
%% float_to_list/binary with every option, list_to_float, binary_to_float,
%% term_to_binary/binary_to_term with options, external_size, hashes of every
%% kind of term (sub-binaries too), md5 contexts.
-module(issue4_numbers_etf).
-export([main/0]).
-compile({nowarn_deprecated_function, [{erlang, phash, 2}]}).

main() ->
    floats(),
    parsing(),
    external(),
    funs(),
    hashes(),
    md5s(),
    ok.

%% A call's result, or the error class and reason.
t(F) ->
    try F() of
        V -> V
    catch
        C:R -> {C, R}
    end.

id(X) -> X.

show({error, R}) -> io:format(" error:~w", [R]);
show(S) -> io:format(" ~s", [S]).

floats() ->
    Xs = [0.0, -0.0, 0.1, 1.5, 2.5, -2.5, 0.125, 0.045, 1.005, 123.456, 1.0e-10,
          1.0e15, 1.0e16, 1.0e22, 123456789.0, 9007199254740992.0, 5.0e-324,
          1.7976931348623157e308, 0.95, 99.999],
    Opts = [[], [short], [compact], [{decimals, 0}], [{decimals, 2}],
            [{decimals, 3}, compact], [{decimals, 17}], [{decimals, 19}],
            [{decimals, 20}, compact], [{scientific, 0}], [{scientific, 3}],
            [{scientific, -1}], [short, {decimals, 1}], [{decimals, 1}, short],
            [{decimals, 4294967298}], [{decimals, -1}], [bad], [{decimals, 1} | x]],
    lists:foreach(
      fun(X) ->
              io:format("~w:", [X]),
              [show(t(fun() -> float_to_list(X, O) end)) || O <- Opts],
              io:format("~n")
      end, Xs),
    io:format("default ~s ~s~n", [float_to_list(1.5), float_to_binary(-0.0)]),
    io:format("binary ~w~n", [[float_to_binary(X, O) || X <- [1.5, 1.0e-5],
                                                       O <- [[short], [{decimals, 3}]]]]),
    io:format("long ~w~n", [[t(fun() -> length(float_to_list(X, O)) end)
                             || X <- [1.0, -1.0, 1.0e200],
                                O <- [[{decimals, 253}], [{decimals, 254}],
                                      [{scientific, 248}], [{scientific, 249}]]]]),
    io:format("not floats ~w~n", [[t(fun() -> float_to_list(X) end) || X <- [1, a, "1.0"]]]).

parsing() ->
    Texts = ["1.5", "1,5", "+1.5", "-1.5", "1", "1e5", "1.0e5", "1.0E+5", "1.0e-5",
             ".5", "5.", "1.0e", " 1.0", [$1, $., $5, 0, $a], "1.0e400", "1.0e-400",
             "2.5e-324", "1.8e308", "-0.0", "00001.5000", "1..5", "1,5e3", "",
             "1.7976931348623158e308", [$1, $., 300]],
    io:format("list_to_float ~w~n", [[t(fun() -> list_to_float(T) end) || T <- Texts]]),
    io:format("binary_to_float ~w~n",
              [[t(fun() -> binary_to_float(B) end)
                || B <- [<<"1.5">>, <<"1,5">>, <<"1">>, <<"2.5e-3">>, <<"1.5", 0, "x">>,
                         <<"1.5":20>>, "1.5", <<"1.0e999">>]]]),
    Round = [X || X <- [0.1, 1.0e23, 5.0e-324, 123.456, -1.0e-7, 2.0e9],
                  list_to_float(float_to_list(X, [short])) =/= X],
    io:format("round trip failures ~w~n", [Round]).

terms() ->
    [0, 1, -1, 255, 256, 1 bsl 27, -(1 bsl 27) - 1, 1 bsl 31, 1 bsl 32, 1 bsl 59,
     -(1 bsl 59) - 1, 1 bsl 64, -(1 bsl 100), 1.5, -0.0, 5.0e-324, a, '', 'é', 'Ω',
     [], "abc", "abcde", [1, 2, 256], [a | b], [[1], [2, 3]], {}, {a, {b, "c"}},
     <<>>, <<1, 2, 3>>, <<1:3>>, <<1, 2, 3:5>>, list_to_binary(lists:seq(1, 30)),
     #{}, #{a => 1, b => [2]}, #{{x} => #{}}, fun lists:map/2,
     list_to_tuple(lists:seq(1, 300)), lists:seq(1, 300)].

external() ->
    Ts = terms(),
    lists:foreach(
      fun(T) ->
              B = term_to_binary(T),
              io:format("~w ~w ~w~n",
                        [byte_size(B), erlang:phash2(B),
                         binary_to_term(B) =:= T andalso erlang:external_size(T) =:= byte_size(B)])
      end, Ts),
    io:format("short ~w~n", [[term_to_binary(T) || T <- [a, 1, -1, 1.5, "ab", {a, <<1:3>>}, 'Ω']]]),
    io:format("options ~w~n",
              [[t(fun() -> term_to_binary({1.5, 'Ω'}, O) end)
                || O <- [[{minor_version, 0}], [{minor_version, 2}], [deterministic],
                         [{compressed, 10}], [bad], x, [local]]]]),
    Big = lists:duplicate(50, {abc, "defgh", 1.5}),
    C = term_to_binary(Big, [compressed]),
    io:format("compressed ~w ~w ~w~n",
              [byte_size(C) < byte_size(term_to_binary(Big)), binary_to_term(C) =:= Big,
               [binary_to_term(term_to_binary(Big, [{compressed, L}])) =:= Big || L <- [0, 1, 9]]]),
    io:format("used ~w~n", [binary_to_term(<<(term_to_binary({a, 1}))/binary, 7, 7>>, [used])]),
    io:format("trailing ~w~n", [binary_to_term(<<(term_to_binary(x))/binary, 1>>)]),
    io:format("bad ~w~n",
              [[t(fun() -> binary_to_term(B) end)
                || B <- [<<131>>, <<>>, <<131, 97>>, <<1, 2>>, <<(term_to_binary(a))/binary, 1:1>>,
                         [131, 97, 1], <<131,116,0,0,0,2,97,1,97,2,97,1,97,3>>]]]),
    io:format("safe ~w~n",
              [[t(fun() -> binary_to_term(B, O) end)
                || B <- [term_to_binary(ok), <<131,100,0,21,"issue4_no_such_atom_1">>,
                         term_to_binary(fun lists:map/2)],
                   O <- [[safe], [used, safe], [], [bad], [safe | x]]]]),
    io:format("external_size ~w~n",
              [[t(fun() -> erlang:external_size({1.5}, O) end)
                || O <- [[], [{minor_version, 0}], [{minor_version, 1}], [{minor_version, 2}],
                         [deterministic]]]]).

funs() ->
    N = id(10),
    F = fun(X) -> X + N end,
    G = binary_to_term(term_to_binary(F)),
    io:format("local fun ~w ~w~n", [G(5), G =:= F]),
    H = binary_to_term(term_to_binary(fun lists:reverse/1)),
    io:format("export fun ~w~n", [H([1, 2, 3])]),
    io:format("fun hash ~w~n", [erlang:phash2(fun lists:map/2)]).

hashes() ->
    Ts = terms() ++ [maps:from_list([{I, I} || I <- lists:seq(1, 40)]), lists:seq(1, 1000),
                     list_to_binary(lists:duplicate(100, 9))],
    io:format("phash2 ~w~n", [[erlang:phash2(T) || T <- Ts]]),
    io:format("phash2/2 ~w~n", [[erlang:phash2(T, 1 bsl 32) || T <- Ts]]),
    io:format("phash ~w~n", [[erlang:phash(T, 1 bsl 32) || T <- Ts]]),
    io:format("ranges ~w~n", [[erlang:phash2(abc, R) || R <- [1, 2, 1000, 1 bsl 32 - 1]]]),
    io:format("bad ranges ~w~n",
              [[t(fun() -> erlang:phash2(abc, R) end) || R <- [0, -1, 1 bsl 32 + 1, 1.0, x]]]),
    %% Sub-binaries, aligned or not, hash as the bits they hold.
    Bin = list_to_binary(lists:seq(1, 40)),
    Subs = [begin <<_:Off, S:Len/bitstring, _/bitstring>> = Bin, S end
            || Off <- [0, 3, 8, 13], Len <- [0, 5, 8, 100, 200]],
    io:format("subs ~w~n", [[{erlang:phash2(S), erlang:phash(S, 1000)} || S <- Subs]]),
    Copies = [<< <<B:1>> || <<B:1>> <= S >> || S <- Subs],
    io:format("subs equal ~w~n",
              [[erlang:phash2(S) =:= erlang:phash2(C) || {S, C} <- lists:zip(Subs, Copies)]]).

md5s() ->
    io:format("md5 ~w~n", [[erlang:md5(D) || D <- [<<>>, "abc", [<<"a">>, [$b | <<"c">>]],
                                                 lists:seq(0, 255)]]]),
    C0 = erlang:md5_init(),
    C1 = erlang:md5_update(C0, lists:duplicate(70, $q)),
    C2 = erlang:md5_update(C1, <<"more">>),
    io:format("ctx ~w~n", [binary_part(C2, 0, 24)]),
    io:format("final ~w ~w~n", [erlang:md5_final(C2) =:= erlang:md5([lists:duplicate(70, $q), "more"]),
                                erlang:md5_final(C0)]),
    io:format("md5 errors ~w~n",
              [[t(fun() -> erlang:md5(D) end) || D <- [<<1:3>>, [256], [1 | 2], a]] ++
               [t(fun() -> erlang:md5_update(<<1, 2>>, <<>>) end),
                t(fun() -> erlang:md5_final(a) end)]]).

-module(re_pcre).
%% OTP's `re` over girder's PCRE2: run/2,3 with every option OTP 25 documents, compile/1,2
%% and its errors, capture specifications, named groups, Unicode subjects, global matching,
%% and OTP's own replace/split on top. Compiled patterns are never printed (their binary is
%% the engine's own), nor re:version() (PCRE 8 in OTP 25, PCRE2 in girder).
-export([main/0]).

main() ->
    runs(),
    captures(),
    compiles(),
    unicode(),
    globals(),
    replace_split(),
    errors(),
    latin1_tables(),
    ok.

show(Tag, F) ->
    R = try F() catch C:E -> {C, E} end,
    io:format("~p: ~p~n", [Tag, R]).

runs() ->
    Cases =
        [{"abcabc", "b", []}, {"abc", "x", []}, {"abc", "^b", []}, {<<"aBc">>, "b", [caseless]},
         {"a\nb", "^b", []}, {"a\nb", "^b", [multiline]}, {"a\nb", "a.b", []},
         {"a\nb", "a.b", [dotall]}, {"abc", "a b c", [extended]}, {"xabc", "abc", [anchored]},
         {"abcabc", "b", [{offset, 2}]}, {"aaa", "a+?", []}, {"aaa", "a+", [ungreedy]},
         {"ab\n", "b$", []}, {"ab\n", "b$", [dollar_endonly]}, {"abc", "^", [notbol]},
         {"abc", "$", [noteol]}, {"abc", "x*", [notempty]}, {"abc", "x*", [notempty_atstart]},
         {"xy\nab", "ab", [firstline]}, {"ab", "(a)(b)", [no_auto_capture]},
         {"a\r\nb", "^b", [multiline, {newline, crlf}]}, {"a\rb", "^b", [multiline, {newline, cr}]},
         {"a\rb", "^b", [multiline, {newline, lf}]}, {"a\rb", "^b", [multiline, {newline, any}]},
         {"a\rb", "^b", [multiline, {newline, anycrlf}]}, {"a\r\nb", "a\\Rb", [bsr_anycrlf]},
         {"a\x{85}b", "a\\Rb", [bsr_unicode]}, {"abc", "b", [no_start_optimize]},
         {"abcb", "(b)c\\1", []}, {"aXbXc", "(?<x>X)", []}, {["ab", [$c | <<"d">>]], "cd", []},
         {"((((((((((a))))))))))", "a", []}, {"abc", "", []}, {"", "", []},
         {"aaaaaaaaaaaaaaaaaaaaaaaaaaab", "(a+)+$", [{match_limit, 1000}, report_errors]},
         {"aaaaaaaaaaaaaaaaaaaaaaaaaaab", "(a+)+$", [{match_limit, 1000}]},
         {"abc", "b", [report_errors]}, {"abc", "(?i)B", []}, {"foo.bar", "\\.", []},
         {"a1b22c333", "\\d+", []}, {"tab\there", "\\s", []}, {"word boundary", "\\bb", []},
         {"abc", "(?=c)", []}, {"abc", "(?<=b)c", []}, {"abc", "a(?!b)", []},
         {"aaa", "a{2}", []}, {"abab", "(?:ab)+", []}, {"abc", "[^a]", []}],
    [show({run, S, P, O}, fun() -> re:run(S, P, O) end) || {S, P, O} <- Cases],
    show(run2, fun() -> re:run("hello", "l+") end).

captures() ->
    P = "(?<first>a)(b)?(?<third>c)?(d)?",
    Specs =
        [all, all_but_first, first, none, [], all_names, [1, 0], [first, third, 4, 9],
         [<<"third">>, "first", nomatch], [-1]],
    [show({capture, V, T}, fun() -> re:run("axc", P, [{capture, V, T}]) end)
     || V <- Specs, T <- [index, list, binary]],
    [show({capture2, V}, fun() -> re:run(<<"ab">>, P, [{capture, V}]) end) || V <- Specs],
    show(dupnames,
         fun() ->
                 {ok, MP} = re:compile("(?<n>a)|(?<n>b)", [dupnames]),
                 {re:run("b", MP, [{capture, [n], list}]), re:run("a", MP, [{capture, all_names}]),
                  re:inspect(MP, namelist)}
         end),
    show(inspect, fun() -> {ok, MP} = re:compile("(?<zz>a)(?<aa>b)(c)"), re:inspect(MP, namelist) end),
    show(no_names,
         fun() -> re:run("abc", "(b)", [{capture, all_names, binary}]) end),
    show(sub_binary,
         fun() ->
                 {match, [B]} = re:run(<<"xxabcxx">>, "abc", [{capture, first, binary}]),
                 B
         end).

compiles() ->
    [show({compile, P}, fun() -> re:compile(P) end)
     || P <- ["(", ")", "[a", "a{2,1}", "*", "\\", "x++++", "[z-a]", "(?z)", "a{99999}", "\\c",
              "(?<1a>x)", "a(?#x"]],
    show(compile_ok,
         fun() ->
                 {ok, MP} = re:compile(<<"(a)(b)?">>, [caseless]),
                 {element(1, MP), element(2, MP), element(3, MP), element(4, MP),
                  re:run("xAb", MP), re:run("xA", MP, [{capture, all, list}])}
         end),
    show(compile_crlf,
         fun() -> {ok, MP} = re:compile("a", [{newline, anycrlf}]), {element(4, MP)} end),
    show(compile_unicode,
         fun() -> {ok, MP} = re:compile("ä+", [unicode]), {element(3, MP), re:run("xää", MP)} end),
    show(compile_run_opt, fun() -> re:compile("a", [global]) end),
    show(compile_badopt, fun() -> re:compile("a", [bogus]) end),
    show(run_compile_opt,
         fun() -> {ok, MP} = re:compile("a"), re:run("a", MP, [caseless]) end),
    show(report_errors, fun() -> re:run("a", "(", [report_errors]) end),
    show(no_report, fun() -> re:run("a", "(", []) end).

unicode() ->
    S = "añb€c😀d",
    B = unicode:characters_to_binary(S),
    show(u1, fun() -> re:run(S, ".", [unicode, global, {capture, all, list}]) end),
    show(u2, fun() -> re:run(B, "€(.)", [unicode, {capture, all, binary}]) end),
    show(u3, fun() -> re:run(B, "€(.)", [unicode]) end),
    show(u4, fun() -> re:run(S, "€(.)", [unicode, {capture, all, list}]) end),
    show(u5, fun() -> re:run(S, "\\w+", [unicode, ucp, global, {capture, first, list}]) end),
    show(u6, fun() -> re:run(B, "", [unicode, global]) end),
    show(u7, fun() -> re:run(<<255, 254>>, "a", [unicode]) end),
    show(u8, fun() -> re:run(B, "b", [unicode, {offset, 2}]) end),
    show(u9, fun() -> re:run("ÄÖ", "ä", [unicode, caseless]) end),
    show(u10, fun() -> re:run(<<"ä"/utf8>>, "\\xe4", [unicode]) end),
    show(u11, fun() -> re:replace(S, "€", "E", [unicode, {return, list}]) end),
    show(u12, fun() -> re:split(S, "", [unicode, {return, list}]) end),
    show(u_empty, fun() -> {re:run(<<>>, "€*", [unicode]), re:run([], "€*", [unicode, global])} end),
    show(latin1, fun() -> re:run([228, 98], [228], []) end),
    show(u_list_high, fun() -> re:run([1000], "a", []) end).

globals() ->
    Cases =
        [{"abcabc", "b", []}, {"abc", "", []}, {"abc", "x*", []}, {"a\r\nb", "", [{newline, crlf}]},
         {"aaa", "a*?", []}, {"abcabc", "(b)(c)?", [{capture, all_but_first, list}]},
         {"abcabc", "b", [{offset, 2}]}, {"abc", "b", [{offset, 4}]}, {"abc", "x", []},
         {"abab", "b", [{capture, none}]}, {"abab", "x", [{capture, none}]},
         {"a,b,,c", ",", [{capture, first, binary}]}, {"xyz", "(?=y)|z", []}],
    [show({global, S, P, O}, fun() -> re:run(S, P, [global | O]) end) || {S, P, O} <- Cases].

replace_split() ->
    show(r1, fun() -> re:replace("abcabc", "b", "X", [{return, list}]) end),
    show(r2, fun() -> re:replace("abcabc", "b", "[&]", [global, {return, binary}]) end),
    show(r3, fun() -> re:replace("2024-01-15", "(\\d+)-(\\d+)-(\\d+)", "\\3/\\2/\\1", [{return, list}]) end),
    show(r4, fun() -> re:replace("aaa", "a*", "-", [global, {return, list}]) end),
    show(r5, fun() -> iolist_to_binary(re:replace(<<"hello world">>, "o", "0", [global])) end),
    show(r6, fun() -> re:replace("abc", "(?<x>b)", "\\g{x}\\g1", [{return, list}]) end),
    show(s1, fun() -> re:split("a,b,,c,,", ",") end),
    show(s2, fun() -> re:split("a,b,,c,,", ",", [{return, list}, trim]) end),
    show(s3, fun() -> re:split("a1b2c3", "(\\d)", [{return, list}, group]) end),
    show(s4, fun() -> re:split("a b  c", " +", [{parts, 2}, {return, binary}]) end),
    show(s5, fun() -> re:split("abc", "", [{return, list}]) end).

errors() ->
    show(e1, fun() -> re:run(abc, "a") end),
    show(e2, fun() -> re:run("abc", abc) end),
    show(e4, fun() -> re:run("abc", "a", [{offset, -1}]) end),
    show(e5, fun() -> re:run("abc", "a", [{capture, bogus}]) end),
    show(e6, fun() -> re:run("abc", "a", [{capture, all, bogus}]) end),
    show(e7, fun() -> re:run("abc", "a", foo) end),
    show(e8, fun() -> re:run("abc", {re_pattern, 0, 0, 0, <<"junk">>}) end),
    show(e9, fun() -> re:run("abc", "a", [{newline, foo}]) end),
    show(e10, fun() -> re:run(<<1:3>>, "a") end),
    show(e11, fun() -> re:inspect(foo, namelist) end),
    show(e12, fun() -> {ok, MP} = re:compile("a"), re:inspect(MP, foo) end),
    show(e13, fun() -> re:compile(["a" | b]) end),
    show(e14, fun() -> re:run("abc", "a", [{capture, [a | b]}]) end),
    show(e15, fun() -> re:replace("abc", "(", "x") end),
    show(e16, fun() -> re:split("abc", "b", [bogus]) end).

%% OTP's PCRE is built with ISO Latin-1 character tables: which of the first 256 characters
%% each class holds, in byte and in Unicode mode, and caseless matching above 127.
latin1_tables() ->
    Classes = ["\\w", "\\d", "\\s", "\\W", "[[:alpha:]]", "[[:upper:]]", "[[:lower:]]",
               "[[:punct:]]", "[[:print:]]", "[[:graph:]]", "[[:cntrl:]]", "[[:xdigit:]]",
               "[[:alnum:]]", "[[:blank:]]", "[\\w]", "\\b."],
    [io:format("~s ~w ~w~n",
               [P, [C || C <- lists:seq(0, 255), re:run(<<C>>, "^" ++ P) =/= nomatch],
                [C || C <- lists:seq(0, 255), re:run([C], P, [unicode]) =/= nomatch]])
     || P <- Classes],
    io:format("caseless ~w~n",
              [[{C, D} || C <- lists:seq(160, 255), D <- [C - 32, C + 32], D >= 0, D < 256,
                          re:run(<<C>>, [$^, $\\, $x | integer_to_list(D, 16)], [caseless]) =/= nomatch]]).

%% A corpus of terms for girder's external-term-format tests.
%%
%% corpus:main([Path]) writes, for every term T of terms/0, the bytes of term_to_binary(T),
%% of term_to_binary(T, [compressed]) and the text of io_lib:format("~w", [T]) to Path, then
%% halts. It prints nothing to standard output.
%%
%% File layout (all integers big-endian; a "field" is a u32 byte length, then the bytes):
%%   "GIRDER-ETF-CORPUS 1\n"
%%   field: erlang:system_info(otp_release)
%%   u32:   number of records
%%   each record: field label, field term_to_binary(T),
%%                field term_to_binary(T, [compressed]), field ~w text as UTF-8
-module(corpus).
-export([main/1, terms/0]).

main([Path]) ->
    try
        write(Path),
        erlang:halt(0)
    catch
        Class:Reason:Stack ->
            io:format(standard_error, "corpus failed: ~p:~p~n~p~n", [Class, Reason, Stack]),
            erlang:halt(2)
    end.

write(Path) ->
    Terms = terms(),
    Records = [record(Label, T) || {Label, T} <- Terms],
    Release = list_to_binary(erlang:system_info(otp_release)),
    ok = file:write_file(Path, [<<"GIRDER-ETF-CORPUS 1\n">>, field(Release),
                                <<(length(Records)):32>> | Records]).

record(Label, T) ->
    Text = unicode:characters_to_binary(io_lib:format("~w", [T])),
    [field(unicode:characters_to_binary(Label)), field(term_to_binary(T)),
     field(term_to_binary(T, [compressed])), field(Text)].

field(B) when is_binary(B) -> [<<(byte_size(B)):32>>, B].

%% Every term, labelled.
terms() ->
    rand:seed(exsss, {17, 42, 4711}),
    lists:append([integers(), floats(), atoms(), lists(), tuples(), maps(), binaries(),
                  identifiers(), funs(), mixed()]).

label(Prefix, Terms) ->
    [{Prefix ++ "/" ++ integer_to_list(I), T}
     || {I, T} <- lists:zip(lists:seq(1, length(Terms)), Terms)].

pow(_, 0) -> 1;
pow(B, E) -> B * pow(B, E - 1).

fact(0) -> 1;
fact(N) -> N * fact(N - 1).

integers() ->
    Edges = [0, 1, 2, 127, 128, 255, 256, 257, 65535, 65536, -1, -2, -128, -255, -256,
             2147483647, -2147483648, 2147483648, -2147483649, 4294967295, 4294967296,
             pow(2, 59) - 1, pow(2, 59), -pow(2, 59), pow(2, 60), -pow(2, 60) - 1,
             pow(2, 63) - 1, pow(2, 63), -pow(2, 63), -pow(2, 63) - 1,
             pow(2, 64) - 1, pow(2, 64), -pow(2, 64), pow(2, 64) + 1,
             pow(10, 1000), -pow(10, 1000), fact(300), -fact(300),
             pow(2, 8 * 255) - 1, -(pow(2, 8 * 255) - 1), pow(2, 8 * 255), -pow(2, 8 * 255),
             pow(2, 8 * 256), pow(7, 5000)],
    Random = [rand:uniform(pow(2, rand:uniform(200))) * (rand:uniform(3) - 2)
              || _ <- lists:seq(1, 200)],
    label("int", Edges ++ Random).

float_of_bits(B) ->
    case <<B:64>> of
        <<F:64/float>> -> [F];
        _ -> []
    end.

floats() ->
    Edges = [0.0, -0.0, 1.0, -1.0, 0.1, 0.2, 0.3, 1/3, 2/3, 0.5, 1.5, 100.0, 1000.0,
             10000.0, 12345.678, 12345678.0, 1.0e7, 1.234e7, 1.0e9, 3.0e9, 1.0e10, 1.0e15,
             1.0e16, 1.0e17, 1.0e21, 1.0e22, 1.0e23, 9007199254740992.0,
             9007199254740991.0, 9007199254740990.0, 4503599627370496.0,
             4503599627370497.5, 123456789012345680.0, 123456789012345.6, 0.001, 0.0001,
             0.00012, 1.2e-4, 1.0e-5, 1.5e-5, 1.0e308, -1.0e308, 1.7976931348623157e308,
             -1.7976931348623157e308, 5.0e-324, -5.0e-324, 1.0e-323,
             2.2250738585072014e-308, 2.225073858507201e-308, 2.2250738585072009e-308,
             math:pi(), math:exp(1), -273.15, 6.02214076e23, 1.602176634e-19],
    Scaled = [M * math:pow(10, E)
              || M <- [1, 12, 123, 1.5, 9.999, 1234567, 123456789012345],
                 E <- lists:seq(-25, 25)],
    Pow2 = [math:pow(2, E) || E <- lists:seq(-1074, 1023, 7)],
    Decimal = [rand:uniform(1000000) / pow(10, rand:uniform(12)) || _ <- lists:seq(1, 300)],
    Bits = lists:append([float_of_bits(rand:uniform(pow(2, 64)) - 1)
                         || _ <- lists:seq(1, 1500)]),
    label("float", Edges ++ Scaled ++ Pow2 ++ Decimal ++ Bits).

atoms() ->
    Reserved = ['after', 'and', 'andalso', 'band', 'begin', 'bnot', 'bor', 'bsl', 'bsr',
                'bxor', 'case', 'catch', 'cond', 'div', 'end', 'fun', 'if', 'let', 'not',
                'of', 'or', 'orelse', 'receive', 'rem', 'try', 'when', 'xor', 'maybe', 'else'],
    Plain = ['', a, hello, 'hello world', 'Foo', '_x', '_', a@b, 'a.b', ab_C9, 'a-b', '+',
             '[]', '{}', '\'', '\\', '"', 'it\'s', true, false, undefined, nonode@nohost,
             'é', 'Ä', 'ßx', 'a÷', 'a×', 'ÿ', 'aÀÞ', '\n\t\r\v\b\f\e\d\s',
             '日本', 'a日', 'ä日', list_to_atom([16#1F600]),
             list_to_atom(lists:duplicate(255, $a)),
             list_to_atom(lists:duplicate(255, 16#65E5)),
             list_to_atom(lists:duplicate(85, 16#65E5)),
             list_to_atom(lists:duplicate(86, 16#65E5)),
             list_to_atom(lists:seq(1, 255)),
             list_to_atom(lists:duplicate(255, 255))],
    Singles = [list_to_atom([C]) || C <- lists:seq(0, 255)],
    Pairs = [list_to_atom([$a, C]) || C <- lists:seq(0, 255)] ++
            [list_to_atom([C, $a]) || C <- lists:seq(0, 255)],
    label("atom", Reserved ++ Plain ++ Singles ++ Pairs ++ [Singles]).

deep_list(0) -> [];
deep_list(N) -> [deep_list(N - 1)].

lists() ->
    Ls = ["", "abc", [0], [255], [256], [-1], lists:seq(0, 255), lists:seq(1, 65535),
          lists:duplicate(65535, 7),
          lists:duplicate(65536, 7), lists:duplicate(100000, 1), [1, 2, 300], [1.0, 2],
          [1000, 2000], [a], [a, b, c], [[]], [[], []], deep_list(4), deep_list(1000),
          [a | b], [1 | 2], [1, 2 | 3], [1, 2 | a], [[] | []], [1 | <<>>], [a | {}],
          "abc" ++ abc, [1, 2 | 3.0], [{}, [], #{}], lists:seq(1, 300),
          lists:duplicate(70000, a), [lists:seq(1, 10) | lists:seq(1, 10)],
          lists:foldl(fun(I, Acc) -> [I | Acc] end, tail, lists:seq(1, 10000)),
          lists:foldl(fun(I, Acc) -> [Acc, I] end, [], lists:seq(1, 1000))],
    label("list", Ls).

nest_tuple(0) -> {};
nest_tuple(N) -> {nest_tuple(N - 1)}.

tuples() ->
    Ts = [{}, {a}, {a, b}, {{}}, {1, {2, {3, {}}}},
          list_to_tuple(lists:seq(1, 255)), list_to_tuple(lists:seq(1, 256)),
          list_to_tuple(lists:seq(1, 1000)), list_to_tuple(lists:duplicate(70000, x)),
          nest_tuple(500), nest_tuple(1500), {[], "", <<>>, #{}}],
    label("tuple", Ts).

maps() ->
    Small = #{a => 1, b => [x], c => {}, 1 => one, 1.0 => float_one, "s" => s, <<"b">> => b,
              {t} => t, [] => nil, #{k => v} => map},
    Mk = fun(N) -> maps:from_list([{I, I * I} || I <- lists:seq(1, N)]) end,
    AtomKeys = maps:from_list([{list_to_atom("k" ++ integer_to_list(I)), I}
                               || I <- lists:seq(1, 100)]),
    Mixed = maps:from_list([{K, K} || K <- [a, 1, 2.5, "str", <<"bin">>, {t, 1}, [x],
                                             self(), make_ref(), fun lists:map/2, #{},
                                             -5, pow(2, 70), 'Z', <<1:3>>]]
                           ++ [{I, x} || I <- lists:seq(100, 130)]),
    Ms = [#{}, #{a => 1}, Small, Mk(31), Mk(32), Mk(33), Mk(64), Mk(100), Mk(1000), Mk(5000),
          AtomKeys, Mixed, #{m => Mk(40), n => #{deep => #{deeper => Mk(3)}}},
          #{Mk(2) => Mk(33), Mk(33) => Mk(2)},
          [Mk(I) || I <- lists:seq(0, 40)],
          maps:from_list([{{I, [I]}, <<I>>} || I <- lists:seq(1, 200)]),
          maps:from_list([{float(I), I} || I <- lists:seq(1, 50)])],
    label("map", Ms).

random_bytes(N) -> rand:bytes(N).

binaries() ->
    Bs = [<<>>, <<1>>, <<0>>, <<255>>, <<1, 2, 3>>, <<"hello">>, random_bytes(65),
          random_bytes(255), random_bytes(256), binary:copy(<<0>>, 70000),
          random_bytes(1024 * 1024),
          <<1:1>>, <<0:1>>, <<3:2>>, <<5:3>>, <<9:4>>, <<17:5>>, <<33:6>>, <<127:7>>,
          <<1, 2, 3:5>>, <<0:3>>, <<255, 1:1>>, <<(random_bytes(100))/binary, 3:7>>,
          [<<>>, <<1:1>>, <<"x">>], {<<2:2>>, <<>>}],
    label("binary", Bs).

remote(Bin) -> binary_to_term(Bin).

identifiers() ->
    Node = atom_to_binary('other@host'),
    NA = <<100, (byte_size(Node)):16, Node/binary>>,
    Local = <<100, 0, 13, "nonode@nohost">>,
    Port = case erlang:ports() of
               [P | _] -> P;
               [] -> open_port({spawn, "cat"}, [])
           end,
    Spawned = spawn(fun() -> ok end),
    Ids = [self(), Spawned, list_to_pid("<0.5.6>"), list_to_pid("<0.0.0>"),
           Port, erlang:ports(),
           make_ref(), make_ref(), erlang:alias(), erlang:monitor(process, self()),
           remote(<<131, 90, 0, 3, Local/binary, 0:32, 1:32, 2:32, 3:32>>),
           remote(<<131, 88, Local/binary, 5:32, 6:32, 1:32>>),
           {self(), make_ref(), Port}],
    Remote = [remote(<<131, 88, NA/binary, 1:32, 2:32, 3:32>>),
              remote(<<131, 88, NA/binary, 16#ffffffff:32, 16#ffffffff:32, 16#ffffffff:32>>),
              remote(<<131, 103, NA/binary, 1:32, 2:32, 3>>),
              remote(<<131, 89, NA/binary, 16#12345:32, 7:32>>),
              remote(<<131, 120, NA/binary, 16#12345:64, 7:32>>),
              remote(<<131, 120, NA/binary, 16#123456789:64, 7:32>>),
              remote(<<131, 102, NA/binary, 9:32, 1>>),
              remote(<<131, 90, 0, 1, NA/binary, 9:32, 1:32>>),
              remote(<<131, 90, 0, 4, NA/binary, 9:32, 1:32, 2:32, 3:32, 4:32>>),
              remote(<<131, 90, 0, 5, NA/binary, 9:32, 1:32, 2:32, 3:32, 4:32, 5:32>>),
              remote(<<131, 114, 0, 3, NA/binary, 2, 1:32, 2:32, 3:32>>),
              remote(<<131, 101, NA/binary, 7:32, 1>>)],
    label("id", Ids) ++ label("remote", Remote).

funs() ->
    X = 5,
    Y = {a, [1, 2, 3], <<"bin">>},
    Z = lists:seq(1, 100),
    {value, EvalFun, _} = erl_eval:exprs(element(2, erl_parse:parse_exprs(
                              element(2, erl_scan:string("fun(A) -> A + B end.")))),
                              [{'B', 1}]),
    Fs = [fun() -> ok end, fun(A) -> A + X end, fun(A, B) -> {A, B, X, Y} end,
          fun() -> Z end, fun(_) -> fun() -> X end end, (fun(_) -> fun() -> Y end end)(1),
          fun lists:map/2, fun erlang:'+'/2, fun erlang:self/0, fun ?MODULE:main/1,
          erlang:make_fun('Foo', 'end', 0), erlang:make_fun('a b', '\n', 255),
          erlang:make_fun(a@b, 'x\ey\dz', 1), erlang:make_fun('_', 'Q', 3),
          EvalFun, [fun() -> X end, fun lists:seq/2], {fun() -> Y end}],
    label("fun", Fs).

mixed() ->
    Ms = [{ok, [{a, 1}, {b, <<"x">>}], #{k => [1.5, -2]}},
          [{1, [2, [3, [4, {5}]]]}, "nested", [<<1>> | <<2>>]],
          {error, {badarg, [{mod, fn, 2, [{file, "x.erl"}, {line, 12}]}]}},
          [self(), make_ref(), fun() -> self() end, #{self() => 1}],
          {pow(2, 100), -1.0e-10, 'Quoted Atom', "str", [], {}}],
    label("mixed", Ms).

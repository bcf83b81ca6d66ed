%% OTP's own io_lib (io_lib_format, io_lib_pretty, erl_scan for atom quoting) running on
%% girder: every control sequence with field widths, precision and padding, and ~p line
%% breaking of large terms. Output goes through io:put_chars.
-module(stdlib_io_lib).
-export([main/0]).

main() ->
    P = fun(F, A) -> io:put_chars(io_lib:format(F, A)) end,
    P("~p ~w ~s ~ts~n", [{a, "str", [1, 2]}, 'Quoted atom', "plain", <<"bin"/utf8>>]),
    P("[~10s] [~-10s] [~10.3s] [~.3s]~n", ["right", "left", "truncated", "abcdef"]),
    P("~f ~.2f ~10.3f ~e ~.3e ~g ~g~n", [3.14159, 2.5, -1.0, 1234.5, 0.000123, 0.1, 1.0e20]),
    P("~b ~.16B ~.16b ~.2B ~8.16.0B ~x ~.8X~n", [42, 255, 255, 5, 255, 255, "0x", 8, "0o"]),
    P("~c~c~4c ~i~n", [$a, $b, $z, ignored]),
    P("~~ ~n", []),
    P("~p~n", [lists:seq(1, 40)]),
    P("~p~n", [[{key, lists:duplicate(8, value)}, #{map => [1, 2, 3], other => "text"}]]),
    P("~P~n", [lists:seq(1, 40), 5]),
    P("~W~n", [{deep, {deeper, {deepest, [1, 2, 3]}}}, 3]),
    P("~tp ~p~n", [[1040, 1041], [97, 98]]),
    P("~*c~n", [5, $x]),
    P("~w ~p~n", [1.0e-10, -0.0]),
    io:put_chars([io_lib:write(hello), $\s, io_lib:write_string("quote\"d"), $\n]),
    io:put_chars(io_lib:fwrite("~s~n", [io_lib:write_atom('needs quotes')])),
    ok.

%% Every type-test BIF, both as a guard and as a plain function call, over a
%% sample of every kind of term (pids and refs are tested, never printed).
-module(type_tests).
-export([main/0]).

-record(point, {x, y}).
-record(empty, {}).

samples() ->
    [{int, 42}, {neg, -7}, {big, 1 bsl 100}, {float, 3.5}, {atom, foo},
     {true, true}, {false, false}, {nil, []}, {list, [1, 2]},
     {improper, [1 | 2]}, {string, "abc"}, {tuple, {a, b}}, {empty_tuple, {}},
     {binary, <<1, 2, 3>>}, {bits, <<1:3>>}, {empty_bin, <<>>},
     {map, #{a => 1}}, {empty_map, #{}}, {fun1, fun(X) -> X end},
     {fun2, fun lists:foldl/3}, {pid, self()}, {ref, make_ref()},
     {point, #point{x = 1, y = 2}}, {empty_rec, #empty{}}].

main() ->
    [begin
         io:format("~p guard ~w~n", [Name, guards(V)]),
         io:format("~p body ~w~n", [Name, bodies(V)])
     end || {Name, V} <- samples()],
    io:format("is_function/2 ~w~n",
              [[is_function(F, A) || F <- [fun(_) -> x end, fun lists:foldl/3],
                                     A <- [0, 1, 3]]]),
    io:format("is_function/2 guard ~w~n", [[arity_guard(F) || F <- [fun() -> a end, fun(_, _) -> b end, c]]]),
    io:format("is_record/3 ~w~n",
              [[is_record(#point{}, point, 3), is_record(#point{}, point, 2),
                is_record({point, 1}, point, 2), is_record(#empty{}, empty, 1)]]),
    io:format("is_record/2 ~w~n", [[rec_guard(X) || X <- [#point{}, #empty{}, {point}, point]]]),
    io:format("is_boolean ~w~n", [[is_boolean(X) || X <- [true, false, 'True', 1, []]]]),
    io:format("badarg is_function ~p~n", [catch_error(fun() -> is_function(fun() -> ok end, -1) end)]),
    ok.

arity_guard(F) when is_function(F, 0) -> zero;
arity_guard(F) when is_function(F, 2) -> two;
arity_guard(_) -> neither.

rec_guard(X) when is_record(X, point) -> point;
rec_guard(X) when is_record(X, empty) -> empty;
rec_guard(_) -> no.

catch_error(F) -> try F() catch error:R -> {error, R} end.

%% One letter per test, upper case when it holds.
guards(X) ->
    [g(atom, X), g(integer, X), g(float, X), g(number, X), g(list, X),
     g(tuple, X), g(binary, X), g(bitstring, X), g(function, X), g(pid, X),
     g(reference, X), g(map, X), g(boolean, X), g(record, X), g(port, X)].

g(atom, X) when is_atom(X) -> 'A';
g(integer, X) when is_integer(X) -> 'I';
g(float, X) when is_float(X) -> 'F';
g(number, X) when is_number(X) -> 'N';
g(list, X) when is_list(X) -> 'L';
g(tuple, X) when is_tuple(X) -> 'T';
g(binary, X) when is_binary(X) -> 'B';
g(bitstring, X) when is_bitstring(X) -> 'S';
g(function, X) when is_function(X) -> 'U';
g(pid, X) when is_pid(X) -> 'P';
g(reference, X) when is_reference(X) -> 'R';
g(map, X) when is_map(X) -> 'M';
g(boolean, X) when is_boolean(X) -> 'O';
g(record, X) when is_record(X, point, 3) -> 'C';
g(port, X) when is_port(X) -> 'Q';
g(Test, _) -> lower(Test).

lower(Test) -> list_to_atom([hd(atom_to_list(Test))]).

bodies(X) ->
    Results = [is_atom(X), is_integer(X), is_float(X), is_number(X),
               is_list(X), is_tuple(X), is_binary(X), is_bitstring(X),
               is_function(X), is_pid(X), is_reference(X), is_map(X),
               is_boolean(X), is_record(X, point, 3), is_port(X)],
    [case R of true -> 1; false -> 0 end || R <- Results].

%% The runtime's error reasons: badarg, badarith, badmatch, case_clause,
%% if_clause, function_clause, undef (missing function and missing module),
%% badfun, badarity, try_clause, badkey/badmap, system_limit.
-module(error_reasons).
-export([main/0, exported/1]).

-compile([nowarn_unused_vars]).

main() ->
    Zero = zero(),
    Cases = [{element, fun() -> element(1, atom()) end},
             {atom_to_list, fun() -> atom_to_list(lists:seq(1, 3)) end},
             {list_to_integer, fun() -> list_to_integer(ret("12x")) end},
             {int_div, fun() -> 1 div Zero end},
             {float_div, fun() -> 1 / Zero end},
             {rem_zero, fun() -> 7 rem Zero end},
             {add_atom, fun() -> atom() + 1 end},
             {bnot_float, fun() -> bnot float() end},
             {bsl_atom, fun() -> 1 bsl atom() end},
             {float_overflow, fun() -> float() * 1.0e308 * 10.0 end},
             {badmatch, fun() -> {ok, _} = ret(error) end},
             {badmatch_int, fun() -> 1 = ret(2) end},
             {case_clause, fun() -> case ret(c) of a -> 1; b -> 2 end end},
             {if_clause, fun() -> X = ret(5), if X > 10 -> big; X < 0 -> neg end end},
             {function_clause, fun() -> only_ints(x) end},
             {function_clause_arity2, fun() -> two(1, b) end},
             {undef_function, fun() -> ?MODULE:missing(1) end},
             {undef_module, fun() -> no_such_module_xyz:f(1) end},
             {undef_dynamic, fun() -> (ret(lists)):no_such_fun() end},
             {undef_arity, fun() -> ?MODULE:exported(1, 2) end},
             {badfun, fun() -> (ret(not_a_fun))(1) end},
             {badfun_tuple, fun() -> (ret({m, f}))() end},
             {badarity, fun() -> (ret(fun(A) -> A end))(1, 2) end},
             {try_clause, fun() -> try ret(3) of 1 -> one after ok end end},
             {badkey, fun() -> map_get(b, ret(#{a => 1})) end},
             {badkey_syntax, fun() -> (ret(#{a => 1}))#{b := 2} end},
             {badmap, fun() -> (ret(not_map))#{a => 1} end},
             {tuple_size, fun() -> tuple_size(ret([])) end},
             {hd, fun() -> hd(ret([])) end},
             {length, fun() -> length(ret(improper)) end},
             {list_to_atom, fun() -> list_to_atom(ret([a])) end},
             {binary_part, fun() -> binary_part(ret(<<1, 2>>), 1, 5) end},
             {integer_to_list, fun() -> integer_to_list(ret(1.5)) end},
             {system_limit, fun() -> list_to_atom(lists:duplicate(300, $a)) end},
             {exit_normal, fun() -> exit(normal) end},
             {nocatch, fun() -> throw(ret(uncaught)) end}],
    [io:format("~p ~p~n", [Name, run(F)]) || {Name, F} <- Cases],
    ok.

zero() -> 0.
atom() -> an_atom.
float() -> 1.5.
ret(X) -> X.

only_ints(X) when is_integer(X) -> X.

two(A, a) -> A.

exported(X) -> X.

run(F) ->
    try F() of
        V -> {no_error, V}
    catch
        error:{badarity, {Fun, Args}} when is_function(Fun) ->
            {error, {badarity, {'Fun', Args}}};
        Class:Reason -> {Class, Reason}
    end.

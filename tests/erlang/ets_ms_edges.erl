%% ETS match specifications at their edges: variable names, constants, tuple
%% construction, every guard function OTP 25 allows in a table specification (and some it
%% refuses), guard and body errors.
-module(ets_ms_edges).
-export([main/0]).

r(F) -> try F() of V -> {ok, V} catch C:R -> {C, R} end.

main() ->
    T = ets:new(t, [ordered_set]),
    ets:insert(T, [{1, [a|b], <<"x">>, #{k => v}}, {2, [], <<>>, #{}}]),
    MSs = [
      [{{'$100000000', '_', '_', '_'}, [], ['$100000000']}],
      [{{'$100000001', '_', '_', '_'}, [], [x]}],
      [{{'$01', '_', '_', '_'}, [], ['$01']}],
      [{{'$0', '_', '_', '_'}, [], ['$0']}],
      [{{'$1', '$2', '_', '_'}, [{is_list, '$2'}], [{hd, '$2'}, {tl, '$2'}]}],
      [{{'$1', '_', '_', '_'}, [{const}], [x]}],
      [{{'$1', '_', '_', '_'}, [], [{const, 1, 2}]}],
      [{{'$1', '_', '_', '_'}, [], [{}]}],
      [{{'$1', '_', '_', '_'}, [], [{{}}]}],
      [{{'$1', '_', '_', '_'}, [], ['_']}],
      [{{'$1', '_', '_', '_'}, [], [[]]}],
      [{{'$1', '_', '_', '_'}, [], [{element, '$1', {{a, b}}}]}],
      [{{'$1', '_', '_', '_'}, [], [{'andalso'}]}],
      [{{'$1', '_', '_', '_'}, [{'andalso', true, '$1'}], [ok]}],
      [{{'$1', '_', '_', '_'}, [{'orelse', '$1', true}], [ok]}],
      [{{'$1', '_', '_', '_'}, [{'and', true, true, true}], [ok]}],
      [{{'$1', '_', '_', '_'}, [{'or', false, false}], [ok]}],
      [{{'$1', '_', '_', '_'}, ['$1'], [ok]}],
      [{{'$1', '_', '_', '_'}, [true | false], [ok]}],
      [{{'$1', '_', '_', '_'}, [], [ok | x]}],
      [{{'$1', '_', '$3', '_'}, [], [{byte_size, '$3'}, {binary_part, '$3', 0, 1}]}],
      [{{'$1', '_', '_', '$4'}, [], [{map_get, k, '$4'}]}],
      [{{'$1', '_', '_', #{k => '$2'}}, [], ['$2']}],
      [{{'$1', '_', '_', #{'$3' => v}}, [], ['$1']}],
      [{{'$1', '_', '_', '_'}, [], [{is_record, '$1', foo, 2}]}],
      [{{'$1', '_', '_', '_'}, [], [{max, 1, 2}]}],
      [{{'$1', '_', '_', '_'}, [], [{is_boolean, true}]}],
      [{{'$1', '_', '_', '_'}, [], [{is_seq_trace}]}],
      [{{'$1', '_', '_', '_'}, [], [{self, x}]}],
      [{{'$1', '_', '_', '_'}, [], [{node, '$1'}]}],
      [{{'$1', '_', '_', '_'}, [], [{length, [1|2]}]}],
      [{{'$1', '_', '_', '_'}, [], [{'+', 1 bsl 62, 1 bsl 62}]}],
      [{{'$1', '_', '_', '_'}, [], [{'/', 1, 0}]}],
      [{{'$1', '_', '_', '_'}, [], [{'-', '$1'}]}],
      [{{'$1', '_', '_', '_'}, [], [{'bnot', '$1'}, {'bsl', 1, 100}]}],
      [{{'$1', '_', '_', '_'}, [], [{float, '$1'}, {round, 2.5}, {trunc, -2.5}]}],
      [{{'$1', '_', '_', '_'}, [], ['$$', '$_', '$*']}],
      [{'$1', [], ['$1']}],
      [{['$1'], [], ['$1']}],
      [{{'$1', '$1', '_', '_'}, [], ['$1']}],
      [{{'_', '_', '_', '_'}, [], ['$$']}],
      [{{'$1', '_', '_', '_'}, [], [{get_tcw}]}],
      [{{'$1', '_', '_', '_'}, [], [{display, '$1'}]}],
      [{{'$1', '_', '_', '_'}, [], [{caller}]}],
      [{{'$1', '_', '_', '_'}, [], [{return_trace}]}],
      [{{'$1', '_', '_', '_'}, [], [{message, x}]}],
      [{{'$1', '_', '_', '_'}, [], [{size, {{1,2,3}}}, {tuple_size, {{}}}]}]
    ],
    [io:format("~w~n", [r(fun() -> ets:select(T, MS) end)]) || MS <- MSs],
    U = ets:new(u, [ordered_set]),
    ets:insert(U, [{1}]),
    Fs = [
          {is_atom,1},{is_float,1},{is_integer,1},{is_list,1},{is_number,1},{is_pid,1},{is_port,1},{is_reference,1},{is_tuple,1},{is_map,1},{is_map_key,2},{is_binary,1},{is_function,1},{is_function,2},{is_record,3},{is_boolean,1},{is_bitstring,1},{abs,1},{element,2},{hd,1},{tl,1},{length,1},{map_get,2},{map_size,1},{node,0},{node,1},{round,1},{trunc,1},{float,1},{size,1},{bit_size,1},{byte_size,1},{tuple_size,1},{binary_part,2},{binary_part,3},{'+',1},{'+',2},{'-',1},{'-',2},{'*',2},{'/',2},{'div',2},{'rem',2},{'band',2},{'bor',2},{'bxor',2},{'bnot',1},{'bsl',2},{'bsr',2},{'>',2},{'>=',2},{'<',2},{'=<',2},{'=:=',2},{'==',2},{'=/=',2},{'/=',2},{'not',1},{'xor',2},{'and',2},{'or',2},{'andalso',2},{'orelse',2},{self,0},{min,2},{max,2},{get_tcw,0},{is_seq_trace,0},{ceil,1},{floor,1},{list_to_atom,1}],
    [io:format("~w~n", [{F, A, element(1, r(fun() ->
        ets:select(U, [{{'$1'}, [], [list_to_tuple([F | lists:duplicate(A, 1)])]}])
     end))}]) || {F, A} <- Fs],
    Odd = [[{{'$1', '_', '_', '_'}, [], [{size, {{1, 2, 3}}}]}],
           [{{'$1', '_', '_', '_'}, [], [{{}}]}],
           [{{'$1', '_', '_', '_'}, [], [{{{}}}]}],
           [{{'$1', '_', '_', '_'}, [], [{const, {}}]}],
           [{{'$1', '_', '_', '_'}, [], [{node, self}]}],
           [{{'$1', '_', '_', '_'}, [], [{node, {self}}]}],
           [{{'$4294967296', '_', '_', '_'}, [], ['$4294967296']}],
           [{{'$99999999999', '_', '_', '_'}, [], [x]}],
           [{{'$1', '_', '_', '_'}, [], [{is_record, {{foo, 1}}, foo, 2}]}]],
    [io:format("~w~n", [r(fun() -> ets:select(T, MS) end)]) || MS <- Odd],
    long(),
    ok.

%% Long constants: whole in a head; in guards and bodies OTP's compiler stops at a depth.
long() ->
    R = fun(F) ->
                try F() of
                    V -> {ok, V}
                catch
                    error:E:St -> [{M, Fn, _, I} | _] = St, {E, M, Fn, I}
                end
        end,
    T = ets:new(t, [ordered_set]),
    L = lists:seq(1, 20000),
    ets:insert(T, [{1, L}, {2, [x | L]}, {3, a}]),
    io:format("~w~n", [ets:select(T, [{{'$1', L}, [], ['$1']}])]),
    io:format("~w~n", [ets:match(T, {'$1', [x | '_']})]),
    io:format("~w~n", [ets:select_count(T, [{{'_', '$2'}, [{'=:=', '$2', {const, L}}],
                                             [true]}])]),
    [io:format("~w~n", [R(fun() ->
                                  length(hd(ets:select(T, [{{3, '_'}, [], [lists:seq(1, N)]}])))
                          end)]) || N <- [3190, 3191, 20000]],
    [io:format("~w~n", [R(fun() ->
                                  ets:select(T, [{{3, '_'}, [{is_list, lists:seq(1, N)}], [x]}])
                          end)]) || N <- [3189, 3190]],
    io:format("~w~n", [R(fun() -> ets:match_spec_compile([{{3, '_'}, [], [L]}]) end)]),
    ets:delete(T).

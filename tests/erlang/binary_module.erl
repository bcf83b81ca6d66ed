-module(binary_module).
%% binary: searching with scopes and compiled patterns, split, errors, referenced sizes; os clocks; string numbers.
-export([main/0]).
t(F) -> try F() catch C:E -> {C, E} end.
main() ->
    B = <<"abcabcab">>,
    L = [fun() -> binary:match(B, <<"c">>, [{scope, {3, 5}}]) end,
         fun() -> binary:match(B, <<"c">>, [{scope, {8, -5}}]) end,
         fun() -> binary:matches(B, [<<"ab">>, <<"abc">>, <<"b">>]) end,
         fun() -> binary:match(B, <<>>) end,
         fun() -> binary:match(B, []) end,
         fun() -> binary:match(B, <<"a">>, [{scope, {9, 1}}]) end,
         fun() -> binary:match(B, <<"a">>, [bad]) end,
         fun() -> binary:matches(B, binary:compile_pattern([<<"a">>, <<"ca">>])) end,
         fun() -> binary:match(<<1:3>>, <<"a">>) end,
         fun() -> binary:at(B, 8) end,
         fun() -> binary:first(<<>>) end,
         fun() -> binary:copy(B, -1) end,
         fun() -> binary:copy(<<"x">>, 0) end,
         fun() -> binary:longest_common_prefix([]) end,
         fun() -> binary:longest_common_prefix([<<"a">>]) end,
         fun() -> binary:longest_common_suffix([<<"a">>, x]) end,
         fun() -> binary:list_to_bin(<<"a">>) end,
         fun() -> binary:list_to_bin([1, 300]) end,
         fun() -> binary:referenced_byte_size(binary:part(binary:copy(<<"x">>, 100), 1, 3)) end,
         fun() -> binary:split(B, <<"c">>, [global, {scope, {0, 4}}]) end,
         fun() -> binary:replace(B, [<<"a">>, <<"bc">>], <<"-">>, [global]) end,
         fun() -> binary:matches(B, <<"a">>, [{scope, {2, 3}}]) end,
         fun() -> binary:compile_pattern(<<>>) end,
         fun() -> os:perf_counter(1000) > 0 end,
         fun() -> erlang:convert_time_unit(os:perf_counter(), perf_counter, second) >= 0 end,
         fun() -> string:to_integer(<<"12ab">>) end,
         fun() -> string:to_float("1.0e5") end],
    [io:format("~p~n", [t(F)]) || F <- L].

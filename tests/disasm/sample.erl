%% A module exercising many operand kinds, for the `girder disasm` command tests.
-module(sample).
-export([fib/1, shapes/1, literals/0, catcher/1, waiter/1, bits/1, closure/1, big/1]).

-record(point, {x = 0, y = 0}).

fib(N) when N < 2 -> N;
fib(N) -> fib(N - 1) + fib(N - 2).

shapes({circle, R}) -> 3.14159 * R * R;
shapes({rect, W, H}) -> W * H;
shapes(#point{x = X, y = Y}) -> X + Y;
shapes(L) when is_list(L) -> lists:reverse(L);
shapes(M) when is_map_key(k, M) -> M#{k := done, 'Quoted atom' => <<"bin">>}.

literals() ->
    {[1, 2, 3], "text", #{a => 1, b => [x]}, <<1, 2, 3>>, 1.5e300, -0.0, 'hello world'}.

catcher(F) ->
    try F() of
        V -> {ok, V}
    catch
        throw:T -> {thrown, T};
        error:E:St -> {error, E, length(St)}
    after
        erlang:put(done, true)
    end.

waiter(T) ->
    receive
        {msg, X} -> X
    after T -> timeout
    end.

bits(<<A:3, B:5/little-signed, Rest/binary>>) -> {A, B, <<Rest/binary, "end">>};
bits(_) -> nomatch.

closure(N) -> fun(X) -> X + N end.

big(X) -> X * 123456789012345678901234567890.

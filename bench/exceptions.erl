%% Exceptions: throw/catch, error/try with class patterns, the old-style catch
%% expression and try...after, in a loop, with the stack a few frames deep at the raise.
-module(exceptions).
-export([main/0, main/1]).

main() -> main([full]).

main([Size]) ->
    bench_harness:measure(exceptions, fun(S) -> run(n(S)) end, Size).

n(quick) -> 5000;
n(full) -> 3000000.

run(N) -> run(N, 0).

run(0, Acc) -> Acc;
run(N, Acc) ->
    A = try deep(3, N) of
            V -> V
        catch
            throw:{found, X} -> X;
            error:{bad, X} -> -X
        end,
    B = case catch deep(2, N + 1) of
            {'EXIT', {{bad, Y}, _}} -> Y;
            {found, Y} -> Y * 2;
            Y -> Y
        end,
    C = try
            guarded(N)
        after
            put(last, N)
        end,
    run(N - 1, (Acc + A + B + C) rem 1000000007).

deep(0, N) when N rem 3 =:= 0 -> throw({found, N});
deep(0, N) when N rem 3 =:= 1 -> error({bad, N});
deep(0, N) -> N;
deep(D, N) -> 1 + deep(D - 1, N).

guarded(N) ->
    try
        element(N rem 4, {a, b, c})
    catch
        error:badarg -> 7
    end,
    N rem 11.


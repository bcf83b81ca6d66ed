%% erl_prim_loader's path (what the boot script's path steps set) and get_modules/2,3,
%% which read object files from it and hand each to a fun.
-module(prim_loader_api).
-export([main/0]).

main() ->
    Root = code:root_dir(),
    Rel = fun(F) -> case lists:prefix(Root, F) of true -> "$ROOT" ++ lists:nthtail(length(Root), F); false -> other end end,
    {ok, Path} = erl_prim_loader:get_path(),
    io:format("path: ~p~n", [[Rel(P) || P <- Path, lists:prefix(Root, P)]]),
    Fun = fun(M, F, B) -> {ok, {M, Rel(F), is_binary(B) andalso byte_size(B) > 100}} end,
    {ok, {S1, F1}} = erl_prim_loader:get_modules([lists, nosuchmod, ets, gen_server], Fun),
    io:format("get_modules/2: ~p ~p~n", [lists:sort(S1), lists:sort(F1)]),
    Dirs = ["/nonexistent", filename:join(Root, "no/such/dir") | [P || P <- Path, lists:prefix(Root, P)]],
    {ok, {S2, F2}} = erl_prim_loader:get_modules([lists, dict], Fun, Dirs),
    io:format("get_modules/3: ~p ~p~n", [lists:sort(S2), lists:sort(F2)]),
    Odd = fun(lists, _, _) -> error(boom);
             (ets, _, _) -> {error, refused};
             (dict, _, _) -> strange;
             (M, _, _) -> {ok, M} end,
    {ok, {S3, F3}} = erl_prim_loader:get_modules([lists, ets, dict, queue], Odd),
    io:format("odd funs: ~p ~p~n", [lists:sort(S3), lists:sort(F3)]),
    io:format("empty: ~p~n", [erl_prim_loader:get_modules([], Fun, [])]),
    io:format("nowhere: ~p~n", [erl_prim_loader:get_modules([lists], Fun, [])]),
    ok.

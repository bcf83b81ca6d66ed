%% OTP's inets: httpc against httpd, both in this VM, on 127.0.0.1 (over gen_tcp).
-module(inets_httpc).
-export([main/0]).

main() ->
    Root = filename:absname("inets_httpc_" ++ os:getpid()),
    Docs = filename:join(Root, "www"),
    ok = filelib:ensure_dir(filename:join(Docs, "x")),
    ok = file:write_file(filename:join(Docs, "index.html"), <<"hello from httpd\n">>),
    ok = file:write_file(filename:join(Docs, "big.txt"), binary:copy(<<"0123456789abcdef">>, 20000)),
    ok = application:start(inets),
    {ok, Pid} = inets:start(httpd, [{port, 0}, {server_name, "girder"}, {server_root, Root},
                                    {document_root, Docs}, {bind_address, {127,0,0,1}}]),
    Port = proplists:get_value(port, httpd:info(Pid)),
    Url = fun(Path) -> "http://127.0.0.1:" ++ integer_to_list(Port) ++ Path end,
    Get = fun(Path) -> httpc:request(get, {Url(Path), []}, [{timeout, 10000}], [{body_format, binary}]) end,
    {ok, {{V, 200, Phrase}, Headers, Body}} = Get("/index.html"),
    io:format("get: ~p ~p ~p~n", [V, Phrase, Body]),
    io:format("headers: ~p~n", [[{K, proplists:get_value(K, Headers)} || K <- ["content-length", "content-type"]]]),
    {ok, {{_, 200, _}, _, Big}} = Get("/big.txt"),
    io:format("big: ~p ~p~n", [byte_size(Big), Big =:= binary:copy(<<"0123456789abcdef">>, 20000)]),
    {ok, {{_, Code, _}, _, _}} = Get("/missing.html"),
    io:format("missing: ~p~n", [Code]),
    {ok, {{_, HCode, _}, HHeaders, HBody}} = httpc:request(head, {Url("/index.html"), []}, [{timeout, 10000}], []),
    io:format("head: ~p ~p ~p~n", [HCode, proplists:get_value("content-length", HHeaders), HBody]),
    Many = [Get("/index.html") || _ <- lists:seq(1, 20)],
    io:format("keep-alive: ~w~n", [lists:usort([element(2, element(1, B)) || {ok, B} <- Many])]),
    ok = inets:stop(httpd, Pid),
    io:format("stopped: ~p~n", [element(1, Get("/index.html"))]),
    [ok = file:delete(filename:join(Docs, F)) || F <- ["index.html", "big.txt"]],
    ok = file:del_dir(Docs),
    ok = file:del_dir(Root),
    ok.

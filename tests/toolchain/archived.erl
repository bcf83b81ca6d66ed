%% The main module of the archive escripts crates/girder-cli/tests/as_erl.rs builds
%% (escript:create/2 with {archive, ...}): it and archived_helper are loaded from
%% the archive, and it reads the archive through erl_prim_loader as OTP's code does.
-module(archived).
-export([main/1]).

-include_lib("kernel/include/file.hrl").

main(Args) ->
    Archive = filename:absname(escript:script_name()),
    io:format("args ~p~n", [Args]),
    io:format("loaded ~p~n", [code:is_loaded(?MODULE)]),
    io:format("path ~p~n", [lists:sublist(code:get_path(), 3)]),
    io:format("helper ~p from ~p~n",
              [archived_helper:double(21), code:which(archived_helper)]),
    {ok, Top} = erl_prim_loader:list_dir(Archive),
    io:format("top ~p~n", [lists:sort(Top)]),
    Data = filename:join([Archive, "data", "greeting.txt"]),
    io:format("data ~p~n", [erl_prim_loader:get_file(Data)]),
    io:format("data info ~p~n", [erl_prim_loader:read_file_info(Data)]),
    {ok, #file_info{type = TopType}} = erl_prim_loader:read_file_info(Archive),
    io:format("top type ~p~n", [TopType]),
    {ok, #file_info{type = DirType}} =
        erl_prim_loader:read_file_info(filename:dirname(Data)),
    io:format("data dir ~p ~p~n",
              [erl_prim_loader:list_dir(filename:dirname(Data)), DirType]),
    io:format("missing ~p ~p ~p~n",
              [erl_prim_loader:get_file(filename:join(Archive, "nothing")),
               erl_prim_loader:list_dir(filename:join(Archive, "nothing")),
               erl_prim_loader:read_file_info(filename:join(Archive, "nothing"))]),
    {ok, Sections} = escript:extract(escript:script_name(), []),
    io:format("sections ~p~n", [[K || {K, _} <- Sections]]),
    io:format("undef ~p~n", [catch archived_nothing:f()]),
    io:format("~ts~n", [io_lib:format("~p", [lists:seq(1, 5)])]).

%% girder's code server: the process OTP's `code` module talks to, registered as
%% `code_server`, with OTP's protocol (`call/1`: {code_call, From, Request} ->
%% {code_server, Reply}). Loading is native in girder (modules load from the code
%% path on first call), so this server answers from that: the code path, loading
%% a module (from the path, or from a binary) through erlang:load_module/2 as
%% OTP's does (the current code becomes old; a module with old code is refused
%% with not_purged), deleting one, purging through OTP's erts_code_purger (which
%% kills the processes still running old code), sticky directories and modules
%% (a sticky module is not replaced: sticky_directory), the directories of the OTP
%% installation, changing the code path (set_path, add_path(s), del_path,
%% replace_path, as OTP's), an escript's primary archive. Other requests raise
%% `{notsup, {code_server, Request}}` in the caller.
-module(code_server).
-export([start_link/1, call/1]).
-export([init/3]).

start_link([Root, Mode]) ->
    Ref = make_ref(),
    _ = spawn_link(?MODULE, init, [self(), Ref, {Root, Mode}]),
    receive
        {Ref, Res} -> Res
    end.

init(Parent, Ref, {Root, Mode}) ->
    register(?MODULE, self()),
    process_flag(trap_exit, true),
    Parent ! {Ref, {ok, self()}},
    loop(Parent, #{root => Root, mode => Mode, sticky => #{}}).

loop(Parent, State) ->
    receive
        {code_call, From, Req} ->
            {Reply, State1} = request(Req, State),
            From ! {?MODULE, Reply},
            loop(Parent, State1);
        {'EXIT', Parent, Reason} ->
            exit(Reason);
        _Other ->
            loop(Parent, State)
    end.

call(Req) ->
    Ref = erlang:monitor(process, ?MODULE),
    ?MODULE ! {code_call, self(), Req},
    receive
        {?MODULE, {notsup, _} = NotSup} ->
            erlang:demonitor(Ref, [flush]),
            erlang:error({notsup, {?MODULE, Req}}, [NotSup]);
        {?MODULE, Reply} ->
            erlang:demonitor(Ref, [flush]),
            Reply;
        {'DOWN', Ref, process, _, _} ->
            exit({'DOWN', ?MODULE, Req})
    end.

handle(get_path, _) ->
    girder_code:get_path();
handle({set_path, Dirs}, _) when is_list(Dirs) ->
    case check_path(Dirs) of
        {ok, Path} -> girder_code:set_path(Path);
        Error -> Error
    end;
handle({add_path, Where, Dir}, _) when Where =:= first; Where =:= last ->
    case check_path([Dir]) of
        {ok, [D]} -> girder_code:set_path(add(Where, D, girder_code:get_path()));
        Error -> Error
    end;
handle({add_paths, Where, Dirs}, _) when Where =:= first; Where =:= last ->
    Good = [D || Dir <- Dirs, {ok, [D]} <- [check_path([Dir])]],
    girder_code:set_path(lists:foldl(fun(D, P) -> add(Where, D, P) end,
                                     girder_code:get_path(), Good)),
    ok;
handle({del_path, Name}, _) when is_list(Name); is_atom(Name) ->
    Path = girder_code:get_path(),
    case find_dir(to_list(Name), Path) of
        false -> false;
        Dir -> girder_code:set_path(lists:delete(Dir, Path))
    end;
handle({replace_path, Name, Dir}, _) when is_atom(Name); is_list(Name) ->
    case check_path([Dir]) of
        {ok, [D]} ->
            Path = girder_code:get_path(),
            case find_dir(to_list(Name), Path) of
                false -> girder_code:set_path(Path ++ [D]);
                Old -> girder_code:set_path([case P of Old -> D; _ -> P end
                                             || P <- Path])
            end;
        _ ->
            {error, bad_directory}
    end;
handle(get_mode, #{mode := Mode}) ->
    Mode;
%% code:set_primary_archive/4 (escript, for an archive body): the archive's
%% directories go on the code path (code.erl adds them).
handle({set_primary_archive, File, Bin, FileInfo, ParserFun}, #{mode := Mode}) ->
    case erl_prim_loader:set_primary_archive(File, Bin, FileInfo, ParserFun) of
        {ok, Dirs} -> {ok, Mode, Dirs};
        {error, _} = Error -> Error
    end;
handle({ensure_loaded, M}, _) when is_atom(M) ->
    load(M);
handle({load_file, M}, State) when is_atom(M) ->
    case erlang:module_loaded(M) of
        true ->
            case get_object_code(M) of
                {M, Bin, File} -> try_load(M, File, Bin, State);
                error -> {error, nofile}
            end;
        false ->
            load(M)
    end;
%% As OTP's: loading a binary over a loaded module purges its old code first.
handle({load_binary, M, File, Bin}, State) when is_atom(M), is_binary(Bin) ->
    case erlang:module_loaded(M) of
        true -> _ = erts_code_purger:purge(M);
        false -> ok
    end,
    try_load(M, File, Bin, State);
%% code:load_abs/1,2 (c:c/1 loads what it compiled so).
handle({load_abs, File, M}, State) when is_list(File), is_atom(M) ->
    Path = File ++ ".beam",
    case erl_prim_loader:get_file(Path) of
        {ok, Bin, _} -> try_load(M, Path, Bin, State);
        error -> {error, nofile}
    end;
handle({delete, M}, _) when is_atom(M) ->
    case catch erlang:delete_module(M) of
        true -> true;
        _ -> false
    end;
handle({purge, M}, _) when is_atom(M) ->
    {_WasOld, DidKill} = erts_code_purger:purge(M),
    DidKill;
handle({soft_purge, M}, _) when is_atom(M) ->
    erts_code_purger:soft_purge(M);
handle({get_object_code, M}, _) when is_atom(M) ->
    get_object_code(M);
handle({is_loaded, M}, _) when is_atom(M) ->
    case erlang:module_loaded(M) of
        true -> {file, loaded_from(M)};
        false -> false
    end;
handle({dir, root_dir}, #{root := Root}) ->
    Root;
handle({dir, lib_dir}, #{root := Root}) ->
    filename:append(Root, "lib");
handle({dir, {lib_dir, App}}, #{root := Root}) when is_atom(App); is_list(App) ->
    lib_dir(Root, to_list(App));
handle({dir, {lib_dir, App, Sub}}, #{root := Root}) when is_atom(App), is_atom(Sub) ->
    case lib_dir(Root, to_list(App)) of
        {error, _} = E -> E;
        Dir -> filename:append(Dir, atom_to_list(Sub))
    end;
handle({dir, {priv_dir, App}}, #{root := Root}) when is_atom(App); is_list(App) ->
    case lib_dir(Root, to_list(App)) of
        {error, _} = E -> E;
        Dir -> filename:append(Dir, "priv")
    end;
handle({is_sticky, M}, #{sticky := Sticky}) when is_atom(M) ->
    erlang:module_loaded(M) andalso maps:is_key(M, Sticky);
%% [{Module, File | preloaded}] of every loaded module (edlin_expand completes
%% module names from it): the path's directories listed once for them all.
handle(all_loaded, _) ->
    Files = lists:foldr(
              fun(D, Acc) ->
                      case erl_prim_loader:list_dir(D) of
                          {ok, Names} ->
                              maps:merge(Acc, maps:from_list(
                                                [{N, filename:append(D, N)}
                                                 || N <- Names]));
                          error ->
                              Acc
                      end
              end, #{}, girder_code:get_path()),
    [{M, maps:get(atom_to_list(M) ++ ".beam", Files, preloaded)}
     || M <- erlang:loaded()];
handle(_Req, _) ->
    {notsup, request}.

%% The requests that change the server's state; the others answer from it.
request({stick_dir, Dir}, State) when is_list(Dir) ->
    stick_dir(Dir, true, State);
request({unstick_dir, Dir}, State) when is_list(Dir) ->
    stick_dir(Dir, false, State);
request({stick_mod, M}, #{sticky := Sticky} = State) when is_atom(M) ->
    {true, State#{sticky := Sticky#{M => true}}};
request({unstick_mod, M}, #{sticky := Sticky} = State) when is_atom(M) ->
    {true, State#{sticky := maps:remove(M, Sticky)}};
request(Req, State) ->
    {handle(Req, State), State}.

%% OTP's: every module file of Dir becomes sticky (or not): once loaded, it is
%% not replaced.
stick_dir(Dir, Stick, #{sticky := Sticky} = State) ->
    case erl_prim_loader:list_dir(Dir) of
        {ok, Names} ->
            Mods = [list_to_atom(filename:basename(N, ".beam"))
                    || N <- Names, filename:extension(N) =:= ".beam"],
            Sticky1 = case Stick of
                          true -> maps:merge(Sticky, maps:from_keys(Mods, true));
                          false -> maps:without(Mods, Sticky)
                      end,
            {ok, State#{sticky := Sticky1}};
        error ->
            {error, State}
    end.

%% OTP's try_load_module: a sticky module is refused, anything else goes
%% through erlang:load_module/2; failures are logged as OTP's code server logs
%% them.
try_load(M, File, Bin, #{sticky := Sticky}) ->
    case erlang:module_loaded(M) andalso maps:is_key(M, Sticky) of
        true ->
            error_msg("Can't load module '~w' that resides in sticky dir\n", [M]),
            {error, sticky_directory};
        false ->
            case erlang:load_module(M, Bin) of
                {module, M} = Loaded ->
                    Loaded;
                {error, What} = Error ->
                    error_msg("Loading of ~ts failed: ~p\n", [File, What]),
                    Error
            end
    end.

%% As OTP's code server logs (not through logger:error/3, which it avoids).
error_msg(Format, Args) ->
    _ = try
            logger ! {log, error, Format, Args,
                      #{pid => self(),
                        gl => group_leader(),
                        time => os:system_time(microsecond),
                        error_logger => #{tag => error}}}
        catch _:_ ->
                erlang:display({?MODULE, error}),
                erlang:display({Format, Args})
        end,
    ok.

get_object_code(M) ->
    case loaded_from(M) of
        preloaded ->
            error;
        Path ->
            case erl_prim_loader:get_file(Path) of
                {ok, Bin, _} -> {M, Bin, Path};
                error -> error
            end
    end.

load(M) ->
    case code:ensure_modules_loaded([M]) of
        ok -> {module, M};
        {error, [{M, Reason}]} -> {error, Reason}
    end.

%% Where a loaded module came from: its file on the code path (absolute, as OTP's
%% code server records the file it loads), else `preloaded`.
loaded_from(M) ->
    File = atom_to_list(M) ++ ".beam",
    %% (code:where_is_file/1 would call this server: search the path here.)
    case [filename:append(D, File) || D <- girder_code:get_path(),
                                      {ok, Names} <- [erl_prim_loader:list_dir(D)],
                                      lists:member(File, Names)] of
        [] -> preloaded;
        [Path | _] -> filename:absname(Path)
    end.

%% OTP's checks: every entry a directory, names normalised.
check_path(Dirs) ->
    try
        {ok, [begin
                  D = filename:join([Dir]),
                  case erl_prim_loader:list_dir(D) of
                      {ok, _} -> D;
                      error -> throw(bad_directory)
                  end
              end || Dir <- Dirs]}
    catch
        _:_ -> {error, bad_directory}
    end.

add(first, Dir, Path) ->
    [Dir | lists:delete(Dir, Path)];
add(last, Dir, Path) ->
    case lists:member(Dir, Path) of
        true -> Path;
        false -> Path ++ [Dir]
    end.

%% A directory of the path, named by itself or by its application's name
%% (Name/ebin or Name-Vsn/ebin).
find_dir(Name, Path) ->
    case lists:member(Name, Path) of
        true ->
            Name;
        false ->
            Apps = [D || D <- Path, app_name(D) =:= Name],
            case Apps of
                [D | _] -> D;
                [] -> false
            end
    end.

app_name(Dir) ->
    case filename:basename(Dir) of
        "ebin" ->
            App = filename:basename(filename:dirname(Dir)),
            hd(string:split(App, "-"));
        _ ->
            none
    end.

to_list(A) when is_atom(A) -> atom_to_list(A);
to_list(L) -> L.

%% Root/lib/App, or the Root/lib/App-Vsn with the highest version.
lib_dir(Root, App) ->
    Lib = filename:append(Root, "lib"),
    case erl_prim_loader:list_dir(Lib) of
        {ok, Names} ->
            Prefix = App ++ "-",
            case [N || N <- Names, N =:= App orelse lists:prefix(Prefix, N)] of
                [] -> {error, bad_name};
                Found -> filename:append(Lib, lists:last(lists:sort(Found)))
            end;
        error ->
            {error, bad_name}
    end.

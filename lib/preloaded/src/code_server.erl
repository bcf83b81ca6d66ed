%% girder's code server: the process OTP's `code` module talks to, registered as
%% `code_server`, with OTP's protocol (`call/1`: {code_call, From, Request} ->
%% {code_server, Reply}). Loading is native in girder (modules load from the code
%% path on first call), so this server answers from that: the code path, loading
%% a module (from the path, or a new one from a binary), deleting one (its
%% exports go; old code is not kept apart), the directories of the OTP
%% installation, changing the code path (set_path, add_path(s), del_path,
%% replace_path, as OTP's), an escript's primary archive. Requests to replace loaded code raise
%% `{notsup, {code_server, Request}}` in the caller: girder cannot do it yet.
-module(code_server).
-export([start_link/1, call/1]).
-export([init/3]).

-include_lib("kernel/include/file.hrl").

start_link([Root, Mode]) ->
    Ref = make_ref(),
    _ = spawn_link(?MODULE, init, [self(), Ref, {Root, Mode}]),
    receive
        {Ref, Res} -> Res
    end.

init(Parent, Ref, State) ->
    register(?MODULE, self()),
    process_flag(trap_exit, true),
    Parent ! {Ref, {ok, self()}},
    loop(Parent, State).

loop(Parent, State) ->
    receive
        {code_call, From, Req} ->
            From ! {?MODULE, handle(Req, State)},
            loop(Parent, State);
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
handle(get_mode, {_, Mode}) ->
    Mode;
%% code:set_primary_archive/4 (escript, for an archive body): the archive's
%% directories go on the code path (code.erl adds them).
handle({set_primary_archive, File, Bin, FileInfo, ParserFun}, {_, Mode}) ->
    case erl_prim_loader:set_primary_archive(File, Bin, FileInfo, ParserFun) of
        {ok, Dirs} -> {ok, Mode, Dirs};
        {error, _} = Error -> Error
    end;
handle({ensure_loaded, M}, _) when is_atom(M) ->
    load(M);
handle({load_file, M}, _) when is_atom(M) ->
    case erlang:module_loaded(M) of
        true -> {notsup, reload};
        false -> load(M)
    end;
handle({load_binary, M, File, Bin}, _) when is_atom(M), is_binary(Bin) ->
    case erlang:module_loaded(M) of
        true -> {notsup, reload};
        false -> girder_code:load_binary(M, File, Bin)
    end;
%% code:load_abs/1,2 (c:c/1 loads what it compiled so), for a module not loaded yet.
handle({load_abs, File, M}, _) when is_list(File), is_atom(M) ->
    case erlang:module_loaded(M) of
        true ->
            {notsup, reload};
        false ->
            Path = File ++ ".beam",
            case erl_prim_loader:get_file(Path) of
                {ok, Bin, _} -> girder_code:load_binary(M, Path, Bin);
                error -> {error, nofile}
            end
    end;
handle({delete, M}, _) when is_atom(M) ->
    girder_code:delete(M);
%% Old code is not kept apart from the current (see `delete`), so there is none
%% to purge: no process is found running it, so none is killed (`false`), and a
%% soft purge always succeeds. A process still running deleted code goes on.
handle({purge, M}, _) when is_atom(M) ->
    false;
handle({soft_purge, M}, _) when is_atom(M) ->
    true;
handle({get_object_code, M}, _) when is_atom(M) ->
    case loaded_from(M) of
        preloaded ->
            error;
        Path ->
            case erl_prim_loader:get_file(Path) of
                {ok, Bin, _} -> {M, Bin, Path};
                error -> error
            end
    end;
handle({is_loaded, M}, _) when is_atom(M) ->
    case erlang:module_loaded(M) of
        true -> {file, loaded_from(M)};
        false -> false
    end;
handle({dir, root_dir}, {Root, _}) ->
    Root;
handle({dir, lib_dir}, {Root, _}) ->
    filename:append(Root, "lib");
handle({dir, {lib_dir, App}}, _) when is_atom(App); is_list(App) ->
    case app_dir(to_list(App)) of
        {Dir, _Base, _SubDirs} -> Dir;
        Error -> Error
    end;
handle({dir, {lib_dir, App, Sub}}, _) when is_atom(App), is_atom(Sub) ->
    sub_dir(to_list(App), atom_to_list(Sub));
handle({dir, {priv_dir, App}}, _) when is_atom(App); is_list(App) ->
    sub_dir(to_list(App), "priv");
%% girder never replaces loaded code, so every directory is as good as sticky.
handle({stick_dir, _}, _) ->
    ok;
handle({is_sticky, M}, _) when is_atom(M) ->
    erlang:module_loaded(M);
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
        [Path | _] -> absname(Path)
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

%% An application's directory, as OTP's code server finds it (its table of names):
%% the first directory of the code path named after it (.../App[-Vsn][/ebin], the
%% application directory without ebin; in an archive .../App.ez/App/ebin, the
%% directory the archive stands for, .../App), with the subdirectories an archive
%% App.ez beside it holds: {Dir, Base, ArchiveSubDirs} | {error, bad_name}.
app_dir(Name) ->
    case [D || D <- girder_code:get_path(), path_name(D) =:= Name] of
        [D | _] ->
            Dir = del_ebin(D),
            {Base, SubDirs} = archive_subdirs(Dir),
            {Dir, Base, SubDirs};
        [] ->
            {error, bad_name}
    end.

%% A subdirectory of an application: inside its archive when the archive holds it.
sub_dir(Name, Sub) ->
    case app_dir(Name) of
        {Dir, Base, SubDirs} ->
            case lists:member(Sub, SubDirs) of
                true -> filename:join([Dir ++ init:archive_extension(), Base, Sub]);
                false -> filename:join([Dir, Sub])
            end;
        Error ->
            Error
    end.

%% The application name a code path directory stands for.
path_name(Dir) ->
    case name_from(filename:split(Dir)) of
        Name when Name =/= "ebin", Name =/= "." -> Name;
        _ -> name_from(filename:split(absname(Dir)))
    end.

name_from([DirName, "ebin"]) -> before_hyphen(DirName);
name_from([DirName]) -> before_hyphen(DirName);
name_from([_ | T]) -> name_from(T);
name_from([]) -> "".

before_hyphen("-" ++ _) -> [];
before_hyphen([H | T]) -> [H | before_hyphen(T)];
before_hyphen([]) -> [].

del_ebin(Dir) ->
    filename:join(del_ebin_1(filename:split(Dir))).

del_ebin_1([Parent, App, "ebin"]) ->
    case filename:basename(Parent) of
        [] ->
            [Parent, App];
        _ ->
            case filename:basename(Parent, init:archive_extension()) of
                Parent -> [Parent, App];
                Archive -> [Archive]
            end
    end;
del_ebin_1(Path = [_App, "ebin"]) ->
    del_ebin_1(filename:split(absname(filename:join(Path))));
del_ebin_1(["ebin"]) ->
    del_ebin_1(filename:split(absname("ebin")));
del_ebin_1([H | T]) ->
    [H | del_ebin_1(T)];
del_ebin_1([]) ->
    [].

archive_subdirs(AppDir) ->
    Base = filename:basename(AppDir),
    Dirs = case string:split(Base, "-", trailing) of
               [Name, _Vsn] -> [Name, Base];
               _ -> [Base]
           end,
    archive_subdirs(AppDir ++ init:archive_extension(), Base, Dirs).

archive_subdirs(Archive, Base, [Dir | Dirs]) ->
    ArchiveDir = filename:append(Archive, Dir),
    case erl_prim_loader:list_dir(ArchiveDir) of
        {ok, Files} ->
            {Dir, [F || F <- Files,
                        is_dir(filename:append(ArchiveDir, F))]};
        _ ->
            archive_subdirs(Archive, Base, Dirs)
    end;
archive_subdirs(_Archive, Base, []) ->
    {Base, []}.

is_dir(File) ->
    case erl_prim_loader:read_file_info(File) of
        {ok, #file_info{type = directory}} -> true;
        _ -> false
    end.

%% filename:absname/1 without the file server (which starts after this server).
absname(Name) ->
    case erl_prim_loader:get_cwd() of
        {ok, Cwd} -> filename:absname(Name, Cwd);
        error -> Name
    end.

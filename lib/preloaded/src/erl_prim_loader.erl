%% girder's erl_prim_loader: what OTP's preloaded module of that name offers the
%% code server, init, application_controller, filelib and escript, for a VM that
%% reads its code from the local file system (no boot server, no loader process).
%% Files are read by name, from the file system or from inside zip archives: a
%% name under the primary archive (an escript's archive body, set by
%% set_primary_archive/4) or with a component ending in ".ez"
%% (init:archive_extension/0) is an entry of that archive, as in OTP. The reading is
%% native (girder_prim_loader's BIFs); this module keeps OTP's API and results.
%% Unlike OTP, a primary archive is not read again (through its parser fun) when
%% its file changes. The loader's path (set_path/1, get_path/0: what the boot
%% script's path steps set) is kept in a persistent term: girder loads code
%% through its own code path, which this path does not change.
-module(erl_prim_loader).
-export([get_file/1, list_dir/1, read_file_info/1, read_link_info/1,
         get_cwd/0, get_cwd/1, is_basename/1, set_primary_archive/4,
         purge_archive_cache/0, set_path/1, get_path/0,
         get_modules/2, get_modules/3]).

-include_lib("kernel/include/file.hrl").

%% {ok, Binary, FullName} | error
get_file(File) when is_atom(File) ->
    get_file(atom_to_list(File));
get_file(File) ->
    girder_prim_loader:get_file(File).

%% {ok, Names} | error
list_dir(Dir) ->
    girder_prim_loader:list_dir(Dir).

%% {ok, #file_info{}} | error
read_file_info(File) ->
    file_info(File, true).

read_link_info(File) ->
    file_info(File, false).

file_info(File, FollowLinks) ->
    case girder_prim_loader:file_info(File) of
        file when FollowLinks ->
            ok_or_error(prim_file:read_file_info(File));
        file ->
            ok_or_error(prim_file:read_link_info(File));
        {dir, Archive} ->
            %% A directory the archive implies: the archive file's own
            %% information, as a directory's.
            case prim_file:read_file_info(Archive) of
                {ok, FI} -> {ok, FI#file_info{type = directory}};
                _ -> error
            end;
        {entry, Size, Type, T} ->
            %% prim_zip's information from the central directory.
            {ok, #file_info{size = Size, type = Type, access = read_write,
                            atime = T, mtime = T, ctime = T, mode = 8#066,
                            links = 1, major_device = 0, minor_device = 0,
                            inode = 0, uid = 0, gid = 0}};
        error ->
            error
    end.

%% {ok, Cwd} | error
get_cwd() ->
    ok_or_error(prim_file:get_cwd()).

get_cwd(Drive) ->
    ok_or_error(prim_file:get_cwd(Drive)).

ok_or_error({ok, _} = Ok) -> Ok;
ok_or_error(_) -> error.

%% Whether a (possibly deep) name has no directory separator.
is_basename(File) ->
    not deep_member($/, File).

deep_member(X, [X | _]) ->
    true;
deep_member(X, [List | Y]) when is_list(List) ->
    deep_member(X, List) orelse deep_member(X, Y);
deep_member(X, [Atom | Y]) when is_atom(Atom) ->
    deep_member(X, atom_to_list(Atom)) orelse deep_member(X, Y);
deep_member(X, [_ | Y]) ->
    deep_member(X, Y);
deep_member(_X, []) ->
    false.

%% {ok, [ArchiveFile | AppEbins]} | {error, Reason}: what the code server adds to
%% the code path (code:set_primary_archive/4, called by escript). With undefined
%% for all but the parser fun, forgets the primary archive: {ok, []}, or
%% {error, enoent} when there was none.
set_primary_archive(undefined, undefined, undefined, _ParserFun) ->
    case girder_prim_loader:clear_primary_archive() of
        true -> {ok, []};
        false -> {error, enoent}
    end;
set_primary_archive(File, ArchiveBin, FileInfo, _ParserFun)
  when is_list(File), is_binary(ArchiveBin), is_record(FileInfo, file_info) ->
    girder_prim_loader:set_primary_archive(File, ArchiveBin).

purge_archive_cache() ->
    girder_prim_loader:purge_archive_cache().

set_path(Paths) when is_list(Paths) ->
    persistent_term:put({?MODULE, path}, [to_str(P) || P <- Paths]),
    ok.

get_path() ->
    {ok, persistent_term:get({?MODULE, path}, [])}.

to_str(A) when is_atom(A) -> atom_to_list(A);
to_str(S) -> S.

%% Read each module's object file from the first directory of Paths (the
%% loader's path by default) that has it and hand it to Fun(Module, File, Bin):
%% {ok, {[{Module, Result}], [{Module, Reason}]}}, as OTP's loader answers
%% (OTP reads them in parallel, so its lists come in any order; here the
%% reverse of Modules').
get_modules(Modules, Fun) ->
    {ok, Paths} = get_path(),
    get_modules(Modules, Fun, Paths).

get_modules(Modules, Fun, Paths) ->
    gm(Modules, Fun, [to_str(P) || P <- Paths], [], []).

gm([M | Ms], Fun, Paths, Succ, Fail) ->
    File = atom_to_list(M) ++ init:objfile_extension(),
    case gm_find(Paths, File) of
        {ok, Bin, Full} ->
            case gm_process(M, Full, Bin, Fun) of
                {ok, Res} -> gm(Ms, Fun, Paths, [{M, Res} | Succ], Fail);
                {error, Res} -> gm(Ms, Fun, Paths, Succ, [{M, Res} | Fail])
            end;
        error ->
            gm(Ms, Fun, Paths, Succ, [{M, enoent} | Fail])
    end;
gm([], _Fun, _Paths, Succ, Fail) ->
    {ok, {Succ, Fail}}.

gm_find([P | Ps], File) ->
    case get_file(P ++ "/" ++ File) of
        {ok, _, _} = Ok -> Ok;
        error -> gm_find(Ps, File)
    end;
gm_find([], _File) ->
    error.

gm_process(Mod, File, Bin, Fun) ->
    try Fun(Mod, File, Bin) of
        {ok, _} = Res -> Res;
        {error, _} = Res -> Res;
        Other -> {error, {bad_return, Other}}
    catch
        _:Error -> {error, {crash, Error}}
    end.

%% girder's prim_file: OTP 25's prim_file API (the module OTP's file, file_server and
%% file_io_server call) over the native functions of girder_file
%% (crates/girder-bifs/src/file.rs). Names are encoded here; the native side sees binaries.
-module(prim_file).

-export([open/2, close/1, read/2, read_line/1, write/2, pread/2, pread/3,
         pwrite/2, pwrite/3, position/2, sync/1, datasync/1, truncate/1,
         advise/4, allocate/3, copy/3, read_handle_info/1, read_handle_info/2,
         read_file/1, write_file/2, list_dir/1, list_dir_all/1, make_dir/1,
         del_dir/1, delete/1, rename/2, get_cwd/0, get_cwd/1, set_cwd/1,
         read_file_info/1, read_file_info/2, read_link_info/1, read_link_info/2,
         write_file_info/2, write_file_info/3, read_link/1, read_link_all/1,
         make_link/2, make_symlink/2, altname/1, is_translatable/1,
         internal_name2native/1, internal_native2name/1, internal_normalize_utf8/1,
         ipread_s32bu_p32bu/3]).

-include_lib("kernel/include/file.hrl").

%% Names

internal_name2native(Name) when is_binary(Name) -> Name;
internal_name2native(Name) when is_atom(Name) ->
    internal_name2native(atom_to_list(Name));
internal_name2native(Name) when is_list(Name) ->
    case unicode:characters_to_binary(flatten_name(Name)) of
        Bin when is_binary(Bin) -> Bin;
        _ -> error(badarg)
    end;
internal_name2native(_) -> error(badarg).

flatten_name(Name) ->
    lists:flatmap(fun(A) when is_atom(A) -> atom_to_list(A);
                     (L) when is_list(L) -> flatten_name(L);
                     (C) -> [C]
                  end, Name).

internal_native2name(Bin) when is_binary(Bin) ->
    case unicode:characters_to_list(Bin) of
        L when is_list(L) -> L;
        _ -> Bin
    end.

internal_normalize_utf8(Bin) when is_binary(Bin) ->
    unicode:characters_to_list(Bin).

is_translatable(Bin) when is_binary(Bin) ->
    is_list(unicode:characters_to_list(Bin)).

%% Calls a native function on encoded names; a name that cannot be encoded is badarg.
named(F, Names) -> named(F, Names, []).

named(F, Names, Extra) ->
    try
        Encoded = [internal_name2native(N) || N <- Names],
        apply(girder_file, F, Encoded ++ Extra)
    catch
        error:badarg -> {error, badarg}
    end.

to_name({ok, Bin}) -> {ok, internal_native2name(Bin)};
to_name(Other) -> Other.

%% Whole files and directories

read_file(Name) -> named(read_file, [Name]).

write_file(Name, Data) ->
    try internal_name2native(Name) of
        Bin ->
            try girder_file:write_file(Bin, Data, false)
            catch error:badarg -> {error, badarg}
            end
    catch
        error:badarg -> {error, badarg}
    end.

list_dir(Name) ->
    case named(list_dir, [Name]) of
        {ok, Names} -> {ok, [L || B <- Names, is_list(L = internal_native2name(B))]};
        Error -> Error
    end.

list_dir_all(Name) ->
    case named(list_dir, [Name]) of
        {ok, Names} -> {ok, [internal_native2name(B) || B <- Names]};
        Error -> Error
    end.

make_dir(Name) -> named(make_dir, [Name]).
del_dir(Name) -> named(del_dir, [Name]).
delete(Name) -> named(delete, [Name]).
rename(From, To) -> named(rename, [From, To]).
make_link(From, To) -> named(make_link, [From, To]).
make_symlink(From, To) -> named(make_symlink, [From, To]).
read_link(Name) ->
    case to_name(named(read_link, [Name])) of
        {ok, Bin} when is_binary(Bin) -> {error, einval};
        Other -> Other
    end.
read_link_all(Name) -> to_name(named(read_link, [Name])).

get_cwd() -> to_name(girder_file:get_cwd()).
get_cwd(_Drive) -> {error, enotsup}.
set_cwd(Name) -> named(set_cwd, [Name]).

altname(_Name) -> {error, enotsup}.

%% File information

read_file_info(Name) -> read_file_info(Name, []).
read_file_info(Name, Opts) -> read_info(Name, Opts, true).
read_link_info(Name) -> read_link_info(Name, []).
read_link_info(Name, Opts) -> read_info(Name, Opts, false).

read_info(Name, Opts, Follow) ->
    case named(read_info, [Name], [Follow]) of
        {ok, Info} ->
            case time_type(Opts) of
                {ok, TimeType} -> {ok, file_info(Info, TimeType)};
                Error -> Error
            end;
        Error ->
            Error
    end.

time_type(Opts) when is_list(Opts) ->
    case lists:keyfind(time, 1, Opts) of
        false -> {ok, local};
        {time, T} when T =:= local; T =:= universal; T =:= posix -> {ok, T};
        _ -> {error, badarg}
    end;
time_type(_) -> {error, badarg}.

file_info({Type, Access, Size, Atime, Mtime, Ctime, Mode, Links, Dev, Rdev, Inode,
           Uid, Gid}, TimeType) ->
    #file_info{size = Size, type = Type, access = Access,
               atime = from_posix(Atime, TimeType), mtime = from_posix(Mtime, TimeType),
               ctime = from_posix(Ctime, TimeType), mode = Mode, links = Links,
               major_device = Dev, minor_device = Rdev, inode = Inode,
               uid = Uid, gid = Gid}.

from_posix(Seconds, posix) -> Seconds;
from_posix(Seconds, universal) -> erlang:posixtime_to_universaltime(Seconds);
from_posix(Seconds, local) ->
    erlang:universaltime_to_localtime(erlang:posixtime_to_universaltime(Seconds)).

write_file_info(Name, Info) -> write_file_info(Name, Info, []).
write_file_info(Name, #file_info{mode = Mode, uid = Uid, gid = Gid,
                                 atime = A, mtime = M}, Opts) ->
    %% As OTP's: the mode, then the owners, then the times (an undefined access time is
    %% now, an undefined modification time the access time; ctime cannot be set on Unix).
    TimeType = proplists:get_value(time, Opts, local),
    Owner = fun(undefined) -> -1; (Id) -> Id end,
    Steps =
        [fun() when Mode =:= undefined -> ok;
            () when is_integer(Mode) -> named(set_permissions, [Name], [Mode]);
            () -> {error, badarg}
         end,
         fun() when Uid =:= undefined, Gid =:= undefined -> ok;
            () when (is_integer(Uid) orelse Uid =:= undefined),
                    (is_integer(Gid) orelse Gid =:= undefined) ->
                 named(set_owner, [Name], [Owner(Uid), Owner(Gid)]);
            () -> {error, badarg}
         end,
         fun() ->
                 PA = case posix_time(A, TimeType) of
                          {ok, undefined} -> {ok, os:system_time(second)};
                          Other -> Other
                      end,
                 case PA of
                     {ok, Atime} ->
                         case posix_time(M, TimeType) of
                             {ok, undefined} -> named(set_times, [Name], [Atime, Atime]);
                             {ok, Mtime} -> named(set_times, [Name], [Atime, Mtime]);
                             error -> {error, badarg}
                         end;
                     error ->
                         {error, badarg}
                 end
         end],
    lists:foldl(fun(Step, ok) -> Step(); (_, Error) -> Error end, ok, Steps);
write_file_info(_Name, _Info, _Opts) ->
    {error, badarg}.

%% A file time as seconds since the epoch (`undefined` stays so).
posix_time(undefined, _) -> {ok, undefined};
posix_time(T, posix) when is_integer(T) -> {ok, T};
posix_time({{_, _, _}, {_, _, _}} = DT, universal) ->
    {ok, calendar:datetime_to_gregorian_seconds(DT) - 62167219200};
posix_time({{_, _, _}, {_, _, _}} = DT, local) ->
    case calendar:local_time_to_universal_time_dst(DT) of
        [U | _] -> posix_time(U, universal);
        [] -> error
    end;
posix_time(_, _) -> error.

%% Open files

open(Name, Modes) when is_list(Modes) ->
    Flags = [M || M <- Modes, is_atom(M)],
    case named(open, [Name], [Flags]) of
        {ok, Handle} ->
            {ok, #file_descriptor{module = prim_file,
                                  data = #{handle => Handle, owner => self()}}};
        Error ->
            Error
    end;
open(_Name, _Modes) ->
    {error, badarg}.

%% Runs F on the handle when the caller owns the file, as OTP's prim_file requires.
with_fd(#file_descriptor{module = prim_file, data = #{handle := H, owner := Owner}}, F) ->
    case self() of
        Owner ->
            try F(H)
            catch error:badarg -> {error, badarg}
            end;
        _ ->
            {error, not_on_controlling_process}
    end;
with_fd(_, _) ->
    {error, badarg}.

close(Fd) -> with_fd(Fd, fun(H) -> girder_file:close(H) end).

read(Fd, Size) when is_integer(Size), Size >= 0 ->
    with_fd(Fd, fun(H) -> girder_file:read(H, Size) end);
read(_Fd, _Size) -> {error, badarg}.

read_line(Fd) -> with_fd(Fd, fun(H) -> girder_file:read_line(H) end).

write(Fd, Data) -> with_fd(Fd, fun(H) -> girder_file:write(H, Data) end).

pread(Fd, Pos, Size) when is_integer(Size), Size >= 0 ->
    with_fd(Fd, fun(H) ->
                        case offset(H, Pos) of
                            {ok, P} -> girder_file:pread(H, P, Size);
                            Error -> Error
                        end
                end);
pread(_Fd, _Pos, _Size) -> {error, badarg}.

%% dets' indirect read: a 32-bit size and a 32-bit position (both big-endian) at Offset,
%% then that many bytes at that position: {ok, {Size, Pos, Data | eof}}, eof when the
%% header is not all there, {error, einval} when Size exceeds MaxSize.
ipread_s32bu_p32bu(Fd, Offset, Infinity) when is_atom(Infinity) ->
    ipread_s32bu_p32bu(Fd, Offset, (1 bsl 31) - 1);
ipread_s32bu_p32bu(Fd, Offset, MaxSize) when is_integer(Offset), is_integer(MaxSize) ->
    case pread(Fd, Offset, 8) of
        {ok, Header} ->
            case iolist_to_binary(Header) of
                <<Size:32, _:32>> when Size > MaxSize -> {error, einval};
                <<0:32, Pos:32>> -> {ok, {0, Pos, eof}};
                <<Size:32, Pos:32>> ->
                    case pread(Fd, Pos, Size) of
                        {ok, Data} -> {ok, {Size, Pos, iolist_to_binary(Data)}};
                        eof -> {ok, {Size, Pos, eof}};
                        Error -> Error
                    end;
                _Short -> eof
            end;
        Other -> Other
    end;
ipread_s32bu_p32bu(_Fd, _Offset, _MaxSize) -> {error, badarg}.

pread(Fd, LocNums) when is_list(LocNums) ->
    pread_list(Fd, LocNums, []);
pread(_Fd, _LocNums) -> {error, badarg}.

pread_list(_Fd, [], Acc) -> {ok, lists:reverse(Acc)};
pread_list(Fd, [{Pos, Size} | Rest], Acc) ->
    case pread(Fd, Pos, Size) of
        {ok, Data} -> pread_list(Fd, Rest, [Data | Acc]);
        eof -> pread_list(Fd, Rest, [eof | Acc]);
        Error -> Error
    end;
pread_list(_Fd, _, _Acc) -> {error, badarg}.

pwrite(Fd, Pos, Data) ->
    with_fd(Fd, fun(H) ->
                        case offset(H, Pos) of
                            {ok, P} -> girder_file:pwrite(H, P, Data);
                            Error -> Error
                        end
                end).

pwrite(Fd, LocBytes) when is_list(LocBytes) ->
    pwrite_list(Fd, LocBytes, 0);
pwrite(_Fd, _LocBytes) -> {error, badarg}.

pwrite_list(_Fd, [], _N) -> ok;
pwrite_list(Fd, [{Pos, Data} | Rest], N) ->
    case pwrite(Fd, Pos, Data) of
        ok -> pwrite_list(Fd, Rest, N + 1);
        {error, Reason} -> {error, {N, Reason}}
    end;
pwrite_list(_Fd, _, _N) -> {error, badarg}.

%% An absolute offset for pread/pwrite: an integer or {bof, N}; others are relative to the
%% current position or the end.
offset(_H, Pos) when is_integer(Pos), Pos >= 0 -> {ok, Pos};
offset(_H, {bof, Pos}) when is_integer(Pos), Pos >= 0 -> {ok, Pos};
offset(H, {cur, _} = At) -> here(H, At);
offset(H, {eof, _} = At) -> here(H, At);
offset(H, cur) -> here(H, {cur, 0});
offset(H, eof) -> here(H, {eof, 0});
offset(_H, _) -> {error, einval}.

%% The offset At names, leaving the position where it was.
here(H, {Whence, Off}) when is_integer(Off) ->
    {ok, Cur} = girder_file:position(H, cur, 0),
    case girder_file:position(H, Whence, Off) of
        {ok, P} ->
            {ok, _} = girder_file:position(H, bof, Cur),
            {ok, P};
        Error ->
            Error
    end;
here(_H, _) -> {error, einval}.

position(Fd, At) ->
    with_fd(Fd, fun(H) ->
                        case location(At) of
                            {Whence, Off} -> girder_file:position(H, Whence, Off);
                            error -> {error, einval}
                        end
                end).

location(N) when is_integer(N) -> {bof, N};
location(bof) -> {bof, 0};
location(cur) -> {cur, 0};
location(eof) -> {eof, 0};
location({W, N}) when (W =:= bof orelse W =:= cur orelse W =:= eof), is_integer(N) ->
    {W, N};
location(_) -> error.

sync(Fd) -> with_fd(Fd, fun(H) -> girder_file:sync(H) end).
datasync(Fd) -> sync(Fd).
truncate(Fd) -> with_fd(Fd, fun(H) -> girder_file:truncate(H) end).

advise(Fd, Offset, Length, Advise)
  when is_integer(Offset), Offset >= 0, is_integer(Length), Length >= 0 ->
    case lists:member(Advise, [normal, sequential, random, no_reuse, will_need,
                               dont_need]) of
        true -> with_fd(Fd, fun(_H) -> ok end);
        false -> {error, einval}
    end;
advise(_Fd, _Offset, _Length, _Advise) -> {error, einval}.

allocate(Fd, _Offset, _Length) -> with_fd(Fd, fun(_H) -> {error, enotsup} end).

read_handle_info(Fd) -> read_handle_info(Fd, []).
read_handle_info(Fd, Opts) ->
    case time_type(Opts) of
        {ok, TimeType} ->
            with_fd(Fd, fun(H) ->
                                case girder_file:handle_info(H) of
                                    {ok, Info} -> {ok, file_info(Info, TimeType)};
                                    Error -> Error
                                end
                        end);
        Error ->
            Error
    end.

%% copy(Source, Destination, Length): copies up to Length bytes (or all, for infinity)
%% from one open file to another.
copy(Src, Dst, Length)
  when (is_integer(Length) andalso Length >= 0) orelse Length =:= infinity ->
    copy_loop(Src, Dst, Length, 0);
copy(_Src, _Dst, _Length) -> {error, badarg}.

copy_loop(_Src, _Dst, 0, Done) -> {ok, Done};
copy_loop(Src, Dst, Left, Done) ->
    Chunk = case Left of infinity -> 65536; _ -> min(Left, 65536) end,
    case read(Src, Chunk) of
        {ok, Data} ->
            case write(Dst, Data) of
                ok ->
                    N = byte_size(Data),
                    Rest = case Left of infinity -> infinity; _ -> Left - N end,
                    copy_loop(Src, Dst, Rest, Done + N);
                Error -> Error
            end;
        eof -> {ok, Done};
        Error -> Error
    end.

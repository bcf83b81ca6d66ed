-module(file_server_first).
%% file_server_2 is there at boot, and its first message may be a system message
%% (girder's stand-in becomes OTP's file_server on the first message of any kind).
-export([main/0]).
main() ->
    P = whereis(file_server_2),
    io:format("~p~n", [{is_pid(P), sys:get_state(file_server_2), sys:get_status(file_server_2) =/= x}]),
    io:format("~p~n", [{process_info(P, trap_exit), whereis(file_server_2) =:= P}]),
    {ok, Cwd} = file:get_cwd(),
    io:format("~p~n", [{is_list(Cwd), ets:info(file_io_servers, named_table)}]).

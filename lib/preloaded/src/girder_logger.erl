%% The report OTP prints when a process dies of an uncaught error or throw:
%% erts hands "Error in process ~p with exit value:~n~p~n" to the logger,
%% whose default handler writes it with a legacy header. girder's scheduler
%% spawns error_report/2 for each such process.
%%
%% erl writes it to standard output a few milliseconds later, through the
%% logger's processes, and loses it when the VM stops before then (a program
%% that ends soon after the crash prints no report). girder does not reproduce
%% that timing, so it writes the same text to standard error: standard output
%% stays what erl prints for a program that stops soon after a crash.
-module(girder_logger).
-export([error_report/2]).

error_report(Pid, Value) ->
    Micro = erlang:system_time(microsecond) rem 1000000,
    {{Y, Mo, D}, {H, Mi, S}} = erlang:localtime(),
    Header = io_lib:format("=~ts==== ~w-~s-~4w::~2..0w:~2..0w:~2..0w.~6..0w ~s===",
                           ["ERROR REPORT", D, month(Mo), Y, H, Mi, S, Micro, ""]),
    Msg = io_lib:format("Error in process ~p with exit value:~n~p~n", [Pid, Value]),
    io:put_chars(standard_error, [Header, "\n", Msg, "\n"]).

month(1) -> "Jan";
month(2) -> "Feb";
month(3) -> "Mar";
month(4) -> "Apr";
month(5) -> "May";
month(6) -> "Jun";
month(7) -> "Jul";
month(8) -> "Aug";
month(9) -> "Sep";
month(10) -> "Oct";
month(11) -> "Nov";
month(12) -> "Dec".

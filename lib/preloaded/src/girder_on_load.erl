%% The first call into a module that has an `-on_load` function comes here
%% (girder_runtime::nif): run that function once, as OTP's code server does,
%% then make the call, or, when it did not return `ok`, unload the module, log
%% OTP's warning and fail the call with `undef`.
-module(girder_on_load).
-export([run/3]).

run(Module, Function, Args) ->
    case girder_code:on_load_begin(Module) of
        {run, OnLoad} ->
            Result = try OnLoad() catch
                         error:Reason:Stack -> {Reason, Stack};
                         Class:Reason -> {Class, Reason}
                     end,
            case Result of
                ok ->
                    girder_code:on_load_end(Module, true),
                    erlang:apply(Module, Function, Args);
                _ ->
                    girder_code:on_load_end(Module, false),
                    error_logger:warning_msg("The on_load function for module "
                                             "~s returned:~n~P\n",
                                             [Module, Result, 10]),
                    undef(Module, Function, Args)
            end;
        wait ->
            receive after 1 -> ok end,
            run(Module, Function, Args);
        _ ->
            erlang:apply(Module, Function, Args)
    end.

undef(Module, Function, Args) ->
    {current_stacktrace, [_ | Stack]} =
        erlang:process_info(self(), current_stacktrace),
    erlang:raise(error, undef, [{Module, Function, Args, []} | Stack]).

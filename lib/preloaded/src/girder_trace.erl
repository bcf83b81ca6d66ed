%% A call traced with a match specification whose body asks for
%% {return_trace}: girder's call tracing (girder_runtime::tracing) makes the
%% call M:F(Args) a call of return_trace(M, F, Args), which makes the call
%% (untraced: its call message went already), sends the return_from trace
%% message with its value, and returns it. (erts pushes a return-trace frame
%% instead, which stack traces do not show; girder's stack traces leave out
%% this module's frames: girder_runtime::trace::stack_cps.)
-module(girder_trace).
-export([return_trace/3, exception_trace/3]).

return_trace(M, F, Args) ->
    girder_tracing:skip_next(),
    Result = erlang:apply(M, F, Args),
    girder_tracing:return_from(M, F, length(Args), Result),
    Result.

%% The same for {exception_trace}: an exception leaving the call sends the
%% exception_from trace message, then goes on.
exception_trace(M, F, Args) ->
    girder_tracing:skip_next(),
    try erlang:apply(M, F, Args) of
        Result ->
            girder_tracing:return_from(M, F, length(Args), Result),
            Result
    catch
        Class:Reason:Stack ->
            girder_tracing:exception_from(M, F, length(Args), {Class, Reason}),
            erlang:raise(Class, Reason, Stack)
    end.

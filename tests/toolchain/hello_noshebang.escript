%% An escript in source form without a shebang (escript skips the first line).
main(Args) ->
    io:format("no shebang ~p~n", [Args]).

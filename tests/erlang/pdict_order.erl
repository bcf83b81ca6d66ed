%% The process dictionary: the order get/0, get_keys/0,1, erase/0 and
%% process_info(P, dictionary) list entries, through growing and shrinking.
-module(pdict_order).
-export([main/0]).

main() ->
    show(empty, get()),
    %% (No atoms, pids or references in keys whose order is printed: OTP hashes them by
    %% their number in its tables.)
    put(1, 1), put(2, 2), put({7, 1}, 3), put("str", 4), put(-5, 5),
    put(<<"bin">>, 6), put(1.5, 7), put(123456789012345678901234567890, 8),
    put([], 9), put({}, 10), put(#{1 => 2}, 11), put("hello world", 12),
    show(mixed, get()),
    show(keys, get_keys()),
    %% Updating a key that shares its slot moves it to the front.
    [put(K, updated) || K <- [2, "str", 1.5]],
    show(updated, get()),
    show(keys_of_updated, get_keys(updated)),
    show(erase_all, erase()),
    show(after_erase_all, get()),
    %% Growing through many splits.
    [put(K, K * 2) || K <- lists:seq(1, 300)],
    show(grown, get_keys()),
    [put(list_to_atom("k" ++ integer_to_list(K)), K) || K <- lists:seq(1, 100)],
    show(atoms, lists:sort([K || K <- get_keys(), is_atom(K)])),
    [erase(list_to_atom("k" ++ integer_to_list(K))) || K <- lists:seq(1, 100)],
    [put({K, "t"}, K) || K <- lists:seq(1, 100)],
    show(grown_mixed, get_keys()),
    %% Updates and erases at scattered keys, then shrinking.
    [put(K, again) || K <- lists:seq(1, 300, 7)],
    show(updated_many, get()),
    [erase(K) || K <- lists:seq(1, 300, 3)],
    show(erased_some, get_keys()),
    [erase({K, "t"}) || K <- lists:seq(1, 100)],
    [erase(K) || K <- lists:seq(1, 300)],
    show(shrunk, get()),
    show(erase_missing, erase(nope)),
    [put(K, K) || K <- lists:seq(1000, 1040)],
    show(regrown, get_keys()),
    show(keys_of_again, get_keys(again)),
    Self = self(),
    {dictionary, D} = process_info(Self, dictionary),
    show(process_info, D =:= get()),
    %% Another process's dictionary.
    P = spawn(fun() -> [put(K, -K) || K <- lists:seq(1, 40)], put(999, "z"),
                       Self ! ready, receive stop -> ok end end),
    receive ready -> ok end,
    {dictionary, D2} = process_info(P, dictionary),
    show(other_process, D2),
    P ! stop,
    %% Negative integers and large integers as keys.
    erase(),
    [put(K, K) || K <- [-1, -2, -100, 1 bsl 40, -(1 bsl 40), 16#7FFFFFF, -16#8000000]],
    show(negatives, get()),
    %% Many keys (the dictionary of a heap sort): everything found again.
    erase(),
    N = 20000,
    [put(K, K + 1) || K <- lists:seq(1, N)],
    ok = check(N),
    show(sum, lists:sum([V || {_, V} <- get()])),
    [erase(K) || K <- lists:seq(2, N)],
    show(one_left, get()),
    ok.

check(0) -> ok;
check(K) ->
    V = get(K),
    V = K + 1,
    check(K - 1).

show(Tag, T) -> io:format("~p: ~w~n", [Tag, T]).

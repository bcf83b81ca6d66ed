%% Records: creation with defaults, field access, update, is_record,
%% record patterns in heads and cases, nested records, record_info.
-module(records).
-export([main/0, touch/1]).

-record(person, {name, age = 0, tags = []}).
-record(box, {content = #person{}, label = "box"}).
-record(counter, {n = 0 :: integer()}).
-record(wide, {a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0, i = 0, j = 0}).

main() ->
    P = #person{name = "ann", age = 31},
    io:format("record ~p~n", [P]),
    io:format("defaults ~p~n", [#person{}]),
    io:format("access ~p ~p~n", [P#person.name, P#person.age]),
    P2 = P#person{age = 32, tags = [admin]},
    io:format("update ~p~n", [P2]),
    io:format("untouched ~p~n", [P]),
    io:format("is_record ~p~n", [[is_record(P, person), is_record(P, box),
                                  is_record({person}, person), is_record(x, person)]]),
    io:format("guard ~p~n", [[describe(X) || X <- [P, #box{}, {other}]]]),
    io:format("pattern ~p~n", [greet(P)]),
    io:format("pattern literal ~p~n", [[admin(X) || X <- [P, P2]]]),
    B = #box{content = P},
    io:format("nested ~p~n", [(B#box.content)#person.name]),
    io:format("nested update ~p~n", [(B#box{content = P2})#box.content]),
    io:format("field index ~p~n", [[#person.name, #person.age, #person.tags]]),
    io:format("record_info ~p~n", [record_info(fields, person)]),
    io:format("record_info size ~p~n", [record_info(size, box)]),
    io:format("as tuple ~p~n", [element(1, P) =:= person]),
    C = lists:foldl(fun(_, Acc) -> bump(Acc) end, #counter{}, lists:seq(1, 5)),
    io:format("counter ~p~n", [C#counter.n]),
    People = [#person{name = N, age = A} || {N, A} <- [{"b", 3}, {"a", 5}, {"c", 1}]],
    Sorted = lists:keysort(#person.age, People),
    io:format("keysort ~p~n", [[Q#person.name || Q <- Sorted]]),
    io:format("select ~p~n", [[N || #person{name = N, age = A} <- People, A > 2]]),
    W = ?MODULE:touch(#wide{a = 1, j = 10}),
    io:format("wide update ~p~n", [W]),
    io:format("badrecord ~p~n", [bad_access(not_a_record())]),
    io:format("badrecord update ~p~n", [bad_update(not_a_record())]),
    ok.

describe(R) when is_record(R, person) -> person;
describe(#box{}) -> box;
describe(_) -> unknown.

greet(#person{name = Name, age = Age}) when Age > 18 -> {adult, Name};
greet(#person{name = Name}) -> {minor, Name}.

admin(#person{tags = [admin | _]}) -> yes;
admin(#person{}) -> no.

bump(C = #counter{n = N}) -> C#counter{n = N + 1}.

%% Updating a few fields of a wide record compiles to setelement/set_tuple_element.
touch(R) -> R#wide{b = 2, c = 3}.

not_a_record() -> {box, 1, 2, 3}.

bad_access(X) ->
    try X#person.name catch error:E -> E end.

bad_update(X) ->
    try X#person{age = 1} catch error:E -> E end.

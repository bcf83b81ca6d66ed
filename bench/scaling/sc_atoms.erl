%% The atom table: list_to_atom/1 of N new atoms, then atom_to_list/1 and
%% list_to_existing_atom/1 of each. OTP: O(1) each (a hash table). (The full sizes stay
%% under OTP's default limit of 1,048,576 atoms over all the runs.)
-module(sc_atoms).
-export([main/1]).
main(Size) -> scaling_harness:run(atoms, {1000, 5000}, fun op/1, Size).
op(N) ->
    Prefix = "sc_atom_" ++ integer_to_list(erlang:unique_integer([positive])) ++ "_",
    Names = [Prefix ++ integer_to_list(I) || I <- lists:seq(1, N)],
    scaling_harness:time(
      fun() ->
              As = [list_to_atom(S) || S <- Names],
              L = lists:sum([length(atom_to_list(A)) - length(Prefix) || A <- As]),
              L + length([list_to_existing_atom(S) || S <- Names])
      end).

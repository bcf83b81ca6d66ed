%% A second module in the archive escripts of archived.erl.
-module(archived_helper).
-export([double/1]).

double(N) -> 2 * N.

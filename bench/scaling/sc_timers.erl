%% Timers: N pending erlang:send_after/3 timers (an hour away; 10^6 at the largest full
%% size), then each cancelled.
%% OTP: O(log N) or better each.
-module(sc_timers).
-export([main/1]).
main(Size) -> scaling_harness:run(timers, {2000, 62500}, fun op/1, Size).
op(N) ->
    scaling_harness:time(
      fun() ->
              Ts = [erlang:send_after(3600000 + I, self(), {t, I}) || I <- lists:seq(1, N)],
              length([ok || T <- Ts, is_integer(erlang:cancel_timer(T))])
      end).

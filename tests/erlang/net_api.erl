%% OTP's `net` module over the `prim_net` NIFs: the host name, interfaces and their
%% addresses, and name resolution of localhost (no name server needed).
-module(net_api).
-export([main/0]).

main() ->
    {ok, Host} = net:gethostname(),
    {ok, InetHost} = inet:gethostname(),
    io:format("gethostname: ~p~n", [Host =:= InetHost]),
    {ok, Names} = net:if_names(),
    io:format("if_names: ~p~n", [lists:keymember("lo", 2, Names)]),
    {ok, LoIdx} = net:if_name2index("lo"),
    io:format("lo: ~p ~p~n", [net:if_index2name(LoIdx), lists:member({LoIdx, "lo"}, Names)]),
    io:format("all names: ~p~n", [[net:if_index2name(I) =:= {ok, N} andalso net:if_name2index(N) =:= {ok, I} || {I, N} <- Names]]),
    io:format("no such interface: ~p ~p~n", [net:if_name2index("nosuch0"), net:if_index2name(99999)]),
    io:format("getifaddrs: ~p~n", [net:getifaddrs() =:= net:getifaddrs(default)]),
    {ok, Lo} = net:getifaddrs(fun(#{name := "lo"} = A) -> {true, A}; (_) -> false end),
    io:format("lo addresses: ~p~n", [lists:sort([maps:without([flags], A) || A <- Lo])]),
    io:format("lo flags: ~p~n", [lists:usort([F || #{flags := Fs} <- Lo, F <- Fs])]),
    {ok, All} = net:getifaddrs(all),
    io:format("all: ~p~n", [length(All)]),
    {ok, Inet} = net:getifaddrs(inet),
    io:format("inet: ~p~n", [lists:sort([{N, A} || #{name := N, addr := #{addr := A}} <- Inet])]),
    {ok, Packet} = net:getifaddrs(packet),
    io:format("packet: ~p~n", [lists:sort([{N, H, I} || #{name := N, addr := #{hatype := H, ifindex := I}} <- Packet])]),
    io:format("getaddrinfo: ~p~n", [net:getaddrinfo("localhost")]),
    io:format("with service: ~p~n", [net:getaddrinfo("localhost", "80")]),
    io:format("numeric: ~p~n", [net:getaddrinfo("127.0.0.1", "7")]),
    io:format("getnameinfo: ~p~n", [net:getnameinfo(#{family => inet, addr => {127,0,0,1}, port => 80})]),
    io:format("numeric: ~p~n", [net:getnameinfo(#{family => inet, addr => {127,0,0,1}, port => 80}, [numerichost, numericserv])]),
    io:format("info: ~p~n", [net:info()]),
    %% Lookups from many processes at once (each waits for its own answer), a process
    %% killed while it looks names up, and messages that arrive while a lookup runs.
    Self = self(),
    First = net:getaddrinfo("localhost", "80"),
    Ps = [spawn(fun() -> Self ! {self(), [net:getaddrinfo("localhost", "80") || _ <- lists:seq(1, 5)],
                                          net:getnameinfo(#{family => inet, addr => {127,0,0,1}, port => 80})} end)
          || _ <- lists:seq(1, 20)],
    io:format("concurrent: ~p~n", [lists:usort([receive {P, As, N} -> {lists:usort(As) =:= [First], N} end || P <- Ps])]),
    Looper = spawn(fun Loop() -> _ = net:getaddrinfo("localhost"), Loop() end),
    timer:sleep(20),
    exit(Looper, kill),
    Noisy = spawn(fun() -> receive go -> ok end, R = net:getaddrinfo("localhost"),
                           Self ! {noisy, R, length(element(2, process_info(self(), messages)))} end),
    [Noisy ! {noise, I} || I <- lists:seq(1, 100)],
    Noisy ! go,
    [Noisy ! {noise, I} || I <- lists:seq(101, 200)],
    io:format("with messages: ~p~n", [receive {noisy, R, N} -> {R =:= net:getaddrinfo("localhost"), N >= 100} end]),
    io:format("after: ~p~n", [net:getaddrinfo("localhost", "80") =:= First]),
    ok.

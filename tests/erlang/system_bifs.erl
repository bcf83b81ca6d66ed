%% The sequential BIFs of issue 4: system_info/1 and system_flag/2, time_offset/0,1, the
%% calendar conversions, binary_to_list/3, iolist_to_iovec/1, term_to_iovec/1,2,
%% list_to_ref/1, fun_info_mfa/1, make_fun/3, is_builtin/3, the checksum combinations,
%% bump_reductions/1, display_string/1 (its errors), loaded/0, pre_loaded/0 and
%% decode_packet/3. Values that describe the machine or the VM build are printed by shape.
-module(system_bifs).
-export([main/0]).

p(X) -> io:format("~w~n", [X]).

%% The result, or the exception with the top frame of its stack trace.
c(F) ->
    try F() of
        V -> V
    catch
        C:R:S -> {C, R, hd(S)}
    end.

main() ->
    system_info(),
    system_flag(),
    times(),
    calendar(),
    data(),
    iovec(),
    funs(),
    checksums(),
    packets(),
    ok.

system_info() ->
    Same = [otp_release, wordsize, {wordsize, internal}, {wordsize, external}, machine,
            smp_support, threads, endian, hipe_architecture, heap_type, compat_rel,
            time_warp_mode, time_correction, context_reductions, atom_limit,
            multi_scheduling_blockers, creation, dist_ctrl],
    [p({K, erlang:system_info(K)}) || K <- Same],
    Shapes = [{schedulers, fun is_integer/1}, {schedulers_online, fun is_integer/1},
              {logical_processors, fun is_integer/1},
              {logical_processors_online, fun is_integer/1},
              {logical_processors_available, fun is_integer/1},
              {version, fun io_lib:printable_list/1},
              %% The machine's own (aarch64 under qemu, where erl's is x86-64's); its
              %% exact value is compared with erl's by the cli tests.
              {system_architecture, fun io_lib:printable_list/1},
              {system_version, fun io_lib:printable_list/1},
              {process_limit, fun is_integer/1}, {atom_count, fun is_integer/1},
              {process_count, fun is_integer/1}, {thread_pool_size, fun is_integer/1},
              {build_type, fun is_atom/1}, {emu_type, fun is_atom/1},
              {emu_flavor, fun is_atom/1}, {kernel_poll, fun is_boolean/1},
              {debug_compiled, fun is_boolean/1}, {check_io, fun is_list/1},
              {start_time, fun is_integer/1}, {multi_scheduling, fun is_atom/1},
              {dirty_cpu_schedulers, fun is_integer/1}, {port_count, fun is_integer/1}],
    [p({K, Is(erlang:system_info(K))}) || {K, Is} <- Shapes],
    N = erlang:system_info(atom_count),
    _ = list_to_atom("system_bifs_fresh_atom"),
    p(erlang:system_info(atom_count) - N),
    P = erlang:system_info(process_count),
    Pid = spawn(fun() -> receive stop -> ok end end),
    p(erlang:system_info(process_count) - P),
    Pid ! stop,
    p(erlang:system_info(schedulers) =:= erlang:system_info(schedulers_online)),
    [p(c(fun() -> erlang:system_info(K) end))
     || K <- [bogus, 42, {bogus, 1}, {wordsize, bogus}, "otp_release"]].

system_flag() ->
    p(erlang:system_flag(backtrace_depth, 2)),
    p(trace_of(fun() -> deep(5) end)),
    p(erlang:system_flag(backtrace_depth, 0)),
    p(trace_of(fun() -> deep(5) end)),
    p(catch error(x)),
    p(erlang:system_flag(backtrace_depth, 1000)),
    p(erlang:system_flag(backtrace_depth, 3)),
    p(trace_of(fun() -> f1(x) end)),
    p(erlang:system_flag(backtrace_depth, 8)),
    p(is_integer(erlang:system_flag(schedulers_online, 1))),
    p(erlang:system_flag(time_offset, finalize)),
    [p(c(F)) || F <- [fun() -> erlang:system_flag(backtrace_depth, -1) end,
                      fun() -> erlang:system_flag(backtrace_depth, foo) end,
                      fun() -> erlang:system_flag(schedulers_online, 0) end,
                      fun() -> erlang:system_flag(time_offset, foo) end,
                      fun() -> erlang:system_flag(bogus, 1) end,
                      fun() -> erlang:system_flag("bogus", 1) end]].

f1(X) -> [f2(X)].
f2(X) -> [f3(X)].
f3(X) -> [f4(X)].
f4(X) -> [atom_to_list(X) ++ X].

deep(0) -> error(deep);
deep(N) -> [deep(N - 1)].

trace_of(F) ->
    try F() catch error:_:S -> S end.

times() ->
    D = erlang:monotonic_time() + erlang:time_offset() - erlang:system_time(),
    p(abs(D) < 1000000000),
    p(erlang:time_offset() =:= erlang:time_offset()),
    S = erlang:time_offset(second),
    p(S =:= erlang:convert_time_unit(erlang:time_offset(), native, second)),
    p(erlang:time_offset(millisecond) div 1000 =:= S),
    {Mega, Sec, _} = os:timestamp(),
    p(abs(erlang:system_time(second) - (Mega * 1000000 + Sec)) < 5),
    p(c(fun() -> erlang:time_offset(bogus) end)).

calendar() ->
    Dts = [{{2024,3,31},{2,30,0}}, {{2024,10,27},{2,30,0}}, {{2024,3,10},{2,30,0}},
           {{2024,11,3},{1,30,0}}, {{1970,1,1},{0,0,0}}, {{1969,12,31},{23,59,59}},
           {{1902,1,1},{0,0,0}}, {{1901,12,31},{0,0,0}}, {{1600,1,1},{0,0,0}},
           {{2038,1,19},{3,14,8}}, {{9999,12,31},{23,59,59}}, {{2024,2,29},{12,0,0}},
           {{2023,2,29},{12,0,0}}, {{2100,2,29},{0,0,0}}, {{2000,2,29},{0,0,0}},
           {{2024,13,1},{0,0,0}}, {{2024,1,1},{24,0,0}}, {{2024,1,1},{0,60,0}},
           {{2024,1,1},{0,0,60}}, {{-1,1,1},{0,0,0}}, {{2024,1,1},{0,0,-1}},
           {2024,1,1}, foo, {{a,1,1},{0,0,0}}, {{2024,1,1},{0,0,0},x},
           {{2024,1,1,1},{0,0,0}}, {{1 bsl 40,1,1},{0,0,0}}, {{1000000,6,1},{12,0,0}}],
    [p({D, c(fun() -> erlang:localtime_to_universaltime(D, true) end),
        c(fun() -> erlang:localtime_to_universaltime(D, false) end),
        c(fun() -> erlang:localtime_to_universaltime(D, undefined) end),
        c(fun() -> erlang:universaltime_to_localtime(D) end),
        c(fun() -> erlang:universaltime_to_posixtime(D) end)}) || D <- Dts],
    p(c(fun() -> erlang:localtime_to_universaltime({{2024,1,1},{0,0,0}}, maybe) end)),
    Ps = [0, -1, 1700000000, -2208988800, -62167219200, -62167219201, 253402300799,
          253402300800, 1 bsl 40, -(1 bsl 40), 1 bsl 62, -(1 bsl 62), (1 bsl 63) - 1,
          -(1 bsl 63), 1 bsl 63, 1 bsl 70, 1.0, foo],
    [p({P, c(fun() -> erlang:posixtime_to_universaltime(P) end)}) || P <- Ps],
    Now = erlang:universaltime(),
    p(erlang:posixtime_to_universaltime(erlang:universaltime_to_posixtime(Now)) =:= Now),
    p(erlang:localtime_to_universaltime(erlang:universaltime_to_localtime(Now), undefined)
      =:= Now).

data() ->
    [p(c(fun() -> binary_to_list(B, S, E) end))
     || {B, S, E} <- [{<<1,2,3,4,5>>, 2, 4}, {<<1,2,3,4,5>>, 4, 2}, {<<1,2,3,4,5>>, 0, 2},
                      {<<1,2,3,4,5>>, 1, 6}, {<<1,2,3,4,5>>, 3, 3}, {<<1,2,3,4,5:4>>, 1, 4},
                      {<<1,2,3,4,5:4>>, 1, 5}, {foo, 1, 1}, {<<>>, 1, 0}, {<<1>>, 2, 1},
                      {<<1,2>>, a, 2}, {<<0:3, 255, 7>>, 1, 2}]],
    R = make_ref(),
    p(R =:= list_to_ref(ref_to_list(R))),
    [p(c(fun() -> list_to_ref(S) end))
     || S <- ["#Ref<0.1.65536.3>", "#Ref<0.0.0.262143>", "#Ref<0.01.65536.3>",
              "#Ref<00.1.0.3>", "#Ref<0.4294967295.0.1>", "#Ref<0.0.3221225472.1>",
              "#Ref<0.0.0.262144>", "#Ref<0.1.2>", "#Ref<0.1.2.3.4>", "#Ref<1.1.2.3>",
              "#Ref<0. 1.2.3>", "#Ref<0.1.2.3> ", "#Ref<0.1.2.+3>", "#Ref<0.1.2.3",
              "#Ref<0.4294967296.2.3>", "#Ref<0.-1.2.3>", foo, <<"#Ref<0.1.2.3>">>]],
    p(c(fun() -> erlang:bump_reductions(10) end)),
    p(c(fun() -> erlang:bump_reductions(0) end)),
    p(c(fun() -> erlang:bump_reductions(100000) end)),
    p(c(fun() -> erlang:bump_reductions(-1) end)),
    p(c(fun() -> erlang:bump_reductions(1 bsl 70) end)),
    %% (What display_string/1 and display_nl/0 write goes to standard error: see
    %% crates/girder-cli/tests/cli.rs, `display_output_matches_erl`.)
    p(c(fun() -> erlang:display_string(<<"bin">>) end)),
    p(c(fun() -> erlang:display_string([a]) end)),
    p(c(fun() -> erlang:display_string([-1]) end)),
    p(binary_to_term(<<131,77,0,0,0,0,0>>)),
    p(c(fun() -> binary_to_term(<<131,77,0,0,0,0,8>>) end)),
    p(is_list(erlang:pre_loaded())),
    _ = lists:seq(1, 2),
    p(lists:member(lists, erlang:loaded())),
    p(lists:member(system_bifs, erlang:loaded())).

sizes(L) when is_list(L) -> [byte_size(X) || X <- L];
sizes(B) -> {binary, byte_size(B)}.

b(N) -> list_to_binary([I rem 256 || I <- lists:seq(1, N)]).

iovec() ->
    B = b(100),
    <<_:3, U:90/binary, _/bitstring>> = b(200),
    Ios = [[1,2,<<3>>,[<<4,5>>|<<6>>]], [B, 1, B, [B], <<>>, []], <<>>, [], B,
           [binary:part(B, 1, 80), binary:part(B, 3, 10)], [b(300), b(10), b(300), 1, 2, b(20)],
           [b(100), b(100), b(100), b(100)], [b(200), b(200)], [b(10), b(300)], b(1000),
           [b(1000)|b(5)], [b(100), b(600)], [b(300), b(600)], [U], U,
           [lists:duplicate(1000, 1)], [b(64), b(65), b(64), <<1>>, B, binary:part(B, 0, 70)],
           [[b(3000), b(3000)], b(3000), b(3000), [b(2000)|b(300)]],
           lists:duplicate(100, b(100))],
    [p({sizes(erlang:iolist_to_iovec(Io)),
        iolist_to_binary(erlang:iolist_to_iovec(Io)) =:= iolist_to_binary(Io)}) || Io <- Ios],
    [p(c(fun() -> erlang:iolist_to_iovec(Bad) end))
     || Bad <- [foo, [256], [<<1:3>>], <<1:3>>, [1|2], [-1], [[1, a]]]],
    Ts = [{a, B, [B], binary:part(B, 0, 70), <<1,2>>}, foo, B, b(64), b(65),
          binary:part(B, 0, 10), binary:part(B, 1, 65), U, [B, B, 1, B],
          {B, <<B/binary, 1:2>>}, <<>>, #{a => B, B => [B]}, [1, 2 | B],
          fun() -> B end, {1.5, B}],
    [p({sizes(erlang:term_to_iovec(T)),
        iolist_to_binary(erlang:term_to_iovec(T)) =:= term_to_binary(T)}) || T <- Ts],
    Opts = [[compressed], [{compressed, 0}], [{compressed, 6}], [deterministic],
            [{minor_version, 0}], [{minor_version, 1}], [{minor_version, 2}]],
    [p({O, sizes(erlang:term_to_iovec({B, 1.5, atom}, O)),
        iolist_to_binary(erlang:term_to_iovec({B, 1.5, atom}, O))
            =:= term_to_binary({B, 1.5, atom}, O)}) || O <- Opts],
    p(erlang:term_to_iovec(a, [compressed])),
    p(is_binary(erlang:term_to_iovec(b(1000), [compressed]))),
    p(c(fun() -> erlang:term_to_iovec(B, [bad]) end)),
    p(c(fun() -> erlang:term_to_iovec(B, foo) end)).

funs() ->
    X = erlang:phash2(make_ref()),
    F1 = fun() -> ok end,
    F2 = fun(A) -> A + 1 end,
    F3 = fun(A, B) -> A + B + X end,
    [p(c(fun() -> erlang:fun_info_mfa(F) end))
     || F <- [fun lists:map/2, F1, F2, F3, fun no:such/9, foo]],
    p(c(fun() -> erlang:make_fun(lists, map, 2) end)),
    p((erlang:make_fun(lists, map, 2))(fun(A) -> A * 2 end, [1, 2, 3])),
    p(erlang:make_fun(lists, map, 2) =:= fun lists:map/2),
    [p(c(fun() -> erlang:make_fun(M, F, A) end))
     || {M, F, A} <- [{lists, map, -1}, {lists, map, 256}, {lists, map, 255}, {1, map, 2},
                      {nomod, nofun, 0}, {lists, "map", 2}]],
    [p({M, F, A, c(fun() -> erlang:is_builtin(M, F, A) end)})
     || {M, F, A} <- [{erlang, abs, 1}, {lists, reverse, 2}, {lists, map, 2},
                      {erlang, abs, 2}, {x, abs, foo}, {erlang, '+', 2}, {erlang, self, 0},
                      {erlang, length, 1}, {erlang, element, 2}, {maps, get, 2},
                      {no, such, 0}, {erlang, system_info, 1}]].

checksums() ->
    p(erlang:adler32_combine(erlang:adler32(<<"ab">>), erlang:adler32(<<"cde">>), 3)
      =:= erlang:adler32(<<"abcde">>)),
    p(erlang:crc32_combine(erlang:crc32(<<"ab">>), erlang:crc32(<<"cde">>), 3)
      =:= erlang:crc32(<<"abcde">>)),
    Args = [{123456, 654321, 77}, {1, 1, 0}, {123, 456, 0}, {1, 2, 4294967295},
            {16#ffffffff, 16#ffffffff, 5}, {0, 0, 1000000}, {1 bsl 32, 1, 1}, {-1, 1, 1},
            {1, 1, -1}, {1, 1, 1 bsl 32}, {1, foo, 0}],
    [p({A, c(fun() -> erlang:adler32_combine(F, S, L) end),
        c(fun() -> erlang:crc32_combine(F, S, L) end)}) || {F, S, L} = A <- Args].

packets() ->
    Cases = [{raw, <<1,2,3>>, []}, {raw, <<>>, []}, {0, <<1,2>>, []},
             {1, <<2,1,2,3>>, []}, {1, <<3,1,2>>, []}, {1, <<>>, []},
             {2, <<0,3,1,2,3,4>>, []}, {2, <<0>>, []}, {4, <<0,0,0,2,9,9>>, []},
             {4, <<0,0,0,200>>, [{packet_size, 100}]}, {4, <<0,0,0,100>>, [{packet_size, 100}]},
             {4, <<255,255,255,255>>, []}, {line, <<"ab\ncd">>, []}, {line, <<"abcd">>, []},
             {line, <<"abcd">>, [{line_length, 2}]}, {line, <<"ab\ncd">>, [{line_length, 2}]},
             {line, <<>>, []}, {raw, <<1,2,3>>, [{packet_size, 2}]},
             {1, <<1,2>>, [{packet_size, 0}]}, {1, <<1,2,3:4>>, []}, {1, <<1:3>>, []},
             {line, <<"a\r\nb">>, []}, {line, <<"abc">>, [{line_length, 0}]},
             {line, <<"abc">>, [{line_delimiter, $b}]}, {2, <<0,3,1,2>>, [{packet_size, 2}]},
             {line, <<"abcdef">>, [{packet_size, 3}]}, {line, <<"abcdef\n">>, [{packet_size, 3}]},
             {asn1, <<48,3,1,2,3,4>>, []}, {asn1, <<48,130,0,2,1,2>>, []},
             {asn1, <<48,130,0,5,1>>, []}, {asn1, <<31,129,1,2,7,7,7>>, []}, {asn1, <<48>>, []},
             {asn1, <<48,133,0,0,0,0,0>>, []}, {sunrm, <<128,0,0,2,5,6,7>>, []},
             {cdr, <<"GIOP",1,0,0,0,0,0,0,2,9,9,9>>, []}, {cdr, <<"GIOP",1,0,1,0,2,0,0,0,9,9>>, []},
             {cdr, <<"XIOP",1,0,0,0,0,0,0,0>>, []}, {fcgi, <<1,1,0,1,0,2,1,0,7,7,0,9>>, []},
             {fcgi, <<2,1,0,1,0,2,1,0>>, []}, {tpkt, <<3,0,0,6,1,2,3>>, []},
             {tpkt, <<3,0,0,2,1>>, []}, {tpkt, <<4,0,0,6,1,2>>, []},
             {raw, <<1,2,3>>, [{packet_size, -1}]}, {1, <<1,2>>, [bad]}, {1, <<1,2>>, foo},
             {1, <<1,2>>, [{line_delimiter, $x}]}, {line, <<"a">>, [{line_delimiter, 256}]},
             {1, <<1,2>>, [{packet_size, 1 bsl 32}]}, {foo, <<>>, []}, {3, <<>>, []},
             {ssl_tls, <<>>, []}, {ssl_tls, <<22,3,1,0,2,9,9,7>>, []}, {ssl_tls, <<22,3,1,0,2,9>>, []},
             {ssl_tls, <<128,5,1,3,1,7,7,8>>, []}, {ssl_tls, <<128,2,1,3,1>>, []},
             {ssl_tls, <<23,3,3,0,0>>, []}, {ssl_tls, <<23,3,3,0,9,1>>, [{packet_size, 4}]},
             {1, foo, []}],
    [p({T, B, O, c(fun() -> erlang:decode_packet(T, B, O) end)}) || {T, B, O} <- Cases],
    <<_:5, Sub/bitstring>> = <<0:5, 2, 1, 2, 3, 1:3>>,
    p(erlang:decode_packet(1, Sub, [])),
    Headers = ["Cache-Control", "Connection", "Date", "Pragma", "Transfer-Encoding",
               "Upgrade", "Via", "Accept", "Accept-Charset", "Accept-Encoding",
               "Accept-Language", "Authorization", "From", "Host", "If-Modified-Since",
               "If-Match", "If-None-Match", "If-Range", "If-Unmodified-Since", "Max-Forwards",
               "Proxy-Authorization", "Range", "Referer", "User-Agent", "Age", "Location",
               "Proxy-Authenticate", "Public", "Retry-After", "Server", "Vary", "Warning",
               "Www-Authenticate", "Allow", "Content-Base", "Content-Encoding",
               "Content-Language", "Content-Length", "Content-Location", "Content-Md5",
               "Content-Range", "Content-Type", "Etag", "Expires", "Last-Modified",
               "Accept-Ranges", "Set-Cookie", "Set-Cookie2", "X-Forwarded-For", "Cookie",
               "Keep-Alive", "Proxy-Connection", "X-Other", "content-TYPE", "x-a-b-c",
               "ThisIsAVeryLongHeaderNameXyz", "Exactly-Twenty-Chars"],
    [p(erlang:decode_packet(T, list_to_binary(H ++ ": v\r\n\r\n"), []))
     || H <- Headers, T <- [httph, httph_bin]],
    Http = [{http, <<"\r\n">>, []}, {http, <<"\n">>, []}, {http, <<"GET / HTTP/1.1\r\n">>, []},
            {http, <<"garbage\r\n">>, []}, {http_bin, <<"garbage\r\n">>, []},
            {http, <<"HTTP/1.0 200 OK\r\nX">>, []}, {http_bin, <<"HTTP/1.1 301  Moved Away\n">>, []},
            {http, <<"HTTP/1.1 404\r\n">>, []}, {http, <<"HTTP/1. 200 OK\r\n">>, []},
            {http, <<"HTTP/1.1200 OK\r\n">>, []}, {http, <<"HTTP/1.1 2x0 OK\r\n">>, []},
            {httph, <<"\r\n">>, []}, {httph_bin, <<"\r\nrest">>, []},
            {httph_bin, <<"content-type:  text/html\r\n\r\n">>, []},
            {httph, <<"X-My-Header: a\r\n b\r\nNext: c\r\n">>, []},
            {httph, <<"X: a\r\n\tb\r\n c\r\n\r\n">>, []},
            {http, <<"FOO http://host:81/p?q HTTP/1.0\r\n">>, []},
            {http_bin, <<"GET https://h HTTP/1.1\r\n">>, []},
            {http, <<"GET HTTP://Host:0/x HTTP/1.1\r\n">>, []},
            {http, <<"GET http://host:8x/x HTTP/1.1\r\n">>, []},
            {http, <<"GET * HTTP/1.1\r\n">>, []}, {http, <<"GET ftp:x HTTP/1.1\r\n">>, []},
            {http, <<"GET foo HTTP/1.1\r\n">>, []}, {http, <<"GET /\r\n">>, []},
            {http, <<"GET  /a   HTTP/1.1\r\n">>, []}, {http, <<"GET / FOO/1.1\r\n">>, []},
            {http, <<"GET / HTTP/1\r\n">>, []}, {http, <<"GET\r\n">>, []},
            {http, <<"G(ET / HTTP/1.1\r\n">>, []}, {http, <<"OPTIONS / HTTP/1.1\r\n">>, []},
            {http, <<"get / HTTP/1.1\r\n">>, []}, {http_bin, <<"TRACE /x HTTP/2.0\r\n">>, []},
            {http, <<"GET / HTTP/1.1">>, []}, {http, <<"GET / HTTP/1.1\r\n">>, [{packet_size, 5}]},
            {http, <<"GET / HTTP/1.1">>, [{line_length, 5}]},
            {http, <<"GET / HTTP/1.1\r\n">>, [{line_length, 100}]},
            {httph, <<"ThisIsAVeryLongHeaderNameXyz: v\r\n">>, []},
            {httph, <<"Bad Header: v\r\nx">>, []}, {httph, <<"NoColon\r\nx">>, []},
            {httph, <<"Host:x\r\nx">>, []},
            {http, <<"GET http://[::1]:8080/x HTTP/1.1\r\n">>, []}],
    [p({T, B, O, c(fun() -> erlang:decode_packet(T, B, O) end)}) || {T, B, O} <- Http].

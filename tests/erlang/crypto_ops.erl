-module(crypto_ops).
-export([main/0]).
-compile(nowarn_deprecated_function).

%% OTP's own crypto.beam over girder's crypto NIFs: digests, MACs and key
%% derivation of fixed inputs, streaming against one-shot results on generated
%% data, random bytes by their properties, and errors as crypto raises them
%% (class, kind and text; the C file and line are the library's own).

-define(HASHES, [md5, sha, sha224, sha256, sha384, sha512, sha3_224, sha3_256,
                 sha3_384, sha3_512, blake2b, blake2s]).

main() ->
    hashes(),
    streaming(),
    macs(),
    ciphers(),
    aeads(),
    misc(),
    errors(),
    ok.

hashes() ->
    [io:format("~p ~s~n", [H, hex(crypto:hash(H, [<<"abc">>, "def", [$g]]))]) || H <- ?HASHES],
    [io:format("~p empty ~s~n", [H, hex(crypto:hash(H, <<>>))]) || H <- [md5, sha256, sha3_256]],
    [io:format("~p ~w~n", [H, crypto:hash_info(H)]) || H <- ?HASHES],
    io:format("~p~n", [[lists:member(H, crypto:supports(hashs)) || H <- ?HASHES]]),
    io:format("~p~n", [lists:member(hmac, crypto:supports(macs))]).

streaming() ->
    Data = data(100000),
    R = [begin
             S0 = crypto:hash_init(H),
             S = lists:foldl(fun(I, S1) -> crypto:hash_update(S1, binary:part(Data, I, 10000)) end,
                             S0, lists:seq(0, 99999, 10000)),
             %% The old state stays usable.
             _ = crypto:hash_update(S0, <<"other">>),
             {H, crypto:hash_final(S) =:= crypto:hash(H, Data),
              crypto:hash_final(S0) =:= crypto:hash(H, <<>>)}
         end || H <- ?HASHES],
    io:format("~w~n", [R]).

macs() ->
    Hmacs = ?HASHES -- [blake2b, blake2s],
    [io:format("hmac ~p ~s~n", [H, hex(crypto:mac(hmac, H, <<"key">>, <<"The data">>))]) || H <- Hmacs],
    LongKey = binary:copy(<<"k">>, 200),
    io:format("long key ~s~n", [hex(crypto:mac(hmac, sha256, LongKey, "x"))]),
    M0 = crypto:mac_init(hmac, sha512, [<<"ke">>, "y"]),
    M1 = crypto:mac_update(M0, <<"The ">>),
    M2 = crypto:mac_update(M1, "data"),
    io:format("stream ~p~n", [crypto:mac_final(M2) =:= crypto:mac(hmac, sha512, <<"key">>, <<"The data">>)]),
    io:format("macN ~s~n", [hex(crypto:macN(hmac, sha256, <<"k">>, <<"d">>, 12))]),
    io:format("finalN ~s~n", [hex(crypto:mac_finalN(crypto:mac_init(hmac, sha, <<"k">>), 5))]),
    [io:format("pbkdf2 ~p ~s~n", [H, hex(crypto:pbkdf2_hmac(H, <<"password">>, <<"salt">>, 50, 40))])
     || H <- [sha, sha224, sha256, sha384, sha512]].

ciphers() ->
    Data = data(100),
    [begin
         Key = binary:part(<<1:256>>, 0, KL),
         IV = case Mode of ecb -> <<>>; _ -> <<5:128>> end,
         Cipher = list_to_atom(lists:flatten(io_lib:format("aes_~p_~p", [KL * 8, Mode]))),
         Pad = [{encrypt, true}, {padding, pkcs_padding}],
         Enc = crypto:crypto_one_time(Cipher, Key, IV, Data, Pad),
         Dec = crypto:crypto_one_time(Cipher, Key, IV, Enc, [{encrypt, false}, {padding, pkcs_padding}]),
         St = crypto:crypto_init(Cipher, Key, IV, true),
         Parts = [crypto:crypto_update(St, binary:part(Data, I, 10)) || I <- lists:seq(0, 90, 10)],
         Last = crypto:crypto_final(St),
         io:format("~p ~s ~p ~s~n", [Cipher, hex(crypto:hash(md5, Enc)), Dec =:= Data,
                                     hex(crypto:hash(md5, [Parts, Last]))])
     end || KL <- [16, 24, 32], Mode <- [ecb, cbc, ctr, cfb128]],
    io:format("alias ~s~n", [hex(crypto:crypto_one_time(aes_cbc, <<2:128>>, <<3:128>>, <<4:256>>, true))]),
    io:format("ecb ~s~n", [hex(crypto:crypto_one_time(aes_128_ecb, <<0:128>>, <<"0123456789abcdef">>, true))]),
    io:format("partial ~w~n", [crypto:crypto_one_time(aes_128_cbc, <<0:128>>, <<1:128>>, <<"x">>, true)]),
    io:format("ctr wrap ~s~n", [hex(crypto:crypto_one_time(aes_128_ctr, <<0:128>>, <<-1:128>>, <<0:400>>, true))]),
    io:format("chacha20 ~s~n", [hex(crypto:crypto_one_time(chacha20, <<5:256>>, <<7:128>>, <<0:800>>, true))]),
    S = crypto:crypto_init(aes_128_cbc, <<0:128>>, <<1:128>>, true),
    _ = crypto:crypto_update(S, <<"0123456789">>),
    _ = crypto:crypto_update(S, <<"0123456789">>),
    io:format("final ~w ~w~n", [crypto:crypto_final(S), crypto:crypto_get_data(S)]),
    err(fun() -> crypto:crypto_one_time(aes_999, <<0:128>>, <<0:128>>, <<"x">>, true) end),
    err(fun() -> crypto:crypto_one_time(aes_128_cbc, <<0:64>>, <<0:128>>, <<"x">>, true) end),
    err(fun() -> crypto:crypto_one_time(aes_128_cbc, <<0:128>>, <<1:64>>, <<0:128>>, true) end),
    err(fun() -> crypto:crypto_one_time(aes_128_cbc, <<0:128>>, <<1:128>>, <<0:128>>, foo) end),
    err(fun() -> crypto:crypto_one_time(aes_128_cbc, <<0:128>>, <<1:128>>, <<1:128>>,
                                        [{encrypt, false}, {padding, pkcs_padding}]) end),
    err(fun() -> crypto:crypto_update(make_ref(), <<>>) end).

aeads() ->
    Text = <<"hello world, this is a longer text">>,
    [begin
         {C, T} = crypto:crypto_one_time_aead(Cipher, Key, <<3:96>>, Text, <<"aad">>, true),
         io:format("~p ~s ~s~n", [Cipher, hex(C), hex(T)]),
         io:format("  ~p ~p ~p~n",
                   [crypto:crypto_one_time_aead(Cipher, Key, <<3:96>>, C, <<"aad">>, T, false) =:= Text,
                    crypto:crypto_one_time_aead(Cipher, Key, <<3:96>>, C, <<"aae">>, T, false),
                    crypto:crypto_one_time_aead(Cipher, Key, <<3:96>>, C, <<"aad">>,
                                                binary:part(T, 0, 8), false)]),
         {C8, T8} = crypto:crypto_one_time_aead(Cipher, Key, <<4:96>>, <<"x">>, [], 8, true),
         io:format("  ~s ~s~n", [hex(C8), hex(T8)])
     end || {Cipher, Key} <- [{aes_128_gcm, <<7:128>>}, {aes_192_gcm, <<7:192>>},
                              {aes_256_gcm, <<7:256>>}, {aes_gcm, <<8:128>>},
                              {chacha20_poly1305, <<9:256>>}]],
    err(fun() -> crypto:crypto_one_time_aead(aes_128_gcm, <<0:128>>, <<>>, <<"x">>, <<>>, true) end).

misc() ->
    Sizes = [byte_size(crypto:strong_rand_bytes(N)) || N <- [0, 1, 16, 1000]],
    A = crypto:strong_rand_bytes(32),
    B = crypto:strong_rand_bytes(32),
    io:format("rand ~w ~p~n", [Sizes, A =/= B]),
    io:format("exor ~w ~w~n", [crypto:exor(<<1, 2, 3>>, <<255, 0, 1>>), crypto:exor([1, <<2>>], "ab")]),
    io:format("equals ~p ~p~n", [crypto:hash_equals(<<"abc">>, <<"abc">>),
                                 crypto:hash_equals(<<"abc">>, <<"abd">>)]),
    U = [crypto:rand_uniform(10, 20) || _ <- lists:seq(1, 50)],
    io:format("uniform ~p~n", [lists:all(fun(X) -> X >= 10 andalso X < 20 end, U)]),
    io:format("fips ~p~n", [crypto:info_fips()]),
    [{Name, _, Text}] = crypto:info_lib(),
    io:format("info_lib ~p~n", [is_binary(Name) andalso is_binary(Text)]).

errors() ->
    err(fun() -> crypto:hash(foo, <<"a">>) end),
    err(fun() -> crypto:hash(sha256, foo) end),
    err(fun() -> crypto:hash_init(bar) end),
    err(fun() -> crypto:hash_update(make_ref(), <<>>) end),
    err(fun() -> crypto:mac(hmac, foo, <<"k">>, <<"d">>) end),
    err(fun() -> crypto:mac(nomac, sha, <<"k">>, <<"d">>) end),
    err(fun() -> crypto:mac(hmac, sha, foo, <<"d">>) end),
    err(fun() -> crypto:hash_equals(<<1>>, <<1, 2>>) end),
    err(fun() -> crypto:exor(<<1>>, <<1, 2>>) end),
    err(fun() -> crypto:strong_rand_bytes(-1) end),
    err(fun() -> crypto:pbkdf2_hmac(md5x, <<"p">>, <<"s">>, 1, 10) end),
    err(fun() -> crypto:hash_info(nohash) end).

err(F) ->
    try F() of
        V -> io:format("ok ~p~n", [V])
    catch
        C:{Kind, {File, Line}, Text} when is_list(File), is_integer(Line) ->
            io:format("~p ~p ~s~n", [C, Kind, Text]);
        C:R -> io:format("~p ~p~n", [C, R])
    end.

data(N) -> << <<((I * 7919) rem 251)>> || I <- lists:seq(1, N) >>.

hex(B) -> [io_lib:format("~2.16.0b", [X]) || <<X>> <= B].

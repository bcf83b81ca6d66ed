%% X25519 key agreement and Ed25519 signatures through OTP's crypto, with fixed keys (so
%% the keys, secrets and signatures are erl's bytes), random ones (checked by their
%% relations), and bad input (only the error's kind: erl names its C files).
-module(crypto_pubkey).
-export([main/0]).

main() ->
    Supports = crypto:supports(),
    io:format("public keys include: ~p~n", [[K || K <- [ecdh, eddsa, eddh], lists:member(K, proplists:get_value(public_keys, Supports))]]),
    io:format("curves include: ~p~n", [[C || C <- [ed25519, x25519], lists:member(C, proplists:get_value(curves, Supports))]]),
    A = crypto:hash(sha256, <<"alice">>),
    B = crypto:hash(sha256, <<"bob">>),
    {APub, A} = crypto:generate_key(ecdh, x25519, A),
    {BPub, B} = crypto:generate_key(eddh, x25519, B),
    io:format("x25519 public keys: ~p~n~p~n", [APub, BPub]),
    S1 = crypto:compute_key(ecdh, BPub, A, x25519),
    S2 = crypto:compute_key(eddh, APub, B, x25519),
    io:format("shared: ~p ~p~n", [S1, S1 =:= S2]),
    {RPub, RPriv} = crypto:generate_key(ecdh, x25519),
    io:format("random: ~p~n", [{byte_size(RPub), byte_size(RPriv),
                                crypto:compute_key(ecdh, RPub, A, x25519) =:= crypto:compute_key(ecdh, APub, RPriv, x25519)}]),
    {EPub, Seed} = crypto:generate_key(eddsa, ed25519, crypto:hash(sha256, <<"seed">>)),
    io:format("ed25519 public key: ~p ~p~n", [EPub, byte_size(Seed)]),
    Msg = <<"girder signs this">>,
    Sig = crypto:sign(eddsa, none, Msg, [Seed, ed25519]),
    io:format("signature: ~p~n", [Sig]),
    io:format("iolist and digest forms: ~p~n", [{crypto:sign(eddsa, none, [<<"girder ">>, "signs", [$\s | <<"this">>]], [Seed, ed25519]) =:= Sig,
                                                 crypto:sign(eddsa, sha256, {digest, Msg}, [Seed, ed25519]) =:= Sig}]),
    io:format("verify: ~p~n", [[crypto:verify(eddsa, none, Msg, Sig, [EPub, ed25519]),
                                crypto:verify(eddsa, none, <<Msg/binary, "!">>, Sig, [EPub, ed25519]),
                                crypto:verify(eddsa, none, Msg, binary:part(Sig, 0, 63), [EPub, ed25519]),
                                crypto:verify(eddsa, none, Msg, Sig, [APub, ed25519])]]),
    {RE, RS} = crypto:generate_key(eddsa, ed25519),
    io:format("random ed25519: ~p~n", [crypto:verify(eddsa, none, Msg, crypto:sign(eddsa, none, Msg, [RS, ed25519]), [RE, ed25519])]),
    Kind = fun(F) -> try F() of V -> {value, V} catch error:{K, _, _} -> K; C:R -> {C, R} end end,
    io:format("zero point: ~p~n", [Kind(fun() -> crypto:compute_key(ecdh, <<0:256>>, A, x25519) end)]),
    io:format("short key: ~p~n", [Kind(fun() -> crypto:compute_key(ecdh, <<1, 2, 3>>, A, x25519) end)]),
    io:format("short seed: ~p~n", [Kind(fun() -> crypto:sign(eddsa, none, Msg, [<<1, 2, 3>>, ed25519]) end)]),
    ok.

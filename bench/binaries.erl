%% Binaries and the bit syntax: building a binary of length-prefixed records by
%% appending, parsing it back with binary matching, packing and unpacking bit fields
%% of odd sizes, and a binary comprehension.
-module(binaries).
-export([main/0, main/1]).

main() -> main([full]).

main([Size]) ->
    bench_harness:measure(binaries, fun(S) -> run(params(S)) end, Size).

params(quick) -> {500, 2};
params(full) -> {20000, 55}.

run({N, Reps}) -> run(N, Reps, 0).

run(_, 0, Acc) -> Acc;
run(N, K, Acc) ->
    Bin = build(N, K, <<>>),
    {Count, Sum} = parse(Bin, 0, 0),
    Packed = pack(N, K, <<>>),
    Unpacked = unpack(Packed, 0),
    Doubled = << <<(B * 2):16/little>> || <<B>> <= binary:part(Bin, 0, 4096) >>,
    D = checksum(Doubled, 0),
    run(N, K - 1,
        (Acc * 31 + Count + Sum + Unpacked + D + byte_size(Bin) + bit_size(Packed))
        rem 1000000007).

%% Records: <<Id:32, Len:8, Payload:Len/binary, Crc:16>>
build(0, _, Bin) -> Bin;
build(I, K, Bin) ->
    Len = (I + K) rem 24,
    Payload = payload(Len, I, <<>>),
    build(I - 1, K, <<Bin/binary, I:32, Len:8, Payload/binary, (I band 16#ffff):16>>).

payload(0, _, B) -> B;
payload(L, Seed, B) -> payload(L - 1, Seed, <<B/binary, ((Seed + L) band 255):8>>).

parse(<<>>, Count, Sum) -> {Count, Sum};
parse(<<Id:32, Len:8, Payload:Len/binary, Crc:16, Rest/binary>>, Count, Sum) ->
    Crc = Id band 16#ffff,
    parse(Rest, Count + 1, (Sum + Id + checksum(Payload, 0)) rem 1000000007).

checksum(<<>>, Acc) -> Acc;
checksum(<<B, Rest/binary>>, Acc) -> checksum(Rest, (Acc * 33 + B) rem 1000000007).

%% Bit fields of odd sizes, not byte aligned: 3 + 5 + 11 + 13 = 32 bits, then 1 + 6.
pack(0, _, Bits) -> Bits;
pack(I, K, Bits) ->
    pack(I - 1, K, <<Bits/bitstring, (I band 7):3, (K band 31):5, (I band 2047):11,
                     ((I * K) band 8191):13, (I band 1):1, (I rem 64):6>>).

unpack(<<>>, Acc) -> Acc;
unpack(<<A:3, B:5, C:11, D:13, E:1, F:6, Rest/bitstring>>, Acc) ->
    unpack(Rest, (Acc + A + B * 3 + C * 5 + D * 7 + E + F * 11) rem 1000000007).


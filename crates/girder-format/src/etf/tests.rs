//! Unit tests of the external term format: known encodings, hostile input, properties.

use num_bigint::{BigInt, Sign};

use super::*;
use crate::term::{Fun, Term};

fn atom(s: &str) -> Term {
    Term::atom(s)
}

#[test]
fn small_values_match_otp() {
    assert_eq!(encode(&Term::Int(255)), [131, 97, 255]);
    assert_eq!(encode(&Term::Int(256)), [131, 98, 0, 0, 1, 0]);
    assert_eq!(encode(&Term::Int(-1)), [131, 98, 255, 255, 255, 255]);
    assert_eq!(encode(&Term::Int(1 << 31)), [131, 110, 4, 0, 0, 0, 0, 128]);
    assert_eq!(
        encode(&Term::Int(1 << 59)),
        [131, 110, 8, 0, 0, 0, 0, 0, 0, 0, 0, 8]
    );
    assert_eq!(encode(&atom("foo")), [131, 100, 0, 3, b'f', b'o', b'o']);
    assert_eq!(
        encode_with(&atom("foo"), EncodeOptions { utf8_atoms: true }),
        [131, 119, 3, b'f', b'o', b'o']
    );
    assert_eq!(encode(&atom("\u{65e5}")), [131, 119, 3, 230, 151, 165]);
    let l = Term::List(vec![Term::Int(1), Term::Int(2)], Box::new(Term::Int(3)));
    assert_eq!(encode(&l), [131, 108, 0, 0, 0, 2, 97, 1, 97, 2, 97, 3]);
    let bits = Term::Bitstring {
        bytes: vec![1, 64],
        bits: 3,
    };
    assert_eq!(encode(&bits), [131, 77, 0, 0, 0, 2, 3, 1, 64]);
}

#[test]
fn list_tails_are_flattened() {
    // [1 | "ab"] written as LIST_EXT with a STRING_EXT tail.
    let t = decode(&[131, 108, 0, 0, 0, 1, 97, 1, 107, 0, 2, 1, 2]).unwrap();
    assert_eq!(
        t,
        Term::list(vec![Term::Int(1), Term::Int(1), Term::Int(2)])
    );
    assert_eq!(encode(&t), [131, 107, 0, 3, 1, 1, 2]);
    // A LIST_EXT of no elements is its tail.
    assert_eq!(
        decode(&[131, 108, 0, 0, 0, 0, 97, 1]).unwrap(),
        Term::Int(1)
    );
    // [a | [b | c]] as nested LIST_EXTs.
    let t = decode(&[
        131, 108, 0, 0, 0, 1, 119, 1, b'a', 108, 0, 0, 0, 1, 119, 1, b'b', 119, 1, b'c',
    ])
    .unwrap();
    assert_eq!(
        t,
        Term::List(vec![atom("a"), atom("b")], Box::new(atom("c")))
    );
}

#[test]
fn odd_but_valid_encodings() {
    // FLOAT_EXT.
    let mut b = vec![131, 99];
    b.extend_from_slice(b"1.00000000000000000000e+00");
    b.resize(2 + 31, 0);
    assert_eq!(decode(&b).unwrap(), Term::Float(1.0));
    // An empty BIT_BINARY_EXT (no bytes, no bits) is `<<>>`, as in OTP; with a bit count
    // it is refused, as OTP refuses it.
    assert_eq!(
        decode(&[131, 77, 0, 0, 0, 0, 0]).unwrap(),
        Term::Binary(vec![])
    );
    assert!(decode(&[131, 77, 0, 0, 0, 0, 8]).is_err());
    assert!(decode(&[131, 77, 0, 0, 0, 0, 1]).is_err());
    assert!(decode(&[131, 77, 0, 0, 0, 1, 0, 5]).is_err());
    // BIT_BINARY_EXT with 8 bits is a binary; unused bits are cleared.
    assert_eq!(
        decode(&[131, 77, 0, 0, 0, 1, 8, 255]).unwrap(),
        Term::Binary(vec![255])
    );
    assert_eq!(
        decode(&[131, 77, 0, 0, 0, 1, 3, 255]).unwrap(),
        Term::Bitstring {
            bytes: vec![224],
            bits: 3
        }
    );
    // Bigs that fit are plain integers.
    assert_eq!(decode(&[131, 110, 0, 0]).unwrap(), Term::Int(0));
    assert_eq!(decode(&[131, 110, 2, 1, 1, 0]).unwrap(), Term::Int(-1));
    // Old pid, port and reference formats.
    let node = [100, 0, 1, b'n'];
    let mut b = vec![131, 103];
    b.extend_from_slice(&node);
    b.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2, 3]);
    assert_eq!(
        decode(&b).unwrap(),
        Term::Pid {
            node: "n".into(),
            id: 1,
            serial: 2,
            creation: 3
        }
    );
    let mut b = vec![131, 101];
    b.extend_from_slice(&node);
    b.extend_from_slice(&[0, 0, 0, 7, 2]);
    assert_eq!(
        decode(&b).unwrap(),
        Term::Reference {
            node: "n".into(),
            creation: 2,
            ids: vec![7]
        }
    );
    let mut b = vec![131, 114, 0, 2];
    b.extend_from_slice(&node);
    b.extend_from_slice(&[1, 0, 0, 0, 7, 0, 0, 0, 8]);
    assert_eq!(
        decode(&b).unwrap(),
        Term::Reference {
            node: "n".into(),
            creation: 1,
            ids: vec![7, 8]
        }
    );
    let mut b = vec![131, 102];
    b.extend_from_slice(&node);
    b.extend_from_slice(&[0, 0, 0, 9, 1]);
    assert_eq!(
        decode(&b).unwrap(),
        Term::Port {
            node: "n".into(),
            id: 9,
            creation: 1
        }
    );
    // Latin-1 atoms, small and not.
    assert_eq!(decode(&[131, 115, 1, 233]).unwrap(), atom("é"));
    assert_eq!(decode(&[131, 100, 0, 1, 233]).unwrap(), atom("é"));
    // Ports past 32 bits use V4_PORT_EXT.
    let p = Term::Port {
        node: "n".into(),
        id: 1 << 40,
        creation: 1,
    };
    assert_eq!(encode(&p)[1], tag::V4_PORT);
    assert_eq!(decode(&encode(&p)).unwrap(), p);
}

#[test]
fn prefix_and_base() {
    let mut b = encode(&atom("x"));
    let n = b.len();
    b.extend_from_slice(&[1, 2, 3]);
    assert_eq!(decode_prefix(&b).unwrap(), (atom("x"), n));
    let e = decode(&b).unwrap_err();
    assert_eq!(e.offset, n);
    assert!(e.what.contains("trailing"), "{e}");
    let e = decode_with_base(&[131, 200], 1000).unwrap_err();
    assert_eq!(e.offset, 1001);
}

#[test]
fn compressed_terms() {
    let t = Term::list((0..1000).map(|i| Term::Int(i % 7)).collect());
    let c = encode_compressed(&t, 6);
    assert_eq!(c[1], tag::COMPRESSED);
    assert_eq!(decode(&c).unwrap(), t);
    let (t2, used) = decode_prefix(&[c.as_slice(), &[9, 9]].concat()).unwrap();
    assert_eq!((t2, used), (t.clone(), c.len()));
    assert!(decode(&[c.as_slice(), &[9]].concat()).is_err());
    // Not worth compressing: stays plain.
    assert_eq!(encode_compressed(&atom("a"), 6), encode(&atom("a")));
}

/// Every strict prefix of every encoding fails cleanly.
#[test]
fn truncation_is_an_error() {
    let samples = sample_terms();
    for t in &samples {
        for bytes in [encode(t), encode_compressed(t, 9)] {
            assert_eq!(decode(&bytes).as_ref(), Ok(t));
            for cut in 0..bytes.len() {
                assert!(decode(&bytes[..cut]).is_err(), "{t:?} cut at {cut}");
            }
        }
    }
}

/// Flipping bytes never panics.
#[test]
fn corrupted_bytes_do_not_panic() {
    for t in &sample_terms() {
        let bytes = encode(t);
        for i in 1..bytes.len() {
            for v in [0u8, 1, 0x7f, 0x80, 0xff, bytes[i].wrapping_add(1)] {
                let mut b = bytes.clone();
                b[i] = v;
                let _ = decode(&b);
            }
        }
    }
}

fn sample_terms() -> Vec<Term> {
    let pid = Term::Pid {
        node: "nonode@nohost".into(),
        id: 85,
        serial: 0,
        creation: 0,
    };
    vec![
        Term::Int(7),
        Term::Int(-70000),
        Term::Int(i64::MIN),
        Term::integer(BigInt::from(10).pow(300)),
        Term::Float(-0.5),
        atom("héllo"),
        atom("\u{65e5}\u{672c}"),
        Term::Nil,
        Term::list(vec![Term::Int(1), Term::Int(2)]),
        Term::List(vec![atom("a"), Term::Int(300)], Box::new(atom("t"))),
        Term::Tuple(vec![]),
        Term::Tuple(vec![Term::Int(1), Term::Tuple(vec![atom("x")])]),
        Term::Map(vec![
            (atom("k"), Term::Binary(vec![1, 2])),
            (Term::Int(1), Term::Nil),
        ]),
        Term::Binary(vec![]),
        Term::Bitstring {
            bytes: vec![255, 128],
            bits: 1,
        },
        pid.clone(),
        Term::Port {
            node: "nonode@nohost".into(),
            id: 3,
            creation: 0,
        },
        Term::Reference {
            node: "nonode@nohost".into(),
            creation: 0,
            ids: vec![1, 2, 3],
        },
        Term::Export {
            module: "lists".into(),
            function: "map".into(),
            arity: 2,
        },
        Term::Fun(Box::new(Fun {
            arity: 1,
            uniq: [7; 16],
            index: 3,
            module: "m".into(),
            old_index: Box::new(Term::Int(3)),
            old_uniq: Box::new(Term::Int(123_456_789)),
            pid: Box::new(pid),
            free: vec![Term::Int(5), atom("z")],
        })),
    ]
}

fn be32(n: u32) -> [u8; 4] {
    n.to_be_bytes()
}

#[test]
fn huge_declared_sizes_are_refused() {
    let cases: Vec<Vec<u8>> = vec![
        [&[131, 108][..], &be32(u32::MAX), &[106]].concat(),
        [&[131, 109][..], &be32(u32::MAX), &[1, 2, 3]].concat(),
        [&[131, 77][..], &be32(u32::MAX), &[3, 1]].concat(),
        [&[131, 105][..], &be32(u32::MAX), &[97, 1]].concat(),
        [&[131, 116][..], &be32(u32::MAX), &[97, 1, 97, 2]].concat(),
        [&[131, 111][..], &be32(u32::MAX), &[0, 1]].concat(),
        [&[131, 118, 255, 255][..], b"abc"].concat(),
        [&[131, 90, 255, 255, 100, 0, 1, b'n'][..], &be32(0)].concat(),
        [&[131, 112][..], &be32(u32::MAX), &[0; 40]].concat(),
    ];
    for b in cases {
        assert!(decode(&b).is_err(), "{b:?}");
    }
}

fn zlib(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(data).unwrap();
    z.finish().unwrap()
}

#[test]
fn compressed_sizes_are_enforced() {
    // A tiny stream declaring 4 GiB.
    let body = [106u8];
    let b = [&[131, 80][..], &be32(u32::MAX), &zlib(&body)].concat();
    let e = decode(&b).unwrap_err();
    assert!(e.what.contains("not the declared"), "{e}");
    // A bomb: 64 MiB of zeros declared as 1000 bytes stops at the bound.
    let bomb = zlib(&vec![0u8; 64 << 20]);
    let b = [&[131, 80][..], &be32(1000), &bomb].concat();
    let e = decode(&b).unwrap_err();
    assert!(e.what.contains("more than its declared"), "{e}");
    // Declared too small by one, and too large by one.
    let body = encode(&Term::Binary(vec![5; 100]));
    let stream = zlib(&body[1..]);
    let n = (body.len() - 1) as u32;
    for (size, ok) in [(n - 1, false), (n, true), (n + 1, false)] {
        let b = [&[131, 80][..], &be32(size), &stream].concat();
        assert_eq!(decode(&b).is_ok(), ok, "declared {size}");
    }
    // Garbage instead of zlib, and a truncated stream.
    assert!(decode(&[131, 80, 0, 0, 0, 1, 1, 2, 3]).is_err());
    let b = [&[131, 80][..], &be32(n), &stream[..stream.len() / 2]].concat();
    assert!(decode(&b).is_err());
    // Compressed inside a term.
    let b = [&[131, 104, 1, 80][..], &be32(1), &zlib(&[106])].concat();
    assert!(decode(&b).is_err());
}

#[test]
fn bad_values_are_refused() {
    let nan = f64::NAN.to_bits().to_be_bytes();
    assert!(decode(&[&[131, 70][..], &nan].concat()).is_err());
    let inf = f64::INFINITY.to_bits().to_be_bytes();
    assert!(decode(&[&[131, 70][..], &inf].concat()).is_err());
    let mut b = vec![131, 99];
    b.extend_from_slice(b"inf");
    b.resize(33, 0);
    assert!(decode(&b).is_err());
    // Invalid UTF-8 in atoms.
    assert!(decode(&[131, 119, 2, 0xc3, 0x28]).is_err());
    assert!(decode(&[131, 118, 0, 1, 0xff]).is_err());
    // Atoms over 255 characters.
    let mut b = vec![131, 100, 1, 0];
    b.resize(4 + 256, b'a');
    assert!(decode(&b).is_err());
    // Duplicate map keys, however they are written.
    assert!(decode(&[131, 116, 0, 0, 0, 2, 97, 1, 97, 2, 97, 1, 97, 3]).is_err());
    let dup = |k1: &[u8], k2: &[u8]| {
        decode(&[&[131, 116, 0, 0, 0, 2][..], k1, &[106], k2, &[106]].concat())
    };
    // "ab" as STRING_EXT, as LIST_EXT, and as LIST_EXT chained through its tail.
    let s1: &[u8] = &[107, 0, 2, 97, 98];
    let s2: &[u8] = &[108, 0, 0, 0, 2, 97, 97, 97, 98, 106];
    let s3: &[u8] = &[108, 0, 0, 0, 1, 97, 97, 107, 0, 1, 98];
    let s4: &[u8] = &[108, 0, 0, 0, 0, 108, 0, 0, 0, 1, 97, 97, 107, 0, 1, 98];
    for (a, b) in [(s1, s2), (s1, s3), (s2, s3), (s1, s4)] {
        assert!(dup(a, b).is_err(), "{a:?} {b:?}");
    }
    // Atoms in Latin-1 and UTF-8; a tuple and the same tuple as the tail of an empty list.
    assert!(dup(&[100, 0, 1, 233], &[119, 2, 195, 169]).is_err());
    assert!(dup(&[104, 1, 97, 1], &[108, 0, 0, 0, 0, 104, 1, 97, 1]).is_err());
    assert!(dup(&[104, 1, 97, 1], &[104, 1, 97, 2]).is_ok());
    assert!(dup(&[108, 0, 0, 0, 1, 97, 1, 97, 2], &[107, 0, 1, 1]).is_ok());
    assert!(dup(s1, &[107, 0, 2, 97, 99]).is_ok());
    // Maps as keys, and funs.
    let f = encode(&sample_terms().pop().unwrap());
    assert!(dup(&f[1..], &f[1..]).is_err());
    let m: &[u8] = &[116, 0, 0, 0, 1, 97, 1, 104, 0];
    assert!(dup(m, m).is_err());
    assert!(dup(m, &[116, 0, 0, 0, 1, 97, 1, 104, 1, 106]).is_ok());
    // Bitstrings with 0 or 9 bits, or no bytes.
    assert!(decode(&[131, 77, 0, 0, 0, 1, 0, 1]).is_err());
    assert!(decode(&[131, 77, 0, 0, 0, 1, 9, 1]).is_err());
    assert!(decode(&[131, 77, 0, 0, 0, 0, 3]).is_err());
    // Distribution-only and unsupported tags.
    assert!(
        decode(&[131, 82, 0])
            .unwrap_err()
            .what
            .contains("distribution")
    );
    assert!(
        decode(&[131, 121, 0])
            .unwrap_err()
            .what
            .contains("LOCAL_EXT")
    );
    assert!(decode(&[131, 0]).is_err());
    assert!(decode(&[130, 106]).is_err());
    assert!(decode(&[]).is_err());
    // A fun whose declared size is off.
    let f = sample_terms().pop().unwrap();
    let mut b = encode(&f);
    b[5] += 1;
    assert!(decode(&b).is_err());
}

#[test]
fn unencodable_terms_are_errors() {
    assert!(try_encode(&Term::Float(f64::NAN)).is_err());
    assert!(try_encode(&atom(&"a".repeat(256))).is_err());
    assert!(
        try_encode(&Term::Bitstring {
            bytes: vec![1],
            bits: 0
        })
        .is_err()
    );
    assert!(
        try_encode(&Term::Bitstring {
            bytes: vec![],
            bits: 3
        })
        .is_err()
    );
    let r = Term::Reference {
        node: "n".into(),
        creation: 0,
        ids: vec![],
    };
    assert!(try_encode(&r).is_err());
    assert!(try_encode(&atom(&"\u{65e5}".repeat(255))).is_ok());
}

/// A million nested one-element lists, tuples and maps: a clean error, no stack overflow.
#[test]
fn deep_nesting_is_bounded() {
    const N: usize = 1_000_000;
    let wrappers: [&[u8]; 4] = [
        &[108, 0, 0, 0, 1],
        &[104, 1],
        &[105, 0, 0, 0, 1],
        &[116, 0, 0, 0, 1, 106],
    ];
    let closers: [&[u8]; 4] = [&[106], &[], &[], &[]];
    for (open, close) in wrappers.iter().zip(closers) {
        let mut b = vec![131];
        for _ in 0..N {
            b.extend_from_slice(open);
        }
        b.push(106);
        for _ in 0..N {
            b.extend_from_slice(close);
        }
        let e = decode(&b).unwrap_err();
        assert!(e.what.contains("nested deeper"), "{e}");
    }
    // Just under the limit is fine, and prints and re-encodes.
    let mut b = vec![131];
    for _ in 0..MAX_DEPTH {
        b.extend_from_slice(&[104, 1]);
    }
    b.push(106);
    let t = decode(&b).unwrap();
    assert_eq!(encode(&t), b);
    assert!(t.to_string().starts_with("{{{{"));
    drop(t);
}

/// Maps nested in the keys of maps: each key is hashed once, not once per enclosing map.
#[test]
fn nested_map_keys_are_checked_once() {
    let depth = MAX_DEPTH - 1;
    let mut b = vec![131];
    for _ in 0..depth {
        b.extend_from_slice(&[116, 0, 0, 0, 2]);
    }
    b.extend_from_slice(&[109, 0, 16, 0, 0]);
    b.extend(std::iter::repeat_n(7, 1 << 20));
    for _ in 0..depth {
        b.extend_from_slice(&[106, 119, 1, b'k', 106]);
    }
    let start = std::time::Instant::now();
    let t = decode(&b).unwrap();
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(encode_with(&t, EncodeOptions { utf8_atoms: true }), b);
}

/// Lists chained through their tails are long, not deep: a million cells decode.
#[test]
fn long_tail_chains_decode() {
    const N: usize = 1_000_000;
    let mut b = vec![131];
    for _ in 0..N {
        b.extend_from_slice(&[108, 0, 0, 0, 1, 97, 7]);
    }
    b.push(106);
    let t = decode(&b).unwrap();
    let Term::List(items, tail) = &t else {
        panic!("not a list")
    };
    assert_eq!((items.len(), &**tail), (N, &Term::Nil));
    let re = encode(&t);
    assert_eq!(re[..6], [131, 108, 0, 15, 66, 64]);
    assert_eq!(decode(&re).unwrap(), t);
    // An improper list built from unnormalised cells encodes as one flat list.
    let odd = Term::List(
        vec![Term::Int(1)],
        Box::new(Term::List(
            vec![],
            Box::new(Term::List(vec![Term::Int(2)], Box::new(Term::Nil))),
        )),
    );
    assert_eq!(encode(&odd), [131, 107, 0, 2, 1, 2]);
    assert_eq!(odd.to_string(), "[1,2]");
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn atom_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z][a-zA-Z0-9_@]{0,10}",
            "[ -~]{0,12}",
            "[\\x{a0}-\\x{ff}]{0,5}",
            "\\PC{0,8}",
            Just(String::new()),
        ]
    }

    fn node() -> impl Strategy<Value = String> {
        prop_oneof![Just("nonode@nohost".to_string()), "[a-z]{1,5}@[a-z]{1,5}"]
    }

    fn float() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>().prop_filter("finite", |f| f.is_finite()),
            (-1000i32..1000).prop_map(|n| f64::from(n) / 8.0),
            Just(-0.0),
            Just(5e-324),
        ]
    }

    fn leaf() -> impl Strategy<Value = Term> {
        prop_oneof![
            any::<i64>().prop_map(Term::Int),
            (0i64..300).prop_map(Term::Int),
            (any::<bool>(), prop::collection::vec(any::<u32>(), 1..40)).prop_map(|(neg, d)| {
                let sign = if neg { Sign::Minus } else { Sign::Plus };
                Term::integer(BigInt::from_slice(sign, &d))
            }),
            float().prop_map(Term::Float),
            atom_text().prop_map(Term::Atom),
            Just(Term::Nil),
            prop::collection::vec(any::<u8>(), 0..40).prop_map(Term::Binary),
            (prop::collection::vec(any::<u8>(), 1..8), 1u8..8).prop_map(|(mut bytes, bits)| {
                if let Some(l) = bytes.last_mut() {
                    *l &= 0xff << (8 - bits);
                }
                Term::Bitstring { bytes, bits }
            }),
            (node(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(
                |(node, id, serial, creation)| Term::Pid {
                    node,
                    id,
                    serial,
                    creation
                }
            ),
            (node(), any::<u64>(), any::<u32>()).prop_map(|(node, id, creation)| Term::Port {
                node,
                id,
                creation
            }),
            (
                node(),
                any::<u32>(),
                prop::collection::vec(any::<u32>(), 1..=5)
            )
                .prop_map(|(node, creation, ids)| Term::Reference {
                    node,
                    creation,
                    ids
                }),
            (atom_text(), atom_text(), any::<u8>()).prop_map(|(module, function, arity)| {
                Term::Export {
                    module,
                    function,
                    arity,
                }
            }),
        ]
    }

    fn term() -> impl Strategy<Value = Term> {
        leaf().prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Term::Tuple),
                prop::collection::vec(inner.clone(), 0..8).prop_map(Term::list),
                (prop::collection::vec(inner.clone(), 1..8), inner.clone()).prop_map(
                    |(items, tail)| match tail {
                        Term::List(..) | Term::Nil => Term::list(items),
                        tail => Term::List(items, Box::new(tail)),
                    }
                ),
                prop::collection::vec((inner.clone(), inner.clone()), 0..6).prop_map(|pairs| {
                    let mut seen = Vec::new();
                    let mut out = Vec::new();
                    for (k, v) in pairs {
                        let key = encode(&k);
                        if !seen.contains(&key) {
                            seen.push(key);
                            out.push((k, v));
                        }
                    }
                    Term::Map(out)
                }),
                (
                    any::<u8>(),
                    any::<[u8; 16]>(),
                    any::<u32>(),
                    atom_text(),
                    any::<i32>(),
                    prop::collection::vec(inner, 0..4)
                )
                    .prop_map(|(arity, uniq, index, module, old_uniq, free)| {
                        Term::Fun(Box::new(Fun {
                            arity,
                            uniq,
                            index,
                            module,
                            old_index: Box::new(Term::Int(index.into())),
                            old_uniq: Box::new(Term::Int(old_uniq.into())),
                            pid: Box::new(Term::Pid {
                                node: "nonode@nohost".into(),
                                id: 1,
                                serial: 2,
                                creation: 3,
                            }),
                            free,
                        }))
                    }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn round_trip(t in term(), utf8 in any::<bool>()) {
            let options = EncodeOptions { utf8_atoms: utf8 };
            let bytes = encode_with(&t, options);
            let back = decode(&bytes).unwrap();
            prop_assert_eq!(&back, &t);
            prop_assert_eq!(encode_with(&back, options), bytes);
            let c = encode_compressed(&t, 1);
            prop_assert_eq!(decode(&c).unwrap(), t.clone());
            // Printing never fails.
            let _ = t.to_string();
        }

        #[test]
        fn random_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..64)) {
            let mut v = vec![131];
            v.extend_from_slice(&b);
            let _ = decode(&v);
        }
    }
}

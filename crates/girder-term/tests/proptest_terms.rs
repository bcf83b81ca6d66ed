//! Property tests: owned terms survive conversion to heap terms and back, and garbage
//! collection preserves every rooted term.

use std::collections::BTreeSet;

use girder_format::Term as F;
use girder_term::convert::{StandaloneFuns, from_format_with};
use girder_term::{Heap, Term, copy_term, display, eq_exact, to_format};
use num_bigint::BigInt;
use proptest::prelude::*;

const LOCAL: &str = "nonode@nohost";

fn node() -> impl Strategy<Value = String> {
    prop_oneof![3 => Just(LOCAL.to_string()), 1 => Just("other@host".to_string())]
}

fn creation(node: &str) -> u32 {
    if node == LOCAL { 0 } else { 3 }
}

fn leaf() -> impl Strategy<Value = F> {
    prop_oneof![
        any::<i64>().prop_map(F::Int),
        (-10i64..10).prop_map(F::Int),
        prop::collection::vec(any::<u8>(), 1..40)
            .prop_map(|b| F::integer(BigInt::from_signed_bytes_le(&b))),
        prop_oneof![
            prop::num::f64::NORMAL,
            prop::num::f64::ZERO,
            prop::num::f64::SUBNORMAL
        ]
        .prop_map(F::Float),
        "[a-z][a-zA-Z0-9_@]{0,8}|[A-Z ]{1,4}|é|日本".prop_map(F::Atom),
        Just(F::Nil),
        prop::collection::vec(any::<u8>(), 0..100).prop_map(F::Binary),
        (prop::collection::vec(any::<u8>(), 1..80), 1u8..8).prop_map(|(mut bytes, bits)| {
            *bytes.last_mut().unwrap() &= 0xffu8 << (8 - bits);
            F::Bitstring { bytes, bits }
        }),
        (node(), any::<u32>(), 0u32..1000).prop_map(|(node, id, serial)| F::Pid {
            creation: creation(&node),
            node,
            id,
            serial,
        }),
        (node(), 0u64..1 << 40).prop_map(|(node, id)| F::Port {
            creation: creation(&node),
            node,
            id,
        }),
        (node(), prop::collection::vec(any::<u32>(), 1..=5)).prop_map(|(node, ids)| {
            F::Reference {
                creation: creation(&node),
                node,
                ids,
            }
        }),
        ("[a-z]{1,6}", "[a-z]{1,6}", any::<u8>()).prop_map(|(module, function, arity)| {
            F::Export {
                module,
                function,
                arity,
            }
        }),
    ]
}

fn term() -> impl Strategy<Value = F> {
    leaf().prop_recursive(5, 200, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(F::Tuple),
            (prop::collection::vec(inner.clone(), 1..6), inner.clone()).prop_map(
                |(mut items, tail)| match tail {
                    // Canonical form: a list's tail is never itself a non-empty list.
                    F::List(more, tail) => {
                        items.extend(more);
                        F::List(items, tail)
                    }
                    tail => F::List(items, Box::new(tail)),
                }
            ),
            prop::collection::vec(inner.clone(), 0..6).prop_map(F::list),
            (
                prop::collection::btree_set(-5i64..100, 0..4),
                prop::collection::btree_set("[a-z]{1,3}", 0..4),
                prop::collection::vec(inner.clone(), 8),
            )
                .prop_map(
                    |(ints, atoms, values): (BTreeSet<i64>, BTreeSet<String>, Vec<F>)| {
                        // Sorted as the runtime sorts keys: integers, then atoms.
                        let keys = ints
                            .into_iter()
                            .map(F::Int)
                            .chain(atoms.into_iter().map(F::Atom));
                        F::Map(keys.zip(values).collect())
                    }
                ),
            (
                prop::collection::vec(inner, 0..4),
                "[a-z]{1,5}",
                any::<u32>(),
                any::<u8>()
            )
                .prop_map(|(free, module, uniq, arity)| {
                    F::Fun(Box::new(girder_format::Fun {
                        arity,
                        uniq: [uniq as u8; 16],
                        index: uniq % 7,
                        module,
                        old_index: Box::new(F::Int(i64::from(uniq % 7))),
                        old_uniq: Box::new(F::Int(i64::from(uniq))),
                        pid: Box::new(F::Pid {
                            node: LOCAL.into(),
                            id: 5,
                            serial: 0,
                            creation: 0,
                        }),
                        free,
                    }))
                }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 256 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn format_round_trip(f in term()) {
        let mut h = Heap::new(64);
        let mut funs = StandaloneFuns::new();
        let t = from_format_with(&mut h, &f, &mut funs).unwrap();
        prop_assert_eq!(&to_format(t), &f);
        prop_assert_eq!(display(t), f.to_string());
        let mut other = Heap::new(64);
        let c = copy_term(t, &mut other);
        prop_assert!(eq_exact(c, t));
        prop_assert_eq!(other.used_words(), girder_term::size_of_term(t));
    }

    #[test]
    fn gc_preserves_rooted_terms(
        fs in prop::collection::vec(term(), 1..8),
        keep in prop::collection::vec(any::<bool>(), 8),
        needs in prop::collection::vec(0usize..5000, 1..6),
    ) {
        let mut h = Heap::new(64);
        let mut funs = StandaloneFuns::new();
        let mut roots: Vec<Term> = Vec::new();
        let mut expected = Vec::new();
        for (i, f) in fs.iter().enumerate() {
            let t = from_format_with(&mut h, f, &mut funs).unwrap();
            if keep[i] {
                roots.push(t);
                expected.push(f.to_string());
            }
        }
        for (k, need) in needs.into_iter().enumerate() {
            // `collect` (minor unless the old generation is full) alternating with forced
            // major collections.
            if k % 2 == 1 {
                h.collect_major(need, &mut [&mut roots]);
                prop_assert_eq!(h.used_words(), h.old_used_words());
            } else {
                h.collect(need, &mut [&mut roots]);
            }
            prop_assert!(h.free_words() >= need);
            let shown: Vec<String> = roots.iter().map(|&t| display(t)).collect();
            prop_assert_eq!(&shown, &expected);
            let mut fresh = Heap::new(64);
            for (t, f) in roots.iter().zip(fs.iter().enumerate().filter(|(i, _)| keep[*i])) {
                let again = from_format_with(&mut fresh, f.1, &mut funs).unwrap();
                prop_assert!(eq_exact(*t, again));
            }
        }
    }
}

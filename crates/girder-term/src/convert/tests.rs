use girder_format::Term as F;

use super::*;
use crate::heap::{Heap, LiteralArea};

fn round_trip(f: &F) -> F {
    let mut h = Heap::new(256);
    let mut funs = StandaloneFuns::new();
    let t = from_format_with(&mut h, f, &mut funs).unwrap();
    to_format(t)
}

fn local() -> String {
    "nonode@nohost".into()
}

#[test]
fn round_trips_and_prints() {
    let fun = F::Fun(Box::new(girder_format::Fun {
        arity: 2,
        uniq: [7; 16],
        index: 3,
        module: "mod".into(),
        old_index: Box::new(F::Int(3)),
        old_uniq: Box::new(F::Int(12345)),
        pid: Box::new(F::Pid {
            node: local(),
            id: 4,
            serial: 0,
            creation: 0,
        }),
        free: vec![F::Int(1), F::atom("x")],
    }));
    let cases: Vec<(F, &str)> = vec![
        (F::Int(42), "42"),
        (F::Int(i64::MIN), "-9223372036854775808"),
        (
            F::integer("-123456789012345678901234567890".parse().unwrap()),
            "-123456789012345678901234567890",
        ),
        (F::Float(0.1), "0.1"),
        (F::atom("hello world"), "'hello world'"),
        (F::Nil, "[]"),
        (F::Tuple(vec![F::Int(1), F::Tuple(vec![])]), "{1,{}}"),
        (
            F::List(vec![F::Int(1), F::Int(2)], Box::new(F::atom("t"))),
            "[1,2|t]",
        ),
        (
            F::Map(vec![
                (F::Int(1), F::Int(3)),
                (F::Float(1.0), F::Int(2)),
                (F::atom("b"), F::Int(1)),
            ]),
            "#{1 => 3,1.0 => 2,b => 1}",
        ),
        (F::Binary(b"abc".to_vec()), "<<97,98,99>>"),
        (F::Binary(vec![255; 70]), ""),
        (
            F::Bitstring {
                bytes: vec![1, 64],
                bits: 3,
            },
            "<<1,2:3>>",
        ),
        (
            F::Bitstring {
                bytes: [vec![0xff; 79], vec![0x80]].concat(),
                bits: 1,
            },
            "",
        ),
        (
            F::Pid {
                node: local(),
                id: 85,
                serial: 0,
                creation: 0,
            },
            "<0.85.0>",
        ),
        (
            F::Pid {
                node: local(),
                id: 85,
                serial: 3,
                creation: 0,
            },
            "<0.85.3>",
        ),
        (
            F::Pid {
                node: "a@b".into(),
                id: 1,
                serial: 2,
                creation: 3,
            },
            "<'a@b'.1.2>",
        ),
        (
            F::Pid {
                node: local(),
                id: 1,
                serial: 2,
                creation: 3,
            },
            "<0.1.2>",
        ),
        (
            F::Port {
                node: local(),
                id: 5,
                creation: 0,
            },
            "#Port<0.5>",
        ),
        (
            F::Port {
                node: "a@b".into(),
                id: u64::MAX,
                creation: 1,
            },
            "#Port<'a@b'.18446744073709551615>",
        ),
        (
            F::Reference {
                node: local(),
                creation: 0,
                ids: vec![3, 2, 1],
            },
            "#Ref<0.1.2.3>",
        ),
        (
            F::Reference {
                node: "x@y".into(),
                creation: 9,
                ids: vec![1, 2, 3, 4, 5],
            },
            "#Ref<'x@y'.5.4.3.2.1>",
        ),
        (
            F::Export {
                module: "lists".into(),
                function: "map".into(),
                arity: 2,
            },
            "fun lists:map/2",
        ),
        (fun, "#Fun<mod.3.12345>"),
    ];
    for (f, shown) in &cases {
        let back = round_trip(f);
        assert_eq!(&back, f);
        if !shown.is_empty() {
            assert_eq!(back.to_string(), *shown);
        }
    }
    // Map pairs come back in key order, duplicates resolved.
    let f = F::Map(vec![(F::Int(2), F::Int(0)), (F::Int(1), F::Int(0))]);
    assert_eq!(
        round_trip(&f),
        F::Map(vec![(F::Int(1), F::Int(0)), (F::Int(2), F::Int(0))])
    );
}

#[test]
fn funs_need_a_resolver() {
    let mut h = Heap::new(64);
    let e = F::Export {
        module: "m".into(),
        function: "f".into(),
        arity: 0,
    };
    let nested = F::Tuple(vec![F::Map(vec![(F::Int(1), e.clone())])]);
    assert_eq!(
        from_format(&mut h, &nested),
        Err(ConvertError::Unresolved("fun m:f/0".into()))
    );
    let bad = F::Reference {
        node: local(),
        creation: 0,
        ids: vec![],
    };
    assert_eq!(from_format(&mut h, &bad), Err(ConvertError::BadReference));
}

#[test]
fn literal_area_terms() {
    let mut area = LiteralArea::new();
    let f = F::Tuple(vec![
        F::atom("ok"),
        F::list(vec![F::Float(1.5), F::Binary(vec![1; 200])]),
    ]);
    let t = from_format(&mut area, &f).unwrap();
    assert!(area.contains(t.ptr()));
    assert_eq!(display(t), format!("{f}"));
}

#[test]
fn deep_terms_convert() {
    let depth = if cfg!(miri) { 100 } else { 100_000 };
    let mut f = F::Nil;
    for _ in 0..depth {
        f = F::Tuple(vec![f]);
    }
    let mut h = Heap::new(64);
    let t = from_format(&mut h, &f).unwrap();
    let s = display(t);
    assert_eq!(s.len(), 2 * depth + 2);
    let back = to_format(t);
    assert_eq!(back.to_string(), s);
    dispose(back);
    dispose(f);

    let n = if cfg!(miri) { 100 } else { 1_000_000 };
    let f = F::list((0..n).map(F::Int).collect());
    let t = from_format(&mut h, &f).unwrap();
    assert_eq!(crate::object::list_length(t), Some(n as usize));
    assert_eq!(to_format(t), f);
}

//! Orders checked against OTP 25 (`lists:sort/1`, `erts_internal:cmp_term/2`, `==`, `=:=`).

use std::cmp::Ordering::{self, Equal, Greater, Less};

use girder_format::Term as F;

use super::*;
use crate::convert::{StandaloneFuns, from_format_with};
use crate::heap::Heap;
use crate::object;

fn atom(s: &str) -> F {
    F::atom(s)
}

fn int(s: &str) -> F {
    F::integer(s.parse().unwrap())
}

fn map(pairs: Vec<(F, F)>) -> F {
    F::Map(pairs)
}

fn local(name: &str) -> String {
    let _ = name;
    "nonode@nohost".to_string()
}

fn pid(id: u32, serial: u32) -> F {
    F::Pid {
        node: local(""),
        id,
        serial,
        creation: 0,
    }
}

fn reference(ids: &[u32]) -> F {
    F::Reference {
        node: local(""),
        creation: 0,
        ids: ids.to_vec(),
    }
}

fn fun(module: &str, old_index: i64, free: Vec<F>) -> F {
    F::Fun(Box::new(girder_format::Fun {
        arity: 1,
        uniq: [0; 16],
        index: old_index as u32,
        module: module.into(),
        old_index: Box::new(F::Int(old_index)),
        old_uniq: Box::new(F::Int(94344651)),
        pid: Box::new(pid(9, 0)),
        free,
    }))
}

fn export(m: &str, f: &str, a: u8) -> F {
    F::Export {
        module: m.into(),
        function: f.into(),
        arity: a,
    }
}

struct Env {
    heap: Heap,
    funs: StandaloneFuns,
}

impl Env {
    fn new() -> Env {
        Env {
            heap: Heap::new(1024),
            funs: StandaloneFuns::new(),
        }
    }
    fn t(&mut self, f: &F) -> Term {
        from_format_with(&mut self.heap, f, &mut self.funs).unwrap()
    }
}

/// `items` are in ascending order, with `equal` groups given as consecutive indices that
/// compare equal (under `order`).
fn check_sorted(order: fn(Term, Term) -> Ordering, items: &[F], equal: &[(usize, usize)]) {
    let mut env = Env::new();
    let terms: Vec<Term> = items.iter().map(|f| env.t(f)).collect();
    let rank = |i: usize| equal.iter().find(|&&(_, b)| b == i).map_or(i, |&(a, _)| a);
    for (i, a) in terms.iter().enumerate() {
        for (j, b) in terms.iter().enumerate() {
            assert_eq!(
                order(*a, *b),
                rank(i).cmp(&rank(j)),
                "{} vs {}",
                items[i],
                items[j]
            );
        }
    }
}

#[test]
fn type_order() {
    // lists:sort([make_ref(), a, 1, F1, E, self(), {}, #{}, [], [1], <<>>, 1.0, Port])
    let items = [
        F::Float(1.0),
        F::Int(1),
        atom("a"),
        reference(&[53430, 4105437186, 3038958646]),
        fun("t1", 0, vec![]),
        export("lists", "map", 2),
        F::Port {
            node: local(""),
            id: 3,
            creation: 0,
        },
        pid(9, 0),
        F::Tuple(vec![]),
        map(vec![]),
        F::Nil,
        F::list(vec![F::Int(1)]),
        F::Binary(vec![]),
    ];
    check_sorted(cmp, &items, &[(0, 1)]);
}

#[test]
fn numbers() {
    let items = [
        int("-18446744073709551617"),
        F::Float(-1.8446744073709552e19),
        F::Int(-1),
        F::Float(0.5),
        F::Float(1.0),
        F::Int(1),
        F::Float(9.007199254740992e15),
        int("9007199254740993"),
        int("18446744073709551616"),
        F::Float(1.8446744073709552e19),
        int("18446744073709551617"),
    ];
    check_sorted(cmp, &items, &[(4, 5), (8, 9)]);
    // Smalls around the float's edges (order from `lists:sort/1`), big ints against floats of the same magnitude.
    let items = [
        F::Float(-1.0e30),
        int("-576460752303423489"),
        F::Int(-576460752303423488),
        F::Float(-0.5),
        F::Float(0.0),
        F::Float(0.25),
        F::Int(576460752303423487),
        F::Float(576460752303423488.0),
        int("576460752303423488"),
        int("1000000000000000000000000000001"),
        F::Float(1.0e30),
        int("1000000000000000019884624838656"),
        int("1000000000000000019884624838657"),
    ];
    check_sorted(cmp, &items, &[(7, 8), (10, 11)]);
}

#[test]
fn map_key_order() {
    // maps:keys(#{1.0 => a, 1 => b, 0.5 => c, 2 => d, -1.0 => e}) = [1,2,-1.0,0.5,1.0]
    let items = [
        F::Int(1),
        F::Int(2),
        F::Float(-1.0),
        F::Float(0.5),
        F::Float(1.0),
    ];
    check_sorted(cmp_exact, &items, &[]);
    // [{1},{2},{0.5},{1.0}]
    let tup = |x| F::Tuple(vec![x]);
    let items = [
        tup(F::Int(1)),
        tup(F::Int(2)),
        tup(F::Float(0.5)),
        tup(F::Float(1.0)),
    ];
    check_sorted(cmp_exact, &items, &[]);
    // [-18446744073709551616,3,18446744073709551616,1.0e30]
    let items = [
        int("-18446744073709551616"),
        F::Int(3),
        int("18446744073709551616"),
        F::Float(1.0e30),
    ];
    check_sorted(cmp_exact, &items, &[]);
    // [#{k => 2}, #{k => 1.0}] as keys; the other way round in term order.
    let items = [
        map(vec![(atom("k"), F::Int(2))]),
        map(vec![(atom("k"), F::Float(1.0))]),
    ];
    check_sorted(cmp_exact, &items, &[]);
    check_sorted(cmp, &[items[1].clone(), items[0].clone()], &[]);
}

#[test]
fn maps() {
    // lists:sort([#{1.0 => a}, #{1 => a}, #{2 => a}, #{a => 1}, #{1 => b}])
    let m = |k: F, v: &str| map(vec![(k, atom(v))]);
    let items = [
        m(F::Int(1), "a"),
        m(F::Int(1), "b"),
        m(F::Int(2), "a"),
        m(F::Float(1.0), "a"),
        map(vec![(atom("a"), F::Int(1))]),
    ];
    check_sorted(cmp, &items, &[]);
    let mut env = Env::new();
    let a1 = env.t(&map(vec![(atom("a"), F::Int(1))]));
    let a1f = env.t(&map(vec![(atom("a"), F::Float(1.0))]));
    assert!(eq(a1, a1f) && !eq_exact(a1, a1f));
    let k1 = env.t(&m(F::Int(1), "a"));
    let k1f = env.t(&m(F::Float(1.0), "a"));
    assert!(!eq(k1, k1f));
    // #{a => 1, b => 2} < #{a => 2, b => 1}
    let x = env.t(&map(vec![(atom("a"), F::Int(1)), (atom("b"), F::Int(2))]));
    let y = env.t(&map(vec![(atom("b"), F::Int(1)), (atom("a"), F::Int(2))]));
    assert_eq!(cmp(x, y), Less);
}

#[test]
fn atoms_lists_tuples() {
    let items = ["B", "a", "aa", "b", "z", "é"].map(atom);
    check_sorted(cmp, &items, &[]);
    let l = |items: Vec<F>, tail: F| F::List(items, Box::new(tail));
    let items = [
        F::Tuple(vec![F::Int(1), F::Int(2)]),
        F::Tuple(vec![F::Int(0), F::Int(0), F::Int(0)]),
        F::Nil,
        l(vec![F::Int(1)], F::Int(2)),
        l(vec![F::Int(1)], atom("a")),
        F::list(vec![F::Int(1)]),
        F::list(vec![F::Int(1), F::Int(2)]),
        F::list(vec![F::Int(1), atom("b")]),
    ];
    check_sorted(cmp, &items, &[]);
}

#[test]
fn identifiers_and_funs() {
    // [#Ref<0.1.2.3>, #Ref<0.2.2.2>, #Ref<0.3.2.1>]; shorter ids pad with zeros.
    let items = [
        reference(&[5]),
        reference(&[3, 2, 1]),
        reference(&[2, 2, 2]),
        reference(&[1, 2, 3]),
    ];
    check_sorted(cmp, &items, &[]);
    check_sorted(cmp, &[reference(&[7]), reference(&[7, 0, 0])], &[(0, 1)]);
    // [<0.1.1>,<0.2.1>,<0.1.2>]: serial before id.
    check_sorted(cmp, &[pid(1, 1), pid(2, 1), pid(1, 2)], &[]);
    let items = [
        fun("t1", 0, vec![]),
        fun("t1", 0, vec![F::Int(1)]),
        fun("t1", 0, vec![F::Int(2)]),
        fun("t1", 1, vec![]),
        fun("u", 0, vec![]),
        export("lists", "map", 2),
        export("t1", "f", 0),
        export("t1", "g", 0),
        export("t1", "g", 1),
    ];
    check_sorted(cmp, &items, &[]);
}

#[test]
fn equality() {
    let mut env = Env::new();
    let one = Term::small(1);
    let one_f = env.t(&F::Float(1.0));
    let zero = env.t(&F::Float(0.0));
    let neg_zero = env.t(&F::Float(-0.0));
    assert!(eq(one, one_f) && !eq_exact(one, one_f));
    assert!(eq_exact(zero, neg_zero) && eq(zero, neg_zero));
    let big = int("123456789012345678901234567890");
    let (a, b) = (env.t(&big), env.t(&big));
    assert_ne!(a, b);
    assert!(eq_exact(a, b));
    let bin = F::Binary(vec![1; 100]);
    let (a, b) = (env.t(&bin), env.t(&F::Binary(vec![1; 100])));
    assert!(eq_exact(a, b));
    let h = &mut env.heap;
    let sub = object::sub_binary(h, a, 8, 99 * 8);
    let short = object::heap_binary(h, &[1; 99]);
    assert!(eq_exact(sub, short));
    assert_eq!(cmp(sub, a), Less);
    assert_eq!(cmp(Term::NIL, Term::NIL), Equal);
    assert_eq!(cmp(Term::atom(crate::Atom::OK), Term::small(5)), Greater);
}

#[test]
fn deep_terms_compare_without_recursion() {
    let n = if cfg!(miri) { 100 } else { 1_000_000 };
    let mut h = Heap::new(1024);
    let items: Vec<Term> = (0..n).map(|i| Term::small(i as i64)).collect();
    let a = object::list_from_slice(&mut h, &items, Term::NIL);
    let b = object::list_from_slice(&mut h, &items, Term::NIL);
    assert!(eq_exact(a, b));
    let mut items2 = items.clone();
    items2[n - 1] = Term::small(-1);
    let c = object::list_from_slice(&mut h, &items2, Term::NIL);
    assert_eq!(cmp(a, c), Greater);

    let depth = if cfg!(miri) { 100 } else { 100_000 };
    let (mut x, mut y) = (Term::NIL, Term::NIL);
    for _ in 0..depth {
        x = object::tuple(&mut h, &[x, Term::small(1)]);
        y = object::tuple(&mut h, &[y, Term::small(1)]);
    }
    assert!(eq_exact(x, y));
    let z = object::tuple(&mut h, &[y, Term::small(2)]);
    let x2 = object::tuple(&mut h, &[x, Term::small(1)]);
    assert_eq!(cmp(x2, z), Less);
}

use std::collections::HashSet;
use std::sync::Arc;

use super::*;
use crate::atom::Atom;
use crate::compare::eq_exact;
use crate::convert::display;
use crate::header::header_of;
use crate::heap::{Alloc, LiteralArea};
use crate::object::{self, FunIdentity};

/// A small deterministic generator (xorshift64*).
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Words of the objects reachable from `roots` inside `h`, each counted once.
fn reachable_words(h: &Heap, roots: &[Term]) -> usize {
    let mut seen = HashSet::new();
    let mut stack: Vec<Term> = roots.to_vec();
    let mut words = 0;
    while let Some(t) = stack.pop() {
        if !(t.is_list() || t.is_boxed()) || !h.contains(t.ptr()) || !seen.insert(t.ptr()) {
            continue;
        }
        if t.is_list() {
            words += 2;
            stack.push(object::head(t));
            stack.push(object::tail(t));
        } else {
            let hd = header_of(t);
            words += object_words(hd);
            // SAFETY: term words of a live object are initialised.
            stack.extend(term_words(hd).map(|i| Term(unsafe { *t.ptr().add(1 + i) })));
        }
    }
    words
}

static FUN_ID: FunIdentity = FunIdentity {
    module: Atom::ERLANG,
    arity: 0,
    index: 1,
    old_index: 1,
    old_uniq: 77,
    uniq: [0; 16],
};

/// Builds a random term from parts in `pool` (sizes in `sizes`, capped so printing stays cheap).
fn random_term(
    h: &mut Heap,
    rng: &mut Rng,
    pool: &[Term],
    sizes: &[usize],
    data: &Arc<[u8]>,
) -> (Term, usize) {
    let pick = |rng: &mut Rng, budget: &mut usize| -> Term {
        if pool.is_empty() {
            return Term::small(rng.below(100) as i64);
        }
        let i = rng.below(pool.len());
        if sizes[i] > *budget {
            return Term::atom(Atom::OK);
        }
        *budget -= sizes[i];
        pool[i]
    };
    let mut budget = 400;
    let start = budget;
    let t = match rng.below(14) {
        0 => Term::small(rng.next() as i64 >> 5),
        1 => object::integer_from_i128(h, (rng.next() as i128) << 70 | rng.next() as i128),
        2 => object::float(h, rng.below(1000) as f64 / 7.0),
        3 => {
            let n = rng.below(80);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            object::binary_from_bytes(h, &bytes)
        }
        4 => {
            let off = rng.below(100);
            let bin = object::refc_binary(h, data.clone());
            object::sub_binary(h, bin, off, rng.below(200))
        }
        5 | 6 => {
            let n = rng.below(5);
            let items: Vec<Term> = (0..n).map(|_| pick(rng, &mut budget)).collect();
            object::tuple(h, &items)
        }
        7 | 8 => {
            let (hd, tl) = (pick(rng, &mut budget), pick(rng, &mut budget));
            object::cons(h, hd, tl)
        }
        9 => {
            let n = rng.below(6);
            let items: Vec<Term> = (0..n).map(|_| pick(rng, &mut budget)).collect();
            object::list_from_slice(h, &items, Term::NIL)
        }
        10 => {
            let n = rng.below(4);
            let mut pairs: Vec<(Term, Term)> = (0..n)
                .map(|_| (Term::small(rng.below(5) as i64), pick(rng, &mut budget)))
                .collect();
            object::map_from_pairs(h, &mut pairs)
        }
        11 => {
            let free = [pick(rng, &mut budget)];
            object::make_fun(h, (&raw const FUN_ID).cast(), Term::pid(3), &free)
        }
        12 => object::make_ref(h),
        _ => object::external_pid(h, Atom::intern("n@h"), 1, 2, 3),
    };
    (t, start - budget + 1)
}

#[test]
fn random_structures_survive_repeated_collections() {
    let rounds = if cfg!(miri) { 3 } else { 40 };
    let data: Arc<[u8]> = Arc::from(vec![0xa5u8; 300]);
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut h = Heap::new(64);
    let mut roots: Vec<Term> = Vec::new();
    let mut sizes: Vec<usize> = Vec::new();
    for round in 0..rounds {
        // Allocate a batch (much of it garbage: only some terms are kept as roots).
        for _ in 0..200 {
            let (t, size) = random_term(&mut h, &mut rng, &roots, &sizes, &data);
            if rng.below(4) == 0 {
                roots.push(t);
                sizes.push(size);
            }
        }
        // Drop some roots.
        while roots.len() > 150 {
            let i = rng.below(roots.len());
            roots.swap_remove(i);
            sizes.swap_remove(i);
        }
        let shared = roots.first().copied();
        roots.push(shared.unwrap_or(Term::NIL));
        sizes.push(0);
        let before: Vec<String> = roots.iter().map(|&t| display(t)).collect();
        let used = h.used_words();
        let need = if round % 3 == 0 {
            h.free_words() + 1000
        } else {
            round
        };
        let mut extra = [Term(0x1000), Term::catch(5), Term::NON_VALUE];
        h.collect(need, &mut [&mut roots, &mut extra]);
        assert_eq!(extra, [Term(0x1000), Term::catch(5), Term::NON_VALUE]);
        let after: Vec<String> = roots.iter().map(|&t| display(t)).collect();
        assert_eq!(before, after, "round {round}");
        // Exactly the reachable objects are left, sharing kept.
        assert_eq!(h.used_words(), reachable_words(&h, &roots));
        assert!(h.used_words() <= used);
        assert!(h.free_words() >= need && h.fragment_count() == 0);
        if shared.is_some() {
            assert_eq!(roots.last(), roots.first(), "sharing between roots kept");
        }
        assert!(
            roots
                .iter()
                .all(|&t| !(t.is_list() || t.is_boxed()) || h.contains(t.ptr()))
        );
    }
    roots.clear();
    h.collect(0, &mut [&mut roots]);
    assert_eq!(h.used_words(), 0);
    assert_eq!(Arc::strong_count(&data), 1);
}

#[test]
fn literals_are_not_copied() {
    let mut area = LiteralArea::new();
    let lit = object::tuple(&mut area, &[Term::small(1), Term::small(2)]);
    let lit_float = object::float(&mut area, 2.5);
    let mut h = Heap::new(64);
    let t = object::tuple(&mut h, &[lit, lit_float]);
    let l = object::cons(&mut h, t, lit);
    let mut roots = [l, lit];
    h.collect(0, &mut [&mut roots]);
    assert_eq!(roots[1], lit);
    let t2 = object::head(roots[0]);
    assert!(h.contains(t2.ptr()));
    assert_eq!(object::tuple_elements(t2), &[lit, lit_float]);
    assert_eq!(object::tail(roots[0]), lit);
    assert_eq!(h.used_words(), 2 + 3);
    assert_eq!(area.used_words(), 5);
}

#[test]
fn fragments_and_refc_binaries() {
    let data: Arc<[u8]> = Arc::from(vec![1u8; 100]);
    let mut h = Heap::new(64);
    let keep = object::refc_binary(&mut h, data.clone());
    for _ in 0..10 {
        object::refc_binary(&mut h, data.clone());
    }
    let big: Vec<Term> = (0..1000).map(Term::small).collect();
    let l = object::list_from_slice(&mut h, &big, Term::NIL);
    assert!(h.fragment_count() > 0 && !h.has_room(0));
    assert_eq!(Arc::strong_count(&data), 12);
    let mut roots = [keep, l];
    h.collect(10, &mut [&mut roots]);
    assert_eq!(Arc::strong_count(&data), 2);
    assert_eq!(h.fragment_count(), 0);
    assert!(h.has_room(10));
    assert_eq!(object::binary_bytes(roots[0]), Some(&[1u8; 100][..]));
    assert_eq!(object::list_length(roots[1]), Some(1000));
    drop(h);
    assert_eq!(Arc::strong_count(&data), 1);
}

#[test]
fn sizing_grows_with_live_data_and_shrinks_after() {
    let mut h = Heap::new(100);
    let mut roots = vec![Term::NIL];
    for i in 0..20_000 {
        if !h.has_room(2) {
            h.collect(2, &mut [&mut roots]);
        }
        roots[0] = object::cons(&mut h, Term::small(i), roots[0]);
    }
    let live = h.used_words();
    assert_eq!(live, 40_000);
    // Linear total work: few collections, each at least doubling the free space.
    assert!(h.collections() < 30, "{} collections", h.collections());
    assert!(h.young_capacity() <= 4 * live);
    roots[0] = Term::NIL;
    h.collect(0, &mut [&mut roots]);
    assert_eq!(h.used_words(), 0);
    assert_eq!(h.young_capacity(), size_class(100));
}

#[test]
fn stress_and_min_size() {
    let mut h = Heap::new(100);
    h.set_gc_stress(true);
    let mut roots = [object::tuple(&mut h, &[Term::small(1)])];
    for _ in 0..5 {
        assert!(!h.has_room(1));
        h.collect(1, &mut [&mut roots]);
        assert_eq!(object::tuple_element(roots[0], 0), Term::small(1));
    }
    assert!(h.young_capacity() >= 100);
    let p = h.alloc(1);
    assert!(h.young_range().contains(&p.cast_const()));
}

#[test]
fn huge_list_and_deep_tuple() {
    let n = if cfg!(miri) { 200 } else { 1_000_000 };
    let mut h = Heap::new(64);
    let items: Vec<Term> = (0..n).map(|i| Term::small(i as i64)).collect();
    let l = object::list_from_slice(&mut h, &items, Term::NIL);
    let mut t = Term::NIL;
    for i in 0..n / 10 {
        let f = object::float(&mut h, i as f64);
        t = object::tuple(&mut h, &[t, f]);
    }
    let mut roots = [l, t];
    h.collect(0, &mut [&mut roots]);
    h.collect(0, &mut [&mut roots]);
    assert_eq!(h.used_words(), 2 * n + 5 * (n / 10));
    assert_eq!(object::list_length(roots[0]), Some(n));
    let mut depth = 0;
    let mut t = roots[1];
    while !t.is_nil() {
        assert_eq!(
            object::float_value(object::tuple_element(t, 1)),
            (n / 10 - 1 - depth) as f64
        );
        t = object::tuple_element(t, 0);
        depth += 1;
    }
    assert_eq!(depth, n / 10);
    let mut fresh = Heap::new(64);
    let copy = crate::copy::copy_term(roots[0], &mut fresh);
    assert!(eq_exact(copy, roots[0]));
}

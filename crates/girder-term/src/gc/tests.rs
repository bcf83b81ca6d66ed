use std::collections::HashSet;
use std::sync::Arc;

use super::*;
use crate::atom::Atom;
use crate::compare::eq_exact;
use crate::convert::{display, dispose, to_format};
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
    reachable_words_where(h, roots, |_| true)
}

/// Words of the objects reachable from `roots` inside `h` whose address satisfies `pick`,
/// each counted once.
fn reachable_words_where(h: &Heap, roots: &[Term], pick: impl Fn(*const u64) -> bool) -> usize {
    let mut seen = HashSet::new();
    let mut stack: Vec<Term> = roots.to_vec();
    let mut words = 0;
    while let Some(t) = stack.pop() {
        if !(t.is_list() || t.is_boxed()) || !h.contains(t.ptr()) || !seen.insert(t.ptr()) {
            continue;
        }
        let size = if t.is_list() {
            stack.push(object::head(t));
            stack.push(object::tail(t));
            2
        } else {
            let hd = header_of(t);
            // SAFETY: term words of a live object are initialised.
            stack.extend(term_words(hd).map(|i| Term(unsafe { *t.ptr().add(1 + i) })));
            object_words(hd)
        };
        if pick(t.ptr()) {
            words += size;
        }
    }
    words
}

/// Whether `p` is in the used part of the young block.
fn in_young(h: &Heap, p: *const u64) -> bool {
    let start = h.young.block.ptr() as usize;
    (start..start + h.young.top * 8).contains(&(p as usize))
}

/// Whether `p` is in the used part of the old block.
fn in_old(h: &Heap, p: *const u64) -> bool {
    let start = h.old.block.ptr() as usize;
    (start..start + h.old.top * 8).contains(&(p as usize))
}

/// Checks the generational invariant right after a collection: no fragments, every object in
/// the old block points only into the old block (or outside the heap), every object in the
/// young block only into either block (or outside), and the off-heap lists name refc binaries
/// in their own generation.
fn check_generations(h: &Heap) {
    assert_eq!(h.fragment_count(), 0);
    assert!(
        h.hwm == h.young.top,
        "after a collection the whole young block is mature"
    );
    let walk = |base: *mut u64, words: usize, ok: &dyn Fn(*const u64) -> bool, what: &str| {
        // SAFETY: right after a collection each block holds packed, complete objects.
        unsafe {
            scan_objects(base, words, |t| {
                if (t.is_list() || t.is_boxed()) && h.contains(t.ptr()) {
                    assert!(ok(t.ptr()), "{what} object points at {t:?}");
                }
                t
            })
        }
    };
    walk(h.old.block.ptr(), h.old.top, &|p| in_old(h, p), "old");
    walk(
        h.young.block.ptr(),
        h.young.top,
        &|p| in_old(h, p) || in_young(h, p),
        "young",
    );
    for &obj in &h.young_off_heap {
        assert!(in_young(h, obj));
        assert_eq!(
            header_of(Term::boxed_ptr(obj)).header_subtag(),
            crate::header::subtag::REFC_BIN
        );
    }
    for &obj in &h.old_off_heap {
        assert!(in_old(h, obj));
        assert_eq!(
            header_of(Term::boxed_ptr(obj)).header_subtag(),
            crate::header::subtag::REFC_BIN
        );
    }
}

/// Owned snapshots of `roots`, to compare before and after a collection.
fn snapshot(roots: &[Term]) -> Vec<girder_format::Term> {
    roots.iter().map(|&t| to_format(t)).collect()
}

/// Drops snapshots without recursing.
fn dispose_all(v: Vec<girder_format::Term>) {
    v.into_iter().for_each(dispose);
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
            // Now and then a large map (a hash trie).
            let (n, keys) = if rng.below(4) == 0 {
                (30 + rng.below(30), 200)
            } else {
                (rng.below(4), 5)
            };
            let mut pairs: Vec<(Term, Term)> = (0..n)
                .map(|_| (Term::small(rng.below(keys) as i64), pick(rng, &mut budget)))
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
    let rounds = if cfg!(miri) { 3 } else { 60 };
    let data: Arc<[u8]> = Arc::from(vec![0xa5u8; 300]);
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut h = Heap::new(64);
    let mut roots: Vec<Term> = Vec::new();
    let mut sizes: Vec<usize> = Vec::new();
    let mut forced = 0;
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
        let before = snapshot(&roots);
        let shown: Vec<String> = roots.iter().map(|&t| display(t)).collect();
        let used = h.used_words();
        let old_used = h.old_used_words();
        let in_old_before: Vec<bool> = roots.iter().map(|t| in_old(&h, t.ptr())).collect();
        let majors = h.major_collections();
        let need = if round % 3 == 0 {
            h.free_words() + 1000
        } else {
            round
        };
        let mut extra = [Term(0x1000), Term::catch(5), Term::NON_VALUE];
        if round % 7 == 6 {
            forced += 1;
            h.collect_major(need, &mut [&mut roots, &mut extra]);
        } else {
            h.collect(need, &mut [&mut roots, &mut extra]);
        }
        let major = h.major_collections() > majors;
        assert_eq!(extra, [Term(0x1000), Term::catch(5), Term::NON_VALUE]);
        let after = snapshot(&roots);
        assert!(before == after, "round {round}");
        dispose_all(before);
        dispose_all(after);
        let shown_after: Vec<String> = roots.iter().map(|&t| display(t)).collect();
        assert_eq!(shown, shown_after, "round {round}");
        check_generations(&h);
        if major {
            // Exactly the reachable objects are left, all old, sharing kept.
            assert_eq!(h.used_words(), reachable_words(&h, &roots));
            assert_eq!(h.old_used_words(), h.used_words());
        } else {
            // The young block holds exactly the reachable young objects; the old generation
            // only grew (by what was promoted), and old objects did not move.
            assert_eq!(
                h.young.top,
                reachable_words_where(&h, &roots, |p| in_young(&h, p))
            );
            assert!(h.old_used_words() >= old_used);
            for (t, was_old) in roots.iter().zip(&in_old_before) {
                assert!(!was_old || in_old(&h, t.ptr()));
            }
        }
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
    assert!(
        h.major_collections() > forced,
        "some majors were chosen by the policy"
    );
    roots.clear();
    h.collect(0, &mut [&mut roots]);
    assert!(
        Arc::strong_count(&data) > 1,
        "a minor collection keeps old refc binaries"
    );
    h.collect_major(0, &mut [&mut roots]);
    assert_eq!(h.used_words(), 0);
    assert_eq!(h.old_capacity(), 0);
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
            check_generations(&h);
        }
        roots[0] = object::cons(&mut h, Term::small(i), roots[0]);
    }
    let live = h.used_words();
    assert_eq!(live, 40_000, "nothing died, so nothing is garbage");
    // Linear total work: the nursery grows with the promotion rate (about 1.5x per
    // collection), the old block doubles at each major collection.
    assert!(h.collections() < 40, "{} collections", h.collections());
    assert!(
        h.major_collections() < 12,
        "{} majors",
        h.major_collections()
    );
    assert!(h.young_capacity() <= 4 * live);
    assert!(h.old_capacity() <= 2 * live);
    roots[0] = Term::NIL;
    // A minor collection drops the young garbage but not the old generation's.
    h.collect(0, &mut [&mut roots]);
    assert_eq!(h.used_words(), h.old_used_words());
    assert!(h.used_words() > 0);
    h.collect_major(0, &mut [&mut roots]);
    assert_eq!(h.used_words(), 0);
    assert_eq!(h.young_capacity(), size_class(100));
    assert_eq!(h.old_capacity(), 0);
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

/// Collects (as `collect` decides) and checks the generations.
fn gc(h: &mut Heap, need: usize, roots: &mut [Term]) {
    h.collect(need, &mut [roots]);
    check_generations(h);
}

#[test]
fn promotion_at_the_second_minor_collection() {
    let mut h = Heap::new(64);
    // Give the heap an old generation, so that the collections below can be minor.
    let mut roots = [object::tuple(&mut h, &[Term::small(0)]), Term::NIL];
    h.collect_major(0, &mut [&mut roots]);
    assert_eq!(h.major_collections(), 1);
    let old_tuple = roots[0];
    assert!(in_old(&h, old_tuple.ptr()));

    roots[1] = object::tuple(&mut h, &[Term::small(1), old_tuple]);
    assert!(h.allocated_since_gc(roots[1].ptr()));
    gc(&mut h, 0, &mut roots);
    // Survived once: mature, still young.
    assert!(in_young(&h, roots[1].ptr()) && !h.allocated_since_gc(roots[1].ptr()));
    gc(&mut h, 0, &mut roots);
    // Survived twice: promoted; still on this heap for `contains`.
    assert!(in_old(&h, roots[1].ptr()));
    assert!(h.contains(roots[1].ptr()) && !h.young_range().contains(&roots[1].ptr()));
    assert_eq!(h.young.top, 0);
    let promoted = roots[1];
    for _ in 0..10 {
        object::tuple(&mut h, &[Term::small(2), promoted]); // garbage
        gc(&mut h, 0, &mut roots);
        assert_eq!(roots, [old_tuple, promoted], "old objects do not move");
    }
    assert_eq!(h.major_collections(), 1, "all of those were minor");
    assert_eq!(object::tuple_element(roots[1], 1), old_tuple);
    assert_eq!(object::tuple_element(old_tuple, 0), Term::small(0));
}

#[test]
fn minor_collections_preserve_roots_and_leave_old_objects_in_place() {
    let data: Arc<[u8]> = Arc::from(vec![7u8; 200]);
    let mut rng = Rng(0xfeed_f00d_1234_5678);
    let mut h = Heap::new(64);
    let mut old_roots: Vec<Term> = Vec::new();
    let mut sizes = Vec::new();
    for _ in 0..300 {
        let (t, size) = random_term(&mut h, &mut rng, &old_roots, &sizes, &data);
        old_roots.push(t);
        sizes.push(size);
    }
    h.collect_major(0, &mut [&mut old_roots]);
    let old_snapshot = snapshot(&old_roots);
    let old_words = h.old_used_words();
    let addresses = old_roots.clone();
    // Young data built on the old terms; much of it garbage, some kept for a while.
    let mut young: Vec<Term> = Vec::new();
    let mut young_sizes = Vec::new();
    let majors = h.major_collections();
    for round in 0..200 {
        for _ in 0..20 {
            let pool = if rng.below(2) == 0 {
                &old_roots
            } else {
                &young
            };
            let pool_sizes = if std::ptr::eq(pool, &old_roots) {
                &sizes
            } else {
                &young_sizes
            };
            let (t, size) = random_term(&mut h, &mut rng, pool, pool_sizes, &data);
            if rng.below(3) == 0 {
                young.push(t);
                young_sizes.push(size);
            }
        }
        while young.len() > 30 {
            let i = rng.below(young.len());
            young.swap_remove(i);
            young_sizes.swap_remove(i);
        }
        let before = snapshot(&young);
        h.collect(rng.below(50), &mut [&mut old_roots, &mut young]);
        check_generations(&h);
        let after = snapshot(&young);
        assert!(before == after, "round {round}");
        dispose_all(before);
        dispose_all(after);
        if h.major_collections() == majors {
            assert_eq!(
                old_roots, addresses,
                "a minor collection moved an old object"
            );
            assert!(h.old_used_words() >= old_words);
        }
    }
    let after = snapshot(&old_roots);
    assert!(old_snapshot == after);
    dispose_all(old_snapshot);
    dispose_all(after);
}

#[test]
fn major_collection_compacts_the_old_generation() {
    let mut h = Heap::new(64);
    let keep: Vec<Term> = (0..1000).map(Term::small).collect();
    let mut roots = [
        object::list_from_slice(&mut h, &keep, Term::NIL),
        object::list_from_slice(&mut h, &keep, Term::NIL),
    ];
    h.collect_major(0, &mut [&mut roots]);
    assert_eq!(h.old_used_words(), 4000);
    assert_eq!(h.old_capacity(), 8000);
    // Drop one list: it is old garbage, which minor collections leave alone.
    roots[1] = object::tuple(&mut h, &[Term::small(5)]);
    for _ in 0..5 {
        object::list_from_slice(&mut h, &keep, Term::NIL); // young garbage
        gc(&mut h, 0, &mut roots);
    }
    assert_eq!(h.major_collections(), 1);
    assert_eq!(h.old_used_words(), 4000 + 2);
    let first = roots[0];
    h.collect_major(0, &mut [&mut roots]);
    check_generations(&h);
    assert_eq!(h.used_words(), 2000 + 2);
    assert_eq!(h.old_used_words(), 2000 + 2);
    assert_eq!(h.old_capacity(), MIN_OLD_WORDS.max(2 * 2002));
    assert_eq!(h.young.top, 0);
    assert_ne!(roots[0], first, "a major collection moves old objects");
    assert_eq!(object::list_to_vec(roots[0]).unwrap(), keep);
    assert_eq!(object::tuple_elements(roots[1]), &[Term::small(5)]);
}

#[test]
fn the_old_generation_filling_up_triggers_a_major_collection() {
    let mut h = Heap::new(64);
    let mut roots = [Term::NIL, Term::NIL];
    h.collect_major(0, &mut [&mut roots]);
    assert_eq!(h.old_capacity(), 0);
    let mut last_major_live = 0;
    for i in 0..50_000 {
        // A moderately long-lived list (kept for 200 steps) and garbage.
        roots[0] = object::cons(&mut h, Term::small(i), roots[0]);
        if i % 200 == 0 {
            roots[1] = roots[0];
            roots[0] = Term::NIL;
        }
        object::tuple(&mut h, &[Term::small(i)]);
        if !h.has_room(3) {
            let majors = h.major_collections();
            let old_before = h.old_used_words();
            let hwm = h.hwm;
            let capacity = h.old_capacity();
            h.collect(3, &mut [&mut roots]);
            if h.major_collections() > majors {
                assert!(
                    old_before + hwm > capacity,
                    "major only when the old block is full"
                );
                last_major_live = h.old_used_words();
                assert_eq!(h.old_capacity(), MIN_OLD_WORDS.max(2 * last_major_live));
            } else {
                assert!(h.old_used_words() <= capacity);
            }
            // Memory stays within a constant factor of what is live (at most 1200 words here).
            assert!(h.used_words() <= 2 * MIN_OLD_WORDS + 4 * 1200, "{h:?}");
        }
    }
    assert!(h.major_collections() > 10, "{h:?}");
    assert!(last_major_live > 0);
    assert!(object::list_length(roots[1]).is_some());
}

#[test]
fn refc_binaries_are_released_when_unreachable_minor_and_major() {
    let young_data: Arc<[u8]> = Arc::from(vec![1u8; 100]);
    let old_data: Arc<[u8]> = Arc::from(vec![2u8; 100]);
    let mut h = Heap::new(64);
    let mut roots = [Term::NIL, Term::NIL, Term::NIL];
    // Two old refc binaries (the second also referenced through a sub-binary).
    roots[0] = object::refc_binary(&mut h, old_data.clone());
    let b = object::refc_binary(&mut h, old_data.clone());
    roots[1] = object::sub_binary(&mut h, b, 8, 16);
    h.collect_major(0, &mut [&mut roots]);
    assert_eq!(Arc::strong_count(&old_data), 3);
    assert_eq!((h.old_off_heap.len(), h.young_off_heap.len()), (2, 0));

    // Young ones: three garbage, one kept; a fragment's worth of data in between.
    for i in 0..4 {
        let t = object::refc_binary(&mut h, young_data.clone());
        if i == 2 {
            roots[2] = object::tuple(&mut h, &[t]);
        }
        object::list_from_slice(&mut h, &[Term::small(1); 100], Term::NIL);
    }
    assert!(h.fragment_count() > 0);
    assert_eq!(Arc::strong_count(&young_data), 5);
    gc(&mut h, 0, &mut roots);
    assert_eq!(
        Arc::strong_count(&young_data),
        2,
        "minor releases young garbage"
    );
    assert_eq!((h.old_off_heap.len(), h.young_off_heap.len()), (2, 1));

    // Drop an old binary: minor collections do not release it, a major one does.
    roots[0] = Term::NIL;
    gc(&mut h, 0, &mut roots);
    assert_eq!(h.major_collections(), 1);
    assert_eq!(Arc::strong_count(&old_data), 3);
    assert_eq!(
        (h.old_off_heap.len(), h.young_off_heap.len()),
        (3, 0),
        "the kept young binary was promoted"
    );
    assert_eq!(Arc::strong_count(&young_data), 2);
    h.collect_major(0, &mut [&mut roots]);
    assert_eq!(Arc::strong_count(&old_data), 2);
    assert_eq!(h.old_off_heap.len(), 2);
    assert_eq!(object::binary_bytes(roots[1]), Some(&[2u8; 2][..]));
    let young_bin = object::tuple_element(roots[2], 0);
    assert_eq!(object::binary_bytes(young_bin), Some(&[1u8; 100][..]));
    // A promoted binary dropped: released by the next major collection only.
    roots[2] = Term::NIL;
    gc(&mut h, 0, &mut roots);
    assert_eq!(Arc::strong_count(&young_data), 2);
    h.collect_major(0, &mut [&mut roots]);
    assert_eq!(Arc::strong_count(&young_data), 1);
    drop(h);
    assert_eq!(Arc::strong_count(&old_data), 1);
}

#[test]
fn moved_blocks_have_their_pointers_fixed() {
    let data: Arc<[u8]> = Arc::from(vec![3u8; 100]);
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut h = Heap::new(64);
    h.force_move_on_resize = true;
    let mut roots: Vec<Term> = Vec::new();
    let mut sizes = Vec::new();
    for round in 0..40 {
        for _ in 0..100 {
            let (t, size) = random_term(&mut h, &mut rng, &roots, &sizes, &data);
            if rng.below(3) == 0 {
                roots.push(t);
                sizes.push(size);
            }
        }
        // Lots of garbage, so the to-spaces are shrunk (and, here, moved).
        object::list_from_slice(&mut h, &[Term::small(0); 500], Term::NIL);
        while roots.len() > 60 {
            let i = rng.below(roots.len());
            roots.swap_remove(i);
            sizes.swap_remove(i);
        }
        let before = snapshot(&roots);
        let relocations = h.relocations;
        if round % 4 == 3 {
            h.collect_major(0, &mut [&mut roots]);
        } else {
            h.collect(0, &mut [&mut roots]);
        }
        assert_eq!(h.relocations, relocations + 1, "{h:?}");
        check_generations(&h);
        let after = snapshot(&roots);
        assert!(before == after, "round {round}");
        dispose_all(before);
        dispose_all(after);
    }
    roots.clear();
    h.collect_major(0, &mut [&mut roots]);
    assert_eq!(Arc::strong_count(&data), 1);
}

#[test]
fn set_tuple_element_on_a_fresh_tuple() {
    let mut h = Heap::new(64);
    let mut roots = [object::tuple(&mut h, &[Term::small(1)]), Term::NIL];
    gc(&mut h, 0, &mut roots);
    gc(&mut h, 0, &mut roots);
    assert!(in_old(&h, roots[0].ptr()));
    // As `setelement/3` followed by `set_tuple_element`: a copy is made, then written.
    let fresh = object::tuple(&mut h, &[Term::NIL, Term::NIL]);
    assert!(h.allocated_since_gc(fresh.ptr()));
    assert!(!h.allocated_since_gc(roots[0].ptr()));
    let young = object::cons(&mut h, Term::small(2), Term::NIL);
    object::set_tuple_element(fresh, 0, young);
    object::set_tuple_element(fresh, 1, roots[0]);
    roots[1] = fresh;
    for _ in 0..3 {
        gc(&mut h, 0, &mut roots);
        assert!(!h.allocated_since_gc(roots[1].ptr()));
    }
    assert_eq!(display(roots[1]), "{[2],{1}}");
    assert_eq!(object::tuple_element(roots[1], 1), roots[0]);
}

#[test]
fn literals_are_left_alone_by_both_kinds_of_collection() {
    let mut area = LiteralArea::new();
    let lit = object::tuple(&mut area, &[Term::small(1), Term::small(2)]);
    let mut h = Heap::new(64);
    let l = object::cons(&mut h, lit, lit);
    let mut roots = [l, lit];
    for i in 0..6 {
        if i % 3 == 2 {
            h.collect_major(0, &mut [&mut roots]);
        } else {
            gc(&mut h, 0, &mut roots);
        }
        assert_eq!(roots[1], lit);
        assert_eq!((object::head(roots[0]), object::tail(roots[0])), (lit, lit));
        assert_eq!(h.used_words(), 2);
    }
    assert_eq!(area.used_words(), 3);
}

/// The GC-stress case that was quadratic with a full copy at every GC point: a 1,000,000
/// element list stays live while the loop allocates garbage and collects at every step.
#[test]
fn stress_with_a_big_live_list_is_linear() {
    let (n, steps) = if cfg!(miri) {
        (1000, 200)
    } else {
        (1_000_000, 100_000)
    };
    let mut h = Heap::new(64);
    h.set_gc_stress(true);
    let items: Vec<Term> = (0..n).map(|i| Term::small(i as i64)).collect();
    let list = object::list_from_slice(&mut h, &items, Term::NIL);
    drop(items);
    let mut roots = [list, Term::NIL];
    let mut settled = None;
    for i in 0..steps {
        // Garbage, plus a small live term replaced every step.
        let g = object::tuple(&mut h, &[Term::small(i), roots[0]]);
        object::cons(&mut h, g, Term::NIL);
        object::float(&mut h, i as f64);
        roots[1] = object::tuple(&mut h, &[Term::small(i), roots[1]]);
        if i % 100 == 0 {
            roots[1] = Term::NIL;
        }
        assert!(!h.has_room(0));
        h.collect(4, &mut [&mut roots]);
        // 100 live tuples of 3 words at most, besides the list.
        let live = 2 * n + 300;
        assert!(h.used_words() <= 3 * live, "step {i}: {h:?}");
        assert!(
            h.young_capacity() + h.old_capacity() <= 3 * live,
            "step {i}: {h:?}"
        );
        if i == 2 {
            settled = Some(roots[0]);
            assert!(in_old(&h, roots[0].ptr()));
        }
        if i > 2 {
            assert_eq!(Some(roots[0]), settled, "the big list is not copied again");
        }
    }
    assert_eq!(h.collections(), steps as u64);
    assert!(h.major_collections() <= 2, "{h:?}");
    assert_eq!(object::list_length(roots[0]), Some(n));
    assert_eq!(object::head(roots[0]), Term::small(0));
    let last = (steps - 1) % 100;
    let mut t = roots[1];
    let mut count = 0;
    while !t.is_nil() {
        assert_eq!(object::tuple_element(t, 0), Term::small(steps - 1 - count));
        t = object::tuple_element(t, 1);
        count += 1;
    }
    assert_eq!(count, last);
}

/// Mutating a tuple that survived a collection breaks the generational invariant; debug builds
/// catch it when the tuple is promoted.
#[cfg(debug_assertions)]
#[test]
#[should_panic(expected = "an object being promoted points at a younger object")]
fn mutating_a_mature_tuple_is_caught() {
    let mut h = Heap::new(64);
    let mut roots = [Term::NIL, object::tuple(&mut h, &[])];
    h.collect_major(0, &mut [&mut roots]); // an old block with room, so the next GCs are minor
    roots[0] = object::tuple(&mut h, &[Term::NIL]);
    h.collect(0, &mut [&mut roots]);
    assert!(in_young(&h, roots[0].ptr()) && !h.allocated_since_gc(roots[0].ptr()));
    let young = object::cons(&mut h, Term::small(1), Term::NIL);
    object::set_tuple_element(roots[0], 0, young); // not allowed: the tuple is mature
    h.collect(0, &mut [&mut roots]);
}

/// A process stack as the interpreter keeps it, with the low-water mark it must track for
/// [`Heap::collect_with_stack`]: frames of y slots under a continuation pointer
/// (header-tagged, which the GC skips).
struct Stack {
    words: Vec<Term>,
    /// Lowest index written, or length after a pop, since the last collection.
    low: usize,
}

impl Stack {
    const CP: Term = Term(0x1000);

    fn push_frame(&mut self, ys: &[Term]) {
        // Pushing writes above the current length, which is at least `low`.
        self.words.extend(ys.iter().rev());
        self.words.push(Self::CP);
    }

    /// Y register `n` of the top frame.
    fn y(&self, n: usize) -> Term {
        self.words[self.words.len() - 2 - n]
    }

    fn set_y(&mut self, n: usize, v: Term) {
        let i = self.words.len() - 2 - n;
        self.words[i] = v;
        self.low = self.low.min(i);
    }

    fn pop_frame(&mut self, ys: usize) {
        self.words.truncate(self.words.len() - ys - 1);
        self.low = self.low.min(self.words.len());
    }

    fn collect(&mut self, h: &mut Heap, need: usize, roots: &mut [Term]) {
        h.collect_with_stack(need, &mut [roots], &mut self.words, self.low);
        self.low = self.words.len();
    }
}

/// Every pointer on the stack is into the used part of one of the heap's blocks (a slot the
/// GC wrongly skipped would still point into freed from-space).
fn check_stack(h: &Heap, stack: &[Term]) {
    for (i, t) in stack.iter().enumerate() {
        if t.is_list() || t.is_boxed() {
            assert!(
                in_old(h, t.ptr()) || in_young(h, t.ptr()),
                "slot {i}: {t:?}"
            );
        }
    }
}

#[test]
fn collections_with_a_stack_skip_its_unchanged_bottom_correctly() {
    let data: Arc<[u8]> = Arc::from(vec![9u8; 100]);
    let mut rng = Rng(0x5eed_5eed_5eed_5eed);
    let mut h = Heap::new(64);
    let mut stack = Stack {
        words: Vec::new(),
        low: 0,
    };
    // Frame sizes, bottom first.
    let mut frames: Vec<usize> = Vec::new();
    let mut pool: Vec<Term> = Vec::new();
    let mut sizes: Vec<usize> = Vec::new();
    let mut kinds = [0u32; 3];
    for step in 0..2000 {
        let (t, size) = random_term(&mut h, &mut rng, &pool, &sizes, &data);
        match rng.below(10) {
            0..=3 if frames.len() < 150 => {
                let n = 1 + rng.below(3);
                let ys: Vec<Term> = (0..n)
                    .map(|_| {
                        if rng.below(2) == 0 {
                            t
                        } else {
                            Term::small(step)
                        }
                    })
                    .collect();
                stack.push_frame(&ys);
                frames.push(n);
            }
            4..=5 if !frames.is_empty() => {
                let n = frames.pop().unwrap();
                stack.pop_frame(n);
            }
            6..=7 if !frames.is_empty() => {
                let n = rng.below(*frames.last().unwrap());
                stack.set_y(n, t);
            }
            _ => {}
        }
        // Keep a few young terms as other roots, and as parts for new terms.
        pool.push(t);
        sizes.push(size);
        if pool.len() > 20 {
            let i = rng.below(pool.len());
            pool.swap_remove(i);
            sizes.swap_remove(i);
        }
        if rng.below(3) == 0 {
            let terms = |w: &[Term]| -> Vec<Term> {
                w.iter().copied().filter(|t| !t.is_header()).collect()
            };
            let cps: Vec<bool> = stack.words.iter().map(|t| *t == Stack::CP).collect();
            let before = snapshot(&terms(&stack.words));
            let kind = rng.below(10);
            match kind {
                0 => {
                    h.collect_major(0, &mut [&mut pool, &mut stack.words]);
                    stack.low = stack.words.len();
                }
                1 => {
                    h.collect(0, &mut [&mut pool, &mut stack.words]);
                    stack.low = stack.words.len();
                }
                _ => stack.collect(&mut h, rng.below(20), &mut pool),
            }
            kinds[kind.min(2)] += 1;
            check_generations(&h);
            check_stack(&h, &stack.words);
            assert!(stack.words.iter().map(|t| *t == Stack::CP).eq(cps));
            let after = snapshot(&terms(&stack.words));
            assert!(before == after, "step {step}");
            dispose_all(before);
            dispose_all(after);
            if frames.last().is_some() {
                // The top frame is still readable and writable.
                let y0 = stack.y(0);
                stack.set_y(0, y0);
            }
        }
    }
    assert!(kinds.iter().all(|&k| k > 20), "{kinds:?}");
    pool.clear();
    stack.words.clear();
    h.collect_major(0, &mut [&mut pool]);
    assert_eq!(Arc::strong_count(&data), 1);
}

/// Deep body recursion under GC stress: a stack 200,000 frames deep, a collection at every
/// push and pop. Scanning the whole stack each time would be quadratic.
#[test]
fn stress_with_a_deep_stack_is_linear() {
    let depth = if cfg!(miri) { 300 } else { 200_000 };
    let mut h = Heap::new(64);
    h.set_gc_stress(true);
    let mut stack = Stack {
        words: Vec::new(),
        low: 0,
    };
    let mut acc = [Term::NIL];
    // Going down: each frame keeps a fresh tuple; a list grows in a register.
    for i in 0..depth {
        let t = object::tuple(&mut h, &[Term::small(i)]);
        stack.push_frame(&[t, Term::small(i)]);
        acc[0] = object::cons(&mut h, Term::small(i), acc[0]);
        assert!(!h.has_room(0));
        stack.collect(&mut h, 3, &mut acc);
    }
    assert_eq!(stack.words.len(), 3 * depth as usize);
    // Coming back: each frame's tuple is read, then the frame popped.
    for i in (0..depth).rev() {
        assert_eq!(stack.y(1), Term::small(i));
        assert_eq!(object::tuple_element(stack.y(0), 0), Term::small(i));
        stack.pop_frame(2);
        object::tuple(&mut h, &[Term::small(i)]); // garbage
        stack.collect(&mut h, 3, &mut acc);
    }
    assert_eq!(object::list_length(acc[0]), Some(depth as usize));
    let collections = h.collections();
    assert_eq!(collections, 2 * depth as u64);
    // A handful of slots per collection, plus the full stack at each (rare) major one.
    let full_scans = h.major_collections() * 3 * depth as u64;
    assert!(
        h.scanned_root_words <= 16 * collections + full_scans,
        "{h:?}"
    );
    assert!(h.major_collections() < 40, "{h:?}");
}

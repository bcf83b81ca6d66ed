//! Maps.
//!
//! Flat map layout: header (`MAP`, arity = 2 + n), the size `n` as a small, a term pointing
//! at a tuple of the `n` keys, then the `n` values in key order. Keys are unique (by `=:=`)
//! and sorted in map-key order ([`cmp_exact`]: like term order, except that every integer
//! sorts before every float), which is the order `maps:keys/1` gives for small maps in OTP.
//! Maps built from one another may share a keys tuple (and literal maps' keys are literals).
//!
//! Every map is flat for now, of any size: lookup is a binary search. Large maps (OTP switches
//! to a HAMT above 32 keys) come with issue 4; they will use the `MAP` subtag too, with a
//! first payload word that is not a small, so that flat maps stay recognisable by it.

use super::{alloc_object, term_slice, tuple, tuple_arity, tuple_elements};
use crate::compare::cmp_exact;
use crate::header::{boxed_subtag, header_of, payload, payload_ptr, subtag};
use crate::heap::Alloc;
use crate::word::Term;

/// A map of `pairs`. Sorts `pairs` by key (in place) and, when a key occurs more than once,
/// keeps the pair that came last, as `maps:from_list/1` does.
pub fn map_from_pairs(h: &mut impl Alloc, pairs: &mut Vec<(Term, Term)>) -> Term {
    pairs.sort_by(|a, b| cmp_exact(a.0, b.0));
    // Equal keys are adjacent and in their original order (the sort is stable): keep the last.
    let mut out = 0;
    for i in 0..pairs.len() {
        if out > 0 && cmp_exact(pairs[out - 1].0, pairs[i].0).is_eq() {
            pairs[out - 1] = pairs[i];
        } else {
            pairs[out] = pairs[i];
            out += 1;
        }
    }
    pairs.truncate(out);
    let keys: Vec<Term> = pairs.iter().map(|p| p.0).collect();
    let keys = tuple(h, &keys);
    let values: Vec<Term> = pairs.iter().map(|p| p.1).collect();
    map_from_sorted(h, keys, &values)
}

/// A map of the keys in the tuple `keys` (already unique and sorted by [`cmp_exact`]) with
/// `values` in the same order. Lets maps that differ only in values share one keys tuple.
pub fn map_from_sorted(h: &mut impl Alloc, keys: Term, values: &[Term]) -> Term {
    let n = values.len();
    assert_eq!(tuple_arity(keys), n, "keys and values differ in number");
    debug_assert!(
        tuple_elements(keys)
            .windows(2)
            .all(|w| cmp_exact(w[0], w[1]).is_lt())
    );
    let (t, p) = alloc_object(h, 2 + n, subtag::MAP);
    // SAFETY: the object has `2 + n` payload words: size, keys, `n` values.
    unsafe {
        p.write(Term::small(n as i64).0);
        p.add(1).write(keys.0);
        std::ptr::copy_nonoverlapping(values.as_ptr(), p.add(2).cast::<Term>(), n);
    }
    t
}

/// The empty map.
pub fn empty_map(h: &mut impl Alloc) -> Term {
    let keys = tuple(h, &[]);
    map_from_sorted(h, keys, &[])
}

/// Whether `t` is a map.
#[inline]
pub fn is_map(t: Term) -> bool {
    boxed_subtag(t) == Some(subtag::MAP)
}

/// The number of pairs in the map `m`.
#[inline]
pub fn map_size(m: Term) -> usize {
    debug_assert!(is_map(m));
    header_of(m).header_arity() - 2
}

/// The keys tuple of the map `m`.
#[inline]
pub fn map_keys_tuple(m: Term) -> Term {
    debug_assert!(is_map(m));
    Term(payload(m, 1))
}

/// The keys of the map `m`, sorted. Valid until the next GC of the heap holding `m`.
#[inline]
pub fn map_keys<'a>(m: Term) -> &'a [Term] {
    tuple_elements(map_keys_tuple(m))
}

/// The values of the map `m`, in key order. Valid until the next GC of the heap holding `m`.
#[inline]
pub fn map_values<'a>(m: Term) -> &'a [Term] {
    let n = map_size(m);
    // SAFETY: a live map has `n` initialised values after its size and keys words.
    unsafe { term_slice(payload_ptr(m).add(2), n) }
}

/// The value for `key` (matched with `=:=`), if present.
pub fn map_get(m: Term, key: Term) -> Option<Term> {
    let i = map_keys(m).binary_search_by(|k| cmp_exact(*k, key)).ok()?;
    Some(map_values(m)[i])
}

/// The pairs of the map `m` in key order. Valid until the next GC of the heap holding `m`.
pub fn map_pairs<'a>(m: Term) -> impl Iterator<Item = (Term, Term)> + 'a {
    map_keys(m)
        .iter()
        .copied()
        .zip(map_values(m).iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atom::Atom;
    use crate::heap::Heap;
    use crate::object::float;

    #[test]
    fn build_and_look_up() {
        let mut h = Heap::new(64);
        let a = Term::atom(Atom::OK);
        let one_f = float(&mut h, 1.0);
        let mut pairs = vec![
            (a, Term::small(1)),
            (Term::small(1), Term::small(2)),
            (one_f, Term::small(3)),
            (a, Term::small(4)),
            (Term::small(2), Term::small(5)),
        ];
        let m = map_from_pairs(&mut h, &mut pairs);
        assert!(is_map(m));
        assert_eq!(map_size(m), 4);
        // Integers first, then floats, then atoms.
        assert_eq!(map_keys(m), &[Term::small(1), Term::small(2), one_f, a]);
        assert_eq!(map_get(m, a), Some(Term::small(4)));
        assert_eq!(map_get(m, Term::small(1)), Some(Term::small(2)));
        let other_one = float(&mut h, 1.0);
        assert_eq!(map_get(m, other_one), Some(Term::small(3)));
        assert_eq!(map_get(m, Term::small(3)), None);
        assert_eq!(map_pairs(m).count(), 4);
        let e = empty_map(&mut h);
        assert_eq!(map_size(e), 0);
        assert_eq!(map_get(e, a), None);
    }
}

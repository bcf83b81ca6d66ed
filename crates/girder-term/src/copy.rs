//! Deep copies of terms between heaps (message passing, ETS), and term sizes.
//!
//! A copy does not preserve sharing: a subterm reachable twice is copied twice, as OTP's
//! `copy_struct` does (so a term with much sharing can be far larger copied than in place;
//! [`size_of_term`] gives the copied size). Everything a term points at is copied, literals
//! included, since the copy may outlive the module. Refc binaries are shared, not copied: the
//! copy takes its own reference count. Both functions use explicit stacks.

use crate::header::{object_words, subtag, term_words};
use crate::heap::Alloc;
use crate::object::binary::retain_refc;
use crate::word::Term;

/// The words a copy of `t` takes (0 for an immediate).
pub fn size_of_term(t: Term) -> usize {
    footprint(t).0
}

/// The words a copy of `t` takes, and how many refc binary objects it holds (each takes a
/// reference count the copy's owner must release).
pub fn footprint(t: Term) -> (usize, usize) {
    let (mut size, mut refcs) = (0, 0);
    // Most terms are shallow: the walk's stack stays on the native stack.
    let mut stack: Walk<Term> = smallvec::smallvec![t];
    while let Some(mut t) = stack.pop() {
        loop {
            if t.is_list() {
                size += 2;
                stack.push(crate::object::head(t));
                t = crate::object::tail(t);
            } else if t.is_boxed() {
                let h = crate::header::header_of(t);
                size += object_words(h);
                refcs += usize::from(h.header_subtag() == subtag::REFC_BIN);
                let p = t.ptr().wrapping_add(1);
                // SAFETY: a live object's term words are initialised payload words.
                stack.extend(term_words(h).map(|i| Term(unsafe { *p.add(i) })));
                break;
            } else {
                break;
            }
        }
    }
    (size, refcs)
}

/// A walk's work list: on the native stack up to a few dozen entries.
type Walk<T> = smallvec::SmallVec<[T; 32]>;

/// A copy of `t` allocated from `dst`.
pub fn copy_term(t: Term, dst: &mut impl Alloc) -> Term {
    let mut result = t;
    // Words (in the copy, or `result`) that still hold a term of the original.
    let mut pending: Walk<*mut u64> = smallvec::smallvec![(&raw mut result).cast()];
    while let Some(slot) = pending.pop() {
        // SAFETY: pending slots are initialised words of objects this function allocated
        // (or `result`); nothing else refers to them yet. The source objects are live.
        unsafe {
            let src = Term(*slot);
            let new = if src.is_list() {
                let p = dst.alloc(2);
                std::ptr::copy_nonoverlapping(src.ptr(), p, 2);
                push_pointers(&mut pending, p, 0..2);
                Term::list_ptr(p)
            } else if src.is_boxed() {
                let h = Term(*src.ptr());
                let n = object_words(h);
                let p = dst.alloc(n);
                std::ptr::copy_nonoverlapping(src.ptr(), p, n);
                if h.header_subtag() == subtag::REFC_BIN {
                    retain_refc(src.ptr());
                    dst.track_off_heap(p);
                }
                push_pointers(&mut pending, p.add(1), term_words(h));
                Term::boxed_ptr(p)
            } else {
                continue;
            };
            *slot = new.0;
        }
    }
    result
}

/// Queues the words `p[range]` that are pointers (the rest need no copying).
///
/// # Safety
/// The words must be initialised.
#[inline]
unsafe fn push_pointers(pending: &mut Walk<*mut u64>, p: *mut u64, range: std::ops::Range<usize>) {
    for i in range {
        let slot = p.wrapping_add(i);
        // SAFETY: per the contract.
        let t = Term(unsafe { *slot });
        if t.is_list() || t.is_boxed() {
            pending.push(slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::convert::{display, from_format};
    use crate::heap::{Heap, LiteralArea};
    use crate::object;

    #[test]
    fn copies_are_equal_and_independent() {
        let mut area = LiteralArea::new();
        let text = "{ok,[1,2.5,<<1,2,3>>,#{a => {}},\"str\"|tail],-123456789012345678901234567890}";
        let f = girder_format::Term::Tuple(vec![
            girder_format::Term::atom("ok"),
            girder_format::Term::List(
                vec![
                    girder_format::Term::Int(1),
                    girder_format::Term::Float(2.5),
                    girder_format::Term::Binary(vec![1, 2, 3]),
                    girder_format::Term::Map(vec![(
                        girder_format::Term::atom("a"),
                        girder_format::Term::Tuple(vec![]),
                    )]),
                    girder_format::Term::list(
                        "str"
                            .bytes()
                            .map(|b| girder_format::Term::Int(b.into()))
                            .collect(),
                    ),
                ],
                Box::new(girder_format::Term::atom("tail")),
            ),
            girder_format::Term::integer("-123456789012345678901234567890".parse().unwrap()),
        ]);
        let t = from_format(&mut area, &f).unwrap();
        let expected = display(t);
        assert_eq!(expected, text.replace("\"str\"", "[115,116,114]"));
        let mut h = Heap::new(16);
        let c = copy_term(t, &mut h);
        assert!(h.contains(c.ptr()) && !area.contains(c.ptr()));
        assert_eq!(display(c), expected);
        assert!(crate::eq_exact(c, t));
        assert_eq!(h.used_words(), size_of_term(t));
        drop(area);
        assert_eq!(display(c), expected);
        assert_eq!(copy_term(Term::small(3), &mut h), Term::small(3));
        assert_eq!(size_of_term(Term::NIL), 0);
    }

    #[test]
    fn copies_share_refc_data() {
        let data: Arc<[u8]> = Arc::from(vec![9u8; 1000]);
        let mut a = Heap::new(64);
        let bin = object::refc_binary(&mut a, data.clone());
        let sub = object::sub_binary(&mut a, bin, 8, 80);
        let t = object::tuple(&mut a, &[bin, sub]);
        let mut b = Heap::new(64);
        let c = copy_term(t, &mut b);
        assert_eq!(Arc::strong_count(&data), 4);
        drop(a);
        assert_eq!(Arc::strong_count(&data), 3);
        assert_eq!(
            object::binary_bytes(object::tuple_element(c, 1)),
            Some(&[9u8; 10][..])
        );
        drop(b);
        assert_eq!(Arc::strong_count(&data), 1);
    }

    #[test]
    fn long_and_deep_terms() {
        let n = if cfg!(miri) { 100 } else { 1_000_000 };
        let mut h = Heap::new(64);
        let items: Vec<Term> = (0..n).map(|i| Term::small(i as i64)).collect();
        let l = object::list_from_slice(&mut h, &items, Term::NIL);
        assert_eq!(size_of_term(l), 2 * n);
        let mut d = Heap::new(64);
        let c = copy_term(l, &mut d);
        assert_eq!(object::list_length(c), Some(n));
        let mut t = Term::NIL;
        for _ in 0..n / 10 {
            t = object::tuple(&mut h, &[t]);
        }
        assert_eq!(size_of_term(t), n / 10 * 2);
        let c = copy_term(t, &mut d);
        assert!(crate::eq_exact(c, t));
    }
}

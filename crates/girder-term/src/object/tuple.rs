//! Tuples.
//!
//! Layout: header (`TUPLE`, arity = element count), then the elements. `{}` is a lone header.

use super::{alloc_object, term_slice};
use crate::header::{boxed_subtag, header_of, payload_ptr, subtag};
use crate::heap::Alloc;
use crate::word::Term;

/// A tuple of `elements`.
pub fn tuple(h: &mut impl Alloc, elements: &[Term]) -> Term {
    let (t, p) = make_tuple_uninit(h, elements.len());
    // SAFETY: `p` points at `elements.len()` fresh words, which cannot overlap `elements`.
    unsafe { std::ptr::copy_nonoverlapping(elements.as_ptr(), p, elements.len()) };
    t
}

/// A tuple of `arity` elements with only its header written, and a pointer to its first
/// element. The caller writes all `arity` elements before anything reads the tuple or the
/// heap can be collected (the interpreter's `put_tuple2`).
pub fn make_tuple_uninit(h: &mut impl Alloc, arity: usize) -> (Term, *mut Term) {
    let (t, p) = alloc_object(h, arity, subtag::TUPLE);
    (t, p.cast())
}

/// Whether `t` is a tuple.
#[inline]
pub fn is_tuple(t: Term) -> bool {
    boxed_subtag(t) == Some(subtag::TUPLE)
}

/// The number of elements of the tuple `t`.
#[inline]
pub fn tuple_arity(t: Term) -> usize {
    debug_assert!(is_tuple(t));
    header_of(t).header_arity()
}

/// The elements of the tuple `t`.
///
/// The slice points into the heap holding the tuple: it is valid only until that heap's next
/// garbage collection, whatever lifetime `'a` the caller picks. Do not hold it across any call
/// that may collect.
#[inline]
pub fn tuple_elements<'a>(t: Term) -> &'a [Term] {
    let n = tuple_arity(t);
    // SAFETY: a live tuple has `n` initialised elements after its header (the caller keeps it
    // alive, per the contract above).
    unsafe { term_slice(payload_ptr(t), n) }
}

/// Element `i` (0-based) of the tuple `t`.
///
/// # Panics
/// If `i` is out of range.
#[inline]
pub fn tuple_element(t: Term, i: usize) -> Term {
    tuple_elements(t)[i]
}

/// Overwrite element `i` (0-based) of a tuple in place: the `set_tuple_element`
/// instruction, which the compiler emits only on a tuple it has just built.
///
/// The tuple must have been allocated since its heap's last collection
/// ([`Heap::allocated_since_gc`](crate::heap::Heap::allocated_since_gc)): the compiler emits
/// this instruction only right after `setelement/3` made a fresh copy, with no GC point in
/// between (the BEAM validator checks that). The generational GC relies on it: a tuple that
/// survived a collection may be in (or about to be promoted to) the old generation, which
/// minor collections do not scan, so storing a pointer to a younger term there would leave a
/// dangling pointer after the next minor collection (see the [`heap`](crate::heap) module
/// docs).
///
/// # Panics
/// If `t` is not a tuple or `i` is out of range.
pub fn set_tuple_element(t: Term, i: usize, v: Term) {
    assert!(
        is_tuple(t) && i < tuple_arity(t),
        "set_tuple_element out of range"
    );
    // SAFETY: `t` is a tuple with more than `i` elements, so its header is followed by at
    // least `i + 1` element words; the caller owns the heap it lives on.
    unsafe { t.ptr_mut().add(1 + i).write(v.raw()) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atom::Atom;
    use crate::heap::Heap;

    #[test]
    fn build_and_read() {
        let mut h = Heap::new(64);
        let t = tuple(&mut h, &[Term::small(1), Term::atom(Atom::OK), Term::NIL]);
        assert!(is_tuple(t) && t.is_boxed());
        assert_eq!(tuple_arity(t), 3);
        assert_eq!(tuple_element(t, 1), Term::atom(Atom::OK));
        assert_eq!(
            tuple_elements(t),
            &[Term::small(1), Term::atom(Atom::OK), Term::NIL]
        );
        let empty = tuple(&mut h, &[]);
        assert_eq!(tuple_arity(empty), 0);
        assert!(!is_tuple(Term::NIL));
        let (u, p) = make_tuple_uninit(&mut h, 2);
        // SAFETY: `p` points at two writable element slots.
        unsafe {
            p.write(Term::small(7));
            p.add(1).write(t);
        }
        assert_eq!(tuple_element(u, 1), t);
    }
}

//! Constructors and accessors for every kind of heap object.
//!
//! Constructors allocate through [`Alloc`] (a process [`Heap`](crate::heap::Heap),
//! a [`LiteralArea`](crate::heap::LiteralArea), ...) and return the finished term. Accessors
//! take a term and trust it to be a live object of the right kind (see the crate-wide contract
//! in [`heap`](crate::heap)); slices they return borrow heap memory for an unbounded lifetime
//! `'a` and are valid only until the next GC of the heap they point into.
//!
//! The layout of each object is in its module's docs and in the table in [`header`](crate::header).

pub mod binary;
pub mod fun;
pub mod ident;
pub mod list;
pub mod map;
pub mod matchstate;
pub mod number;
pub mod tuple;

pub use binary::*;
pub use fun::*;
pub use ident::*;
pub use list::*;
pub use map::*;
pub use matchstate::*;
pub use number::*;
pub use tuple::*;

use crate::heap::Alloc;
use crate::word::Term;

/// Allocates an object of `arity` payload words with its header written; returns the term and
/// a pointer to the (uninitialised) payload.
#[inline]
pub(crate) fn alloc_object(h: &mut impl Alloc, arity: usize, subtag: u64) -> (Term, *mut u64) {
    let p = h.alloc(arity + 1);
    // SAFETY: `alloc` returned `arity + 1` writable words; the header is the first.
    unsafe { p.write(Term::header(arity, subtag).0) };
    // `p + 1` stays inside (or one past the end of) the allocation.
    (Term::boxed_ptr(p), p.wrapping_add(1))
}

/// Reads an `'a` slice of `len` words at `p`, as terms.
///
/// # Safety
/// `p` must point at `len` initialised words that stay unchanged for `'a`.
#[inline]
pub(crate) unsafe fn term_slice<'a>(p: *const u64, len: usize) -> &'a [Term] {
    // SAFETY: the caller guarantees `len` initialised words at `p`; `Term` is
    // `repr(transparent)` over `u64`, so the cast keeps size and alignment.
    unsafe { std::slice::from_raw_parts(p.cast::<Term>(), len) }
}

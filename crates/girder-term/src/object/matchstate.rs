//! Binary match states, made by `bs_start_match3/4` and advanced by the `bs_get_*`,
//! `bs_skip_*` and `bs_set_position` instructions.
//!
//! Layout: header (`BIN_MATCHSTATE`, arity 2), the matched bitstring (a term, which the GC
//! updates), the current bit position (a raw word). The end is the bitstring's bit size.
//! The runtime only ever mutates the position, and only of a match state it holds.

use super::alloc_object;
use super::binary::{bit_size, is_bitstring};
use crate::header::{boxed_subtag, payload, payload_ptr, subtag};
use crate::heap::Alloc;
use crate::word::Term;

/// A match state over the bitstring `bin`, positioned at its start.
pub fn make_match_state(h: &mut impl Alloc, bin: Term) -> Term {
    assert!(is_bitstring(bin), "a match state needs a bitstring");
    let (t, p) = alloc_object(h, 2, subtag::BIN_MATCHSTATE);
    // SAFETY: the object has two payload words.
    unsafe {
        p.write(bin.raw());
        p.add(1).write(0);
    }
    t
}

/// Whether `t` is a match state.
pub fn is_match_state(t: Term) -> bool {
    boxed_subtag(t) == Some(subtag::BIN_MATCHSTATE)
}

/// The bitstring being matched.
pub fn match_binary(t: Term) -> Term {
    debug_assert!(is_match_state(t));
    Term(payload(t, 0))
}

/// The current bit position.
pub fn match_position(t: Term) -> usize {
    debug_assert!(is_match_state(t));
    payload(t, 1) as usize
}

/// The end: the matched bitstring's size in bits.
pub fn match_end(t: Term) -> usize {
    bit_size(match_binary(t))
}

/// Move the position (which must not pass the end).
pub fn set_match_position(t: Term, pos: usize) {
    assert!(
        is_match_state(t) && pos <= match_end(t),
        "match position out of range"
    );
    // SAFETY: `t` is a match state, whose second payload word is the raw position; match
    // states live on the owning process's heap, which the caller may write.
    unsafe { (payload_ptr(t) as *mut u64).add(1).write(pos as u64) };
}

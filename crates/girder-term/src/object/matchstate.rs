//! Binary match states, made by `bs_start_match3/4` and advanced by the `bs_get_*`,
//! `bs_skip_*` and `bs_set_position` instructions.
//!
//! Layout: header (`BIN_MATCHSTATE`, arity 3), the matched binary (a term, which the GC
//! updates: a `HEAP_BIN` or `REFC_BIN`, never a sub-binary), then the current bit position
//! and the end, both counted from the binary's first bit, raw words at the fixed offsets
//! [`match_offsets`] gives, so native code can test and move the position and read bytes
//! without decoding a sub-binary.
//! The runtime only ever mutates the position, and only of a match state it holds.

use super::alloc_object;
use super::binary::{bit_size, is_bitstring};
use crate::header::{boxed_subtag, payload, payload_ptr, subtag};
use crate::heap::Alloc;
use crate::word::Term;

/// A match state over the bitstring `bin`, positioned at its start.
///
/// A sub-binary is matched as the binary it views, between its offset and its end, so the
/// matched binary is always a `HEAP_BIN` or `REFC_BIN`: native code finds the bytes
/// without a third case.
pub fn make_match_state(h: &mut impl Alloc, bin: Term) -> Term {
    assert!(is_bitstring(bin), "a match state needs a bitstring");
    let (base, start) = if boxed_subtag(bin) == Some(subtag::SUB_BIN) {
        (Term(payload(bin, 2)), payload(bin, 1) as usize)
    } else {
        (bin, 0)
    };
    let end = start + bit_size(bin);
    let (t, p) = alloc_object(h, 3, subtag::BIN_MATCHSTATE);
    // SAFETY: the object has three payload words.
    unsafe {
        p.write(base.raw());
        p.add(1).write(start as u64);
        p.add(2).write(end as u64);
    }
    t
}

/// Byte offsets of a match state's raw words from its boxed term (tag included), for code
/// generators: `position` may be rewritten with a value up to `end`.
pub mod match_offsets {
    use crate::word::tag;
    /// The current bit position (a raw `u64`).
    pub const POSITION: i32 = 16 - tag::BOXED as i32;
    /// The end: the matched bitstring's size in bits (a raw `u64`).
    pub const END: i32 = 24 - tag::BOXED as i32;
}

/// Whether `t` is a match state.
pub fn is_match_state(t: Term) -> bool {
    boxed_subtag(t) == Some(subtag::BIN_MATCHSTATE)
}

/// The binary being matched (a `HEAP_BIN` or `REFC_BIN`; positions count from its start).
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
    debug_assert!(is_match_state(t));
    payload(t, 2) as usize
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

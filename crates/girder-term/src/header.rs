//! Header words: the first word of every boxed object.
//!
//! ```text
//! header = arity << 6 | subtag << 2 | 0b00
//! ```
//!
//! `arity` is the number of payload words that follow the header (58 bits); `subtag` (4 bits)
//! names the kind of object. A boxed term is a pointer to the header, tagged `0b10`.
//!
//! Layouts (payload words after the header; "term" words hold terms the GC follows, "raw"
//! words are opaque to it; [`term_words`] gives the term words of each kind):
//!
//! | subtag | kind | payload |
//! | --- | --- | --- |
//! | 0 `TUPLE` | tuple | `arity` element terms |
//! | 1 `BIN_MATCHSTATE` | match state | term: the matched binary; raw: the rest (the interpreter's to define) |
//! | 2/3 `POS_BIG`/`NEG_BIG` | bignum | raw: magnitude limbs, `u64`, least significant first; `arity` = limb count |
//! | 4 `REF` | local reference | raw: 3 words, see [`object::ident`](mod@crate::object::ident) |
//! | 5 `FUN` | closure | raw: fun entry pointer; term: creator pid; term: free count (small); terms: free vars |
//! | 6 `FLOAT` | float | raw: the `f64` bits |
//! | 7 `EXPORT` | `fun M:F/A` | raw: export entry pointer |
//! | 8 `REFC_BIN` | off-heap binary | raw: bit size, data pointer, owner (`Arc<[u8]>` length, or tagged `Arc<GrowBuf>`) |
//! | 9 `HEAP_BIN` | on-heap binary | raw: bit size; raw: the bytes, padded to whole words |
//! | 10 `SUB_BIN` | sub-binary | raw: bit size; raw: bit offset; term: the underlying `HEAP_BIN`/`REFC_BIN` |
//! | 11 `HAMT_NODE` | inner node of a large map (never a term by itself) | term: key count (small); term: bitmap (small); child terms |
//! | 12 `EXTERNAL_PID` | pid of another node | raw: node atom, id, serial, creation |
//! | 13 `EXTERNAL_PORT` | port of another node | raw: node atom, id, creation |
//! | 14 `EXTERNAL_REF` | reference of another node | raw: node atom, creation, id count, ids |
//! | 15 `MAP` | flat map | term: size `n` (small); term: keys tuple; `n` value terms |
//! | 15 `MAP` | hash-trie map (over 32 keys) | term: `[]`; term: size (small); term: bitmap (small); child terms |
//!
//! See [`object::map`](mod@crate::object::map) for the map layouts.
//!
//! The node atom of external identifiers is an atom term, an immediate, so the GC has nothing to
//! follow there and treats the whole payload as raw.

use std::ops::Range;

use crate::word::{Term, tag};

/// Object kinds (the 4-bit subtag).
pub mod subtag {
    /// Tuple.
    pub const TUPLE: u64 = 0;
    /// Binary match state.
    pub const BIN_MATCHSTATE: u64 = 1;
    /// Positive bignum.
    pub const POS_BIG: u64 = 2;
    /// Negative bignum.
    pub const NEG_BIG: u64 = 3;
    /// Local reference.
    pub const REF: u64 = 4;
    /// Closure.
    pub const FUN: u64 = 5;
    /// Float.
    pub const FLOAT: u64 = 6;
    /// External fun `fun M:F/A`.
    pub const EXPORT: u64 = 7;
    /// Reference-counted off-heap binary.
    pub const REFC_BIN: u64 = 8;
    /// Binary stored on the heap.
    pub const HEAP_BIN: u64 = 9;
    /// Sub-binary.
    pub const SUB_BIN: u64 = 10;
    /// Inner node of a hash-trie map.
    pub const HAMT_NODE: u64 = 11;
    /// Pid of another node.
    pub const EXTERNAL_PID: u64 = 12;
    /// Port of another node.
    pub const EXTERNAL_PORT: u64 = 13;
    /// Reference of another node.
    pub const EXTERNAL_REF: u64 = 14;
    /// Map.
    pub const MAP: u64 = 15;
}

/// Bit position of the subtag.
const SUBTAG_SHIFT: u32 = 2;
/// Bit position of the arity.
const ARITY_SHIFT: u32 = 6;
/// Largest arity a header holds.
pub const MAX_ARITY: usize = (1 << (64 - ARITY_SHIFT)) - 1;

impl Term {
    /// A header word for an object of kind `subtag` with `arity` payload words.
    #[inline]
    pub const fn header(arity: usize, subtag: u64) -> Term {
        debug_assert!(arity <= MAX_ARITY && subtag < 16);
        Term(((arity as u64) << ARITY_SHIFT) | (subtag << SUBTAG_SHIFT) | tag::HEADER)
    }

    /// The payload length of a header word.
    #[inline]
    pub const fn header_arity(self) -> usize {
        (self.0 >> ARITY_SHIFT) as usize
    }

    /// The subtag of a header word.
    #[inline]
    pub const fn header_subtag(self) -> u64 {
        (self.0 >> SUBTAG_SHIFT) & 0xf
    }
}

/// The header word of the object a boxed term points at.
///
/// `t` must be a boxed term pointing at a live object (the crate-wide contract: see the
/// [`heap`](crate::heap) module docs).
#[inline]
pub fn header_of(t: Term) -> Term {
    debug_assert!(t.is_boxed());
    // SAFETY: by the crate's contract a boxed term points at the readable header word of a
    // live object (on a heap not collected since the term was made, or in a literal area).
    Term(unsafe { *t.ptr() })
}

/// The subtag of the object `t` points at, or `None` when `t` is not boxed.
#[inline]
pub fn boxed_subtag(t: Term) -> Option<u64> {
    t.is_boxed().then(|| header_of(t).header_subtag())
}

/// Payload word `i` (0-based, after the header) of the boxed object `t`, raw.
///
/// `t` must be a live boxed term with more than `i` payload words.
#[inline]
pub(crate) fn payload(t: Term, i: usize) -> u64 {
    debug_assert!(i < header_of(t).header_arity());
    // SAFETY: `t` points at a live object whose header says it has more than `i` payload
    // words, all initialised by its constructor.
    unsafe { *t.ptr().add(1 + i) }
}

/// Pointer to the first payload word of the boxed object `t`.
#[inline]
pub(crate) fn payload_ptr(t: Term) -> *const u64 {
    t.ptr().wrapping_add(1)
}

/// Indices (into the payload) of the words that hold terms, for an object with this header.
///
/// The GC and the term copier follow exactly these; every other payload word is raw data.
#[inline]
pub const fn term_words(header: Term) -> Range<usize> {
    let arity = header.header_arity();
    match header.header_subtag() {
        subtag::TUPLE | subtag::MAP | subtag::HAMT_NODE => 0..arity,
        subtag::FUN => 1..arity,
        subtag::BIN_MATCHSTATE => 0..1,
        subtag::SUB_BIN => 2..3,
        _ => 0..0,
    }
}

/// Total words (header included) of an object with this header.
#[inline]
pub const fn object_words(header: Term) -> usize {
    1 + header.header_arity()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields() {
        for st in 0..16 {
            for arity in [0, 1, 5, 1 << 40, MAX_ARITY] {
                let h = Term::header(arity, st);
                assert!(h.is_header());
                assert_eq!(h.header_arity(), arity);
                assert_eq!(h.header_subtag(), st);
            }
        }
    }

    #[test]
    fn term_word_ranges() {
        assert_eq!(term_words(Term::header(3, subtag::TUPLE)), 0..3);
        assert_eq!(term_words(Term::header(5, subtag::FUN)), 1..5);
        assert_eq!(term_words(Term::header(2, subtag::FLOAT)), 0..0);
        assert_eq!(term_words(Term::header(3, subtag::SUB_BIN)), 2..3);
        assert_eq!(object_words(Term::header(3, subtag::MAP)), 4);
    }
}

//! The term word: one `u64`, tagged in its low bits.
//!
//! ```text
//! primary tag (bits 0-1)
//!   00  header          first word of a boxed object (never a term value); on the stack
//!                        this pattern also marks continuation pointers, which GC skips
//!   01  list            pointer to a cons cell (two words: head, tail) | 0b01
//!   10  boxed           pointer to a header word | 0b10
//!   11  immediate
//! immediate (bits 0-3)
//!   0011 pid             local process id << 4
//!   0111 port            local port id << 4
//!   1111 small integer   value << 4 (60-bit two's complement)
//!   1011 immediate-2
//! immediate-2 (bits 0-5)
//!   001011 atom          atom index << 6
//!   011011 catch         handler payload << 6 (stack only)
//!   111011 nil           []
//!   101011 non-value     "no term": a BIF's failure, an unset register
//! ```
//!
//! Heap objects are 8-byte aligned, so a pointer's low three bits are free for the tag.
//! Native code tests a tag with one `and`/`cmp`, and untags a small with one arithmetic shift.

use crate::atom::Atom;

/// One Erlang term (or a header word inside a heap object).
///
/// A `Term` that points into a heap is only valid until that heap's next garbage collection;
/// holding one across a GC point is a bug (the GC updates only the roots it is given).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Term(pub u64);

/// Primary tag values.
pub mod tag {
    /// Mask of the primary tag.
    pub const PRIMARY_MASK: u64 = 0b11;
    /// Header word.
    pub const HEADER: u64 = 0b00;
    /// List (cons) pointer.
    pub const LIST: u64 = 0b01;
    /// Boxed pointer.
    pub const BOXED: u64 = 0b10;
    /// Immediate.
    pub const IMMED1: u64 = 0b11;
    /// Mask of an immediate-1 tag.
    pub const IMMED1_MASK: u64 = 0b1111;
    /// Pid.
    pub const PID: u64 = 0b0011;
    /// Port.
    pub const PORT: u64 = 0b0111;
    /// Small integer.
    pub const SMALL: u64 = 0b1111;
    /// Immediate-2 prefix.
    pub const IMMED2: u64 = 0b1011;
    /// Mask of an immediate-2 tag.
    pub const IMMED2_MASK: u64 = 0b11_1111;
    /// Atom.
    pub const ATOM: u64 = 0b00_1011;
    /// Catch marker.
    pub const CATCH: u64 = 0b01_1011;
    /// Nil.
    pub const NIL: u64 = 0b11_1011;
    /// The non-value.
    pub const NON_VALUE: u64 = 0b10_1011;
}

/// Bits of a small integer's value.
pub const SMALL_BITS: u32 = 60;
/// Largest small integer: 2^59 - 1.
pub const MAX_SMALL: i64 = (1 << (SMALL_BITS - 1)) - 1;
/// Smallest small integer: -2^59.
pub const MIN_SMALL: i64 = -(1 << (SMALL_BITS - 1));

impl Term {
    /// `[]`.
    pub const NIL: Term = Term(tag::NIL);
    /// "No term": marks a failed BIF result or an empty slot; never a value Erlang code sees.
    pub const NON_VALUE: Term = Term(tag::NON_VALUE);

    /// A small integer. The caller guarantees `MIN_SMALL <= n <= MAX_SMALL`.
    #[inline]
    pub const fn small(n: i64) -> Term {
        debug_assert!(n >= MIN_SMALL && n <= MAX_SMALL);
        Term(((n as u64) << 4) | tag::SMALL)
    }

    /// A small integer if `n` fits, else `None` (the caller then makes a bignum).
    #[inline]
    pub const fn try_small(n: i64) -> Option<Term> {
        if n >= MIN_SMALL && n <= MAX_SMALL {
            Some(Term::small(n))
        } else {
            None
        }
    }

    /// The atom term for `a`.
    #[inline]
    pub const fn atom(a: Atom) -> Term {
        Term(((a.index() as u64) << 6) | tag::ATOM)
    }

    /// `true` or `false`.
    #[inline]
    pub const fn boolean(b: bool) -> Term {
        if b {
            Term::atom(Atom::TRUE)
        } else {
            Term::atom(Atom::FALSE)
        }
    }

    /// A local pid with the given process number.
    #[inline]
    pub const fn pid(id: u64) -> Term {
        Term((id << 4) | tag::PID)
    }

    /// A local port with the given number.
    #[inline]
    pub const fn port(id: u64) -> Term {
        Term((id << 4) | tag::PORT)
    }

    /// A catch marker (stack only) carrying a 58-bit payload: the runtime stores where the
    /// handler is.
    #[inline]
    pub const fn catch(payload: u64) -> Term {
        Term((payload << 6) | tag::CATCH)
    }

    /// A list pointer to a cons cell at `cell` (8-byte aligned).
    #[inline]
    pub fn list_ptr(cell: *const u64) -> Term {
        debug_assert_eq!(cell as u64 & 7, 0);
        Term(cell as u64 | tag::LIST)
    }

    /// A boxed pointer to the header word at `header` (8-byte aligned).
    #[inline]
    pub fn boxed_ptr(header: *const u64) -> Term {
        debug_assert_eq!(header as u64 & 7, 0);
        Term(header as u64 | tag::BOXED)
    }

    /// The raw word.
    #[inline]
    pub const fn raw(self) -> u64 {
        self.0
    }

    /// The primary tag.
    #[inline]
    pub const fn primary(self) -> u64 {
        self.0 & tag::PRIMARY_MASK
    }

    /// A small integer?
    #[inline]
    pub const fn is_small(self) -> bool {
        self.0 & tag::IMMED1_MASK == tag::SMALL
    }

    /// The value of a small integer (meaningless for other terms).
    #[inline]
    pub const fn small_value(self) -> i64 {
        (self.0 as i64) >> 4
    }

    /// The value, if this is a small integer.
    #[inline]
    pub const fn as_small(self) -> Option<i64> {
        if self.is_small() {
            Some(self.small_value())
        } else {
            None
        }
    }

    /// An atom?
    #[inline]
    pub const fn is_atom(self) -> bool {
        self.0 & tag::IMMED2_MASK == tag::ATOM
    }

    /// The atom, if this is one.
    #[inline]
    pub const fn as_atom(self) -> Option<Atom> {
        if self.is_atom() {
            Some(Atom::from_index((self.0 >> 6) as u32))
        } else {
            None
        }
    }

    /// `[]`?
    #[inline]
    pub const fn is_nil(self) -> bool {
        self.0 == tag::NIL
    }

    /// The non-value?
    #[inline]
    pub const fn is_non_value(self) -> bool {
        self.0 == tag::NON_VALUE
    }

    /// A list pointer (non-empty list)?
    #[inline]
    pub const fn is_list(self) -> bool {
        self.primary() == tag::LIST
    }

    /// A boxed pointer?
    #[inline]
    pub const fn is_boxed(self) -> bool {
        self.primary() == tag::BOXED
    }

    /// A header word?
    #[inline]
    pub const fn is_header(self) -> bool {
        self.primary() == tag::HEADER
    }

    /// A local pid?
    #[inline]
    pub const fn is_local_pid(self) -> bool {
        self.0 & tag::IMMED1_MASK == tag::PID
    }

    /// A local port?
    #[inline]
    pub const fn is_local_port(self) -> bool {
        self.0 & tag::IMMED1_MASK == tag::PORT
    }

    /// The number of a local pid or port.
    #[inline]
    pub const fn immediate_id(self) -> u64 {
        self.0 >> 4
    }

    /// A catch marker?
    #[inline]
    pub const fn is_catch(self) -> bool {
        self.0 & tag::IMMED2_MASK == tag::CATCH
    }

    /// The payload of a catch marker.
    #[inline]
    pub const fn catch_payload(self) -> u64 {
        self.0 >> 6
    }

    /// Any immediate (no pointer)?
    #[inline]
    pub const fn is_immediate(self) -> bool {
        self.primary() == tag::IMMED1
    }

    /// The address a list or boxed pointer points at (tag removed).
    #[inline]
    pub const fn ptr(self) -> *const u64 {
        (self.0 & !tag::PRIMARY_MASK) as *const u64
    }

    /// The address as mutable (for construction and GC).
    #[inline]
    pub const fn ptr_mut(self) -> *mut u64 {
        (self.0 & !tag::PRIMARY_MASK) as *mut u64
    }
}

impl std::fmt::Debug for Term {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(n) = self.as_small() {
            write!(f, "Term(small {n})")
        } else if let Some(a) = self.as_atom() {
            write!(f, "Term(atom {})", a.name())
        } else if self.is_nil() {
            write!(f, "Term([])")
        } else if self.is_non_value() {
            write!(f, "Term(non-value)")
        } else {
            write!(f, "Term({:#x})", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_range_and_roundtrip() {
        for n in [0, 1, -1, MAX_SMALL, MIN_SMALL, 1 << 40, -(1 << 40)] {
            let t = Term::small(n);
            assert!(t.is_small());
            assert!(!t.is_atom() && !t.is_list() && !t.is_boxed());
            assert_eq!(t.small_value(), n);
        }
        assert_eq!(MAX_SMALL, (1 << 59) - 1);
        assert!(Term::try_small(MAX_SMALL + 1).is_none());
        assert!(Term::try_small(MIN_SMALL - 1).is_none());
    }

    #[test]
    fn tags_are_distinct() {
        let terms = [
            Term::NIL,
            Term::NON_VALUE,
            Term::small(5),
            Term::atom(Atom::OK),
            Term::pid(3),
            Term::port(3),
            Term::catch(3),
        ];
        for (i, a) in terms.iter().enumerate() {
            for (j, b) in terms.iter().enumerate() {
                assert_eq!(i == j, a == b);
            }
            assert!(a.is_immediate() && !a.is_header());
        }
        assert!(Term::atom(Atom::OK).is_atom());
        assert_eq!(Term::atom(Atom::OK).as_atom(), Some(Atom::OK));
        assert!(Term::NIL.is_nil() && !Term::NIL.is_atom());
    }
}

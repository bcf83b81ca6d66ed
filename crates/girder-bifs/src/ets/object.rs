//! Terms owned by a table: each stored object (and each key) lives in its own
//! [`LiteralArea`], sized to fit, outside every process heap. Reading one copies it into the
//! reader's heap; refc binaries are shared (the area holds a reference count).

use std::cmp::Ordering;

use girder_term::copy::{copy_term, size_of_term};
use girder_term::heap::{Alloc, LiteralArea};
use girder_term::{Term, compare};

/// A term and the memory it lives in (none for an immediate, or for a borrowed term used
/// only to search).
pub struct Owned {
    term: Term,
    _area: Option<LiteralArea>,
}

impl Owned {
    /// A copy of `t` that the table owns.
    pub fn new(t: Term) -> Owned {
        let words = size_of_term(t);
        if words == 0 {
            return Owned {
                term: t,
                _area: None,
            };
        }
        let mut area = LiteralArea::with_capacity(words);
        let term = copy_term(t, &mut area);
        Owned {
            term,
            _area: Some(area),
        }
    }

    /// `t` itself, not copied: valid only while `t` is (a search key from the caller's heap).
    pub fn borrowed(t: Term) -> Owned {
        Owned {
            term: t,
            _area: None,
        }
    }

    /// The term (valid while `self` lives).
    pub fn term(&self) -> Term {
        self.term
    }

    /// The term copied into `h`.
    pub fn copy_to(&self, h: &mut impl Alloc) -> Term {
        copy_term(self.term, h)
    }

    /// Words the term takes.
    pub fn words(&self) -> usize {
        size_of_term(self.term)
    }
}

/// A key in a table's index: compared with `==` semantics in an `ordered_set` (1 and 1.0 are
/// the same key) and `=:=` semantics in the other types.
pub struct Key {
    pub owned: Owned,
    pub exact: bool,
}

impl Key {
    /// `t` as a search key, not copied.
    pub fn probe(t: Term, exact: bool) -> Key {
        Key {
            owned: Owned::borrowed(t),
            exact,
        }
    }

    pub fn term(&self) -> Term {
        self.owned.term()
    }
}

impl PartialEq for Key {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Key {}
impl PartialOrd for Key {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Key {
    fn cmp(&self, o: &Self) -> Ordering {
        if self.exact {
            compare::cmp_exact(self.term(), o.term())
        } else {
            compare::cmp(self.term(), o.term())
        }
    }
}

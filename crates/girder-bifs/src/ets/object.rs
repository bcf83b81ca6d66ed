//! Terms owned by a table: each stored object (and each key) lives in its own
//! [`TermBlock`], sized to fit, outside every process heap. Reading one copies it into the
//! reader's heap; refc binaries are shared (the area holds a reference count).

use std::cmp::Ordering;

use girder_term::copy::{copy_term, size_of_term};
use girder_term::heap::Alloc;
use girder_term::object as obj;
use girder_term::owned::TermBlock;
use girder_term::{Term, compare};

/// A term and the memory it lives in (none for an immediate, or for a borrowed term used
/// only to search).
pub struct Owned {
    term: Term,
    // One allocation of exactly the term's size; `Owned` stays two words, as table indexes
    // move these around.
    _block: Option<TermBlock>,
}

/// The elements of `t` if it is a tuple of immediates only (the common object), which is
/// copied without walking it.
fn flat_tuple<'a>(t: Term) -> Option<&'a [Term]> {
    if !obj::is_tuple(t) {
        return None;
    }
    let es = obj::tuple_elements(t);
    es.iter()
        .all(|e| !e.is_list() && !e.is_boxed())
        .then_some(es)
}

impl Owned {
    /// A copy of `t` that the table owns.
    pub fn new(t: Term) -> Owned {
        let (term, block) = TermBlock::copy(t);
        Owned {
            term,
            _block: block,
        }
    }

    /// `t` itself, not copied: valid only while `t` is (a search key from the caller's heap).
    pub fn borrowed(t: Term) -> Owned {
        Owned {
            term: t,
            _block: None,
        }
    }

    /// The term (valid while `self` lives).
    pub fn term(&self) -> Term {
        self.term
    }

    /// The term copied into `h`.
    pub fn copy_to(&self, h: &mut impl Alloc) -> Term {
        match flat_tuple(self.term) {
            Some(es) => obj::tuple(h, es),
            None => copy_term(self.term, h),
        }
    }

    /// Words the term takes.
    pub fn words(&self) -> usize {
        match &self._block {
            Some(b) => b.words(),
            None => size_of_term(self.term),
        }
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
        // Small integers (the commonest keys) compare alike under both orders.
        if let (Some(a), Some(b)) = (self.term().as_small(), o.term().as_small()) {
            return a.cmp(&b);
        }
        if self.exact {
            compare::cmp_exact(self.term(), o.term())
        } else {
            compare::cmp(self.term(), o.term())
        }
    }
}

/// The objects stored under one key, in insertion order: one (every `set` entry, most bag
/// entries; no vector to allocate) or several.
pub enum Objects {
    One(Owned),
    Many(Vec<Owned>),
}

impl Objects {
    /// Add an object after the others.
    pub fn push(&mut self, o: Owned) {
        match self {
            Objects::Many(v) => v.push(o),
            Objects::One(_) => {
                let Objects::One(first) = std::mem::replace(self, Objects::Many(Vec::new())) else {
                    unreachable!("matched One")
                };
                *self = Objects::Many(vec![first, o]);
            }
        }
    }

    /// Keep the objects `keep` says to keep (possibly none).
    pub fn retain(&mut self, mut keep: impl FnMut(&Owned) -> bool) {
        match self {
            Objects::Many(v) => v.retain(keep),
            Objects::One(o) => {
                if !keep(o) {
                    *self = Objects::Many(Vec::new());
                }
            }
        }
    }
}

impl std::ops::Deref for Objects {
    type Target = [Owned];

    fn deref(&self) -> &[Owned] {
        match self {
            Objects::One(o) => std::slice::from_ref(o),
            Objects::Many(v) => v,
        }
    }
}

impl<'a> IntoIterator for &'a Objects {
    type Item = &'a Owned;
    type IntoIter = std::slice::Iter<'a, Owned>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

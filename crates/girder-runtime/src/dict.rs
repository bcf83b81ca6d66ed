//! The process dictionary: a linear-hashing table with OTP's layout, so that `get/0`,
//! `get_keys/0,1`, `erase/0` and `process_info(P, dictionary)` list entries in the order
//! OTP's `erl_process_dict.c` does, and `get/1`, `put/2` and `erase/1` cost O(1).
//!
//! Facts from OTP (not its code): a key hashes to its small-integer value, to an atom's
//! index in the atom table, or else to `make_internal_hash(Key, 0)` ([`internal_hash`]).
//! So the order is OTP's for keys that are numbers, strings, binaries and the like, but
//! not where atoms, pids or references are hashed (their numbers are not OTP's). The
//! table starts at 8 slots; a slot holds no entry, one `{Key, Value}`, or a list of them
//! (a new key goes in front, an updated key keeps its place). After a put of a new key
//! that leaves no more slots than entries, the table grows by `(slots / 4) & 15` slots (at
//! least one), each step splitting one slot (both halves come out reversed). After an
//! erase, a table over 8 slots whose entries are under half its slots shrinks by 30% of
//! its slots (not below 8), each step merging the last slot into its buddy. Listing walks
//! the slots in order and conses, so it comes out reversed.
//!
//! The keys and values live in one flat vector, two words an entry, which is what the
//! garbage collector sees (see [`Process::gc`](crate::process::Process::gc)): every key and
//! value is a root, a freed entry holds `[]`.

use girder_term::compare::eq_exact;
use girder_term::hash::internal_hash;
use girder_term::{Atom, Term};

/// OTP's default initial number of slots (`+hpds`).
const INITIAL_SIZE: usize = 8;

/// One slot: the entries' numbers, head of OTP's list first.
#[derive(Clone, Debug, Default)]
enum Slot {
    #[default]
    Empty,
    One(u32),
    Many(Vec<u32>),
}

impl Slot {
    fn from_vec(mut v: Vec<u32>) -> Slot {
        match v.len() {
            0 => Slot::Empty,
            1 => Slot::One(v.pop().unwrap_or_default()),
            _ => Slot::Many(v),
        }
    }

    fn entries(&self) -> &[u32] {
        match self {
            Slot::Empty => &[],
            Slot::One(e) => std::slice::from_ref(e),
            Slot::Many(v) => v,
        }
    }
}

/// A process dictionary.
#[derive(Default)]
pub struct Dict {
    /// Key, value, key, value... by entry number: the GC roots. Free entries hold `[]`.
    terms: Vec<Term>,
    /// Each entry's key hash.
    hashes: Vec<u32>,
    /// Free entry numbers.
    free: Vec<u32>,
    /// The used slots (OTP's `usedSlots` is `slots.len()`); empty when the dictionary is
    /// (OTP's NULL dictionary, before the first put and after `erase/0`).
    slots: Vec<Slot>,
    split: usize,
    mask: u32,
    len: usize,
}

/// OTP's `MAKE_HASH` of a key.
fn key_hash(key: Term) -> u32 {
    if let Some(n) = key.as_small() {
        n as u32
    } else if let Some(a) = key.as_atom() {
        a.index()
    } else {
        internal_hash(key, 0)
    }
}

impl Dict {
    /// The number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every key and value (and `[]` in free places), for the garbage collector.
    pub fn roots_mut(&mut self) -> &mut [Term] {
        &mut self.terms
    }

    fn key(&self, e: u32) -> Term {
        self.terms[2 * e as usize]
    }

    fn value(&self, e: u32) -> Term {
        self.terms[2 * e as usize + 1]
    }

    fn ix(&self, hx: u32) -> usize {
        let high = hx & self.mask;
        if high as usize >= self.slots.len() {
            (hx & (self.mask >> 1)) as usize
        } else {
            high as usize
        }
    }

    /// The entry holding `key` in slot `ix`, and its place in the slot.
    fn find(&self, ix: usize, hx: u32, key: Term) -> Option<(usize, u32)> {
        self.slots[ix]
            .entries()
            .iter()
            .enumerate()
            .find(|&(_, &e)| self.hashes[e as usize] == hx && eq_exact(self.key(e), key))
            .map(|(i, &e)| (i, e))
    }

    /// `get(Key)`.
    pub fn get(&self, key: Term) -> Option<Term> {
        if self.slots.is_empty() {
            return None;
        }
        let hx = key_hash(key);
        self.find(self.ix(hx), hx, key).map(|(_, e)| self.value(e))
    }

    /// `put(Key, Value)`: the old value, `undefined` if none.
    pub fn put(&mut self, key: Term, value: Term) -> Term {
        if self.slots.is_empty() {
            self.slots = vec![Slot::Empty; INITIAL_SIZE];
            self.mask = (INITIAL_SIZE * 2 - 1) as u32;
            self.split = 0;
            self.len = 0;
        }
        let hx = key_hash(key);
        let ix = self.ix(hx);
        if let Some((_, e)) = self.find(ix, hx, key) {
            return std::mem::replace(&mut self.terms[2 * e as usize + 1], value);
        }
        let e = self.alloc(key, value, hx);
        let slot = std::mem::take(&mut self.slots[ix]);
        self.slots[ix] = match slot {
            Slot::Empty => Slot::One(e),
            Slot::One(o) => Slot::Many(vec![e, o]),
            Slot::Many(mut v) => {
                v.insert(0, e);
                Slot::Many(v)
            }
        };
        self.len += 1;
        if self.slots.len() <= self.len {
            self.grow();
        }
        Term::atom(Atom::UNDEFINED)
    }

    /// `erase(Key)`: the value it had, `undefined` if none.
    pub fn erase(&mut self, key: Term) -> Term {
        if self.slots.is_empty() {
            return Term::atom(Atom::UNDEFINED);
        }
        let hx = key_hash(key);
        let ix = self.ix(hx);
        let mut ret = Term::atom(Atom::UNDEFINED);
        if let Some((pos, e)) = self.find(ix, hx, key) {
            ret = self.value(e);
            let slot = std::mem::take(&mut self.slots[ix]);
            self.slots[ix] = match slot {
                Slot::Many(mut v) => {
                    v.remove(pos);
                    Slot::from_vec(v)
                }
                _ => Slot::Empty,
            };
            self.release(e);
            self.len -= 1;
        }
        let range = self.slots.len();
        if range > INITIAL_SIZE && range / 2 > self.len {
            self.shrink();
        }
        ret
    }

    /// `erase()`: empties the dictionary.
    pub fn clear(&mut self) {
        *self = Dict::default();
    }

    /// Every entry in the order OTP lists them (`get/0`).
    pub fn entries(&self) -> Vec<(Term, Term)> {
        let mut out: Vec<(Term, Term)> = Vec::with_capacity(self.len);
        for slot in &self.slots {
            for &e in slot.entries() {
                out.push((self.key(e), self.value(e)));
            }
        }
        out.reverse();
        out
    }

    /// Every key in the order OTP lists them (`get_keys/0`).
    pub fn keys(&self) -> Vec<Term> {
        self.entries().into_iter().map(|(k, _)| k).collect()
    }

    /// The keys whose value is exactly `value` (`get_keys/1`), in OTP's order.
    pub fn keys_of(&self, value: Term) -> Vec<Term> {
        self.entries()
            .into_iter()
            .filter(|&(_, v)| eq_exact(v, value))
            .map(|(k, _)| k)
            .collect()
    }

    fn alloc(&mut self, key: Term, value: Term, hx: u32) -> u32 {
        if let Some(e) = self.free.pop() {
            self.terms[2 * e as usize] = key;
            self.terms[2 * e as usize + 1] = value;
            self.hashes[e as usize] = hx;
            e
        } else {
            let e = self.hashes.len() as u32;
            self.terms.push(key);
            self.terms.push(value);
            self.hashes.push(hx);
            e
        }
    }

    fn release(&mut self, e: u32) {
        self.terms[2 * e as usize] = Term::NIL;
        self.terms[2 * e as usize + 1] = Term::NIL;
        self.free.push(e);
    }

    fn grow(&mut self) {
        let steps = ((self.slots.len() / 4) & 0xf).max(1);
        let mut home = self.slots.len() - self.split;
        for _ in 0..steps {
            if self.split == home {
                home *= 2;
                self.mask = (home * 2 - 1) as u32;
                self.split = 0;
            }
            let pos = self.split;
            self.split += 1;
            self.slots.push(Slot::Empty);
            match std::mem::take(&mut self.slots[pos]) {
                Slot::Empty => {}
                Slot::One(e) => {
                    if self.ix(self.hashes[e as usize]) == pos {
                        self.slots[pos] = Slot::One(e);
                    } else {
                        self.slots[pos + home] = Slot::One(e);
                    }
                }
                Slot::Many(v) => {
                    let (mut stay, mut go) = (Vec::new(), Vec::new());
                    for &e in v.iter().rev() {
                        if self.ix(self.hashes[e as usize]) == pos {
                            stay.push(e);
                        } else {
                            go.push(e);
                        }
                    }
                    self.slots[pos] = Slot::from_vec(stay);
                    self.slots[pos + home] = Slot::from_vec(go);
                }
            }
        }
    }

    fn shrink(&mut self) {
        let range = self.slots.len();
        let mut steps = range * 3 / 10;
        if range - steps < INITIAL_SIZE {
            steps = range - INITIAL_SIZE;
        }
        for _ in 0..steps {
            if self.split == 0 {
                self.mask = (self.slots.len() - 1) as u32;
                self.split = self.slots.len() / 2;
            }
            self.split -= 1;
            let hi = self.slots.pop().unwrap_or_default();
            let lo = std::mem::take(&mut self.slots[self.split]);
            self.slots[self.split] = match (lo, hi) {
                (lo, Slot::Empty) => lo,
                (Slot::Empty, hi) => hi,
                (Slot::One(l), Slot::One(h)) => Slot::Many(vec![l, h]),
                (Slot::One(l), Slot::Many(mut hs)) => {
                    hs.insert(0, l);
                    Slot::Many(hs)
                }
                (Slot::Many(mut ls), Slot::One(h)) => {
                    ls.insert(0, h);
                    Slot::Many(ls)
                }
                (Slot::Many(ls), Slot::Many(mut hs)) => {
                    hs.reverse();
                    hs.extend(ls);
                    Slot::Many(hs)
                }
            };
        }
        self.compact();
    }

    /// Renumbers the entries when most of the flat vector is free, so that the garbage
    /// collector's work stays in proportion to the live entries.
    fn compact(&mut self) {
        if self.free.len() <= self.len {
            return;
        }
        let mut terms = Vec::with_capacity(2 * self.len);
        let mut hashes = Vec::with_capacity(self.len);
        for slot in &mut self.slots {
            let mut renumber = |e: &mut u32| {
                let i = *e as usize;
                *e = hashes.len() as u32;
                terms.push(self.terms[2 * i]);
                terms.push(self.terms[2 * i + 1]);
                hashes.push(self.hashes[i]);
            };
            match slot {
                Slot::Empty => {}
                Slot::One(e) => renumber(e),
                Slot::Many(v) => v.iter_mut().for_each(&mut renumber),
            }
        }
        self.terms = terms;
        self.hashes = hashes;
        self.free.clear();
    }
}

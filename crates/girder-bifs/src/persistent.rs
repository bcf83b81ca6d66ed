//! `persistent_term`: global terms stored outside every process heap, read without copying
//! (like literals, which the GC leaves alone), found by hashing the key term itself.
//!
//! Entries live in their own literal areas and are never freed while the VM runs, even
//! when erased or replaced: a process may still hold a term read from them (OTP frees them
//! only after a global GC; girder keeps them, which is safe and costs memory only for
//! programs that churn persistent terms).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, MutexGuard};

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::heap::LiteralArea;
use girder_term::object as obj;
use girder_term::{Atom, Term, compare, copy::copy_term};

use crate::Entry;

pub const BIFS: &[Entry] = &[
    ("persistent_term", "put", 2, put),
    ("persistent_term", "get", 1, get1),
    ("persistent_term", "get", 2, get2),
    ("persistent_term", "erase", 1, erase),
    ("persistent_term", "get", 0, get0),
];

struct Stored {
    key: Term,
    value: Term,
}

/// A key as the table hashes and compares it: by value, with `=:=` (OTP's persistent_term
/// compares keys exactly), so a lookup needs no copy or encoding of the key.
#[derive(Clone, Copy)]
struct Key(Term);

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u32(girder_term::hash::internal_hash(self.0, 0));
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        compare::eq_exact(self.0, other.0)
    }
}

impl Eq for Key {}

/// Key to entry (the map's key is the stored copy's key).
static TABLE: LazyLock<Mutex<HashMap<Key, Stored>>> = LazyLock::new(Mutex::default);
/// The areas holding every stored term; never freed (see the module docs).
static AREAS: Mutex<Vec<LiteralArea>> = Mutex::new(Vec::new());

fn table() -> MutexGuard<'static, HashMap<Key, Stored>> {
    TABLE.lock().unwrap_or_else(|e| e.into_inner())
}

fn put(_: &mut Process, a: &[Term]) -> BifResult {
    let mut area = LiteralArea::new();
    let key = copy_term(a[0], &mut area);
    let value = copy_term(a[1], &mut area);
    AREAS.lock().unwrap_or_else(|e| e.into_inner()).push(area);
    let mut t = table();
    // Replace the entry's key too: the old one's area may hold it, the new one does.
    t.remove(&Key(a[0]));
    t.insert(Key(key), Stored { key, value });
    Ok(Term::atom(Atom::OK))
}

fn lookup(key: Term) -> Option<Term> {
    table().get(&Key(key)).map(|s| s.value)
}

fn get1(_: &mut Process, a: &[Term]) -> BifResult {
    lookup(a[0]).ok_or(BifError::BADARG)
}

fn get2(_: &mut Process, a: &[Term]) -> BifResult {
    Ok(lookup(a[0]).unwrap_or(a[1]))
}

fn erase(_: &mut Process, a: &[Term]) -> BifResult {
    Ok(Term::boolean(table().remove(&Key(a[0])).is_some()))
}

fn get0(p: &mut Process, _: &[Term]) -> BifResult {
    let pairs: Vec<(Term, Term)> = table().values().map(|s| (s.key, s.value)).collect();
    let items: Vec<Term> = pairs
        .into_iter()
        .map(|(k, v)| obj::tuple(&mut p.heap, &[k, v]))
        .collect();
    Ok(obj::list_from_slice(&mut p.heap, &items, Term::NIL))
}

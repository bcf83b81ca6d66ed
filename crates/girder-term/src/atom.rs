//! The global atom table: append-only, shared by every process and thread.
//!
//! Reading an atom's name takes no lock (two acquire loads); interning takes a mutex. Names
//! are never freed, as in OTP. The table holds at most [`MAX_ATOMS`] atoms (OTP's default
//! limit); interning beyond that fails, which BIFs report as `system_limit`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{LazyLock, Mutex, OnceLock};

/// An atom: an index into the global table.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Atom(u32);

/// Atoms per segment of the table.
const SEGMENT: usize = 4096;
/// Segments; with [`SEGMENT`] this gives OTP's default limit of 1,048,576 atoms.
const SEGMENTS: usize = 256;
/// Most atoms the table holds.
pub const MAX_ATOMS: usize = SEGMENT * SEGMENTS;
/// Most characters in an atom's name.
pub const MAX_ATOM_CHARS: usize = 255;

type Segment = [OnceLock<&'static str>; SEGMENT];

struct Table {
    segments: [AtomicPtr<Segment>; SEGMENTS],
    /// Name to index; also serialises interning.
    index: Mutex<HashMap<&'static str, u32>>,
}

impl Table {
    fn slot(&self, i: usize) -> Option<&OnceLock<&'static str>> {
        // Acquire: pairs with the Release store in `insert`, so the segment's initialised
        // slots are visible through the pointer (each slot's `OnceLock` orders its name).
        let seg = self.segments.get(i / SEGMENT)?.load(Ordering::Acquire);
        // SAFETY: a non-null segment pointer was created by `Box::leak` in `insert` and is
        // never freed or replaced, so it is valid for the program's lifetime.
        (!seg.is_null()).then(|| unsafe { &(*seg)[i % SEGMENT] })
    }

    fn insert(&self, map: &mut HashMap<&'static str, u32>, name: &str) -> Option<u32> {
        let i = map.len();
        if i >= MAX_ATOMS {
            return None;
        }
        let seg = &self.segments[i / SEGMENT];
        // Acquire (Relaxed would do: segments are only created here, under the index lock).
        if seg.load(Ordering::Acquire).is_null() {
            let fresh: Box<Segment> = Box::new(std::array::from_fn(|_| OnceLock::new()));
            // Release: publishes the initialised segment to lock-free readers (`slot`).
            seg.store(Box::leak(fresh), Ordering::Release);
        }
        let name: &'static str = Box::leak(name.to_owned().into_boxed_str());
        NAME_BYTES.fetch_add(name.len(), Ordering::Relaxed);
        self.slot(i)
            .expect("segment just published")
            .set(name)
            .expect("fresh slot");
        map.insert(name, i as u32);
        Some(i as u32)
    }
}

/// Bytes of every atom's name.
static NAME_BYTES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Bytes the atom table holds and bytes its atoms use (`erlang:memory(atom)` and
/// `atom_used`): the segments allocated (used: their filled slots), the names, and the
/// name index.
pub fn memory() -> (usize, usize) {
    let table = &*TABLE;
    let map = table.index.lock().unwrap_or_else(|e| e.into_inner());
    let n = map.len();
    let slot = std::mem::size_of::<OnceLock<&'static str>>();
    let entry = std::mem::size_of::<(&'static str, u32)>() + 1;
    let segments = n.div_ceil(SEGMENT);
    let names = NAME_BYTES.load(Ordering::Relaxed);
    let allocated = segments * SEGMENT * slot + names + map.capacity() * entry;
    let used = n * slot + names + n * entry;
    (allocated, used)
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let table = Table {
        segments: std::array::from_fn(|_| AtomicPtr::new(std::ptr::null_mut())),
        index: Mutex::new(HashMap::new()),
    };
    {
        let mut map = table.index.lock().unwrap();
        for name in PREDEFINED {
            table.insert(&mut map, name);
        }
    }
    table
});

impl Atom {
    /// The atom with this name, created if new. `None` if the table is full.
    /// (Length limits are the caller's: see [`MAX_ATOM_CHARS`].)
    pub fn try_intern(name: &str) -> Option<Atom> {
        let table = &*TABLE;
        let mut map = table.index.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&i) = map.get(name) {
            return Some(Atom(i));
        }
        table.insert(&mut map, name).map(Atom)
    }

    /// The atom with this name, created if new.
    ///
    /// # Panics
    /// If the atom table is full; code handling untrusted names uses [`Atom::try_intern`].
    pub fn intern(name: &str) -> Atom {
        Atom::try_intern(name).expect("atom table full")
    }

    /// The atom with this name if it already exists (`list_to_existing_atom`).
    pub fn existing(name: &str) -> Option<Atom> {
        let map = TABLE.index.lock().unwrap_or_else(|e| e.into_inner());
        map.get(name).map(|&i| Atom(i))
    }

    /// The atom's name.
    pub fn name(self) -> &'static str {
        TABLE
            .slot(self.0 as usize)
            .and_then(|s| s.get().copied())
            .expect("atom index from a term is always in the table")
    }

    /// The table index.
    #[inline]
    pub const fn index(self) -> u32 {
        self.0
    }

    /// The atom at `index`; only for indices taken from valid atom terms.
    #[inline]
    pub const fn from_index(index: u32) -> Atom {
        Atom(index)
    }

    /// Whether this is one of the atoms every run creates first, in a fixed order (so its
    /// index is the same in every run of this build).
    pub const fn is_predefined(self) -> bool {
        (self.0 as usize) < PREDEFINED.len()
    }

    /// Number of atoms in the table.
    pub fn count() -> usize {
        TABLE.index.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl std::fmt::Display for Atom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

macro_rules! predefined {
    ($($konst:ident = $name:literal,)*) => {
        const PREDEFINED: &[&str] = &[$($name,)*];
        #[allow(missing_docs)]
        impl Atom {
            predefined!(@consts 0u32; $($konst,)*);
        }
    };
    (@consts $n:expr; $konst:ident, $($rest:ident,)*) => {
        pub const $konst: Atom = Atom($n);
        predefined!(@consts $n + 1; $($rest,)*);
    };
    (@consts $n:expr;) => {};
}

// Atoms the runtime names in Rust code. Order is irrelevant except that it fixes indices.
predefined! {
    FALSE = "false",
    TRUE = "true",
    OK = "ok",
    ERROR = "error",
    EXIT = "exit",
    THROW = "throw",
    EXIT_UPPER = "EXIT",
    UNDEFINED = "undefined",
    NONODE = "nonode@nohost",
    ERLANG = "erlang",
    BADARG = "badarg",
    BADARITH = "badarith",
    BADMATCH = "badmatch",
    BADFUN = "badfun",
    BADARITY = "badarity",
    BADKEY = "badkey",
    BADMAP = "badmap",
    BADRECORD = "badrecord",
    CASE_CLAUSE = "case_clause",
    IF_CLAUSE = "if_clause",
    TRY_CLAUSE = "try_clause",
    FUNCTION_CLAUSE = "function_clause",
    UNDEF = "undef",
    NOPROC = "noproc",
    SYSTEM_LIMIT = "system_limit",
    NORMAL = "normal",
    KILL = "kill",
    KILLED = "killed",
    NOCATCH = "nocatch",
    FILE = "file",
    LINE = "line",
    ERROR_INFO = "error_info",
    INFINITY = "infinity",
    TIMEOUT = "timeout",
    START = "start",
    MODULE_INFO = "module_info",
    NIF_ERROR = "nif_error",
    APPLY = "apply",
    CALL = "call",
    EMPTY = "",
    PLUS = "+",
    MINUS = "-",
    TIMES = "*",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predefined_and_interned() {
        assert_eq!(Atom::TRUE.name(), "true");
        assert_eq!(Atom::intern("ok"), Atom::OK);
        let a = Atom::intern("some_new_atom_for_the_test");
        assert_eq!(Atom::intern("some_new_atom_for_the_test"), a);
        assert_eq!(a.name(), "some_new_atom_for_the_test");
        assert_eq!(Atom::existing("some_new_atom_for_the_test"), Some(a));
        assert_eq!(Atom::existing("surely_never_interned_xyz"), None);
    }

    #[test]
    fn concurrent_interning_agrees() {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    (0..2000)
                        .map(|i| Atom::intern(&format!("t{i}")))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let results: Vec<Vec<Atom>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        for r in &results[1..] {
            assert_eq!(r, &results[0]);
        }
        for (i, a) in results[0].iter().enumerate() {
            assert_eq!(a.name(), format!("t{i}"));
        }
    }
}

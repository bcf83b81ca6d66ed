//! Tables and the global table registry.
//!
//! Every table lives in one registry behind a mutex (so any scheduler thread may use any
//! table), indexed by its number, its name (named tables) and its reference (`tid`). A table
//! owns its objects ([`Owned`]): no object lives in a process heap. Objects are kept in a
//! `BTreeMap` from key to the objects with that key, for every table type: an
//! `ordered_set` iterates in term order as OTP's does; `set` and `bag` tables iterate in
//! (exact) term order too, where OTP's order follows its hash.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::ops::Bound;
use std::sync::{LazyLock, Mutex, MutexGuard};

use girder_term::object as obj;
use girder_term::object::RefIds;
use girder_term::{Atom, Term, compare};

use super::object::{Key, Objects, Owned};

/// A table's type.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Set,
    OrderedSet,
    Bag,
    DuplicateBag,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Set => "set",
            Kind::OrderedSet => "ordered_set",
            Kind::Bag => "bag",
            Kind::DuplicateBag => "duplicate_bag",
        }
    }

    /// Whether keys compare with `=:=` (all but `ordered_set`, which uses `==`).
    pub fn exact(self) -> bool {
        self != Kind::OrderedSet
    }

    /// One object per key.
    pub fn unique(self) -> bool {
        matches!(self, Kind::Set | Kind::OrderedSet)
    }
}

/// Who may read and write a table besides its owner.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Access {
    Public,
    Protected,
    Private,
}

impl Access {
    pub fn name(self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::Protected => "protected",
            Access::Private => "private",
        }
    }
}

/// Why an ETS BIF failed: the `cause` of its `error_info` (OTP's `erl_stdlib_errors`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cause {
    /// No cause in the error_info.
    None,
    /// The table argument is neither an atom nor a reference.
    Type,
    /// No such table.
    Id,
    /// Not allowed to access the table this way.
    Access,
    /// The operation does not apply to this table type.
    TableType,
    /// No object with this key.
    BadKey,
    /// A position that is the key position.
    KeyPos,
    /// A position beyond the object.
    Position,
    /// Giving a table to its owner.
    Owner,
    /// The caller does not own the table.
    NotOwner,
    /// A named table of this name exists.
    AlreadyExists,
    /// Not `badarg` but `system_limit` (a match specification too deep).
    SystemLimit,
}

impl Cause {
    pub fn atom(self) -> Option<&'static str> {
        Some(match self {
            Cause::None | Cause::SystemLimit => return None,
            Cause::Type => "type",
            Cause::Id => "id",
            Cause::Access => "access",
            Cause::TableType => "table_type",
            Cause::BadKey => "badkey",
            Cause::KeyPos => "keypos",
            Cause::Position => "position",
            Cause::Owner => "owner",
            Cause::NotOwner => "not_owner",
            Cause::AlreadyExists => "already_exists",
        })
    }
}

/// One table.
pub struct Table {
    /// The ids of its reference.
    pub tid: RefIds,
    pub name: Atom,
    pub named: bool,
    pub kind: Kind,
    pub access: Access,
    /// 1-based position of the key in every object.
    pub keypos: usize,
    /// The owner's process number.
    pub owner: u64,
    /// The heir's process number and its data.
    pub heir: Option<(u64, Owned)>,
    pub read_concurrency: bool,
    pub write_concurrency: Atom,
    pub decentralized_counters: bool,
    pub compressed: bool,
    /// `safe_fixtable` fixations: process number and count.
    pub fixes: Vec<(u64, u64)>,
    /// When the table was first fixed (microseconds since the epoch, and monotonic).
    pub fixed_at: Option<(u128, i64)>,
    /// Key to the objects with that key (one for `set` and `ordered_set`), in insertion
    /// order.
    pub objects: BTreeMap<Key, Objects>,
    /// Number of objects.
    pub size: usize,
    /// Words the objects take, kept as they come and go (`info(T, memory)` is O(1), as in
    /// OTP).
    pub words: usize,
    /// The position and key of the entry `slot/2` last returned, while the table is
    /// unchanged: a walk over the slots costs O(log N) a step, not O(position).
    pub slot_at: Option<(usize, Owned)>,
}

impl Table {
    /// The key of `object` if it is a tuple long enough for this table.
    pub fn key_of(&self, object: Term) -> Option<Term> {
        if !obj::is_tuple(object) || obj::tuple_arity(object) < self.keypos {
            return None;
        }
        Some(obj::tuple_element(object, self.keypos - 1))
    }

    /// A search key for `key`.
    pub fn probe(&self, key: Term) -> Key {
        Key::probe(key, self.kind.exact())
    }

    /// Insert `object` (already checked with [`Table::key_of`]). It may point into objects
    /// of this table (an updated copy of one): it is copied before anything is freed.
    pub fn insert(&mut self, object: Term) {
        self.slot_at = None;
        let key = self.key_of(object).expect("checked object");
        let probe = self.probe(key);
        match self.objects.get_mut(&probe) {
            Some(objs) => match self.kind {
                Kind::Set => {
                    let new = Owned::new(object);
                    self.words = self.words + new.words() - objs[0].words();
                    *objs = Objects::One(new);
                }
                Kind::OrderedSet => {
                    // The stored key follows the object (1.0 may replace 1). Copy first:
                    // `object` may share parts with the object it replaces.
                    let entry = (
                        Key {
                            owned: Owned::new(key),
                            exact: false,
                        },
                        Objects::One(Owned::new(object)),
                    );
                    self.words = self.words + entry.1[0].words() - objs[0].words();
                    drop(self.objects.remove(&probe));
                    self.objects.insert(entry.0, entry.1);
                }
                Kind::Bag => {
                    if !objs.iter().any(|o| compare::eq_exact(o.term(), object)) {
                        let new = Owned::new(object);
                        self.words += new.words();
                        objs.push(new);
                        self.size += 1;
                    }
                }
                Kind::DuplicateBag => {
                    let new = Owned::new(object);
                    self.words += new.words();
                    objs.push(new);
                    self.size += 1;
                }
            },
            None => {
                let exact = self.kind.exact();
                let new = Owned::new(object);
                self.words += new.words();
                self.objects.insert(
                    Key {
                        owned: Owned::new(key),
                        exact,
                    },
                    Objects::One(new),
                );
                self.size += 1;
            }
        }
    }

    /// The objects with `key`.
    pub fn get(&self, key: Term) -> Option<&Objects> {
        self.objects.get(&self.probe(key))
    }

    /// Remove every object with `key`; how many there were.
    pub fn remove_key(&mut self, key: Term) -> Option<Objects> {
        self.slot_at = None;
        let removed = self.objects.remove(&self.probe(key))?;
        self.size -= removed.len();
        self.words -= removed.iter().map(Owned::words).sum::<usize>();
        Some(removed)
    }

    /// Remove the objects exactly equal to `object`.
    pub fn remove_object(&mut self, object: Term) {
        self.slot_at = None;
        let Some(key) = self.key_of(object) else {
            return;
        };
        let probe = self.probe(key);
        let Some(objs) = self.objects.get_mut(&probe) else {
            return;
        };
        let before = objs.len();
        let mut words = 0;
        objs.retain(|o| {
            let keep = !compare::eq_exact(o.term(), object);
            if !keep {
                words += o.words();
            }
            keep
        });
        self.size -= before - objs.len();
        self.words -= words;
        if objs.is_empty() {
            self.objects.remove(&probe);
        }
    }

    /// The objects of the `i`th key in order (`slot/2`). O(log N) when `i` is at or after
    /// the position the previous call returned and the table has not changed since (a walk
    /// over the slots); else O(i).
    pub fn slot(&mut self, i: usize) -> Option<&Objects> {
        let key = match &self.slot_at {
            Some((at, last)) if *at <= i => {
                let from = self.probe(last.term());
                self.objects
                    .range((Bound::Included(from), Bound::Unbounded))
                    .nth(i - at)
                    .map(|(k, _)| k.term())
            }
            _ => self.objects.keys().nth(i).map(Key::term),
        }?;
        let key = Owned::new(key);
        let probe = self.probe(key.term());
        self.slot_at = Some((i, key));
        self.objects.get(&probe)
    }

    /// Remove everything; how many objects there were.
    pub fn clear(&mut self) -> usize {
        self.objects.clear();
        self.slot_at = None;
        self.words = 0;
        std::mem::take(&mut self.size)
    }

    /// Words the table's objects take (a rough figure for `info(T, memory)`).
    pub fn memory(&self) -> usize {
        debug_assert_eq!(
            self.words,
            self.objects
                .values()
                .flatten()
                .map(Owned::words)
                .sum::<usize>(),
            "the table's word count drifted"
        );
        100 + self.words + self.size * 4
    }

    pub fn fixed(&self) -> bool {
        !self.fixes.is_empty()
    }
}

/// A reference's ids as a map key.
pub fn ref_key(ids: &RefIds) -> [u32; 6] {
    let mut k = [0; 6];
    for (i, slot) in k.iter_mut().take(5).enumerate() {
        *slot = ids.get(i);
    }
    k[5] = ids.as_slice().len() as u32;
    k
}

/// The bit of a reference's third id that marks a table identifier. Ordinary references
/// never have it (their third id holds the top bits of a 64-bit counter), so a reference
/// can be told to be a table's even after the table is gone: OTP says `id` (no such
/// table) for those and `type` (not a table identifier) for other references.
const TID_MARK: u32 = 1 << 31;

/// A fresh table identifier.
pub fn new_tid(p: &mut girder_runtime::Process) -> RefIds {
    let ids = obj::local_ref_ids(obj::make_ref(&mut p.heap));
    let mut v = ids.as_slice().to_vec();
    v.resize(3, 0);
    v[2] |= TID_MARK;
    RefIds::new(&v).expect("three ids")
}

/// Every table.
#[derive(Default)]
pub struct Registry {
    pub tables: HashMap<u64, Table>,
    pub names: HashMap<Atom, u64>,
    pub refs: HashMap<[u32; 6], u64>,
    /// Process number to the tables it owns.
    pub owned: HashMap<u64, Vec<u64>>,
    /// Tables with `safe_fixtable` fixations.
    pub fixed: HashSet<u64>,
    pub next: u64,
}

static REGISTRY: LazyLock<Mutex<Registry>> = LazyLock::new(Mutex::default);

/// The registry, locked. (A panic while it was held leaves it usable: every operation
/// keeps the registry consistent before anything can panic.)
pub fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// What an operation needs of a table.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Read,
    Write,
}

impl Registry {
    /// The number of the table `t` names (an atom or a reference).
    pub fn id_of(&self, t: Term) -> Result<u64, Cause> {
        if let Some(a) = t.as_atom() {
            return self.names.get(&a).copied().ok_or(Cause::Id);
        }
        if obj::is_local_ref(t) {
            let ids = obj::local_ref_ids(t);
            let cause = if ids.get(2) & TID_MARK != 0 {
                Cause::Id
            } else {
                Cause::Type
            };
            return self.refs.get(&ref_key(&ids)).copied().ok_or(cause);
        }
        Err(Cause::Type)
    }

    /// The table `t` names, if process `caller` may use it as `need` says.
    pub fn table(&mut self, t: Term, caller: u64, need: Need) -> Result<&mut Table, Cause> {
        let id = self.id_of(t)?;
        let table = self.tables.get_mut(&id).ok_or(Cause::Id)?;
        let allowed = table.owner == caller
            || match table.access {
                Access::Public => true,
                Access::Protected => need == Need::Read,
                Access::Private => false,
            };
        if allowed {
            Ok(table)
        } else {
            Err(Cause::Access)
        }
    }

    /// Add a table under number `id`.
    pub fn add(&mut self, id: u64, t: Table) {
        self.refs.insert(ref_key(&t.tid), id);
        if t.named {
            self.names.insert(t.name, id);
        }
        self.owned.entry(t.owner).or_default().push(id);
        self.tables.insert(id, t);
    }

    fn disown(&mut self, owner: u64, id: u64) {
        if let Some(v) = self.owned.get_mut(&owner) {
            v.retain(|&t| t != id);
            if v.is_empty() {
                self.owned.remove(&owner);
            }
        }
    }

    /// Make process `to` the owner of table `id`.
    pub fn set_owner(&mut self, id: u64, to: u64) {
        let Some(t) = self.tables.get_mut(&id) else {
            return;
        };
        let from = std::mem::replace(&mut t.owner, to);
        self.disown(from, id);
        self.owned.entry(to).or_default().push(id);
    }

    /// Remove table `id` from every index.
    pub fn remove(&mut self, id: u64) -> Option<Table> {
        let t = self.tables.remove(&id)?;
        if t.named {
            self.names.remove(&t.name);
        }
        self.refs.remove(&ref_key(&t.tid));
        self.disown(t.owner, id);
        self.fixed.remove(&id);
        Some(t)
    }
}

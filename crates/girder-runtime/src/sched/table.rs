//! The process table: one [`Slot`] per live process, reachable from every scheduler thread.
//!
//! A slot holds the process while it is not running (a scheduler thread takes it out to run
//! it) and its *inbox*: signals other processes sent it (messages, exit signals, link and
//! monitor requests...) that the process itself has not handled yet. Every change to a
//! process's own state is made by whoever holds the process, so no other thread ever
//! touches a running process; senders only append to the inbox, under the slot's lock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, RwLock};

use girder_term::heap::LiteralArea;
use girder_term::{Atom, Term};

use crate::process::Process;

/// A term copied out of a process heap, with the memory that holds it.
pub struct Owned {
    pub term: Term,
    pub area: LiteralArea,
}

impl Owned {
    /// A copy of `t` (a term of some heap the caller may read).
    pub fn copy(t: Term) -> Owned {
        let (term, area) = LiteralArea::holding(t);
        Owned { term, area }
    }
}

/// What one process asks of another. Signals from one sender arrive in the order sent.
pub enum Signal {
    /// A message for the queue.
    Message(Owned),
    /// A trace message for the queue (not itself traced as received).
    TraceMessage(Owned),
    /// An exit signal from process `from`; `linked` when it comes through a link (the
    /// sender exited), not from `exit/2`.
    Exit {
        from: u64,
        reason: Owned,
        linked: bool,
    },
    /// An exit signal from `from`, a process of another node (its pid); `linked` when it
    /// comes through a link (see `girder-bifs/src/dist.rs`, which keeps those links).
    RemoteExit {
        from: Owned,
        reason: Owned,
        linked: bool,
    },
    /// `from` linked to this process.
    Link { from: u64 },
    /// `from` removed its link to this process.
    Unlink { from: u64 },
    /// `from` monitors this process with `reference`.
    Monitor { from: u64, reference: Owned },
    /// The monitor `reference` was removed by the process holding it.
    Demonitor { reference: Owned },
    /// The process `from`, which this process monitored with `reference`, exited.
    Down {
        from: u64,
        reference: Owned,
        reason: Owned,
    },
    /// The deadline of a `receive ... after` may have passed.
    Timeout,
    /// `group_leader(Leader, Pid)` from another process.
    GroupLeader { leader: u64 },
    /// A reply came through the alias of monitor `reference` (`reply_demonitor`): the
    /// owner removes the monitor.
    DropMonitor { reference: Owned },
}

/// Where a process is in its life.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum State {
    /// Waiting in `receive` (or just created and not yet queued): in its slot, not queued.
    Waiting,
    /// In a run queue, in its slot.
    Queued,
    /// Taken out of its slot by a scheduler thread.
    Running,
    /// Exited: signals to it are refused.
    Exited,
}

/// What the slot's lock protects.
pub struct Inner {
    pub state: State,
    /// The process, unless it is running.
    pub process: Option<Box<Process>>,
    pub inbox: Vec<Signal>,
}

/// The four priorities, in scheduling order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Priority {
    Max = 0,
    High = 1,
    Normal = 2,
    Low = 3,
}

impl Priority {
    pub fn from_u8(n: u8) -> Priority {
        match n {
            0 => Priority::Max,
            1 => Priority::High,
            3 => Priority::Low,
            _ => Priority::Normal,
        }
    }

    pub fn atom(self) -> Atom {
        Atom::intern(match self {
            Priority::Max => "max",
            Priority::High => "high",
            Priority::Normal => "normal",
            Priority::Low => "low",
        })
    }

    pub fn from_atom(a: Atom) -> Option<Priority> {
        Some(match a.name() {
            "max" => Priority::Max,
            "high" => Priority::High,
            "normal" => Priority::Normal,
            "low" => Priority::Low,
            _ => return None,
        })
    }
}

/// One process's entry in the table.
pub struct Slot {
    pub id: u64,
    inner: Mutex<Inner>,
    /// Mirrors `Process::priority` so that whoever queues the process knows the queue.
    pub priority: AtomicU8,
    /// Mirrors `Process::trap_exit`, so `is_process_alive` can tell whether an exit signal
    /// still in the inbox will kill the process.
    pub trap_exit: AtomicBool,
    /// Times a low-priority process was passed over in favour of normal ones.
    pub low_skips: AtomicU8,
}

impl Slot {
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding a slot lock is a bug that already aborts the VM; a poisoned
        // lock still holds consistent data for the other threads to finish with.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

static TABLE: LazyLock<RwLock<HashMap<u64, Arc<Slot>>>> =
    LazyLock::new(|| RwLock::new(HashMap::new()));
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh process number.
pub fn new_id() -> u64 {
    // Relaxed: only uniqueness matters, which any read-modify-write of one atomic gives.
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// Put `p` in the table, in state `Waiting` (the caller queues it).
pub fn insert(p: Box<Process>) -> Arc<Slot> {
    let slot = Arc::new(Slot {
        id: p.id,
        priority: AtomicU8::new(p.priority as u8),
        trap_exit: AtomicBool::new(p.trap_exit),
        low_skips: AtomicU8::new(0),
        inner: Mutex::new(Inner {
            state: State::Waiting,
            process: Some(p),
            inbox: Vec::new(),
        }),
    });
    let id = slot.id;
    TABLE
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, slot.clone());
    slot
}

/// The slot of process `id`, if it is in the table.
pub fn get(id: u64) -> Option<Arc<Slot>> {
    TABLE
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(&id)
        .cloned()
}

/// Take process `id` out of the table.
pub fn remove(id: u64) {
    TABLE.write().unwrap_or_else(|e| e.into_inner()).remove(&id);
}

/// Every process number in the table, sorted.
pub fn ids() -> Vec<u64> {
    let mut v: Vec<u64> = TABLE
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .keys()
        .copied()
        .collect();
    v.sort_unstable();
    v
}

/// Number of processes in the table.
pub fn count() -> usize {
    TABLE.read().unwrap_or_else(|e| e.into_inner()).len()
}

/// Registered names, both ways.
#[derive(Default)]
pub struct Registry {
    pub by_name: HashMap<Atom, u64>,
    pub by_id: HashMap<u64, Atom>,
}

static REGISTRY: LazyLock<Mutex<Registry>> = LazyLock::new(Mutex::default);

/// The registry, locked.
pub fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// When a process alias (a reference that can be sent to) stops working.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AliasMode {
    /// Only `unalias/1` (or the owner's exit) ends it.
    ExplicitUnalias,
    /// It ends with the monitor it was made with (demonitor or `DOWN`).
    Demonitor,
    /// As `Demonitor`, and also after the first message sent through it, which also
    /// removes the monitor.
    ReplyDemonitor,
}

/// Active aliases: the reference's ids to the owning process and how the alias ends.
pub type Aliases = HashMap<Vec<u32>, (u64, AliasMode)>;

static ALIASES: LazyLock<Mutex<Aliases>> = LazyLock::new(Mutex::default);

/// The alias table, locked.
pub fn aliases() -> MutexGuard<'static, Aliases> {
    ALIASES.lock().unwrap_or_else(|e| e.into_inner())
}

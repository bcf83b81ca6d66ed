//! A process: its registers, stack, heap and dictionary, all where both the interpreter and
//! native code can reach them.
//!
//! Stack layout: the stack grows upwards (a `Vec`); a frame made by `allocate N` is N Y
//! registers with the caller's continuation pointer above them, so `y(n)` is
//! `stack[sp - 2 - n]` and the CP is `stack[sp - 1]`. Scanning down from the top, a frame's
//! CP comes before its Y registers, which is how exception unwinding finds the frame that
//! owns a catch marker.

use girder_term::heap::Heap;
use girder_term::{Atom, Term};

use crate::keyed::{Keyed, RefKey};
use crate::module::Cp;

/// Words a new process heap starts with (OTP's default `min_heap_size`).
pub const MIN_HEAP_WORDS: usize = 233;

/// One Erlang process.
pub struct Process {
    /// The X registers: all [`MAX_X`](crate::loader::MAX_X) of them while the process runs (the scheduler
    /// thread lends its set), only the live ones (`0..live_x`) while it is suspended.
    pub x: Box<[Term]>,
    /// How many X registers are live when the process is suspended.
    pub live_x: u32,
    /// The float registers: lent by the scheduler thread while the process runs, empty
    /// while it is suspended (they are never live across a call or a receive).
    pub fr: Box<[f64]>,
    /// Y registers and continuation pointers (see the module docs).
    pub stack: girder_term::stack::Stack,
    /// Every stack slot below this index is unchanged since the last GC (nothing stored
    /// there, the stack never shorter): a minor collection need not scan them. Every write
    /// to `stack` must keep this true (see `Process::set`, `deallocate`, `trim`, unwinding).
    pub stack_low: usize,
    /// The continuation pointer register: where `return` goes when no frame holds it.
    pub cp: Cp,
    /// The process heap.
    pub heap: Heap,
    /// The process dictionary (a hash table with OTP's layout and order).
    pub dict: crate::dict::Dict,
    /// The process's number (its pid is `<0.id.0>`).
    pub id: u64,
    /// Where execution resumes: code index and offset.
    pub resume: Cp,
    /// Reductions left in this time slice.
    pub reductions: i64,
    /// The message queue, oldest first. Messages are copied into this process's heap when
    /// they are sent, so they are GC roots like the registers. A deque: taking out the
    /// oldest (or newest) message costs O(1).
    pub msgs: std::collections::VecDeque<Term>,
    /// Selective receive's position in `msgs` (the "save pointer").
    pub recv_pos: usize,
    /// Receive markers (see [`crate::receive`]).
    pub recv_markers: Vec<crate::receive::RecvMarker>,
    /// The number of the last receive marker reserved.
    pub next_marker: i64,
    /// When the current `receive ... after` times out.
    pub deadline: Option<std::time::Instant>,
    /// Set when `deadline` passed while the process waited.
    pub timed_out: bool,
    /// Linked processes (pid numbers), by pid number.
    pub links: Keyed<u64, u64>,
    /// Monitors this process holds on others, by reference: (reference, monitored pid
    /// number, the registered name when monitored by name).
    pub monitors: Keyed<RefKey, (Term, u64, Option<Atom>)>,
    /// Processes monitoring this one, by reference: (reference, monitoring pid number).
    pub monitored_by: Keyed<RefKey, (Term, u64)>,
    /// The tags of monitors made with `{tag, Tag}` (`monitor/3`, `spawn_opt`'s
    /// `{monitor, Opts}`): the first element of their `DOWN` messages. Kept off the heap.
    pub monitor_tags: Option<Box<std::collections::HashMap<RefKey, crate::sched::table::Owned>>>,
    /// `process_flag(trap_exit, true)`.
    pub trap_exit: bool,
    /// `process_flag(error_handler, Module)`: whose `undefined_function/3` a call to a
    /// missing function goes to (`error_handler`, the default, is girder's own loading on
    /// demand). Not inherited by spawned processes, as in erts.
    pub error_handler: Atom,
    /// Scheduling priority (`process_flag(priority, P)`).
    pub priority: crate::sched::Priority,
    /// The function the process was spawned with (`process_info(P, initial_call)`).
    pub initial_call: (Atom, Atom, u32),
    /// The process that spawned this one (0: none, or one on another node), as the BREAK
    /// menu's `Spawned by` reports it.
    pub parent: u64,
    /// Reductions used in earlier time slices.
    pub total_reductions: u64,
    /// `max_heap_size`: the limit checked after each collection.
    pub max_heap_size: Option<MaxHeapSize>,
    /// The group leader's pid number: where `io` sends this process's I/O requests.
    /// A new process inherits its parent's.
    pub group_leader: u64,
}

/// A process's `max_heap_size` setting (words; 0 means no limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxHeapSize {
    pub size: usize,
    /// Kill the process when the limit is passed.
    pub kill: bool,
    /// Report it.
    pub error_logger: bool,
}

/// Collections of every process, and the words they reclaimed (`statistics/1`'s
/// `garbage_collection`).
static GC_COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static GC_RECLAIMED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Garbage collections so far and the words they reclaimed, over every process.
pub fn gc_totals() -> (u64, u64) {
    (
        GC_COUNT.load(std::sync::atomic::Ordering::Relaxed),
        GC_RECLAIMED.load(std::sync::atomic::Ordering::Relaxed),
    )
}

/// Whether every process collects at every heap test (`GIRDER_GC_STRESS` set and not `0`),
/// read once: the JIT leaves the test out of code compiled without it.
pub fn gc_stress() -> bool {
    static ON: std::sync::LazyLock<bool> =
        std::sync::LazyLock::new(|| std::env::var_os("GIRDER_GC_STRESS").is_some_and(|v| v != "0"));
    *ON
}

impl Process {
    /// A fresh process with an empty stack.
    pub fn new(id: u64) -> Process {
        Process::with_heap(id, MIN_HEAP_WORDS)
    }

    /// A fresh process whose heap starts with `words` words (`min_heap_size`).
    pub fn with_heap(id: u64, words: usize) -> Process {
        let mut heap = Heap::new(words);
        if gc_stress() {
            heap.set_gc_stress(true);
        }
        Process {
            x: Box::new([]),
            live_x: 0,
            fr: Box::new([]),
            stack: girder_term::stack::Stack::new(),
            stack_low: 0,
            cp: Cp::NONE,
            heap,
            dict: crate::dict::Dict::default(),
            id,
            resume: Cp::NONE,
            reductions: 0,
            msgs: std::collections::VecDeque::new(),
            recv_pos: 0,
            recv_markers: Vec::new(),
            next_marker: 0,
            deadline: None,
            timed_out: false,
            links: Keyed::default(),
            monitors: Keyed::default(),
            monitored_by: Keyed::default(),
            monitor_tags: None,
            trap_exit: false,
            error_handler: Atom::intern("error_handler"),
            priority: crate::sched::Priority::Normal,
            initial_call: (Atom::ERLANG, Atom::intern("apply"), 2),
            parent: 0,
            total_reductions: 0,
            group_leader: id,
            max_heap_size: None,
        }
    }

    /// This process's pid.
    pub fn pid(&self) -> Term {
        Term::pid(self.id)
    }

    /// Collect garbage so that `need` words are free, keeping X registers `0..live`, the
    /// stack, the dictionary, the message queue and the monitor references.
    pub fn gc(&mut self, need: usize, live: usize) {
        self.gc_with(need, live, false);
    }

    /// A major collection now (`erlang:garbage_collect/0`), keeping what [`Process::gc`]
    /// keeps.
    pub fn gc_major(&mut self, live: usize) {
        self.gc_with(0, live, true);
    }

    /// A collection now, major when `major` (`erlang:garbage_collect/0`) and otherwise as
    /// [`Process::gc`] decides, keeping X registers `0..live`.
    pub fn gc_with(&mut self, need: usize, live: usize, major: bool) {
        let before = self.heap.used_words();
        let started = crate::sysmon::on().then(std::time::Instant::now);
        let live = live.min(self.x.len());
        // Monitor references live on this heap too: roots, moved with everything else.
        let mut refs: Vec<Term> = self.monitors.iter().map(|m| m.0).collect();
        refs.extend(self.monitored_by.iter().map(|m| m.0));
        let (msgs_front, msgs_back) = self.msgs.as_mut_slices();
        let mut roots = [
            &mut self.x[..live],
            self.dict.roots_mut(),
            msgs_front,
            msgs_back,
            &mut refs[..],
        ];
        if major {
            self.heap
                .collect_major_with_stack(need, &mut roots, &mut self.stack[..]);
        } else {
            self.heap
                .collect_with_stack(need, &mut roots, &mut self.stack[..], self.stack_low);
        }
        let (mine, theirs) = refs.split_at(self.monitors.len());
        for (m, r) in self.monitors.iter_mut().zip(mine) {
            m.0 = *r;
        }
        for (m, r) in self.monitored_by.iter_mut().zip(theirs) {
            m.0 = *r;
        }
        self.stack_low = self.stack.len();
        let reclaimed = before.saturating_sub(self.heap.used_words());
        GC_COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        GC_RECLAIMED.fetch_add(reclaimed as u64, std::sync::atomic::Ordering::Relaxed);
        if let Some(started) = started {
            crate::sysmon::after_gc(self, started.elapsed());
        }
    }

    /// The index in `stack` of Y register `n`, if the current frame has it.
    #[inline]
    pub fn y_index(&self, n: u32) -> Option<usize> {
        self.stack.len().checked_sub(2 + n as usize)
    }

    /// Remember `tag` as the first element of monitor `reference`'s `DOWN` message.
    pub fn set_monitor_tag(&mut self, reference: Term, tag: Term) {
        let tags = self.monitor_tags.get_or_insert_with(Default::default);
        tags.insert(
            crate::keyed::ref_key(reference),
            crate::sched::table::Owned::copy(tag),
        );
    }

    /// Forget monitor `reference`'s tag; the tag, if it had one.
    pub fn take_monitor_tag(&mut self, reference: Term) -> Option<crate::sched::table::Owned> {
        let tags = self.monitor_tags.as_mut()?;
        let tag = tags.remove(&crate::keyed::ref_key(reference));
        if tags.is_empty() {
            self.monitor_tags = None;
        }
        tag
    }

    /// Look a key up in the process dictionary.
    pub fn dict_get(&self, key: Term) -> Option<Term> {
        self.dict.get(key)
    }

    /// Store a key in the dictionary, returning the old value (`undefined` if none).
    pub fn dict_put(&mut self, key: Term, value: Term) -> Term {
        self.dict.put(key, value)
    }

    /// Remove a key, returning its value (`undefined` if none).
    pub fn dict_erase(&mut self, key: Term) -> Term {
        self.dict.erase(key)
    }
}

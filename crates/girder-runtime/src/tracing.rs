//! Call tracing (`erlang:trace/3`, `erlang:trace_pattern/2,3`): which processes are traced
//! and to which tracer, and which functions have a trace pattern.
//!
//! A function with a global call pattern is reached through its export entry with the
//! entry's target word cleared (its code kept in [`Export::traced_target`]): native code
//! and the interpreter then take their slow path for it (`interp::resolve_call`), which
//! sends the `call` trace message when the calling process traces calls and the pattern's
//! match specification accepts the arguments, then enters the code. Calls that do not go
//! through the export entry (local calls, `local` patterns) are not traced.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock, RwLock};

use girder_term::object as obj;
use girder_term::owned::TermBlock;
use girder_term::{Atom, Term};

use crate::module::Export;
use crate::process::Process;

/// Trace flag: function calls (`call`).
pub const CALL: u32 = 1;
/// Trace flag: timestamps on trace messages (`timestamp`).
pub const TIMESTAMP: u32 = 2;
/// Trace flag: messages sent (`send`).
pub const SEND: u32 = 4;
/// Trace flag: messages received (`'receive'`).
pub const RECEIVE: u32 = 8;
/// Trace flag: processes this one spawns inherit its flags and tracer (`set_on_spawn`).
pub const SET_ON_SPAWN: u32 = 16;

/// Trace flag: processes this one spawns linked inherit its flags and tracer
/// (`set_on_link`).
pub const SET_ON_LINK: u32 = 64;

/// Trace flag: process events (`procs`: spawn, exit, link, unlink, getting_linked,
/// getting_unlinked, register, unregister).
pub const PROCS: u32 = 32;

/// The flags and tracer new processes get (`erlang:trace(new | all, true, ...)`).
static NEW: Mutex<Option<ProcTrace>> = Mutex::new(None);
static ANY_NEW: AtomicBool = AtomicBool::new(false);

/// The flags and tracer of new processes, if any.
pub fn new_processes() -> Option<ProcTrace> {
    *NEW.lock().unwrap_or_else(|e| e.into_inner())
}

/// Set (`on`) or clear `flags` for processes spawned from now on.
pub fn set_new(on: bool, flags: u32, tracer: u64) {
    let mut new = NEW.lock().unwrap_or_else(|e| e.into_inner());
    match (&mut *new, on) {
        (Some(t), true) => {
            t.flags |= flags;
            t.tracer = tracer;
        }
        (None, true) => *new = Some(ProcTrace { flags, tracer }),
        (Some(t), false) => {
            t.flags &= !flags;
            if t.flags == 0 {
                *new = None;
            }
        }
        (None, false) => {}
    }
    // Relaxed: a hint; the lock orders the rest.
    ANY_NEW.store(new.is_some(), Ordering::Relaxed);
}

/// Process `parent` spawned `child` (not running yet; `linked` for a `spawn_link`): the
/// child inherits the parent's flags and tracer under `set_on_spawn`, or `set_on_link` for
/// a linked child, else takes those of new processes. (erl 25 was seen to pass the flags
/// on through `spawn_link` only, not to a process linked by `link/1`.)
pub fn on_spawn(parent: u64, child: u64, linked: bool) {
    // Relaxed: see `of`.
    if !ANY.load(Ordering::Relaxed) && !ANY_NEW.load(Ordering::Relaxed) {
        return;
    }
    let inherited = of(parent)
        .filter(|t| t.flags & SET_ON_SPAWN != 0 || (linked && t.flags & SET_ON_LINK != 0));
    if let Some(t) = inherited.or_else(new_processes) {
        set(child, true, t.flags, t.tracer);
    }
}

/// A traced process's flags and tracer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcTrace {
    /// [`CALL`], [`TIMESTAMP`].
    pub flags: u32,
    /// The tracer's process id.
    pub tracer: u64,
}

static TRACED: LazyLock<RwLock<HashMap<u64, ProcTrace>>> =
    LazyLock::new(|| RwLock::new(HashMap::new()));

/// Whether any process is traced (spares the table's lock otherwise).
static ANY: AtomicBool = AtomicBool::new(false);

/// The trace flags and tracer of process `id`, if traced.
pub fn of(id: u64) -> Option<ProcTrace> {
    // Relaxed: a hint; the table's lock orders the rest.
    if !ANY.load(Ordering::Relaxed) {
        return None;
    }
    TRACED
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(&id)
        .copied()
}

/// Set (`on`) or clear `flags` of process `id`; a set also names its tracer.
pub fn set(id: u64, on: bool, flags: u32, tracer: u64) {
    let mut procs = TRACED.write().unwrap_or_else(|e| e.into_inner());
    if on {
        let t = procs.entry(id).or_insert(ProcTrace { flags: 0, tracer });
        t.flags |= flags;
        t.tracer = tracer;
    } else if let Some(t) = procs.get_mut(&id) {
        t.flags &= !flags;
        if t.flags == 0 {
            procs.remove(&id);
        }
    }
    // Relaxed: see `of`.
    ANY.store(!procs.is_empty(), Ordering::Relaxed);
}

/// Forget a process that ended (and every process tracing to it as a tracer is left as
/// erts leaves it: its messages go nowhere).
pub fn process_exited(id: u64) {
    if !ANY.load(Ordering::Relaxed) {
        return;
    }
    let mut procs = TRACED.write().unwrap_or_else(|e| e.into_inner());
    procs.remove(&id);
    ANY.store(!procs.is_empty(), Ordering::Relaxed);
}

/// A function's call trace pattern: its match specification (`None` for `true`, every
/// call), kept in a block of its own.
pub struct Pattern {
    /// The match specification as given (`None`: `true` or `[]`).
    pub ms: Option<Term>,
    /// Set with the `local` flag (only calls through exports are traced all the same).
    pub local: bool,
    _block: Option<TermBlock>,
}

/// Call patterns by `(module, function, arity)`.
type Patterns = HashMap<(Atom, Atom, u32), Arc<Pattern>>;

static PATTERNS: LazyLock<Mutex<Patterns>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Give `export` the call pattern `ms` (`None`: trace every call), or take its pattern
/// away (`pattern == false`).
pub fn set_pattern(export: &'static Export, pattern: Option<Option<Term>>, local: bool) {
    let key = (export.module, export.function, export.arity);
    let mut patterns = PATTERNS.lock().unwrap_or_else(|e| e.into_inner());
    match pattern {
        Some(ms) => {
            let (ms, block) = match ms {
                Some(t) => {
                    let (t, b) = TermBlock::copy(t);
                    (Some(t), b)
                }
                None => (None, None),
            };
            patterns.insert(
                key,
                Arc::new(Pattern {
                    ms,
                    local,
                    _block: block,
                }),
            );
            export.set_traced(true);
        }
        None => {
            // As in erts, `false` takes away only a pattern of its own kind (`global` or
            // `local`).
            if patterns.get(&key).is_some_and(|p| p.local != local) {
                return;
            }
            patterns.remove(&key);
            if counter(export.module, export.function, export.arity).is_none() {
                export.set_traced(false);
            }
        }
    }
}

/// A function's call counter (`trace_pattern(MFA, true, [call_count])`): calls through its
/// export in any process, while not paused.
#[derive(Default)]
pub struct Counter {
    /// Calls counted.
    pub count: std::sync::atomic::AtomicU64,
    /// Paused (`pause`): the count is kept, calls are not counted.
    pub paused: AtomicBool,
}

/// Call counters by `(module, function, arity)`.
type Counters = HashMap<(Atom, Atom, u32), Arc<Counter>>;

static COUNTERS: LazyLock<Mutex<Counters>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// What `trace_pattern(MFA, What, [call_count])` does to a function's counter.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CountOp {
    /// `true`: count from zero.
    Start,
    /// `pause`: keep the count, stop counting.
    Pause,
    /// `restart`: a counter there is counts again, from zero.
    Restart,
    /// `false`: no counter.
    Stop,
}

/// Apply `op` to `export`'s call counter.
pub fn set_counter(export: &'static Export, op: CountOp) {
    let key = (export.module, export.function, export.arity);
    let mut counters = COUNTERS.lock().unwrap_or_else(|e| e.into_inner());
    match op {
        CountOp::Start => {
            counters.insert(key, Arc::new(Counter::default()));
            export.set_traced(true);
        }
        CountOp::Pause | CountOp::Restart => {
            if let Some(c) = counters.get(&key) {
                // Relaxed: a counter, read without ordering.
                c.paused.store(op == CountOp::Pause, Ordering::Relaxed);
                if op == CountOp::Restart {
                    c.count.store(0, Ordering::Relaxed);
                }
            }
        }
        CountOp::Stop => {
            counters.remove(&key);
            drop(counters);
            if pattern(export.module, export.function, export.arity).is_none() {
                export.set_traced(false);
            }
        }
    }
}

/// The call counter of `m:f/a`, if it has one.
pub fn counter(m: Atom, f: Atom, a: u32) -> Option<Arc<Counter>> {
    COUNTERS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&(m, f, a))
        .cloned()
}

/// The call pattern of `m:f/a`, if it has one.
pub fn pattern(m: Atom, f: Atom, a: u32) -> Option<Arc<Pattern>> {
    PATTERNS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&(m, f, a))
        .cloned()
}

/// What a traced call's return needs: nothing, `{return_trace}` or `{exception_trace}`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum OnReturn {
    /// Nothing.
    Nothing,
    /// `return_from` when it returns.
    Return,
    /// `return_from` when it returns, `exception_from` when an exception leaves it.
    Exception,
}

/// Runs a match specification on a call's argument list for the caller `p`: `None` when
/// the call is not to be traced, else what its body asked for the return and the `X` of
/// its last `{message, X}`. Set by the BIFs (which own the match specification engine).
pub type MsRunner = fn(&mut Process, Term, Term) -> Option<(OnReturn, Option<Term>)>;

/// The match specification engine (see [`MsRunner`]).
pub static MS_RUNNER: OnceLock<MsRunner> = OnceLock::new();

/// Timestamps of trace messages (`erlang:now/0`'s value: mega, seconds, micro); set by the
/// BIFs.
pub static NOW: OnceLock<fn() -> [i64; 3]> = OnceLock::new();

fn now_on(h: &mut impl girder_term::heap::Alloc) -> Term {
    let [a, b, c] = NOW.get().map_or([0; 3], |f| f());
    obj::tuple(h, &[Term::small(a), Term::small(b), Term::small(c)])
}

/// Trace messages (`'receive'`) and system monitor messages made where a slot lock may be
/// held: delivered by [`flush`].
static PENDING: Mutex<Vec<(u64, crate::sched::table::Owned)>> = Mutex::new(Vec::new());
static HAS_PENDING: AtomicBool = AtomicBool::new(false);

/// The message `msg` (a term of `p`'s heap) entered `p`'s queue: when `p` traces what it
/// receives, its `'receive'` trace message, delivered by the next [`flush`] (the caller
/// may hold a slot lock).
pub fn received(p: &Process, msg: Term) {
    let Some(t) = of(p.id) else {
        return;
    };
    if t.flags & RECEIVE == 0 {
        return;
    }
    let mut h = girder_term::heap::Heap::new(0);
    let m = girder_term::copy::copy_term(msg, &mut h);
    let ts = t.flags & TIMESTAMP != 0;
    let mut elems = vec![
        Term::atom(Atom::intern(if ts { "trace_ts" } else { "trace" })),
        p.pid(),
        Term::atom(Atom::intern("receive")),
        m,
    ];
    if ts {
        elems.push(now_on(&mut h));
    }
    let tuple = obj::tuple(&mut h, &elems);
    queue(t.tracer, crate::sched::table::Owned::copy(tuple));
}

/// Queue the trace or monitor message `msg` for process `to`, delivered by the next
/// [`flush`] (the caller may hold a slot lock, or be in a collection).
pub(crate) fn queue(to: u64, msg: crate::sched::table::Owned) {
    PENDING
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((to, msg));
    // Release: pairs with `flush`'s Acquire (the queue's lock orders the items).
    HAS_PENDING.store(true, Ordering::Release);
}

/// Deliver the queued trace and monitor messages made so far. Call with no slot lock held.
pub fn flush() {
    // Acquire: see `received`.
    if !HAS_PENDING.load(Ordering::Acquire) {
        return;
    }
    let items = {
        let mut pending = PENDING.lock().unwrap_or_else(|e| e.into_inner());
        HAS_PENDING.store(false, Ordering::Release);
        std::mem::take(&mut *pending)
    };
    for (to, msg) in items {
        crate::sched::deliver_untraced(to, msg);
    }
}

/// The code index of `girder_trace` once a traced call went through it; `u32::MAX` before.
static WRAPPER_CODE: AtomicU32 = AtomicU32::new(u32::MAX);

/// The code index of `girder_trace`, whose frames stack traces leave out (erts' return-trace
/// frames do not show either); `u32::MAX` while no call went through it.
pub fn wrapper_code() -> u32 {
    // Relaxed: set once, before the first frame of that code can be on any stack.
    WRAPPER_CODE.load(Ordering::Relaxed)
}

/// A traced call is entering `girder_trace`'s code (index `code`).
pub(crate) fn entering_wrapper(code: u32) {
    if wrapper_code() != code {
        WRAPPER_CODE.store(code, Ordering::Relaxed);
    }
}

/// Processes whose next traced call is not traced (`girder_trace:return_trace/3` makes
/// the call it traced already).
static SKIP: LazyLock<Mutex<std::collections::HashSet<u64>>> =
    LazyLock::new(|| Mutex::new(std::collections::HashSet::new()));

/// Do not trace the next traced call of process `id`.
pub fn skip_next(id: u64) {
    SKIP.lock().unwrap_or_else(|e| e.into_inner()).insert(id);
}

/// Forget a [`skip_next`] of process `id`; whether there was one.
pub fn take_skip(id: u64) -> bool {
    SKIP.lock().unwrap_or_else(|e| e.into_inner()).remove(&id)
}

/// Send a trace message `{trace, Pid, What, Items...}` (or `trace_ts`, with the timestamp
/// last) from `p` to its tracer.
fn send_trace(p: &mut Process, t: ProcTrace, what: &str, items: &[Term]) {
    let mut elems = vec![
        Term::atom(Atom::intern(if t.flags & TIMESTAMP != 0 {
            "trace_ts"
        } else {
            "trace"
        })),
        p.pid(),
        Term::atom(Atom::intern(what)),
    ];
    elems.extend_from_slice(items);
    if t.flags & TIMESTAMP != 0 {
        elems.push(now_on(&mut p.heap));
    }
    let msg = obj::tuple(&mut p.heap, &elems);
    crate::sched::send(p, t.tracer, msg);
}

/// Whether process `id` traces `flag`.
pub fn traces(id: u64, flag: u32) -> bool {
    of(id).is_some_and(|t| t.flags & flag != 0)
}

/// `p`'s own process event `{trace, Pid, What, Items...}` (items on `p`'s heap), sent now
/// when it traces `procs`.
pub fn proc_event(p: &mut Process, what: &str, items: &[Term]) {
    let Some(t) = of(p.id).filter(|t| t.flags & PROCS != 0) else {
        return;
    };
    send_trace(p, t, what, items);
}

/// Process `id`'s event `{trace, Pid, What, Items...}` (items on any heap the caller may
/// read, copied), queued for the next [`flush`], when `id` traces `procs`: for events
/// made where a slot lock may be held, or for a process other than the running one.
pub fn proc_event_queued(id: u64, what: &str, items: &[Term]) {
    let Some(t) = of(id).filter(|t| t.flags & PROCS != 0) else {
        return;
    };
    let mut h = girder_term::heap::Heap::new(0);
    let ts = t.flags & TIMESTAMP != 0;
    let mut elems = vec![
        Term::atom(Atom::intern(if ts { "trace_ts" } else { "trace" })),
        Term::pid(id),
        Term::atom(Atom::intern(what)),
    ];
    elems.extend(
        items
            .iter()
            .map(|&i| girder_term::copy::copy_term(i, &mut h)),
    );
    if ts {
        elems.push(now_on(&mut h));
    }
    let tuple = obj::tuple(&mut h, &elems);
    queue(t.tracer, crate::sched::table::Owned::copy(tuple));
}

/// `p` sends `msg` to `to` (the destination as given: a pid, a port or a registered
/// name), which is process or port `id`: the `send` trace message (or
/// `send_to_non_existing_process`) when `p` traces sends. Call before the send.
pub fn sent(p: &mut Process, to: Term, id: u64, msg: Term) {
    let Some(t) = of(p.id) else {
        return;
    };
    if t.flags & SEND == 0 {
        return;
    }
    let exists = id == p.id || id & crate::port::PORT_BIT != 0 || crate::sched::is_alive(p, id);
    let what = if exists {
        "send"
    } else {
        "send_to_non_existing_process"
    };
    send_trace(p, t, what, &[msg, to]);
}

/// `p` calls `export` (arguments in x0..): send the `call` trace message to its tracer
/// when it traces calls and the function's pattern accepts the arguments; what the
/// pattern asks for its return.
pub fn call(p: &mut Process, export: &'static Export) -> OnReturn {
    if let Some(c) = counter(export.module, export.function, export.arity)
        && !c.paused.load(Ordering::Relaxed)
    {
        // Relaxed: see `Counter`.
        c.count.fetch_add(1, Ordering::Relaxed);
    }
    let Some(t) = of(p.id) else {
        return OnReturn::Nothing;
    };
    if take_skip(p.id) || t.flags & CALL == 0 {
        return OnReturn::Nothing;
    }
    let Some(pattern) = pattern(export.module, export.function, export.arity) else {
        return OnReturn::Nothing;
    };
    let args = obj::list_from_slice(&mut p.heap, &p.x[..export.arity as usize], Term::NIL);
    let (on_return, message) = match pattern.ms {
        None => (OnReturn::Nothing, None),
        Some(ms) => {
            let Some(run) = MS_RUNNER.get() else {
                return OnReturn::Nothing;
            };
            match run(p, ms, args) {
                None => return OnReturn::Nothing,
                Some(actions) => actions,
            }
        }
    };
    let mfa = obj::tuple(
        &mut p.heap,
        &[Term::atom(export.module), Term::atom(export.function), args],
    );
    match message {
        Some(m) if m == Term::atom(Atom::FALSE) => {}
        Some(m) if m != Term::atom(Atom::TRUE) => send_trace(p, t, "call", &[mfa, m]),
        _ => send_trace(p, t, "call", &[mfa]),
    }
    on_return
}

/// `girder_trace:return_trace/3`'s call returned `value` (`what`: `return_from`), or an
/// exception left `girder_trace:exception_trace/3`'s (`exception_from`, `value`
/// `{Class, Reason}`): the trace message.
pub fn return_from(p: &mut Process, what: &str, m: Atom, f: Atom, arity: u32, value: Term) {
    take_skip(p.id);
    let Some(t) = of(p.id) else {
        return;
    };
    if t.flags & CALL == 0 {
        return;
    }
    let mfa = obj::tuple(
        &mut p.heap,
        &[Term::atom(m), Term::atom(f), Term::small(i64::from(arity))],
    );
    send_trace(p, t, what, &[mfa, value]);
}

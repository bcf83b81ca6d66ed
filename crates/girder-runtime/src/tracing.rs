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
use std::sync::atomic::{AtomicBool, Ordering};
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

/// A traced process's flags and tracer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcTrace {
    /// [`CALL`], [`TIMESTAMP`].
    pub flags: u32,
    /// The tracer's process id.
    pub tracer: u64,
}

static PROCS: LazyLock<RwLock<HashMap<u64, ProcTrace>>> =
    LazyLock::new(|| RwLock::new(HashMap::new()));

/// Whether any process is traced (spares the table's lock otherwise).
static ANY: AtomicBool = AtomicBool::new(false);

/// The trace flags and tracer of process `id`, if traced.
pub fn of(id: u64) -> Option<ProcTrace> {
    // Relaxed: a hint; the table's lock orders the rest.
    if !ANY.load(Ordering::Relaxed) {
        return None;
    }
    PROCS
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(&id)
        .copied()
}

/// Set (`on`) or clear `flags` of process `id`; a set also names its tracer.
pub fn set(id: u64, on: bool, flags: u32, tracer: u64) {
    let mut procs = PROCS.write().unwrap_or_else(|e| e.into_inner());
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
    let mut procs = PROCS.write().unwrap_or_else(|e| e.into_inner());
    procs.remove(&id);
    ANY.store(!procs.is_empty(), Ordering::Relaxed);
}

/// A function's call trace pattern: its match specification (`None` for `true`, every
/// call), kept in a block of its own.
pub struct Pattern {
    /// The match specification as given (`None`: `true` or `[]`).
    pub ms: Option<Term>,
    _block: Option<TermBlock>,
}

/// Call patterns by `(module, function, arity)`.
type Patterns = HashMap<(Atom, Atom, u32), Arc<Pattern>>;

static PATTERNS: LazyLock<Mutex<Patterns>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Give `export` the call pattern `ms` (`None`: trace every call), or take its pattern
/// away (`pattern == false`).
pub fn set_pattern(export: &'static Export, pattern: Option<Option<Term>>) {
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
            patterns.insert(key, Arc::new(Pattern { ms, _block: block }));
            export.set_traced(true);
        }
        None => {
            patterns.remove(&key);
            export.set_traced(false);
        }
    }
}

/// The call pattern of `m:f/a`, if it has one.
pub fn pattern(m: Atom, f: Atom, a: u32) -> Option<Arc<Pattern>> {
    PATTERNS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&(m, f, a))
        .cloned()
}

/// Runs a match specification on a call's argument list for the caller `p`: `true` when
/// the call is to be traced. Set by the BIFs (which own the match specification engine).
pub type MsRunner = fn(&mut Process, Term, Term) -> bool;

/// The match specification engine (see [`MsRunner`]).
pub static MS_RUNNER: OnceLock<MsRunner> = OnceLock::new();

/// Timestamps of trace messages (`erlang:now/0`'s value); set by the BIFs.
pub static NOW: OnceLock<fn(&mut Process) -> Term> = OnceLock::new();

/// `p` calls `export` (arguments in x0..): send the `call` trace message to its tracer
/// when it traces calls and the function's pattern accepts the arguments.
pub fn call(p: &mut Process, export: &'static Export) {
    let Some(t) = of(p.id) else {
        return;
    };
    if t.flags & CALL == 0 {
        return;
    }
    let Some(pattern) = pattern(export.module, export.function, export.arity) else {
        return;
    };
    let args = obj::list_from_slice(&mut p.heap, &p.x[..export.arity as usize], Term::NIL);
    if let Some(ms) = pattern.ms {
        let Some(run) = MS_RUNNER.get() else {
            return;
        };
        if !run(p, ms, args) {
            return;
        }
    }
    let mfa = obj::tuple(
        &mut p.heap,
        &[Term::atom(export.module), Term::atom(export.function), args],
    );
    let pid = p.pid();
    let msg = if t.flags & TIMESTAMP != 0 {
        let now = NOW.get().map_or(Term::NIL, |f| f(p));
        obj::tuple(
            &mut p.heap,
            &[
                Term::atom(Atom::intern("trace_ts")),
                pid,
                Term::atom(Atom::intern("call")),
                mfa,
                now,
            ],
        )
    } else {
        obj::tuple(
            &mut p.heap,
            &[
                Term::atom(Atom::intern("trace")),
                pid,
                Term::atom(Atom::intern("call")),
                mfa,
            ],
        )
    };
    crate::sched::send(p, t.tracer, msg);
}

//! The system monitor (`erlang:system_monitor/0,1,2`): one process told of long garbage
//! collections (`long_gc`), large heaps after a collection (`large_heap`) and long time
//! slices (`long_schedule`), by messages `{monitor, Pid, What, Info}`.
//!
//! `busy_port` and `busy_dist_port` are accepted and reported back as set, and never
//! fire: girder never makes a port busy (see `port_command/3`'s `force`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::process::Process;

/// The system monitor's process and what it is told of.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// The monitoring process.
    pub pid: u64,
    /// `{long_gc, Ms}`: collections taking at least this many milliseconds.
    pub long_gc: Option<u64>,
    /// `{long_schedule, Ms}`: time slices of at least this many milliseconds.
    pub long_schedule: Option<u64>,
    /// `{large_heap, Words}`: heaps of at least this many words after a collection.
    pub large_heap: Option<u64>,
    /// `busy_port` (never fires).
    pub busy_port: bool,
    /// `busy_dist_port` (never fires).
    pub busy_dist_port: bool,
}

static SETTINGS: Mutex<Option<Settings>> = Mutex::new(None);
/// Whether a monitor is set (spares the lock otherwise).
static ON: AtomicBool = AtomicBool::new(false);

/// The current settings.
pub fn get() -> Option<Settings> {
    *SETTINGS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Replace the settings (`None`: no monitor); the previous ones.
pub fn set(new: Option<Settings>) -> Option<Settings> {
    let mut s = SETTINGS.lock().unwrap_or_else(|e| e.into_inner());
    // Relaxed: a hint; the lock orders the rest.
    ON.store(new.is_some(), Ordering::Relaxed);
    std::mem::replace(&mut *s, new)
}

/// Whether a monitor is set (a hint for timing collections).
pub fn on() -> bool {
    // Relaxed: see `set`.
    ON.load(Ordering::Relaxed)
}

/// The settings, when a monitor is set.
fn active() -> Option<Settings> {
    // Relaxed: see `set`.
    if !ON.load(Ordering::Relaxed) {
        return None;
    }
    get()
}

/// A process ended: when it was the monitor, monitoring stops (as in erts).
pub fn process_exited(id: u64) {
    if !ON.load(Ordering::Relaxed) {
        return;
    }
    let mut s = SETTINGS.lock().unwrap_or_else(|e| e.into_inner());
    if s.is_some_and(|s| s.pid == id) {
        *s = None;
        ON.store(false, Ordering::Relaxed);
    }
}

/// Send `{monitor, Who, What, Info}` to the monitor (queued; delivered where no slot lock
/// is held, see [`crate::tracing::flush`]).
fn report(to: u64, who: u64, what: &str, info: &[(&str, Term)]) {
    let mut h = girder_term::heap::Heap::new(0);
    let items: Vec<Term> = info
        .iter()
        .map(|&(k, v)| obj::tuple(&mut h, &[Term::atom(Atom::intern(k)), v]))
        .collect();
    let info = obj::list_from_slice(&mut h, &items, Term::NIL);
    let msg = obj::tuple(
        &mut h,
        &[
            Term::atom(Atom::intern("monitor")),
            Term::pid(who),
            Term::atom(Atom::intern(what)),
            info,
        ],
    );
    crate::tracing::queue(to, crate::sched::table::Owned::copy(msg));
}

/// `p` finished a collection that took `took`: `long_gc` and `large_heap` reports.
pub fn after_gc(p: &Process, took: Duration) {
    let Some(s) = active() else {
        return;
    };
    let heap = &p.heap;
    let young = heap.young_capacity() as u64;
    let old = heap.old_capacity() as u64;
    let sizes = |n: u64| Term::small(n as i64);
    let info = [
        ("old_heap_block_size", sizes(old)),
        ("heap_block_size", sizes(young)),
        ("mbuf_size", sizes(heap.fragment_words() as u64)),
        ("stack_size", sizes(p.stack.len() as u64)),
        ("old_heap_size", sizes(heap.old_used_words() as u64)),
        (
            "heap_size",
            sizes((heap.used_words() - heap.old_used_words() - heap.fragment_words()) as u64),
        ),
    ];
    let ms = took.as_millis() as u64;
    if s.long_gc.is_some_and(|limit| ms >= limit) {
        let mut with_time = vec![("timeout", sizes(ms))];
        with_time.extend_from_slice(&info);
        report(s.pid, p.id, "long_gc", &with_time);
    }
    if s.large_heap.is_some_and(|limit| young + old >= limit) {
        report(s.pid, p.id, "large_heap", &info);
    }
}

/// Whether time slices are to be timed (`long_schedule`).
pub fn times_slices() -> bool {
    active().is_some_and(|s| s.long_schedule.is_some())
}

/// The function `p` is in (module, function, arity), if known.
pub fn location(p: &Process) -> Option<(Atom, Atom, u32)> {
    let code = crate::module::code(p.resume.code())?;
    let f = code.function_at(p.resume.offset())?;
    Some((code.name, f.function, f.arity))
}

/// `p` ran a time slice from `in_at` (where it was when the slice began) to where it is
/// now, taking `took`: the `long_schedule` report.
pub fn after_slice(p: &Process, in_at: Option<(Atom, Atom, u32)>, took: Duration) {
    let Some(s) = active() else {
        return;
    };
    let ms = took.as_millis() as u64;
    if s.long_schedule.is_none_or(|limit| ms < limit) {
        return;
    }
    // The locations are small: build them on a scratch heap, copied by `report`.
    let mut h = girder_term::heap::Heap::new(0);
    let mut mfa = |at: Option<(Atom, Atom, u32)>| match at {
        Some((m, f, a)) => obj::tuple(
            &mut h,
            &[Term::atom(m), Term::atom(f), Term::small(i64::from(a))],
        ),
        None => Term::atom(Atom::UNDEFINED),
    };
    let (i, o) = (mfa(in_at), mfa(location(p)));
    report(
        s.pid,
        p.id,
        "long_schedule",
        &[("timeout", Term::small(ms as i64)), ("in", i), ("out", o)],
    );
}

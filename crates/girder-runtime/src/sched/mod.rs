//! Processes together: the process table, message and signal delivery, links, monitors,
//! exit signals, the registry, timers, and the scheduler threads that run processes.
//!
//! `+S N` scheduler threads (default: one per core, see [`run`]) run processes in time
//! slices of [`crate::interp::REDUCTIONS`], with per-thread run queues and work stealing
//! (`run.rs`). The process that is running is taken out of its table slot (`table.rs`), so
//! BIFs get it as `&mut Process`; everything one process does to another goes through a
//! *signal* in the other's inbox, which the other applies itself when it next runs (or, for
//! messages to a process that is not running, is copied straight into its heap). Signals
//! from one process to another arrive in the order they were sent, as in OTP.

mod run;
pub mod table;
pub mod timers;
mod wheel;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::{Mutex, OnceLock};

use girder_term::object as obj;
use girder_term::{Atom, Term, copy::copy_term};

use crate::exception::Class;
use crate::interp::{self, Outcome};
use crate::keyed::ref_key;
use crate::module::Export;
use crate::process::Process;
use table::{Owned, Signal, Slot, State};

pub use table::{Priority, new_id};

/// Make `p` known to the scheduler and runnable.
pub fn add(p: Box<Process>) {
    let slot = table::insert(p);
    let mut g = slot.lock();
    make_runnable(&slot, &mut g);
}

/// Move a waiting process to a run queue (with its slot locked).
fn make_runnable(slot: &Slot, g: &mut table::Inner) {
    if g.state == State::Waiting {
        g.state = State::Queued;
        // Counted before it is queued, and before whoever made it runnable stops counting
        // itself (`park`, `exited`, `fire_due`): `active` never drops to 0 while work is
        // passed on. SeqCst: see `timers::none_pending_and`.
        run::SHARED.active.fetch_add(1, Ordering::SeqCst);
        run::enqueue(
            slot.id,
            // Relaxed: `priority` is a hint for the queue to use, changed only by the
            // process itself (`set_priority`); the slot lock held here orders it anyway.
            Priority::from_u8(slot.priority.load(Ordering::Relaxed)),
        );
    }
}

/// How to start a spawned process (`spawn_opt` options).
#[derive(Clone, Copy, Debug)]
pub struct SpawnOpts {
    /// Link the new process to its parent.
    pub link: bool,
    /// Make the parent monitor the new process with this reference (a term of the
    /// parent's heap).
    pub monitor: Option<Term>,
    pub priority: Priority,
    /// Initial heap size in words (`min_heap_size`).
    pub min_heap_size: Option<usize>,
    /// `max_heap_size`.
    pub max_heap_size: Option<crate::process::MaxHeapSize>,
}

impl Default for SpawnOpts {
    fn default() -> SpawnOpts {
        SpawnOpts {
            link: false,
            monitor: None,
            priority: Priority::Normal,
            min_heap_size: None,
            max_heap_size: None,
        }
    }
}

fn new_process(opts: &SpawnOpts) -> Box<Process> {
    let words = opts
        .min_heap_size
        .unwrap_or(crate::process::MIN_HEAP_WORDS)
        .max(crate::process::MIN_HEAP_WORDS);
    let mut p = Box::new(Process::with_heap(new_id(), words));
    p.priority = opts.priority;
    p.max_heap_size = opts.max_heap_size;
    p
}

/// A new process inherits its parent's group leader, and knows its parent.
fn inherit(from: &Process, p: &mut Process) {
    p.group_leader = from.group_leader;
    p.parent = from.id;
}

/// Spawn `export(args)` (terms from `from`'s heap are copied); its pid.
pub fn spawn(
    from: &mut Process,
    export: &'static Export,
    args: &[Term],
    opts: SpawnOpts,
) -> Result<Term, String> {
    let mut p = new_process(&opts);
    let copied: Vec<Term> = args.iter().map(|a| copy_term(*a, &mut p.heap)).collect();
    if p.start_call(export, &copied).is_err() {
        // A BIF, or a function that does not exist: as OTP, the process starts anyway and
        // runs `erlang:apply(M, F, Args)`, which calls the BIF or dies of `undef`.
        let apply = crate::module::export(Atom::ERLANG, Atom::intern("apply"), 3);
        let list = obj::list_from_slice(&mut p.heap, &copied, Term::NIL);
        let call = [Term::atom(export.module), Term::atom(export.function), list];
        p.start_call(apply, &call)?;
    }
    p.initial_call = (export.module, export.function, export.arity);
    let link = opts.link;
    let pid = start(from, p, opts);
    if crate::tracing::traces(from.id, crate::tracing::PROCS) {
        let list = obj::list_from_slice(&mut from.heap, args, Term::NIL);
        let call = [Term::atom(export.module), Term::atom(export.function), list];
        spawn_events(from, pid, &call, link);
    }
    Ok(pid)
}

/// The `procs` trace events of a spawn: `spawn` with the call `{M, F, Args}`, then `link`
/// for a `spawn_link`.
fn spawn_events(from: &mut Process, pid: Term, call: &[Term; 3], link: bool) {
    let mfa = obj::tuple(&mut from.heap, call);
    crate::tracing::proc_event(from, "spawn", &[pid, mfa]);
    if link {
        crate::tracing::proc_event(from, "link", &[pid]);
    }
}

/// Spawn a call of the fun `f` with no arguments.
pub fn spawn_fun(from: &mut Process, f: Term, opts: SpawnOpts) -> Result<Term, String> {
    let mut p = new_process(&opts);
    let fun = f;
    let f = copy_term(f, &mut p.heap);
    p.start_fun(f)?;
    let link = opts.link;
    let pid = start(from, p, opts);
    if crate::tracing::traces(from.id, crate::tracing::PROCS) {
        // As erts reports it: `{erlang, apply, [Fun, []]}`.
        let args = obj::list_from_slice(&mut from.heap, &[fun, Term::NIL], Term::NIL);
        let call = [
            Term::atom(Atom::ERLANG),
            Term::atom(Atom::intern("apply")),
            args,
        ];
        spawn_events(from, pid, &call, link);
    }
    Ok(pid)
}

fn start(from: &mut Process, mut p: Box<Process>, opts: SpawnOpts) -> Term {
    inherit(from, &mut p);
    // The new process is not running yet: links and monitors are set on both ends before
    // it can run (so it cannot exit before its parent monitors it).
    if opts.link {
        p.links.insert(from.id, from.id);
        from.links.insert(p.id, p.id);
    }
    if let Some(r) = opts.monitor {
        let copy = copy_term(r, &mut p.heap);
        p.monitored_by.insert(ref_key(copy), (copy, from.id));
        from.monitors.insert(ref_key(r), (r, p.id, None));
    }
    crate::tracing::on_spawn(from.id, p.id, opts.link);
    let pid = p.pid();
    add(p);
    pid
}

/// Whether process `id` is alive as seen by `current`: signals `current` sent it before
/// count as delivered (an exit signal that will kill it makes it dead), as OTP guarantees.
pub fn is_alive(current: &Process, id: u64) -> bool {
    if id == current.id {
        return true;
    }
    let Some(slot) = table::get(id) else {
        return false;
    };
    let g = slot.lock();
    if g.state == State::Exited {
        return false;
    }
    // SeqCst (Acquire would do): `trap_exit` mirrors a flag the process sets for itself; a
    // change racing with this question may be seen or not, as in OTP.
    let traps = slot.trap_exit.load(Ordering::SeqCst);
    !g.inbox.iter().any(|s| match s {
        Signal::Exit {
            from,
            reason,
            linked: false,
        } if *from == current.id => {
            let r = reason.term.as_atom();
            r == Some(Atom::KILL) || (r != Some(Atom::NORMAL) && !traps)
        }
        _ => false,
    })
}

/// Put signal `sig` in process `to`'s inbox and make it runnable; gives the signal back
/// when `to` does not exist or has exited.
pub fn send_signal(to: u64, sig: Signal) -> Result<(), Signal> {
    if *DEBUG {
        eprintln!("signal to {to}: {}", sig_name(&sig));
    }
    if to & crate::port::PORT_BIT != 0 {
        return crate::port::signal(to & !crate::port::PORT_BIT, sig);
    }
    let Some(slot) = table::get(to) else {
        return Err(sig);
    };
    let mut g = slot.lock();
    if g.state == State::Exited {
        return Err(sig);
    }
    g.inbox.push(sig);
    make_runnable(&slot, &mut g);
    Ok(())
}

/// Make process `to` run again if it waits (a signal without effect): for a NIF whose work
/// another thread finished (`BifError::Wait`).
pub fn wake(to: u64) {
    let _ = send_signal(to, Signal::Timeout);
}

/// Deliver a message built outside any process (by a port, from the reactor thread) to
/// process `to`, after the signals sent to it before.
pub fn deliver(to: u64, msg: Owned) {
    deliver_owned(to, msg);
}

/// Deliver a trace message (not itself traced as received).
pub(crate) fn deliver_untraced(to: u64, msg: Owned) {
    deliver_inner(to, msg, false);
}

/// Deliver a message already copied out of its sender.
fn deliver_owned(to: u64, msg: Owned) {
    deliver_inner(to, msg, true);
    crate::tracing::flush();
}

fn deliver_inner(to: u64, msg: Owned, traced: bool) {
    let Some(slot) = table::get(to) else {
        return;
    };
    let mut g = slot.lock();
    if g.state == State::Exited {
        return;
    }
    if g.inbox.is_empty()
        && let Some(p) = g.process.as_mut()
    {
        let copy = copy_term(msg.term, &mut p.heap);
        p.msgs.push_back(copy);
        if traced {
            crate::tracing::received(p, copy);
        }
    } else if traced {
        g.inbox.push(Signal::Message(msg));
    } else {
        g.inbox.push(Signal::TraceMessage(msg));
    }
    make_runnable(&slot, &mut g);
}

/// Send `msg` (a term of `from`'s heap) to process `to`. Sending to a dead process does
/// nothing, as in OTP.
pub fn send(from: &mut Process, to: u64, msg: Term) {
    if to & crate::port::PORT_BIT != 0 {
        crate::port::message(from.id, to & !crate::port::PORT_BIT, msg);
        return;
    }
    if to == from.id {
        from.msgs.push_back(msg);
        crate::tracing::received(from, msg);
        crate::tracing::flush();
        return;
    }
    let Some(slot) = table::get(to) else {
        return;
    };
    {
        let mut g = slot.lock();
        if g.state == State::Exited {
            return;
        }
        // A process that is not running, with no signal ahead of this one, takes the
        // message straight into its heap (allocation never collects, so its heap can grow
        // under it).
        if g.inbox.is_empty()
            && let Some(p) = g.process.as_mut()
        {
            let copy = copy_term(msg, &mut p.heap);
            p.msgs.push_back(copy);
            crate::tracing::received(p, copy);
        } else {
            g.inbox.push(Signal::Message(Owned::copy(msg)));
        }
        make_runnable(&slot, &mut g);
    }
    crate::tracing::flush();
}

/// A process's `group_leader` with this bit is a process of another node: the rest is
/// its index in [`REMOTE_LEADERS`] (a process spawned for another node has the
/// requester's group leader, as in erts, so its output goes to that node).
pub const REMOTE_LEADER: u64 = 1 << 62;

/// The other nodes' processes that are group leaders here, each once (a node's few
/// group leaders lead every process it spawns here).
static REMOTE_LEADERS: Mutex<Vec<Owned>> = Mutex::new(Vec::new());

/// The `group_leader` value naming `pid`: its number if local, else a [`REMOTE_LEADER`].
pub fn leader_id(pid: Term) -> u64 {
    if pid.is_local_pid() {
        return pid.immediate_id();
    }
    let mut t = REMOTE_LEADERS.lock().unwrap_or_else(|e| e.into_inner());
    let i = match t
        .iter()
        .position(|o| girder_term::compare::eq_exact(o.term, pid))
    {
        Some(i) => i,
        None => {
            t.push(Owned::copy(pid));
            t.len() - 1
        }
    };
    REMOTE_LEADER | i as u64
}

/// The pid a `group_leader` value names, built on `h`.
pub fn leader_term(h: &mut impl girder_term::heap::Alloc, leader: u64) -> Term {
    if leader & REMOTE_LEADER != 0 {
        let t = REMOTE_LEADERS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(o) = t.get((leader & !REMOTE_LEADER) as usize) {
            return copy_term(o.term, h);
        }
    }
    Term::pid(leader)
}

/// Make `leader` the group leader of process `id`; false if `id` is not alive.
pub fn set_group_leader(current: &mut Process, id: u64, leader: u64) -> bool {
    if id == current.id {
        current.group_leader = leader;
        return true;
    }
    send_signal(id, Signal::GroupLeader { leader }).is_ok()
}

/// A destination no process has: a message sent there is dropped (an inactive alias).
pub const NOBODY: u64 = u64::MAX;

fn alias_key(r: Term) -> Option<Vec<u32>> {
    obj::is_local_ref(r).then(|| obj::local_ref_ids(r).as_slice().to_vec())
}

/// Make the reference `r` an alias of `owner` (`alias/0,1`, `monitor/3`).
pub fn add_alias(owner: u64, r: Term, mode: table::AliasMode) {
    if let Some(k) = alias_key(r) {
        table::aliases().insert(k, (owner, mode));
    }
}

/// `unalias(Ref)`: true if `r` was an active alias of `owner`.
pub fn unalias(owner: u64, r: Term) -> bool {
    let Some(k) = alias_key(r) else {
        return false;
    };
    let mut a = table::aliases();
    if a.get(&k).is_some_and(|(o, _)| *o == owner) {
        a.remove(&k);
        true
    } else {
        false
    }
}

/// The monitor `r` ended: so does the alias made with it, unless made to be explicit.
pub fn end_monitor_alias(r: Term) {
    if let Some(k) = alias_key(r) {
        let mut a = table::aliases();
        if a.get(&k)
            .is_some_and(|(_, m)| *m != table::AliasMode::ExplicitUnalias)
        {
            a.remove(&k);
        }
    }
}

/// Where a message sent to the reference `r` goes: the alias owner, or [`NOBODY`].
pub fn alias_target(r: Term) -> u64 {
    let Some(k) = alias_key(r) else {
        return NOBODY;
    };
    let mut a = table::aliases();
    match a.get(&k).copied() {
        Some((owner, table::AliasMode::ReplyDemonitor)) => {
            // One reply only: the alias ends, and the owner drops its monitor.
            a.remove(&k);
            drop(a);
            let _ = send_signal(
                owner,
                Signal::DropMonitor {
                    reference: Owned::copy(r),
                },
            );
            owner
        }
        Some((owner, _)) => owner,
        None => NOBODY,
    }
}

/// The pid registered as `name`.
pub fn whereis(_current: &Process, name: Atom) -> Option<u64> {
    table::registry().by_name.get(&name).copied()
}

/// The pid registered as `name`, for code outside any process.
pub fn registered_id(name: Atom) -> Option<u64> {
    table::registry().by_name.get(&name).copied()
}

/// Whether process `id` exists and has not exited.
pub fn exists(id: u64) -> bool {
    table::get(id).is_some_and(|slot| slot.lock().state != State::Exited)
}

/// The name process `id` is registered under.
pub fn registered_name(id: u64) -> Option<Atom> {
    table::registry().by_id.get(&id).copied()
}

/// Register process `id` under `name`; false if the name is taken, the process already has
/// a name, or it is not alive.
pub fn register(current: &mut Process, name: Atom, id: u64) -> bool {
    if !is_alive(current, id) {
        return false;
    }
    let mut r = table::registry();
    if r.by_name.contains_key(&name) || r.by_id.contains_key(&id) {
        return false;
    }
    r.by_name.insert(name, id);
    r.by_id.insert(id, name);
    drop(r);
    crate::tracing::proc_event_queued(id, "register", &[Term::atom(name)]);
    crate::tracing::flush();
    true
}

/// Remove a registered name; false if it was not registered.
pub fn unregister(_current: &mut Process, name: Atom) -> bool {
    let mut r = table::registry();
    match r.by_name.remove(&name) {
        Some(id) => {
            r.by_id.remove(&id);
            drop(r);
            crate::tracing::proc_event_queued(id, "unregister", &[Term::atom(name)]);
            crate::tracing::flush();
            true
        }
        None => false,
    }
}

/// Every registered name.
pub fn registered() -> Vec<Atom> {
    table::registry().by_name.keys().copied().collect()
}

/// Every live process number, the running one included, in order.
pub fn processes(_current: &Process) -> Vec<u64> {
    table::ids()
}

/// Every live process number, in order, asked from outside any process (the BREAK menu).
pub fn all_ids() -> Vec<u64> {
    table::ids()
}

/// Send exit signal `kill` to process `id` from outside any process (the BREAK menu's
/// `k`, as erts sends it with no sender).
pub fn kill(id: u64) {
    let _ = send_signal(
        id,
        Signal::Exit {
            from: 0,
            reason: Owned::copy(Term::atom(Atom::KILL)),
            linked: false,
        },
    );
}

/// Link `current` and `other`; false if `other` is dead.
pub fn link(current: &mut Process, other: u64) -> bool {
    // erts reports the call, whatever comes of it.
    crate::tracing::proc_event(current, "link", &[crate::port::ident_term(other)]);
    if other == current.id {
        return true;
    }
    if current.links.contains(&other) {
        return is_alive(current, other);
    }
    match send_signal(other, Signal::Link { from: current.id }) {
        Ok(()) => {
            current.links.insert(other, other);
            true
        }
        Err(_) => false,
    }
}

/// Remove a link, if any.
pub fn unlink(current: &mut Process, other: u64) {
    crate::tracing::proc_event(current, "unlink", &[crate::port::ident_term(other)]);
    if current.links.remove(&other).is_some() {
        let _ = send_signal(other, Signal::Unlink { from: current.id });
    }
}

/// Monitor `other` with reference `reference`; when it is already dead the `DOWN` message
/// (reason `noproc`) arrives at once.
pub fn monitor(current: &mut Process, other: u64, reference: Term, target: Term) {
    let sig = Signal::Monitor {
        from: current.id,
        reference: Owned::copy(reference),
    };
    if other != u64::MAX && send_signal(other, sig).is_ok() {
        // A monitor by name reports the name in its `DOWN` message.
        let name = obj::is_tuple(target).then(|| obj::tuple_element(target, 0).as_atom());
        current
            .monitors
            .insert(ref_key(reference), (reference, other, name.flatten()));
    } else {
        end_monitor_alias(reference);
        let down = down_message(current, reference, target, Term::atom(Atom::NOPROC));
        // The `DOWN` comes from `other`: it must not overtake what `other` sent before it
        // exited (perhaps still in this process's inbox while it runs), so it queues
        // behind those signals.
        let pending = table::get(current.id).is_some_and(|slot| !slot.lock().inbox.is_empty());
        if pending {
            deliver_owned(current.id, Owned::copy(down));
        } else {
            current.msgs.push_back(down);
            crate::tracing::received(current, down);
        }
    }
}

/// Stop monitoring; true if the monitor was active.
pub fn demonitor(current: &mut Process, reference: Term) -> bool {
    let Some((_, other, _)) = current.monitors.remove(&ref_key(reference)) else {
        return false;
    };
    current.take_monitor_tag(reference);
    end_monitor_alias(reference);
    let _ = send_signal(
        other,
        Signal::Demonitor {
            reference: Owned::copy(reference),
        },
    );
    true
}

fn down_message(p: &mut Process, reference: Term, target: Term, reason: Term) -> Term {
    let down = match p.take_monitor_tag(reference) {
        Some(tag) => copy_term(tag.term, &mut p.heap),
        None => Term::atom(Atom::intern("DOWN")),
    };
    let process = Term::atom(Atom::intern(if obj::is_port(target) {
        "port"
    } else {
        "process"
    }));
    obj::tuple(&mut p.heap, &[down, reference, process, target, reason])
}

/// Set `process_flag(trap_exit, on)`; the old value.
pub fn set_trap_exit(p: &mut Process, on: bool) -> bool {
    if let Some(slot) = table::get(p.id) {
        // SeqCst (Release would do): read by `is_alive`, see there.
        slot.trap_exit.store(on, Ordering::SeqCst);
    }
    std::mem::replace(&mut p.trap_exit, on)
}

/// Set `process_flag(priority, P)`; the old priority.
pub fn set_priority(p: &mut Process, priority: Priority) -> Priority {
    if let Some(slot) = table::get(p.id) {
        // SeqCst (Relaxed would do): a hint read under the slot lock, see `make_runnable`.
        slot.priority.store(priority as u8, Ordering::SeqCst);
    }
    std::mem::replace(&mut p.priority, priority)
}

/// `erlang:send_after(Ms, Dest, Msg)`: the timer's number. `to` is a process number or a
/// registered name looked up when the timer fires.
pub fn send_after(ms: u64, to: Result<u64, Atom>, msg: Term) -> u64 {
    let msg = Owned::copy(msg);
    match to {
        Ok(id) => timers::send_after(ms, id, msg),
        Err(name) => timers::send_after_named(ms, name, msg),
    }
}

/// `send_after` with a timer number taken by [`timers::reserve_id`] (`start_timer`, whose
/// message holds its own timer reference).
pub fn send_after_with_id(id: u64, ms: u64, to: Result<u64, Atom>, msg: Term) {
    let msg = Owned::copy(msg);
    timers::add_with_id(id, ms, to, msg);
}

/// Cancel a timer; the milliseconds it had left, if it was still pending.
pub fn cancel_timer(id: u64) -> Option<u64> {
    timers::cancel(id)
}

/// The milliseconds a timer has left, if it is pending.
pub fn read_timer(id: u64) -> Option<u64> {
    timers::read(id)
}

/// Send an exit signal from the running process to `to` (`exit/2`). When the target is the
/// caller itself and it must exit, the reason it exits with.
pub fn exit_to(current: &mut Process, to: u64, reason: Term) -> Option<Term> {
    exit_signal_to(current, to, reason, true)
}

/// `exit/2` (`exit2`) or `erlang:exit_signal/2`: the same signal, but `exit/2` to the
/// caller itself takes effect before it returns (see [`exit_to`]), where `exit_signal/2`
/// sends it as any other signal, handled when the caller next looks at its signals.
pub fn exit_signal_to(current: &mut Process, to: u64, reason: Term, exit2: bool) -> Option<Term> {
    if to == current.id && exit2 {
        if reason.as_atom() == Some(Atom::KILL) {
            return Some(Term::atom(Atom::KILLED));
        }
        if current.trap_exit {
            let pid = current.pid();
            let msg = obj::tuple(
                &mut current.heap,
                &[Term::atom(Atom::EXIT_UPPER), pid, reason],
            );
            current.msgs.push_back(msg);
            crate::tracing::received(current, msg);
            return None;
        }
        return Some(reason);
    }
    let _ = send_signal(
        to,
        Signal::Exit {
            from: current.id,
            reason: Owned::copy(reason),
            linked: false,
        },
    );
    None
}

/// What [`inspect`] tells about a process besides its state.
pub struct Seen {
    /// `runnable` or `waiting`.
    pub status: &'static str,
}

/// What [`inspect`] found.
pub enum Inspected<R> {
    /// What `f` returned.
    Seen(R),
    /// The process does not exist, or an exit signal already sent to it will kill it.
    Dead,
    /// It is running on another scheduler thread: ask again later (`BifError::Retry`).
    Busy,
}

/// Read another process's state (for `process_info/2`): `f` runs with the process locked in
/// its slot, after the signals sent to it so far took effect (as OTP orders an information
/// request after earlier signals).
pub fn inspect<R>(id: u64, f: impl FnOnce(&Process, Seen) -> R) -> Inspected<R> {
    let Some(slot) = table::get(id) else {
        return Inspected::Dead;
    };
    {
        let mut g = slot.lock();
        let inner = &mut *g;
        match (inner.state, inner.process.as_mut()) {
            (State::Exited, _) => Inspected::Dead,
            (state, Some(p)) => {
                for sig in take_harmless(p, &mut inner.inbox, true) {
                    let _ = apply(p, sig);
                }
                if inner
                    .inbox
                    .first()
                    .is_some_and(|s| matches!(s, Signal::Exit { .. } | Signal::RemoteExit { .. }))
                {
                    // A fatal exit signal is next: the process is as good as dead.
                    return Inspected::Dead;
                }
                let status =
                    if state == State::Queued || !p.msgs.is_empty() && p.recv_pos < p.msgs.len() {
                        "runnable"
                    } else {
                        "waiting"
                    };
                Inspected::Seen(f(p, Seen { status }))
            }
            (_, None) => Inspected::Busy,
        }
    }
}

/// Signals waiting in process `id`'s inbox.
pub fn pending_signals(id: u64) -> usize {
    table::get(id).map_or(0, |s| s.lock().inbox.len())
}

/// What applying a signal did.
enum Applied {
    Continue,
    /// The process must exit with this reason (a term of its heap).
    Exit(Term),
}

/// Whether exit signal `reason` (through a link or not) kills a process with `trap_exit`.
fn exit_kills(reason: Term, linked: bool, trap_exit: bool) -> bool {
    let kill = !linked && reason.as_atom() == Some(Atom::KILL);
    if trap_exit && !kill {
        return false;
    }
    reason.as_atom() != Some(Atom::NORMAL) || kill
}

static DEBUG: std::sync::LazyLock<bool> =
    std::sync::LazyLock::new(|| std::env::var_os("GIRDER_SCHED_DEBUG").is_some());

fn sig_name(s: &Signal) -> &'static str {
    match s {
        Signal::Message(_) => "message",
        Signal::TraceMessage(_) => "trace message",
        Signal::Exit { .. } => "exit",
        Signal::RemoteExit { .. } => "remote_exit",
        Signal::Link { .. } => "link",
        Signal::Unlink { .. } => "unlink",
        Signal::Monitor { .. } => "monitor",
        Signal::Demonitor { .. } => "demonitor",
        Signal::Down { .. } => "down",
        Signal::Timeout => "timeout",
        Signal::GroupLeader { .. } => "group_leader",
        Signal::DropMonitor { .. } => "drop_monitor",
    }
}

fn apply(p: &mut Process, sig: Signal) -> Applied {
    if *DEBUG {
        eprintln!("{} applies {}", p.id, sig_name(&sig));
    }
    match sig {
        Signal::Message(m) => {
            let copy = copy_term(m.term, &mut p.heap);
            p.msgs.push_back(copy);
            crate::tracing::received(p, copy);
        }
        Signal::TraceMessage(m) => {
            let copy = copy_term(m.term, &mut p.heap);
            p.msgs.push_back(copy);
        }
        Signal::Exit {
            from,
            reason,
            linked,
        } => {
            // Unlinked meanwhile: the signal no longer applies.
            if linked && p.links.remove(&from).is_none() {
                return Applied::Continue;
            }
            // The link is gone; reported when the process lives on (below).
            let unlinked = |p: &Process| {
                if linked {
                    let from = crate::port::ident_term(from);
                    crate::tracing::proc_event_queued(p.id, "getting_unlinked", &[from]);
                }
            };
            let kill = !linked && reason.term.as_atom() == Some(Atom::KILL);
            if p.trap_exit && !kill {
                let r = copy_term(reason.term, &mut p.heap);
                let msg = obj::tuple(
                    &mut p.heap,
                    &[
                        Term::atom(Atom::EXIT_UPPER),
                        crate::port::ident_term(from),
                        r,
                    ],
                );
                p.msgs.push_back(msg);
                unlinked(p);
                crate::tracing::received(p, msg);
            } else if exit_kills(reason.term, linked, p.trap_exit) {
                let r = if kill {
                    Term::atom(Atom::KILLED)
                } else {
                    copy_term(reason.term, &mut p.heap)
                };
                return Applied::Exit(r);
            } else {
                unlinked(p);
            }
        }
        Signal::RemoteExit {
            from,
            reason,
            linked,
        } => {
            let kill = !linked && reason.term.as_atom() == Some(Atom::KILL);
            if p.trap_exit && !kill {
                let r = copy_term(reason.term, &mut p.heap);
                let f = copy_term(from.term, &mut p.heap);
                let msg = obj::tuple(&mut p.heap, &[Term::atom(Atom::EXIT_UPPER), f, r]);
                p.msgs.push_back(msg);
                crate::tracing::received(p, msg);
            } else if exit_kills(reason.term, linked, p.trap_exit) {
                let r = if kill {
                    Term::atom(Atom::KILLED)
                } else {
                    copy_term(reason.term, &mut p.heap)
                };
                return Applied::Exit(r);
            }
        }
        Signal::Link { from } => {
            if !p.links.contains(&from) {
                p.links.insert(from, from);
                let from = crate::port::ident_term(from);
                crate::tracing::proc_event_queued(p.id, "getting_linked", &[from]);
            }
        }
        Signal::Unlink { from } => {
            if p.links.remove(&from).is_some() {
                let from = crate::port::ident_term(from);
                crate::tracing::proc_event_queued(p.id, "getting_unlinked", &[from]);
            }
        }
        Signal::Monitor { from, reference } => {
            let r = copy_term(reference.term, &mut p.heap);
            p.monitored_by.insert(ref_key(r), (r, from));
        }
        Signal::Demonitor { reference } => {
            p.monitored_by.remove(&ref_key(reference.term));
        }
        Signal::Down {
            from,
            reference,
            reason,
        } => {
            let Some((r, _, name)) = p.monitors.remove(&ref_key(reference.term)) else {
                // Demonitored meanwhile.
                return Applied::Continue;
            };
            end_monitor_alias(r);
            let reason = copy_term(reason.term, &mut p.heap);
            let target = match name {
                Some(n) => obj::tuple(
                    &mut p.heap,
                    &[Term::atom(n), Term::atom(obj::this_node().0)],
                ),
                None => crate::port::ident_term(from),
            };
            let msg = down_message(p, r, target, reason);
            p.msgs.push_back(msg);
            crate::tracing::received(p, msg);
        }
        Signal::GroupLeader { leader } => p.group_leader = leader,
        Signal::DropMonitor { reference } => {
            if let Some((_, other, _)) = p.monitors.remove(&ref_key(reference.term)) {
                p.take_monitor_tag(reference.term);
                let _ = send_signal(other, Signal::Demonitor { reference });
            }
        }
        Signal::Timeout => {
            if p.deadline.is_some_and(|d| d <= std::time::Instant::now()) {
                p.timed_out = true;
            }
        }
    }
    Applied::Continue
}

/// Apply the signals of `inbox` in order; the exit reason if one of them kills `p`, with
/// the signals after it.
fn apply_all(p: &mut Process, inbox: Vec<Signal>) -> Option<(Term, Vec<Signal>)> {
    let mut it = inbox.into_iter();
    while let Some(sig) = it.next() {
        if let Applied::Exit(r) = apply(p, sig) {
            return Some((r, it.collect()));
        }
    }
    None
}

/// Called by `receive` when it has looked at every message: move the signals that arrived
/// while `p` ran into its queue, up to (not including) one that would kill it. True if any
/// message arrived.
pub fn pull_messages(p: &mut Process) -> bool {
    // Even with one scheduler thread, signals arrive while this process runs: from the
    // poller thread (port and socket input) and from the process itself (the exit signal
    // of a port it closed, the answer of a socket request).
    let Some(slot) = table::get(p.id) else {
        return false;
    };
    let mut g = slot.lock();
    if g.inbox.is_empty() {
        return false;
    }
    let before = p.msgs.len();
    let taken = take_harmless(p, &mut g.inbox, false);
    drop(g);
    for sig in taken {
        let _ = apply(p, sig);
    }
    crate::tracing::flush();
    p.msgs.len() > before
}

/// The signals at the front of `inbox` that cannot kill `p`, taken out of it. Under a slot
/// lock (`locked`), also none that makes `p` signal another process (that would take a
/// second slot lock while holding one).
fn take_harmless(p: &Process, inbox: &mut Vec<Signal>, locked: bool) -> Vec<Signal> {
    let trap = p.trap_exit;
    let stop = inbox
        .iter()
        .position(|s| match s {
            Signal::Exit { reason, linked, .. } | Signal::RemoteExit { reason, linked, .. } => {
                exit_kills(reason.term, *linked, trap)
            }
            Signal::DropMonitor { .. } => locked,
            _ => false,
        })
        .unwrap_or(inbox.len());
    inbox.drain(..stop).collect()
}

/// What the boot process's owner wants after one of its calls ended.
pub enum BootControl {
    /// A new call was started in the boot process: keep running it.
    Continue,
    /// The boot process is done; keep the VM running (an idle VM waits, like erl's).
    Done,
    /// Stop the VM with this status.
    Stop(i32),
}

/// How a boot call ended.
pub enum BootEvent {
    /// It returned.
    Returned(Term),
    /// It raised past its last catch.
    Raised {
        class: Class,
        reason: Term,
        trace: Term,
    },
}

type BootHandler = Box<dyn FnMut(&mut Process, BootEvent) -> BootControl + Send>;

struct Boot {
    id: u64,
    handler: Mutex<BootHandler>,
}

static BOOT: OnceLock<Boot> = OnceLock::new();
static SCHEDULERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Choose the number of scheduler threads (`+S N`); by default one per core.
pub fn set_schedulers(n: usize) {
    // SeqCst (Relaxed would do): a setting made before the VM starts.
    SCHEDULERS.store(n, Ordering::SeqCst);
}

/// `erlang:system_flag(schedulers_online, N)`: how many scheduler threads run processes
/// (1 to [`schedulers`]); the previous count.
pub fn set_schedulers_online(n: usize) -> usize {
    run::set_online(n)
}

/// Scheduler threads that run processes (`schedulers_online`).
pub fn schedulers_online() -> usize {
    // SeqCst (Relaxed would do): set once, before the threads start.
    if run::SHARED.threads.load(Ordering::SeqCst) == 0 {
        return schedulers();
    }
    run::online()
}

/// Processes ready to run and waiting in each scheduler thread's run queue.
pub fn run_queue_lengths() -> Vec<usize> {
    run::queue_lengths()
}

static REDUCTIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static CONTEXT_SWITCHES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Reductions of every process in completed time slices, and the number of time slices.
pub fn totals() -> (u64, u64) {
    // Relaxed: statistics counters; each is one atomic sum, no other data depends on them.
    (
        REDUCTIONS.load(Ordering::Relaxed),
        CONTEXT_SWITCHES.load(Ordering::Relaxed),
    )
}

/// The number of scheduler threads the VM runs (or will run).
pub fn schedulers() -> usize {
    // SeqCst (Relaxed would do): see `set_schedulers`.
    match SCHEDULERS.load(Ordering::SeqCst) {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// Run every process until the VM halts (the status) or nothing can ever run again
/// (`None`: every process waits for a message no one will send, and no timer is pending).
/// `on_boot` hears how each call of process `boot` ends.
pub fn run(
    boot: u64,
    on_boot: impl FnMut(&mut Process, BootEvent) -> BootControl + Send + 'static,
) -> Result<Option<i32>, String> {
    let handler: BootHandler = Box::new(on_boot);
    if BOOT
        .set(Boot {
            id: boot,
            handler: Mutex::new(handler),
        })
        .is_err()
    {
        return Err("the VM can only be booted once".into());
    }
    run::run_threads(schedulers())
}

fn boot_event(p: &mut Process, event: BootEvent) -> Option<BootControl> {
    let boot = BOOT.get()?;
    if boot.id != p.id {
        return None;
    }
    let mut h = boot.handler.lock().unwrap_or_else(|e| e.into_inner());
    Some(h(p, event))
}

thread_local! {
    /// This scheduler thread's full set of X registers, lent to the process it runs.
    static X_REGS: std::cell::RefCell<Box<[Term]>> = std::cell::RefCell::new(Box::new([]));
    /// This thread's float registers: never live across a call or a receive, where
    /// processes are suspended, so they are lent without copying anything.
    static F_REGS: std::cell::RefCell<Box<[f64]>> = std::cell::RefCell::new(Box::new([]));
}

/// Give `p` this thread's full sets of X and float registers, its live X ones copied in.
fn lend_x(p: &mut Process) {
    let mut fr = F_REGS.with(|f| std::mem::take(&mut *f.borrow_mut()));
    if fr.len() < crate::loader::MAX_FR as usize {
        fr = vec![0.0; crate::loader::MAX_FR as usize].into_boxed_slice();
    }
    p.fr = fr;
    let mut full = X_REGS.with(|x| std::mem::take(&mut *x.borrow_mut()));
    if full.len() < crate::loader::MAX_X as usize {
        full = vec![Term::NIL; crate::loader::MAX_X as usize].into_boxed_slice();
    }
    let live = (p.live_x as usize).min(p.x.len());
    full[..live].copy_from_slice(&p.x[..live]);
    p.x = full;
}

/// Take the thread's X registers back from `p`, leaving it a copy of its live ones.
fn reclaim_x(p: &mut Process) {
    if p.x.len() < crate::loader::MAX_X as usize {
        return;
    }
    let live = (p.live_x as usize).min(p.x.len());
    let own: Box<[Term]> = p.x[..live].into();
    let full = std::mem::replace(&mut p.x, own);
    X_REGS.with(|x| *x.borrow_mut() = full);
    let fr = std::mem::take(&mut p.fr);
    F_REGS.with(|f| *f.borrow_mut() = fr);
}

/// Put a process that stays alive back in its slot: queued again if it yielded or a signal
/// came while it ran, else waiting.
fn park(slot: &Slot, mut p: Box<Process>, yielded: bool) {
    reclaim_x(&mut p);
    // A waiting process has looked at every message in its queue: only a new signal or
    // its timeout makes it ready.
    let ready = yielded || p.timed_out;
    let mut g = slot.lock();
    g.process = Some(p);
    if ready || !g.inbox.is_empty() {
        g.state = State::Queued;
        run::enqueue(
            slot.id,
            // Relaxed: a hint, see `make_runnable`.
            Priority::from_u8(slot.priority.load(Ordering::Relaxed)),
        );
    } else {
        g.state = State::Waiting;
        // After its receive timer is armed (`run_slice`) and everything it sent was
        // counted by its receivers; SeqCst: see `make_runnable`.
        run::SHARED.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Run one time slice of the queued process in `slot`.
fn run_slice(slot: &Arc<Slot>) {
    let (mut p, inbox) = {
        let mut g = slot.lock();
        let Some(p) = g.process.take() else {
            return;
        };
        g.state = State::Running;
        (p, std::mem::take(&mut g.inbox))
    };
    let killed = apply_all(&mut p, inbox);
    crate::tracing::flush();
    if let Some((reason, rest)) = killed {
        exited(slot, p, reason, rest);
        return;
    }
    if *DEBUG {
        eprintln!("run {} on {:?}", p.id, std::thread::current().name());
    }
    lend_x(&mut p);
    let timed = crate::sysmon::times_slices()
        .then(|| (crate::sysmon::location(&p), std::time::Instant::now()));
    let outcome = interp::run(&mut p);
    if let Some((in_at, started)) = timed {
        crate::sysmon::after_slice(&p, in_at, started.elapsed());
    }
    // Monitor messages of the slice's collections, and its own `'receive'` events.
    crate::tracing::flush();
    if *DEBUG {
        eprintln!("ran {}: {:?}", p.id, std::mem::discriminant(&outcome));
    }
    let used = (interp::REDUCTIONS - p.reductions).max(0) as u64;
    p.total_reductions += used;
    // Relaxed: statistics, see `totals`.
    REDUCTIONS.fetch_add(used, Ordering::Relaxed);
    CONTEXT_SWITCHES.fetch_add(1, Ordering::Relaxed);
    match outcome {
        Outcome::Yield => park(slot, p, true),
        Outcome::Wait => {
            if let Some(at) = p.deadline
                && !p.timed_out
            {
                timers::arm_receive(p.id, at);
            }
            park(slot, p, false)
        }
        Outcome::Returned(v) => match boot_event(&mut p, BootEvent::Returned(v)) {
            Some(BootControl::Continue) => park(slot, p, true),
            Some(BootControl::Stop(n)) => run::stop(Ok(Some(n))),
            Some(BootControl::Done) | None => exited(slot, p, Term::atom(Atom::NORMAL), Vec::new()),
        },
        Outcome::Raised {
            class,
            reason,
            trace,
        } => {
            let event = BootEvent::Raised {
                class,
                reason,
                trace,
            };
            let boot = boot_event(&mut p, event);
            match boot {
                Some(BootControl::Stop(n)) => {
                    run::stop(Ok(Some(n)));
                    return;
                }
                Some(_) => {}
                None => {}
            }
            let r = exit_reason(&mut p, class, reason, trace);
            if boot.is_none() && class != Class::Exit {
                report_crash(&mut p, r);
            }
            exited(slot, p, r, Vec::new());
        }
        Outcome::Exit(r) => exited(slot, p, r, Vec::new()),
        Outcome::Halt(n) => run::stop(Ok(Some(n))),
        Outcome::Fault(msg) => run::stop(Err(msg)),
    }
}

/// Hooks run when a process exits, before it signals its links and monitors (ETS gives its
/// tables to their heirs or deletes them).
static EXIT_HOOKS: Mutex<Vec<fn(&mut Process)>> = Mutex::new(Vec::new());

/// Call `hook` with every process that exits.
pub fn add_exit_hook(hook: fn(&mut Process)) {
    EXIT_HOOKS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(hook);
}

/// Process `p` (taken out of `slot`) exited with `reason` (a term of its heap): refuse
/// further signals, take it out of the table and the registry, answer the link and monitor
/// requests still in its inbox, and signal its links and monitors.
fn exited(slot: &Slot, mut p: Box<Process>, reason: Term, mut unapplied: Vec<Signal>) {
    p.live_x = 0;
    reclaim_x(&mut p);
    {
        let mut g = slot.lock();
        g.state = State::Exited;
        unapplied.append(&mut g.inbox);
    }
    // `procs` events: the exit, then the name it loses (before its trace state goes).
    if crate::tracing::traces(p.id, crate::tracing::PROCS) {
        crate::tracing::proc_event_queued(p.id, "exit", &[reason]);
        if let Some(name) = registered_name(p.id) {
            crate::tracing::proc_event_queued(p.id, "unregister", &[Term::atom(name)]);
        }
        crate::tracing::flush();
    }
    let hooks = EXIT_HOOKS.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for hook in hooks {
        hook(&mut p);
    }
    if let Some(h) = crate::dist::HOOKS.get() {
        (h.exited)(&p, reason);
    }
    table::remove(p.id);
    table::aliases().retain(|_, (owner, _)| *owner != p.id);
    {
        let mut r = table::registry();
        if let Some(name) = r.by_id.remove(&p.id) {
            r.by_name.remove(&name);
        }
    }
    let id = p.id;
    let exit = |to: u64| {
        let _ = send_signal(
            to,
            Signal::Exit {
                from: id,
                reason: Owned::copy(reason),
                linked: true,
            },
        );
    };
    let down = |to: u64, reference: Owned| {
        let _ = send_signal(
            to,
            Signal::Down {
                from: id,
                reference,
                reason: Owned::copy(reason),
            },
        );
    };
    // Link and monitor requests that arrive at an exiting process get `noproc`, as in OTP.
    for sig in unapplied {
        match sig {
            Signal::Link { from } => {
                let _ = send_signal(
                    from,
                    Signal::Exit {
                        from: id,
                        reason: Owned::copy(Term::atom(Atom::NOPROC)),
                        linked: true,
                    },
                );
            }
            Signal::Monitor { from, reference } => {
                let _ = send_signal(
                    from,
                    Signal::Down {
                        from: id,
                        reference,
                        reason: Owned::copy(Term::atom(Atom::NOPROC)),
                    },
                );
            }
            _ => {}
        }
    }
    for l in p.links.take() {
        exit(l);
    }
    for (r, watcher) in p.monitored_by.take() {
        down(watcher, Owned::copy(r));
    }
    for (r, other, _) in p.monitors.take() {
        let _ = send_signal(
            other,
            Signal::Demonitor {
                reference: Owned::copy(r),
            },
        );
    }
    // Only now, after the signals above made their receivers runnable, may this process
    // stop counting as active (else an idle thread could see nothing active and stop).
    run::SHARED.active.fetch_sub(1, Ordering::SeqCst);
}

/// The exit reason of an uncaught exception, as OTP forms it.
pub fn exit_reason(p: &mut Process, class: Class, reason: Term, trace: Term) -> Term {
    match class {
        Class::Exit => reason,
        Class::Error => obj::tuple(&mut p.heap, &[reason, trace]),
        Class::Throw => {
            let nocatch = obj::tuple(&mut p.heap, &[Term::atom(Atom::NOCATCH), reason]);
            obj::tuple(&mut p.heap, &[nocatch, trace])
        }
    }
}

/// Reports a process that died of an uncaught error or throw: the process (still whole,
/// about to exit) and its exit value. Set once at boot.
pub type CrashReporter = fn(&mut Process, Term);

static CRASH_REPORTER: OnceLock<CrashReporter> = OnceLock::new();

/// Set how crashed processes are reported (girder's boot: OTP's logger report, printed by
/// an Erlang process through `user`). Without one, a plain report goes to standard error.
pub fn set_crash_reporter(f: CrashReporter) {
    let _ = CRASH_REPORTER.set(f);
}

/// OTP's error report for a process that died of an error or throw.
fn report_crash(p: &mut Process, value: Term) {
    if let Some(report) = CRASH_REPORTER.get() {
        return report(p, value);
    }
    eprintln!(
        "Error in process <0.{}.0> with exit value:\n{}\n",
        p.id,
        girder_term::convert::display(value),
    );
}

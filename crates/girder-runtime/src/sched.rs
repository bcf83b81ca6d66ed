//! Processes together: the process table, the run queue, message delivery, links,
//! monitors, exit signals, the registry and timers.
//!
//! This first scheduler runs every process on the one thread that calls [`run`], in
//! round-robin time slices of [`crate::interp::REDUCTIONS`]. Its state is thread-local; the
//! process that is running is taken out of the table, so BIFs get it as `&mut Process` and
//! reach every other process through the functions here. (Multi-core scheduling with work
//! stealing replaces this with per-thread run queues; the interface stays.)
//!
//! Messages are copied into the receiver's heap at send time (allocation never collects, and
//! a process that is not running can be allocated on), so a message queue is just terms
//! that the GC treats as roots.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use girder_term::heap::LiteralArea;
use girder_term::object as obj;
use girder_term::{Atom, Term, copy::copy_term};

use crate::exception::Class;
use crate::interp::{self, Outcome};
use crate::module::Export;
use crate::process::Process;

/// What a timer does when it fires.
enum TimerAction {
    /// Wake a process waiting in `receive ... after`.
    Receive(u64),
    /// Deliver a message (`erlang:send_after/3`, `start_timer/3`).
    Send {
        to: u64,
        msg: Term,
        area: LiteralArea,
    },
}

struct Timer {
    at: Instant,
    id: u64,
    action: TimerAction,
}

impl PartialEq for Timer {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.id) == (o.at, o.id)
    }
}
impl Eq for Timer {}
impl PartialOrd for Timer {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Timer {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.at, self.id).cmp(&(o.at, o.id))
    }
}

#[derive(Default)]
struct Sched {
    /// Every live process except the one running.
    procs: HashMap<u64, Box<Process>>,
    run_queue: VecDeque<u64>,
    /// Processes in the run queue or running (so a wake-up does not queue one twice).
    runnable: std::collections::HashSet<u64>,
    next_id: u64,
    registry: HashMap<Atom, u64>,
    timers: BinaryHeap<Reverse<Timer>>,
    cancelled: std::collections::HashSet<u64>,
    next_timer: u64,
}

thread_local! {
    static SCHED: RefCell<Sched> = RefCell::new(Sched { next_id: 1, ..Default::default() });
}

fn with<R>(f: impl FnOnce(&mut Sched) -> R) -> R {
    SCHED.with(|s| f(&mut s.borrow_mut()))
}

/// A fresh process number.
pub fn new_id() -> u64 {
    with(|s| {
        let id = s.next_id;
        s.next_id += 1;
        id
    })
}

/// Make `p` known to the scheduler and runnable.
pub fn add(p: Box<Process>) {
    with(|s| {
        let id = p.id;
        s.procs.insert(id, p);
        if s.runnable.insert(id) {
            s.run_queue.push_back(id);
        }
    });
}

/// Spawn `export(args)` (terms from `from`'s heap are copied); its pid.
pub fn spawn(
    from: &mut Process,
    export: &'static Export,
    args: &[Term],
    link: bool,
) -> Result<Term, String> {
    let mut p = Box::new(Process::new(new_id()));
    let copied: Vec<Term> = args.iter().map(|a| copy_term(*a, &mut p.heap)).collect();
    p.start_call(export, &copied)?;
    if link {
        p.links.push(from.id);
        from.links.push(p.id);
    }
    let pid = p.pid();
    add(p);
    Ok(pid)
}

/// Spawn a call of the fun `f` with no arguments.
pub fn spawn_fun(from: &mut Process, f: Term, link: bool) -> Result<Term, String> {
    let mut p = Box::new(Process::new(new_id()));
    let f = copy_term(f, &mut p.heap);
    p.start_fun(f)?;
    if link {
        p.links.push(from.id);
        from.links.push(p.id);
    }
    let pid = p.pid();
    add(p);
    Ok(pid)
}

/// Whether process `id` is alive (the running one counts).
pub fn is_alive(current: &Process, id: u64) -> bool {
    id == current.id || with(|s| s.procs.contains_key(&id))
}

fn wake(s: &mut Sched, id: u64) {
    if s.procs.contains_key(&id) && s.runnable.insert(id) {
        s.run_queue.push_back(id);
    }
}

/// Send `msg` (a term of `from`'s heap) to process `to`. Sending to a dead process does
/// nothing, as in OTP.
pub fn send(from: &mut Process, to: u64, msg: Term) {
    if to == from.id {
        from.msgs.push(msg);
        return;
    }
    with(|s| {
        if let Some(target) = s.procs.get_mut(&to) {
            let copy = copy_term(msg, &mut target.heap);
            target.msgs.push(copy);
            wake(s, to);
        }
    });
}

/// The pid registered as `name`.
pub fn whereis(current: &Process, name: Atom) -> Option<u64> {
    if current.name == Some(name) {
        return Some(current.id);
    }
    with(|s| s.registry.get(&name).copied())
}

/// Register `current` or another process under `name`; false if taken or already named.
pub fn register(current: &mut Process, name: Atom, id: u64) -> bool {
    with(|s| {
        if s.registry.contains_key(&name) {
            return false;
        }
        if id == current.id {
            if current.name.is_some() {
                return false;
            }
            current.name = Some(name);
        } else {
            match s.procs.get_mut(&id) {
                Some(p) if p.name.is_none() => p.name = Some(name),
                _ => return false,
            }
        }
        s.registry.insert(name, id);
        true
    })
}

/// Remove a registered name; false if it was not registered.
pub fn unregister(current: &mut Process, name: Atom) -> bool {
    with(|s| match s.registry.remove(&name) {
        Some(id) => {
            if id == current.id {
                current.name = None;
            } else if let Some(p) = s.procs.get_mut(&id) {
                p.name = None;
            }
            true
        }
        None => false,
    })
}

/// Every registered name.
pub fn registered() -> Vec<Atom> {
    with(|s| s.registry.keys().copied().collect())
}

/// Every live process number, the running one included.
pub fn processes(current: &Process) -> Vec<u64> {
    let mut ids: Vec<u64> = with(|s| s.procs.keys().copied().collect());
    ids.push(current.id);
    ids.sort_unstable();
    ids
}

/// Link `current` and `other`; false if `other` is dead.
pub fn link(current: &mut Process, other: u64) -> bool {
    if other == current.id {
        return true;
    }
    with(|s| match s.procs.get_mut(&other) {
        Some(p) => {
            if !p.links.contains(&current.id) {
                p.links.push(current.id);
            }
            if !current.links.contains(&other) {
                current.links.push(other);
            }
            true
        }
        None => false,
    })
}

/// Remove a link, if any.
pub fn unlink(current: &mut Process, other: u64) {
    current.links.retain(|&l| l != other);
    with(|s| {
        if let Some(p) = s.procs.get_mut(&other) {
            p.links.retain(|&l| l != current.id);
        }
    });
}

/// Monitor `other` with reference `reference`; when it is already dead the `DOWN` message
/// (reason `noproc`) arrives at once.
pub fn monitor(current: &mut Process, other: u64, reference: Term, target: Term) {
    let alive = with(|s| match s.procs.get_mut(&other) {
        Some(p) => {
            let r = copy_term(reference, &mut p.heap);
            p.monitored_by.push((r, current.id));
            true
        }
        None => false,
    });
    if alive {
        current.monitors.push((reference, other));
    } else {
        let down = down_message(current, reference, target, Term::atom(Atom::NOPROC));
        current.msgs.push(down);
    }
}

/// Stop monitoring; true if the monitor was active.
pub fn demonitor(current: &mut Process, reference: Term) -> bool {
    let Some(i) = current
        .monitors
        .iter()
        .position(|(r, _)| girder_term::compare::eq_exact(*r, reference))
    else {
        return false;
    };
    let (_, other) = current.monitors.remove(i);
    with(|s| {
        if let Some(p) = s.procs.get_mut(&other) {
            p.monitored_by
                .retain(|(r, _)| !girder_term::compare::eq_exact(*r, reference));
        }
    });
    true
}

fn down_message(p: &mut Process, reference: Term, target: Term, reason: Term) -> Term {
    let down = Term::atom(Atom::intern("DOWN"));
    let process = Term::atom(Atom::intern("process"));
    obj::tuple(&mut p.heap, &[down, reference, process, target, reason])
}

/// Start a timer that wakes `p` for its `receive ... after`.
fn arm_receive_timer(s: &mut Sched, p: &Process) {
    if let Some(at) = p.deadline {
        let id = s.next_timer;
        s.next_timer += 1;
        s.timers.push(Reverse(Timer {
            at,
            id,
            action: TimerAction::Receive(p.id),
        }));
    }
}

/// `erlang:send_after(Ms, Pid, Msg)`: the timer's number.
pub fn send_after(from: &Process, ms: u64, to: u64, msg: Term) -> u64 {
    let mut area = LiteralArea::new();
    let msg = copy_term(msg, &mut area);
    let _ = from;
    with(|s| {
        let id = s.next_timer;
        s.next_timer += 1;
        let at = Instant::now() + Duration::from_millis(ms);
        s.timers.push(Reverse(Timer {
            at,
            id,
            action: TimerAction::Send { to, msg, area },
        }));
        id
    })
}

/// Cancel a timer; the milliseconds it had left, if it was still pending.
pub fn cancel_timer(id: u64) -> Option<u64> {
    with(|s| {
        let left = s
            .timers
            .iter()
            .find(|Reverse(t)| t.id == id && matches!(t.action, TimerAction::Send { .. }))?;
        let ms = left
            .0
            .at
            .saturating_duration_since(Instant::now())
            .as_millis() as u64;
        s.cancelled.insert(id);
        Some(ms)
    })
}

/// Fire every due timer; how long until the next one.
fn fire_timers(s: &mut Sched) -> Option<Duration> {
    let now = Instant::now();
    while let Some(Reverse(t)) = s.timers.peek() {
        if t.at > now {
            return Some(t.at - now);
        }
        let Reverse(t) = s.timers.pop().expect("peeked");
        if s.cancelled.remove(&t.id) {
            continue;
        }
        match t.action {
            TimerAction::Receive(id) => {
                if let Some(p) = s.procs.get_mut(&id)
                    && p.deadline.is_some_and(|d| d <= now)
                {
                    p.timed_out = true;
                    wake(s, id);
                }
            }
            TimerAction::Send { to, msg, area } => {
                if let Some(p) = s.procs.get_mut(&to) {
                    let copy = copy_term(msg, &mut p.heap);
                    p.msgs.push(copy);
                    wake(s, to);
                }
                drop(area);
            }
        }
    }
    None
}

/// Deliver the exit signal of `from` (exiting with `reason`, a term of `from`'s heap)
/// to `to`. Returns processes that must exit in turn.
fn exit_signal(
    s: &mut Sched,
    from: &mut Process,
    to: u64,
    reason: Term,
    linked: bool,
) -> Option<(u64, Term)> {
    let target = s.procs.get_mut(&to)?;
    if linked {
        target.links.retain(|&l| l != from.id);
    }
    let normal = reason.as_atom() == Some(Atom::NORMAL);
    let kill = !linked && reason.as_atom() == Some(Atom::KILL);
    if target.trap_exit && !kill {
        let r = copy_term(reason, &mut target.heap);
        let msg = obj::tuple(
            &mut target.heap,
            &[Term::atom(Atom::EXIT_UPPER), from.pid(), r],
        );
        target.msgs.push(msg);
        wake(s, to);
        None
    } else if normal {
        None
    } else {
        let r = if kill {
            Term::atom(Atom::KILLED)
        } else {
            reason
        };
        Some((to, r))
    }
}

/// Send an exit signal from the running process to `to` (`exit/2`). When the target is the
/// caller itself and it must exit, the reason it exits with.
pub fn exit_to(current: &mut Process, to: u64, reason: Term) -> Option<Term> {
    if to == current.id {
        if reason.as_atom() == Some(Atom::KILL) {
            return Some(Term::atom(Atom::KILLED));
        }
        if current.trap_exit {
            let pid = current.pid();
            let msg = obj::tuple(
                &mut current.heap,
                &[Term::atom(Atom::EXIT_UPPER), pid, reason],
            );
            current.msgs.push(msg);
            return None;
        }
        return Some(reason);
    }
    let victims = with(|s| exit_signal(s, current, to, reason, false));
    if let Some((id, r)) = victims {
        terminate(current, id, r);
    }
    None
}

/// Terminate process `id` (not the running one) with `reason` (a term of `src`'s heap).
fn terminate(src: &mut Process, id: u64, reason: Term) {
    let victim = with(|s| {
        s.runnable.remove(&id);
        s.run_queue.retain(|&q| q != id);
        s.procs.remove(&id)
    });
    if let Some(mut p) = victim {
        let r = copy_term(reason, &mut p.heap);
        exited(&mut p, r);
    }
    let _ = src;
}

/// Clean up after process `p` exited with `reason` (a term of its heap): unregister it,
/// signal its links, notify its monitors.
fn exited(p: &mut Process, reason: Term) {
    if let Some(hook) = EXIT_HOOK.get() {
        hook(p);
    }
    if let Some(name) = p.name.take() {
        with(|s| s.registry.remove(&name));
    }
    let pid = p.pid();
    for (r, watcher) in std::mem::take(&mut p.monitored_by) {
        with(|s| {
            if let Some(w) = s.procs.get_mut(&watcher) {
                w.monitors
                    .retain(|(m, _)| !girder_term::compare::eq_exact(*m, r));
                let r = copy_term(r, &mut w.heap);
                let reason = copy_term(reason, &mut w.heap);
                let msg = down_message(w, r, pid, reason);
                w.msgs.push(msg);
                wake(s, watcher);
            }
        });
    }
    for (r, other) in std::mem::take(&mut p.monitors) {
        with(|s| {
            if let Some(o) = s.procs.get_mut(&other) {
                o.monitored_by
                    .retain(|(m, _)| !girder_term::compare::eq_exact(*m, r));
            }
        });
    }
    let mut cascade = Vec::new();
    for l in std::mem::take(&mut p.links) {
        if let Some(v) = with(|s| exit_signal(s, p, l, reason, true)) {
            cascade.push(v);
        }
    }
    for (id, r) in cascade {
        terminate(p, id, r);
    }
}

/// Called first when a process exits (ETS gives its tables away or deletes them).
static EXIT_HOOK: std::sync::OnceLock<fn(&mut Process)> = std::sync::OnceLock::new();

/// Install the process-exit hook (once; later calls are ignored).
pub fn set_exit_hook(hook: fn(&mut Process)) {
    let _ = EXIT_HOOK.set(hook);
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

/// Run every process until the VM halts (the status) or nothing can ever run again
/// (`None`: every process waits for a message no one will send, and no timer is pending).
pub fn run(
    boot: u64,
    mut on_boot: impl FnMut(&mut Process, BootEvent) -> BootControl,
) -> Result<Option<i32>, String> {
    loop {
        let next = with(|s| {
            let wait = fire_timers(s);
            match s.run_queue.pop_front() {
                Some(id) => Ok(s.procs.remove(&id).map(|p| (id, p))),
                None => Err(wait),
            }
        });
        let (id, mut p) = match next {
            Ok(Some(x)) => x,
            Ok(None) => continue,
            Err(Some(wait)) => {
                std::thread::sleep(wait);
                continue;
            }
            Err(None) => return Ok(None),
        };
        let outcome = interp::run(&mut p);
        match outcome {
            Outcome::Yield => with(|s| {
                s.procs.insert(id, p);
                s.run_queue.push_back(id);
            }),
            Outcome::Wait => with(|s| {
                s.runnable.remove(&id);
                arm_receive_timer(s, &p);
                let ready = p.recv_pos < p.msgs.len() || p.timed_out;
                s.procs.insert(id, p);
                if ready {
                    wake(s, id);
                }
            }),
            Outcome::Returned(v) if id == boot => match on_boot(&mut p, BootEvent::Returned(v)) {
                BootControl::Continue => with(|s| {
                    s.procs.insert(id, p);
                    s.run_queue.push_back(id);
                }),
                BootControl::Done => with(|s| {
                    s.runnable.remove(&id);
                    s.procs.insert(id, p);
                }),
                BootControl::Stop(n) => return Ok(Some(n)),
            },
            Outcome::Raised {
                class,
                reason,
                trace,
            } if id == boot => {
                match on_boot(
                    &mut p,
                    BootEvent::Raised {
                        class,
                        reason,
                        trace,
                    },
                ) {
                    BootControl::Stop(n) => return Ok(Some(n)),
                    _ => {
                        with(|s| s.runnable.remove(&id));
                        let r = exit_reason(&mut p, class, reason, trace);
                        exited(&mut p, r);
                    }
                }
            }
            Outcome::Returned(_) => {
                with(|s| s.runnable.remove(&id));
                exited(&mut p, Term::atom(Atom::NORMAL));
            }
            Outcome::Raised {
                class,
                reason,
                trace,
            } => {
                with(|s| s.runnable.remove(&id));
                if class == Class::Error {
                    report_crash(&p, reason, trace);
                }
                let r = exit_reason(&mut p, class, reason, trace);
                exited(&mut p, r);
            }
            Outcome::Halt(n) => return Ok(Some(n)),
            Outcome::Fault(msg) => return Err(msg),
        }
    }
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

/// OTP's error report for a process that died of an error.
fn report_crash(p: &Process, reason: Term, trace: Term) {
    eprintln!(
        "=ERROR REPORT==== {} ===\nError in process <0.{}.0> with exit value:\n{{{},{}}}\n",
        chrono_like_now(),
        p.id,
        girder_term::convert::display(reason),
        girder_term::convert::display(trace)
    );
}

/// A timestamp for reports (seconds since the epoch; OTP prints local time).
fn chrono_like_now() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}.{:06}", d.as_secs(), d.subsec_micros())
}

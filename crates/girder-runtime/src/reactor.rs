//! The I/O reactor: one poller thread (epoll, through the `polling` crate) that waits on
//! every file descriptor the VM reads or writes without blocking a scheduler thread (ports
//! today, sockets later).
//!
//! A user registers a descriptor with a [`Source`] (its owner: a port, a socket) and the
//! readiness it wants. Registrations are one-shot: when the descriptor is ready, the reactor
//! thread calls [`Source::ready`] once and forgets the interest until the owner asks again
//! with [`rearm`]. `ready` runs on the reactor thread: it does the non-blocking I/O and
//! hands results to processes as signals (`sched::deliver`), never runs Erlang code, and
//! must not block. The owner keeps the descriptor open until it has called [`deregister`].
//!
//! Timers: a source may also ask for a call at a given instant ([`add_timer`],
//! [`arm_timer`]): the reactor thread waits until the earliest armed one and calls
//! [`Source::ready`] with the timer's key (readable). One heap of deadlines serves every
//! timer, so a socket's timeouts cost no descriptor (a timerfd each would double the
//! descriptors a busy server needs).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::os::fd::{BorrowedFd, RawFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Instant;

use polling::{Event, Events, Poller};

/// Who is told when a registered descriptor is ready.
pub trait Source: Send + Sync {
    /// Descriptor `key` is readable and/or writable (or hung up / in error, which shows as
    /// readable: the next read says what happened).
    fn ready(&self, key: usize, readable: bool, writable: bool);
}

/// What to wait for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interest {
    pub read: bool,
    pub write: bool,
}

impl Interest {
    pub const READ: Interest = Interest {
        read: true,
        write: false,
    };
    pub const WRITE: Interest = Interest {
        read: false,
        write: true,
    };
}

type Registration = (Arc<dyn Source>, bool);

struct Reactor {
    poller: Poller,
    /// Each registration's source, and whether it is live (see [`register`]).
    sources: Mutex<HashMap<usize, Registration>>,
    next_key: AtomicUsize,
    timers: Mutex<Timers>,
}

/// Armed timers: the deadlines, earliest first (entries whose generation is no longer the
/// timer's are stale and skipped), and each armed timer's current generation.
#[derive(Default)]
struct Timers {
    heap: BinaryHeap<Reverse<(Instant, usize, u64)>>,
    armed: HashMap<usize, u64>,
    next_gen: u64,
}

impl Timers {
    /// The earliest live deadline, dropping stale entries on the way.
    fn earliest(&mut self) -> Option<Instant> {
        while let Some(Reverse((when, key, generation))) = self.heap.peek().copied() {
            if self.armed.get(&key) == Some(&generation) {
                return Some(when);
            }
            self.heap.pop();
        }
        None
    }
}

/// Registrations that may still bring input (see [`registered`]).
static LIVE: AtomicUsize = AtomicUsize::new(0);

static REACTOR: LazyLock<Option<Arc<Reactor>>> = LazyLock::new(|| {
    let poller = Poller::new().ok()?;
    let r = Arc::new(Reactor {
        poller,
        sources: Mutex::new(HashMap::new()),
        next_key: AtomicUsize::new(1),
        timers: Mutex::new(Timers::default()),
    });
    let thread_r = r.clone();
    std::thread::Builder::new()
        .name("poller".into())
        .spawn(move || poll_loop(&thread_r))
        .ok()?;
    Some(r)
});

fn reactor() -> std::io::Result<&'static Arc<Reactor>> {
    REACTOR
        .as_ref()
        .ok_or_else(|| std::io::Error::other("cannot start the poller thread"))
}

fn poll_loop(r: &Reactor) {
    let mut events = Events::new();
    loop {
        events.clear();
        let next = r
            .timers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .earliest();
        let timeout = next.map(|t| t.saturating_duration_since(Instant::now()));
        // EINTR and the like: the timers are looked at, then it waits again.
        let _ = r.poller.wait(&mut events, timeout);
        fire_timers(r);
        for ev in events.iter() {
            let source = r
                .sources
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&ev.key)
                .map(|(s, _)| s.clone());
            if let Some(s) = source {
                s.ready(ev.key, ev.readable, ev.writable);
            }
        }
    }
}

/// Call the sources of the timers that are due.
fn fire_timers(r: &Reactor) {
    let now = Instant::now();
    let mut due = Vec::new();
    {
        let mut t = r.timers.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(when) = t.earliest() {
            if when > now {
                break;
            }
            if let Some(Reverse((_, key, _))) = t.heap.pop() {
                t.armed.remove(&key);
                due.push(key);
            }
        }
    }
    for key in due {
        let source = r
            .sources
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .map(|(s, _)| s.clone());
        if let Some(s) = source {
            s.ready(key, true, false);
        }
    }
}

/// A new timer for `source`, not armed yet; its key.
pub fn add_timer(source: Arc<dyn Source>) -> std::io::Result<usize> {
    let r = reactor()?;
    let key = r.next_key.fetch_add(1, Ordering::Relaxed);
    r.sources
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, (source, false));
    Ok(key)
}

/// Arm timer `key` for `when` (once: it is disarmed when it fires), or disarm it.
pub fn arm_timer(key: usize, when: Option<Instant>) {
    let Ok(r) = reactor() else {
        return;
    };
    let wake = {
        let mut t = r.timers.lock().unwrap_or_else(|e| e.into_inner());
        match when {
            None => {
                t.armed.remove(&key);
                false
            }
            Some(when) => {
                let before = t.earliest();
                t.next_gen += 1;
                let generation = t.next_gen;
                t.armed.insert(key, generation);
                t.heap.push(Reverse((when, key, generation)));
                before.is_none_or(|b| when < b)
            }
        }
    };
    // The reactor thread may be waiting for a later deadline, or for none.
    if wake {
        let _ = r.poller.notify();
    }
}

/// Forget timer `key`.
pub fn remove_timer(key: usize) {
    let Ok(r) = reactor() else {
        return;
    };
    r.timers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .armed
        .remove(&key);
    forget(r, key);
}

fn event(key: usize, i: Interest) -> Event {
    match (i.read, i.write) {
        (true, true) => Event::all(key),
        (true, false) => Event::readable(key),
        (false, true) => Event::writable(key),
        (false, false) => Event::none(key),
    }
}

/// Wait for `fd` to become ready as `interest` says, telling `source`; the registration's
/// key. The caller keeps `fd` open until it calls [`deregister`]. `live`: whether what
/// arrives through it can make a process runnable (input for a process), which keeps the
/// VM from concluding that nothing can ever run again (see [`registered`]).
pub fn register(
    fd: RawFd,
    interest: Interest,
    source: Arc<dyn Source>,
    live: bool,
) -> std::io::Result<usize> {
    let r = reactor()?;
    let key = r.next_key.fetch_add(1, Ordering::Relaxed);
    r.sources
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, (source, live));
    if live {
        LIVE.fetch_add(1, Ordering::SeqCst);
    }
    // SAFETY: the caller keeps `fd` open until `deregister` removes it from the poller.
    let added = unsafe { r.poller.add(fd, event(key, interest)) };
    if let Err(e) = added {
        forget(r, key);
        return Err(e);
    }
    Ok(key)
}

/// Wait again (registrations are one-shot) for registration `key` of `fd`.
pub fn rearm(key: usize, fd: RawFd, interest: Interest) -> std::io::Result<()> {
    let r = reactor()?;
    // SAFETY: `fd` is registered, so its owner keeps it open (see `register`).
    let fd = unsafe { BorrowedFd::borrow_raw(fd) };
    r.poller.modify(fd, event(key, interest))
}

/// Stop watching `fd` (before closing it).
pub fn deregister(key: usize, fd: RawFd) {
    let Ok(r) = reactor() else {
        return;
    };
    // SAFETY: `fd` is still open: its owner closes it only after this call.
    let bfd = unsafe { BorrowedFd::borrow_raw(fd) };
    let _ = r.poller.delete(bfd);
    forget(r, key);
}

fn forget(r: &Reactor, key: usize) {
    let removed = r
        .sources
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&key);
    if let Some((_, true)) = removed {
        LIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Count one more source of input outside the poller (a thread blocked reading a
/// descriptor epoll cannot watch, as a regular file), live as a live registration is;
/// [`release_live`] ends it.
pub fn hold_live() {
    LIVE.fetch_add(1, Ordering::SeqCst);
}

/// End what [`hold_live`] counted.
pub fn release_live() {
    LIVE.fetch_sub(1, Ordering::SeqCst);
}

/// Live registrations (see [`register`]): while there are any, input may still arrive for
/// some process, so the scheduler does not conclude that nothing can ever run again.
pub fn registered() -> usize {
    LIVE.load(Ordering::SeqCst)
}

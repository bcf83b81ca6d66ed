//! Timers: `receive ... after` deadlines and `erlang:send_after`/`start_timer`.
//!
//! One timing wheel (`wheel.rs`, millisecond ticks as OTP's timers have) for the whole VM
//! behind a lock; every scheduler thread fires the due timers between time slices, and an
//! atomic copy of the earliest deadline keeps that check lock-free when nothing is due.
//! (One wheel per scheduler thread would spare the lock.)

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use super::table::{Owned, Signal};
use super::wheel::Wheel;

/// What a timer does when it fires.
enum Action {
    /// Wake a process waiting in `receive ... after`.
    Receive(u64),
    /// Deliver a message (`erlang:send_after/3`, `start_timer/3`).
    Send { to: u64, msg: Owned },
    /// Deliver a message to the process registered under this name, if any, when the timer
    /// fires (`send_after` to a name).
    SendNamed { name: girder_term::Atom, msg: Owned },
}

struct Timers {
    wheel: Wheel,
    /// Pending timers by number (a cancelled one is removed here and skipped when its tick
    /// comes).
    pending: HashMap<u64, (Instant, Action)>,
    next_id: u64,
}

impl Default for Timers {
    fn default() -> Timers {
        Timers {
            wheel: Wheel::new(0),
            pending: HashMap::new(),
            next_id: 0,
        }
    }
}

static TIMERS: LazyLock<Mutex<Timers>> = LazyLock::new(Mutex::default);
static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);
/// Nanoseconds after `EPOCH` of the earliest pending timer, `u64::MAX` if none.
static NEXT_DUE: AtomicU64 = AtomicU64::new(u64::MAX);

fn nanos(at: Instant) -> u64 {
    at.saturating_duration_since(*EPOCH).as_nanos() as u64
}

fn lock() -> std::sync::MutexGuard<'static, Timers> {
    TIMERS.lock().unwrap_or_else(|e| e.into_inner())
}

/// The tick (milliseconds after `EPOCH`, rounded up) a deadline falls in.
fn tick_of(at: Instant) -> u64 {
    nanos(at).div_ceil(1_000_000)
}

fn update_next_due(t: &Timers) {
    let due = t
        .wheel
        .next_tick()
        .map_or(u64::MAX, |tick| tick * 1_000_000);
    // SeqCst (Relaxed would do: it is written under the lock, and a stale value only makes
    // `fire_due` take the lock for nothing or a sleeping thread wake up to 50 ms late, as
    // its wait is capped).
    NEXT_DUE.store(due, Ordering::SeqCst);
}

fn add(at: Instant, action: Action) -> u64 {
    let mut t = lock();
    t.next_id += 1;
    let id = t.next_id;
    t.wheel.insert(tick_of(at), id);
    t.pending.insert(id, (at, action));
    // SeqCst: a hint, see `update_next_due`.
    NEXT_DUE.fetch_min(tick_of(at) * 1_000_000, Ordering::SeqCst);
    id
}

/// A timer number for [`add_with_id`].
pub fn reserve_id() -> u64 {
    let mut t = lock();
    t.next_id += 1;
    t.next_id
}

/// A message timer with a number from [`reserve_id`].
pub fn add_with_id(id: u64, ms: u64, to: Result<u64, girder_term::Atom>, msg: Owned) {
    let at = Instant::now() + Duration::from_millis(ms);
    let action = match to {
        Ok(to) => Action::Send { to, msg },
        Err(name) => Action::SendNamed { name, msg },
    };
    let mut t = lock();
    t.wheel.insert(tick_of(at), id);
    t.pending.insert(id, (at, action));
    // SeqCst: a hint, see `update_next_due`.
    NEXT_DUE.fetch_min(tick_of(at) * 1_000_000, Ordering::SeqCst);
}

/// Wake process `id` at `at` (its `receive ... after` deadline).
pub fn arm_receive(id: u64, at: Instant) {
    add(at, Action::Receive(id));
}

/// Deliver `msg` to process `to` after `ms` milliseconds; the timer's number.
pub fn send_after(ms: u64, to: u64, msg: Owned) -> u64 {
    add(
        Instant::now() + Duration::from_millis(ms),
        Action::Send { to, msg },
    )
}

/// Deliver `msg` to whoever is registered as `name` after `ms` milliseconds.
pub fn send_after_named(ms: u64, name: girder_term::Atom, msg: Owned) -> u64 {
    add(
        Instant::now() + Duration::from_millis(ms),
        Action::SendNamed { name, msg },
    )
}

/// Milliseconds left on message timer `id`, if it is pending.
pub fn read(id: u64) -> Option<u64> {
    let t = lock();
    let (at, action) = t.pending.get(&id)?;
    if matches!(action, Action::Receive(_)) {
        return None;
    }
    Some(at.saturating_duration_since(Instant::now()).as_millis() as u64)
}

/// Cancel message timer `id`; the milliseconds it had left, if it was pending.
pub fn cancel(id: u64) -> Option<u64> {
    let left = read(id)?;
    lock().pending.remove(&id);
    Some(left)
}

/// True when no timer is pending and `idle()` holds, both seen at one instant: under the
/// timers' lock, which [`fire_due`] holds while it moves due timers out of `pending` and
/// counts them in `active`, and [`add`] while it arms one.
/// Reading the two separately races: a thread could see no activity, then no timer because
/// another thread had just fired the last one and delivered it (`active` up, then down
/// again once the woken process waits on a new timer), and stop a VM that still has work.
pub fn none_pending_and(idle: impl FnOnce() -> bool) -> bool {
    let t = lock();
    t.pending.is_empty() && idle()
}

/// How long until the next timer, if any.
pub fn next_due_in() -> Option<Duration> {
    // SeqCst: a hint, see `update_next_due` (only bounds a sleep).
    let due = NEXT_DUE.load(Ordering::SeqCst);
    (due != u64::MAX).then(|| Duration::from_nanos(due.saturating_sub(nanos(Instant::now()))))
}

/// Fire every due timer.
pub fn fire_due() {
    let now = Instant::now();
    // SeqCst: a hint, see `update_next_due`; the wheel, under the lock, decides.
    if NEXT_DUE.load(Ordering::SeqCst) > nanos(now) {
        return;
    }
    let mut due = Vec::new();
    {
        let mut t = lock();
        let mut ids = Vec::new();
        t.wheel.advance(nanos(now) / 1_000_000, &mut ids);
        for id in ids {
            if let Some((_, action)) = t.pending.remove(&id) {
                due.push(action);
            }
        }
        // Until they are delivered, fired timers count as activity: an idle thread must not
        // conclude that nothing can run while no timer is pending and no process queued.
        // SeqCst, under the lock: see `none_pending_and`.
        super::run::SHARED
            .active
            .fetch_add(due.len(), Ordering::SeqCst);
        update_next_due(&t);
    }
    let fired = due.len();
    for action in due {
        match action {
            Action::Receive(id) => {
                let _ = super::send_signal(id, Signal::Timeout);
            }
            Action::Send { to, msg } => super::deliver_owned(to, msg),
            Action::SendNamed { name, msg } => {
                let to = super::table::registry().by_name.get(&name).copied();
                if let Some(to) = to {
                    super::deliver_owned(to, msg);
                }
            }
        }
    }
    // After the deliveries, which counted the woken processes in `active` first: `active`
    // only reaches 0 when nothing runs (SeqCst like every access to `active`, which also
    // makes one total order of its changes; every reader that decides on it holds a lock).
    super::run::SHARED.active.fetch_sub(fired, Ordering::SeqCst);
}

//! Scheduler threads and their run queues.
//!
//! `+S N` threads (default: one per core). Each has a FIFO run queue per priority level
//! (max, high, normal and low share one) and steals from the others when its own are empty;
//! processes made runnable from outside any scheduler thread go to a global injector. An
//! idle thread sleeps on a condition variable until work is queued or a timer is due.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, LazyLock, Mutex, OnceLock};
use std::time::Duration;

use crossbeam_deque::{Injector, Steal, Stealer, Worker};

use super::table::{self, Priority, State};

/// Run-queue levels: max, high, normal (with low).
const LEVELS: usize = 3;

/// How often a runnable low-priority process is passed over for normal ones before it runs
/// (OTP runs low-priority processes less often than normal ones, but runs them).
const LOW_SKIPS: u8 = 8;

fn level(p: Priority) -> usize {
    match p {
        Priority::Max => 0,
        Priority::High => 1,
        Priority::Normal | Priority::Low => 2,
    }
}

pub(super) struct Shared {
    injector: [Injector<u64>; LEVELS],
    stealers: OnceLock<Vec<[Stealer<u64>; LEVELS]>>,
    /// Scheduler threads asleep (or about to be).
    idle: AtomicUsize,
    sleep: Mutex<()>,
    wake: Condvar,
    /// Processes queued or running: when none are and no timer is pending, nothing can
    /// ever run again.
    pub(super) active: AtomicUsize,
    stopping: AtomicBool,
    /// How the VM stopped: a status, `None` when everything waits forever, or a fault.
    pub(super) result: Mutex<Option<Result<Option<i32>, String>>>,
    pub(super) threads: AtomicUsize,
    /// Scheduler threads allowed to run processes (`schedulers_online`); the others sleep,
    /// and their queued processes are stolen by the online ones.
    pub(super) online: AtomicUsize,
}

pub(super) static SHARED: LazyLock<Shared> = LazyLock::new(|| Shared {
    injector: [Injector::new(), Injector::new(), Injector::new()],
    stealers: OnceLock::new(),
    idle: AtomicUsize::new(0),
    sleep: Mutex::new(()),
    wake: Condvar::new(),
    active: AtomicUsize::new(0),
    stopping: AtomicBool::new(false),
    result: Mutex::new(None),
    threads: AtomicUsize::new(0),
    online: AtomicUsize::new(usize::MAX),
});

thread_local! {
    /// This scheduler thread's run queues (none outside scheduler threads).
    static LOCAL: RefCell<Option<[Worker<u64>; LEVELS]>> = const { RefCell::new(None) };
}

/// Queue process `id` (now in state `Queued`) to run.
pub(super) fn enqueue(id: u64, priority: Priority) {
    let l = level(priority);
    // Queued on this thread: worth waking another thread only when there is more than the
    // one process to run next (a message handed to a waiting process, as in a ring, runs
    // best right here once the sender is done; waking a thread to steal it costs more).
    let queued_here = LOCAL.with(|q| match &*q.borrow() {
        Some(w) => {
            w[l].push(id);
            Some(w.iter().map(Worker::len).sum::<usize>())
        }
        None => None,
    });
    match queued_here {
        Some(n) if n < 2 => {}
        Some(_) => notify(),
        None => {
            SHARED.injector[l].push(id);
            notify();
        }
    }
}

/// Wake one sleeping scheduler thread, if any sleeps.
fn notify() {
    // The queuer stores (the push above) then loads `idle`; a thread going to sleep stores
    // `idle` then loads the queues (`idle`). Neither a release store nor an acquire load
    // keeps a store before a later load (store buffers reorder them, on x86-64 too), and a
    // push into a worker's own deque is only a release store: without a SeqCst fence on
    // both sides, each could miss the other's store and the work waits for the sleeper's
    // timeout. With both fences, one of the two sees the other (the fences are totally
    // ordered). Exercised by tests/erlang/sched_stress.erl (also on aarch64 under qemu).
    std::sync::atomic::fence(Ordering::SeqCst);
    // SeqCst: the load half of the store-fence-load pattern above (Relaxed would do after
    // the fence; SeqCst states the intent).
    if SHARED.idle.load(Ordering::SeqCst) > 0 {
        let _g = SHARED.sleep.lock().unwrap_or_else(|e| e.into_inner());
        SHARED.wake.notify_one();
    }
}

/// Stop every scheduler thread; the first result given wins.
pub(super) fn stop(result: Result<Option<i32>, String>) {
    let mut r = SHARED.result.lock().unwrap_or_else(|e| e.into_inner());
    if r.is_none() {
        *r = Some(result);
    }
    // SeqCst (Release would do): the result it announces is read under its own lock.
    SHARED.stopping.store(true, Ordering::SeqCst);
    drop(r);
    let _g = SHARED.sleep.lock().unwrap_or_else(|e| e.into_inner());
    SHARED.wake.notify_all();
}

pub(super) fn stopping() -> bool {
    // SeqCst (Acquire would do): see `stop`. A thread that reads it late stops one slice
    // later; a sleeping one is woken by `stop` under the sleep lock.
    SHARED.stopping.load(Ordering::SeqCst)
}

/// The next process to run, if any is queued anywhere.
fn find_work(me: usize) -> Option<u64> {
    LOCAL.with(|q| {
        let q = q.borrow();
        let local = q.as_ref().expect("scheduler thread");
        let stealers = SHARED
            .stealers
            .get()
            .expect("stealers set before threads start");
        for l in 0..LEVELS {
            if let Some(id) = local[l].pop() {
                return Some(id);
            }
            loop {
                match SHARED.injector[l].steal_batch_and_pop(&local[l]) {
                    Steal::Success(id) => return Some(id),
                    Steal::Retry => continue,
                    Steal::Empty => break,
                }
            }
            for (i, s) in stealers.iter().enumerate() {
                if i == me {
                    continue;
                }
                loop {
                    match s[l].steal_batch_and_pop(&local[l]) {
                        Steal::Success(id) => return Some(id),
                        Steal::Retry => continue,
                        Steal::Empty => break,
                    }
                }
            }
        }
        None
    })
}

/// Processes waiting in each scheduler thread's run queues (the injector counted with the
/// first thread).
pub(super) fn queue_lengths() -> Vec<usize> {
    let Some(stealers) = SHARED.stealers.get() else {
        return vec![0];
    };
    let mut v: Vec<usize> = stealers
        .iter()
        .map(|s| s.iter().map(Stealer::len).sum())
        .collect();
    if let Some(first) = v.first_mut() {
        *first += SHARED.injector.iter().map(Injector::len).sum::<usize>();
    }
    v
}

/// Set how many scheduler threads run processes (at least one, at most all); the old count.
pub(super) fn set_online(n: usize) -> usize {
    // SeqCst (Relaxed would do): settings, each one value on its own; threads that are
    // asleep are woken below and read the new count.
    let threads = SHARED.threads.load(Ordering::SeqCst).max(1);
    let old = SHARED.online.swap(n.clamp(1, threads), Ordering::SeqCst);
    let _g = SHARED.sleep.lock().unwrap_or_else(|e| e.into_inner());
    SHARED.wake.notify_all();
    old.min(threads)
}

/// Scheduler threads that run processes.
pub(super) fn online() -> usize {
    // SeqCst (Relaxed would do): see `set_online`.
    let threads = SHARED.threads.load(Ordering::SeqCst).max(1);
    SHARED.online.load(Ordering::SeqCst).min(threads)
}

fn work_visible(me: usize) -> bool {
    let stealers = SHARED.stealers.get().expect("stealers set");
    (0..LEVELS).any(|l| {
        !SHARED.injector[l].is_empty()
            || stealers
                .iter()
                .enumerate()
                .any(|(i, s)| i != me && !s[l].is_empty())
    })
}

/// Sleep until work may be there. Detects the end: no process can run and no timer is
/// pending.
fn idle(me: usize) {
    let g = SHARED.sleep.lock().unwrap_or_else(|e| e.into_inner());
    // SeqCst, then a SeqCst fence before looking at the queues: the other half of the
    // store-fence-load pattern of `notify`.
    SHARED.idle.fetch_add(1, Ordering::SeqCst);
    std::sync::atomic::fence(Ordering::SeqCst);
    if stopping() || work_visible(me) {
        // SeqCst: as every access to `idle` (a count; only the pattern above needs order).
        SHARED.idle.fetch_sub(1, Ordering::SeqCst);
        return;
    }
    if super::timers::none_pending_and(|| {
        SHARED.active.load(Ordering::SeqCst) == 0 && crate::reactor::registered() == 0
    }) {
        SHARED.idle.fetch_sub(1, Ordering::SeqCst);
        drop(g);
        if std::env::var_os("GIRDER_SCHED_DEBUG").is_some() {
            eprintln!("idle stop: table has {} processes", table::count());
            for id in table::ids() {
                if let Some(s) = table::get(id) {
                    let g = s.lock();
                    eprintln!(
                        "  {id}: {:?} inbox {} proc {}",
                        g.state,
                        g.inbox.len(),
                        g.process.is_some()
                    );
                }
            }
        }
        stop(Ok(None));
        return;
    }
    release_free_memory();
    // Lost wake-ups cannot happen (a queuer that sees no idle thread queued before this
    // thread looked, see `notify`), but a timer may fall due: sleep at most until then.
    let wait = super::timers::next_due_in()
        .unwrap_or(Duration::from_millis(50))
        .min(Duration::from_millis(50));
    let _g = SHARED
        .wake
        .wait_timeout(g, wait)
        .unwrap_or_else(|e| e.into_inner());
    SHARED.idle.fetch_sub(1, Ordering::SeqCst);
}

/// One scheduler thread's loop, until the VM stops.
fn scheduler(me: usize, queues: [Worker<u64>; LEVELS]) {
    LOCAL.with(|q| *q.borrow_mut() = Some(queues));
    while !stopping() {
        // Relaxed: a setting; a thread that sees a change late runs (or sleeps) one more
        // slice, or 50 ms, before it follows.
        if me >= SHARED.online.load(Ordering::Relaxed) {
            let g = SHARED.sleep.lock().unwrap_or_else(|e| e.into_inner());
            let _g = SHARED
                .wake
                .wait_timeout(g, Duration::from_millis(50))
                .unwrap_or_else(|e| e.into_inner());
            continue;
        }
        super::timers::fire_due();
        let Some(id) = find_work(me) else {
            idle(me);
            continue;
        };
        let Some(slot) = table::get(id) else {
            continue;
        };
        // Relaxed: `priority` is a hint (see `make_runnable`); `low_skips` is touched only by
        // the thread that took the process from a queue, and the queues' own
        // synchronisation orders one such thread before the next.
        if Priority::from_u8(slot.priority.load(Ordering::Relaxed)) == Priority::Low
            && slot.low_skips.fetch_add(1, Ordering::Relaxed) < LOW_SKIPS
        {
            // Passed over this time: back to the end of the queue.
            LOCAL.with(|q| q.borrow().as_ref().expect("scheduler")[2].push(id));
            continue;
        }
        slot.low_skips.store(0, Ordering::Relaxed);
        debug_assert_eq!(slot.lock().state, State::Queued);
        super::run_slice(&slot);
    }
    LOCAL.with(|q| *q.borrow_mut() = None);
}

/// Run `threads` scheduler threads (this thread being the first) until the VM stops; how
/// it stopped.
pub(super) fn run_threads(threads: usize) -> Result<Option<i32>, String> {
    let threads = threads.max(1);
    // SeqCst (Relaxed would do): before any scheduler thread is spawned, which orders it
    // before everything those threads do.
    SHARED.threads.store(threads, Ordering::SeqCst);
    let queues: Vec<[Worker<u64>; LEVELS]> = (0..threads)
        .map(|_| [Worker::new_fifo(), Worker::new_fifo(), Worker::new_fifo()])
        .collect();
    let stealers = queues
        .iter()
        .map(|q| [q[0].stealer(), q[1].stealer(), q[2].stealer()])
        .collect();
    if SHARED.stealers.set(stealers).is_err() {
        return Err("the scheduler can only be started once".into());
    }
    let mut queues = queues.into_iter();
    let mine = queues.next().expect("at least one");
    for (i, q) in queues.enumerate() {
        // Threads are detached: when the VM stops, the process exits without waiting for a
        // thread that may be blocked (for example reading standard input).
        let spawned = std::thread::Builder::new()
            .name(format!("scheduler {}", i + 2))
            .stack_size(SCHEDULER_STACK)
            .spawn(move || scheduler(i + 1, q));
        if let Err(e) = spawned {
            return Err(format!("cannot start a scheduler thread: {e}"));
        }
    }
    scheduler(0, mine);
    SHARED
        .result
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or(Ok(None))
}

/// Stack of each extra scheduler thread: the interpreter does not recurse per Erlang call,
/// but some BIFs walk deep terms recursively; this matches the main thread's usual 8 MiB.
const SCHEDULER_STACK: usize = 8 << 20;

/// When a scheduler thread goes idle, hand memory freed since the last time back to the
/// system (at most once a second): process heaps freed on one thread and allocated on another
/// otherwise stay in glibc's per-thread arenas, and a VM that spawned a million processes
/// would keep their high-water mark.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::sync::atomic::AtomicU64;
        static LAST: AtomicU64 = AtomicU64::new(0);
        static EPOCH: LazyLock<std::time::Instant> = LazyLock::new(std::time::Instant::now);
        let now = EPOCH.elapsed().as_millis() as u64 + 1000;
        // Relaxed: a time stamp on its own; the compare-and-swap makes one thread win, and
        // a stale value only delays or repeats a harmless malloc_trim.
        let last = LAST.load(Ordering::Relaxed);
        if now - last >= 1000
            && LAST
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            // SAFETY: malloc_trim only returns unused memory of the allocator's arenas to
            // the system; it is thread-safe and touches no memory in use.
            unsafe {
                libc::malloc_trim(0);
            }
        }
    }
}

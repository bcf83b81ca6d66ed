//! `erlang:system_info/1` and `erlang:system_flag/2`: what the VM says about itself and the
//! few settings it lets a program change.
//!
//! girder reports the OTP release it is compatible with (25, ERTS 13.1.5) and, for
//! everything else, itself: its scheduler threads (`+S`), no dirty schedulers, no async thread pool, the interpreter (`emu`),
//! and the machine it runs on. A key girder does not know is `badarg`, as an unknown key is
//! in OTP.

use girder_runtime::bif::{BifError, BifResult};
use girder_runtime::{Process, interp, sched, trace};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;
use crate::util::charlist;

pub const BIFS: &[Entry] = &[
    ("erlang", "system_info", 1, system_info),
    ("erlang", "system_flag", 2, system_flag),
    (
        "erts_internal",
        "scheduler_wall_time",
        1,
        scheduler_wall_time,
    ),
];

/// The OTP release girder is compatible with.
pub const OTP_RELEASE: &str = "25";

/// The ERTS version of that release (OTP 25.2.3's, the reference girder is tested against).
pub const ERTS_VERSION: &str = "13.1.5";

/// Scheduler threads (`+S N`, by default one per core).
fn schedulers() -> i64 {
    sched::schedulers() as i64
}

/// Processes girder can hold at once: girder sets no limit of its own, so this is the
/// largest small integer (pid numbers have 60 bits, more than that).
const PROCESS_LIMIT: i64 = (1 << 59) - 1;

fn atom(name: &str) -> Term {
    Term::atom(Atom::intern(name))
}

fn system_info(p: &mut Process, a: &[Term]) -> BifResult {
    let key = a[0];
    if obj::is_tuple(key) {
        return match obj::tuple_elements(key) {
            [k, v]
                if k.as_atom().is_some_and(|k| k.name() == "wordsize")
                    && v.as_atom()
                        .is_some_and(|v| matches!(v.name(), "internal" | "external")) =>
            {
                Ok(Term::small(8))
            }
            _ => Err(BifError::BADARG),
        };
    }
    let name = key.as_atom().ok_or(BifError::BADARG)?.name();
    let debug = cfg!(debug_assertions);
    Ok(match name {
        "schedulers" => Term::small(schedulers()),
        "schedulers_online" => Term::small(sched::schedulers_online() as i64),
        // erts' default: twice the schedulers (`erts_code_purger` reads it).
        "outstanding_system_requests_limit" => Term::small(2 * schedulers()),
        "schedulers_state" => obj::tuple(
            &mut p.heap,
            &[
                Term::small(schedulers()),
                Term::small(schedulers()),
                Term::small(schedulers()),
            ],
        ),
        "dirty_cpu_schedulers" | "dirty_cpu_schedulers_online" | "dirty_io_schedulers" => {
            Term::small(0)
        }
        "multi_scheduling" => atom(if schedulers() > 1 {
            "enabled"
        } else {
            "disabled"
        }),
        "multi_scheduling_blockers" | "normal_multi_scheduling_blockers" => Term::NIL,
        "logical_processors" => processors(libc::_SC_NPROCESSORS_CONF),
        "logical_processors_online" => processors(libc::_SC_NPROCESSORS_ONLN),
        "logical_processors_available" => available_processors(),
        "otp_release" => charlist(p, OTP_RELEASE),
        "version" => charlist(p, ERTS_VERSION),
        "system_version" => {
            let text = format!(
                "Erlang/OTP {OTP_RELEASE} [erts-{ERTS_VERSION}] [girder-{}] [64-bit] \
                 [smp:{n}:{n}] [async-threads:0]\n",
                env!("CARGO_PKG_VERSION"),
                n = schedulers()
            );
            charlist(p, &text)
        }
        "compat_rel" => Term::small(25),
        // Ctrl-C opens the BREAK menu (girder has no +Bi).
        "break_ignored" => Term::atom(Atom::FALSE),
        "machine" => charlist(p, "BEAM"),
        "system_architecture" => charlist(p, &system_architecture()),
        "wordsize" => Term::small(8),
        // As OTP names the family and the OS (`uname` in lower case).
        "os_type" => {
            let os = if cfg!(target_os = "macos") {
                "darwin"
            } else {
                std::env::consts::OS
            };
            obj::tuple(&mut p.heap, &[atom("unix"), atom(os)])
        }
        "endian" => atom(if cfg!(target_endian = "little") {
            "little"
        } else {
            "big"
        }),
        "smp_support" | "threads" => Term::boolean(true),
        "thread_pool_size" => Term::small(0),
        "build_type" | "emu_type" => atom(if debug { "debug" } else { "opt" }),
        "emu_flavor" => atom(girder_runtime::engine::flavor()),
        "debug_compiled" => Term::boolean(debug),
        "hipe_architecture" => Term::atom(Atom::UNDEFINED),
        "kernel_poll" => Term::boolean(false),
        "check_io" => Term::NIL,
        "heap_type" => atom("private"),
        "process_limit" => Term::small(PROCESS_LIMIT),
        "process_count" => Term::small(sched::processes(p).len() as i64),
        "atom_limit" => Term::small(girder_term::atom::MAX_ATOMS as i64),
        "atom_count" => Term::small(Atom::count() as i64),
        "port_count" => Term::small(girder_runtime::port::ports().len() as i64),
        "context_reductions" => Term::small(interp::REDUCTIONS),
        "time_warp_mode" => atom("no_time_warp"),
        "time_correction" => Term::boolean(true),
        "start_time" => obj::integer_from_i128(&mut p.heap, crate::time::START_MONOTONIC),
        "creation" => Term::small(0),
        "dist_ctrl" => crate::dist::controllers(p),
        "taints" => Term::NIL,
        _ => return Err(BifError::BADARG),
    })
}

/// A `sysconf` processor count, or `unknown`.
fn processors(name: libc::c_int) -> Term {
    // SAFETY: `sysconf` only reads its argument.
    let n = unsafe { libc::sysconf(name) };
    if n > 0 {
        Term::small(n as i64)
    } else {
        atom("unknown")
    }
}

/// Processors this process may run on (its CPU affinity), or `unknown`.
fn available_processors() -> Term {
    // SAFETY: `set` is plain data that `sched_getaffinity` fills; the size passed is its size.
    let n = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) == 0 {
            libc::CPU_COUNT(&set)
        } else {
            0
        }
    };
    if n > 0 {
        Term::small(i64::from(n))
    } else {
        atom("unknown")
    }
}

/// The machine as autoconf names it (`x86_64-pc-linux-gnu`), which OTP reports.
fn system_architecture() -> String {
    let arch = std::env::consts::ARCH;
    let vendor = if matches!(arch, "x86_64" | "x86") {
        "pc"
    } else {
        "unknown"
    };
    let os = match std::env::consts::OS {
        "linux" if cfg!(target_env = "gnu") => "linux-gnu".to_owned(),
        "linux" if cfg!(target_env = "musl") => "linux-musl".to_owned(),
        os => os.to_owned(),
    };
    format!("{arch}-{vendor}-{os}")
}

/// `badarg` with `cause => badopt`: a flag or value girder does not know.
fn badopt() -> BifError {
    BifError::FailCause {
        reason: Term::atom(Atom::BADARG),
        cause: Atom::intern("badopt"),
    }
}

/// The process `system_flag(system_logger, _)` names (OTP's logger sets it to its proxy).
/// girder's own reports of crashed processes do not go through it yet (`girder_logger`).
enum SystemLogger {
    Logger,
    Undefined,
    Pid(u64),
}

static SYSTEM_LOGGER: std::sync::Mutex<SystemLogger> = std::sync::Mutex::new(SystemLogger::Logger);

/// `erts_internal:scheduler_wall_time(Enable)` (under `system_flag(scheduler_wall_time, _)`
/// and kernel_refc): girder does not measure scheduler wall time, so it stays disabled;
/// asking to enable it is `badarg`.
fn scheduler_wall_time(_: &mut Process, a: &[Term]) -> BifResult {
    match a[0].as_atom().map(Atom::name) {
        Some("false") => Ok(Term::boolean(false)),
        _ => Err(BifError::BADARG),
    }
}

fn system_flag(_: &mut Process, a: &[Term]) -> BifResult {
    let flag = a[0].as_atom().ok_or_else(badopt)?;
    let value = a[1];
    match flag.name() {
        "backtrace_depth" => {
            let n = value
                .as_small()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or(BifError::BADARG)?;
            Ok(Term::small(trace::set_depth(n) as i64))
        }
        "schedulers_online" => match value.as_small() {
            Some(n) if (1..=schedulers()).contains(&n) => {
                Ok(Term::small(sched::set_schedulers_online(n as usize) as i64))
            }
            _ => Err(BifError::BADARG),
        },
        // With one scheduler there is nothing to block: OTP answers `disabled` then.
        "multi_scheduling" => match value.as_atom().map(Atom::name) {
            Some("block" | "unblock" | "block_normal" | "unblock_normal") => Ok(atom("disabled")),
            _ => Err(badopt()),
        },
        "system_logger" => {
            let new = if value.is_local_pid() {
                SystemLogger::Pid(value.immediate_id())
            } else {
                match value.as_atom().map(Atom::name) {
                    Some("logger") => SystemLogger::Logger,
                    Some("undefined") => SystemLogger::Undefined,
                    _ => return Err(BifError::BADARG),
                }
            };
            let mut cur = SYSTEM_LOGGER.lock().unwrap_or_else(|e| e.into_inner());
            let old = std::mem::replace(&mut *cur, new);
            Ok(match old {
                SystemLogger::Logger => atom("logger"),
                SystemLogger::Undefined => Term::atom(Atom::UNDEFINED),
                SystemLogger::Pid(n) => Term::pid(n),
            })
        }
        // The offset is final from the start (no time warp).
        "time_offset" => match value.as_atom().map(Atom::name) {
            Some("finalize") => Ok(atom("final")),
            _ => Err(badopt()),
        },
        _ => Err(badopt()),
    }
}

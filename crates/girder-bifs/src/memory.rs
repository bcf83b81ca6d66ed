//! `erlang:memory/0,1`, `erts_internal:garbage_collect/1` and
//! `erts_internal:request_system_task/3` (under OTP's `erlang:garbage_collect/0,1,2`).
//!
//! OTP's `erlang:memory/0,1` ask erts's allocators through `erlang:system_info/1`; girder
//! has no such allocators, so these two are native here (they take precedence over the
//! functions of `erlang.beam`) and report what girder itself can count:
//! - `processes`: every process's heap blocks, stack and message queue, plus its
//!   `Process` structure (`processes_used`: the words in use). A process running on another
//!   scheduler thread at that moment is counted by its structure alone.
//! - `atom`/`atom_used`: the atom table (`girder_term::atom::memory`).
//! - `binary`: the buffers of reference-counted binaries.
//! - `code`: loaded instructions, literals and tables.
//! - `ets`: the words of every table's objects.
//! - `system`: what the C allocator has handed out (glibc's `mallinfo2`) beyond
//!   `processes`; at least the sum of the above; `total` = `processes` + `system`.

use girder_runtime::bif::{BifError, BifResult};
use girder_runtime::sched::{self, Inspected};
use girder_runtime::{Process, module};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;

pub const BIFS: &[Entry] = &[
    ("erlang", "memory", 0, |p, _| {
        let m = Memory::measure(Some(p));
        let items: Vec<Term> = KEYS
            .iter()
            .map(|k| pair(p, k, m.get(k).unwrap_or(0)))
            .collect();
        Ok(obj::list_from_slice(&mut p.heap, &items, Term::NIL))
    }),
    ("erlang", "memory", 1, memory1),
    ("erts_internal", "garbage_collect", 1, |p, a| {
        let major = gc_type(a[0])?;
        // Called like any function: no X register is live beyond the argument, an atom.
        p.gc_with(0, 0, major);
        Ok(Term::boolean(true))
    }),
    (
        "erts_internal",
        "request_system_task",
        3,
        request_system_task,
    ),
];

const KEYS: &[&str] = &[
    "total",
    "processes",
    "processes_used",
    "system",
    "atom",
    "atom_used",
    "binary",
    "code",
    "ets",
];

fn gc_type(t: Term) -> Result<bool, BifError> {
    match t.as_atom().map(|a| a.name()) {
        Some("major") => Ok(true),
        Some("minor") => Ok(false),
        _ => Err(BifError::BADARG),
    }
}

struct Memory {
    processes: usize,
    processes_used: usize,
    atom: usize,
    atom_used: usize,
    binary: usize,
    code: usize,
    ets: usize,
    system: usize,
}

/// Bytes a process takes: (allocated, used).
fn process_bytes(p: &Process) -> (usize, usize) {
    let base = std::mem::size_of::<Process>();
    let h = &p.heap;
    let heap = (h.young_capacity() + h.old_capacity()) * 8;
    let used = h.used_words() * 8;
    let stack = p.stack.capacity() * 8;
    let msgs = p.msgs.capacity() * 8;
    (
        base + heap + stack + msgs,
        base + used + p.stack.len() * 8 + p.msgs.len() * 8,
    )
}

impl Memory {
    /// Everything, `me` (the caller, if a process asks) read directly.
    fn measure(me: Option<&Process>) -> Memory {
        let (mut processes, mut processes_used) = me.map_or((0, 0), process_bytes);
        for id in sched::all_ids() {
            if me.is_some_and(|me| id == me.id) {
                continue;
            }
            match sched::inspect(id, |q, _| process_bytes(q)) {
                Inspected::Seen((a, u)) => {
                    processes += a;
                    processes_used += u;
                }
                Inspected::Busy => {
                    processes += std::mem::size_of::<Process>();
                    processes_used += std::mem::size_of::<Process>();
                }
                Inspected::Dead => {}
            }
        }
        let (atom, atom_used) = girder_term::atom::memory();
        let binary = obj::binary_bytes_allocated();
        let code = module::loaded_modules()
            .into_iter()
            .filter_map(module::loaded)
            .map(|m| {
                m.code.len() * std::mem::size_of::<girder_runtime::instr::Instr>()
                    + m.literals.used_words() * 8
                    + m.strings.len()
                    + m.lines.len() * 8
                    + m.functions.len() * std::mem::size_of::<module::FunctionRange>()
            })
            .sum();
        let ets = crate::ets::memory_words() * 8;
        let counted = atom + binary + code + ets;
        let system = allocated_bytes().map_or(counted, |total| {
            total.saturating_sub(processes).max(counted)
        });
        Memory {
            processes,
            processes_used,
            atom,
            atom_used,
            binary,
            code,
            ets,
            system,
        }
    }

    fn get(&self, key: &str) -> Option<usize> {
        Some(match key {
            "total" => self.processes + self.system,
            "processes" => self.processes,
            "processes_used" => self.processes_used,
            "system" => self.system,
            "atom" => self.atom,
            "atom_used" => self.atom_used,
            "binary" => self.binary,
            "code" => self.code,
            "ets" => self.ets,
            _ => return None,
        })
    }
}

/// Bytes the C allocator has handed out and not had back.
fn allocated_bytes() -> Option<usize> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallinfo2 only reads the allocator's statistics into a plain struct.
        let mi = unsafe { libc::mallinfo2() };
        Some(mi.uordblks + mi.hblkhd)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        None
    }
}

fn pair(p: &mut Process, key: &str, bytes: usize) -> Term {
    let v = Term::small(bytes as i64);
    obj::tuple(&mut p.heap, &[Term::atom(Atom::intern(key)), v])
}

fn memory1(p: &mut Process, a: &[Term]) -> BifResult {
    if let Some(k) = a[0].as_atom() {
        if !KEYS.contains(&k.name()) {
            return Err(BifError::BADARG);
        }
        let m = Memory::measure(Some(p));
        return Ok(Term::small(m.get(k.name()).unwrap_or(0) as i64));
    }
    let items = crate::util::list_arg(a[0])?;
    let mut keys = Vec::with_capacity(items.len());
    for t in items {
        match t.as_atom() {
            Some(k) if KEYS.contains(&k.name()) => keys.push(k.name()),
            _ => return Err(BifError::BADARG),
        }
    }
    let m = Memory::measure(Some(p));
    let items: Vec<Term> = keys
        .iter()
        .map(|k| pair(p, k, m.get(k).unwrap_or(0)))
        .collect();
    Ok(obj::list_from_slice(&mut p.heap, &items, Term::NIL))
}

/// `erts_internal:request_system_task(Pid, Priority, Request)`: only
/// `{garbage_collect, RequestId, Type}` (and `check_process_code`), answering `ok`. The
/// answer `{garbage_collect, RequestId, Alive}` comes back at once: `false` when `Pid` is not alive. The caller's own heap is collected
/// at once; another process's is left to its own next collection (girder does not yet
/// interrupt a process to collect it).
fn request_system_task(p: &mut Process, a: &[Term]) -> BifResult {
    if !a[0].is_local_pid() {
        return Err(BifError::BADARG);
    }
    match a[1].as_atom().map(|a| a.name()) {
        Some("inherit" | "max" | "high" | "normal" | "low") => {}
        _ => return Err(BifError::BADARG),
    }
    let req = a[2];
    if !obj::is_tuple(req) || obj::tuple_arity(req) != 3 {
        return Err(BifError::BADARG);
    }
    let kind = obj::tuple_element(req, 0).as_atom();
    if kind == Some(Atom::intern("check_process_code")) {
        return check_process_code_task(p, a[0].immediate_id(), req);
    }
    if kind != Some(Atom::intern("garbage_collect")) {
        return Err(BifError::BADARG);
    }
    let major = gc_type(obj::tuple_element(req, 2))?;
    let id = a[0].immediate_id();
    let alive = if id == p.id {
        true
    } else {
        sched::is_alive(p, id)
    };
    let reply = obj::tuple(
        &mut p.heap,
        &[
            Term::atom(Atom::intern("garbage_collect")),
            obj::tuple_element(req, 1),
            Term::boolean(alive),
        ],
    );
    let me = p.id;
    sched::send(p, me, reply);
    if id == p.id {
        // The reply is queued; collecting keeps it (the queue is a root).
        p.gc_with(0, 0, major);
    }
    Ok(Term::atom(Atom::OK))
}

/// `{check_process_code, RequestId, Module}` for `request_system_task/3`: the answer
/// `{check_process_code, RequestId, RunsOldCode}` comes to the caller at once (`false` for
/// a process that is not alive), read from the target's state while it is not running, as
/// erts has the target check itself.
fn check_process_code_task(p: &mut Process, id: u64, req: Term) -> BifResult {
    let m = obj::tuple_element(req, 2)
        .as_atom()
        .ok_or(BifError::BADARG)?;
    let runs = if id == p.id {
        crate::hot_code::runs_old_code(p, m)
    } else {
        match sched::inspect(id, |q, _| crate::hot_code::runs_old_code(q, m)) {
            sched::Inspected::Seen(r) => r,
            sched::Inspected::Dead => false,
            // Running on another thread: asked again after a yield.
            sched::Inspected::Busy => return Err(BifError::Retry),
        }
    };
    let reply = obj::tuple(
        &mut p.heap,
        &[
            Term::atom(Atom::intern("check_process_code")),
            obj::tuple_element(req, 1),
            Term::boolean(runs),
        ],
    );
    let me = p.id;
    sched::send(p, me, reply);
    Ok(Term::atom(Atom::OK))
}

/// `erlang:memory/0`'s keys and values, measured from outside any process (the BREAK
/// menu's `i`).
pub fn totals() -> Vec<(&'static str, usize)> {
    let m = Memory::measure(None);
    KEYS.iter().map(|&k| (k, m.get(k).unwrap_or(0))).collect()
}

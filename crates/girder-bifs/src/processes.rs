//! Process BIFs: spawning, links, monitors, exit signals, the registry, sending, timers,
//! `process_flag/2` and a first `process_info/2`.

use girder_runtime::bif::{BifError, BifResult};
use girder_runtime::{Class, Process, interp, module, sched};
use girder_term::object as obj;
use girder_term::object::RefIds;
use girder_term::{Atom, Term};

use crate::Entry;
use crate::util::list_arg;

pub const BIFS: &[Entry] = &[
    ("erlang", "spawn", 1, |p, a| spawn_fun(p, a[0], false)),
    ("erlang", "spawn", 3, |p, a| spawn_mfa(p, a, false)),
    ("erlang", "spawn_link", 1, |p, a| spawn_fun(p, a[0], true)),
    ("erlang", "spawn_link", 3, |p, a| spawn_mfa(p, a, true)),
    ("erlang", "spawn_monitor", 1, spawn_monitor1),
    ("erlang", "spawn_monitor", 3, spawn_monitor3),
    ("erlang", "link", 1, link),
    ("erlang", "unlink", 1, unlink),
    ("erlang", "monitor", 2, monitor),
    ("erlang", "demonitor", 1, |p, a| {
        demonitor(p, a[0], Term::NIL)
    }),
    ("erlang", "demonitor", 2, |p, a| demonitor(p, a[0], a[1])),
    ("erlang", "exit", 2, exit2),
    ("erlang", "process_flag", 2, process_flag),
    ("erlang", "register", 2, register),
    ("erlang", "unregister", 1, unregister),
    ("erlang", "whereis", 1, whereis),
    ("erlang", "registered", 0, registered),
    ("erlang", "is_process_alive", 1, is_process_alive),
    ("erlang", "send", 2, send),
    ("erlang", "send", 3, send),
    ("erlang", "!", 2, send),
    ("erlang", "send_after", 3, send_after),
    ("erlang", "cancel_timer", 1, cancel_timer),
    ("erlang", "yield", 0, |_, _| Ok(Term::boolean(true))),
    ("erlang", "processes", 0, processes),
    ("erlang", "process_info", 2, process_info),
    ("erlang", "group_leader", 0, |p, _| {
        Ok(Term::pid(p.group_leader))
    }),
    ("erlang", "group_leader", 2, group_leader2),
];

/// `group_leader(Leader, Pid)`: both must be pids, `Pid` alive.
fn group_leader2(p: &mut Process, a: &[Term]) -> BifResult {
    let leader = pid_arg(a[0])?;
    let id = pid_arg(a[1])?;
    if sched::set_group_leader(p, id, leader) {
        Ok(Term::boolean(true))
    } else {
        Err(BifError::BADARG)
    }
}

fn pid_arg(t: Term) -> Result<u64, BifError> {
    if t.is_local_pid() {
        Ok(t.immediate_id())
    } else {
        Err(BifError::BADARG)
    }
}

fn spawn_fun(p: &mut Process, f: Term, link: bool) -> BifResult {
    if !obj::is_function(f) || interp::fun_arity(f) != Some(0) {
        return Err(BifError::BADARG);
    }
    sched::spawn_fun(p, f, link).map_err(|_| BifError::BADARG)
}

fn spawn_mfa(p: &mut Process, a: &[Term], link: bool) -> BifResult {
    let (Some(m), Some(f)) = (a[0].as_atom(), a[1].as_atom()) else {
        return Err(BifError::BADARG);
    };
    let args = list_arg(a[2])?;
    let export = module::export(m, f, args.len() as u32);
    match sched::spawn(p, export, &args, link) {
        Ok(pid) => Ok(pid),
        // An undefined function still spawns in OTP, and the new process dies of `undef`;
        // here spawning reports it at once.
        Err(_) => Err(BifError::Raise {
            class: Class::Error,
            reason: Term::atom(Atom::UNDEF),
        }),
    }
}

fn with_monitor(p: &mut Process, pid: Term) -> BifResult {
    let r = obj::make_ref(&mut p.heap);
    sched::monitor(p, pid.immediate_id(), r, pid);
    Ok(obj::tuple(&mut p.heap, &[pid, r]))
}

fn spawn_monitor1(p: &mut Process, a: &[Term]) -> BifResult {
    let pid = spawn_fun(p, a[0], false)?;
    with_monitor(p, pid)
}

fn spawn_monitor3(p: &mut Process, a: &[Term]) -> BifResult {
    let pid = spawn_mfa(p, a, false)?;
    with_monitor(p, pid)
}

fn link(p: &mut Process, a: &[Term]) -> BifResult {
    let id = pid_arg(a[0])?;
    if sched::link(p, id) {
        Ok(Term::boolean(true))
    } else if p.trap_exit {
        let msg = obj::tuple(
            &mut p.heap,
            &[Term::atom(Atom::EXIT_UPPER), a[0], Term::atom(Atom::NOPROC)],
        );
        p.msgs.push(msg);
        Ok(Term::boolean(true))
    } else {
        Err(BifError::Fail(Term::atom(Atom::NOPROC)))
    }
}

fn unlink(p: &mut Process, a: &[Term]) -> BifResult {
    sched::unlink(p, pid_arg(a[0])?);
    Ok(Term::boolean(true))
}

fn monitor(p: &mut Process, a: &[Term]) -> BifResult {
    if a[0].as_atom() != Some(Atom::intern("process")) {
        return Err(BifError::BADARG);
    }
    let target = a[1];
    let r = obj::make_ref(&mut p.heap);
    if target.is_local_pid() {
        sched::monitor(p, target.immediate_id(), r, target);
    } else if let Some(name) = target.as_atom() {
        let shown = obj::tuple(&mut p.heap, &[target, Term::atom(Atom::NONODE)]);
        match sched::whereis(p, name) {
            Some(id) => sched::monitor(p, id, r, shown),
            None => sched::monitor(p, u64::MAX, r, shown),
        }
    } else {
        return Err(BifError::BADARG);
    }
    Ok(r)
}

fn demonitor(p: &mut Process, r: Term, opts: Term) -> BifResult {
    if !obj::is_ref(r) {
        return Err(BifError::BADARG);
    }
    let was_active = sched::demonitor(p, r);
    let opts = list_arg(opts)?;
    let has = |name: &str| opts.iter().any(|o| o.as_atom() == Some(Atom::intern(name)));
    if has("flush") {
        let down = Term::atom(Atom::intern("DOWN"));
        p.msgs.retain(|m| {
            !(obj::is_tuple(*m)
                && obj::tuple_arity(*m) == 5
                && obj::tuple_element(*m, 0) == down
                && girder_term::compare::eq_exact(obj::tuple_element(*m, 1), r))
        });
        p.recv_pos = 0;
    }
    Ok(Term::boolean(if has("info") { was_active } else { true }))
}

fn exit2(p: &mut Process, a: &[Term]) -> BifResult {
    let id = pid_arg(a[0])?;
    match sched::exit_to(p, id, a[1]) {
        Some(reason) => Err(BifError::Raise {
            class: Class::Exit,
            reason,
        }),
        None => Ok(Term::boolean(true)),
    }
}

fn process_flag(p: &mut Process, a: &[Term]) -> BifResult {
    match a[0].as_atom().map(|f| f.name()) {
        Some("trap_exit") => {
            let on = match a[1].as_atom() {
                Some(Atom::TRUE) => true,
                Some(Atom::FALSE) => false,
                _ => return Err(BifError::BADARG),
            };
            let old = std::mem::replace(&mut p.trap_exit, on);
            Ok(Term::boolean(old))
        }
        _ => Err(BifError::BADARG),
    }
}

fn register(p: &mut Process, a: &[Term]) -> BifResult {
    let name = a[0]
        .as_atom()
        .filter(|n| *n != Atom::UNDEFINED)
        .ok_or(BifError::BADARG)?;
    let id = pid_arg(a[1])?;
    if sched::is_alive(p, id) && sched::register(p, name, id) {
        Ok(Term::boolean(true))
    } else {
        Err(BifError::BADARG)
    }
}

fn unregister(p: &mut Process, a: &[Term]) -> BifResult {
    let name = a[0].as_atom().ok_or(BifError::BADARG)?;
    if sched::unregister(p, name) {
        Ok(Term::boolean(true))
    } else {
        Err(BifError::BADARG)
    }
}

fn whereis(p: &mut Process, a: &[Term]) -> BifResult {
    let name = a[0].as_atom().ok_or(BifError::BADARG)?;
    Ok(sched::whereis(p, name).map_or(Term::atom(Atom::UNDEFINED), Term::pid))
}

fn registered(p: &mut Process, _: &[Term]) -> BifResult {
    let names: Vec<Term> = sched::registered().into_iter().map(Term::atom).collect();
    Ok(obj::list_from_slice(&mut p.heap, &names, Term::NIL))
}

fn is_process_alive(p: &mut Process, a: &[Term]) -> BifResult {
    let id = pid_arg(a[0])?;
    Ok(Term::boolean(sched::is_alive(p, id)))
}

fn send(p: &mut Process, a: &[Term]) -> BifResult {
    match interp::send_target(p, a[0]) {
        Some(id) => sched::send(p, id, a[1]),
        None => return Err(BifError::BADARG),
    }
    Ok(a[1])
}

/// Marker word in timer references, to tell them from other references.
const TIMER_TAG: u32 = 0x7469_6d72;

fn send_after(p: &mut Process, a: &[Term]) -> BifResult {
    let ms = obj::integer_to_i64(a[0])
        .and_then(|n| u64::try_from(n).ok())
        .ok_or(BifError::BADARG)?;
    let to = match interp::send_target(p, a[1]) {
        Some(id) => id,
        None if a[1].is_atom() => u64::MAX,
        None => return Err(BifError::BADARG),
    };
    let id = sched::send_after(p, ms, to, a[2]);
    let ids = RefIds::new(&[id as u32, (id >> 32) as u32, TIMER_TAG]).expect("three ids");
    Ok(obj::local_ref(&mut p.heap, &ids))
}

fn cancel_timer(_: &mut Process, a: &[Term]) -> BifResult {
    if !obj::is_local_ref(a[0]) {
        return Err(BifError::BADARG);
    }
    let ids = obj::local_ref_ids(a[0]);
    if ids.get(2) != TIMER_TAG {
        return Ok(Term::boolean(false));
    }
    let id = u64::from(ids.get(0)) | (u64::from(ids.get(1)) << 32);
    Ok(sched::cancel_timer(id).map_or(Term::boolean(false), |ms| Term::small(ms as i64)))
}

fn processes(p: &mut Process, _: &[Term]) -> BifResult {
    let pids: Vec<Term> = sched::processes(p).into_iter().map(Term::pid).collect();
    Ok(obj::list_from_slice(&mut p.heap, &pids, Term::NIL))
}

/// `process_info(self(), Item)` for the items girder tracks so far.
fn process_info(p: &mut Process, a: &[Term]) -> BifResult {
    let id = pid_arg(a[0])?;
    if id != p.id {
        return Err(BifError::Raise {
            class: Class::Error,
            reason: Term::atom(Atom::UNDEF),
        });
    }
    let key = a[1].as_atom().ok_or(BifError::BADARG)?;
    let value = match key.name() {
        "message_queue_len" => Term::small(p.msgs.len() as i64),
        "messages" => {
            let msgs = p.msgs.clone();
            obj::list_from_slice(&mut p.heap, &msgs, Term::NIL)
        }
        "links" => {
            let links: Vec<Term> = p.links.iter().map(|&l| Term::pid(l)).collect();
            obj::list_from_slice(&mut p.heap, &links, Term::NIL)
        }
        "trap_exit" => Term::boolean(p.trap_exit),
        "group_leader" => Term::pid(p.group_leader),
        "current_stacktrace" => girder_runtime::trace::current(p),
        "registered_name" => match p.name {
            Some(n) => Term::atom(n),
            None => return Ok(Term::NIL),
        },
        _ => return Err(BifError::BADARG),
    };
    Ok(obj::tuple(&mut p.heap, &[a[1], value]))
}

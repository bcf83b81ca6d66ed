//! Process BIFs: spawning, links, monitors, exit signals, the registry, sending, timers,
//! `process_flag/2`, `process_info/1,2`.

use girder_runtime::bif::{BifError, BifResult};
use girder_runtime::process::MaxHeapSize;
use girder_runtime::sched::table::AliasMode;
use girder_runtime::sched::{Priority, SpawnOpts};
use girder_runtime::{Class, Process, interp, module, port, sched};
use girder_term::object as obj;
use girder_term::object::RefIds;
use girder_term::{Atom, Term, copy::copy_term};

use crate::Entry;
use crate::util::list_arg;

pub const BIFS: &[Entry] = &[
    ("erlang", "spawn", 1, |p, a| {
        spawn_fun(p, a[0], SpawnOpts::default())
    }),
    ("erlang", "spawn", 3, |p, a| {
        spawn_mfa(p, a, SpawnOpts::default())
    }),
    ("erlang", "spawn_link", 1, |p, a| {
        spawn_fun(p, a[0], linked())
    }),
    ("erlang", "spawn_link", 3, |p, a| spawn_mfa(p, a, linked())),
    ("erlang", "spawn_opt", 4, spawn_opt4),
    ("erts_internal", "spawn_request", 4, spawn_request4),
    // erts makes a process init:restart/0 does not kill (`socket_registry`); girder
    // spawns an ordinary one, which its restart kills (sockets then report to nobody).
    // erts spawns it at boot; girder at the first use of `prim_socket`, so the caller
    // yields to let it register its name before the caller's next call needs it.
    ("erts_internal", "spawn_system_process", 3, |p, a| {
        let pid = spawn_mfa(p, a, SpawnOpts::default())?;
        p.reductions = 0;
        Ok(pid)
    }),
    ("erlang", "spawn_monitor", 1, spawn_monitor1),
    ("erlang", "spawn_monitor", 3, spawn_monitor3),
    ("erlang", "link", 1, link),
    ("erlang", "unlink", 1, unlink),
    ("erlang", "monitor", 2, monitor),
    ("erlang", "monitor", 3, monitor3),
    ("erlang", "alias", 0, |p, _| alias(p, Term::NIL)),
    ("erlang", "alias", 1, |p, a| alias(p, a[0])),
    ("erlang", "unalias", 1, |p, a| {
        if !obj::is_ref(a[0]) {
            return Err(BifError::BADARG);
        }
        Ok(Term::boolean(sched::unalias(p.id, a[0])))
    }),
    ("erlang", "demonitor", 1, |p, a| {
        demonitor(p, a[0], Term::NIL)
    }),
    ("erlang", "demonitor", 2, |p, a| demonitor(p, a[0], a[1])),
    ("erlang", "exit", 2, |p, a| exit2(p, a, true)),
    ("erlang", "exit_signal", 2, |p, a| exit2(p, a, false)),
    ("erlang", "process_flag", 2, process_flag),
    ("erlang", "register", 2, register),
    ("erlang", "unregister", 1, unregister),
    ("erlang", "whereis", 1, whereis),
    ("erlang", "registered", 0, registered),
    ("erlang", "is_process_alive", 1, is_process_alive),
    ("erlang", "send", 2, send),
    ("erlang", "send", 3, send3),
    ("erlang", "!", 2, send),
    ("erlang", "send_after", 3, |p, a| send_after(p, a, None)),
    ("erlang", "send_after", 4, |p, a| {
        send_after(p, a, Some(a[3]))
    }),
    ("erlang", "start_timer", 3, |p, a| start_timer(p, a, None)),
    ("erlang", "start_timer", 4, |p, a| {
        start_timer(p, a, Some(a[3]))
    }),
    ("erlang", "cancel_timer", 1, |p, a| {
        timer_query(p, a[0], Term::NIL, true)
    }),
    ("erlang", "cancel_timer", 2, |p, a| {
        timer_query(p, a[0], a[1], true)
    }),
    ("erlang", "read_timer", 1, |p, a| {
        timer_query(p, a[0], Term::NIL, false)
    }),
    ("erlang", "read_timer", 2, |p, a| {
        timer_query(p, a[0], a[1], false)
    }),
    ("erlang", "yield", 0, |p, _| {
        // The rest of the time slice goes: the next call or return yields.
        p.reductions = 0;
        Ok(Term::boolean(true))
    }),
    ("erlang", "process_info", 1, process_info1),
    ("erlang", "hibernate", 3, hibernate),
    ("erlang", "processes", 0, processes),
    ("erlang", "process_info", 2, process_info),
    ("erlang", "group_leader", 0, |p, _| {
        Ok(sched::leader_term(&mut p.heap, p.group_leader))
    }),
    ("erlang", "group_leader", 2, group_leader2),
];

/// `group_leader(Leader, Pid)`: both must be pids (`Leader` may be another node's),
/// `Pid` alive.
fn group_leader2(p: &mut Process, a: &[Term]) -> BifResult {
    if !obj::is_pid(a[0]) {
        return Err(BifError::BADARG);
    }
    let leader = sched::leader_id(a[0]);
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

fn spawn_fun(p: &mut Process, f: Term, opts: SpawnOpts) -> BifResult {
    if !obj::is_function(f) || interp::fun_arity(f) != Some(0) {
        return Err(BifError::BADARG);
    }
    sched::spawn_fun(p, f, opts).map_err(|_| BifError::BADARG)
}

fn spawn_mfa(p: &mut Process, a: &[Term], opts: SpawnOpts) -> BifResult {
    let (Some(m), Some(f)) = (a[0].as_atom(), a[1].as_atom()) else {
        return Err(BifError::BADARG);
    };
    let args = list_arg(a[2])?;
    let export = module::export(m, f, args.len() as u32);
    match sched::spawn(p, export, &args, opts) {
        Ok(pid) => Ok(pid),
        // `sched::spawn` starts undefined functions and BIFs on `erlang:apply/3` (the
        // process then dies of `undef`, as in OTP); only without OTP's `erlang` module
        // is there nothing to start.
        Err(_) => Err(BifError::Raise {
            class: Class::Error,
            reason: Term::atom(Atom::UNDEF),
        }),
    }
}

fn linked() -> SpawnOpts {
    SpawnOpts {
        link: true,
        ..SpawnOpts::default()
    }
}

/// Spawn with a monitor set up before the new process can run; `{Pid, Ref}`.
fn spawn_monitored(
    p: &mut Process,
    spawn: impl FnOnce(&mut Process, SpawnOpts) -> BifResult,
    mut opts: SpawnOpts,
    monitor: MonitorOpts,
) -> BifResult {
    let r = obj::make_ref(&mut p.heap);
    opts.monitor = Some(r);
    monitor.apply(p, r);
    let pid = spawn(p, opts)?;
    Ok(obj::tuple(&mut p.heap, &[pid, r]))
}

fn spawn_monitor1(p: &mut Process, a: &[Term]) -> BifResult {
    spawn_monitored(
        p,
        |p, o| spawn_fun(p, a[0], o),
        SpawnOpts::default(),
        MonitorOpts::default(),
    )
}

fn spawn_monitor3(p: &mut Process, a: &[Term]) -> BifResult {
    spawn_monitored(
        p,
        |p, o| spawn_mfa(p, a, o),
        SpawnOpts::default(),
        MonitorOpts::default(),
    )
}

/// `erlang:spawn_opt(M, F, A, Options)`: `Pid`, or `{Pid, Ref}` with `monitor`.
fn spawn_opt4(p: &mut Process, a: &[Term]) -> BifResult {
    let list = list_arg(a[3]).map_err(|_| badopt())?;
    let (opts, monitor) = spawn_options(list).map_err(|_| badopt())?;
    let args = [a[0], a[1], a[2]];
    if let Some(monitor) = monitor {
        spawn_monitored(p, |p, o| spawn_mfa(p, &args, o), opts, monitor)
    } else {
        spawn_mfa(p, &args, opts)
    }
}

/// `erts_internal:spawn_request(M, F, A, Options)` (under `erlang:spawn_request/4`): the
/// request's reference, the reply `{Tag, ReqId, ok, Pid}` (unless `{reply, no |
/// error_only}`) already in the caller's queue, before any signal of the new process;
/// `badopt` when the options are not a list, `badarg` for bad arguments. A bad option in
/// the list is, as in erts, an error reply `{Tag, ReqId, error, badopt}` (unless `{reply,
/// no | success_only}`).
fn spawn_request4(p: &mut Process, a: &[Term]) -> BifResult {
    let (Some(_), Some(_), Some(_)) = (a[0].as_atom(), a[1].as_atom(), obj::list_length(a[2]))
    else {
        return Ok(Term::atom(Atom::BADARG));
    };
    let Ok(all) = list_arg(a[3]) else {
        return Ok(Term::atom(Atom::intern("badopt")));
    };
    let (mut tag, mut reply_ok, mut reply_error) =
        (Term::atom(Atom::intern("spawn_reply")), true, true);
    let mut rest = Vec::new();
    let mut bad = false;
    for o in all {
        if obj::is_tuple(o) && obj::tuple_arity(o) == 2 {
            let v = obj::tuple_element(o, 1);
            match obj::tuple_element(o, 0).as_atom().map(|k| k.name()) {
                Some("reply_tag") => {
                    tag = v;
                    continue;
                }
                Some("reply") => {
                    match v.as_atom().map(|k| k.name()) {
                        Some("yes") => (reply_ok, reply_error) = (true, true),
                        Some("no") => (reply_ok, reply_error) = (false, false),
                        Some("error_only") => (reply_ok, reply_error) = (false, true),
                        Some("success_only") => (reply_ok, reply_error) = (true, false),
                        _ => bad = true,
                    }
                    continue;
                }
                _ => {}
            }
        }
        rest.push(o);
    }
    let r = obj::make_ref(&mut p.heap);
    let parsed = spawn_options(rest);
    let (mut opts, monitor) = match parsed {
        Ok(o) if !bad => o,
        _ => {
            if reply_error {
                let error = Term::atom(Atom::intern("error"));
                let badopt = Term::atom(Atom::intern("badopt"));
                let msg = obj::tuple(&mut p.heap, &[tag, r, error, badopt]);
                p.msgs.push_back(msg);
            }
            return Ok(r);
        }
    };
    if let Some(monitor) = monitor {
        opts.monitor = Some(r);
        monitor.apply(p, r);
    }
    let Ok(pid) = spawn_mfa(p, &[a[0], a[1], a[2]], opts) else {
        return Ok(Term::atom(Atom::BADARG));
    };
    if reply_ok {
        let ok = Term::atom(Atom::OK);
        let msg = obj::tuple(&mut p.heap, &[tag, r, ok, pid]);
        p.msgs.push_back(msg);
    }
    Ok(r)
}

/// The options of `spawn_opt`: how to spawn, and the monitor's options if it is to
/// monitor the new process.
fn spawn_options(list: Vec<Term>) -> Result<(SpawnOpts, Option<MonitorOpts>), BifError> {
    let mut opts = SpawnOpts::default();
    let mut monitor = None;
    for o in list {
        if let Some(flag) = o.as_atom() {
            match flag.name() {
                "link" => opts.link = true,
                "monitor" => monitor = Some(MonitorOpts::default()),
                _ => return Err(BifError::BADARG),
            }
            continue;
        }
        if !obj::is_tuple(o) || obj::tuple_arity(o) != 2 {
            return Err(BifError::BADARG);
        }
        let (key, v) = (obj::tuple_element(o, 0), obj::tuple_element(o, 1));
        let words = || {
            obj::integer_to_i64(v)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or(BifError::BADARG)
        };
        match key.as_atom().map(|k| k.name()) {
            Some("priority") => {
                opts.priority = v
                    .as_atom()
                    .and_then(Priority::from_atom)
                    .ok_or(BifError::BADARG)?
            }
            Some("min_heap_size") => opts.min_heap_size = Some(words()?),
            Some("monitor") => monitor = Some(monitor_options(v)?),
            Some("min_bin_vheap_size" | "fullsweep_after") => {
                words()?;
            }
            Some("message_queue_data") => {
                if !matches!(v.as_atom().map(|a| a.name()), Some("off_heap" | "on_heap")) {
                    return Err(BifError::BADARG);
                }
            }
            Some("max_heap_size") => opts.max_heap_size = Some(max_heap_size_arg(v, None)?),
            Some("async_dist") => {
                v.as_atom()
                    .filter(|b| *b == Atom::TRUE || *b == Atom::FALSE)
                    .ok_or(BifError::BADARG)?;
            }
            _ => return Err(BifError::BADARG),
        }
    }
    Ok((opts, monitor))
}

/// A pid's number, or a port's with `port::PORT_BIT` (links, `exit/2`).
fn pid_or_port_arg(t: Term) -> Result<u64, BifError> {
    if t.is_local_port() {
        Ok(t.immediate_id() | port::PORT_BIT)
    } else {
        pid_arg(t)
    }
}

fn link(p: &mut Process, a: &[Term]) -> BifResult {
    if crate::dist::is_remote_pid(a[0]) {
        if crate::dist::link(p, a[0]) {
            return Ok(Term::boolean(true));
        }
        // No connection: as the exit signal erts sends the caller.
        if p.trap_exit {
            let msg = obj::tuple(
                &mut p.heap,
                &[
                    Term::atom(Atom::EXIT_UPPER),
                    a[0],
                    Term::atom(Atom::intern("noconnection")),
                ],
            );
            p.msgs.push_back(msg);
            return Ok(Term::boolean(true));
        }
        return Err(BifError::Raise {
            class: Class::Exit,
            reason: Term::atom(Atom::intern("noconnection")),
        });
    }
    let id = pid_or_port_arg(a[0])?;
    if sched::link(p, id) {
        Ok(Term::boolean(true))
    } else if p.trap_exit {
        let msg = obj::tuple(
            &mut p.heap,
            &[Term::atom(Atom::EXIT_UPPER), a[0], Term::atom(Atom::NOPROC)],
        );
        p.msgs.push_back(msg);
        Ok(Term::boolean(true))
    } else {
        Err(BifError::Fail(Term::atom(Atom::NOPROC)))
    }
}

fn unlink(p: &mut Process, a: &[Term]) -> BifResult {
    if crate::dist::is_remote_pid(a[0]) {
        crate::dist::unlink(p, a[0]);
        return Ok(Term::boolean(true));
    }
    sched::unlink(p, pid_or_port_arg(a[0])?);
    Ok(Term::boolean(true))
}

fn monitor(p: &mut Process, a: &[Term]) -> BifResult {
    monitor_with(p, a[0], a[1], MonitorOpts::default())
}

/// `monitor(Type, Target, Options)`: `{alias, Mode}` (the monitor's reference is then
/// also an alias of the caller, as `gen:call` uses it) and `{tag, Tag}` (the first element
/// of the `DOWN` message instead of `'DOWN'`).
fn monitor3(p: &mut Process, a: &[Term]) -> BifResult {
    let opts = monitor_options(a[2]).map_err(|_| badopt())?;
    monitor_with(p, a[0], a[1], opts)
}

/// `error:badarg` with `error_info` cause `badopt`, as erts reports a bad option.
fn badopt() -> BifError {
    BifError::FailCause {
        reason: Term::atom(Atom::BADARG),
        cause: Atom::intern("badopt"),
    }
}

/// The options of a monitor (`monitor/3`, `spawn_opt`'s `{monitor, Opts}`).
#[derive(Clone, Copy, Default)]
struct MonitorOpts {
    alias: Option<AliasMode>,
    tag: Option<Term>,
}

impl MonitorOpts {
    /// Make `r`, a new monitor's reference, an alias and give it its tag, as asked.
    fn apply(&self, p: &mut Process, r: Term) {
        if let Some(mode) = self.alias {
            sched::add_alias(p.id, r, mode);
        }
        if let Some(tag) = self.tag {
            p.set_monitor_tag(r, tag);
        }
    }
}

fn monitor_options(list: Term) -> Result<MonitorOpts, BifError> {
    let mut opts = MonitorOpts::default();
    for o in list_arg(list)? {
        if !obj::is_tuple(o) || obj::tuple_arity(o) != 2 {
            return Err(BifError::BADARG);
        }
        let v = obj::tuple_element(o, 1);
        match obj::tuple_element(o, 0).as_atom().map(|k| k.name()) {
            Some("alias") => opts.alias = Some(alias_mode(v)?),
            Some("tag") => opts.tag = Some(v),
            _ => return Err(BifError::BADARG),
        }
    }
    Ok(opts)
}

fn alias_mode(t: Term) -> Result<AliasMode, BifError> {
    match t.as_atom().map(|a| a.name()) {
        Some("explicit_unalias") => Ok(AliasMode::ExplicitUnalias),
        Some("demonitor") => Ok(AliasMode::Demonitor),
        Some("reply_demonitor") => Ok(AliasMode::ReplyDemonitor),
        _ => Err(BifError::BADARG),
    }
}

fn monitor_with(p: &mut Process, kind: Term, target: Term, opts: MonitorOpts) -> BifResult {
    let kind = kind.as_atom().map(|k| k.name());
    if kind == Some("port") && target.is_local_port() {
        let r = obj::make_ref(&mut p.heap);
        opts.apply(p, r);
        sched::monitor(p, target.immediate_id() | port::PORT_BIT, r, target);
        return Ok(r);
    }
    if !matches!(kind, Some("process" | "port")) {
        return Err(BifError::FailCause {
            reason: Term::atom(Atom::BADARG),
            cause: Atom::intern("badtype"),
        });
    }
    if kind != Some("process") {
        return Err(BifError::BADARG);
    }
    let name = if let Some(name) = target.as_atom() {
        Some(name)
    } else if obj::is_tuple(target)
        && obj::tuple_arity(target) == 2
        && obj::tuple_element(target, 1).as_atom() == Some(obj::this_node().0)
    {
        Some(
            obj::tuple_element(target, 0)
                .as_atom()
                .ok_or(BifError::BADARG)?,
        )
    } else if target.is_local_pid() {
        None
    } else if let Some(r) = crate::dist::monitor(p, target, opts.tag) {
        // A process of another node.
        if let Some(mode) = opts.alias {
            sched::add_alias(p.id, r, mode);
        }
        return Ok(r);
    } else {
        return Err(BifError::BADARG);
    };
    let r = obj::make_ref(&mut p.heap);
    opts.apply(p, r);
    match name {
        None => sched::monitor(p, target.immediate_id(), r, target),
        Some(name) => {
            let shown = obj::tuple(
                &mut p.heap,
                &[Term::atom(name), Term::atom(obj::this_node().0)],
            );
            let id = sched::whereis(p, name).unwrap_or(sched::NOBODY);
            sched::monitor(p, id, r, shown);
        }
    }
    Ok(r)
}

/// `alias/0,1`: a new reference that is an alias of the caller.
fn alias(p: &mut Process, opts: Term) -> BifResult {
    let mut mode = AliasMode::ExplicitUnalias;
    for o in list_arg(opts)? {
        match o.as_atom().map(|a| a.name()) {
            Some("explicit_unalias") => mode = AliasMode::ExplicitUnalias,
            Some("reply") => mode = AliasMode::ReplyDemonitor,
            _ => return Err(BifError::BADARG),
        }
    }
    let r = obj::make_ref(&mut p.heap);
    sched::add_alias(p.id, r, mode);
    Ok(r)
}

fn demonitor(p: &mut Process, r: Term, opts: Term) -> BifResult {
    if !obj::is_ref(r) {
        return Err(BifError::BADARG);
    }
    let was_active = sched::demonitor(p, r) || crate::dist::demonitor(p, r);
    let opts = list_arg(opts)?;
    let has = |name: &str| opts.iter().any(|o| o.as_atom() == Some(Atom::intern(name)));
    if has("flush") {
        // Any first element: a tagged monitor's `DOWN` too, as erts' flush matches
        // `{_, Ref, _, _, _}`.
        p.retain_messages(|m| {
            !(obj::is_tuple(m)
                && obj::tuple_arity(m) == 5
                && girder_term::compare::eq_exact(obj::tuple_element(m, 1), r))
        });
    }
    Ok(Term::boolean(if has("info") { was_active } else { true }))
}

/// `exit/2` (`exit2`) and `erlang:exit_signal/2`, which differ only for the caller itself
/// (see [`sched::exit_signal_to`]).
fn exit2(p: &mut Process, a: &[Term], exit2: bool) -> BifResult {
    if crate::dist::is_remote_pid(a[0]) {
        crate::dist::exit2(p, a[0], a[1]);
        return Ok(Term::boolean(true));
    }
    let id = pid_or_port_arg(a[0])?;
    match sched::exit_signal_to(p, id, a[1], exit2) {
        Some(reason) => Err(BifError::Raise {
            class: Class::Exit,
            reason,
        }),
        None => Ok(Term::boolean(true)),
    }
}

/// The `max_heap_size` every process starts with: no limit.
const DEFAULT_MAX_HEAP: MaxHeapSize = MaxHeapSize {
    size: 0,
    kill: true,
    error_logger: true,
};

/// A `max_heap_size` value: a size in words, or a map with `size`, `kill`, `error_logger`
/// (keys left out keep the values of `base`).
fn max_heap_size_arg(v: Term, base: Option<MaxHeapSize>) -> Result<MaxHeapSize, BifError> {
    let size = |t: Term| {
        obj::integer_to_i64(t)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or(BifError::BADARG)
    };
    let mut m = base.unwrap_or(DEFAULT_MAX_HEAP);
    if obj::is_map(v) {
        for (k, val) in obj::map_pairs(v) {
            let flag = || match val.as_atom() {
                Some(Atom::TRUE) => Ok(true),
                Some(Atom::FALSE) => Ok(false),
                _ => Err(BifError::BADARG),
            };
            match k.as_atom().map(|k| k.name()) {
                Some("size") => m.size = size(val)?,
                Some("kill") => m.kill = flag()?,
                Some("error_logger") => m.error_logger = flag()?,
                _ => return Err(BifError::BADARG),
            }
        }
    } else {
        m.size = size(v)?;
    }
    Ok(m)
}

fn max_heap_size_map(h: &mut impl girder_term::heap::Alloc, m: MaxHeapSize) -> Term {
    let mut pairs = vec![
        (
            Term::atom(Atom::intern("error_logger")),
            Term::boolean(m.error_logger),
        ),
        (Term::atom(Atom::intern("kill")), Term::boolean(m.kill)),
        (Term::atom(Atom::intern("size")), Term::small(m.size as i64)),
    ];
    obj::map_from_pairs(h, &mut pairs)
}

fn process_flag(p: &mut Process, a: &[Term]) -> BifResult {
    let bool_arg = |t: Term| match t.as_atom() {
        Some(Atom::TRUE) => Ok(true),
        Some(Atom::FALSE) => Ok(false),
        _ => Err(BifError::BADARG),
    };
    if obj::is_tuple(a[0])
        && obj::tuple_arity(a[0]) == 2
        && obj::tuple_element(a[0], 0).as_atom() == Some(Atom::intern("monitor_nodes"))
    {
        let on = bool_arg(a[1])?;
        return crate::dist::monitor_nodes(p, Some(obj::tuple_element(a[0], 1)), on);
    }
    match a[0].as_atom().map(|f| f.name()) {
        Some("monitor_nodes") => {
            let on = bool_arg(a[1])?;
            crate::dist::monitor_nodes(p, None, on)
        }
        Some("trap_exit") => {
            let on = bool_arg(a[1])?;
            Ok(Term::boolean(sched::set_trap_exit(p, on)))
        }
        Some("error_handler") => {
            let module = a[1].as_atom().ok_or(BifError::BADARG)?;
            Ok(Term::atom(std::mem::replace(&mut p.error_handler, module)))
        }
        Some("priority") => {
            let new = a[1]
                .as_atom()
                .and_then(Priority::from_atom)
                .ok_or(BifError::BADARG)?;
            Ok(Term::atom(sched::set_priority(p, new).atom()))
        }
        Some("min_heap_size") => {
            obj::integer_to_i64(a[1])
                .filter(|n| *n >= 0)
                .ok_or(BifError::BADARG)?;
            Ok(Term::small(girder_runtime::process::MIN_HEAP_WORDS as i64))
        }
        Some("message_queue_data") => match a[1].as_atom().map(|a| a.name()) {
            Some("on_heap" | "off_heap") => Ok(Term::atom(Atom::intern("on_heap"))),
            _ => Err(BifError::BADARG),
        },
        Some("max_heap_size") => {
            let old = p.max_heap_size.unwrap_or(DEFAULT_MAX_HEAP);
            p.max_heap_size = Some(max_heap_size_arg(a[1], Some(old))?);
            Ok(max_heap_size_map(&mut p.heap, old))
        }
        Some("sensitive") => {
            bool_arg(a[1])?;
            Ok(Term::boolean(false))
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
        Some(id) => {
            girder_runtime::tracing::sent(p, a[0], id, a[1]);
            sched::send(p, id, a[1])
        }
        None if girder_runtime::dist::send(p, a[0], a[1]) => {}
        None => return Err(BifError::BADARG),
    }
    Ok(a[1])
}

/// `erlang:send(Dest, Msg, Options)`: `ok`; with `noconnect`, `noconnect` instead of
/// sending to a node that is not connected.
fn send3(p: &mut Process, a: &[Term]) -> BifResult {
    let mut noconnect = false;
    for o in list_arg(a[2])? {
        match o.as_atom().map(|a| a.name()) {
            Some("noconnect") => noconnect = true,
            Some("nosuspend") => {}
            _ => return Err(BifError::BADARG),
        }
    }
    if noconnect && !crate::dist::reachable(a[0]) {
        return Ok(Term::atom(Atom::intern("noconnect")));
    }
    send(p, a)?;
    Ok(Term::atom(Atom::OK))
}

/// Marker word in timer references, to tell them from other references.
const TIMER_TAG: u32 = 0x7469_6d72;

fn timer_ref(p: &mut Process, id: u64) -> Term {
    let ids = RefIds::new(&[id as u32, (id >> 32) as u32, TIMER_TAG]).expect("three ids");
    obj::local_ref(&mut p.heap, &ids)
}

/// The timer number in a timer reference; `None` for another reference; badarg for a
/// non-reference.
fn timer_id(t: Term) -> Result<Option<u64>, BifError> {
    if !obj::is_ref(t) {
        return Err(BifError::BADARG);
    }
    if !obj::is_local_ref(t) {
        return Ok(None);
    }
    let ids = obj::local_ref_ids(t);
    if ids.get(2) != TIMER_TAG {
        return Ok(None);
    }
    Ok(Some(u64::from(ids.get(0)) | (u64::from(ids.get(1)) << 32)))
}

/// The timeout and destination of `send_after`/`start_timer`, with the option list of the
/// four-argument forms (`{abs, Bool}`) applied.
fn timer_args(a: &[Term], opts: Option<Term>) -> Result<(u64, Result<u64, Atom>), BifError> {
    let mut abs = false;
    if let Some(opts) = opts {
        for o in list_arg(opts)? {
            if obj::is_tuple(o)
                && obj::tuple_arity(o) == 2
                && obj::tuple_element(o, 0).as_atom() == Some(Atom::intern("abs"))
            {
                abs = match obj::tuple_element(o, 1).as_atom() {
                    Some(Atom::TRUE) => true,
                    Some(Atom::FALSE) => false,
                    _ => return Err(BifError::BADARG),
                };
            } else {
                return Err(BifError::BADARG);
            }
        }
    }
    let time = obj::integer_to_i64(a[0]).ok_or(BifError::BADARG)?;
    let ms = if abs {
        // An absolute time in erlang:monotonic_time(millisecond).
        let now = crate::time::monotonic_ms();
        u64::try_from(time.saturating_sub(now)).unwrap_or(0)
    } else {
        u64::try_from(time).map_err(|_| BifError::BADARG)?
    };
    let to = if a[1].is_local_pid() {
        Ok(a[1].immediate_id())
    } else if let Some(name) = a[1].as_atom() {
        Err(name)
    } else {
        return Err(BifError::BADARG);
    };
    Ok((ms, to))
}

fn send_after(p: &mut Process, a: &[Term], opts: Option<Term>) -> BifResult {
    let (ms, to) = timer_args(a, opts)?;
    let id = sched::send_after(ms, to, a[2]);
    Ok(timer_ref(p, id))
}

/// `start_timer`: like `send_after`, with the message `{timeout, TimerRef, Msg}`. The timer
/// number is taken first, so the message can hold the reference.
fn start_timer(p: &mut Process, a: &[Term], opts: Option<Term>) -> BifResult {
    let (ms, to) = timer_args(a, opts)?;
    let id = sched::timers::reserve_id();
    let r = timer_ref(p, id);
    let msg = obj::tuple(&mut p.heap, &[Term::atom(Atom::intern("timeout")), r, a[2]]);
    sched::send_after_with_id(id, ms, to, msg);
    Ok(r)
}

/// Options of `cancel_timer/2` and `read_timer/2`: `{async, Bool}` and `{info, Bool}`.
fn timer_opts(opts: Term) -> Result<(bool, bool), BifError> {
    let (mut is_async, mut info) = (false, true);
    for o in list_arg(opts)? {
        if !obj::is_tuple(o) || obj::tuple_arity(o) != 2 {
            return Err(BifError::BADARG);
        }
        let v = match obj::tuple_element(o, 1).as_atom() {
            Some(Atom::TRUE) => true,
            Some(Atom::FALSE) => false,
            _ => return Err(BifError::BADARG),
        };
        match obj::tuple_element(o, 0).as_atom().map(|k| k.name()) {
            Some("async") => is_async = v,
            Some("info") => info = v,
            _ => return Err(BifError::BADARG),
        }
    }
    Ok((is_async, info))
}

/// `cancel_timer/1,2` and `read_timer/1,2`. With `{async, true}` the answer comes as a
/// message `{cancel_timer | read_timer, TimerRef, Result}` (when `info` is true) and the
/// call returns `ok`.
fn timer_query(p: &mut Process, r: Term, opts: Term, cancel: bool) -> BifResult {
    let (is_async, info) = timer_opts(opts)?;
    let left = match timer_id(r)? {
        Some(id) if cancel => sched::cancel_timer(id),
        Some(id) => sched::read_timer(id),
        None => None,
    };
    let result = left.map_or(Term::boolean(false), |ms| Term::small(ms as i64));
    if is_async {
        if info {
            let tag = Term::atom(Atom::intern(if cancel {
                "cancel_timer"
            } else {
                "read_timer"
            }));
            let msg = obj::tuple(&mut p.heap, &[tag, r, result]);
            p.msgs.push_back(msg);
        }
        return Ok(Term::atom(Atom::OK));
    }
    if !info {
        return Ok(Term::atom(Atom::OK));
    }
    Ok(result)
}

/// `erlang:hibernate(M, F, Args)`: the interpreter drops the stack, compacts the heap and
/// waits for a message before calling `M:F(Args)`. An undefined function is `undef` at once.
fn hibernate(p: &mut Process, a: &[Term]) -> BifResult {
    let (Some(m), Some(f)) = (a[0].as_atom(), a[1].as_atom()) else {
        return Err(BifError::BADARG);
    };
    let args = list_arg(a[2])?;
    let export = module::export(m, f, args.len() as u32);
    let defined = export.target().is_some()
        || (girder_runtime::code_server::ensure_loaded(m).is_ok() && export.target().is_some());
    if !defined {
        return Err(BifError::Raise {
            class: Class::Error,
            reason: Term::atom(Atom::UNDEF),
        });
    }
    if args.len() > p.x.len() {
        return Err(BifError::SYSTEM_LIMIT);
    }
    p.x[..args.len()].copy_from_slice(&args);
    Err(BifError::Hibernate {
        module: m,
        function: f,
        arity: args.len() as u32,
    })
}

fn processes(p: &mut Process, _: &[Term]) -> BifResult {
    let pids: Vec<Term> = sched::processes(p).into_iter().map(Term::pid).collect();
    Ok(obj::list_from_slice(&mut p.heap, &pids, Term::NIL))
}

/// The items `process_info/1` gives, in OTP's order (`registered_name` first when the
/// process has a name).
const INFO_ITEMS: &[&str] = &[
    "current_function",
    "initial_call",
    "status",
    "message_queue_len",
    "links",
    "dictionary",
    "trap_exit",
    "error_handler",
    "priority",
    "group_leader",
    "total_heap_size",
    "heap_size",
    "stack_size",
    "reductions",
    "garbage_collection",
    "suspending",
];

/// Terms of the distribution layer (other nodes' pids, `{Name, Node}`) built on `h`.
fn remote(h: &mut impl girder_term::heap::Alloc, items: Vec<girder_format::Term>) -> Vec<Term> {
    items
        .iter()
        .filter_map(|t| girder_term::convert::from_format(h, t).ok())
        .collect()
}

fn mfa(h: &mut impl girder_term::heap::Alloc, (m, f, a): (Atom, Atom, u32)) -> Term {
    obj::tuple(
        h,
        &[Term::atom(m), Term::atom(f), Term::small(i64::from(a))],
    )
}

/// The function a suspended process is in.
fn current_function(q: &Process) -> Option<(Atom, Atom, u32)> {
    let code = module::code(q.resume.code())?;
    let f = code.function_at(q.resume.offset())?;
    Some((code.name, f.function, f.arity))
}

/// One `process_info` item of `q` (the caller itself when `is_self`), built on `h`. `None`
/// for an item that is not one (badarg); `Some(None)` for `registered_name` of a process
/// without a name.
fn info_item(
    h: &mut girder_term::heap::Heap,
    q: &Process,
    seen: Option<&sched::Seen>,
    item: Atom,
) -> Option<Option<Term>> {
    let list =
        |h: &mut girder_term::heap::Heap, items: &[Term]| obj::list_from_slice(h, items, Term::NIL);
    let copy = |h: &mut girder_term::heap::Heap, t: Term| match seen {
        Some(_) => copy_term(t, h),
        None => t,
    };
    let value = match item.name() {
        "registered_name" => match sched::registered_name(q.id) {
            Some(n) => Term::atom(n),
            None => return Some(None),
        },
        "current_stacktrace" => girder_runtime::trace::current_of(q, h),
        "current_function" => match current_function(q) {
            Some(f) => mfa(h, f),
            None => Term::atom(Atom::UNDEFINED),
        },
        "initial_call" => mfa(h, q.initial_call),
        "status" => Term::atom(Atom::intern(seen.map_or("running", |s| s.status))),
        "message_queue_len" => Term::small(q.msgs.len() as i64),
        "messages" => {
            let msgs: Vec<Term> = q.msgs.iter().map(|m| copy(h, *m)).collect();
            list(h, &msgs)
        }
        "links" => {
            let mut links: Vec<Term> = q.links.iter().map(|&l| port::ident_term(l)).collect();
            links.extend(remote(h, crate::dist::remote_links(q.id)));
            list(h, &links)
        }
        "monitors" => {
            let process = Term::atom(Atom::intern("process"));
            let mut ms: Vec<Term> = q
                .monitors
                .iter()
                .map(|&(_, other, name)| {
                    let target = match name {
                        Some(n) => obj::tuple(h, &[Term::atom(n), Term::atom(obj::this_node().0)]),
                        None => port::ident_term(other),
                    };
                    let kind = if obj::is_port(target) {
                        Term::atom(Atom::intern("port"))
                    } else {
                        process
                    };
                    obj::tuple(h, &[kind, target])
                })
                .collect();
            ms.extend(remote(h, crate::dist::remote_monitors(q.id)));
            list(h, &ms)
        }
        "monitored_by" => {
            let mut ms: Vec<Term> = q.monitored_by.iter().map(|&(_, w)| Term::pid(w)).collect();
            ms.extend(remote(h, crate::dist::remote_monitored_by(q.id)));
            list(h, &ms)
        }
        "dictionary" => {
            let pairs: Vec<Term> = q
                .dict
                .entries()
                .into_iter()
                .map(|(k, v)| {
                    let (k, v) = (copy(h, k), copy(h, v));
                    obj::tuple(h, &[k, v])
                })
                .collect();
            list(h, &pairs)
        }
        "trap_exit" => Term::boolean(q.trap_exit),
        "group_leader" => sched::leader_term(h, q.group_leader),
        "error_handler" => Term::atom(q.error_handler),
        "priority" => Term::atom(q.priority.atom()),
        "heap_size" => Term::small(q.heap.young_capacity() as i64),
        // As OTP's, the total counts the heap fragments (what BIFs built that did not fit).
        "total_heap_size" => Term::small(
            (q.heap.young_capacity() + q.heap.old_capacity() + q.heap.fragment_words()) as i64,
        ),
        "stack_size" => Term::small(q.stack.len() as i64),
        "memory" => Term::small(
            ((q.heap.young_capacity()
                + q.heap.old_capacity()
                + q.heap.fragment_words()
                + q.stack.capacity())
                * 8
                + std::mem::size_of::<Process>()) as i64,
        ),
        "reductions" => {
            let now = seen.map_or(interp::REDUCTIONS - q.reductions, |_| 0).max(0) as u64;
            obj::integer_from_u64(h, q.total_reductions + now)
        }
        "garbage_collection" => {
            let pair = |h: &mut girder_term::heap::Heap, k: &str, v: Term| {
                obj::tuple(h, &[Term::atom(Atom::intern(k)), v])
            };
            let mhs = max_heap_size_map(h, q.max_heap_size.unwrap_or(DEFAULT_MAX_HEAP));
            let items = [
                ("max_heap_size", mhs),
                ("min_bin_vheap_size", Term::small(46422)),
                (
                    "min_heap_size",
                    Term::small(girder_runtime::process::MIN_HEAP_WORDS as i64),
                ),
                ("fullsweep_after", Term::small(65535)),
                ("minor_gcs", Term::small(q.heap.collections() as i64)),
            ];
            let items: Vec<Term> = items.iter().map(|(k, v)| pair(h, k, *v)).collect();
            list(h, &items)
        }
        "suspending" => Term::NIL,
        "max_heap_size" => max_heap_size_map(h, q.max_heap_size.unwrap_or(DEFAULT_MAX_HEAP)),
        "catchlevel" => Term::small(q.stack.iter().filter(|t| t.is_catch()).count() as i64),
        "last_calls" => Term::boolean(false),
        "sequential_trace_token" => Term::NIL,
        "message_queue_data" => Term::atom(Atom::intern("on_heap")),
        _ => return None,
    };
    Some(Some(obj::tuple(h, &[Term::atom(item), value])))
}

/// `process_info(Pid, Items)` for a list of item atoms, or all default items (`None`).
fn info_items(p: &mut Process, id: u64, items: Option<&[Term]>) -> BifResult {
    let default: Vec<Term>;
    let items = match items {
        Some(items) => items,
        None => {
            let mut v = Vec::new();
            if sched::registered_name(id).is_some() {
                v.push(Term::atom(Atom::intern("registered_name")));
            }
            v.extend(INFO_ITEMS.iter().map(|i| Term::atom(Atom::intern(i))));
            default = v;
            &default
        }
    };
    let mut atoms = Vec::with_capacity(items.len());
    for i in items {
        atoms.push(i.as_atom().ok_or(BifError::BADARG)?);
    }
    let build = |h: &mut girder_term::heap::Heap, q: &Process, seen: Option<&sched::Seen>| {
        let mut out = Vec::with_capacity(atoms.len());
        for &a in &atoms {
            match info_item(h, q, seen, a) {
                None => return Err(BifError::BADARG),
                Some(Some(t)) => out.push(t),
                // `registered_name` of a process without one: `[]` in a list of items.
                Some(None) => out.push(obj::tuple(h, &[Term::atom(a), Term::NIL])),
            }
        }
        Ok(out)
    };
    // The caller's own stack trace is built from its live stack.
    if id == p.id
        && let [one] = atoms[..]
        && one.name() == "current_stacktrace"
    {
        let trace = girder_runtime::trace::current(p);
        let t = obj::tuple(&mut p.heap, &[Term::atom(one), trace]);
        return Ok(obj::list_from_slice(&mut p.heap, &[t], Term::NIL));
    }
    let tuples = if id == p.id {
        // Built aside, so that the items read this process's own heap (its sizes), then
        // copied in.
        let mut scratch = girder_term::heap::Heap::new(0);
        let built = build(&mut scratch, p, None)?;
        built
            .into_iter()
            .map(|t| copy_term(t, &mut p.heap))
            .collect()
    } else {
        let heap = &mut p.heap;
        match sched::inspect(id, |q, seen| build(heap, q, Some(&seen))) {
            sched::Inspected::Seen(r) => r?,
            sched::Inspected::Dead => return Ok(Term::atom(Atom::UNDEFINED)),
            // Running on another thread: the call is made again after a yield.
            sched::Inspected::Busy => return Err(BifError::Retry),
        }
    };
    Ok(obj::list_from_slice(&mut p.heap, &tuples, Term::NIL))
}

fn process_info1(p: &mut Process, a: &[Term]) -> BifResult {
    let id = pid_arg(a[0])?;
    info_items(p, id, None)
}

fn process_info(p: &mut Process, a: &[Term]) -> BifResult {
    let id = pid_arg(a[0])?;
    if let Some(item) = a[1].as_atom() {
        let r = info_items(p, id, Some(&[a[1]]))?;
        if r.as_atom() == Some(Atom::UNDEFINED) {
            return Ok(r);
        }
        let t = obj::head(r);
        // `registered_name` alone, for a process without a name, is `[]`.
        if item.name() == "registered_name" && obj::tuple_element(t, 1) == Term::NIL {
            return Ok(Term::NIL);
        }
        return Ok(t);
    }
    let items = list_arg(a[1])?;
    info_items(p, id, Some(&items))
}

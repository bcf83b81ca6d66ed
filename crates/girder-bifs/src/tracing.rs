//! Call tracing, the BIFs under OTP's `erlang:trace/3` and `erlang:trace_pattern/2,3`
//! (`erts_internal:trace/3`, `erts_internal:trace_pattern/3`) and `erlang:trace_info/2`;
//! the state lives in `girder_runtime::tracing`.
//!
//! What is implemented: the flags `call`, `procs`, `send`, `'receive'`, `set_on_spawn`,
//! `set_on_link` and `timestamp` with `{tracer, Pid}` (the caller by default) for one
//! process, every existing one or new ones; call patterns on the exported functions of
//! loaded modules, with `true`, `[]`, `false` or a match specification of the trace
//! dialect (`return_trace`, `exception_trace`, `message`); `call_count` patterns. Other
//! flags and pattern kinds raise `badarg`; `local` patterns trace the calls through exports
//! only. Also `erlang:system_monitor/0,1,2` (state in `girder_runtime::sysmon`) and
//! `erlang:trace_delivered/1`.

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_runtime::module;
use girder_runtime::sched;
use girder_runtime::sysmon;
use girder_runtime::tracing::{
    self, CALL, PROCS, RECEIVE, SEND, SET_ON_LINK, SET_ON_SPAWN, TIMESTAMP,
};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;

pub const BIFS: &[Entry] = &[
    ("erts_internal", "trace", 3, trace),
    ("erts_internal", "trace_pattern", 3, trace_pattern),
    ("erlang", "trace_info", 2, trace_info),
    ("erlang", "match_spec_test", 3, match_spec_test),
    ("erlang", "trace_delivered", 1, trace_delivered),
    ("erlang", "system_monitor", 0, |p, _| {
        Ok(monitor_term(p, sysmon::get()))
    }),
    ("erlang", "system_monitor", 1, |p, a| {
        if a[0] == Term::atom(Atom::UNDEFINED) {
            let old = sysmon::set(None);
            return Ok(monitor_term(p, old));
        }
        if !(obj::is_tuple(a[0]) && obj::tuple_arity(a[0]) == 2) {
            return Err(BifError::BADARG);
        }
        system_monitor(p, obj::tuple_element(a[0], 0), obj::tuple_element(a[0], 1))
    }),
    ("erlang", "system_monitor", 2, |p, a| {
        system_monitor(p, a[0], a[1])
    }),
    ("girder_tracing", "skip_next", 0, |p, _| {
        tracing::skip_next(p.id);
        Ok(Term::atom(Atom::TRUE))
    }),
    ("girder_tracing", "return_from", 4, |p, a| {
        return_from(p, a, "return_from")
    }),
    ("girder_tracing", "exception_from", 4, |p, a| {
        return_from(p, a, "exception_from")
    }),
];

/// Called at start: the match specification engine and the clock for the runtime.
pub fn init() {
    let _ = tracing::MS_RUNNER.set(run_ms);
    let _ = tracing::NOW.set(crate::misc::now_triple);
    sched::add_exit_hook(|p| {
        tracing::process_exited(p.id);
        sysmon::process_exited(p.id);
    });
}

/// `erlang:trace_delivered(Tracee)`: a reference `Ref`, and the message
/// `{trace_delivered, Tracee, Ref}` to the caller once every trace message `Tracee` (a
/// pid, or `all`) generated so far is in its tracer's queue. girder sends most trace
/// messages as they happen; the rest wait in the queue [`tracing::flush`] empties, so
/// after a flush they are all delivered.
fn trace_delivered(p: &mut Process, a: &[Term]) -> BifResult {
    if !(obj::is_pid(a[0]) || a[0] == Term::atom(Atom::intern("all"))) {
        return Err(BifError::BADARG);
    }
    tracing::flush();
    let r = obj::make_ref(&mut p.heap);
    let msg = obj::tuple(
        &mut p.heap,
        &[Term::atom(Atom::intern("trace_delivered")), a[0], r],
    );
    sched::send(p, p.id, msg);
    Ok(r)
}

/// `{MonitorPid, Options}` (in erts' order), or `undefined`.
fn monitor_term(p: &mut Process, s: Option<sysmon::Settings>) -> Term {
    let Some(s) = s else {
        return Term::atom(Atom::UNDEFINED);
    };
    let mut opts = Vec::new();
    let pair = |p: &mut Process, k: &str, v: u64| {
        obj::tuple(
            &mut p.heap,
            &[Term::atom(Atom::intern(k)), Term::small(v as i64)],
        )
    };
    if s.busy_dist_port {
        opts.push(Term::atom(Atom::intern("busy_dist_port")));
    }
    if s.busy_port {
        opts.push(Term::atom(Atom::intern("busy_port")));
    }
    if let Some(n) = s.large_heap {
        opts.push(pair(p, "large_heap", n));
    }
    if let Some(n) = s.long_gc {
        opts.push(pair(p, "long_gc", n));
    }
    if let Some(n) = s.long_schedule {
        opts.push(pair(p, "long_schedule", n));
    }
    let list = obj::list_from_slice(&mut p.heap, &opts, Term::NIL);
    obj::tuple(&mut p.heap, &[Term::pid(s.pid), list])
}

/// The smallest `large_heap` limit erts keeps (smaller ones are raised to it).
const MIN_LARGE_HEAP: u64 = 16384;

/// `erlang:system_monitor(MonitorPid, Options)`: the previous settings. An empty option
/// list turns monitoring off.
fn system_monitor(p: &mut Process, pid: Term, options: Term) -> BifResult {
    if !pid.is_local_pid() {
        return Err(BifError::BADARG);
    }
    let id = pid.immediate_id();
    if id != p.id && !sched::is_alive(p, id) {
        return Err(BifError::BADARG);
    }
    let items = obj::list_to_vec(options).ok_or(BifError::BADARG)?;
    let mut s = sysmon::Settings {
        pid: id,
        ..Default::default()
    };
    for o in &items {
        match o.as_atom().map(|a| a.name()) {
            Some("busy_port") => s.busy_port = true,
            Some("busy_dist_port") => s.busy_dist_port = true,
            Some(_) => return Err(BifError::BADARG),
            None => {
                if !(obj::is_tuple(*o) && obj::tuple_arity(*o) == 2) {
                    return Err(BifError::BADARG);
                }
                let n = obj::tuple_element(*o, 1)
                    .as_small()
                    .and_then(|n| u64::try_from(n).ok())
                    .ok_or(BifError::BADARG)?;
                match obj::tuple_element(*o, 0).as_atom().map(|a| a.name()) {
                    Some("long_gc") => s.long_gc = Some(n.max(1)),
                    Some("long_schedule") => s.long_schedule = Some(n.max(1)),
                    Some("large_heap") => s.large_heap = Some(n.max(MIN_LARGE_HEAP)),
                    _ => return Err(BifError::BADARG),
                }
            }
        }
    }
    let old = sysmon::set((!items.is_empty()).then_some(s));
    Ok(monitor_term(p, old))
}

/// `girder_tracing:return_from/4` and `exception_from/4` for `girder_trace`.
fn return_from(p: &mut Process, a: &[Term], what: &str) -> BifResult {
    let (Some(m), Some(f), Some(n)) = (a[0].as_atom(), a[1].as_atom(), a[2].as_small()) else {
        return Err(BifError::BADARG);
    };
    tracing::return_from(p, what, m, f, n as u32, a[3]);
    Ok(Term::atom(Atom::TRUE))
}

fn run_ms(p: &mut Process, ms: Term, args: Term) -> Option<(tracing::OnReturn, Option<Term>)> {
    let spec = crate::ets::ms::MatchSpec::compile_trace(ms).ok()?;
    match spec.run_actions(p, args) {
        (crate::ets::ms::Outcome::NoMatch, _) => None,
        (_, actions) => {
            let on_return = if actions.exception_trace {
                tracing::OnReturn::Exception
            } else if actions.return_trace {
                tracing::OnReturn::Return
            } else {
                tracing::OnReturn::Nothing
            };
            Some((on_return, actions.message))
        }
    }
}

/// The flags of a flag list: `call`, `timestamp`, `{tracer, Pid}`; anything else `badarg`.
fn flags(list: Term, me: u64) -> Result<(u32, u64), BifError> {
    let items = obj::list_to_vec(list).ok_or(BifError::BADARG)?;
    let (mut flags, mut tracer) = (0, me);
    for f in items {
        match f.as_atom().map(|a| a.name()) {
            Some("call") => flags |= CALL,
            Some("procs") => flags |= PROCS,
            Some("set_on_link") => flags |= SET_ON_LINK,
            Some("send") => flags |= SEND,
            Some("receive") => flags |= RECEIVE,
            Some("set_on_spawn") => flags |= SET_ON_SPAWN,
            Some("timestamp") => flags |= TIMESTAMP,
            _ if obj::is_tuple(f)
                && obj::tuple_arity(f) == 2
                && obj::tuple_element(f, 0).as_atom() == Some(Atom::intern("tracer"))
                && obj::tuple_element(f, 1).is_local_pid() =>
            {
                tracer = obj::tuple_element(f, 1).immediate_id();
            }
            _ => return Err(BifError::BADARG),
        }
    }
    Ok((flags, tracer))
}

/// `erts_internal:trace(PidSpec, How, FlagList)`: the number of processes whose flags
/// changed.
fn trace(p: &mut Process, a: &[Term]) -> BifResult {
    let on = match a[1].as_atom().map(|a| a.name()) {
        Some("true") => true,
        Some("false") => false,
        _ => return Err(BifError::BADARG),
    };
    let (flags, tracer) = flags(a[2], p.id)?;
    if on && tracer != p.id && !sched::is_alive(p, tracer) {
        return Err(BifError::BADARG);
    }
    let ids: Vec<u64> = if a[0].is_local_pid() {
        let id = a[0].immediate_id();
        if id != p.id && !sched::is_alive(p, id) {
            return Err(BifError::BADARG);
        }
        vec![id]
    } else {
        let spec = a[0].as_atom().map(|a| a.name());
        if let Some("new" | "all" | "new_processes" | "processes") = spec {
            tracing::set_new(on, flags, tracer);
        }
        match spec {
            Some("existing" | "all" | "processes" | "existing_processes") => sched::processes(p)
                .into_iter()
                .filter(|&id| id != tracer)
                .collect(),
            Some("new" | "new_processes") => Vec::new(),
            _ => return Err(BifError::BADARG),
        }
    };
    // A traced process has one tracer: another is `badarg`, as in erts.
    if on
        && a[0].is_local_pid()
        && tracing::of(ids[0]).is_some_and(|t| t.flags != 0 && t.tracer != tracer)
    {
        return Err(BifError::BADARG);
    }
    for &id in &ids {
        tracing::set(id, on, flags, tracer);
    }
    Ok(Term::small(ids.len() as i64))
}

/// Module, function and arity of a pattern; `None` for `'_'`.
type MfaPattern = (Option<Atom>, Option<Atom>, Option<u32>);

/// `M:F/A` patterns: atoms or `'_'` (a `'_'` function needs a `'_'` arity, a `'_'`
/// module a `'_'` function).
fn mfa_pattern(t: Term) -> Result<MfaPattern, BifError> {
    if !obj::is_tuple(t) || obj::tuple_arity(t) != 3 {
        return Err(BifError::BADARG);
    }
    let any = Atom::intern("_");
    let part = |i| {
        let e = obj::tuple_element(t, i);
        match e.as_atom() {
            Some(a) if a == any => Ok(None),
            Some(a) => Ok(Some(a)),
            None => Err(BifError::BADARG),
        }
    };
    let (m, f) = (part(0)?, part(1)?);
    let arity = obj::tuple_element(t, 2);
    let a = if arity.as_atom() == Some(any) {
        None
    } else {
        Some(
            arity
                .as_small()
                .and_then(|n| u8::try_from(n).ok())
                .ok_or(BifError::BADARG)? as u32,
        )
    };
    if (m.is_none() && f.is_some()) || (f.is_none() && a.is_some()) {
        return Err(BifError::BADARG);
    }
    Ok((m, f, a))
}

/// `erts_internal:trace_pattern(MFA, MatchSpec, Flags)`: the number of functions matched.
fn trace_pattern(_: &mut Process, a: &[Term]) -> BifResult {
    let (m, f, arity) = mfa_pattern(a[0])?;
    let ms = a[1];
    let flags = obj::list_to_vec(a[2]).ok_or(BifError::BADARG)?;
    if flags.len() == 1 && flags[0] == Term::atom(Atom::intern("call_count")) {
        let op = match ms.as_atom().map(|a| a.name()) {
            Some("true") => tracing::CountOp::Start,
            Some("false") => tracing::CountOp::Stop,
            Some("pause") => tracing::CountOp::Pause,
            Some("restart") => tracing::CountOp::Restart,
            _ => {
                return Err(BifError::FailCause {
                    reason: Term::atom(Atom::BADARG),
                    cause: Atom::intern("match_spec"),
                });
            }
        };
        return Ok(Term::small(each_export(m, f, arity, |e| {
            tracing::set_counter(e, op)
        })));
    }
    // Some(None): trace every call; Some(Some(ms)): with a match specification; None: off.
    let pattern = if ms == Term::atom(Atom::TRUE) || ms == Term::NIL {
        Some(None)
    } else if ms == Term::atom(Atom::FALSE) {
        None
    } else {
        crate::ets::ms::MatchSpec::compile_trace(ms).map_err(|_| BifError::FailCause {
            reason: Term::atom(Atom::BADARG),
            cause: Atom::intern("match_spec"),
        })?;
        Some(Some(ms))
    };
    let mut local = false;
    for flag in flags {
        match flag.as_atom().map(|a| a.name()) {
            Some("global") => local = false,
            Some("local") => local = true,
            _ => return Err(BifError::BADARG),
        }
    }
    Ok(Term::small(each_export(m, f, arity, |e| {
        tracing::set_pattern(e, pattern, local)
    })))
}

/// Apply `set` to the exports of loaded modules an `M:F/A` pattern matches; how many.
fn each_export(
    m: Option<Atom>,
    f: Option<Atom>,
    arity: Option<u32>,
    set: impl Fn(&'static module::Export),
) -> i64 {
    let modules: Vec<Atom> = match m {
        Some(m) => vec![m],
        None => module::loaded_modules(),
    };
    let mut matched = 0;
    for name in modules {
        let Some(code) = module::loaded(name) else {
            continue;
        };
        for &(function, n, _) in code.exports.iter() {
            if f.is_some_and(|f| f != function) || arity.is_some_and(|a| a != n) {
                continue;
            }
            set(module::export(name, function, n));
            matched += 1;
        }
    }
    matched
}

/// `erlang:trace_info(PidOrFunc, Item)`: for a process, `flags` and `tracer`; for a
/// function `{M, F, A}`, `traced` and `match_spec`; `all` for either.
fn trace_info(p: &mut Process, a: &[Term]) -> BifResult {
    let item = a[1].as_atom().ok_or(BifError::BADARG)?;
    let pair = |p: &mut Process, k: &str, v: Term| {
        obj::tuple(&mut p.heap, &[Term::atom(Atom::intern(k)), v])
    };
    let new = matches!(
        a[0].as_atom().map(|a| a.name()),
        Some("new" | "new_processes")
    );
    if a[0].is_local_pid() || new {
        let t = if new {
            tracing::new_processes()
        } else {
            let id = a[0].immediate_id();
            if id != p.id && !sched::is_alive(p, id) {
                return Ok(Term::atom(Atom::UNDEFINED));
            }
            tracing::of(id)
        };
        let flag_list = |p: &mut Process| {
            let mut names = Vec::new();
            if let Some(t) = t {
                // erts' order.
                if t.flags & SET_ON_LINK != 0 {
                    names.push(Term::atom(Atom::intern("set_on_link")));
                }
                if t.flags & PROCS != 0 {
                    names.push(Term::atom(Atom::intern("procs")));
                }
                if t.flags & CALL != 0 {
                    names.push(Term::atom(Atom::intern("call")));
                }
                if t.flags & SET_ON_SPAWN != 0 {
                    names.push(Term::atom(Atom::intern("set_on_spawn")));
                }
                if t.flags & RECEIVE != 0 {
                    names.push(Term::atom(Atom::intern("receive")));
                }
                if t.flags & SEND != 0 {
                    names.push(Term::atom(Atom::intern("send")));
                }
                if t.flags & TIMESTAMP != 0 {
                    names.push(Term::atom(Atom::intern("timestamp")));
                }
            }
            obj::list_from_slice(&mut p.heap, &names, Term::NIL)
        };
        let tracer = |_: &mut Process| t.map_or(Term::NIL, |t| Term::pid(t.tracer));
        return Ok(match item.name() {
            "flags" => {
                let v = flag_list(p);
                pair(p, "flags", v)
            }
            "tracer" => {
                let v = tracer(p);
                pair(p, "tracer", v)
            }
            _ => return Err(BifError::BADARG),
        });
    }
    let (Some(m), Some(f), Some(n)) = mfa_pattern(a[0])? else {
        return Err(BifError::BADARG);
    };
    let e = module::find_export(m, f, n).filter(|e| e.is_traced());
    let pattern = e.and_then(|_| tracing::pattern(m, f, n));
    let traced = |p: &mut Process| {
        let v = match &pattern {
            Some(pat) if pat.local => Term::atom(Atom::intern("local")),
            Some(_) => Term::atom(Atom::intern("global")),
            None => Term::atom(Atom::FALSE),
        };
        pair(p, "traced", v)
    };
    let match_spec = |p: &mut Process| {
        let v = match &pattern {
            None => Term::atom(Atom::FALSE),
            Some(pat) => match pat.ms {
                None => Term::NIL,
                Some(ms) => girder_term::copy::copy_term(ms, &mut p.heap),
            },
        };
        pair(p, "match_spec", v)
    };
    Ok(match item.name() {
        "traced" => traced(p),
        "match_spec" => match_spec(p),
        "call_count" => {
            let v = match tracing::counter(m, f, n) {
                // Relaxed: see `tracing::Counter`.
                Some(c) => Term::small(c.count.load(std::sync::atomic::Ordering::Relaxed) as i64),
                None => Term::atom(Atom::FALSE),
            };
            pair(p, "call_count", v)
        }
        _ => return Err(BifError::BADARG),
    })
}

/// `erlang:match_spec_test(Term, MatchSpec, Type)` (`ets:test_ms/2`, `dbg`'s checks):
/// `{ok, Result, Flags, []}` (`Result` `false` when no clause matches; for `trace`, a
/// list of arguments, the `{message, X}` value or `true`, and `Flags` `[return_trace]`
/// when asked), or `{error, [{error, Text}]}` for a specification that does not compile.
/// erts explains what is wrong in `Text`; girder does so only for a specification that
/// is not a non-empty list.
fn match_spec_test(p: &mut Process, a: &[Term]) -> BifResult {
    use crate::ets::ms::{MatchSpec, Outcome};
    let trace = match a[2].as_atom().map(|t| t.name()) {
        Some("table") => false,
        Some("trace") => true,
        _ => return Err(BifError::BADARG),
    };
    if trace && obj::list_to_vec(a[0]).is_none() {
        return Err(BifError::BADARG);
    }
    let ms = a[1];
    let compiled = if trace {
        MatchSpec::compile_trace(ms)
    } else {
        MatchSpec::compile(ms)
    };
    let spec = match compiled {
        Ok(spec) if ms != Term::NIL => spec,
        _ => {
            let text = if obj::list_to_vec(ms).is_none_or(|l| l.is_empty()) {
                "Match programs are not in a list."
            } else {
                "Invalid match specification (girder does not say more)."
            };
            let text = crate::util::charlist(p, text);
            let e = obj::tuple(&mut p.heap, &[Term::atom(Atom::ERROR), text]);
            let list = obj::list_from_slice(&mut p.heap, &[e], Term::NIL);
            return Ok(obj::tuple(&mut p.heap, &[Term::atom(Atom::ERROR), list]));
        }
    };
    let (outcome, actions) = spec.run_actions(p, a[0]);
    let (result, flags) = match outcome {
        Outcome::NoMatch => (Term::atom(Atom::FALSE), Term::NIL),
        Outcome::Result(v) if !trace => (v, Term::NIL),
        Outcome::Result(_) => {
            let result = actions.message.unwrap_or(Term::atom(Atom::TRUE));
            let mut names = Vec::new();
            if actions.return_trace {
                names.push(Term::atom(Atom::intern("return_trace")));
            }
            if actions.exception_trace {
                names.push(Term::atom(Atom::intern("exception_trace")));
            }
            let flags = obj::list_from_slice(&mut p.heap, &names, Term::NIL);
            (result, flags)
        }
    };
    Ok(obj::tuple(
        &mut p.heap,
        &[Term::atom(Atom::OK), result, flags, Term::NIL],
    ))
}

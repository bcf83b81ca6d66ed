//! Call tracing, the BIFs under OTP's `erlang:trace/3` and `erlang:trace_pattern/2,3`
//! (`erts_internal:trace/3`, `erts_internal:trace_pattern/3`) and `erlang:trace_info/2`;
//! the state lives in `girder_runtime::tracing`.
//!
//! What is implemented: the `call` and `timestamp` flags with `{tracer, Pid}` (the caller
//! by default) for one process or every existing one; global call patterns on the
//! exported functions of loaded modules, with `true`, `[]`, `false` or a match
//! specification of the `ets` dialect (its head matched against the argument list). Other
//! flags, `new` processes, the trace dialect's actions (`return_trace`, `message`...) and
//! `local` patterns' local calls are not: they raise `badarg` (or, for `local`, trace the
//! calls through exports only).

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_runtime::module;
use girder_runtime::sched;
use girder_runtime::tracing::{self, CALL, TIMESTAMP};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;

pub const BIFS: &[Entry] = &[
    ("erts_internal", "trace", 3, trace),
    ("erts_internal", "trace_pattern", 3, trace_pattern),
    ("erlang", "trace_info", 2, trace_info),
];

/// Called at start: the match specification engine and the clock for the runtime.
pub fn init() {
    let _ = tracing::MS_RUNNER.set(run_ms);
    let _ = tracing::NOW.set(crate::misc::now_term);
    sched::add_exit_hook(|p| tracing::process_exited(p.id));
}

fn run_ms(p: &mut Process, ms: Term, args: Term) -> bool {
    match crate::ets::ms::MatchSpec::compile(ms) {
        Ok(spec) => !matches!(spec.run(p, args), crate::ets::ms::Outcome::NoMatch),
        Err(_) => false,
    }
}

/// The flags of a flag list: `call`, `timestamp`, `{tracer, Pid}`; anything else `badarg`.
fn flags(list: Term, me: u64) -> Result<(u32, u64), BifError> {
    let items = obj::list_to_vec(list).ok_or(BifError::BADARG)?;
    let (mut flags, mut tracer) = (0, me);
    for f in items {
        match f.as_atom().map(|a| a.name()) {
            Some("call") => flags |= CALL,
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
        match a[0].as_atom().map(|a| a.name()) {
            Some("existing" | "all" | "processes" | "existing_processes") => sched::processes(p)
                .into_iter()
                .filter(|&id| id != tracer)
                .collect(),
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
    // Some(None): trace every call; Some(Some(ms)): with a match specification; None: off.
    let pattern = if ms == Term::atom(Atom::TRUE) || ms == Term::NIL {
        Some(None)
    } else if ms == Term::atom(Atom::FALSE) {
        None
    } else {
        crate::ets::ms::MatchSpec::compile(ms).map_err(|_| BifError::BADARG)?;
        Some(Some(ms))
    };
    for flag in obj::list_to_vec(a[2]).ok_or(BifError::BADARG)? {
        match flag.as_atom().map(|a| a.name()) {
            Some("global" | "local") => {}
            _ => return Err(BifError::BADARG),
        }
    }
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
            let e = module::export(name, function, n);
            tracing::set_pattern(e, pattern);
            matched += 1;
        }
    }
    Ok(Term::small(matched))
}

/// `erlang:trace_info(PidOrFunc, Item)`: for a process, `flags` and `tracer`; for a
/// function `{M, F, A}`, `traced` and `match_spec`; `all` for either.
fn trace_info(p: &mut Process, a: &[Term]) -> BifResult {
    let item = a[1].as_atom().ok_or(BifError::BADARG)?;
    let pair = |p: &mut Process, k: &str, v: Term| {
        obj::tuple(&mut p.heap, &[Term::atom(Atom::intern(k)), v])
    };
    if a[0].is_local_pid() {
        let id = a[0].immediate_id();
        if id != p.id && !sched::is_alive(p, id) {
            return Ok(Term::atom(Atom::UNDEFINED));
        }
        let t = tracing::of(id);
        let flag_list = |p: &mut Process| {
            let mut names = Vec::new();
            if let Some(t) = t {
                if t.flags & CALL != 0 {
                    names.push(Term::atom(Atom::intern("call")));
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
        let v = if pattern.is_some() {
            Term::atom(Atom::intern("global"))
        } else {
            Term::atom(Atom::FALSE)
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
        _ => return Err(BifError::BADARG),
    })
}

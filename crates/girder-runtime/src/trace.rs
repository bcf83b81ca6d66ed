//! Stack traces: `[{Module, Function, ArityOrArgs, Location}]` as OTP builds them, from the
//! faulting instruction and the continuation pointers on the stack.

use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::instr::Label;
use crate::module::{self, Cp, Export, Module};
use crate::process::Process;

/// Most frames in a trace (OTP's default `backtrace_depth`).
pub const DEPTH: usize = 8;

/// What the first frame of a trace is.
pub enum Top {
    /// The function executing the faulting instruction.
    Here,
    /// The same, showing these arguments instead of its arity (`error/2`).
    HereArgs(Term),
    /// A BIF that failed, with its arguments, above the current function.
    Bif(&'static Export, Term),
    /// An undefined function called with these arguments, above the current function.
    Undef(&'static Export, Term),
    /// The same, reached by a tail call: the caller's frame is already gone.
    UndefTail(&'static Export, Term),
    /// No clause of `module:function` matched these arguments (this replaces `Here`).
    Clause(Atom, Atom, Term),
}

fn charlist(p: &mut Process, s: &str) -> Term {
    let chars: Vec<Term> = s.chars().map(|c| Term::small(c as i64)).collect();
    obj::list_from_slice(&mut p.heap, &chars, Term::NIL)
}

/// `[{file, F}, {line, L}]` for `offset` in `module`, or `[]`.
fn location(p: &mut Process, module: &Module, offset: Label) -> Term {
    match module.location_at(offset) {
        Some((file, line)) => {
            let file = charlist(p, &file);
            let file = obj::tuple(&mut p.heap, &[Term::atom(Atom::FILE), file]);
            let line = obj::tuple(
                &mut p.heap,
                &[Term::atom(Atom::LINE), Term::small(line as i64)],
            );
            obj::list_from_slice(&mut p.heap, &[file, line], Term::NIL)
        }
        None => Term::NIL,
    }
}

/// The frame for the instruction at `offset` of `module`.
fn frame(p: &mut Process, module: &Module, offset: Label) -> Option<Term> {
    let f = module.function_at(offset)?;
    let (function, arity) = (f.function, f.arity);
    let loc = location(p, module, offset);
    Some(obj::tuple(
        &mut p.heap,
        &[
            Term::atom(module.name),
            Term::atom(function),
            Term::small(arity as i64),
            loc,
        ],
    ))
}

/// The frame of the call before continuation pointer `cp`.
fn caller_frame(p: &mut Process, cp: Cp) -> Option<Term> {
    let module = module::code(cp.code())?;
    frame(p, module, cp.offset().checked_sub(1)?)
}

/// Build the trace for an exception raised at `offset` of `module`.
pub fn build(p: &mut Process, module: &Module, offset: Label, top: Top) -> Term {
    let mut frames = Vec::new();
    match top {
        Top::Here => frames.extend(frame(p, module, offset)),
        Top::HereArgs(args) => {
            if let Some(f) = module.function_at(offset) {
                let function = f.function;
                let loc = location(p, module, offset);
                frames.push(obj::tuple(
                    &mut p.heap,
                    &[Term::atom(module.name), Term::atom(function), args, loc],
                ));
            }
        }
        Top::Bif(export, args) => {
            let info = error_info(p);
            frames.push(obj::tuple(
                &mut p.heap,
                &[
                    Term::atom(export.module),
                    Term::atom(export.function),
                    args,
                    info,
                ],
            ));
            frames.extend(frame(p, module, offset));
        }
        Top::Undef(export, args) | Top::UndefTail(export, args) => {
            let tail = matches!(top, Top::UndefTail(..));
            frames.push(obj::tuple(
                &mut p.heap,
                &[
                    Term::atom(export.module),
                    Term::atom(export.function),
                    args,
                    Term::NIL,
                ],
            ));
            if !tail {
                frames.extend(frame(p, module, offset));
            }
        }
        Top::Clause(m, f, args) => {
            let loc = location(p, module, offset);
            frames.push(obj::tuple(
                &mut p.heap,
                &[Term::atom(m), Term::atom(f), args, loc],
            ));
        }
    }
    // Continuation pointers from the top, skipping repeats of the previous one as OTP
    // does (a body-recursive function shows once, not once per level).
    let mut cps: Vec<Cp> = Vec::new();
    let words = std::iter::once(p.cp.to_term()).chain(p.stack.iter().rev().copied());
    for w in words {
        if cps.len() + frames.len() >= DEPTH {
            break;
        }
        let cp = Cp::from_term(w);
        if w.is_header() && cp != Cp::NONE && cps.last() != Some(&cp) {
            cps.push(cp);
        }
    }
    for cp in cps {
        if frames.len() >= DEPTH {
            break;
        }
        frames.extend(caller_frame(p, cp));
    }
    frames.truncate(DEPTH);
    obj::list_from_slice(&mut p.heap, &frames, Term::NIL)
}

thread_local! {
    /// The `error_info` a failing BIF asked for: its module and `cause` (see [`set_error_info`]).
    static ERROR_INFO: std::cell::Cell<Option<(Atom, Option<Atom>)>> =
        const { std::cell::Cell::new(None) };
}

/// Make the next BIF failure on this thread carry `#{module => Module, cause => Cause}` as
/// its `error_info` instead of `#{module => erl_erts_errors}` (OTP's ETS BIFs do). Call it
/// just before returning `BifError::Fail`; building the trace consumes it. Only for BIFs
/// that are never guard BIFs: a guard's failure label swallows the error without a trace.
pub fn set_error_info(module: Atom, cause: Option<Atom>) {
    ERROR_INFO.with(|c| c.set(Some((module, cause))));
}

/// `[{error_info, #{module => erl_erts_errors}}]`, which OTP attaches to failing BIFs (or
/// what [`set_error_info`] asked for).
fn error_info(p: &mut Process) -> Term {
    let (module, cause) = ERROR_INFO
        .with(|c| c.take())
        .unwrap_or((Atom::intern("erl_erts_errors"), None));
    let mut pairs = vec![(Term::atom(Atom::intern("module")), Term::atom(module))];
    if let Some(c) = cause {
        pairs.push((Term::atom(Atom::intern("cause")), Term::atom(c)));
    }
    let map = obj::map_from_pairs(&mut p.heap, &mut pairs);
    let info = obj::tuple(&mut p.heap, &[Term::atom(Atom::ERROR_INFO), map]);
    obj::list_from_slice(&mut p.heap, &[info], Term::NIL)
}

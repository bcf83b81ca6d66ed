//! Stack traces: `[{Module, Function, ArityOrArgs, Location}]` as OTP builds them, from the
//! faulting instruction and the continuation pointers on the stack.

use std::sync::atomic::{AtomicUsize, Ordering};

use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::instr::Label;
use crate::module::{self, Cp, Export, Module};
use crate::process::Process;

/// Most frames in a trace by default (OTP's default `backtrace_depth`).
pub const DEPTH: usize = 8;

/// The largest `backtrace_depth` (OTP's `MAX_BACKTRACE_SIZE`).
pub const MAX_DEPTH: usize = 64;

static BACKTRACE_DEPTH: AtomicUsize = AtomicUsize::new(DEPTH);

/// Most frames in a trace: `erlang:system_flag(backtrace_depth, N)`.
pub fn depth() -> usize {
    // Relaxed: a setting on its own; no other data is published with it.
    BACKTRACE_DEPTH.load(Ordering::Relaxed)
}

/// Sets the most frames in a trace (at most [`MAX_DEPTH`]); returns the previous value.
pub fn set_depth(n: usize) -> usize {
    // Relaxed: see `depth`.
    BACKTRACE_DEPTH.swap(n.min(MAX_DEPTH), Ordering::Relaxed)
}

/// What the first frame of a trace is.
pub enum Top {
    /// The function executing the faulting instruction.
    Here,
    /// The same, showing these arguments instead of its arity (`error/2`), and with
    /// `{error_info, Info}` after the location unless `Info` is the non-value (`error/3`).
    HereArgs(Term, Term),
    /// The function executing the faulting instruction, with this `error_info` map after
    /// its location (a failed binary construction).
    HereInfo(Term),
    /// A BIF that failed, with its arguments (and a `cause` for its `error_info`), above
    /// the current function.
    Bif(&'static Export, Term, Option<Atom>),
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

/// The modules erts preloads (`erts/preloaded`).
const ERTS_PRELOADED: &[&str] = &[
    "erlang",
    "erts_internal",
    "erl_prim_loader",
    "erl_init",
    "prim_zip",
    "zlib",
    "prim_inet",
    "prim_buffer",
    "prim_net",
    "prim_socket",
    "socket_registry",
    "atomics",
    "counters",
    "persistent_term",
    "erts_code_purger",
    "erl_tracer",
    "erts_literal_area_collector",
    "erts_dirty_process_signal_handler",
];

/// `[{file, F}, {line, L}]` for `offset` in `module`, or `[]`.
fn location(p: &mut Process, module: &Module, offset: Label) -> Term {
    // erts's preloaded modules are built without line information: their frames show
    // none, although girder loads them from OTP's `.beam` files, which have it.
    if ERTS_PRELOADED.contains(&module.name.name()) {
        return Term::NIL;
    }
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
        Top::HereArgs(args, info) => {
            if let Some(f) = module.function_at(offset) {
                let function = f.function;
                let mut loc = location(p, module, offset);
                if info != Term::NON_VALUE {
                    let mut items = obj::list_to_vec(loc).unwrap_or_default();
                    items.push(obj::tuple(
                        &mut p.heap,
                        &[Term::atom(Atom::ERROR_INFO), info],
                    ));
                    loc = obj::list_from_slice(&mut p.heap, &items, Term::NIL);
                }
                frames.push(obj::tuple(
                    &mut p.heap,
                    &[Term::atom(module.name), Term::atom(function), args, loc],
                ));
            }
        }
        Top::HereInfo(info) => {
            if let Some(f) = module.function_at(offset) {
                let (function, arity) = (f.function, f.arity);
                let mut loc = obj::list_to_vec(location(p, module, offset)).unwrap_or_default();
                loc.push(obj::tuple(
                    &mut p.heap,
                    &[Term::atom(Atom::ERROR_INFO), info],
                ));
                let loc = obj::list_from_slice(&mut p.heap, &loc, Term::NIL);
                frames.push(obj::tuple(
                    &mut p.heap,
                    &[
                        Term::atom(module.name),
                        Term::atom(function),
                        Term::small(arity as i64),
                        loc,
                    ],
                ));
            }
        }
        Top::Bif(export, args, cause) => {
            let info = error_info(p, export.module, cause);
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
    continuation_frames(p, frames)
}

/// `process_info(self(), current_stacktrace)` from a BIF: the calling function at the
/// call (the BIF's return point is in `p.resume`), then the continuation frames.
pub fn current(p: &mut Process) -> Term {
    let frames: Vec<Term> = caller_frame(p, p.resume).into_iter().collect();
    continuation_frames(p, frames)
}

/// `frames`, then one frame per continuation pointer from the top, at most [`DEPTH`] in
/// all, as a list.
fn continuation_frames(p: &mut Process, mut frames: Vec<Term>) -> Term {
    // Continuation pointers from the top, skipping repeats of the previous one as OTP
    // does (a body-recursive function shows once, not once per level).
    // The faulting function shows even with a depth of 0, as in OTP.
    let depth = depth().max(1);
    let mut cps: Vec<Cp> = Vec::new();
    let words = std::iter::once(p.cp.to_term()).chain(p.stack.iter().rev().copied());
    for w in words {
        if cps.len() + frames.len() >= depth {
            break;
        }
        let cp = Cp::from_term(w);
        if w.is_header() && cp != Cp::NONE && cps.last() != Some(&cp) {
            cps.push(cp);
        }
    }
    for cp in cps {
        if frames.len() >= depth {
            break;
        }
        frames.extend(caller_frame(p, cp));
    }
    frames.truncate(depth);
    obj::list_from_slice(&mut p.heap, &frames, Term::NIL)
}

thread_local! {
    /// The `error_info` a failing BIF asked for: its module and `cause` (see [`set_error_info`]).
    static ERROR_INFO: std::cell::Cell<Option<(Atom, Option<Atom>)>> =
        const { std::cell::Cell::new(None) };
}

/// Make the next BIF failure on this thread carry `#{module => Module, cause => Cause}` as
/// its `error_info` (OTP's ETS BIFs do). Call it just before returning `BifError::Fail`;
/// building the trace consumes it. Only for BIFs that are never guard BIFs: a guard's
/// failure label swallows the error without a trace.
pub fn set_error_info(module: Atom, cause: Option<Atom>) {
    ERROR_INFO.with(|c| c.set(Some((module, cause))));
}

/// `[{error_info, #{module => M}}]`, which OTP attaches to failing BIFs (with `cause =>
/// Cause` when the BIF gives one): `M` is the error formatter of the BIF's application
/// (`erl_erts_errors` for erts's own modules, `erl_stdlib_errors` for stdlib's `lists`,
/// `maps`..., `erl_kernel_errors` for kernel's), unless the BIF chose with
/// [`set_error_info`].
fn error_info(p: &mut Process, module: Atom, cause: Option<Atom>) -> Term {
    let (formatter, cause) = match ERROR_INFO.with(|c| c.take()) {
        Some((m, c)) => (m, c),
        None => {
            let m = match module.name() {
                "lists" | "maps" | "binary" | "math" | "unicode" | "string" | "ets" | "io"
                | "re" => "erl_stdlib_errors",
                "os" | "code" | "file" | "net_kernel" => "erl_kernel_errors",
                _ => "erl_erts_errors",
            };
            (Atom::intern(m), cause)
        }
    };
    let mut pairs = vec![(Term::atom(Atom::intern("module")), Term::atom(formatter))];
    if let Some(c) = cause {
        pairs.push((Term::atom(Atom::intern("cause")), Term::atom(c)));
    }
    let map = obj::map_from_pairs(&mut p.heap, &mut pairs);
    let info = obj::tuple(&mut p.heap, &[Term::atom(Atom::ERROR_INFO), map]);
    obj::list_from_slice(&mut p.heap, &[info], Term::NIL)
}

//! Stack traces: `[{Module, Function, ArityOrArgs, Location}]` as OTP builds them, from the
//! faulting instruction and the continuation pointers on the stack.

use std::sync::atomic::{AtomicUsize, Ordering};

use girder_term::heap::{Heap, LiteralArea};
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
    /// The same, reached by a tail call through an external fun: the caller's frame is
    /// already gone (erts calls it as a function, returning to the caller's caller).
    BifTail(&'static Export, Term, Option<Atom>),
    /// An undefined function called with these arguments, above the current function.
    Undef(&'static Export, Term),
    /// The same, reached by a tail call: the caller's frame is already gone.
    UndefTail(&'static Export, Term),
    /// No clause of `module:function` matched these arguments (this replaces `Here`).
    Clause(Atom, Atom, Term),
}

/// The characters of `parts`, in order, as a list.
fn charlist(h: &mut Heap, parts: &[&str]) -> Term {
    // Consed from the end: no intermediate vector.
    let mut list = Term::NIL;
    for part in parts.iter().rev() {
        for c in part.chars().rev() {
            list = obj::cons(h, Term::small(c as i64), list);
        }
    }
    list
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
fn location(h: &mut Heap, module: &Module, offset: Label) -> Term {
    // erts's preloaded modules are built without line information: their frames show
    // none, although girder loads them from OTP's `.beam` files, which have it.
    static PRELOADED: std::sync::LazyLock<Vec<Atom>> =
        std::sync::LazyLock::new(|| ERTS_PRELOADED.iter().map(|m| Atom::intern(m)).collect());
    if PRELOADED.contains(&module.name) {
        return Term::NIL;
    }
    match module.location_at(offset) {
        Some((file, line)) => {
            let file = match file {
                Some(f) => charlist(h, &[f]),
                None => charlist(h, &[module.name.name(), ".erl"]),
            };
            let file = obj::tuple(h, &[Term::atom(Atom::FILE), file]);
            let line = obj::tuple(h, &[Term::atom(Atom::LINE), Term::small(line as i64)]);
            obj::list_from_slice(h, &[file, line], Term::NIL)
        }
        None => Term::NIL,
    }
}

/// The frame for the instruction at `offset` of `module`.
fn frame(h: &mut Heap, module: &Module, offset: Label) -> Option<Term> {
    let f = module.function_at(offset)?;
    let (function, arity) = (f.function, f.arity);
    let loc = location(h, module, offset);
    Some(obj::tuple(
        h,
        &[
            Term::atom(module.name),
            Term::atom(function),
            Term::small(arity as i64),
            loc,
        ],
    ))
}

/// The frame of the call before continuation pointer `cp`.
fn caller_frame(h: &mut Heap, cp: Cp) -> Option<Term> {
    let module = module::code(cp.code())?;
    frame(h, module, cp.offset().checked_sub(1)?)
}

/// Frames built once per code position, as literals (`{M, F, A, Location}` depends on
/// the position only), shared by every trace that shows the position: a trace then costs
/// a cons cell per frame. Keyed by code index and offset: code indexes are never reused
/// (each loaded version of a module has its own), so an entry never goes stale. The areas
/// are leaked, as loaded modules are.
static FRAMES: std::sync::LazyLock<std::sync::Mutex<rustc_hash::FxHashMap<(u32, Label), Term>>> =
    std::sync::LazyLock::new(Default::default);

/// Frames cached at most (past it, frames are built on the heap each time).
const FRAMES_CACHED: usize = 1 << 16;

/// [`caller_frame`] through [`FRAMES`].
fn caller_frame_cached(
    h: &mut Heap,
    cache: &mut rustc_hash::FxHashMap<(u32, Label), Term>,
    cp: Cp,
) -> Option<Term> {
    let key = (cp.code(), cp.offset());
    if let Some(&t) = cache.get(&key) {
        return Some(t);
    }
    let t = caller_frame(h, cp)?;
    if cache.len() >= FRAMES_CACHED {
        return Some(t);
    }
    let (literal, area) = LiteralArea::holding(t);
    std::mem::forget(area);
    cache.insert(key, literal);
    Some(literal)
}

/// The first frame(s) of a trace, with everything that must be decided at the raise
/// (the BIF's `error_info` formatter) already decided: what [`capture`] keeps.
enum Head {
    Here,
    HereArgs(Term, Term),
    HereInfo(Term),
    Bif {
        module: Atom,
        function: Atom,
        args: Term,
        formatter: Atom,
        cause: Option<Atom>,
        tail: bool,
    },
    Undef {
        module: Atom,
        function: Atom,
        args: Term,
        tail: bool,
    },
    Clause(Atom, Atom, Term),
}

impl Head {
    fn of(top: Top) -> Head {
        match top {
            Top::Here => Head::Here,
            Top::HereArgs(args, info) => Head::HereArgs(args, info),
            Top::HereInfo(info) => Head::HereInfo(info),
            Top::Bif(export, args, cause) | Top::BifTail(export, args, cause) => {
                let (formatter, cause) = error_info_parts(export.module, cause);
                Head::Bif {
                    module: export.module,
                    function: export.function,
                    args,
                    formatter,
                    cause,
                    tail: matches!(top, Top::BifTail(..)),
                }
            }
            Top::Undef(export, args) | Top::UndefTail(export, args) => Head::Undef {
                module: export.module,
                function: export.function,
                args,
                tail: matches!(top, Top::UndefTail(..)),
            },
            Top::Clause(m, f, args) => Head::Clause(m, f, args),
        }
    }
}

/// The frames a [`Head`] stands for, at `offset` of `module` (`None`: the module is gone).
fn head_frames(p: &mut Process, module: Option<&Module>, offset: Label, head: Head) -> Vec<Term> {
    let mut frames = Vec::new();
    let here = |p: &mut Process, frames: &mut Vec<Term>| {
        if let Some(m) = module {
            // The frame at `offset` is the caller frame of the position after it.
            let mut cache = FRAMES.lock().unwrap_or_else(|e| e.into_inner());
            let cp = Cp::new(m.code_index, offset + 1);
            frames.extend(caller_frame_cached(&mut p.heap, &mut cache, cp));
        }
    };
    match head {
        Head::Here => here(p, &mut frames),
        Head::HereArgs(args, info) => {
            if let Some(module) = module
                && let Some(f) = module.function_at(offset)
            {
                let function = f.function;
                let mut loc = location(&mut p.heap, module, offset);
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
        Head::HereInfo(info) => {
            if let Some(module) = module
                && let Some(f) = module.function_at(offset)
            {
                let (function, arity) = (f.function, f.arity);
                let mut loc =
                    obj::list_to_vec(location(&mut p.heap, module, offset)).unwrap_or_default();
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
        Head::Bif {
            module: m,
            function,
            args,
            formatter,
            cause,
            tail,
        } => {
            let info = error_info_term(p, formatter, cause);
            frames.push(obj::tuple(
                &mut p.heap,
                &[Term::atom(m), Term::atom(function), args, info],
            ));
            if !tail {
                here(p, &mut frames);
            }
        }
        Head::Undef {
            module: m,
            function,
            args,
            tail,
        } => {
            frames.push(obj::tuple(
                &mut p.heap,
                &[Term::atom(m), Term::atom(function), args, Term::NIL],
            ));
            if !tail {
                here(p, &mut frames);
            }
        }
        Head::Clause(m, f, args) => {
            let loc = module.map_or(Term::NIL, |module| location(&mut p.heap, module, offset));
            frames.push(obj::tuple(
                &mut p.heap,
                &[Term::atom(m), Term::atom(f), args, loc],
            ));
        }
    }
    frames
}

/// `process_info(self(), current_stacktrace)` from a BIF: the calling function at the
/// call (the BIF's return point is in `p.resume`), then the continuation frames.
pub fn current(p: &mut Process) -> Term {
    let depth = depth().max(1);
    let cps = stack_cps(p, depth);
    let frames: Vec<Term> = caller_frame(&mut p.heap, p.resume).into_iter().collect();
    finish(p, frames, cps.as_slice(), depth)
}

/// `process_info(Pid, current_stacktrace)` of another process `q` (suspended, not
/// running), built on `h`.
pub fn current_of(q: &Process, h: &mut Heap) -> Term {
    let depth = depth().max(1);
    let cps = stack_cps(q, depth);
    let mut frames: Vec<Term> = caller_frame(h, q.resume).into_iter().collect();
    let take = depth.saturating_sub(frames.len()).min(cps.len);
    for &cp in &cps.as_slice()[..take] {
        frames.extend(caller_frame(h, cp));
    }
    frames.truncate(depth);
    obj::list_from_slice(h, &frames, Term::NIL)
}

/// Up to `depth` continuation pointers from the top of the stack, skipping repeats of the
/// previous one as OTP does (a body-recursive function shows once, not once per level).
fn stack_cps(p: &Process, depth: usize) -> CpList {
    let mut cps = CpList {
        cps: [Cp::NONE; MAX_DEPTH],
        len: 0,
    };
    let depth = depth.min(MAX_DEPTH);
    let words = std::iter::once(p.cp.to_term()).chain(p.stack.iter().rev().copied());
    // The count and the last one in locals: the loop runs over every stack word.
    let (mut len, mut last) = (0, Cp::NONE);
    // Frames of call tracing's `girder_trace` do not show, as erts' return-trace frames.
    let hidden = crate::tracing::wrapper_code();
    for w in words {
        if len >= depth {
            break;
        }
        if w.is_header() {
            let cp = Cp::from_term(w);
            if cp != Cp::NONE && cp != last && cp.code() != hidden {
                cps.cps[len] = cp;
                len += 1;
                last = cp;
            }
        }
    }
    cps.len = len;
    cps
}

/// Continuation pointers of a trace (at most [`MAX_DEPTH`]; no allocation).
struct CpList {
    cps: [Cp; MAX_DEPTH],
    len: usize,
}

impl CpList {
    fn as_slice(&self) -> &[Cp] {
        &self.cps[..self.len]
    }
}

/// `frames`, then one frame per continuation pointer, at most `depth` in all, as a list.
/// The faulting function shows even with a depth of 0, as in OTP.
fn finish(p: &mut Process, mut frames: Vec<Term>, cps: &[Cp], depth: usize) -> Term {
    let take = depth.saturating_sub(frames.len()).min(cps.len());
    let mut cache = FRAMES.lock().unwrap_or_else(|e| e.into_inner());
    for &cp in &cps[..take] {
        if frames.len() >= depth {
            break;
        }
        frames.extend(caller_frame_cached(&mut p.heap, &mut cache, cp));
    }
    drop(cache);
    frames.truncate(depth);
    obj::list_from_slice(&mut p.heap, &frames, Term::NIL)
}

/// The first element of a captured trace (see [`capture`]).
fn capture_tag() -> Atom {
    static TAG: std::sync::OnceLock<Atom> = std::sync::OnceLock::new();
    *TAG.get_or_init(|| Atom::intern("$girder_captured_stacktrace"))
}

/// Words of a captured trace before its continuation pointers.
const CAPTURED_FIXED: usize = 9;

/// What [`build`] needs, kept cheaply at the raise, as OTP keeps its raw trace: the raise
/// site, the head, the depth and the continuation pointers, in one tuple on the heap
/// (`{Tag, Site, Kind, A, B, C, D, E, Depth, Cp...}`, everything as atoms, small
/// integers and the head's terms, so the collector needs nothing special). The list is
/// made only when a handler asks for it ([`materialize`]): a `throw` caught without
/// its stack trace never builds one.
pub fn capture(p: &mut Process, module: &Module, offset: Label, top: Top) -> Term {
    let depth = depth().max(1);
    let cps = stack_cps(p, depth);
    let nil = Term::NIL;
    let a = |x: Atom| Term::atom(x);
    let (kind, fields) = match Head::of(top) {
        Head::Here => (0, [nil; 5]),
        Head::HereArgs(args, info) => (1, [args, info, nil, nil, nil]),
        Head::HereInfo(info) => (2, [info, nil, nil, nil, nil]),
        Head::Bif {
            module,
            function,
            args,
            formatter,
            cause,
            tail,
        } => (
            if tail { 7 } else { 3 },
            [
                a(module),
                a(function),
                args,
                a(formatter),
                cause.map_or(nil, a),
            ],
        ),
        Head::Undef {
            module,
            function,
            args,
            tail,
        } => (
            4 + i64::from(tail),
            [a(module), a(function), args, nil, nil],
        ),
        Head::Clause(m, f, args) => (6, [a(m), a(f), args, nil, nil]),
    };
    let site = Cp::new(module.code_index, offset);
    let mut words = [Term::NIL; CAPTURED_FIXED + MAX_DEPTH];
    words[0] = Term::atom(capture_tag());
    words[1] = Term::small((site.to_term().0 >> 2) as i64);
    words[2] = Term::small(kind);
    words[3..8].copy_from_slice(&fields);
    words[8] = Term::small(depth as i64);
    for (w, cp) in words[CAPTURED_FIXED..].iter_mut().zip(cps.as_slice()) {
        *w = Term::small((cp.to_term().0 >> 2) as i64);
    }
    obj::tuple(&mut p.heap, &words[..CAPTURED_FIXED + cps.len])
}

/// The stack trace list a [`capture`] stands for; any other term is returned as it is.
pub fn materialize(p: &mut Process, t: Term) -> Term {
    if !obj::is_tuple(t)
        || obj::tuple_arity(t) < CAPTURED_FIXED
        || obj::tuple_element(t, 0) != Term::atom(capture_tag())
    {
        return t;
    }
    let e = |i: usize| obj::tuple_element(t, i);
    let cp_of = |w: Term| Cp::from_term(Term((w.as_small().unwrap_or(0) as u64) << 2));
    let site = cp_of(e(1));
    let kind = e(2).as_small().unwrap_or(0);
    let [a, b, c, d, f] = [e(3), e(4), e(5), e(6), e(7)];
    let atom = |x: Term| x.as_atom().unwrap_or(Atom::UNDEFINED);
    let head = match kind {
        1 => Head::HereArgs(a, b),
        2 => Head::HereInfo(a),
        3 | 7 => Head::Bif {
            module: atom(a),
            function: atom(b),
            args: c,
            formatter: atom(d),
            cause: f.as_atom(),
            tail: kind == 7,
        },
        4 | 5 => Head::Undef {
            module: atom(a),
            function: atom(b),
            args: c,
            tail: kind == 5,
        },
        6 => Head::Clause(atom(a), atom(b), c),
        _ => Head::Here,
    };
    let depth = e(8).as_small().unwrap_or(1) as usize;
    let mut cps = CpList {
        cps: [Cp::NONE; MAX_DEPTH],
        len: 0,
    };
    for i in CAPTURED_FIXED..obj::tuple_arity(t).min(CAPTURED_FIXED + MAX_DEPTH) {
        cps.cps[cps.len] = cp_of(e(i));
        cps.len += 1;
    }
    let module = module::code(site.code());
    let frames = head_frames(p, module, site.offset(), head);
    finish(p, frames, cps.as_slice(), depth)
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
fn error_info_parts(module: Atom, cause: Option<Atom>) -> (Atom, Option<Atom>) {
    match ERROR_INFO.with(|c| c.take()) {
        Some((m, c)) => (m, c),
        None => {
            static FORMATTERS: std::sync::LazyLock<[Atom; 3]> = std::sync::LazyLock::new(|| {
                ["erl_stdlib_errors", "erl_kernel_errors", "erl_erts_errors"].map(Atom::intern)
            });
            let m = match module.name() {
                "lists" | "maps" | "binary" | "math" | "unicode" | "string" | "ets" | "io"
                | "re" => 0,
                "os" | "code" | "file" | "net_kernel" => 1,
                _ => 2,
            };
            (FORMATTERS[m], cause)
        }
    }
}

/// The location list `[{error_info, #{module => Formatter[, cause => Cause]}}]`.
fn error_info_term(p: &mut Process, formatter: Atom, cause: Option<Atom>) -> Term {
    let mut pairs = vec![(Term::atom(Atom::intern("module")), Term::atom(formatter))];
    if let Some(c) = cause {
        pairs.push((Term::atom(Atom::intern("cause")), Term::atom(c)));
    }
    let map = obj::map_from_pairs(&mut p.heap, &mut pairs);
    let info = obj::tuple(&mut p.heap, &[Term::atom(Atom::ERROR_INFO), map]);
    obj::list_from_slice(&mut p.heap, &[info], Term::NIL)
}

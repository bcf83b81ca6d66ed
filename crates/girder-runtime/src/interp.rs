//! The interpreter loop: one `match` over internal instructions, never recursing for an
//! Erlang call.
//!
//! A call stores the continuation pointer (in the `cp` register, pushed to the stack by
//! `allocate`) and jumps; `return` jumps to it. Exceptions unwind the stack to the nearest
//! catch marker. The loop gives control back to its caller ([`Outcome`]) when the process
//! ends, raises past its last catch, halts the VM, or uses up its reductions, with every
//! piece of state in the [`Process`], so it can be resumed at any call or return.

use girder_term::object::{self as obj};
use girder_term::{Atom, Term, compare};

use crate::bif::BifError;
use crate::code_server;
use crate::exception::Class;
use crate::instr::{BsField, CmpOp, Dst, FOp, Instr, Label, NO_LABEL, Src, SrcKind, TypeTest};
use crate::loader::{MAX_FR, MAX_X};
use crate::module::{self, Cp, Export, FunEntry, Module};
use crate::process::Process;
use crate::trace;

/// Reductions per time slice (OTP's).
pub const REDUCTIONS: i64 = 4000;

/// Why [`run`] returned.
#[derive(Debug)]
pub enum Outcome {
    /// The initial call returned this value.
    Returned(Term),
    /// An exception nobody caught. `trace` is the Erlang-form stack trace.
    Raised {
        class: Class,
        reason: Term,
        trace: Term,
    },
    /// Something asked the VM to stop with this status.
    Halt(i32),
    /// The time slice is used up; call [`run`] again to continue.
    Yield,
    /// The process waits in `receive` for a message (or its `deadline`); call [`run`] again
    /// once one arrived or the deadline passed (`timed_out` set).
    Wait,
    /// The runtime cannot go on with this process (an unimplemented instruction, say).
    Fault(String),
    /// The process must exit with this reason and no exception can stop it (its heap grew
    /// past `max_heap_size` with `kill`).
    Exit(Term),
}

/// An exception or other event that stops straight-line execution.
pub(crate) enum Trap {
    /// Raise; the trace is built from `top` and the stack unless `trace` is given.
    Raise {
        class: Class,
        reason: Term,
        top: trace::Top,
        trace: Option<Term>,
    },
    Done(Term),
    Halt(i32),
    Yield,
    Wait,
    Fault(String),
    /// Exit with this reason, past every catch.
    Exit(Term),
    /// Hibernate, then call this function (arguments in the X registers; it exists).
    Hibernate(&'static Export),
    /// A BIF asked to be called again later (`BifError::Retry`).
    Retry,
    /// Control moved to another module while native code is on: go on at `p.resume` in
    /// whichever engine has it.
    Leave,
}

impl Process {
    #[inline(always)]
    fn get(&self, s: Src) -> Term {
        match s.kind() {
            SrcKind::X(n) => self.x[n as usize],
            // Out-of-frame Y registers (never emitted by a compiler) read as the non-value.
            SrcKind::Y(n) => self.y_index(n).map_or(Term::NON_VALUE, |i| self.stack[i]),
            SrcKind::Term(t) => t,
        }
    }

    #[inline(always)]
    fn set(&mut self, d: Dst, v: Term) {
        match d {
            Dst::X(n) => self.x[n as usize] = v,
            Dst::Y(n) => {
                if let Some(i) = self.y_index(n) {
                    self.stack[i] = v;
                    self.stack_low = self.stack_low.min(i);
                }
            }
        }
    }

    fn deallocate(&mut self, n: u32) -> Result<(), Trap> {
        let len = self.stack.len();
        let need = n as usize + 1;
        if len < need {
            return Err(Trap::Fault("deallocate below the stack".into()));
        }
        self.cp = Cp::from_term(self.stack[len - 1]);
        self.stack.truncate(len - need);
        self.stack_low = self.stack_low.min(len - need);
        Ok(())
    }

    /// Start a call to `export` with `args` when the process next runs.
    pub fn start_call(&mut self, export: &'static Export, args: &[Term]) -> Result<(), String> {
        self.set_live_x(args);
        self.cp = Cp::NONE;
        self.stack.clear();
        self.stack_low = 0;
        let target = resolve_call(self, export).map_err(|e| e.to_string())?;
        match target {
            Some((cp, live)) => {
                self.live_x = live;
                self.resume = cp;
                Ok(())
            }
            None => Err(format!("undefined function {export:?}")),
        }
    }
}

impl Process {
    /// Make `regs` the live X registers `0..regs.len()` (the arguments of a call about to
    /// start).
    fn set_live_x(&mut self, regs: &[Term]) {
        if self.x.len() < regs.len() {
            self.x = vec![Term::NIL; regs.len()].into_boxed_slice();
        }
        self.x[..regs.len()].copy_from_slice(regs);
        self.live_x = regs.len() as u32;
    }

    /// Start a call of the fun `f` (a term of this process's heap) with no arguments.
    pub fn start_fun(&mut self, f: Term) -> Result<(), String> {
        self.cp = Cp::NONE;
        self.stack.clear();
        self.stack_low = 0;
        if obj::is_local_fun(f) {
            let entry = fun_entry(f);
            if entry.arity != 0 {
                return Err("spawned fun must take no arguments".into());
            }
            if entry.entry().is_none() {
                // Purged: as a call of it with no arguments would go (see
                // `purged_fun_target`).
                if self.x.len() < 3 {
                    self.x = vec![Term::NIL; 3].into_boxed_slice();
                }
                return match purged_fun_target(self, entry, f, 0) {
                    FunTarget::Code(cp) => {
                        let free = obj::fun_free(f);
                        self.set_live_x(free);
                        self.resume = cp;
                        Ok(())
                    }
                    FunTarget::BadFun => Err("badfun: the fun's code was purged".into()),
                    FunTarget::Lambda(e) => {
                        let regs = [self.x[0], self.x[1], self.x[2]];
                        self.start_call(e, &regs)
                    }
                };
            }
            let free = obj::fun_free(f);
            self.set_live_x(free);
            self.resume = entry.entry().unwrap_or(Cp::NONE);
            Ok(())
        } else if obj::is_export(f) {
            let export = export_entry(f);
            self.start_call(export, &[])
        } else {
            Err("not a fun".into())
        }
    }
}

/// Where `export` runs, loading its module on demand.
fn resolve(export: &'static Export) -> Result<Option<Cp>, crate::loader::LoadError> {
    if let Some(cp) = export.target() {
        return Ok(Some(cp));
    }
    code_server::ensure_loaded(export.module)?;
    Ok(export.target())
}

/// Where a call of `export` goes (its arguments in x0..), loading the module on demand. A
/// module whose `on_load` function has not run yet is entered through
/// `girder_on_load:run(Module, Function, Args)` instead (x0..x2 rewritten; see
/// [`crate::nif`]). Also the number of live X registers.
fn resolve_call(
    p: &mut Process,
    export: &'static Export,
) -> Result<Option<(Cp, u32)>, crate::loader::LoadError> {
    if let Some(cp) = export.call_target() {
        return Ok(Some((cp, export.arity)));
    }
    if let Some(cp) = export.traced_target() {
        let wrapper = match crate::tracing::call(p, export) {
            crate::tracing::OnReturn::Nothing => None,
            crate::tracing::OnReturn::Return => Some("return_trace"),
            crate::tracing::OnReturn::Exception => Some("exception_trace"),
        };
        if let Some(wrapper) = wrapper {
            // `{return_trace}`, `{exception_trace}`: through
            // `girder_trace:return_trace(M, F, Args)` or `exception_trace/3`.
            let rt = module::export(Atom::intern("girder_trace"), Atom::intern(wrapper), 3);
            if let Some(rcp) = resolve(rt)? {
                crate::tracing::entering_wrapper(rcp.code());
                let arity = export.arity as usize;
                let args = obj::list_from_slice(&mut p.heap, &p.x[..arity], Term::NIL);
                p.x[0] = Term::atom(export.module);
                p.x[1] = Term::atom(export.function);
                p.x[2] = args;
                return Ok(Some((rcp, 3)));
            }
        }
        return Ok(Some((cp, export.arity)));
    }
    if p.error_handler != Atom::intern("error_handler") {
        return Ok(call_error_handler(p, export));
    }
    let loaded = code_server::ensure_loaded(export.module)?;
    if let Some(cp) = export.target() {
        return Ok(Some((cp, export.arity)));
    }
    match loaded {
        Some(m) if crate::nif::pending(m) => {
            let run = module::export(Atom::intern("girder_on_load"), Atom::intern("run"), 3);
            let Some(cp) = resolve(run)? else {
                return Ok(None);
            };
            let arity = export.arity as usize;
            let args = obj::list_from_slice(&mut p.heap, &p.x[..arity], Term::NIL);
            p.x[0] = Term::atom(export.module);
            p.x[1] = Term::atom(export.function);
            p.x[2] = args;
            Ok(Some((cp, 3)))
        }
        _ => Ok(None),
    }
}

/// A call of a function that is not loaded, for a process whose error handler is not the
/// default (`error_handler`, whose job of loading modules on demand [`resolve_call`]
/// does): as erts does, it becomes `Handler:undefined_function(Module, Function, Args)`
/// (x0..x2 rewritten) when that function is loaded, and stays undefined (`undef`) when
/// not; nothing is loaded.
fn call_error_handler(p: &mut Process, export: &'static Export) -> Option<(Cp, u32)> {
    let handler = module::export(p.error_handler, Atom::intern("undefined_function"), 3);
    let cp = handler.target()?;
    let arity = export.arity as usize;
    let args = obj::list_from_slice(&mut p.heap, &p.x[..arity], Term::NIL);
    p.x[0] = Term::atom(export.module);
    p.x[1] = Term::atom(export.function);
    p.x[2] = args;
    Some((cp, 3))
}

/// `nif_start`: the NIF bound to this function runs and returns to the caller; without
/// one, nothing happens (the Erlang body follows).
fn nif_start(p: &mut Process, module: &mut &'static Module, pc: &mut usize) -> Result<(), Trap> {
    let Some(nif) = crate::nif::at(module, *pc - 1) else {
        return Ok(());
    };
    let arity = nif.export.arity as usize;
    p.resume = Cp::new(module.code_index, (*pc - 1) as Label);
    let args = p.x[..arity].to_vec();
    match (nif.fun)(p, &args) {
        Ok(v) => {
            p.x[0] = v;
            gc_after_bif(p, arity.max(1))?;
            do_return(p, module, pc)?;
            reduce(p, 1)
        }
        Err(BifError::Retry) => Err(Trap::Fault("a NIF asked to be called again".into())),
        Err(BifError::Wait) => {
            // Park; once signalled, `nif_start` runs again with the same arguments.
            *pc -= 1;
            p.live_x = nif.export.arity;
            Err(Trap::Wait)
        }
        // An exception a NIF raises (`enif_make_badarg`, `enif_raise_exception`) shows the
        // NIF's frame with its arguments and no location, then its caller's, as in OTP.
        Err(
            BifError::Fail(reason)
            | BifError::FailCause { reason, .. }
            | BifError::Raise {
                class: Class::Error,
                reason,
            },
        ) => Err(Trap::Raise {
            class: Class::Error,
            reason,
            top: trace::Top::UndefTail(
                nif.export,
                obj::list_from_slice(&mut p.heap, &args, Term::NIL),
            ),
            trace: None,
        }),
        Err(e) => Err(bif_trap(p, nif.export, &args, e)),
    }
}

/// `bs_add` (OTP 21-24): `a + b * unit` for non-negative integers; else the reason
/// (`badarg`, or `system_limit` past what a binary can hold).
fn bs_add(a: Term, b: Term, unit: u32) -> Result<i64, Atom> {
    match (a.as_small(), b.as_small()) {
        (Some(x), Some(y)) if x >= 0 && y >= 0 => y
            .checked_mul(i64::from(unit))
            .and_then(|v| v.checked_add(x))
            .filter(|&v| Term::try_small(v).is_some())
            .ok_or(Atom::SYSTEM_LIMIT),
        _ if obj::is_integer(a) && obj::is_integer(b) => Err(Atom::SYSTEM_LIMIT),
        _ => Err(Atom::BADARG),
    }
}

fn type_test(op: TypeTest, v: Term) -> bool {
    match op {
        TypeTest::IsInteger => obj::is_integer(v),
        TypeTest::IsFloat => obj::is_float(v),
        TypeTest::IsNumber => obj::is_number(v),
        TypeTest::IsAtom => v.is_atom(),
        TypeTest::IsPid => obj::is_pid(v),
        TypeTest::IsReference => obj::is_ref(v),
        TypeTest::IsPort => obj::is_port(v),
        TypeTest::IsNil => v.is_nil(),
        TypeTest::IsBinary => obj::is_binary(v),
        TypeTest::IsBitstr => obj::is_bitstring(v),
        TypeTest::IsList => v.is_list() || v.is_nil(),
        TypeTest::IsNonemptyList => v.is_list(),
        TypeTest::IsTuple => obj::is_tuple(v),
        TypeTest::IsFunction => obj::is_local_fun(v) || obj::is_export(v),
        TypeTest::IsBoolean => matches!(v.as_atom(), Some(Atom::TRUE | Atom::FALSE)),
        TypeTest::IsMap => obj::is_map(v),
    }
}

fn compare(op: CmpOp, a: Term, b: Term) -> bool {
    use std::cmp::Ordering::*;
    if let (Some(x), Some(y)) = (a.as_small(), b.as_small()) {
        // Two small integers (a loop's counter and bound): no call into term order.
        return match op {
            CmpOp::Lt => x < y,
            CmpOp::Ge => x >= y,
            CmpOp::Eq | CmpOp::EqExact => x == y,
            CmpOp::Ne | CmpOp::NeExact => x != y,
        };
    }
    match op {
        CmpOp::Lt => compare::cmp(a, b) == Less,
        CmpOp::Ge => compare::cmp(a, b) != Less,
        CmpOp::Eq => compare::eq(a, b),
        CmpOp::Ne => !compare::eq(a, b),
        CmpOp::EqExact => a == b || compare::eq_exact(a, b),
        CmpOp::NeExact => a != b && !compare::eq_exact(a, b),
    }
}

/// The arity of a fun or export term, if it is one.
pub fn fun_arity(f: Term) -> Option<u32> {
    if obj::is_local_fun(f) {
        Some(fun_entry(f).arity)
    } else if obj::is_export(f) {
        Some(export_entry(f).arity)
    } else {
        None
    }
}

/// The entry of a fun term (which must be a fun).
pub fn fun_entry(f: Term) -> &'static FunEntry {
    let p = obj::fun_entry(f) as *const FunEntry;
    // SAFETY: fun objects are only made by `MakeFun3` (and literal conversion), which store
    // a pointer to a `FunEntry` leaked by the loader and never freed.
    unsafe { &*p }
}

/// The export entry of an export term (`fun M:F/A`, which it must be).
pub fn export_entry(f: Term) -> &'static Export {
    let p = obj::export_entry(f) as *const Export;
    // SAFETY: export objects store pointers to `Export`s leaked by `module::export`, never freed.
    unsafe { &*p }
}

/// Encode a handler (code index, label) into a catch marker.
fn catch_marker(code: u32, handler: Label) -> Term {
    Term::catch(((code as u64) << 32) | handler as u64)
}

/// Prepare `p` to run a time slice: a full set of registers, a fresh reduction budget.
pub(crate) fn prepare(p: &mut Process) {
    p.reductions = REDUCTIONS;
    // A suspended process keeps only its live X registers (the scheduler lends it a full
    // set while it runs); run on its own, give it a full set here.
    if p.x.len() < MAX_X as usize {
        let mut x = vec![Term::NIL; MAX_X as usize];
        x[..p.x.len()].copy_from_slice(&p.x);
        p.x = x.into_boxed_slice();
    }
    if p.fr.len() < MAX_FR as usize {
        p.fr = vec![0.0; MAX_FR as usize].into_boxed_slice();
    }
}

/// Run `p` until it returns, raises past its last catch, halts, or yields, in whichever
/// engine has the code: native code where the JIT is on and compiled it, else the
/// interpreter.
pub fn run(p: &mut Process) -> Outcome {
    prepare(p);
    loop {
        if let Some(native) = crate::engine::native() {
            match native.run(p) {
                crate::engine::NativeExit::Outcome(o) => return o,
                crate::engine::NativeExit::Interpret => {}
            }
        }
        if let Some(o) = interpret(p) {
            return o;
        }
    }
}

/// Interpret from `p.resume` until an outcome, or (`None`) until control moves to another
/// module while native code is on (`p.resume` says where).
fn interpret(p: &mut Process) -> Option<Outcome> {
    let Some(mut module) = module::code(p.resume.code()) else {
        return Some(Outcome::Fault("no code to run".into()));
    };
    let mut pc = p.resume.offset() as usize;
    loop {
        let trap = execute(p, &mut module, &mut pc);
        if let Some(outcome) = settle(p, module, pc, trap) {
            return Some(outcome);
        }
        if crate::engine::native().is_some() {
            return None;
        }
        let Some(m) = module::code(p.resume.code()) else {
            return Some(Outcome::Fault("no code to run".into()));
        };
        module = m;
        pc = p.resume.offset() as usize;
    }
}

/// Finish what a trap started, for either engine: raise (unwinding to the nearest catch),
/// yield, wait, hibernate... `pc` is one past the trapping instruction (or where to resume,
/// for a yield or a wait). `None`: go on at `p.resume`; else the slice ends with this
/// outcome.
pub(crate) fn settle(
    p: &mut Process,
    module: &'static Module,
    pc: usize,
    trap: Trap,
) -> Option<Outcome> {
    match trap {
        Trap::Raise {
            class,
            reason,
            top,
            trace,
        } => {
            let trace = match trace {
                Some(t) => t,
                // Kept raw; the list is made only if a handler asks (`build_stacktrace`).
                None => trace::capture(p, module, pc.saturating_sub(1) as Label, top),
            };
            let raw = obj::tuple(&mut p.heap, &[Term::atom(class.atom()), trace]);
            match unwind(p) {
                Some((code, handler)) => {
                    p.x[0] = Term::NON_VALUE;
                    p.x[1] = Term::atom(class.atom());
                    p.x[2] = reason;
                    p.x[3] = raw;
                    p.resume = Cp::new(code, handler);
                    None
                }
                None => Some(Outcome::Raised {
                    class,
                    reason,
                    trace: trace::materialize(p, trace),
                }),
            }
        }
        Trap::Done(v) => Some(Outcome::Returned(v)),
        Trap::Halt(n) => Some(Outcome::Halt(n)),
        Trap::Yield => {
            p.resume = Cp::new(module.code_index, pc as Label);
            Some(Outcome::Yield)
        }
        Trap::Wait => {
            // The waiting instruction set `pc` to where the receive resumes.
            p.resume = Cp::new(module.code_index, pc as Label);
            Some(Outcome::Wait)
        }
        Trap::Leave => {
            p.resume = Cp::new(module.code_index, pc as Label);
            None
        }
        Trap::Fault(s) => Some(Outcome::Fault(s)),
        Trap::Exit(r) => Some(Outcome::Exit(r)),
        Trap::Retry => Some(Outcome::Fault(
            "a guard BIF asked to be called again".into(),
        )),
        Trap::Hibernate(export) => {
            // The BIF made sure the function exists.
            let target = match resolve(export) {
                Ok(Some(cp)) => cp,
                Ok(None) => return Some(Outcome::Fault(format!("hibernate: {export:?} vanished"))),
                Err(e) => return Some(Outcome::Fault(e.to_string())),
            };
            // The call stack goes; the heap keeps only what the arguments reach.
            let arity = export.arity;
            p.stack.clear();
            p.stack_low = 0;
            p.cp = Cp::NONE;
            p.recv_pos = 0;
            p.gc(0, arity as usize);
            p.live_x = arity;
            p.resume = target;
            if p.msgs.is_empty() {
                return Some(Outcome::Wait);
            }
            None
        }
    }
}

/// Execute the one instruction at `offset` of `module` for native code: the next offset
/// when execution goes on in the same module; else `Err(None)` (go on at `p.resume`) or
/// `Err(Some(outcome))` (the slice ends).
pub(crate) fn step_one(
    p: &mut Process,
    module: &'static Module,
    offset: usize,
) -> Result<usize, Option<Outcome>> {
    let Some(ins) = module.code.get(offset) else {
        return Err(Some(Outcome::Fault(format!(
            "execution ran off the end of {}",
            module.name
        ))));
    };
    let mut m = module;
    let mut pc = offset + 1;
    match step(p, &mut m, &mut pc, ins) {
        Ok(()) if m.code_index == module.code_index => Ok(pc),
        Ok(()) => {
            p.resume = Cp::new(m.code_index, pc as Label);
            Err(None)
        }
        Err(trap) => match settle(p, m, pc, trap) {
            None => Err(None),
            Some(o) => Err(Some(o)),
        },
    }
}

/// Collect garbage (`test_heap` and `allocate_heap` when the heap lacks room), then apply
/// `max_heap_size`: `Some` outcome when the process must die.
pub(crate) fn collect(p: &mut Process, need: usize, live: usize) -> Option<Outcome> {
    match gc_now(p, need, live) {
        Ok(()) => None,
        Err(Trap::Exit(r)) => Some(Outcome::Exit(r)),
        Err(_) => Some(Outcome::Fault("unexpected trap in a collection".into())),
    }
}

/// Collect so that `need` words fit, keeping X registers `0..live`; then `max_heap_size`.
fn gc_now(p: &mut Process, need: usize, live: usize) -> Result<(), Trap> {
    p.gc(need, live);
    heap_limit(p)
}

/// After a collection: a process whose heap is larger than its `max_heap_size` is reported
/// and, with `kill`, killed (`killed`, which no catch stops), as OTP does.
fn heap_limit(p: &mut Process) -> Result<(), Trap> {
    let Some(limit) = p.max_heap_size else {
        return Ok(());
    };
    let total = p.heap.young_capacity() + p.heap.old_capacity();
    if limit.size == 0 || total <= limit.size {
        return Ok(());
    }
    if limit.error_logger {
        eprintln!(
            "=ERROR REPORT====\n     Process:          <0.{}.0> \n     Context:          maximum heap size reached\n     Max Heap Size:    {}\n     Total Heap Size:  {}\n     Kill:             {}\n     Error Logger:     true\n     Message Queue Len: {}\n",
            p.id,
            limit.size,
            total,
            limit.kill,
            p.msgs.len()
        );
    }
    if limit.kill {
        return Err(Trap::Exit(Term::atom(Atom::KILLED)));
    }
    Ok(())
}

/// Pop the stack down to the frame holding the nearest catch marker; its handler.
fn unwind(p: &mut Process) -> Option<(u32, Label)> {
    let mut frame_top = None;
    for i in (0..p.stack.len()).rev() {
        let w = p.stack[i];
        if w.is_header() {
            frame_top = Some(i);
        } else if w.is_catch() {
            let top = frame_top?;
            p.stack.truncate(top + 1);
            p.stack_low = p.stack_low.min(top + 1);
            p.cp = Cp::NONE;
            let payload = w.catch_payload();
            return Some(((payload >> 32) as u32, payload as u32));
        }
    }
    None
}

/// Build an error term `{Tag, Value}`.
fn tagged(p: &mut Process, tag: Atom, v: Term) -> Term {
    obj::tuple(&mut p.heap, &[Term::atom(tag), v])
}

fn error(reason: Term) -> Trap {
    Trap::Raise {
        class: Class::Error,
        reason,
        top: trace::Top::Here,
        trace: None,
    }
}

/// The trap for a failed BIF call.
#[cold]
fn bif_trap(p: &mut Process, export: &'static Export, args: &[Term], e: BifError) -> Trap {
    match e {
        BifError::Fail(reason) => Trap::Raise {
            class: Class::Error,
            reason,
            top: trace::Top::Bif(
                export,
                obj::list_from_slice(&mut p.heap, args, Term::NIL),
                None,
            ),
            trace: None,
        },
        BifError::FailCause { reason, cause } => Trap::Raise {
            class: Class::Error,
            reason,
            top: trace::Top::Bif(
                export,
                obj::list_from_slice(&mut p.heap, args, Term::NIL),
                Some(cause),
            ),
            trace: None,
        },
        BifError::Raise { class, reason } => Trap::Raise {
            class,
            reason,
            top: trace::Top::Here,
            trace: None,
        },
        BifError::RaiseArgs { reason, args, info } => Trap::Raise {
            class: Class::Error,
            reason,
            top: trace::Top::HereArgs(args, info),
            trace: None,
        },
        BifError::RaiseWithTrace {
            class,
            reason,
            trace,
        } => Trap::Raise {
            class,
            reason,
            top: trace::Top::Here,
            trace: Some(trace),
        },
        BifError::Halt(n) => Trap::Halt(n),
        BifError::Retry => Trap::Retry,
        BifError::Wait => Trap::Fault("only a NIF may wait for its answer".into()),
        BifError::Hibernate {
            module,
            function,
            arity,
        } => Trap::Hibernate(crate::module::export(module, function, arity)),
    }
}

/// Call a BIF with x0..x(arity-1).
fn call_bif(
    p: &mut Process,
    export: &'static Export,
    bif: crate::bif::BifFn,
) -> Result<Term, Trap> {
    let arity = export.arity as usize;
    let mut buf = [Term::NIL; 8];
    if arity <= buf.len() && p.x.len() >= buf.len() {
        // A fixed-size copy (no call to `memcpy` for a few words).
        buf.copy_from_slice(&p.x[..8]);
        let args = &buf[..arity];
        return bif(p, args).map_err(|e| bif_trap(p, export, args, e));
    }
    let args: std::borrow::Cow<[Term]> = if arity <= buf.len() {
        buf[..arity].copy_from_slice(&p.x[..arity]);
        std::borrow::Cow::Borrowed(&buf[..arity])
    } else {
        std::borrow::Cow::Owned(p.x[..arity].to_vec())
    };
    bif(p, &args).map_err(|e| bif_trap(p, export, &args, e))
}

/// After a BIF returned: when what it built did not fit in the young heap (heap fragments
/// exist), collect now, keeping X registers `0..live`, as OTP collects after a BIF call
/// when its fragments outgrow the free heap (`erts_gc_after_bif_call`). Without this, a
/// loop of BIF calls with no heap test of its own grew fragments without bound until the
/// next `test_heap`.
#[inline]
fn gc_after_bif(p: &mut Process, live: usize) -> Result<(), Trap> {
    if p.heap.fragment_count() == 0 {
        return Ok(());
    }
    gc_now(p, 0, live)
}

/// Small-integer `+`, `-` and `*` without calling the BIF (which handles everything else:
/// bignums, floats, errors).
#[inline]
fn arith_fast_path(export: &Export, args: &[Term]) -> Option<Term> {
    let [a, b] = args else { return None };
    let (x, y) = (a.as_small()?, b.as_small()?);
    if export.module != Atom::ERLANG {
        return None;
    }
    let r = match export.function {
        Atom::PLUS => x + y,
        Atom::MINUS => x - y,
        Atom::TIMES => x.checked_mul(y)?,
        _ => return None,
    };
    Term::try_small(r)
}

/// The `undef` trap for `export` called with x0..x(arity-1).
fn undef(p: &mut Process, export: &'static Export, tail: bool) -> Trap {
    let args = p.x[..export.arity as usize].to_vec();
    undef_with(p, export, &args, tail)
}

/// The `undef` trap for `export` called with `args`.
fn undef_with(p: &mut Process, export: &'static Export, args: &[Term], tail: bool) -> Trap {
    let args = obj::list_from_slice(&mut p.heap, args, Term::NIL);
    let top = if tail {
        trace::Top::UndefTail(export, args)
    } else {
        trace::Top::Undef(export, args)
    };
    Trap::Raise {
        class: Class::Error,
        reason: Term::atom(Atom::UNDEF),
        top,
        trace: None,
    }
}

/// How a call leaves the current function.
#[derive(Clone, Copy)]
enum Link {
    /// A body call: `cp` is set to the next instruction.
    Body,
    /// A tail call after deallocating this many Y registers (0 for none allocated).
    Tail(Option<u32>),
}

/// Transfer control to `export` (a BIF runs at once). On success, the new module and pc.
fn call_export(
    p: &mut Process,
    module: &mut &'static Module,
    pc: &mut usize,
    export: &'static Export,
    link: Link,
) -> Result<(), Trap> {
    if let Some(bif) = export.bif() {
        // Where execution resumes after the BIF (which `process_info(self(),
        // current_stacktrace)` reports as the calling function).
        p.resume = Cp::new(module.code_index, *pc as Label);
        let v = match call_bif(p, export, bif) {
            Err(Trap::Retry) => {
                let call = module.code.get(pc.wrapping_sub(1));
                if matches!(
                    call,
                    Some(
                        Instr::CallExt { .. }
                            | Instr::CallExtLast { .. }
                            | Instr::CallExtOnly { .. }
                    )
                ) {
                    // Yield and run the call instruction again (its arguments are live).
                    *pc -= 1;
                    p.live_x = export.arity;
                    return Err(Trap::Yield);
                }
                // Reached some other way (apply): ask until it can answer.
                loop {
                    std::thread::yield_now();
                    match call_bif(p, export, bif) {
                        Err(Trap::Retry) => continue,
                        r => break r?,
                    }
                }
            }
            r => r?,
        };
        p.x[0] = v;
        // The arguments stay roots, as OTP keeps them (x0 now the result).
        gc_after_bif(p, (export.arity as usize).max(1))?;
        if let Link::Tail(dealloc) = link {
            if let Some(n) = dealloc {
                p.deallocate(n)?;
            }
            return do_return(p, module, pc);
        }
        return Ok(());
    }
    let (target, live) = match resolve_call(p, export) {
        Ok(Some(t)) => t,
        Ok(None) => return Err(undef(p, export, matches!(link, Link::Tail(_)))),
        // A module file that does not load: as erts, say so and leave the call undefined
        // (erts logs "Loading of FILE failed: badfile" through the logger).
        Err(e) => {
            eprintln!("girder: error loading module {}: {e}", export.module.name());
            return Err(undef(p, export, matches!(link, Link::Tail(_))));
        }
    };
    match link {
        Link::Body => p.cp = Cp::new(module.code_index, *pc as Label),
        Link::Tail(Some(n)) => p.deallocate(n)?,
        Link::Tail(None) => {}
    }
    jump(module, pc, target)?;
    reduce(p, live)
}

/// `call_ext` (a body call): [`call_export`], with the common case of a BIF of at most four
/// arguments inline in the dispatch loop (a BIF call in a loop pays no more than the BIF).
#[inline(always)]
fn call_ext_body(
    p: &mut Process,
    module: &mut &'static Module,
    pc: &mut usize,
    export: &'static Export,
) -> Result<(), Trap> {
    let arity = export.arity as usize;
    if let Some(bif) = export.bif()
        && arity <= 4
        && p.x.len() >= 4
    {
        p.resume = Cp::new(module.code_index, *pc as Label);
        let mut buf = [Term::NIL; 4];
        buf.copy_from_slice(&p.x[..4]);
        return match bif(p, &buf[..arity]) {
            Ok(v) => {
                p.x[0] = v;
                gc_after_bif(p, arity.max(1))
            }
            Err(e) => Err(bif_call_failed(p, pc, export, &buf[..arity], e)),
        };
    }
    call_export(p, module, pc, export, Link::Body)
}

/// A BIF called by `call_ext` failed: raise, or (it asked to be called again) yield and run
/// the call instruction again, its arguments live, as [`call_export`] does.
#[cold]
fn bif_call_failed(
    p: &mut Process,
    pc: &mut usize,
    export: &'static Export,
    args: &[Term],
    e: BifError,
) -> Trap {
    if matches!(e, BifError::Retry) {
        *pc -= 1;
        p.live_x = export.arity;
        return Trap::Yield;
    }
    bif_trap(p, export, args, e)
}

fn jump(module: &mut &'static Module, pc: &mut usize, target: Cp) -> Result<(), Trap> {
    if target.code() != module.code_index {
        if crate::engine::native().is_some() {
            // The other module may run natively: let the engines' loop decide.
            *pc = target.offset() as usize;
            *module = module::code(target.code())
                .ok_or_else(|| Trap::Fault("jump into unloaded code".into()))?;
            return Err(Trap::Leave);
        }
        *module = module::code(target.code())
            .ok_or_else(|| Trap::Fault("jump into unloaded code".into()))?;
    }
    *pc = target.offset() as usize;
    Ok(())
}

fn do_return(p: &mut Process, module: &mut &'static Module, pc: &mut usize) -> Result<(), Trap> {
    let cp = p.cp;
    if cp == Cp::NONE {
        return Err(Trap::Done(p.x[0]));
    }
    // The caller made a body call, so it has a frame holding its own CP: the register is
    // meaningless from here on (and must not show up in stack traces).
    p.cp = Cp::NONE;
    jump(module, pc, cp)
}

/// At a local call to `target`: leave for native code when the JIT runs that function.
#[inline(always)]
fn to_native(module: &'static Module, target: Label) -> Result<(), Trap> {
    match crate::engine::native() {
        Some(n) if n.takes(module, target) => Err(Trap::Leave),
        _ => Ok(()),
    }
}

/// Count a reduction; at the end of the slice, yield (state is all in `p`, with X
/// registers `0..live` live).
#[inline]
fn reduce(p: &mut Process, live: u32) -> Result<(), Trap> {
    p.reductions -= 1;
    if p.reductions <= 0 {
        p.live_x = live;
        Err(Trap::Yield)
    } else {
        Ok(())
    }
}

/// Call the fun `f` with x0..x(arity-1).
fn call_fun(
    p: &mut Process,
    module: &mut &'static Module,
    pc: &mut usize,
    f: Term,
    arity: u32,
    link: Link,
) -> Result<(), Trap> {
    if obj::is_local_fun(f) {
        let entry = fun_entry(f);
        if entry.arity != arity {
            return Err(badarity(p, f, arity));
        }
        let free = obj::fun_free(f);
        let start = arity as usize;
        if start + free.len() > p.x.len() {
            return Err(Trap::Fault("too many free variables".into()));
        }
        let (target, live) = match purged_fun_target(p, entry, f, arity) {
            FunTarget::Code(cp) => {
                p.x[start..start + free.len()].copy_from_slice(free);
                (cp, arity + free.len() as u32)
            }
            FunTarget::BadFun => {
                let reason = tagged(p, Atom::BADFUN, f);
                return Err(error(reason));
            }
            // `Handler:undefined_lambda(Module, Fun, Args)` (x0..x2 set): an export call.
            FunTarget::Lambda(e) => return call_export(p, module, pc, e, link),
        };
        match link {
            Link::Body => p.cp = Cp::new(module.code_index, *pc as Label),
            Link::Tail(Some(n)) => p.deallocate(n)?,
            Link::Tail(None) => {}
        }
        jump(module, pc, target)?;
        reduce(p, live)
    } else if obj::is_export(f) {
        let export = export_entry(f);
        if export.arity != arity {
            return Err(badarity(p, f, arity));
        }
        call_export(p, module, pc, export, link)
    } else {
        let reason = tagged(p, Atom::BADFUN, f);
        Err(error(reason))
    }
}

/// Where a call of a local fun goes.
enum FunTarget {
    /// Its code.
    Code(Cp),
    /// Its code was purged and the module's current version does not define it.
    BadFun,
    /// Its code was purged and the module has no current version: the error handler's
    /// `undefined_lambda(Module, Fun, Args)`, with x0..x2 set.
    Lambda(&'static Export),
}

/// Where a call of the local fun `f` (entry `entry`, called with x0..x(arity-1)) goes. A
/// fun whose code was purged (`module::purge`) runs the same fun of the module's current
/// version when that defines it (the same index and uniq, as erts finds it in its fun
/// table), is `badfun` when the current version does not, and, with no current version,
/// becomes `Handler:undefined_lambda(Module, Fun, Args)` (OTP's loads the module and
/// applies the fun again, or raises `undef` with `{Fun, Args, []}` on top), as in erts.
#[inline]
fn purged_fun_target(p: &mut Process, entry: &'static FunEntry, f: Term, arity: u32) -> FunTarget {
    if let Some(cp) = entry.entry() {
        return FunTarget::Code(cp);
    }
    if let Some(current) = module::loaded(entry.module) {
        let same = current.funs.iter().find(|e| {
            e.id.index == entry.id.index
                && e.id.uniq == entry.id.uniq
                && e.id.arity == entry.id.arity
                && e.num_free == entry.num_free
        });
        return match same.and_then(|e| e.entry()) {
            Some(cp) => FunTarget::Code(cp),
            None => FunTarget::BadFun,
        };
    }
    let args = obj::list_from_slice(&mut p.heap, &p.x[..arity as usize], Term::NIL);
    p.x[0] = Term::atom(entry.module);
    p.x[1] = f;
    p.x[2] = args;
    FunTarget::Lambda(module::export(
        p.error_handler,
        Atom::intern("undefined_lambda"),
        3,
    ))
}

fn badarity(p: &mut Process, f: Term, arity: u32) -> Trap {
    let args = obj::list_from_slice(&mut p.heap, &p.x[..arity as usize], Term::NIL);
    let inner = obj::tuple(&mut p.heap, &[f, args]);
    let reason = tagged(p, Atom::BADARITY, inner);
    error(reason)
}

/// Unpack a proper list into x0.. ; its length, or `None` if it is not a proper list.
fn unpack_args(p: &mut Process, list: Term) -> Option<u32> {
    let items = obj::list_to_vec(list)?;
    if items.len() > p.x.len() - 2 {
        return None;
    }
    p.x[..items.len()].copy_from_slice(&items);
    Some(items.len() as u32)
}

/// Execute until something traps.
fn execute(p: &mut Process, module: &mut &'static Module, pc: &mut usize) -> Trap {
    if *crate::coverage::ON {
        return execute_recording(p, module, pc);
    }
    loop {
        let Some(ins) = module.code.get(*pc) else {
            return Trap::Fault(format!("execution ran off the end of {}", module.name));
        };
        *pc += 1;
        if let Err(trap) = step(p, module, pc, ins) {
            return trap;
        }
    }
}

/// [`execute`], recording each instruction for the opcode coverage report.
#[cold]
fn execute_recording(p: &mut Process, module: &mut &'static Module, pc: &mut usize) -> Trap {
    loop {
        let Some(ins) = module.code.get(*pc) else {
            return Trap::Fault(format!("execution ran off the end of {}", module.name));
        };
        *pc += 1;
        crate::coverage::record(ins);
        if let Err(trap) = step(p, module, pc, ins) {
            return trap;
        }
    }
}

/// Execute one instruction. Always inlined into the dispatch loops: the call and the
/// `Result` it returns cost about a quarter of fib's run time otherwise.
#[inline(always)]
pub(crate) fn step(
    p: &mut Process,
    module: &mut &'static Module,
    pc: &mut usize,
    ins: &'static Instr,
) -> Result<(), Trap> {
    macro_rules! branch {
        ($ok:expr, $fail:expr) => {
            if !$ok {
                if *$fail == NO_LABEL {
                    return Err(Trap::Fault("test without a fail label failed".into()));
                }
                *pc = *$fail as usize;
            }
        };
    }
    match ins {
        Instr::FuncInfo {
            module: m,
            function,
            arity,
        } => {
            let args = obj::list_from_slice(&mut p.heap, &p.x[..*arity as usize], Term::NIL);
            return Err(Trap::Raise {
                class: Class::Error,
                reason: Term::atom(Atom::FUNCTION_CLAUSE),
                top: trace::Top::Clause(*m, *function, args),
                trace: None,
            });
        }
        Instr::Move { src, dst } => {
            let v = p.get(*src);
            p.set(*dst, v);
        }
        Instr::Swap { a, b } => {
            let (va, vb) = (p.get(dst_src(*a)), p.get(dst_src(*b)));
            p.set(*a, vb);
            p.set(*b, va);
        }
        Instr::InitYregs { regs } => {
            for &y in regs.iter() {
                p.set(Dst::Y(y), Term::NIL);
            }
        }

        Instr::Call { target, arity } => {
            p.cp = Cp::new(module.code_index, *pc as Label);
            *pc = *target as usize;
            reduce(p, *arity)?;
            to_native(module, *target)?;
        }
        Instr::CallLast {
            target,
            dealloc,
            arity,
        } => {
            p.deallocate(*dealloc)?;
            *pc = *target as usize;
            reduce(p, *arity)?;
            to_native(module, *target)?;
        }
        Instr::CallOnly { target, arity } => {
            *pc = *target as usize;
            reduce(p, *arity)?;
            to_native(module, *target)?;
        }
        Instr::CallExt { export, .. } => call_ext_body(p, module, pc, export)?,
        Instr::CallExtLast {
            export, dealloc, ..
        } => call_export(p, module, pc, export, Link::Tail(Some(*dealloc)))?,
        Instr::CallExtOnly { export, .. } => call_export(p, module, pc, export, Link::Tail(None))?,
        Instr::Apply {
            arity,
            dealloc,
            tail,
        } => {
            let (m, f) = (p.x[*arity as usize], p.x[*arity as usize + 1]);
            let (Some(m), Some(f)) = (m.as_atom(), f.as_atom()) else {
                return Err(error(Term::atom(Atom::BADARG)));
            };
            let export = module::export(m, f, *arity);
            let link = if *tail {
                Link::Tail(*dealloc)
            } else {
                Link::Body
            };
            call_export(p, module, pc, export, link)?;
        }
        Instr::ApplyMfa { dealloc, tail } => {
            let (m, f, args) = (p.x[0], p.x[1], p.x[2]);
            let (Some(m), Some(f)) = (m.as_atom(), f.as_atom()) else {
                return Err(error(Term::atom(Atom::BADARG)));
            };
            let Some(arity) = unpack_args(p, args) else {
                return Err(error(Term::atom(Atom::BADARG)));
            };
            let export = module::export(m, f, arity);
            let link = if *tail {
                Link::Tail(*dealloc)
            } else {
                Link::Body
            };
            call_export(p, module, pc, export, link)?;
        }
        Instr::ApplyFun { dealloc, tail } => {
            let (f, args) = (p.x[0], p.x[1]);
            let Some(arity) = unpack_args(p, args) else {
                return Err(error(Term::atom(Atom::BADARG)));
            };
            let link = if *tail {
                Link::Tail(*dealloc)
            } else {
                Link::Body
            };
            call_fun(p, module, pc, f, arity, link)?;
        }
        Instr::CallFun { arity } => {
            let f = p.x[*arity as usize];
            call_fun(p, module, pc, f, *arity, Link::Body)?;
        }
        Instr::CallFun2 { arity, fun } => {
            let f = p.get(*fun);
            call_fun(p, module, pc, f, *arity, Link::Body)?;
        }
        Instr::CallFunLast {
            arity,
            fun,
            dealloc,
        } => {
            // As erts: the frame goes first, whatever the fun turns out to be (a BIF reached
            // through an external fun, a bad fun or arity: none shows this frame).
            let f = p.get(*fun);
            p.deallocate(*dealloc)?;
            match call_fun(p, module, pc, f, *arity, Link::Tail(None)) {
                Err(Trap::Raise {
                    class,
                    reason,
                    top: trace::Top::Bif(export, args, cause),
                    trace,
                }) if obj::is_export(f) => {
                    return Err(Trap::Raise {
                        class,
                        reason,
                        top: trace::Top::BifTail(export, args, cause),
                        trace,
                    });
                }
                r => r?,
            }
        }
        Instr::Return => {
            do_return(p, module, pc)?;
            reduce(p, 1)?;
        }

        Instr::Allocate { stack, .. } => {
            let n = *stack as usize;
            p.stack.resize(p.stack.len() + n, Term::NIL);
            p.stack.push(p.cp.to_term());
            p.cp = Cp::NONE;
        }
        Instr::AllocateHeap { stack, heap, live } => {
            let n = *stack as usize;
            p.stack.resize(p.stack.len() + n, Term::NIL);
            p.stack.push(p.cp.to_term());
            p.cp = Cp::NONE;
            if !p.heap.has_room(*heap as usize) {
                gc_now(p, *heap as usize, *live as usize)?;
            }
        }
        Instr::Deallocate { n } => p.deallocate(*n)?,
        Instr::Trim { n, .. } => {
            let len = p.stack.len();
            let n = *n as usize;
            if len < n + 1 {
                return Err(Trap::Fault("trim below the stack".into()));
            }
            p.stack[len - 1 - n] = p.stack[len - 1];
            p.stack.truncate(len - n);
            p.stack_low = p.stack_low.min(len - 1 - n);
        }
        Instr::TestHeap { heap, live } => {
            if !p.heap.has_room(*heap as usize) {
                gc_now(p, *heap as usize, *live as usize)?;
            }
        }

        Instr::Test { op, fail, arg } => branch!(type_test(*op, p.get(*arg)), fail),
        Instr::Cmp { op, fail, a, b } => branch!(compare(*op, p.get(*a), p.get(*b)), fail),
        Instr::TestArity { fail, arg, arity } => {
            let t = p.get(*arg);
            branch!(
                obj::is_tuple(t) && obj::tuple_arity(t) == *arity as usize,
                fail
            )
        }
        Instr::IsTaggedTuple {
            fail,
            arg,
            arity,
            tag,
        } => {
            let t = p.get(*arg);
            let ok = obj::is_tuple(t)
                && obj::tuple_arity(t) == *arity as usize
                && *arity > 0
                && obj::tuple_element(t, 0) == *tag;
            branch!(ok, fail)
        }
        Instr::IsFunction2 { fail, arg, arity } => {
            let ok = match (fun_arity(p.get(*arg)), p.get(*arity).as_small()) {
                (Some(a), Some(n)) => i64::from(a) == n,
                _ => false,
            };
            branch!(ok, fail)
        }
        Instr::SelectVal { arg, fail, table } => {
            let target = crate::instr::select_val_target(table, p.get(*arg));
            *pc = target.unwrap_or(*fail) as usize;
        }
        Instr::SelectTupleArity { arg, fail, table } => {
            let t = p.get(*arg);
            let target = if obj::is_tuple(t) {
                let a = obj::tuple_arity(t) as u32;
                table.iter().find(|(n, _)| *n == a).map(|(_, l)| *l)
            } else {
                None
            };
            *pc = target.unwrap_or(*fail) as usize;
        }
        Instr::Jump { target } => *pc = *target as usize,

        Instr::PutList { head, tail, dst } => {
            let (h, t) = (p.get(*head), p.get(*tail));
            let c = obj::cons(&mut p.heap, h, t);
            p.set(*dst, c);
        }
        Instr::GetList { src, head, tail } => {
            let l = p.get(*src);
            if !l.is_list() {
                return Err(Trap::Fault("get_list on a non-list".into()));
            }
            let (h, t) = (obj::head(l), obj::tail(l));
            p.set(*head, h);
            p.set(*tail, t);
        }
        Instr::GetHd { src, dst } => {
            let l = p.get(*src);
            if !l.is_list() {
                return Err(Trap::Fault("get_hd on a non-list".into()));
            }
            p.set(*dst, obj::head(l));
        }
        Instr::GetTl { src, dst } => {
            let l = p.get(*src);
            if !l.is_list() {
                return Err(Trap::Fault("get_tl on a non-list".into()));
            }
            p.set(*dst, obj::tail(l));
        }
        Instr::PutTuple2 { dst, elements } => {
            let values: Vec<Term> = elements.iter().map(|e| p.get(*e)).collect();
            let t = obj::tuple(&mut p.heap, &values);
            p.set(*dst, t);
        }
        Instr::GetTupleElement { src, index, dst } => {
            let t = p.get(*src);
            if !obj::is_tuple(t) || *index as usize >= obj::tuple_arity(t) {
                return Err(Trap::Fault("get_tuple_element out of range".into()));
            }
            p.set(*dst, obj::tuple_element(t, *index as usize));
        }
        Instr::SetTupleElement {
            value,
            tuple,
            index,
        } => {
            let (v, t) = (p.get(*value), p.get(*tuple));
            if !obj::is_tuple(t)
                || *index as usize >= obj::tuple_arity(t)
                || !p.heap.contains(t.ptr())
            {
                return Err(Trap::Fault("set_tuple_element on a bad tuple".into()));
            }
            obj::set_tuple_element(t, *index as usize, v);
        }

        Instr::Bif {
            export,
            fail,
            args,
            dst,
            frame,
        }
        | Instr::GcBif {
            export,
            fail,
            args,
            dst,
            frame,
            ..
        } => {
            // BIF instructions take at most three arguments: no allocation per call.
            let mut buf = [Term::NIL; 3];
            let n = args.len().min(3);
            for (slot, a) in buf.iter_mut().zip(args.iter()) {
                *slot = p.get(*a);
            }
            let values = &buf[..n];
            if let Some(v) = arith_fast_path(export, values) {
                p.set(*dst, v);
                return Ok(());
            }
            let Some(bif) = export.bif() else {
                // A BIF girder lacks is a missing function, as OTP would report it.
                return Err(undef_with(p, export, values, false));
            };
            match bif(p, values) {
                Ok(v) => {
                    let v = match ins {
                        Instr::GcBif { live, .. } => {
                            // The result is a root too while the heap is collected.
                            let live = *live as usize;
                            if live < p.x.len() && p.heap.fragment_count() > 0 {
                                p.x[live] = v;
                                gc_after_bif(p, live + 1)?;
                                p.x[live]
                            } else {
                                v
                            }
                        }
                        _ => v,
                    };
                    p.set(*dst, v)
                }
                Err(e) if *fail != NO_LABEL && !matches!(e, BifError::Halt(_)) => {
                    *pc = *fail as usize
                }
                Err(BifError::Fail(reason)) if !*frame => return Err(error(reason)),
                Err(e) => return Err(bif_trap(p, export, values, e)),
            }
        }

        Instr::Badmatch { arg } => {
            let v = p.get(*arg);
            let r = tagged(p, Atom::BADMATCH, v);
            return Err(error(r));
        }
        Instr::CaseEnd { arg } => {
            let v = p.get(*arg);
            let r = tagged(p, Atom::CASE_CLAUSE, v);
            return Err(error(r));
        }
        Instr::IfEnd => return Err(error(Term::atom(Atom::IF_CLAUSE))),
        Instr::TryCaseEnd { arg } => {
            let v = p.get(*arg);
            let r = tagged(p, Atom::TRY_CLAUSE, v);
            return Err(error(r));
        }
        Instr::Badrecord { arg } => {
            let v = p.get(*arg);
            let r = tagged(p, Atom::BADRECORD, v);
            return Err(error(r));
        }

        Instr::Catch { y, handler } | Instr::Try { y, handler } => {
            let marker = catch_marker(module.code_index, *handler);
            p.set(Dst::Y(*y), marker);
        }
        Instr::CatchEnd { y } => {
            p.set(Dst::Y(*y), Term::NIL);
            if p.x[0].is_non_value() {
                let (class, reason, raw) = (p.x[1], p.x[2], p.x[3]);
                p.x[0] = match Class::from_term(class) {
                    Some(Class::Throw) => reason,
                    Some(Class::Exit) => tagged(p, Atom::EXIT_UPPER, reason),
                    _ => {
                        let trace = raw_trace_list(p, raw);
                        let inner = obj::tuple(&mut p.heap, &[reason, trace]);
                        tagged(p, Atom::EXIT_UPPER, inner)
                    }
                };
            }
        }
        Instr::TryEnd { y } => p.set(Dst::Y(*y), Term::NIL),
        Instr::TryCase { y } => {
            p.set(Dst::Y(*y), Term::NIL);
            p.x[0] = p.x[1];
            p.x[1] = p.x[2];
            p.x[2] = p.x[3];
        }
        Instr::Raise { trace, value } => {
            let (raw, reason) = (p.get(*trace), p.get(*value));
            let (class, trace) = raw_trace_parts(raw).unwrap_or((Class::Error, Term::NIL));
            return Err(Trap::Raise {
                class,
                reason,
                top: trace::Top::Here,
                trace: Some(trace),
            });
        }
        Instr::RawRaise => {
            let (class, reason, raw) = (p.x[0], p.x[1], p.x[2]);
            match Class::from_term(class) {
                Some(class) => {
                    let trace = raw_trace_list(p, raw);
                    return Err(Trap::Raise {
                        class,
                        reason,
                        top: trace::Top::Here,
                        trace: Some(trace),
                    });
                }
                None => p.x[0] = Term::atom(Atom::BADARG),
            }
        }
        Instr::BuildStacktrace => p.x[0] = raw_trace_list(p, p.x[0]),

        Instr::MakeFun3 { fun, dst, env } => {
            let free: Vec<Term> = env.iter().map(|e| p.get(*e)).collect();
            let creator = p.pid();
            let f = obj::make_fun(
                &mut p.heap,
                *fun as *const FunEntry as *const (),
                creator,
                &free,
            );
            p.set(*dst, f);
        }

        Instr::LoopRec { fail, dst } => match p.peek_message() {
            Some(m) => p.set(*dst, m),
            None => *pc = *fail as usize,
        },
        Instr::LoopRecEnd { target } => {
            p.recv_pos += 1;
            *pc = *target as usize;
        }
        Instr::RemoveMessage => p.remove_message(),
        // Both suspend the process (a receive reaches them once its loop has looked at every
        // message) and resume it at `target`, the loop's start, when a signal or the
        // timeout wakes it. A receive without clauses has its `wait` as its own target.
        Instr::Wait { target } => {
            *pc = *target as usize;
            p.live_x = 0;
            return Err(Trap::Wait);
        }
        Instr::WaitTimeout { target, timeout } => {
            if p.timed_out {
                p.timed_out = false;
                p.deadline = None;
            } else {
                let t = p.get(*timeout);
                let ms = if t.as_atom() == Some(Atom::INFINITY) {
                    None
                } else {
                    match obj::integer_to_i64(t).and_then(|n| u64::try_from(n).ok()) {
                        Some(ms) => Some(ms),
                        None => return Err(error(Term::atom(Atom::intern("timeout_value")))),
                    }
                };
                // A timeout of 0 falls through to `timeout` at once.
                if ms != Some(0) {
                    if let Some(ms) = ms
                        && p.deadline.is_none()
                    {
                        p.deadline =
                            Some(std::time::Instant::now() + std::time::Duration::from_millis(ms));
                    }
                    // The timeout is read again when the loop comes back here: a register
                    // holding it stays live.
                    p.live_x = match timeout.kind() {
                        SrcKind::X(n) => n + 1,
                        _ => 0,
                    };
                    *pc = *target as usize;
                    return Err(Trap::Wait);
                }
            }
        }
        Instr::Timeout => {
            p.recv_pos = 0;
            p.deadline = None;
            p.timed_out = false;
        }
        Instr::Send => {
            let (to, msg) = (p.x[0], p.x[1]);
            match send_target(p, to) {
                Some(id) => {
                    crate::tracing::sent(p, to, id, msg);
                    crate::sched::send(p, id, msg)
                }
                None if crate::dist::send(p, to, msg) => {}
                None => {
                    let args = [to, msg];
                    let export = crate::module::export(Atom::ERLANG, Atom::intern("!"), 2);
                    return Err(bif_trap(p, export, &args, BifError::BADARG));
                }
            }
            p.x[0] = msg;
        }
        Instr::RecvMarkerReserve { dst } => {
            let m = p.recv_marker_reserve();
            p.set(*dst, m);
        }
        Instr::RecvMarkerBind { marker, reference } => {
            p.recv_marker_bind(p.get(*marker), p.get(*reference))
        }
        Instr::RecvMarkerClear { reference } => p.recv_marker_clear(p.get(*reference)),
        Instr::RecvMarkerUse { reference } => p.recv_marker_use(p.get(*reference)),
        Instr::BsCreateBin {
            fail,
            dst,
            segments,
        } => match build_bitstring(p, module, segments) {
            Ok(t) => p.set(*dst, t),
            Err(_) if *fail != NO_LABEL => *pc = *fail as usize,
            Err(e) => return Err(e.raise(p)),
        },
        Instr::BsStartMatch { fail, src, dst, .. } => {
            let t = p.get(*src);
            if obj::is_match_state(t) {
                p.set(*dst, t);
            } else if obj::is_bitstring(t) {
                let ms = obj::make_match_state(&mut p.heap, t);
                p.set(*dst, ms);
            } else if *fail != NO_LABEL {
                *pc = *fail as usize;
            } else {
                let r = tagged(p, Atom::BADMATCH, t);
                return Err(error(r));
            }
        }
        Instr::BsGetPosition { ctx, dst } => {
            let ms = match_state(p.get(*ctx))?;
            p.set(*dst, Term::small(obj::match_position(ms) as i64));
        }
        Instr::BsSetPosition { ctx, pos } => {
            let ms = match_state(p.get(*ctx))?;
            let pos = p.get(*pos).as_small().and_then(|n| usize::try_from(n).ok());
            match pos {
                Some(pos) if pos <= obj::match_end(ms) => obj::set_match_position(ms, pos),
                _ => return Err(Trap::Fault("bs_set_position out of range".into())),
            }
        }
        Instr::BsGetTail { ctx, dst } => {
            let ms = match_state(p.get(*ctx))?;
            let (pos, end) = (obj::match_position(ms), obj::match_end(ms));
            let bin = obj::match_binary(ms);
            let tail = obj::sub_binary(&mut p.heap, bin, pos, end - pos);
            p.set(*dst, tail);
        }
        Instr::BsGet {
            field,
            fail,
            ctx,
            size,
            unit,
            flags,
            dst,
        } => {
            let ms = match_state(p.get(*ctx))?;
            let size = p.get(*size);
            match bs_get(
                p,
                ms,
                *field,
                size,
                u32::from(*unit),
                u32::from(*flags),
                dst.is_some(),
            ) {
                Some(v) => {
                    if let Some(d) = dst {
                        p.set(*d, v);
                    }
                }
                None => *pc = *fail as usize,
            }
        }
        Instr::BsTestTail { fail, ctx, bits } => {
            let ms = match_state(p.get(*ctx))?;
            if (obj::match_end(ms) - obj::match_position(ms)) as u64 != *bits {
                *pc = *fail as usize;
            }
        }
        Instr::BsTestUnit { fail, ctx, unit } => {
            let ms = match_state(p.get(*ctx))?;
            let left = obj::match_end(ms) - obj::match_position(ms);
            if *unit == 0 || !left.is_multiple_of(*unit as usize) {
                *pc = *fail as usize;
            }
        }
        Instr::BsMatchString {
            fail,
            ctx,
            bits,
            offset,
        } => {
            let ms = match_state(p.get(*ctx))?;
            let (pos, end) = (obj::match_position(ms), obj::match_end(ms));
            let n = *bits as usize;
            let wanted = obj::Bits {
                bytes: &module.strings[*offset as usize..],
                offset: 0,
                size: n,
            };
            let whole = obj::bits(obj::match_binary(ms));
            if end - pos >= n && crate::bits::field(&whole, pos, n).compare(&wanted).is_eq() {
                obj::set_match_position(ms, pos + n);
            } else {
                *pc = *fail as usize;
            }
        }
        Instr::BsMatch { fail, ctx, cmds } => {
            let ms = match_state(p.get(*ctx))?;
            if !bs_match(p, ms, cmds) {
                *pc = *fail as usize;
            }
        }
        Instr::BsInitWritable => p.x[0] = obj::heap_binary(&mut p.heap, &[]),
        Instr::BsAdd {
            fail,
            a,
            b,
            unit,
            dst,
        } => match bs_add(p.get(*a), p.get(*b), *unit) {
            Ok(n) => p.set(*dst, Term::small(n)),
            Err(reason) => {
                if *fail == NO_LABEL {
                    return Err(error(Term::atom(reason)));
                }
                *pc = *fail as usize;
            }
        },
        Instr::BsUtfSize { utf16, src, dst } => {
            let cp = p.get(*src).as_small().unwrap_or(0);
            let n = match (*utf16, cp) {
                (false, ..0x80) => 1,
                (false, ..0x800) => 2,
                (false, ..0x10000) => 3,
                (false, _) => 4,
                (true, ..0x10000) => 2,
                (true, _) => 4,
            };
            p.set(*dst, Term::small(n));
        }
        Instr::GetMapElements { fail, src, pairs } => {
            let m = p.get(*src);
            if !obj::is_map(m) {
                *pc = *fail as usize;
                return Ok(());
            }
            // Look every key up before writing any register: a destination may be a source.
            let mut small = [Term::NIL; SMALL_PAIRS];
            let mut large = Vec::new();
            let found = scratch(&mut small, &mut large, pairs.len());
            for ((k, _), slot) in pairs.iter().zip(found.iter_mut()) {
                match obj::map_get(m, p.get(*k)) {
                    Some(v) => *slot = v,
                    None => {
                        *pc = *fail as usize;
                        return Ok(());
                    }
                }
            }
            for ((_, d), v) in pairs.iter().zip(found.iter()) {
                p.set(*d, *v);
            }
        }
        Instr::HasMapFields { fail, src, keys } => {
            let m = p.get(*src);
            let ok = obj::is_map(m) && keys.iter().all(|k| obj::map_get(m, p.get(*k)).is_some());
            if !ok {
                *pc = *fail as usize;
            }
        }
        Instr::PutMap {
            exact,
            src,
            dst,
            pairs,
            ..
        } => {
            let m = p.get(*src);
            if !obj::is_map(m) {
                let r = tagged(p, Atom::BADMAP, m);
                return Err(error(r));
            }
            if *exact {
                for (k, _) in pairs.iter() {
                    let k = p.get(*k);
                    if obj::map_get(m, k).is_none() {
                        let r = tagged(p, Atom::BADKEY, k);
                        return Err(error(r));
                    }
                }
            }
            let updated = if obj::is_flatmap(m) {
                let mut small = [(Term::NIL, Term::NIL); SMALL_PAIRS];
                let mut large = Vec::new();
                let values = scratch(&mut small, &mut large, pairs.len());
                for ((k, v), slot) in pairs.iter().zip(values.iter_mut()) {
                    *slot = (p.get(*k), p.get(*v));
                }
                obj::map_update_existing(&mut p.heap, m, values.iter().copied())
            } else {
                None
            };
            let new = if let Some(u) = updated {
                u
            } else if let Some(u) = flat_put(p, m, pairs) {
                u
            } else if pairs.len() > 1
                && obj::is_flatmap(m)
                && obj::map_size(m) + pairs.len() <= 2 * obj::FLAT_MAX
            {
                // Small: rebuild at once (flat, or a trie if it grows past 32 keys).
                let mut all: Vec<(Term, Term)> = obj::map_pairs(m).collect();
                all.extend(pairs.iter().map(|(k, v)| (p.get(*k), p.get(*v))));
                obj::map_from_pairs(&mut p.heap, &mut all)
            } else {
                let mut new = m;
                for (k, v) in pairs.iter() {
                    let (k, v) = (p.get(*k), p.get(*v));
                    new = obj::map_put(&mut p.heap, new, k, v);
                }
                new
            };
            p.set(*dst, new);
        }
        Instr::NewMap { dst, keys, values } => {
            let mut small = [Term::NIL; SMALL_PAIRS];
            let mut large = Vec::new();
            let vs = scratch(&mut small, &mut large, values.len());
            for (v, slot) in values.iter().zip(vs.iter_mut()) {
                *slot = p.get(*v);
            }
            let m = obj::map_from_sorted(&mut p.heap, *keys, vs);
            p.set(*dst, m);
        }
        Instr::UpdateRecord { src, dst, updates } => {
            let t = p.get(*src);
            if !obj::is_tuple(t) {
                return Err(Trap::Fault("update_record on a non-tuple".into()));
            }
            let mut elements = obj::tuple_elements(t).to_vec();
            for &(index, value) in updates.iter() {
                let Some(slot) = elements.get_mut(index as usize - 1) else {
                    return Err(Trap::Fault("update_record outside the tuple".into()));
                };
                *slot = p.get(value);
            }
            let copy = obj::tuple(&mut p.heap, &elements);
            p.set(*dst, copy);
        }
        Instr::FLoad { src, dst } => {
            let t = p.get(*src);
            if !obj::is_float(t) {
                return Err(Trap::Fault("fmove of a term that is not a float".into()));
            }
            p.fr[*dst as usize] = obj::float_value(t);
        }
        Instr::FStore { src, dst } => {
            let f = obj::float(&mut p.heap, p.fr[*src as usize]);
            p.set(*dst, f);
        }
        Instr::FMove { src, dst } => p.fr[*dst as usize] = p.fr[*src as usize],
        Instr::FConv { src, dst } => {
            let t = p.get(*src);
            let f = if obj::is_float(t) {
                obj::float_value(t)
            } else if let Some(n) = t.as_small() {
                n as f64
            } else if obj::is_integer(t) {
                use num_traits::ToPrimitive;
                match obj::big_value(t).to_f64().filter(|f| f.is_finite()) {
                    Some(f) => f,
                    None => return Err(error(Term::atom(Atom::BADARITH))),
                }
            } else {
                return Err(error(Term::atom(Atom::BADARITH)));
            };
            p.fr[*dst as usize] = f;
        }
        Instr::FArith { op, a, b, dst } => {
            let (x, y) = (p.fr[*a as usize], p.fr[*b as usize]);
            let r = match op {
                FOp::Add => x + y,
                FOp::Sub => x - y,
                FOp::Mul => x * y,
                FOp::Div => x / y,
            };
            if !r.is_finite() {
                return Err(error(Term::atom(Atom::BADARITH)));
            }
            p.fr[*dst as usize] = r;
        }
        // OTP's fnegate is `0.0 - X`: it turns 0.0 into 0.0 (the '-' BIF gives -0.0).
        Instr::FNegate { src, dst } => p.fr[*dst as usize] = 0.0 - p.fr[*src as usize],

        Instr::NifStart => nif_start(p, module, pc)?,

        Instr::Unsupported { opcode } => {
            let name = girder_format::opcodes::info(*opcode).map_or("?", |o| o.name);
            return Err(Trap::Fault(format!(
                "instruction {name} (in {}) is not implemented by girder yet",
                module.name
            )));
        }
    }
    Ok(())
}

/// The local process a message to `to` goes to: a pid, a registered name, `{Name, Node}`
/// for this node, or a process alias (a reference; [`crate::sched::NOBODY`] when it is not
/// an active alias, and the message is dropped). `None` for a name nobody has or anything
/// else: `badarg`, unless it names another node ([`crate::dist::send`]).
pub fn send_target(p: &Process, to: Term) -> Option<u64> {
    if to.is_local_pid() {
        return Some(to.immediate_id());
    }
    if to.is_local_port() {
        return Some(to.immediate_id() | crate::port::PORT_BIT);
    }
    if obj::is_local_ref(to) {
        return Some(crate::sched::alias_target(to));
    }
    if obj::is_tuple(to) && obj::tuple_arity(to) == 2 {
        let node = obj::tuple_element(to, 1).as_atom()?;
        if node != obj::this_node().0 {
            return None;
        }
        let name = obj::tuple_element(to, 0).as_atom()?;
        return crate::sched::whereis(p, name);
    }
    let name = to.as_atom()?;
    crate::sched::whereis(p, name)
}

/// The match state in a register, or a fault (the compiler only passes match states here).
fn match_state(t: Term) -> Result<Term, Trap> {
    if obj::is_match_state(t) {
        Ok(t)
    } else {
        Err(Trap::Fault("not a match state".into()))
    }
}

/// A segment size in bits: `size * unit`, or `None` when it is not a non-negative integer.
fn seg_bits(size: Term, unit: u32) -> Option<usize> {
    let n = usize::try_from(size.as_small()?).ok()?;
    n.checked_mul(unit as usize)
}

/// Read (or skip) one field at the match position, advancing it; `None` when it does not
/// match.
fn bs_get(
    p: &mut Process,
    ms: Term,
    field: BsField,
    size: Term,
    unit: u32,
    flags: u32,
    keep: bool,
) -> Option<Term> {
    use crate::bits::{self, little};
    let (pos, end) = (obj::match_position(ms), obj::match_end(ms));
    let left = end - pos;
    let whole = obj::bits(obj::match_binary(ms));
    let rest = bits::field(&whole, pos, left);
    let (value, used) = match field {
        BsField::Integer | BsField::Float | BsField::Binary => {
            let n = if field == BsField::Binary && size.as_atom() == Some(atom_all()) {
                if unit > 1 && !left.is_multiple_of(unit as usize) {
                    return None;
                }
                left
            } else {
                seg_bits(size, unit)?
            };
            if n > left {
                return None;
            }
            let f = bits::field(&whole, pos, n);
            let v = if !keep {
                Term::NIL
            } else {
                match field {
                    BsField::Integer => bits::read_integer_term(
                        &mut p.heap,
                        &f,
                        little(flags),
                        flags & bits::SIGNED != 0,
                    ),
                    BsField::Float => {
                        let x = bits::read_float(&f, little(flags))?;
                        obj::float(&mut p.heap, x)
                    }
                    _ => obj::sub_binary(&mut p.heap, obj::match_binary(ms), pos, n),
                }
            };
            if field == BsField::Float && !keep {
                // A skipped float must still be a valid one.
                bits::read_float(&f, little(flags))?;
            }
            (v, n)
        }
        BsField::Utf8 | BsField::Utf16 | BsField::Utf32 => {
            let (cp, n) = match field {
                BsField::Utf8 => bits::read_utf8(&rest)?,
                BsField::Utf16 => bits::read_utf16(&rest, little(flags))?,
                _ => bits::read_utf32(&rest, little(flags))?,
            };
            (Term::small(i64::from(cp)), n)
        }
    };
    obj::set_match_position(ms, pos + used);
    Some(value)
}

/// Run `bs_match` commands; false as soon as one fails.
fn bs_match(p: &mut Process, ms: Term, cmds: &[crate::instr::BsCmd]) -> bool {
    use crate::bits;
    use crate::instr::BsCmd;
    for cmd in cmds {
        let (pos, end) = (obj::match_position(ms), obj::match_end(ms));
        let left = end - pos;
        let whole = obj::bits(obj::match_binary(ms));
        let advance = match cmd {
            BsCmd::EnsureAtLeast { stride, unit } => {
                let (stride, unit) = (*stride as usize, (*unit as usize).max(1));
                if left < stride || !(left - stride).is_multiple_of(unit) {
                    return false;
                }
                0
            }
            BsCmd::EnsureExactly { stride } => {
                if left != *stride as usize {
                    return false;
                }
                0
            }
            BsCmd::Integer {
                flags,
                bits: n,
                dst,
            } => {
                let n = *n as usize;
                if n > left {
                    return false;
                }
                let f = bits::field(&whole, pos, n);
                let t = bits::read_integer_term(
                    &mut p.heap,
                    &f,
                    bits::little(*flags),
                    flags & bits::SIGNED != 0,
                );
                p.set(*dst, t);
                n
            }
            BsCmd::Binary { bits: n, dst } => {
                let n = *n as usize;
                if n > left {
                    return false;
                }
                let t = obj::sub_binary(&mut p.heap, obj::match_binary(ms), pos, n);
                p.set(*dst, t);
                n
            }
            BsCmd::Eq { bits: n, value } => {
                let n = *n as usize;
                if n > left {
                    return false;
                }
                let v = bits::read_integer(&bits::field(&whole, pos, n), false, false);
                if obj::big_value(*value) != v {
                    return false;
                }
                n
            }
            BsCmd::Skip { bits: n } => {
                let n = *n as usize;
                if n > left {
                    return false;
                }
                n
            }
            BsCmd::GetTail { dst } => {
                let t = obj::sub_binary(&mut p.heap, obj::match_binary(ms), pos, left);
                p.set(*dst, t);
                left
            }
        };
        obj::set_match_position(ms, pos + advance);
    }
    true
}

/// Largest bitstring `bs_create_bin` builds (2^35 bits, 4 GiB); a larger one is a
/// `system_limit` error rather than an allocation failure.
const MAX_BUILD_BITS: usize = 1 << 35;

/// Why a `bs_create_bin` failed: OTP's reason and the `error_info` cause
/// `{Segment, Type, Error, Value}` that `erl_erts_errors:format_bs_fail/2` explains.
struct BsFail {
    system_limit: bool,
    seg: u32,
    op: &'static str,
    info: &'static str,
    value: Term,
}

impl BsFail {
    fn badarg(seg: &crate::instr::Segment, info: &'static str, value: Term) -> BsFail {
        BsFail {
            system_limit: false,
            seg: seg.seg,
            op: seg_op(seg.kind),
            info,
            value,
        }
    }

    /// The exception: `badarg` or `system_limit`, with the cause in the top frame (none
    /// for the segments of OTP 21-24's construction instructions, numbered 0: their
    /// `bs_put_*` raised a plain error).
    fn raise(self, p: &mut Process) -> Trap {
        if self.seg == 0 {
            let reason = if self.system_limit {
                Atom::SYSTEM_LIMIT
            } else {
                Atom::BADARG
            };
            return error(Term::atom(reason));
        }
        let cause = obj::tuple(
            &mut p.heap,
            &[
                Term::small(i64::from(self.seg)),
                Term::atom(Atom::intern(self.op)),
                Term::atom(Atom::intern(self.info)),
                self.value,
            ],
        );
        let mut pairs = vec![
            (Term::atom(Atom::intern("cause")), cause),
            (
                Term::atom(Atom::intern("function")),
                Term::atom(Atom::intern("format_bs_fail")),
            ),
            (
                Term::atom(Atom::intern("module")),
                Term::atom(Atom::intern("erl_erts_errors")),
            ),
        ];
        let info = obj::map_from_pairs(&mut p.heap, &mut pairs);
        let reason = if self.system_limit {
            Atom::SYSTEM_LIMIT
        } else {
            Atom::BADARG
        };
        Trap::Raise {
            class: Class::Error,
            reason: Term::atom(reason),
            top: trace::Top::HereInfo(info),
            trace: None,
        }
    }
}

/// The segment type `error_info` names.
fn seg_op(kind: crate::instr::SegKind) -> &'static str {
    use crate::instr::SegKind;
    match kind {
        SegKind::Integer => "integer",
        SegKind::Float => "float",
        SegKind::Utf8 => "utf8",
        SegKind::Utf16 => "utf16",
        SegKind::Utf32 => "utf32",
        SegKind::Binary | SegKind::Append | SegKind::String => "binary",
    }
}

/// A segment size in bits: `Err(true)` when too large (`system_limit`), `Err(false)` when not
/// a non-negative integer (`badarg`), as OTP's size check decides.
fn seg_size(size: Term, unit: u32) -> Result<usize, bool> {
    match size.as_small() {
        Some(n) if n >= 0 => (n as u64)
            .checked_mul(u64::from(unit))
            .and_then(|b| usize::try_from(b).ok())
            .filter(|b| *b <= MAX_BUILD_BITS)
            .ok_or(true),
        Some(_) => Err(false),
        None if obj::is_integer(size) => {
            use num_traits::Signed;
            Err(obj::big_value(size).is_positive())
        }
        None => Err(false),
    }
}

/// The atom `all` (interned once: interning takes the atom table's lock).
fn atom_all() -> Atom {
    static ALL: std::sync::LazyLock<Atom> = std::sync::LazyLock::new(|| Atom::intern("all"));
    *ALL
}

/// Whether a segment's size operand is the literal `all` (the whole binary).
fn size_is_all(size: Src) -> bool {
    matches!(size.kind(), crate::instr::SrcKind::Term(t) if t.as_atom() == Some(atom_all()))
}

/// A valid Unicode scalar value.
fn code_point(t: Term) -> Option<u32> {
    t.as_small()
        .and_then(|c| u32::try_from(c).ok())
        .filter(|c| *c <= 0x10ffff && !(0xd800..=0xdfff).contains(c))
}

/// Build the bitstring of a `bs_create_bin`, checking as OTP does: first every segment's
/// size (and the types that decide sizes), then the appended binary, then each value in
/// turn. `<<Acc/binary, ...>>` (an `append` or `private_append` first segment) extends
/// `Acc`'s buffer in place when it can ([`obj::append`]).
fn build_bitstring(
    p: &mut Process,
    module: &Module,
    segments: &[crate::instr::Segment],
) -> Result<Term, BsFail> {
    if let Some(t) = append_small_integers(p, segments) {
        return Ok(t);
    }
    use crate::bits::{self, BitWriter, little};
    use crate::instr::SegKind;
    let limit = |seg: &crate::instr::Segment, value: Term| BsFail {
        system_limit: true,
        ..BsFail::badarg(seg, "size", value)
    };
    // Sizes.
    let mut total = 0usize;
    for seg in segments {
        let src = p.get(seg.src);
        let n = match seg.kind {
            SegKind::Append | SegKind::Utf8 | SegKind::Utf16 => 0,
            SegKind::String => p.get(seg.size).as_small().unwrap_or(0) as usize * 8,
            SegKind::Binary if size_is_all(seg.size) => {
                if !obj::is_bitstring(src) {
                    return Err(BsFail::badarg(seg, "type", src));
                }
                obj::bit_size(src)
            }
            SegKind::Binary | SegKind::Integer | SegKind::Float => {
                let size = p.get(seg.size);
                seg_size(size, seg.unit).map_err(|too_big| {
                    if too_big {
                        limit(seg, size)
                    } else {
                        BsFail::badarg(seg, "size", size)
                    }
                })?
            }
            SegKind::Utf32 => {
                if code_point(src).is_none() {
                    return Err(BsFail::badarg(seg, "type", src));
                }
                32
            }
        };
        total = total.saturating_add(n);
        if total > MAX_BUILD_BITS {
            return Err(limit(seg, p.get(seg.size)));
        }
    }
    // The binary appended to.
    let (base, rest) = match segments.split_first() {
        Some((first, rest)) if first.kind == SegKind::Append => {
            let src = p.get(first.src);
            if !obj::is_bitstring(src) {
                return Err(BsFail::badarg(first, "type", src));
            }
            if !whole_units(obj::bit_size(src), first.unit) {
                return Err(BsFail::badarg(first, "unit", src));
            }
            (Some(src), rest)
        }
        _ => (None, segments),
    };
    let lead = base.map_or(0, |b| obj::bit_size(b) % 8);
    // `total` counts every segment but the appended binary and UTF-8/16 ones (at most 32
    // bits each).
    // The scheduler thread's buffer: building a binary allocates nothing but the result.
    thread_local! {
        static SCRATCH: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
    }
    let mut w = BitWriter::reusing(SCRATCH.take(), lead, total + 32 * segments.len());
    // Values.
    for seg in rest {
        let src = p.get(seg.src);
        let size = p.get(seg.size);
        match seg.kind {
            SegKind::Integer => {
                let n = seg_size(size, seg.unit).unwrap_or(0);
                if let Some(v) = src.as_small() {
                    w.push_small(v, n, little(seg.flags));
                } else if obj::is_integer(src) {
                    w.push_integer(&obj::big_value(src), n, little(seg.flags));
                } else {
                    return Err(BsFail::badarg(seg, "type", src));
                }
            }
            SegKind::Float => {
                let n = seg_size(size, seg.unit).unwrap_or(0);
                if !matches!(n, 16 | 32 | 64) {
                    return Err(BsFail::badarg(seg, "invalid", Term::small(n as i64)));
                }
                let x = if obj::is_float(src) {
                    obj::float_value(src)
                } else if obj::is_integer(src) {
                    use num_traits::ToPrimitive;
                    match obj::big_value(src).to_f64().filter(|x| x.is_finite()) {
                        Some(x) => x,
                        None => return Err(BsFail::badarg(seg, "no_float", src)),
                    }
                } else {
                    return Err(BsFail::badarg(seg, "type", src));
                };
                let v = bits::float_bits(x, n).unwrap_or(0);
                if little(seg.flags) {
                    w.push_small(v as i64, n, true);
                } else {
                    w.push_u64(v, n);
                }
            }
            SegKind::Binary | SegKind::Append => {
                if !obj::is_bitstring(src) {
                    return Err(BsFail::badarg(seg, "type", src));
                }
                let b = obj::bits(src);
                let n = if seg.kind == SegKind::Append || size_is_all(seg.size) {
                    if !whole_units(b.size, seg.unit) {
                        return Err(BsFail::badarg(seg, "unit", src));
                    }
                    b.size
                } else {
                    seg_size(size, seg.unit).unwrap_or(usize::MAX)
                };
                if n > b.size {
                    return Err(BsFail::badarg(seg, "short", src));
                }
                w.push_bits(bits::field(&b, 0, n));
            }
            SegKind::String => {
                let (off, len) = (
                    src.as_small().unwrap_or(0) as usize,
                    size.as_small().unwrap_or(0) as usize,
                );
                let bytes = off
                    .checked_add(len)
                    .and_then(|end| module.strings.get(off..end))
                    .unwrap_or(&[]);
                w.push_bytes(bytes);
            }
            SegKind::Utf8 | SegKind::Utf16 | SegKind::Utf32 => {
                let Some(cp) = code_point(src) else {
                    return Err(BsFail::badarg(seg, "type", src));
                };
                let kind = match seg.kind {
                    SegKind::Utf8 => 8,
                    SegKind::Utf16 => 16,
                    _ => 32,
                };
                bits::push_utf(&mut w, cp, kind, little(seg.flags));
            }
        }
    }
    let (bytes, n) = w.parts();
    let t = match base {
        Some(b) => obj::append(&mut p.heap, b, bytes, n - lead),
        None => obj::bitstring_from_bytes(&mut p.heap, bytes, n),
    };
    let buf = w.into_buffer();
    // A rare huge binary's buffer is not worth keeping.
    if buf.capacity() <= 1 << 16 {
        SCRATCH.set(buf);
    }
    Ok(t)
}

/// Whether `bits` is a whole number of `unit`-bit units (units are usually 1 or 8: a
/// mask, not a division).
#[inline]
fn whole_units(bits: usize, unit: u32) -> bool {
    let unit = unit as usize;
    if unit.is_power_of_two() {
        bits & (unit - 1) == 0
    } else {
        unit <= 1 || bits.is_multiple_of(unit)
    }
}

/// A destination register as a source, to read it.
fn dst_src(d: Dst) -> Src {
    match d {
        Dst::X(n) => Src::x(n),
        Dst::Y(n) => Src::y(n),
    }
}

/// `{Class, TraceList}` as the raw stack trace the runtime hands to handlers.
fn raw_trace_parts(raw: Term) -> Option<(Class, Term)> {
    if obj::is_tuple(raw) && obj::tuple_arity(raw) == 2 {
        Some((
            Class::from_term(obj::tuple_element(raw, 0))?,
            obj::tuple_element(raw, 1),
        ))
    } else {
        None
    }
}

/// The Erlang-form stack trace inside a raw trace (or the term itself if it is a list).
fn raw_trace_list(p: &mut Process, raw: Term) -> Term {
    match raw_trace_parts(raw) {
        Some((_, list)) => trace::materialize(p, list),
        None if raw.is_list() || raw.is_nil() => raw,
        None => Term::NIL,
    }
}

/// How many map keys or pairs an instruction handles in a buffer on the native stack (more
/// take one from the allocator).
const SMALL_PAIRS: usize = 16;

/// `len` slots of `small` when they fit, else of `large` (grown to `len`): a buffer for
/// one instruction's map keys or pairs without an allocation in the common case.
fn scratch<'a, T: Copy>(
    small: &'a mut [T; SMALL_PAIRS],
    large: &'a mut Vec<T>,
    len: usize,
) -> &'a mut [T] {
    if len <= SMALL_PAIRS {
        &mut small[..len]
    } else {
        large.resize(len, small[0]);
        &mut large[..]
    }
}

/// `<<Bin/binary, I1:N1, ...>>` where `Bin` is whole bytes and the rest small integers of
/// sizes that make whole bytes, at most 64 bits in all (the accumulator loop
/// `<<Acc/binary, B:8>>`): the new bits gathered in one word instead of the general
/// writer. `None` (nothing done) for anything else, errors included: the general path
/// builds it.
fn append_small_integers(p: &mut Process, segments: &[crate::instr::Segment]) -> Option<Term> {
    use crate::instr::SegKind;
    let (first, rest) = segments.split_first()?;
    if first.kind != SegKind::Append || rest.is_empty() {
        return None;
    }
    let base = p.get(first.src);
    if !obj::is_bitstring(base) {
        return None;
    }
    let size = obj::bit_size(base);
    if !size.is_multiple_of(8) || first.unit == 0 || !size.is_multiple_of(first.unit as usize) {
        return None;
    }
    let (mut acc, mut bits) = (0u64, 0u32);
    for seg in rest {
        if seg.kind != SegKind::Integer {
            return None;
        }
        let n = u64::try_from(p.get(seg.size).as_small()?).ok()? * u64::from(seg.unit);
        if n == 0 || n > u64::from(64 - bits) {
            return None;
        }
        let n = n as u32;
        let v = p.get(seg.src).as_small()? as u64 & (u64::MAX >> (64 - n));
        let v = if crate::bits::little(seg.flags) {
            if !n.is_multiple_of(8) {
                return None;
            }
            v.swap_bytes() >> (64 - n)
        } else {
            v
        };
        acc = if n == 64 { v } else { (acc << n) | v };
        bits += n;
    }
    if !bits.is_multiple_of(8) {
        return None;
    }
    let bytes = (acc << (64 - bits)).to_be_bytes();
    Some(obj::append(
        &mut p.heap,
        base,
        &bytes[..bits as usize / 8],
        bits as usize,
    ))
}

/// `put_map_assoc` of `pairs` on the flat map `m` when the result stays flat (see
/// [`obj::map_put_flat`]).
fn flat_put(p: &mut Process, m: Term, pairs: &[(Src, Src)]) -> Option<Term> {
    if !obj::is_flatmap(m) || pairs.len() > SMALL_PAIRS {
        return None;
    }
    let mut small = [(Term::NIL, Term::NIL); SMALL_PAIRS];
    let values = &mut small[..pairs.len()];
    for ((k, v), slot) in pairs.iter().zip(values.iter_mut()) {
        *slot = (p.get(*k), p.get(*v));
    }
    obj::map_put_flat(&mut p.heap, m, values)
}

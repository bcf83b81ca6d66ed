//! The interface between the runtime and built-in functions.
//!
//! A BIF is a Rust function over the calling process and its arguments. It may allocate on
//! the process heap (allocation never collects: see `girder_term::heap`), and it either
//! returns a term or says how it failed.

use girder_term::{Atom, Term};

use crate::exception::Class;
use crate::process::Process;

/// A built-in function.
pub type BifFn = fn(&mut Process, &[Term]) -> BifResult;

/// What a BIF returns.
pub type BifResult = Result<Term, BifError>;

/// How a BIF failed, or a request it makes of the interpreter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BifError {
    /// The BIF failed (`badarg`, `badarith`...): an `error` whose stack trace starts with
    /// the BIF's own frame, its arguments and `error_info`, as OTP shows it.
    Fail(Term),
    /// The same, with a `cause` in the `error_info` map (`#{cause => badopt, ...}`), which
    /// `erl_erts_errors` uses to explain the error.
    FailCause { reason: Term, cause: Atom },
    /// Raise an exception of `class` with `reason` as if the caller raised it (`error/1`,
    /// `throw/1`, `exit/1`): no frame for the BIF.
    Raise { class: Class, reason: Term },
    /// `error(Reason, Args)`: an error whose first frame shows `Args` instead of the arity;
    /// `info` is the `error_info` of `error/3`'s options (`Term::NON_VALUE` when none),
    /// which OTP appends to the frame's location.
    RaiseArgs {
        reason: Term,
        args: Term,
        info: Term,
    },
    /// Raise with a given stack trace (an Erlang list), as `erlang:raise/3` does.
    RaiseWithTrace {
        class: Class,
        reason: Term,
        trace: Term,
    },
    /// Stop the whole VM with this exit status (`halt/1,2`).
    Halt(i32),
    /// The BIF cannot answer yet (it needs another process that is running on another
    /// scheduler thread right now): call it again later. The interpreter re-executes the
    /// calling instruction after a yield.
    Retry,
    /// A NIF handed its work to another thread, which signals the process when it is done
    /// (any signal will do; [`crate::sched::wake`] sends one): the process waits, without a
    /// scheduler thread, until a signal arrives, then the NIF is called again with the same
    /// arguments. Only a NIF (`nif_start`) may answer this.
    Wait,
    /// `erlang:hibernate(Module, Function, Args)`, its arguments already in the X
    /// registers: drop the call stack, compact the heap, wait for a message, then call.
    Hibernate {
        module: Atom,
        function: Atom,
        arity: u32,
    },
}

impl BifError {
    /// `error:badarg` from the BIF.
    pub const BADARG: BifError = BifError::Fail(Term::atom(Atom::BADARG));
    /// `error:badarith` from the BIF.
    pub const BADARITH: BifError = BifError::Fail(Term::atom(Atom::BADARITH));
    /// `error:system_limit` from the BIF.
    pub const SYSTEM_LIMIT: BifError = BifError::Fail(Term::atom(Atom::SYSTEM_LIMIT));
}

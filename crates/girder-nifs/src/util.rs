//! Argument helpers shared by the NIFs.

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::object as obj;
use girder_term::{Atom, Term};

/// The bytes of an iolist (`enif_inspect_iolist_as_binary`).
pub fn iolist(t: Term) -> Result<Vec<u8>, BifError> {
    let mut out = Vec::new();
    if obj::iodata_bytes(t, &mut out) {
        Ok(out)
    } else {
        Err(BifError::BADARG)
    }
}

/// A C `int` (`enif_get_int`).
pub fn int(t: Term) -> Result<i32, BifError> {
    t.as_small()
        .and_then(|n| i32::try_from(n).ok())
        .ok_or(BifError::BADARG)
}

/// A new binary.
pub fn bin(p: &mut Process, bytes: &[u8]) -> Term {
    obj::binary_from_bytes(&mut p.heap, bytes)
}

/// An atom term.
pub fn atom(name: &str) -> Term {
    Term::atom(Atom::intern(name))
}

/// `{A, B}`.
pub fn pair(p: &mut Process, a: Term, b: Term) -> BifResult {
    Ok(obj::tuple(&mut p.heap, &[a, b]))
}

/// `enif_raise_exception(env, Reason)`: an `error` with `Reason`.
pub fn raise(reason: Term) -> BifError {
    BifError::Raise {
        class: girder_runtime::Class::Error,
        reason,
    }
}

/// A string as a list of characters.
pub fn charlist(p: &mut Process, s: &str) -> Term {
    let chars: Vec<Term> = s.chars().map(|c| Term::small(c as i64)).collect();
    obj::list_from_slice(&mut p.heap, &chars, Term::NIL)
}

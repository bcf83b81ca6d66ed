//! Comparison and boolean operators as BIFs (`X = A =:= B` in a body calls them).

use std::cmp::Ordering;

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::{Atom, Term, compare};

use crate::Entry;
use crate::util::boolean;

pub const BIFS: &[Entry] = &[
    ("erlang", "==", 2, eq),
    ("erlang", "/=", 2, ne),
    ("erlang", "=:=", 2, eq_exact),
    ("erlang", "=/=", 2, ne_exact),
    ("erlang", "<", 2, lt),
    ("erlang", ">", 2, gt),
    ("erlang", "=<", 2, le),
    ("erlang", ">=", 2, ge),
    ("erlang", "min", 2, min),
    ("erlang", "max", 2, max),
    ("erlang", "and", 2, and),
    ("erlang", "or", 2, or),
    ("erlang", "xor", 2, xor),
    ("erlang", "not", 1, not),
    ("erts_internal", "cmp_term", 2, cmp_term),
];

/// `erts_internal:cmp_term/2`: -1, 0 or 1 by the exact term order maps sort keys by (every
/// integer before every float), as OTP's compiler sorts map patterns with it.
fn cmp_term(_: &mut Process, a: &[Term]) -> BifResult {
    Ok(Term::small(match compare::cmp_exact(a[0], a[1]) {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    }))
}

fn eq(_: &mut Process, a: &[Term]) -> BifResult {
    Ok(boolean(compare::eq(a[0], a[1])))
}
fn ne(_: &mut Process, a: &[Term]) -> BifResult {
    Ok(boolean(!compare::eq(a[0], a[1])))
}
fn eq_exact(_: &mut Process, a: &[Term]) -> BifResult {
    Ok(boolean(compare::eq_exact(a[0], a[1])))
}
fn ne_exact(_: &mut Process, a: &[Term]) -> BifResult {
    Ok(boolean(!compare::eq_exact(a[0], a[1])))
}
fn lt(_: &mut Process, a: &[Term]) -> BifResult {
    Ok(boolean(compare::cmp(a[0], a[1]) == Ordering::Less))
}
fn gt(_: &mut Process, a: &[Term]) -> BifResult {
    Ok(boolean(compare::cmp(a[0], a[1]) == Ordering::Greater))
}
fn le(_: &mut Process, a: &[Term]) -> BifResult {
    Ok(boolean(compare::cmp(a[0], a[1]) != Ordering::Greater))
}
fn ge(_: &mut Process, a: &[Term]) -> BifResult {
    Ok(boolean(compare::cmp(a[0], a[1]) != Ordering::Less))
}
/// `min/2`: the first when equal, as OTP.
fn min(_: &mut Process, a: &[Term]) -> BifResult {
    Ok(if compare::cmp(a[1], a[0]) == Ordering::Less {
        a[1]
    } else {
        a[0]
    })
}
/// `max/2`: the first when equal, as OTP.
fn max(_: &mut Process, a: &[Term]) -> BifResult {
    Ok(if compare::cmp(a[1], a[0]) == Ordering::Greater {
        a[1]
    } else {
        a[0]
    })
}

fn bool_arg(t: Term) -> Result<bool, BifError> {
    match t.as_atom() {
        Some(Atom::TRUE) => Ok(true),
        Some(Atom::FALSE) => Ok(false),
        _ => Err(BifError::BADARG),
    }
}
fn and(_: &mut Process, a: &[Term]) -> BifResult {
    let (x, y) = (bool_arg(a[0])?, bool_arg(a[1])?);
    Ok(boolean(x && y))
}
fn or(_: &mut Process, a: &[Term]) -> BifResult {
    let (x, y) = (bool_arg(a[0])?, bool_arg(a[1])?);
    Ok(boolean(x || y))
}
fn xor(_: &mut Process, a: &[Term]) -> BifResult {
    let (x, y) = (bool_arg(a[0])?, bool_arg(a[1])?);
    Ok(boolean(x != y))
}
fn not(_: &mut Process, a: &[Term]) -> BifResult {
    Ok(boolean(!bool_arg(a[0])?))
}

//! Type-test BIFs (`is_atom/1`...), callable as functions as well as in guards.

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;
use crate::util::boolean;

pub const BIFS: &[Entry] = &[
    ("erlang", "is_atom", 1, |_, a| Ok(boolean(a[0].is_atom()))),
    ("erlang", "is_integer", 1, |_, a| {
        Ok(boolean(obj::is_integer(a[0])))
    }),
    ("erlang", "is_float", 1, |_, a| {
        Ok(boolean(obj::is_float(a[0])))
    }),
    ("erlang", "is_number", 1, |_, a| {
        Ok(boolean(obj::is_number(a[0])))
    }),
    ("erlang", "is_list", 1, |_, a| {
        Ok(boolean(a[0].is_list() || a[0].is_nil()))
    }),
    ("erlang", "is_tuple", 1, |_, a| {
        Ok(boolean(obj::is_tuple(a[0])))
    }),
    ("erlang", "is_binary", 1, |_, a| {
        Ok(boolean(obj::is_binary(a[0])))
    }),
    ("erlang", "is_bitstring", 1, |_, a| {
        Ok(boolean(obj::is_bitstring(a[0])))
    }),
    ("erlang", "is_pid", 1, |_, a| Ok(boolean(obj::is_pid(a[0])))),
    ("erlang", "is_port", 1, |_, a| {
        Ok(boolean(obj::is_port(a[0])))
    }),
    ("erlang", "is_reference", 1, |_, a| {
        Ok(boolean(obj::is_ref(a[0])))
    }),
    ("erlang", "is_map", 1, |_, a| Ok(boolean(obj::is_map(a[0])))),
    ("erlang", "is_boolean", 1, |_, a| {
        Ok(boolean(matches!(
            a[0].as_atom(),
            Some(Atom::TRUE | Atom::FALSE)
        )))
    }),
    ("erlang", "is_function", 1, |_, a| {
        Ok(boolean(obj::is_function(a[0])))
    }),
    ("erlang", "is_function", 2, is_function2),
    ("erlang", "is_record", 2, is_record2),
    ("erlang", "is_record", 3, is_record3),
];

fn is_function2(_: &mut Process, a: &[Term]) -> BifResult {
    let arity = a[1]
        .as_small()
        .filter(|n| *n >= 0)
        .ok_or(BifError::BADARG)?;
    Ok(boolean(
        girder_runtime::interp::fun_arity(a[0]).is_some_and(|n| i64::from(n) == arity),
    ))
}

fn is_record2(_: &mut Process, a: &[Term]) -> BifResult {
    if !a[1].is_atom() {
        return Err(BifError::BADARG);
    }
    let t = a[0];
    Ok(boolean(
        obj::is_tuple(t) && obj::tuple_arity(t) > 0 && obj::tuple_element(t, 0) == a[1],
    ))
}

fn is_record3(_: &mut Process, a: &[Term]) -> BifResult {
    let size = a[2].as_small().ok_or(BifError::BADARG)?;
    if !a[1].is_atom() {
        return Err(BifError::BADARG);
    }
    let t = a[0];
    Ok(boolean(
        obj::is_tuple(t)
            && obj::tuple_arity(t) as i64 == size
            && size > 0
            && obj::tuple_element(t, 0) == a[1],
    ))
}

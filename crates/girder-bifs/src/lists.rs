//! List BIFs, including the `lists` functions ERTS implements natively.

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::object as obj;
use girder_term::{Atom, Term, compare};

use crate::Entry;
use crate::util::{charlist, integer_text, list_arg, parse_integer, radix, string_arg};

pub const BIFS: &[Entry] = &[
    ("erlang", "length", 1, length),
    ("erlang", "hd", 1, hd),
    ("erlang", "tl", 1, tl),
    ("erlang", "++", 2, append),
    ("erlang", "--", 2, subtract),
    ("erlang", "append", 2, append),
    ("erlang", "subtract", 2, subtract),
    ("erlang", "atom_to_list", 1, atom_to_list),
    ("erlang", "list_to_atom", 1, list_to_atom),
    ("erlang", "list_to_existing_atom", 1, list_to_existing_atom),
    ("erlang", "integer_to_list", 1, integer_to_list),
    ("erlang", "list_to_integer", 1, list_to_integer),
    ("erlang", "integer_to_list", 2, integer_to_list2),
    ("erlang", "list_to_integer", 2, list_to_integer2),
    ("lists", "reverse", 2, reverse),
    ("lists", "member", 2, member),
    ("lists", "keyfind", 3, keyfind),
    ("lists", "keymember", 3, keymember),
    ("lists", "keysearch", 3, keysearch),
];

fn length(_: &mut Process, a: &[Term]) -> BifResult {
    obj::list_length(a[0])
        .map(|n| Term::small(n as i64))
        .ok_or(BifError::BADARG)
}

fn hd(_: &mut Process, a: &[Term]) -> BifResult {
    if a[0].is_list() {
        Ok(obj::head(a[0]))
    } else {
        Err(BifError::BADARG)
    }
}

fn tl(_: &mut Process, a: &[Term]) -> BifResult {
    if a[0].is_list() {
        Ok(obj::tail(a[0]))
    } else {
        Err(BifError::BADARG)
    }
}

fn append(p: &mut Process, a: &[Term]) -> BifResult {
    obj::list::append_onto(&mut p.heap, a[0], a[1]).ok_or(BifError::BADARG)
}

fn subtract(p: &mut Process, a: &[Term]) -> BifResult {
    let mut items = list_arg(a[0])?;
    for r in list_arg(a[1])? {
        if let Some(i) = items.iter().position(|x| compare::eq_exact(*x, r)) {
            items.remove(i);
        }
    }
    Ok(obj::list_from_slice(&mut p.heap, &items, Term::NIL))
}

fn atom_to_list(p: &mut Process, a: &[Term]) -> BifResult {
    let atom = a[0].as_atom().ok_or(BifError::BADARG)?;
    Ok(charlist(p, atom.name()))
}

fn list_to_atom(_: &mut Process, a: &[Term]) -> BifResult {
    let s = string_arg(a[0])?;
    if s.chars().count() > girder_term::atom::MAX_ATOM_CHARS {
        return Err(BifError::SYSTEM_LIMIT);
    }
    Atom::try_intern(&s)
        .map(Term::atom)
        .ok_or(BifError::SYSTEM_LIMIT)
}

fn list_to_existing_atom(_: &mut Process, a: &[Term]) -> BifResult {
    let s = string_arg(a[0])?;
    Atom::existing(&s).map(Term::atom).ok_or(BifError::BADARG)
}

fn integer_to_list(p: &mut Process, a: &[Term]) -> BifResult {
    if !obj::is_integer(a[0]) {
        return Err(BifError::BADARG);
    }
    let s = obj::big_value(a[0]).to_string();
    Ok(charlist(p, &s))
}

fn list_to_integer(p: &mut Process, a: &[Term]) -> BifResult {
    let s = string_arg(a[0])?;
    parse_integer(p, &s, 10)
}

/// `integer_to_list(N, Base)`.
fn integer_to_list2(p: &mut Process, a: &[Term]) -> BifResult {
    let s = integer_text(a[0], radix(a[1])?)?;
    Ok(charlist(p, &s))
}

/// `list_to_integer(String, Base)`.
fn list_to_integer2(p: &mut Process, a: &[Term]) -> BifResult {
    let base = radix(a[1])?;
    let s = string_arg(a[0])?;
    parse_integer(p, &s, base)
}

fn reverse(p: &mut Process, a: &[Term]) -> BifResult {
    obj::reverse_onto(&mut p.heap, a[0], a[1]).ok_or(BifError::BADARG)
}

/// Whether `pred` holds for an element of `list`, checked in order: the first that does
/// answers, even in an improper list; reaching an improper tail first is `badarg` (as erts'
/// `lists:member/2` and `keyfind/3` do).
fn any_element(list: Term, mut pred: impl FnMut(Term) -> bool) -> Result<Option<Term>, BifError> {
    let mut it = obj::list_iter(list);
    for t in it.by_ref() {
        if pred(t) {
            return Ok(Some(t));
        }
    }
    if it.is_proper() {
        Ok(None)
    } else {
        Err(BifError::BADARG)
    }
}

fn member(_: &mut Process, a: &[Term]) -> BifResult {
    let found = any_element(a[1], |x| compare::eq_exact(x, a[0]))?;
    Ok(Term::boolean(found.is_some()))
}

/// The first tuple in `list` whose element `n` (1-based) equals `key`.
fn find_key(key: Term, n: Term, list: Term) -> Result<Option<Term>, BifError> {
    let n = n.as_small().filter(|n| *n >= 1).ok_or(BifError::BADARG)? as usize;
    any_element(list, |t| {
        obj::is_tuple(t)
            && obj::tuple_arity(t) >= n
            && compare::eq(obj::tuple_element(t, n - 1), key)
    })
}

fn keyfind(_: &mut Process, a: &[Term]) -> BifResult {
    Ok(find_key(a[0], a[1], a[2])?.unwrap_or(Term::boolean(false)))
}

fn keymember(_: &mut Process, a: &[Term]) -> BifResult {
    Ok(Term::boolean(find_key(a[0], a[1], a[2])?.is_some()))
}

fn keysearch(p: &mut Process, a: &[Term]) -> BifResult {
    Ok(match find_key(a[0], a[1], a[2])? {
        Some(t) => obj::tuple(&mut p.heap, &[Term::atom(Atom::intern("value")), t]),
        None => Term::boolean(false),
    })
}

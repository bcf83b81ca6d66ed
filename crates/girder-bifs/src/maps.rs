//! Map BIFs: `map_size/1`, `is_map_key/2`, `map_get/2` and the `maps` functions ERTS
//! implements natively, with OTP's `{badmap, M}` and `{badkey, K}` errors.

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;
use crate::util::list_arg;

pub const BIFS: &[Entry] = &[
    ("erlang", "map_size", 1, map_size),
    ("erlang", "is_map_key", 2, is_key),
    ("erlang", "map_get", 2, get),
    ("maps", "get", 2, get),
    ("maps", "find", 2, find),
    ("maps", "is_key", 2, is_key),
    ("maps", "put", 3, put),
    ("maps", "update", 3, update),
    ("maps", "remove", 2, remove),
    ("maps", "take", 2, take),
    ("maps", "keys", 1, keys),
    ("maps", "values", 1, values),
    ("maps", "to_list", 1, to_list),
    ("maps", "from_list", 1, from_list),
    ("maps", "from_keys", 2, from_keys),
    ("maps", "merge", 2, merge),
    ("erts_internal", "map_next", 3, map_next),
];

/// `erts_internal:map_next(Position, Map, Acc)`, which `maps` iterators and
/// `maps:to_list/1` are built on. With `Acc = iterator`: the pair at `Position` in iteration
/// order as `{K, V, [Next | Map]}`, or `none`. With a list: the pairs not yet iterated, in
/// list order (see [`obj::map_pairs`]), in front of it.
///
/// The pairs come in OTP's order, but the iterator terms are girder's: `Position` counts
/// pairs, and one pair comes per call, where OTP 25 encodes a path in the trie and returns
/// up to 32 pairs as nested `{K, V, {K2, V2, ...}}` (which `maps:next/1` unwraps one at a
/// time). Only a program printing or comparing iterators can tell.
fn map_next(p: &mut Process, a: &[Term]) -> BifResult {
    let (pos, m, acc) = (a[0], a[1], a[2]);
    let pos = pos
        .as_small()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or(BifError::BADARG)?;
    if !obj::is_map(m) {
        return Err(BifError::BADARG);
    }
    if acc.as_atom() == Some(Atom::intern("iterator")) {
        return Ok(match obj::map_nth_iter(m, pos) {
            Some((k, v)) => {
                let next = obj::cons(&mut p.heap, Term::small(pos as i64 + 1), m);
                obj::tuple(&mut p.heap, &[k, v, next])
            }
            None => Term::atom(Atom::intern("none")),
        });
    }
    if !acc.is_list() && !acc.is_nil() {
        return Err(BifError::BADARG);
    }
    let all: Vec<(Term, Term)> = obj::map_pairs(m).collect();
    let rest = if obj::is_flatmap(m) {
        all.get(pos..).unwrap_or(&[])
    } else {
        // List order is the reverse of iteration order: the first `pos` iterated are last.
        &all[..all.len().saturating_sub(pos)]
    };
    let mut out = acc;
    for &(k, v) in rest.iter().rev() {
        let t = obj::tuple(&mut p.heap, &[k, v]);
        out = obj::cons(&mut p.heap, t, out);
    }
    Ok(out)
}

/// The pairs of a map, or `{badmap, M}`.
fn pairs(p: &mut Process, m: Term) -> Result<Vec<(Term, Term)>, BifError> {
    if obj::is_map(m) {
        Ok(obj::map_pairs(m).collect())
    } else {
        Err(badmap(p, m))
    }
}

fn map_size(p: &mut Process, a: &[Term]) -> BifResult {
    if obj::is_map(a[0]) {
        Ok(Term::small(obj::map_size(a[0]) as i64))
    } else {
        Err(badmap(p, a[0]))
    }
}

fn badmap(p: &mut Process, m: Term) -> BifError {
    BifError::Fail(obj::tuple(&mut p.heap, &[Term::atom(Atom::BADMAP), m]))
}

fn badkey(p: &mut Process, k: Term) -> BifError {
    BifError::Fail(obj::tuple(&mut p.heap, &[Term::atom(Atom::BADKEY), k]))
}

fn lookup(p: &mut Process, m: Term, k: Term) -> Result<Option<Term>, BifError> {
    if obj::is_map(m) {
        Ok(obj::map_get(m, k))
    } else {
        Err(badmap(p, m))
    }
}

fn is_key(p: &mut Process, a: &[Term]) -> BifResult {
    Ok(Term::boolean(lookup(p, a[1], a[0])?.is_some()))
}

fn get(p: &mut Process, a: &[Term]) -> BifResult {
    match lookup(p, a[1], a[0])? {
        Some(v) => Ok(v),
        None => Err(badkey(p, a[0])),
    }
}

fn find(p: &mut Process, a: &[Term]) -> BifResult {
    Ok(match lookup(p, a[1], a[0])? {
        Some(v) => obj::tuple(&mut p.heap, &[Term::atom(Atom::OK), v]),
        None => Term::atom(Atom::intern("error")),
    })
}

fn build(p: &mut Process, mut pairs: Vec<(Term, Term)>) -> Term {
    obj::map_from_pairs(&mut p.heap, &mut pairs)
}

fn map_arg(p: &mut Process, m: Term) -> Result<Term, BifError> {
    if obj::is_map(m) {
        Ok(m)
    } else {
        Err(badmap(p, m))
    }
}

fn put(p: &mut Process, a: &[Term]) -> BifResult {
    let m = map_arg(p, a[2])?;
    Ok(obj::map_put(&mut p.heap, m, a[0], a[1]))
}

fn update(p: &mut Process, a: &[Term]) -> BifResult {
    if lookup(p, a[2], a[0])?.is_none() {
        return Err(badkey(p, a[0]));
    }
    put(p, a)
}

fn remove(p: &mut Process, a: &[Term]) -> BifResult {
    let m = map_arg(p, a[1])?;
    Ok(obj::map_remove(&mut p.heap, m, a[0]))
}

fn take(p: &mut Process, a: &[Term]) -> BifResult {
    let Some(v) = lookup(p, a[1], a[0])? else {
        return Ok(Term::atom(Atom::intern("error")));
    };
    let rest = obj::map_remove(&mut p.heap, a[1], a[0]);
    Ok(obj::tuple(&mut p.heap, &[v, rest]))
}

fn keys(p: &mut Process, a: &[Term]) -> BifResult {
    let ks: Vec<Term> = pairs(p, a[0])?.into_iter().map(|(k, _)| k).collect();
    Ok(obj::list_from_slice(&mut p.heap, &ks, Term::NIL))
}

fn values(p: &mut Process, a: &[Term]) -> BifResult {
    let vs: Vec<Term> = pairs(p, a[0])?.into_iter().map(|(_, v)| v).collect();
    Ok(obj::list_from_slice(&mut p.heap, &vs, Term::NIL))
}

fn to_list(p: &mut Process, a: &[Term]) -> BifResult {
    let all = pairs(p, a[0])?;
    let tuples: Vec<Term> = all
        .into_iter()
        .map(|(k, v)| obj::tuple(&mut p.heap, &[k, v]))
        .collect();
    Ok(obj::list_from_slice(&mut p.heap, &tuples, Term::NIL))
}

fn from_list(p: &mut Process, a: &[Term]) -> BifResult {
    let mut all = Vec::new();
    for t in list_arg(a[0])? {
        if !obj::is_tuple(t) || obj::tuple_arity(t) != 2 {
            return Err(BifError::BADARG);
        }
        all.push((obj::tuple_element(t, 0), obj::tuple_element(t, 1)));
    }
    Ok(build(p, all))
}

fn from_keys(p: &mut Process, a: &[Term]) -> BifResult {
    let all = list_arg(a[0])?.into_iter().map(|k| (k, a[1])).collect();
    Ok(build(p, all))
}

fn merge(p: &mut Process, a: &[Term]) -> BifResult {
    let (m1, m2) = (map_arg(p, a[0])?, map_arg(p, a[1])?);
    if obj::is_flatmap(m1) && obj::is_flatmap(m2) {
        let mut all: Vec<(Term, Term)> = obj::map_pairs(m1).collect();
        all.extend(obj::map_pairs(m2));
        return Ok(build(p, all));
    }
    // Put the smaller map's pairs into the larger; the second map's values win.
    let mut out;
    if obj::map_size(m1) <= obj::map_size(m2) {
        let pairs: Vec<(Term, Term)> = obj::map_pairs(m1).collect();
        out = m2;
        for (k, v) in pairs {
            if obj::map_get(out, k).is_none() {
                out = obj::map_put(&mut p.heap, out, k, v);
            }
        }
    } else {
        let pairs: Vec<(Term, Term)> = obj::map_pairs(m2).collect();
        out = m1;
        for (k, v) in pairs {
            out = obj::map_put(&mut p.heap, out, k, v);
        }
    }
    Ok(out)
}

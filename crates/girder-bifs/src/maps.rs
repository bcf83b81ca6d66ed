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
    ("maps", "from_list", 1, from_list),
    ("maps", "from_keys", 2, from_keys),
    ("maps", "merge", 2, merge),
    ("erts_internal", "map_next", 3, map_next),
];

/// `erts_internal:map_next(Path, Map, Acc)`, which `maps` iterators and `maps:to_list/1`
/// are built on, as OTP 25 implements it. A flat map gives all its pairs at once (`Path`
/// must be a small no larger than its size, and is otherwise ignored). A trie gives a batch
/// from the leaf `Path` leads to (4 bits per level, the root's first: see
/// [`obj::trie_iter_batch`]): at most a quarter of the reductions left (at least 1), and at
/// most 32 when `Path` is 0, each costing 4 reductions. With `Acc = iterator` the batch is
/// `{K1, V1, {K2, V2, ... Next}}` in iteration order, `Next` being `none` or
/// `[NextPath | Map]`; with a list, the batch's pairs are consed onto it (a trie's in
/// iteration order, a flat map's so that they read in key order), under
/// `[NextPath, Map | ...]` when pairs remain.
fn map_next(p: &mut Process, a: &[Term]) -> BifResult {
    let (path, m, acc) = (a[0], a[1], a[2]);
    if !obj::is_map(m) {
        return Err(BifError::BADARG);
    }
    let iterator = acc.as_atom() == Some(Atom::intern("iterator"));
    if !iterator && !acc.is_list() && !acc.is_nil() {
        return Err(BifError::BADARG);
    }
    let (batch, next) = if obj::is_flatmap(m) {
        match path.as_small() {
            Some(n) if (0..=obj::map_size(m) as i64).contains(&n) => {}
            _ => return Err(BifError::BADARG),
        }
        (obj::map_pairs(m).collect::<Vec<_>>(), None)
    } else {
        let nibbles = path_nibbles(path).ok_or(BifError::BADARG)?;
        let mut max = usize::try_from(p.reductions / 4).unwrap_or(0).max(1);
        if path.as_small() == Some(0) {
            max = max.min(obj::FLAT_MAX);
        }
        let b = obj::trie_iter_batch(m, &nibbles, max).ok_or(BifError::BADARG)?;
        p.reductions -= 4 * b.pairs.len() as i64;
        (b.pairs, b.next)
    };
    let next = next.map(|n| path_integer(p, &n));
    if iterator {
        let mut out = match next {
            Some(path) => obj::cons(&mut p.heap, path, m),
            None => Term::atom(Atom::intern("none")),
        };
        for &(k, v) in batch.iter().rev() {
            out = obj::tuple(&mut p.heap, &[k, v, out]);
        }
        return Ok(out);
    }
    // A flat map's pairs go in front in key order; a trie's batch is consed in iteration
    // order (so `maps:to_list/1`, consing batch after batch, reverses it).
    let mut out = acc;
    let flat = obj::is_flatmap(m);
    for i in 0..batch.len() {
        let (k, v) = batch[if flat { batch.len() - 1 - i } else { i }];
        let t = obj::tuple(&mut p.heap, &[k, v]);
        out = obj::cons(&mut p.heap, t, out);
    }
    if let Some(path) = next {
        out = obj::cons(&mut p.heap, m, out);
        out = obj::cons(&mut p.heap, path, out);
    }
    Ok(out)
}

/// The 4-bit path elements of a non-negative integer, least significant first.
fn path_nibbles(t: Term) -> Option<Vec<u8>> {
    let limbs: Vec<u64> = if let Some(n) = t.as_small() {
        vec![u64::try_from(n).ok()?]
    } else if obj::is_big(t) && !obj::big_is_negative(t) {
        obj::big_limbs(t).to_vec()
    } else {
        return None;
    };
    let mut out: Vec<u8> = limbs
        .iter()
        .flat_map(|l| (0..16).map(move |i| ((l >> (4 * i)) & 0xf) as u8))
        .collect();
    while out.last() == Some(&0) {
        out.pop();
    }
    Some(out)
}

/// The integer whose 4-bit elements, least significant first, are `nibbles`.
fn path_integer(p: &mut Process, nibbles: &[u8]) -> Term {
    let limbs: Vec<u64> = nibbles
        .chunks(16)
        .map(|c| {
            c.iter()
                .enumerate()
                .fold(0u64, |acc, (i, &n)| acc | (u64::from(n) << (4 * i)))
        })
        .collect();
    obj::integer_from_limbs(&mut p.heap, false, &limbs)
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

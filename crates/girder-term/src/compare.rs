//! Erlang's term order and equality.
//!
//! ```text
//! number < atom < reference < fun < port < pid < tuple < map < [] < list < bitstring
//! ```
//!
//! - Numbers compare by value, exactly: an integer and a float are compared as the exact
//!   mathematical values (no rounding of either side), so `9007199254740993 > 9.007199254740992e15`.
//!   `==` ([`eq`]) holds between `1` and `1.0`; `=:=` ([`eq_exact`]) does not. As in OTP 25,
//!   `0.0 =:= -0.0`.
//! - Atoms by their names' text; tuples by arity, then element by element; lists element by
//!   element, then by their tails (`[1|2] < [1|a]`); bitstrings bit by bit, then the shorter
//!   first.
//! - Maps by size, then by their keys in map-key order, then by their values in key order.
//!   Keys are always compared *exactly* ([`cmp_exact`]), values with the outer comparison's
//!   exactness, so `#{a => 1} == #{a => 1.0}` but `#{1 => a} /= #{1.0 => a}`.
//! - Local funs (ordered by module, old index, old uniq, free count, free variables) sort
//!   before external funs (ordered by module, function, arity).
//! - Pids, ports and references by node name, creation, then their numbers (pids: serial,
//!   then id; references: most significant id first).
//!
//! [`cmp_exact`] is the total order consistent with `=:=` that map keys are sorted by: term
//! order, except that every integer sorts before every float (`maps:keys(#{1.0 => a, 2 => b})`
//! is `[2, 1.0]`).
//!
//! Nothing here recurses: pending pairs go on an explicit stack, so a million-element list or
//! a deeply nested tuple compares fine.

use std::cmp::Ordering;

use num_bigint::BigInt;
use num_traits::FromPrimitive;

use crate::header::subtag;
use crate::object::{self, IdentIds, bits};
use crate::word::Term;

/// Term order (`<`, `>`, `==` of Erlang).
pub fn cmp(a: Term, b: Term) -> Ordering {
    compare(a, b, false)
}

/// Map-key order: term order, but consistent with `=:=` (integers before floats).
pub fn cmp_exact(a: Term, b: Term) -> Ordering {
    compare(a, b, true)
}

/// `a == b`.
pub fn eq(a: Term, b: Term) -> bool {
    // Two different immediates are never equal (a small never equals another small or a
    // bignum, only possibly a float, which is boxed).
    a == b || (!(a.is_immediate() && b.is_immediate()) && compare(a, b, false).is_eq())
}

/// `a =:= b`.
pub fn eq_exact(a: Term, b: Term) -> bool {
    // An immediate is exactly equal only to the same word.
    a == b || (!a.is_immediate() && !b.is_immediate() && compare(a, b, true).is_eq())
}

const NUMBER: u8 = 0;
const ATOM: u8 = 1;
const REF: u8 = 2;
const FUN: u8 = 3;
const PORT: u8 = 4;
const PID: u8 = 5;
const TUPLE: u8 = 6;
const MAP: u8 = 7;
const NIL: u8 = 8;
const LIST: u8 = 9;
const BITS: u8 = 10;

/// The type class of a term, in term order.
fn class(t: Term) -> u8 {
    if t.is_small() {
        NUMBER
    } else if t.is_atom() {
        ATOM
    } else if t.is_nil() {
        NIL
    } else if t.is_list() {
        LIST
    } else if t.is_local_pid() {
        PID
    } else if t.is_local_port() {
        PORT
    } else if t.is_boxed() {
        match crate::header::header_of(t).header_subtag() {
            subtag::TUPLE => TUPLE,
            subtag::POS_BIG | subtag::NEG_BIG | subtag::FLOAT => NUMBER,
            subtag::REF | subtag::EXTERNAL_REF => REF,
            subtag::FUN | subtag::EXPORT => FUN,
            subtag::EXTERNAL_PORT => PORT,
            subtag::EXTERNAL_PID => PID,
            subtag::MAP => MAP,
            subtag::HEAP_BIN | subtag::REFC_BIN | subtag::SUB_BIN => BITS,
            st => panic!("comparing a non-term object (subtag {st})"),
        }
    } else {
        panic!("comparing a non-term word {t:?}")
    }
}

/// Compares `a` and `b`; pairs still to compare wait on a stack, innermost last.
fn compare(a: Term, b: Term, exact: bool) -> Ordering {
    // Two atoms (map keys, mostly): their names, without the class dispatch.
    if let (Some(x), Some(y)) = (a.as_atom(), b.as_atom()) {
        return if x == y {
            Ordering::Equal
        } else {
            x.name().as_bytes().cmp(y.name().as_bytes())
        };
    }
    let mut stack: Vec<(Term, Term, bool)> = Vec::new();
    let mut pair = (a, b, exact);
    loop {
        let ord = step(pair.0, pair.1, pair.2, &mut stack);
        if ord.is_ne() {
            return ord;
        }
        match stack.pop() {
            Some(next) => pair = next,
            None => return Ordering::Equal,
        }
    }
}

/// Compares what can be compared at once; pushes the parts of compound terms that are left
/// (in reverse, so they pop in order).
fn step(a: Term, b: Term, exact: bool, stack: &mut Vec<(Term, Term, bool)>) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let ca = class(a);
    let cb = class(b);
    if ca != cb {
        return ca.cmp(&cb);
    }
    match ca {
        NUMBER => cmp_numbers(a, b, exact),
        ATOM => {
            let (x, y) = (a.as_atom().expect("atom"), b.as_atom().expect("atom"));
            x.name().cmp(y.name())
        }
        REF | PORT | PID => cmp_idents(a, b),
        FUN => cmp_funs(a, b, exact, stack),
        TUPLE => {
            let (x, y) = (object::tuple_elements(a), object::tuple_elements(b));
            if x == y {
                // The same words: equal however they compare (map keys found by hash).
                return Ordering::Equal;
            }
            x.len().cmp(&y.len()).then_with(|| {
                stack.extend(x.iter().zip(y).rev().map(|(p, q)| (*p, *q, exact)));
                Ordering::Equal
            })
        }
        MAP => object::map_size(a).cmp(&object::map_size(b)).then_with(|| {
            if object::is_flatmap(a) && object::is_flatmap(b) {
                let (va, vb) = (object::map_values(a), object::map_values(b));
                stack.extend(va.iter().zip(vb).rev().map(|(p, q)| (*p, *q, exact)));
                stack.push((object::map_keys_tuple(a), object::map_keys_tuple(b), true));
            } else {
                // Keys in key order first (exactly), then values: whatever the layouts.
                let (pa, pb) = (object::map_sorted_pairs(a), object::map_sorted_pairs(b));
                stack.extend(pa.iter().zip(&pb).rev().map(|(p, q)| (p.1, q.1, exact)));
                stack.extend(pa.iter().zip(&pb).rev().map(|(p, q)| (p.0, q.0, true)));
            }
            Ordering::Equal
        }),
        LIST => {
            stack.push((object::tail(a), object::tail(b), exact));
            stack.push((object::head(a), object::head(b), exact));
            Ordering::Equal
        }
        BITS => bits(a).compare(&bits(b)),
        _ => Ordering::Equal, // NIL: both are `[]`, caught by `a == b`
    }
}

fn cmp_numbers(a: Term, b: Term, exact: bool) -> Ordering {
    match (object::is_float(a), object::is_float(b)) {
        (false, false) => cmp_integers(a, b),
        (true, true) => {
            let (x, y) = (object::float_value(a), object::float_value(b));
            x.partial_cmp(&y).expect("floats are finite")
        }
        // In map-key order every integer comes before every float.
        (false, true) if exact => Ordering::Less,
        (true, false) if exact => Ordering::Greater,
        (false, true) => cmp_integer_float(a, object::float_value(b)),
        (true, false) => cmp_integer_float(b, object::float_value(a)).reverse(),
    }
}

/// Compares two integers (small or big) without allocating.
pub fn cmp_integers(a: Term, b: Term) -> Ordering {
    match (a.as_small(), b.as_small()) {
        (Some(x), Some(y)) => x.cmp(&y),
        // A bignum lies outside the small range: its sign decides.
        (Some(_), None) => {
            if object::big_is_negative(b) {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (None, Some(_)) => {
            if object::big_is_negative(a) {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (None, None) => {
            let (na, nb) = (object::big_is_negative(a), object::big_is_negative(b));
            if na != nb {
                return if na {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
            }
            let (la, lb) = (object::big_limbs(a), object::big_limbs(b));
            let magnitude = la
                .len()
                .cmp(&lb.len())
                .then_with(|| la.iter().rev().cmp(lb.iter().rev()));
            if na { magnitude.reverse() } else { magnitude }
        }
    }
}

/// 2^63 as a float.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// Compares the integer `i` with the float `f` exactly.
fn cmp_integer_float(i: Term, f: f64) -> Ordering {
    let whole = f.trunc();
    let fraction = f - whole; // exact
    let by_whole = match i.as_small() {
        // |whole| < 2^63 converts to i64 exactly; beyond that it exceeds every small.
        Some(n) if whole.abs() < TWO_POW_63 => n.cmp(&(whole as i64)),
        Some(_) => 0.0f64.partial_cmp(&whole).expect("finite"),
        None => {
            let w = BigInt::from_f64(whole).expect("finite float");
            object::big_value(i).cmp(&w)
        }
    };
    // Equal whole parts: the float's fraction decides.
    by_whole.then_with(|| 0.0f64.partial_cmp(&fraction).expect("finite"))
}

fn cmp_idents(a: Term, b: Term) -> Ordering {
    let (x, y) = (
        object::ident(a).expect("identifier"),
        object::ident(b).expect("identifier"),
    );
    let node = x
        .node
        .name()
        .cmp(y.node.name())
        .then(x.creation.cmp(&y.creation));
    // Pids compare by serial and number before their node (as erts, which compares a
    // pid's data word first); ports and references by their node first.
    if let (IdentIds::Pid { id: i, serial: s }, IdentIds::Pid { id: j, serial: t }) = (x.ids, y.ids)
    {
        return (s, i).cmp(&(t, j)).then(node);
    }
    node.then_with(|| match (x.ids, y.ids) {
        (IdentIds::Port(i), IdentIds::Port(j)) => i.cmp(&j),
        (IdentIds::Ref(r), IdentIds::Ref(s)) => (0..object::MAX_REF_IDS)
            .rev()
            .map(|k| r.get(k).cmp(&s.get(k)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal),
        _ => unreachable!("same class, same kind"),
    })
}

fn cmp_funs(a: Term, b: Term, exact: bool, stack: &mut Vec<(Term, Term, bool)>) -> Ordering {
    match (object::is_export(a), object::is_export(b)) {
        (false, true) => Ordering::Less,
        (true, false) => Ordering::Greater,
        (true, true) => {
            let (x, y) = (object::export_identity(a), object::export_identity(b));
            x.module
                .name()
                .cmp(y.module.name())
                .then_with(|| x.function.name().cmp(y.function.name()))
                .then(x.arity.cmp(&y.arity))
        }
        (false, false) => {
            let (x, y) = (object::fun_identity(a), object::fun_identity(b));
            let (fa, fb) = (object::fun_free(a), object::fun_free(b));
            x.module
                .name()
                .cmp(y.module.name())
                .then(x.old_index.cmp(&y.old_index))
                .then(x.old_uniq.cmp(&y.old_uniq))
                .then(fa.len().cmp(&fb.len()))
                .then_with(|| {
                    stack.extend(fa.iter().zip(fb).rev().map(|(p, q)| (*p, *q, exact)));
                    Ordering::Equal
                })
        }
    }
}

#[cfg(test)]
mod tests;

//! The object BIFs: insert, lookup, delete, counters, traversal.

use std::ops::Bound;

use girder_runtime::Process;
use girder_runtime::bif::BifResult;
use girder_term::object as obj;
use girder_term::{Atom, Term, compare};
use num_bigint::BigInt;

use super::object::Owned;
use super::table::{Cause, Kind, Need, Table, registry};
use super::{EtsResult, bif};
use crate::util::{Num, num};

fn objects_arg(table: &Table, t: Term) -> EtsResult<Vec<Term>> {
    let objs = if obj::is_tuple(t) {
        vec![t]
    } else {
        obj::list_to_vec(t).ok_or(Cause::None)?
    };
    if objs.iter().all(|&o| table.key_of(o).is_some()) {
        Ok(objs)
    } else {
        Err(Cause::None)
    }
}

fn insert_all(table: &mut Table, mut objs: Vec<Term>) {
    // OTP inserts a list into a bag last element first.
    if table.kind == Kind::Bag {
        objs.reverse();
    }
    for o in objs {
        table.insert(o);
    }
}

pub fn insert(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let mut reg = registry();
        let table = reg.table(a[0], p.id, Need::Write)?;
        let objs = objects_arg(table, a[1])?;
        insert_all(table, objs);
        Ok(Term::atom(Atom::TRUE))
    })())
}

pub fn insert_new(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let mut reg = registry();
        let table = reg.table(a[0], p.id, Need::Write)?;
        let objs = objects_arg(table, a[1])?;
        let exists = objs
            .iter()
            .any(|&o| table.get(table.key_of(o).expect("checked")).is_some());
        if exists {
            return Ok(Term::atom(Atom::FALSE));
        }
        insert_all(table, objs);
        Ok(Term::atom(Atom::TRUE))
    })())
}

/// The objects as a list on `p`'s heap.
fn object_list(p: &mut Process, objs: &[Owned]) -> Term {
    let copies: Vec<Term> = objs.iter().map(|o| o.copy_to(&mut p.heap)).collect();
    obj::list_from_slice(&mut p.heap, &copies, Term::NIL)
}

pub fn lookup(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let mut reg = registry();
        let table = reg.table(a[0], p.id, Need::Read)?;
        Ok(match table.get(a[1]) {
            Some(objs) => object_list(p, objs),
            None => Term::NIL,
        })
    })())
}

pub fn lookup_element(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let mut reg = registry();
        let table = reg.table(a[0], p.id, Need::Read)?;
        let pos = match a[2].as_small() {
            Some(n) if n >= 1 => n as usize,
            _ => return Err(Cause::None),
        };
        let objs = table.get(a[1]).ok_or(Cause::BadKey)?;
        if objs.iter().any(|o| obj::tuple_arity(o.term()) < pos) {
            return Err(Cause::None);
        }
        let mut elements: Vec<Term> = objs
            .iter()
            .map(|o| {
                girder_term::copy::copy_term(obj::tuple_element(o.term(), pos - 1), &mut p.heap)
            })
            .collect();
        Ok(if table.kind.unique() {
            elements.pop().expect("one object")
        } else {
            obj::list_from_slice(&mut p.heap, &elements, Term::NIL)
        })
    })())
}

pub fn member(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let mut reg = registry();
        let table = reg.table(a[0], p.id, Need::Read)?;
        Ok(Term::boolean(table.get(a[1]).is_some()))
    })())
}

pub fn delete2(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let mut reg = registry();
        let table = reg.table(a[0], p.id, Need::Write)?;
        table.remove_key(a[1]);
        Ok(Term::atom(Atom::TRUE))
    })())
}

pub fn delete_object(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let mut reg = registry();
        let table = reg.table(a[0], p.id, Need::Write)?;
        if table.key_of(a[1]).is_none() {
            return Err(Cause::None);
        }
        table.remove_object(a[1]);
        Ok(Term::atom(Atom::TRUE))
    })())
}

pub fn internal_delete_all(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let mut reg = registry();
        let table = reg.table(a[0], p.id, Need::Write)?;
        Ok(Term::small(table.clear() as i64))
    })())
}

pub fn take(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let mut reg = registry();
        let table = reg.table(a[0], p.id, Need::Write)?;
        Ok(match table.remove_key(a[1]) {
            Some(objs) => object_list(p, &objs),
            None => Term::NIL,
        })
    })())
}

/// One `update_counter` operation.
struct CounterOp {
    pos: Term,
    incr: Term,
    threshold: Option<(Term, Term)>,
}

fn counter_ops(t: Term) -> EtsResult<(Vec<CounterOp>, bool)> {
    let one = |t: Term| -> EtsResult<CounterOp> {
        if obj::is_integer(t) {
            return Ok(CounterOp {
                pos: Term::NIL,
                incr: t,
                threshold: None,
            });
        }
        if !obj::is_tuple(t) {
            return Err(Cause::None);
        }
        let e = obj::tuple_elements(t);
        let all_int = e.iter().all(|&x| obj::is_integer(x));
        match e.len() {
            2 if all_int => Ok(CounterOp {
                pos: e[0],
                incr: e[1],
                threshold: None,
            }),
            4 if all_int => Ok(CounterOp {
                pos: e[0],
                incr: e[1],
                threshold: Some((e[2], e[3])),
            }),
            _ => Err(Cause::None),
        }
    };
    if t.is_list() || t == Term::NIL {
        let items = obj::list_to_vec(t).ok_or(Cause::None)?;
        let ops = items
            .into_iter()
            .map(|i| {
                if obj::is_integer(i) {
                    Err(Cause::None)
                } else {
                    one(i)
                }
            })
            .collect::<EtsResult<_>>()?;
        Ok((ops, true))
    } else {
        Ok((vec![one(t)?], false))
    }
}

fn big(t: Term) -> BigInt {
    match num(t) {
        Some(Num::Small(n)) => BigInt::from(n),
        Some(Num::Big(b)) => b,
        _ => BigInt::from(0),
    }
}

fn update_counter(p: &mut Process, a: &[Term], default: Option<Term>) -> BifResult {
    bif((|| {
        let mut reg = registry();
        let table = reg.table(a[0], p.id, Need::Write)?;
        if !table.kind.unique() {
            return Err(Cause::TableType);
        }
        let (ops, list) = counter_ops(a[2])?;
        let keypos = table.keypos;
        let current: Term = match table.get(a[1]) {
            Some(objs) => objs[0].term(),
            None => {
                let d = default.ok_or(Cause::BadKey)?;
                if table.key_of(d).is_none() {
                    return Err(Cause::None);
                }
                // The default object with its key replaced by Key.
                let mut es = obj::tuple_elements(d).to_vec();
                es[keypos - 1] = a[1];
                obj::tuple(&mut p.heap, &es)
            }
        };
        let mut es = obj::tuple_elements(current).to_vec();
        let mut results = Vec::with_capacity(ops.len());
        for op in &ops {
            let pos = if op.pos == Term::NIL {
                keypos + 1
            } else {
                match op.pos.as_small() {
                    Some(n) if n >= 1 => n as usize,
                    _ => return Err(Cause::Position),
                }
            };
            if pos == keypos {
                return Err(Cause::KeyPos);
            }
            if pos > es.len() {
                return Err(Cause::Position);
            }
            let old = es[pos - 1];
            if !obj::is_integer(old) {
                return Err(Cause::None);
            }
            let incr = big(op.incr);
            let mut new = big(old) + &incr;
            if let Some((thr, set)) = op.threshold {
                let thr = big(thr);
                let over = if incr >= BigInt::from(0) {
                    new > thr
                } else {
                    new < thr
                };
                if over {
                    new = big(set);
                }
            }
            let v = obj::integer_from_big(&mut p.heap, &new);
            es[pos - 1] = v;
            results.push(v);
        }
        let updated = obj::tuple(&mut p.heap, &es);
        table.insert(updated);
        Ok(if list {
            obj::list_from_slice(&mut p.heap, &results, Term::NIL)
        } else {
            results[0]
        })
    })())
}

pub fn update_counter3(p: &mut Process, a: &[Term]) -> BifResult {
    update_counter(p, a, None)
}

pub fn update_counter4(p: &mut Process, a: &[Term]) -> BifResult {
    update_counter(p, a, Some(a[3]))
}

pub fn update_element(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let mut reg = registry();
        let table = reg.table(a[0], p.id, Need::Write)?;
        if !table.kind.unique() {
            // No cause here, unlike update_counter.
            return Err(Cause::None);
        }
        let specs = if obj::is_tuple(a[2]) {
            vec![a[2]]
        } else {
            obj::list_to_vec(a[2]).ok_or(Cause::None)?
        };
        let mut pairs = Vec::with_capacity(specs.len());
        for s in specs {
            if !obj::is_tuple(s) || obj::tuple_arity(s) != 2 {
                return Err(Cause::None);
            }
            let pos = match obj::tuple_element(s, 0).as_small() {
                Some(n) if n >= 1 => n as usize,
                _ => return Err(Cause::None),
            };
            pairs.push((pos, obj::tuple_element(s, 1)));
        }
        let Some(objs) = table.get(a[1]) else {
            return Ok(Term::atom(Atom::FALSE));
        };
        let mut es = obj::tuple_elements(objs[0].term()).to_vec();
        for &(pos, v) in &pairs {
            if pos == table.keypos {
                return Err(Cause::KeyPos);
            }
            if pos > es.len() {
                return Err(Cause::None);
            }
            es[pos - 1] = v;
        }
        let updated = obj::tuple(&mut p.heap, &es);
        table.insert(updated);
        Ok(Term::atom(Atom::TRUE))
    })())
}

/// The key of the first object of an entry, copied to `p`'s heap.
fn key_term(p: &mut Process, table: &Table, objs: &[Owned]) -> Term {
    let key = obj::tuple_element(objs[0].term(), table.keypos - 1);
    girder_term::copy::copy_term(key, &mut p.heap)
}

fn end_of_table() -> Term {
    Term::atom(Atom::intern("$end_of_table"))
}

fn edge(p: &mut Process, a: &[Term], last: bool) -> BifResult {
    bif((|| {
        let mut reg = registry();
        let table = reg.table(a[0], p.id, Need::Read)?;
        let entry = if last && table.kind == Kind::OrderedSet {
            table.objects.iter().next_back()
        } else {
            table.objects.iter().next()
        };
        Ok(match entry {
            Some((_, objs)) => key_term(p, table, objs),
            None => end_of_table(),
        })
    })())
}

pub fn first(p: &mut Process, a: &[Term]) -> BifResult {
    edge(p, a, false)
}

pub fn last(p: &mut Process, a: &[Term]) -> BifResult {
    edge(p, a, true)
}

fn step(p: &mut Process, a: &[Term], back: bool) -> BifResult {
    bif((|| {
        let mut reg = registry();
        let table = reg.table(a[0], p.id, Need::Read)?;
        let ordered = table.kind == Kind::OrderedSet;
        // In hash tables the key must be in the table unless the table is fixed
        // (`safe_fixtable`, as `ets:foldl` does: then a deleted key still has a place
        // in the order). `prev` is `next` there.
        if !ordered && !table.fixed() && table.get(a[1]).is_none() {
            return Err(Cause::None);
        }
        let probe = table.probe(a[1]);
        let entry = if back && ordered {
            table
                .objects
                .range((Bound::Unbounded, Bound::Excluded(probe)))
                .next_back()
        } else {
            table
                .objects
                .range((Bound::Excluded(probe), Bound::Unbounded))
                .next()
        };
        Ok(match entry {
            Some((_, objs)) => key_term(p, table, objs),
            None => end_of_table(),
        })
    })())
}

pub fn next(p: &mut Process, a: &[Term]) -> BifResult {
    step(p, a, false)
}

pub fn prev(p: &mut Process, a: &[Term]) -> BifResult {
    step(p, a, true)
}

pub fn slot(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let mut reg = registry();
        let table = reg.table(a[0], p.id, Need::Read)?;
        let i = match a[1].as_small() {
            Some(n) if n >= 0 => n as usize,
            _ => return Err(Cause::None),
        };
        let n = table.objects.len();
        if i > n {
            return Err(Cause::None);
        }
        Ok(match table.slot(i) {
            Some(objs) => object_list(p, objs),
            None => end_of_table(),
        })
    })())
}

/// Whether two keys are the same key in `table`.
pub fn same_key(table: &Table, a: Term, b: Term) -> bool {
    if table.kind.exact() {
        compare::eq_exact(a, b)
    } else {
        compare::eq(a, b)
    }
}

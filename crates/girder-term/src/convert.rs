//! Converting between heap terms and [`girder_format::Term`], the owned terms of files and
//! the external term format.
//!
//! - [`from_format`] builds a term (for example a module literal in a
//!   [`LiteralArea`](crate::heap::LiteralArea)). Atoms are interned. Pids, ports and
//!   references of `nonode@nohost` with creation 0 become local ones (a pid `<0.N.S>` becomes
//!   the immediate `Term::pid(N | S << 32)`); all others become external objects.
//! - Funs and external funs need the runtime's fun and export entries, which this crate does
//!   not know: [`from_format_with`] asks a [`FunResolver`] for them (the loader resolves
//!   `fun M:F/A` literals to export entries, creating stubs for modules not loaded yet, as OTP
//!   does). [`from_format`] refuses them with [`ConvertError::Unresolved`].
//! - [`to_format`] goes the other way, for printing ([`display`] is `~w`) and for encoding.
//!
//! Both directions use explicit work stacks: no term is too deep. (Dropping a very deep
//! `girder_format::Term` recurses in its `Drop`; [`dispose`] takes one apart without that.)

use std::fmt;

use girder_format::Term as FTerm;
use girder_format::etf::is_local;

use crate::atom::Atom;
use crate::heap::Alloc;
use crate::object::{self, IdentIds, RefIds};
use crate::word::Term;

/// Why a term could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConvertError {
    /// A fun or external fun the resolver did not resolve (named as `~w` prints it).
    Unresolved(String),
    /// The atom table is full.
    SystemLimit,
    /// A reference with no ids or more than five.
    BadReference,
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConvertError::Unresolved(what) => write!(f, "cannot resolve {what} to a runtime fun"),
            ConvertError::SystemLimit => f.write_str("atom table full"),
            ConvertError::BadReference => f.write_str("reference with no ids or more than five"),
        }
    }
}

impl std::error::Error for ConvertError {}

/// Builds `t` in `h`; funs are refused (see [`from_format_with`]).
pub fn from_format(h: &mut impl Alloc, t: &FTerm) -> Result<Term, ConvertError> {
    from_format_with(h, t, &mut NoFuns)
}

enum Build<'a> {
    /// Build `src` and store it at `slot`.
    Term(&'a FTerm, *mut Term),
    /// The keys and values of a map are built (into the scratch buffer, `n` keys then `n`
    /// values): make the map and store it at `slot`.
    Map(*mut [Term], *mut Term),
}

/// Builds `t` in `h`, resolving funs with `funs`.
pub fn from_format_with(
    h: &mut impl Alloc,
    t: &FTerm,
    funs: &mut impl FunResolver,
) -> Result<Term, ConvertError> {
    let mut result = Term::NIL;
    let mut work = vec![Build::Term(t, &raw mut result)];
    let mut outcome = Ok(());
    while let Some(item) = work.pop() {
        match item {
            Build::Term(src, slot) => {
                if let Err(e) = build_one(h, src, slot, funs, &mut work) {
                    outcome = Err(e);
                    break;
                }
            }
            Build::Map(scratch, slot) => {
                // SAFETY: `scratch` came from `Box::into_raw` in `build_one` and is reclaimed
                // exactly once, here; every element has been written by now.
                let buf = unsafe { Box::from_raw(scratch) };
                let n = buf.len() / 2;
                let mut pairs: Vec<(Term, Term)> = (0..n).map(|i| (buf[i], buf[n + i])).collect();
                let m = object::map_from_pairs(h, &mut pairs);
                // SAFETY: slots point at initialised, writable words of objects built here
                // (or at `result`), which nothing else accesses meanwhile.
                unsafe { slot.write(m) };
            }
        }
    }
    // Free the scratch buffers of maps left unfinished by an error.
    for item in work {
        if let Build::Map(scratch, _) = item {
            // SAFETY: as above; not yet reclaimed.
            drop(unsafe { Box::from_raw(scratch) });
        }
    }
    outcome.map(|()| result)
}

fn intern(name: &str) -> Result<Atom, ConvertError> {
    Atom::try_intern(name).ok_or(ConvertError::SystemLimit)
}

/// Builds the outer layer of `src` into `slot`, queueing its parts.
fn build_one<'a>(
    h: &mut impl Alloc,
    src: &'a FTerm,
    slot: *mut Term,
    funs: &mut impl FunResolver,
    work: &mut Vec<Build<'a>>,
) -> Result<(), ConvertError> {
    // Queues the parts `items` into the words at `p` (which get `[]` until built).
    let fill = |p: *mut Term, items: &'a [FTerm], work: &mut Vec<Build<'a>>| {
        for (i, item) in items.iter().enumerate() {
            let s = p.wrapping_add(i);
            // SAFETY: the caller passes `items.len()` writable words at `p`.
            unsafe { s.write(Term::NIL) };
            work.push(Build::Term(item, s));
        }
    };
    let term = match src {
        FTerm::Int(n) => object::integer_from_i64(h, *n),
        FTerm::Big(n) => object::integer_from_big(h, n),
        FTerm::Float(x) => object::float(h, *x),
        FTerm::Atom(name) => Term::atom(intern(name)?),
        FTerm::Nil => Term::NIL,
        FTerm::Tuple(items) => {
            let (t, p) = object::make_tuple_uninit(h, items.len());
            fill(p, items, work);
            t
        }
        FTerm::List(items, tail) => {
            let n = items.len();
            let cells = h.alloc(2 * n).cast::<Term>();
            for (i, item) in items.iter().enumerate() {
                let next = if i + 1 < n {
                    Term::list_ptr(cells.wrapping_add(2 * i + 2).cast())
                } else {
                    Term::NIL
                };
                fill(cells.wrapping_add(2 * i), std::slice::from_ref(item), work);
                // SAFETY: cell `i` is inside the `2n` words just allocated.
                unsafe { cells.add(2 * i + 1).write(next) };
            }
            if n == 0 {
                work.push(Build::Term(tail, slot));
                return Ok(());
            }
            work.push(Build::Term(tail, cells.wrapping_add(2 * n - 1)));
            Term::list_ptr(cells.cast())
        }
        FTerm::Map(pairs) => {
            let n = pairs.len();
            let scratch: *mut [Term] = Box::into_raw(vec![Term::NIL; 2 * n].into_boxed_slice());
            work.push(Build::Map(scratch, slot));
            let base = scratch.cast::<Term>();
            for (i, (k, v)) in pairs.iter().enumerate() {
                work.push(Build::Term(k, base.wrapping_add(i)));
                work.push(Build::Term(v, base.wrapping_add(n + i)));
            }
            return Ok(());
        }
        FTerm::Binary(bytes) => object::binary_from_bytes(h, bytes),
        FTerm::Bitstring { bytes, bits } => {
            let size = bytes.len().saturating_sub(1) * 8 + usize::from(*bits);
            object::bitstring_from_bytes(h, bytes, size)
        }
        FTerm::Pid {
            node,
            id,
            serial,
            creation,
        } => match object::local_pid(*id, *serial) {
            Some(p) if is_local(node, *creation) => p,
            _ => object::external_pid(h, intern(node)?, *id, *serial, *creation),
        },
        FTerm::Port { node, id, creation } => {
            if is_local(node, *creation) && *id <= u64::MAX >> 4 {
                Term::port(*id)
            } else {
                object::external_port(h, intern(node)?, *id, *creation)
            }
        }
        FTerm::Reference {
            node,
            creation,
            ids,
        } => {
            let ids = RefIds::new(ids).ok_or(ConvertError::BadReference)?;
            if is_local(node, *creation) {
                object::local_ref(h, &ids)
            } else {
                object::external_ref(h, intern(node)?, *creation, &ids)
            }
        }
        FTerm::Fun(fun) => {
            let entry = funs
                .fun_entry(fun)
                .ok_or_else(|| ConvertError::Unresolved(src.to_string()))?;
            let placeholders = vec![Term::NIL; fun.free.len()];
            let t = object::make_fun(h, entry, Term::NIL, &placeholders);
            // Payload: entry, creator, count, free variables.
            let creator = t.ptr_mut().wrapping_add(2).cast::<Term>();
            fill(creator, std::slice::from_ref(&fun.pid), work);
            fill(t.ptr_mut().wrapping_add(4).cast(), &fun.free, work);
            t
        }
        FTerm::Export {
            module,
            function,
            arity,
        } => {
            let entry = funs
                .export_entry(module, function, *arity)
                .ok_or_else(|| ConvertError::Unresolved(src.to_string()))?;
            object::make_export(h, entry)
        }
    };
    // SAFETY: `slot` is an initialised, writable word of an object built here (or `result`).
    unsafe { slot.write(term) };
    Ok(())
}

enum Out {
    Visit(Term),
    Tuple(usize),
    /// `n` elements, then the tail.
    List(usize),
    Map(usize),
    /// A closure: its creator, then its free variables.
    Fun(Term),
}

/// The order `to_format` gives map pairs in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MapOrder {
    /// Iteration order (`maps:next/1`), which is how `io_lib` prints maps.
    Iteration,
    /// List order (`maps:to_list/1`), which is how `term_to_binary/1` writes maps.
    List,
    /// Keys sorted, as `term_to_binary(T, [deterministic])` writes maps.
    Sorted,
}

/// The owned form of `t`, map pairs in iteration order (the order OTP prints them in).
pub fn to_format(t: Term) -> FTerm {
    to_format_with(t, MapOrder::Iteration)
}

/// The owned form of `t` with map pairs in the given order.
pub fn to_format_with(t: Term, order: MapOrder) -> FTerm {
    let mut work = vec![Out::Visit(t)];
    let mut values: Vec<FTerm> = Vec::new();
    while let Some(item) = work.pop() {
        match item {
            Out::Visit(t) => {
                if let Some(v) = leaf(t) {
                    values.push(v);
                } else if object::is_tuple(t) {
                    let items = object::tuple_elements(t);
                    work.push(Out::Tuple(items.len()));
                    work.extend(items.iter().rev().map(|&x| Out::Visit(x)));
                } else if t.is_list() {
                    let mut it = object::list_iter(t);
                    let items: Vec<Term> = it.by_ref().collect();
                    work.push(Out::List(items.len()));
                    work.push(Out::Visit(it.tail()));
                    work.extend(items.iter().rev().map(|&x| Out::Visit(x)));
                } else if object::is_map(t) {
                    work.push(Out::Map(object::map_size(t)));
                    let mut pairs: Vec<(Term, Term)> = match order {
                        MapOrder::Sorted => object::map_sorted_pairs(t),
                        _ => object::map_pairs(t).collect(),
                    };
                    if order == MapOrder::Iteration && !object::is_flatmap(t) {
                        pairs.reverse();
                    }
                    for (k, v) in pairs.into_iter().rev() {
                        work.push(Out::Visit(v));
                        work.push(Out::Visit(k));
                    }
                } else if object::is_local_fun(t) {
                    work.push(Out::Fun(t));
                    work.extend(object::fun_free(t).iter().rev().map(|&x| Out::Visit(x)));
                    work.push(Out::Visit(object::fun_creator(t)));
                } else {
                    panic!("not a term: {t:?}");
                }
            }
            Out::Tuple(n) => {
                let items = values.split_off(values.len() - n);
                values.push(FTerm::Tuple(items));
            }
            Out::List(n) => {
                let tail = values.pop().expect("tail");
                let items = values.split_off(values.len() - n);
                values.push(FTerm::List(items, Box::new(tail)));
            }
            Out::Map(n) => {
                let flat = values.split_off(values.len() - 2 * n);
                let mut it = flat.into_iter();
                let pairs = std::iter::from_fn(|| Some((it.next()?, it.next()?))).collect();
                values.push(FTerm::Map(pairs));
            }
            Out::Fun(t) => {
                let free = values.split_off(values.len() - object::fun_free(t).len());
                let pid = values.pop().expect("creator");
                let id = object::fun_identity(t);
                values.push(FTerm::Fun(Box::new(girder_format::Fun {
                    arity: id.arity as u8,
                    uniq: id.uniq,
                    index: id.index,
                    module: id.module.name().to_string(),
                    old_index: Box::new(FTerm::Int(id.old_index.into())),
                    old_uniq: Box::new(FTerm::Int(id.old_uniq.into())),
                    pid: Box::new(pid),
                    free,
                })));
            }
        }
    }
    debug_assert_eq!(values.len(), 1);
    values.pop().expect("one result")
}

/// The owned form of a term with no parts, or `None` for compound terms.
fn leaf(t: Term) -> Option<FTerm> {
    if let Some(n) = t.as_small() {
        return Some(FTerm::Int(n));
    }
    if let Some(a) = t.as_atom() {
        return Some(FTerm::Atom(a.name().to_string()));
    }
    if t.is_nil() {
        return Some(FTerm::Nil);
    }
    if object::is_float(t) {
        return Some(FTerm::Float(object::float_value(t)));
    }
    if object::is_big(t) {
        return Some(FTerm::integer(object::big_value(t)));
    }
    if object::is_bitstring(t) {
        let b = object::bits(t);
        let bytes = b.to_vec();
        return Some(match b.size % 8 {
            0 => FTerm::Binary(bytes),
            bits => FTerm::Bitstring {
                bytes,
                bits: bits as u8,
            },
        });
    }
    if object::is_export(t) {
        let id = object::export_identity(t);
        return Some(FTerm::Export {
            module: id.module.name().to_string(),
            function: id.function.name().to_string(),
            arity: id.arity as u8,
        });
    }
    let ident = object::ident(t)?;
    let node = ident.node.name().to_string();
    let creation = ident.creation;
    Some(match ident.ids {
        IdentIds::Pid { id, serial } => FTerm::Pid {
            node,
            id,
            serial,
            creation,
        },
        IdentIds::Port(id) => FTerm::Port { node, id, creation },
        IdentIds::Ref(ids) => FTerm::Reference {
            node,
            creation,
            ids: ids.as_slice().to_vec(),
        },
    })
}

/// `t` as `io:format("~w", [T])` prints it.
pub fn display(t: Term) -> String {
    let f = to_format(t);
    let s = f.to_string();
    dispose(f);
    s
}

/// Drops an owned term without recursion (its own `Drop` recurses once per nesting level).
pub fn dispose(t: FTerm) {
    let mut stack = vec![t];
    while let Some(t) = stack.pop() {
        match t {
            FTerm::Tuple(items) => stack.extend(items),
            FTerm::List(items, tail) => {
                stack.extend(items);
                stack.push(*tail);
            }
            FTerm::Map(pairs) => {
                for (k, v) in pairs {
                    stack.push(k);
                    stack.push(v);
                }
            }
            FTerm::Fun(f) => {
                let f = *f;
                stack.extend(f.free);
                stack.push(*f.pid);
            }
            _ => {}
        }
    }
}

mod funs;

pub use funs::{FunResolver, NoFuns, StandaloneFuns};

#[cfg(test)]
mod tests;

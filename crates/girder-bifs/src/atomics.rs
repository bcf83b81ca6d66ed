//! `atomics` and the native half of `counters` (`erts_internal:counters_*`): arrays of
//! 64-bit integers updated atomically, shared by every process that holds the reference.
//!
//! OTP's `atomics.beam` and `counters.beam` run unmodified on top. An array is named by a
//! reference (erts uses a "magic" reference, freed when the last copy is garbage
//! collected); girder keeps every array for the VM's life in a registry keyed by the
//! reference, like compiled match specifications. `write_concurrency` counters are one
//! shared array here (erts keeps one per scheduler and sums them: the same values).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use num_traits::ToPrimitive;

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::object as obj;
use girder_term::object::RefIds;
use girder_term::{Atom, Term};

use crate::Entry;

pub const BIFS: &[Entry] = &[
    ("erts_internal", "atomics_new", 2, atomics_new),
    ("atomics", "put", 3, |_, a| {
        let arr = array(a[0], Kind::Atomics)?;
        let cell = arr.cell(a[1])?;
        let v = arr.value(a[2])?;
        cell.store(v, Ordering::SeqCst);
        Ok(Term::atom(Atom::OK))
    }),
    ("atomics", "get", 2, |p, a| {
        let arr = array(a[0], Kind::Atomics)?;
        let v = arr.cell(a[1])?.load(Ordering::SeqCst);
        Ok(arr.term(p, v))
    }),
    ("atomics", "add", 3, |_, a| {
        let arr = array(a[0], Kind::Atomics)?;
        let cell = arr.cell(a[1])?;
        let incr = increment(a[2])?;
        cell.fetch_add(incr, Ordering::SeqCst);
        Ok(Term::atom(Atom::OK))
    }),
    ("atomics", "add_get", 3, |p, a| {
        let arr = array(a[0], Kind::Atomics)?;
        let cell = arr.cell(a[1])?;
        let incr = increment(a[2])?;
        let v = cell.fetch_add(incr, Ordering::SeqCst).wrapping_add(incr);
        Ok(arr.term(p, v))
    }),
    ("atomics", "exchange", 3, |p, a| {
        let arr = array(a[0], Kind::Atomics)?;
        let cell = arr.cell(a[1])?;
        let v = arr.value(a[2])?;
        let old = cell.swap(v, Ordering::SeqCst);
        Ok(arr.term(p, old))
    }),
    ("atomics", "compare_exchange", 4, |p, a| {
        let arr = array(a[0], Kind::Atomics)?;
        let cell = arr.cell(a[1])?;
        let expected = arr.value(a[2])?;
        let desired = arr.value(a[3])?;
        match cell.compare_exchange(expected, desired, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => Ok(Term::atom(Atom::OK)),
            Err(actual) => Ok(arr.term(p, actual)),
        }
    }),
    ("atomics", "info", 1, |p, a| {
        let arr = array(a[0], Kind::Atomics)?;
        let n = arr.cells.len();
        let (min, max) = if arr.signed {
            (
                obj::integer_from_i64(&mut p.heap, i64::MIN),
                obj::integer_from_i64(&mut p.heap, i64::MAX),
            )
        } else {
            (
                Term::small(0),
                obj::integer_from_limbs(&mut p.heap, false, &[u64::MAX]),
            )
        };
        let memory = Term::small((ATOMICS_HEADER + 8 * n) as i64);
        info_map(
            p,
            &[
                ("max", max),
                ("memory", memory),
                ("min", min),
                ("size", Term::small(n as i64)),
            ],
        )
    }),
    ("erts_internal", "counters_new", 1, |p, a| {
        let n = size(a[0])?;
        Ok(new_array(p, n, true, Kind::Counters))
    }),
    ("erts_internal", "counters_get", 2, |p, a| {
        let arr = array(a[0], Kind::Counters)?;
        let v = arr.cell(a[1])?.load(Ordering::SeqCst);
        Ok(arr.term(p, v))
    }),
    ("erts_internal", "counters_add", 3, |_, a| {
        let arr = array(a[0], Kind::Counters)?;
        let cell = arr.cell(a[1])?;
        let incr = increment(a[2])?;
        cell.fetch_add(incr, Ordering::SeqCst);
        Ok(Term::atom(Atom::OK))
    }),
    ("erts_internal", "counters_put", 3, |_, a| {
        let arr = array(a[0], Kind::Counters)?;
        let cell = arr.cell(a[1])?;
        let v = signed64(a[2]).ok_or(BifError::BADARG)?;
        cell.store(v as u64, Ordering::SeqCst);
        Ok(Term::atom(Atom::OK))
    }),
    ("erts_internal", "counters_info", 1, |p, a| {
        let arr = array(a[0], Kind::Counters)?;
        let n = arr.cells.len();
        // As erts lays them out: one cache-line-aligned array per scheduler, plus one.
        let per = (8 * n).div_ceil(64) * 64;
        let schedulers = girder_runtime::sched::schedulers();
        let memory = Term::small((COUNTERS_HEADER + (schedulers + 1) * per) as i64);
        info_map(p, &[("memory", memory), ("size", Term::small(n as i64))])
    }),
];

/// Bytes erts counts for an array besides its cells.
const ATOMICS_HEADER: usize = 40;
const COUNTERS_HEADER: usize = 32;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Atomics,
    Counters,
}

struct Array {
    kind: Kind,
    signed: bool,
    cells: Box<[AtomicU64]>,
}

/// Marker word in the references that name arrays.
const TAG: u32 = 0x6174_6f6d;

static ARRAYS: LazyLock<Mutex<HashMap<u64, Arc<Array>>>> = LazyLock::new(Mutex::default);
static NEXT: AtomicU64 = AtomicU64::new(1);

fn size(t: Term) -> Result<usize, BifError> {
    match t.as_small() {
        // erts refuses arrays it could not allocate; a bound keeps bad input harmless.
        Some(n) if (1..=(1 << 28)).contains(&n) => Ok(n as usize),
        _ => Err(BifError::BADARG),
    }
}

fn new_array(p: &mut Process, n: usize, signed: bool, kind: Kind) -> Term {
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let cells: Box<[AtomicU64]> = (0..n).map(|_| AtomicU64::new(0)).collect();
    ARRAYS.lock().unwrap_or_else(|e| e.into_inner()).insert(
        id,
        Arc::new(Array {
            kind,
            signed,
            cells,
        }),
    );
    let ids = RefIds::new(&[id as u32, (id >> 32) as u32, TAG]).expect("three ids");
    obj::local_ref(&mut p.heap, &ids)
}

/// `erts_internal:atomics_new(Arity, EncodedOpts)`: bit 0 of the options is `signed`.
fn atomics_new(p: &mut Process, a: &[Term]) -> BifResult {
    let n = size(a[0])?;
    let signed = match a[1].as_small() {
        Some(o) => o & 1 == 1,
        None => return Err(BifError::BADARG),
    };
    Ok(new_array(p, n, signed, Kind::Atomics))
}

fn array(t: Term, kind: Kind) -> Result<Arc<Array>, BifError> {
    if !obj::is_local_ref(t) {
        return Err(BifError::BADARG);
    }
    let ids = obj::local_ref_ids(t);
    if ids.as_slice().len() != 3 || ids.get(2) != TAG {
        return Err(BifError::BADARG);
    }
    let id = u64::from(ids.get(0)) | (u64::from(ids.get(1)) << 32);
    ARRAYS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&id)
        .filter(|a| a.kind == kind)
        .cloned()
        .ok_or(BifError::BADARG)
}

/// An integer in `-2^63..2^64-1`, as the 64 bits of its two's complement.
fn integer(t: Term) -> Option<i128> {
    if let Some(n) = t.as_small() {
        return Some(i128::from(n));
    }
    if obj::is_integer(t) {
        return obj::big_value(t).to_i128();
    }
    None
}

fn signed64(t: Term) -> Option<i64> {
    integer(t).and_then(|n| i64::try_from(n).ok())
}

/// An increment: any integer a 64-bit word holds, signed or unsigned (it wraps).
fn increment(t: Term) -> Result<u64, BifError> {
    match integer(t) {
        Some(n) if (i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(&n) => Ok(n as u64),
        _ => Err(BifError::BADARG),
    }
}

impl Array {
    fn cell(&self, ix: Term) -> Result<&AtomicU64, BifError> {
        match ix.as_small() {
            Some(i) if i >= 1 && (i as usize) <= self.cells.len() => {
                Ok(&self.cells[i as usize - 1])
            }
            _ => Err(BifError::BADARG),
        }
    }

    /// A value to store, in this array's range.
    fn value(&self, t: Term) -> Result<u64, BifError> {
        let n = integer(t).ok_or(BifError::BADARG)?;
        let ok = if self.signed {
            i64::try_from(n).is_ok()
        } else {
            u64::try_from(n).is_ok()
        };
        if ok {
            Ok(n as u64)
        } else {
            Err(BifError::BADARG)
        }
    }

    fn term(&self, p: &mut Process, v: u64) -> Term {
        if self.signed {
            obj::integer_from_i64(&mut p.heap, v as i64)
        } else if let Ok(n) = i64::try_from(v) {
            obj::integer_from_i64(&mut p.heap, n)
        } else {
            obj::integer_from_limbs(&mut p.heap, false, &[v])
        }
    }
}

fn info_map(p: &mut Process, pairs: &[(&str, Term)]) -> BifResult {
    let mut pairs: Vec<(Term, Term)> = pairs
        .iter()
        .map(|(k, v)| (Term::atom(Atom::intern(k)), *v))
        .collect();
    Ok(obj::map_from_pairs(&mut p.heap, &mut pairs))
}

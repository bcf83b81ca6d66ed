//! Hot code loading, the BIFs erts implements in C (`beam_bif_load.c`): current and old
//! code side by side (`girder_runtime::module`), `erlang:delete_module/1`,
//! `check_old_code/1`, `erts_internal:check_process_code/1`, `erts_internal:purge_module/2`,
//! `erts_internal:prepare_loading/2`, `erlang:finish_loading/1` and
//! `has_prepared_code_on_load/1`. OTP's own Erlang code does the rest unmodified:
//! `erlang:load_module/2`, `check_process_code/2,3` (through
//! `erts_internal:request_system_task/3`, in `memory.rs`), `purge_module/1` and the
//! `erts_code_purger` process (started at boot, as erts does), which kills the processes
//! still running old code.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_runtime::code_server::{self, Prepared};
use girder_runtime::module::{self, Cp, Deleted};
use girder_term::object::{self as obj, RefIds};
use girder_term::{Atom, Term};

use crate::Entry;

pub const BIFS: &[Entry] = &[
    ("erlang", "delete_module", 1, delete_module),
    ("erlang", "check_old_code", 1, check_old_code),
    ("erts_internal", "check_process_code", 1, check_own_code),
    ("erts_internal", "purge_module", 2, purge_module),
    ("erts_internal", "prepare_loading", 2, prepare_loading),
    ("erlang", "finish_loading", 1, finish_loading),
    (
        "erlang",
        "has_prepared_code_on_load",
        1,
        has_prepared_code_on_load,
    ),
    ("erts_internal", "beamfile_chunk", 2, beamfile_chunk),
    (
        "erts_internal",
        "beamfile_module_md5",
        1,
        beamfile_module_md5,
    ),
];

/// `erts_internal:beamfile_chunk(Bin, Id)` (`erl_features:load_allowed/1` reads the
/// `Meta` chunk so): the contents of the first chunk named `Id` of the `.beam` bytes, or
/// `undefined` when there is none or the bytes are not a `.beam` container.
fn beamfile_chunk(p: &mut Process, a: &[Term]) -> BifResult {
    let bytes = obj::binary_bytes(a[0]).ok_or(BifError::BADARG)?;
    let id = crate::util::string_arg(a[1])?;
    if id.len() != 4 {
        return Err(BifError::BADARG);
    }
    let found = chunks(bytes).find(|(name, _)| *name == id.as_bytes());
    Ok(match found {
        Some((_, data)) => {
            let data = data.to_vec();
            obj::binary_from_bytes(&mut p.heap, &data)
        }
        None => Term::atom(Atom::UNDEFINED),
    })
}

/// `erts_internal:beamfile_module_md5(Bin)`: the MD5 `module_info(md5)` would answer for
/// the module in these bytes, or `undefined` when they do not load.
fn beamfile_module_md5(p: &mut Process, a: &[Term]) -> BifResult {
    let bytes = obj::binary_bytes(a[0]).ok_or(BifError::BADARG)?;
    match girder_format::BeamFile::parse_file(bytes, "beamfile") {
        Ok(beam) => {
            let md5 = beam.md5;
            Ok(obj::binary_from_bytes(&mut p.heap, &md5))
        }
        Err(_) => Ok(Term::atom(Atom::UNDEFINED)),
    }
}

/// The chunks of an IFF `.beam` container: `FOR1`, its size, `BEAM`, then chunks of a
/// four-byte id, a four-byte size and their data padded to four bytes.
fn chunks(bytes: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let body = match bytes {
        [
            b'F',
            b'O',
            b'R',
            b'1',
            _,
            _,
            _,
            _,
            b'B',
            b'E',
            b'A',
            b'M',
            rest @ ..,
        ] => rest,
        _ => &[],
    };
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let head = body.get(at..at + 8)?;
        let size = u32::from_be_bytes([head[4], head[5], head[6], head[7]]) as usize;
        let data = body.get(at + 8..at + 8 + size)?;
        at += 8 + size.div_ceil(4) * 4;
        Some((&head[..4], data))
    })
}

fn module_arg(t: Term) -> Result<Atom, BifError> {
    t.as_atom().ok_or(BifError::BADARG)
}

/// `erlang:delete_module(Module)`: the current code becomes old (`true`); `undefined`
/// when the module has no current code; `badarg` when it has old code already. (erts also
/// logs "Module ~w must be purged before deleting"; girder does not.)
fn delete_module(_: &mut Process, a: &[Term]) -> BifResult {
    let m = module_arg(a[0])?;
    match module::delete(m) {
        Deleted::Done => Ok(Term::atom(Atom::TRUE)),
        Deleted::NotLoaded => Ok(Term::atom(Atom::UNDEFINED)),
        Deleted::NotPurged => Err(BifError::BADARG),
    }
}

/// `erlang:check_old_code(Module)`: whether the module has old code.
fn check_old_code(_: &mut Process, a: &[Term]) -> BifResult {
    let m = module_arg(a[0])?;
    Ok(Term::boolean(module::old(m).is_some()))
}

/// Whether `q` runs old code of `m`: where it resumes, its continuation pointer register
/// or a continuation pointer on its stack lies in that code, as erts checks.
pub(crate) fn runs_old_code(q: &Process, m: Atom) -> bool {
    let Some(old) = module::old(m) else {
        return false;
    };
    let index = old.code_index;
    let in_old = |cp: Cp| cp != Cp::NONE && cp.code() == index;
    in_old(q.resume)
        || in_old(q.cp)
        || q.stack
            .iter()
            .any(|&w| w.is_header() && in_old(Cp::from_term(w)))
}

/// `erts_internal:check_process_code(Module)`: whether the calling process runs old code
/// of `Module`.
fn check_own_code(p: &mut Process, a: &[Term]) -> BifResult {
    let m = module_arg(a[0])?;
    Ok(Term::boolean(runs_old_code(p, m)))
}

/// `erts_internal:purge_module(Module, Op)` for `erts_code_purger`: `prepare` (and
/// `prepare_on_load`) answer whether there is old code to purge; `complete` purges it
/// (its funs then point nowhere); `abort` leaves it (`false`).
fn purge_module(_: &mut Process, a: &[Term]) -> BifResult {
    let m = module_arg(a[0])?;
    match a[1].as_atom().map(|o| o.name()) {
        Some("prepare" | "prepare_on_load") => Ok(Term::boolean(module::old(m).is_some())),
        Some("complete") => {
            module::purge(m);
            Ok(Term::atom(Atom::TRUE))
        }
        Some("abort") => Ok(Term::atom(Atom::FALSE)),
        _ => Err(BifError::BADARG),
    }
}

/// Tells references naming prepared code from others (their third word).
const PREPARED_TAG: u32 = 0x7072_6570;

static NEXT_PREPARED: AtomicU64 = AtomicU64::new(1);

/// Prepared code by the id its reference carries, until `finish_loading/1` takes it.
/// (erts frees prepared code with the last reference to it; girder keeps code never
/// finished for the VM's life.)
static PREPARED: LazyLock<Mutex<HashMap<u64, (Atom, Prepared)>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn prepared_id(t: Term) -> Option<u64> {
    if !obj::is_local_ref(t) {
        return None;
    }
    let ids = obj::local_ref_ids(t);
    if ids.as_slice().len() != 3 || ids.get(2) != PREPARED_TAG {
        return None;
    }
    Some(u64::from(ids.get(0)) | (u64::from(ids.get(1)) << 32))
}

fn error_tuple(p: &mut Process, what: &str) -> Term {
    obj::tuple(
        &mut p.heap,
        &[Term::atom(Atom::ERROR), Term::atom(Atom::intern(what))],
    )
}

/// `erts_internal:prepare_loading(Module, Code)`: the module translated and not installed
/// yet, as a reference for `finish_loading/1`; `{error, badfile}` when the bytes do not
/// load or hold another module.
fn prepare_loading(p: &mut Process, a: &[Term]) -> BifResult {
    let m = module_arg(a[0])?;
    let bytes = obj::binary_bytes(a[1]).ok_or(BifError::BADARG)?.to_vec();
    let file = format!("{}.beam", m.name());
    let named = girder_format::BeamFile::parse_file(&bytes, &file)
        .ok()
        .map(|beam| beam.module_name() == m.name());
    if named != Some(true) {
        return Ok(error_tuple(p, "badfile"));
    }
    let Ok(prepared) = code_server::prepare_bytes(&file, &bytes) else {
        return Ok(error_tuple(p, "badfile"));
    };
    // Relaxed: only uniqueness matters.
    let id = NEXT_PREPARED.fetch_add(1, Ordering::Relaxed);
    PREPARED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, (m, prepared));
    let ids = RefIds::new(&[id as u32, (id >> 32) as u32, PREPARED_TAG]).expect("three ids");
    Ok(obj::local_ref(&mut p.heap, &ids))
}

/// `erlang:finish_loading(Prepared)`: install every prepared module; `ok`, or
/// `{not_purged, Modules}` (nothing installed) when some of them have old code, as erts.
/// `badarg` for anything but a list of prepared code not installed yet.
fn finish_loading(p: &mut Process, a: &[Term]) -> BifResult {
    let items = obj::list_to_vec(a[0]).ok_or(BifError::BADARG)?;
    let ids = items
        .iter()
        .map(|&t| prepared_id(t).ok_or(BifError::BADARG))
        .collect::<Result<Vec<u64>, _>>()?;
    let mut table = PREPARED.lock().unwrap_or_else(|e| e.into_inner());
    if ids.iter().any(|id| !table.contains_key(id)) {
        return Err(BifError::BADARG);
    }
    let blocked: Vec<Term> = ids
        .iter()
        .filter_map(|id| {
            let m = table[id].0;
            (module::loaded(m).is_some() && module::old(m).is_some()).then_some(Term::atom(m))
        })
        .collect();
    if !blocked.is_empty() {
        drop(table);
        let list = obj::list_from_slice(&mut p.heap, &blocked, Term::NIL);
        return Ok(obj::tuple(
            &mut p.heap,
            &[Term::atom(Atom::intern("not_purged")), list],
        ));
    }
    let mut failed = Vec::new();
    let taken: Vec<(Atom, Prepared)> = ids.iter().filter_map(|id| table.remove(id)).collect();
    drop(table);
    for (m, prepared) in taken {
        if code_server::finish(prepared).is_err() {
            failed.push(Term::atom(m));
        }
    }
    if failed.is_empty() {
        return Ok(Term::atom(Atom::OK));
    }
    let list = obj::list_from_slice(&mut p.heap, &failed, Term::NIL);
    Ok(obj::tuple(
        &mut p.heap,
        &[Term::atom(Atom::intern("not_purged")), list],
    ))
}

/// `erlang:has_prepared_code_on_load(Prepared)`: whether the prepared module has an
/// `on_load` function.
fn has_prepared_code_on_load(_: &mut Process, a: &[Term]) -> BifResult {
    let id = prepared_id(a[0]).ok_or(BifError::BADARG)?;
    let table = PREPARED.lock().unwrap_or_else(|e| e.into_inner());
    let (_, prepared) = table.get(&id).ok_or(BifError::BADARG)?;
    Ok(Term::boolean(prepared.module.on_load.is_some()))
}

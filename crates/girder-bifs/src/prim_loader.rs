//! What OTP's preloaded `erl_prim_loader` does for a VM that reads its code from the local
//! file system: `get_file/1` and `list_dir/1` (used by `code:where_is_file/1` and by
//! `application_controller` to read `.app` files), and `girder_code:get_path/0`, the code
//! path girder's `code_server` reports, and `girder_code:set_path/1`, which it changes
//! (code loading itself is native: `code_server.rs`).

use std::path::Path;

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;
use crate::util::{charlist, string_arg};

pub const BIFS: &[Entry] = &[
    ("erl_prim_loader", "get_file", 1, get_file),
    ("erl_prim_loader", "list_dir", 1, list_dir),
    ("girder_code", "get_path", 0, get_path),
    ("girder_code", "set_path", 1, set_path),
    ("girder_code", "load_binary", 3, load_binary),
];

/// A file name: a string or an atom, as `erl_prim_loader` takes them.
fn name_arg(t: Term) -> Result<String, BifError> {
    match t.as_atom() {
        Some(a) => Ok(a.name().to_owned()),
        None => string_arg(t),
    }
}

fn error() -> Term {
    Term::atom(Atom::intern("error"))
}

/// `{ok, Binary, FullName}` or `error`.
fn get_file(p: &mut Process, a: &[Term]) -> BifResult {
    let name = name_arg(a[0])?;
    match std::fs::read(&name) {
        Ok(bytes) => {
            let bin = obj::binary_from_bytes(&mut p.heap, &bytes);
            let full = charlist(p, &name);
            Ok(obj::tuple(
                &mut p.heap,
                &[Term::atom(Atom::intern("ok")), bin, full],
            ))
        }
        Err(_) => Ok(error()),
    }
}

/// `{ok, Names}` (unsorted, as the directory lists them) or `error`.
fn list_dir(p: &mut Process, a: &[Term]) -> BifResult {
    let name = name_arg(a[0])?;
    let Ok(entries) = std::fs::read_dir(Path::new(&name)) else {
        return Ok(error());
    };
    let mut names = Vec::new();
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        names.push(charlist(p, &n));
    }
    let list = obj::list_from_slice(&mut p.heap, &names, Term::NIL);
    Ok(obj::tuple(
        &mut p.heap,
        &[Term::atom(Atom::intern("ok")), list],
    ))
}

/// The code path's directories, as strings.
fn get_path(p: &mut Process, _: &[Term]) -> BifResult {
    let dirs = girder_runtime::code_server::dirs();
    let mut list = Vec::new();
    for d in dirs {
        list.push(charlist(p, &d.display().to_string()));
    }
    Ok(obj::list_from_slice(&mut p.heap, &list, Term::NIL))
}

/// Replace the code path's directories (`.avm` packs stay, after them); `true`.
fn set_path(_: &mut Process, a: &[Term]) -> BifResult {
    let items = obj::list_to_vec(a[0]).ok_or(BifError::BADARG)?;
    let dirs = items
        .into_iter()
        .map(|t| string_arg(t).map(std::path::PathBuf::from))
        .collect::<Result<Vec<_>, _>>()?;
    girder_runtime::code_server::set_dirs(dirs);
    Ok(Term::atom(Atom::TRUE))
}

/// `girder_code:load_binary(Module, File, Binary)`: load a module that is not loaded yet
/// from its `.beam` bytes (what `code:load_binary/3` asks girder's `code_server` for):
/// `{module, Module}`, or `{error, badfile}` when the bytes do not load or name another
/// module. (Replacing loaded code is for girder's `code_server` to refuse.)
fn load_binary(p: &mut Process, a: &[Term]) -> BifResult {
    let module = a[0].as_atom().ok_or(BifError::BADARG)?;
    let file = string_arg(a[1])?;
    let bytes = obj::binary_bytes(a[2]).ok_or(BifError::BADARG)?.to_vec();
    let named = girder_format::BeamFile::parse_file(&bytes, &file)
        .ok()
        .map(|beam| beam.module_name() == module.name());
    if named == Some(true)
        && girder_runtime::module::loaded(module).is_none()
        && girder_runtime::code_server::load_bytes(&file, &bytes).is_ok()
    {
        return Ok(obj::tuple(
            &mut p.heap,
            &[Term::atom(Atom::intern("module")), Term::atom(module)],
        ));
    }
    Ok(obj::tuple(
        &mut p.heap,
        &[Term::atom(Atom::ERROR), Term::atom(Atom::intern("badfile"))],
    ))
}

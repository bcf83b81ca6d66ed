//! The native half of girder's preloaded `erl_prim_loader` (`lib/preloaded/src`): files read
//! by name from the local file system or from inside zip archives (`.ez` files and an
//! escript's primary archive: `girder_runtime::archive`): `girder_prim_loader:get_file/1`,
//! `list_dir/1`, `file_info/1`, `set_primary_archive/2`, `clear_primary_archive/0` and
//! `purge_archive_cache/0`; and `girder_code:get_path/0`, the code path girder's
//! `code_server` reports, and `girder_code:set_path/1`, which it changes (code loading
//! itself is native: `code_server.rs`).

use girder_runtime::Process;
use girder_runtime::archive::{self, Info};
use girder_runtime::bif::{BifError, BifResult};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;
use crate::util::{charlist, string_arg};

pub const BIFS: &[Entry] = &[
    ("girder_prim_loader", "get_file", 1, get_file),
    ("girder_prim_loader", "list_dir", 1, list_dir),
    ("girder_prim_loader", "file_info", 1, file_info),
    (
        "girder_prim_loader",
        "set_primary_archive",
        2,
        set_primary_archive,
    ),
    (
        "girder_prim_loader",
        "clear_primary_archive",
        0,
        clear_primary_archive,
    ),
    (
        "girder_prim_loader",
        "purge_archive_cache",
        0,
        purge_archive_cache,
    ),
    ("girder_code", "get_path", 0, get_path),
    ("girder_code", "set_path", 1, set_path),
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
    match archive::read_file(&name) {
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
    let Ok(entries) = archive::list_dir(&name) else {
        return Ok(error());
    };
    let names: Vec<Term> = entries.iter().map(|n| charlist(p, n)).collect();
    let list = obj::list_from_slice(&mut p.heap, &names, Term::NIL);
    Ok(obj::tuple(
        &mut p.heap,
        &[Term::atom(Atom::intern("ok")), list],
    ))
}

/// What a name is: `file` (not inside an archive: `prim_file` answers), `{dir, Archive}`
/// (the top of an archive or a directory its entries imply: the archive file's information
/// answers), `{entry, Size, regular | directory, DateTime}` (an entry the archive lists),
/// or `error`.
fn file_info(p: &mut Process, a: &[Term]) -> BifResult {
    let name = name_arg(a[0])?;
    Ok(match archive::info(&name) {
        Err(_) => error(),
        Ok(Info::File) => Term::atom(Atom::intern("file")),
        Ok(Info::ImpliedDir(file)) => {
            let file = charlist(p, &file);
            obj::tuple(&mut p.heap, &[Term::atom(Atom::intern("dir")), file])
        }
        Ok(Info::Entry(e)) => {
            let ((y, mo, d), (h, mi, s)) = e.datetime();
            let small = |n: u32| Term::small(i64::from(n));
            let date = obj::tuple(&mut p.heap, &[small(y), small(mo), small(d)]);
            let time = obj::tuple(&mut p.heap, &[small(h), small(mi), small(s)]);
            let datetime = obj::tuple(&mut p.heap, &[date, time]);
            let kind = if e.is_dir() { "directory" } else { "regular" };
            obj::tuple(
                &mut p.heap,
                &[
                    Term::atom(Atom::intern("entry")),
                    small(e.size),
                    Term::atom(Atom::intern(kind)),
                    datetime,
                ],
            )
        }
    })
}

/// `set_primary_archive(File, ZipBytes)`: `{ok, [ArchivePath | AppEbinDirs]}` or
/// `{error, Reason}` with `prim_zip`'s reason (`bad_eocd` when the bytes are no archive).
fn set_primary_archive(p: &mut Process, a: &[Term]) -> BifResult {
    let file = string_arg(a[0])?;
    let bytes = obj::binary_bytes(a[1]).ok_or(BifError::BADARG)?.to_vec();
    match archive::set_primary(&file, bytes) {
        Ok(dirs) => {
            let dirs: Vec<Term> = dirs.iter().map(|d| charlist(p, d)).collect();
            let list = obj::list_from_slice(&mut p.heap, &dirs, Term::NIL);
            Ok(obj::tuple(
                &mut p.heap,
                &[Term::atom(Atom::intern("ok")), list],
            ))
        }
        Err(e) => Ok(obj::tuple(
            &mut p.heap,
            &[
                Term::atom(Atom::ERROR),
                Term::atom(Atom::intern(e.reason())),
            ],
        )),
    }
}

/// Forget the primary archive: whether there was one.
fn clear_primary_archive(_: &mut Process, _: &[Term]) -> BifResult {
    Ok(Term::atom(if archive::clear_primary() {
        Atom::TRUE
    } else {
        Atom::FALSE
    }))
}

/// Forget the `.ez` archives read so far; `ok`.
fn purge_archive_cache(_: &mut Process, _: &[Term]) -> BifResult {
    archive::purge_cache();
    Ok(Term::atom(Atom::intern("ok")))
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

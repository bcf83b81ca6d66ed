//! Files inside zip archives, found as OTP's `erl_prim_loader` finds them: a path leads into
//! an archive when it lies under the primary archive (an escript's archive body, set by
//! `erl_prim_loader:set_primary_archive/4`) or when one of its components ends with
//! `.ez` (`init:archive_extension/0`): `/x/app.ez/app/ebin/m.beam` is the entry
//! `app/ebin/m.beam` of `/x/app.ez`. Directories an archive does not list but its entries
//! imply exist too, as in OTP. `.ez` archives are parsed once and parsed again when their
//! modification time changes.
//!
//! Every reader of files the code path names goes through here: the code server's module
//! loading ([`crate::code_server`]) and `erl_prim_loader`'s `get_file`, `list_dir` and
//! `read_file_info`.

use std::collections::HashMap;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use girder_format::zip::{Archive, Entry, ZipError};

/// The primary archive: its absolute path as given, the same with links resolved, and its
/// contents.
struct Primary {
    abs: String,
    real: String,
    archive: Arc<Archive>,
}

static PRIMARY: Mutex<Option<Primary>> = Mutex::new(None);
/// `.ez` archives already read: path -> (modification time, contents).
type Cache = HashMap<String, (Option<SystemTime>, Arc<Archive>)>;
static CACHE: Mutex<Option<Cache>> = Mutex::new(None);

const EXTENSION: &str = ".ez";

/// `path` made absolute (against the current directory) with `.`, `..` and repeated
/// separators resolved by name, as a string.
fn absname(path: &str) -> String {
    let p = Path::new(path);
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    let mut out = PathBuf::from("/");
    for c in joined.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out.to_string_lossy().into_owned()
}

/// The part of `path` under `dir` (`""` for `dir` itself), when it is under it.
fn under<'a>(path: &'a str, dir: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(dir)?;
    if rest.is_empty() {
        Some("")
    } else {
        rest.strip_prefix('/')
    }
}

/// Where a path leads: a plain file, or a name inside an archive (`""` its top).
enum Place {
    File,
    Inside(Arc<Archive>, String, String),
}

fn place(path: &str) -> io::Result<Place> {
    let primary = PRIMARY.lock().unwrap_or_else(|e| e.into_inner());
    if primary.is_none() && !path.contains(EXTENSION) {
        return Ok(Place::File);
    }
    let abs = absname(path);
    if let Some(p) = primary.as_ref()
        && let Some(inner) = under(&abs, &p.abs).or_else(|| under(&abs, &p.real))
    {
        return Ok(Place::Inside(
            p.archive.clone(),
            p.abs.clone(),
            inner.to_owned(),
        ));
    }
    drop(primary);
    // The first component that ends with the extension names the archive.
    let mut end = 0;
    for part in abs.split('/') {
        end += part.len();
        if part.len() > EXTENSION.len() && part.ends_with(EXTENSION) {
            let file = &abs[..end];
            let inner = abs[end..].trim_start_matches('/');
            return Ok(Place::Inside(ez(file)?, file.to_owned(), inner.to_owned()));
        }
        end += 1;
    }
    Ok(Place::File)
}

/// The `.ez` archive `file`, read again when it changed.
fn ez(file: &str) -> io::Result<Arc<Archive>> {
    let mtime = std::fs::metadata(file)?.modified().ok();
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let cache = cache.get_or_insert_with(HashMap::new);
    if let Some((m, a)) = cache.get(file)
        && *m == mtime
    {
        return Ok(a.clone());
    }
    let archive = Arc::new(Archive::parse(std::fs::read(file)?).map_err(invalid)?);
    cache.insert(file.to_owned(), (mtime, archive.clone()));
    Ok(archive)
}

fn invalid(e: ZipError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

fn not_found() -> io::Error {
    io::Error::from(io::ErrorKind::NotFound)
}

/// A name's components, without empty ones (`a//b/` is `a/b`).
fn parts(name: &str) -> Vec<&str> {
    name.split('/').filter(|s| !s.is_empty()).collect()
}

/// The contents of the file `path`, inside an archive or not.
pub fn read_file(path: &str) -> io::Result<Vec<u8>> {
    match place(path)? {
        Place::File => std::fs::read(path),
        Place::Inside(archive, _, inner) => {
            let want = parts(&inner);
            let entry = archive
                .entries()
                .iter()
                .find(|e| !e.is_dir() && parts(&e.name) == want)
                .ok_or_else(not_found)?;
            archive.read(entry).map_err(invalid)
        }
    }
}

/// The names in the directory `path` (unsorted), inside an archive or not.
pub fn list_dir(path: &str) -> io::Result<Vec<String>> {
    match place(path)? {
        Place::File => std::fs::read_dir(path)?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect(),
        Place::Inside(archive, _, inner) => {
            let dir = parts(&inner);
            let mut found = dir.is_empty();
            let mut names: Vec<String> = Vec::new();
            for e in archive.entries() {
                let p = parts(&e.name);
                if p.len() > dir.len() && p[..dir.len()] == dir[..] {
                    found = true;
                    let name = p[dir.len()];
                    if !names.iter().any(|n| n == name) {
                        names.push(name.to_owned());
                    }
                } else if e.is_dir() && p == dir {
                    found = true;
                }
            }
            if found { Ok(names) } else { Err(not_found()) }
        }
    }
}

/// What a path is, for `read_file_info`.
pub enum Info {
    /// Not inside an archive: the file system answers.
    File,
    /// A directory of the archive at this path that the archive does not list itself (its
    /// top, or one its entries imply): OTP reports the archive file's own information as a
    /// directory's.
    ImpliedDir(String),
    /// An entry the archive lists.
    Entry(Entry),
}

/// What `path` is, or `NotFound`.
pub fn info(path: &str) -> io::Result<Info> {
    match place(path)? {
        Place::File => Ok(Info::File),
        Place::Inside(archive, file, inner) => {
            let want = parts(&inner);
            if want.is_empty() {
                return Ok(Info::ImpliedDir(file));
            }
            if let Some(e) = archive.entries().iter().find(|e| parts(&e.name) == want) {
                return Ok(Info::Entry(e.clone()));
            }
            let implied = archive.entries().iter().any(|e| {
                let p = parts(&e.name);
                p.len() > want.len() && p[..want.len()] == want[..]
            });
            if implied {
                Ok(Info::ImpliedDir(file))
            } else {
                Err(not_found())
            }
        }
    }
}

/// Make `bytes` (a zip archive) the primary archive at `file`, replacing any other. Returns
/// what OTP's `erl_prim_loader` returns for the code path: the archive's absolute path,
/// then each `App/ebin` directory it holds (listed or implied), in the order met.
pub fn set_primary(file: &str, bytes: Vec<u8>) -> Result<Vec<String>, ZipError> {
    let abs = absname(file);
    let real = std::fs::canonicalize(&abs)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| abs.clone());
    let archive = Archive::parse(bytes)?;
    let mut ebins = vec![real.clone()];
    for e in archive.entries() {
        let p = parts(&e.name);
        // `App/ebin`, listed (`App/ebin/`) or implied by an entry under it.
        if p.len() >= 2 && p[1] == "ebin" && (e.is_dir() || p.len() > 2) {
            let ebin = format!("{}/ebin", p[0]);
            if !ebins.contains(&ebin) {
                ebins.push(ebin);
            }
        }
    }
    *PRIMARY.lock().unwrap_or_else(|e| e.into_inner()) = Some(Primary {
        abs,
        real,
        archive: Arc::new(archive),
    });
    Ok(ebins)
}

/// Forget the primary archive; whether there was one.
pub fn clear_primary() -> bool {
    PRIMARY
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .is_some()
}

/// Forget the `.ez` archives read (`erl_prim_loader:purge_archive_cache/0`).
pub fn purge_cache() {
    *CACHE.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

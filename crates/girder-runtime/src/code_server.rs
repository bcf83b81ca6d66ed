//! Finding and loading modules on demand: the code path (`-pa` directories, the current
//! directory, directories inside zip archives: [`crate::archive`]) and `.avm` packs,
//! searched in order, as `erl` searches its code path.

use std::path::PathBuf;
use std::sync::Mutex;

use girder_format::{BeamFile, avm};
use girder_term::Atom;

use crate::loader::{self, LoadError};
use crate::module::{self, Module};

/// One place modules come from.
enum Source {
    /// A directory of `.beam` files.
    Dir(PathBuf),
    /// The modules of an `.avm` pack: (module name, `.beam` bytes), and the pack's path.
    Pack(PathBuf, Vec<(String, Vec<u8>)>),
}

static PATH: Mutex<Vec<Source>> = Mutex::new(Vec::new());
/// Serialises loading so two processes never load the same module twice.
static LOADING: Mutex<()> = Mutex::new(());

/// Add a directory at the front of the code path (`-pa` adds in order, so call in reverse,
/// or use [`add_path_end`]).
pub fn add_path_end(dir: PathBuf) {
    PATH.lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Source::Dir(dir));
}

/// Add an `.avm` pack's modules to the end of the code path.
pub fn add_pack(path: PathBuf) -> Result<(), LoadError> {
    let err = |what: String| LoadError {
        file: path.display().to_string(),
        what,
    };
    let bytes = std::fs::read(&path).map_err(|e| err(e.to_string()))?;
    let pack = avm::parse(&bytes).map_err(|e| err(e.to_string()))?;
    let mut modules = Vec::new();
    for s in pack.sections.iter().filter(|s| s.is_beam()) {
        let beam = s.contents().map_err(|e| err(e.to_string()))?;
        modules.push((s.module_name().to_owned(), beam.to_vec()));
    }
    PATH.lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Source::Pack(path, modules));
    Ok(())
}

/// The loaded module `name`, loading it from the code path if needed. `Ok(None)` when no
/// file provides it (the caller raises `undef`).
pub fn ensure_loaded(name: Atom) -> Result<Option<&'static Module>, LoadError> {
    if let Some(m) = module::loaded(name) {
        return Ok(Some(m));
    }
    let _guard = LOADING.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(m) = module::loaded(name) {
        return Ok(Some(m));
    }
    let found = {
        let path = PATH.lock().unwrap_or_else(|e| e.into_inner());
        let mut found = None;
        for source in path.iter() {
            match source {
                Source::Dir(dir) => {
                    let file = dir.join(format!("{}.beam", name.name()));
                    let file = file.display().to_string();
                    if let Ok(bytes) = crate::archive::read_file(&file) {
                        found = Some((file, bytes));
                        break;
                    }
                }
                Source::Pack(pack, modules) => {
                    if let Some((_, bytes)) = modules.iter().find(|(m, _)| m == name.name()) {
                        found = Some((
                            format!("{}({}.beam)", pack.display(), name.name()),
                            bytes.clone(),
                        ));
                        break;
                    }
                }
            }
        }
        found
    };
    let Some((file, bytes)) = found else {
        return Ok(None);
    };
    load_bytes(&file, &bytes).map(Some)
}

/// Parse and load a module from its bytes.
pub fn load_bytes(file: &str, bytes: &[u8]) -> Result<&'static Module, LoadError> {
    finish(prepare_bytes(file, bytes)?)
}

/// A module translated and not installed yet (`erlang:prepare_loading/2`).
pub struct Prepared {
    /// The module.
    pub module: Module,
    /// Its file.
    pub file: String,
    /// Its `.beam` bytes (for the native-code cache).
    pub bytes: Vec<u8>,
}

/// Parse and translate a module from its bytes without installing it.
pub fn prepare_bytes(file: &str, bytes: &[u8]) -> Result<Prepared, LoadError> {
    let beam = BeamFile::parse_file(bytes, file).map_err(|e| LoadError {
        file: file.to_owned(),
        what: e.to_string(),
    })?;
    let module = loader::prepare(&beam, file)?;
    Ok(Prepared {
        module,
        file: file.to_owned(),
        bytes: bytes.to_vec(),
    })
}

/// Install a prepared module (see [`crate::module::install`]).
pub fn finish(prepared: Prepared) -> Result<&'static Module, LoadError> {
    let module = loader::install(prepared.module, &prepared.file)?;
    if let Some(engine) = crate::engine::native() {
        engine.loaded(module, &prepared.bytes);
    }
    Ok(module)
}

/// Replace the code path's directories by `dirs` (`code:set_path/1` and the other path
/// changes of girder's `code_server`); `.avm` packs stay, searched after them. Modules
/// already loaded stay loaded.
pub fn set_dirs(dirs: Vec<PathBuf>) {
    let mut path = PATH.lock().unwrap_or_else(|e| e.into_inner());
    let packs = path.drain(..).filter(|s| matches!(s, Source::Pack(..)));
    let new: Vec<Source> = dirs.into_iter().map(Source::Dir).chain(packs).collect();
    *path = new;
}

/// The directories of the code path, in search order (packs are not directories and are
/// left out): what girder's `code_server` answers to `code:get_path/0`.
pub fn dirs() -> Vec<PathBuf> {
    PATH.lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter_map(|s| match s {
            Source::Dir(d) => Some(d.clone()),
            Source::Pack(..) => None,
        })
        .collect()
}

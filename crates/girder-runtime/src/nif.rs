//! NIF modules: `erlang:load_nif/2`, the `nif_start` instruction and `-on_load` functions.
//!
//! girder cannot load C libraries; it provides the NIFs of some OTP modules in Rust
//! (`crates/girder-nifs`: `zlib`, `crypto`), registered at start as one [`NifTable`] per
//! module. When a module calls `erlang:load_nif(Path, LoadInfo)`, the table registered
//! under the module's name is bound to it: each function the table names gets its NIF in
//! [`Module::nifs`], by function index. OTP 25's compiler starts every function declared
//! in `-nifs` with `nif_start`; executing it ([`crate::interp`], so both engines: the JIT
//! reaches it through its step helper) calls the bound NIF and returns to the caller, or,
//! with none bound, does nothing, so the Erlang body (usually `erlang:nif_error/1`) runs.
//! A module that predates `-nifs` (OTP's `prim_net`) gets a `nif_start` from the loader at
//! the entry of each function its table names.
//! A module without a table gets `{error, {load_failed, Text}}` as erl answers for a
//! library it cannot open.
//!
//! A module with an `on_load` function is loaded without publishing its exports; the first
//! call into it is redirected to girder's preloaded `girder_on_load:run/3`, which runs the
//! function (through [`on_load_begin`]) and then publishes the exports or unloads the module
//! ([`on_load_end`]), as OTP's code server does.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{LazyLock, Mutex};

use girder_term::Atom;

use crate::bif::BifFn;
use crate::module::{self, Export, Module};

/// One module's NIFs as girder provides them.
pub struct NifTable {
    /// The module they belong to.
    pub module: &'static str,
    /// Whether OTP links them statically and its `init` calls the module's `on_load/0` at
    /// boot (`zlib`): girder then runs that function as the module's `on_load`.
    pub on_load_at_boot: bool,
    /// `(function, arity, implementation)`.
    pub functions: &'static [(&'static str, u32, BifFn)],
    /// Called with `load_nif/2`'s load info once the functions are bound (a C library's
    /// `load` callback): `Err(Text)` fails the load as `{error, {load, Text}}`.
    pub load: Option<LoadFn>,
}

/// A NIF library's `load` callback: the loading process and the load info.
pub type LoadFn = fn(&mut crate::process::Process, girder_term::Term) -> Result<(), String>;

/// A bound NIF: its implementation and the export entry naming it (for stack traces).
#[derive(Clone, Copy)]
pub struct Nif {
    /// What runs.
    pub fun: BifFn,
    /// `Module:Function/Arity` of the function it replaces.
    pub export: &'static Export,
}

static TABLES: LazyLock<Mutex<HashMap<Atom, &'static NifTable>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Make `table` the NIFs `load_nif/2` binds for its module.
pub fn register(table: &'static NifTable) {
    TABLES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(Atom::intern(table.module), table);
}

fn table(module: Atom) -> Option<&'static NifTable> {
    TABLES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&module)
        .copied()
}

/// The NIF table girder provides for `module`, if any.
pub fn registered(module: Atom) -> Option<&'static NifTable> {
    table(module)
}

/// Whether girder runs `module:on_load/0` as the module's `on_load` function.
pub fn runs_on_load_at_boot(module: Atom) -> bool {
    table(module).is_some_and(|t| t.on_load_at_boot)
}

/// Why `load_nif/2` failed: the error kind OTP names (`load_failed`, `bad_lib`, `reload`)
/// and its text.
pub type LoadNifError = (&'static str, String);

/// `erlang:load_nif(Path, LoadInfo)` called by `p` from `module`: bind the module's NIFs,
/// then run the table's `load` callback with `info`.
pub fn load(
    module: &'static Module,
    path: &str,
    p: &mut crate::process::Process,
    info: girder_term::Term,
) -> Result<(), LoadNifError> {
    let Some(table) = table(module.name) else {
        let file = format!("{path}.so");
        let why = if std::path::Path::new(&file).exists() {
            format!(
                "girder cannot load native libraries and has no built-in NIFs for module {}",
                module.name.name()
            )
        } else {
            "cannot open shared object file: No such file or directory".to_owned()
        };
        return Err((
            "load_failed",
            format!("Failed to load NIF library: '{file}: {why}'"),
        ));
    };
    if module.nifs.get().is_some() {
        return Err((
            "reload",
            "NIF library already loaded (reload disallowed since OTP 20).".to_owned(),
        ));
    }
    let mut nifs: Vec<Option<Nif>> = vec![None; module.functions.len()];
    for &(name, arity, fun) in table.functions {
        let found = module
            .functions
            .iter()
            .position(|f| f.function.name() == name && f.arity == arity);
        let Some(i) = found else {
            return Err((
                "bad_lib",
                format!("Function not found {}:{name}/{arity}", module.name.name()),
            ));
        };
        // Only a function compiled to take a NIF (`nif_start` first) can have one.
        let start = module.functions[i].start as usize;
        if !matches!(
            module.code.get(start + 1),
            Some(crate::instr::Instr::NifStart)
        ) {
            return Err((
                "bad_lib",
                format!(
                    "Function not declared as nif {}:{name}/{arity}",
                    module.name.name()
                ),
            ));
        }
        nifs[i] = Some(Nif {
            fun,
            export: module::export(module.name, Atom::intern(name), arity),
        });
    }
    module
        .nifs
        .set(nifs.into_boxed_slice())
        .map_err(|_| ("reload", "NIF library already loaded".to_owned()))?;
    match table.load {
        Some(f) => f(p, info).map_err(|why| ("load", why)),
        None => Ok(()),
    }
}

/// The NIF bound to the function holding instruction `offset`, if any.
#[inline]
pub fn at(module: &Module, offset: usize) -> Option<Nif> {
    let nifs = module.nifs.get()?;
    let f = *module.function_of.get(offset)? as usize;
    nifs.get(f).copied().flatten()
}

/// What `girder_on_load:run/3` learns about a module's `on_load` function.
pub enum OnLoad {
    /// The module is not loaded (its `on_load` failed meanwhile): call again.
    Unloaded,
    /// The function has run and returned `ok`: the exports are published.
    Done,
    /// Another process is running it: wait.
    Running,
    /// This process is to run it, through the export entry given (`Module:'$on_load'/0`,
    /// pointed at the function).
    Run(&'static Export),
}

/// Claim the running of `name`'s `on_load` function.
pub fn on_load_begin(name: Atom) -> OnLoad {
    let Some(m) = module::loaded(name) else {
        return OnLoad::Unloaded;
    };
    let Some(entry) = m.on_load else {
        return OnLoad::Done;
    };
    // AcqRel: the winner sees the module as installed; losers see the final state.
    match m.on_load_state.compare_exchange(
        module::ON_LOAD_PENDING,
        module::ON_LOAD_RUNNING,
        Ordering::AcqRel,
        Ordering::Acquire,
    ) {
        Ok(_) => {
            let e = module::export(name, Atom::intern("$on_load"), 0);
            module::set_target(e, module::Cp::new(m.code_index, entry));
            OnLoad::Run(e)
        }
        Err(module::ON_LOAD_RUNNING) => OnLoad::Running,
        Err(module::ON_LOAD_FAILED) => OnLoad::Unloaded,
        Err(_) => OnLoad::Done,
    }
}

/// The `on_load` function of `name` returned (`ok` says whether it returned `ok`): publish
/// the module's exports, or unload it.
pub fn on_load_end(name: Atom, ok: bool) {
    let Some(m) = module::loaded(name) else {
        return;
    };
    if m.on_load_state.load(Ordering::Acquire) != module::ON_LOAD_RUNNING {
        return;
    }
    if ok {
        module::publish_exports(m);
        m.on_load_state
            .store(module::ON_LOAD_NONE, Ordering::Release);
    } else {
        module::unset_loaded(m);
        m.on_load_state
            .store(module::ON_LOAD_FAILED, Ordering::Release);
    }
}

/// Whether calls into `m` must first run its `on_load` function.
#[inline]
pub fn pending(m: &Module) -> bool {
    m.on_load.is_some() && m.on_load_state.load(Ordering::Acquire) != module::ON_LOAD_NONE
}

//! Loaded code: modules, the export table and the fun table, all shared by every process.
//!
//! Loaded modules are never freed (as with OTP's code until it is purged; purging comes with
//! hot code loading), so instructions, export entries and fun entries are `&'static` and
//! raw pointers to them stay valid for the life of the VM.
//!
//! A *code index* names one loaded module version. A continuation pointer ([`Cp`]) is a code
//! index and an instruction offset packed in one word whose low two bits are `00`, so the GC
//! skips it on the stack.

use std::collections::HashMap;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, OnceLock};

use girder_format::lines::LineTable;
use girder_term::heap::LiteralArea;
use girder_term::object::{ExportIdentity, FunIdentity};
use girder_term::{Atom, Term};

use crate::bif::BifFn;
use crate::instr::{Instr, Label};

/// Most module versions one VM can load (each load of a module takes one).
pub const MAX_CODE: usize = 1 << 16;

static CODE: [AtomicPtr<Module>; MAX_CODE] =
    [const { AtomicPtr::new(std::ptr::null_mut()) }; MAX_CODE];
static NEXT_CODE: Mutex<u32> = Mutex::new(1);

/// A continuation pointer: where execution resumes, as a word with primary tag `00`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(transparent)]
pub struct Cp(pub u64);

impl Cp {
    /// The pointer to `offset` in the module with code index `code`.
    #[inline]
    pub const fn new(code: u32, offset: Label) -> Cp {
        Cp(((code as u64) << 34) | ((offset as u64) << 2))
    }
    /// "Nowhere": returning here ends the process normally.
    pub const NONE: Cp = Cp(0);
    /// The code index.
    #[inline]
    pub const fn code(self) -> u32 {
        (self.0 >> 34) as u32
    }
    /// The instruction offset.
    #[inline]
    pub const fn offset(self) -> Label {
        ((self.0 >> 2) & 0xffff_ffff) as u32
    }
    /// As a stack word.
    #[inline]
    pub const fn to_term(self) -> Term {
        Term(self.0)
    }
    /// From a stack word (which must hold a CP).
    #[inline]
    pub const fn from_term(t: Term) -> Cp {
        Cp(t.0)
    }
}

/// One exported (or imported) function: `module:function/arity`.
///
/// `#[repr(C)]` with the identity first: export terms (`fun M:F/A`) point here, and
/// `girder_term` reads the identity to compare and print them without the runtime.
#[repr(C)]
pub struct Export {
    /// `module:function/arity` (also reachable through `Deref`).
    pub id: ExportIdentity,
    /// Where the function's code starts, or 0 while no loaded module provides it (a
    /// [`Cp`] word; native code reads it at [`EXPORT_TARGET`]).
    target: AtomicU64,
    /// The BIF implementing it, if it is one.
    bif: OnceLock<BifFn>,
    /// Whether calls through it are traced (see [`crate::tracing`]): then `target` is 0,
    /// so that both engines take their slow path, and the code is here.
    traced: std::sync::atomic::AtomicBool,
    /// The target while traced.
    traced_target: AtomicU64,
}

/// Orders changes of an export's tracing with changes of its target.
static TARGETS: Mutex<()> = Mutex::new(());

impl std::fmt::Debug for Export {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}/{}", self.module, self.function, self.arity)
    }
}

// An export *is* its identity plus linkage: let `export.module` read through.
impl std::ops::Deref for Export {
    type Target = ExportIdentity;
    fn deref(&self) -> &ExportIdentity {
        &self.id
    }
}

impl Export {
    /// The code to run, if loaded.
    #[inline]
    pub fn target(&self) -> Option<Cp> {
        // Acquire: pairs with the Release store in `install`, which comes after the
        // module's Release store in `CODE`: whoever sees the target also sees the module.
        match self.target.load(Ordering::Acquire) {
            0 => self.traced_target(),
            t => Some(Cp(t)),
        }
    }

    /// The code a call goes to directly: `None` while not loaded, and while traced (the
    /// caller then goes through [`crate::tracing::call`] and [`Self::traced_target`]).
    #[inline]
    pub fn call_target(&self) -> Option<Cp> {
        // Acquire: see `target`.
        match self.target.load(Ordering::Acquire) {
            0 => None,
            t => Some(Cp(t)),
        }
    }

    /// The code of a traced function (`None` when not traced or not loaded).
    #[inline]
    pub fn traced_target(&self) -> Option<Cp> {
        // Acquire: see `target`; the traced flag is read after the word.
        if !self.traced.load(Ordering::Acquire) {
            return None;
        }
        match self.traced_target.load(Ordering::Acquire) {
            0 => None,
            t => Some(Cp(t)),
        }
    }

    /// Whether calls through this entry are traced.
    pub fn is_traced(&self) -> bool {
        self.traced.load(Ordering::Acquire)
    }

    /// Trace calls through this entry, or stop.
    pub(crate) fn set_traced(&self, on: bool) {
        let _g = TARGETS.lock().unwrap_or_else(|e| e.into_inner());
        if on == self.traced.load(Ordering::Acquire) {
            return;
        }
        // Release (all): pairs with the Acquire loads above.
        if on {
            self.traced_target
                .store(self.target.load(Ordering::Acquire), Ordering::Release);
            self.traced.store(true, Ordering::Release);
            self.target.store(0, Ordering::Release);
        } else {
            self.target.store(
                self.traced_target.load(Ordering::Acquire),
                Ordering::Release,
            );
            self.traced.store(false, Ordering::Release);
            self.traced_target.store(0, Ordering::Release);
        }
    }

    /// Point this entry at `word` (a [`Cp`] word, or 0 for nowhere), or its traced
    /// target while traced.
    fn store_target(&self, word: u64) {
        let _g = TARGETS.lock().unwrap_or_else(|e| e.into_inner());
        // Release: see `target`.
        if self.traced.load(Ordering::Acquire) {
            self.traced_target.store(word, Ordering::Release);
        } else {
            self.target.store(word, Ordering::Release);
        }
    }

    /// The BIF, if this function is one.
    #[inline]
    pub fn bif(&self) -> Option<BifFn> {
        self.bif.get().copied()
    }
}

/// Point `export` at `target` (the hidden entry through which `girder_on_load` calls a
/// module's `on_load` function: see [`crate::nif`]).
pub(crate) fn set_target(export: &Export, target: Cp) {
    export.store_target(target.0);
}

/// The byte offset of an export's target word, for native code.
pub const EXPORT_TARGET: i32 = std::mem::offset_of!(Export, target) as i32;

type ExportTable = HashMap<(Atom, Atom, u32), &'static Export>;

static EXPORTS: LazyLock<Mutex<ExportTable>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// The export entry for `m:f/a`, created (unloaded) if new.
pub fn export(module: Atom, function: Atom, arity: u32) -> &'static Export {
    let mut table = EXPORTS.lock().unwrap_or_else(|e| e.into_inner());
    table.entry((module, function, arity)).or_insert_with(|| {
        Box::leak(Box::new(Export {
            id: ExportIdentity {
                module,
                function,
                arity,
            },
            target: AtomicU64::new(0),
            bif: OnceLock::new(),
            traced: std::sync::atomic::AtomicBool::new(false),
            traced_target: AtomicU64::new(0),
        }))
    })
}

/// The export entry for `m:f/a` if one exists.
pub fn find_export(module: Atom, function: Atom, arity: u32) -> Option<&'static Export> {
    EXPORTS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&(module, function, arity))
        .copied()
}

/// Make `m:f/a` a BIF.
pub fn register_bif(module: Atom, function: Atom, arity: u32, bif: BifFn) {
    let _ = export(module, function, arity).bif.set(bif);
}

/// A fun defined in a loaded module.
///
/// `#[repr(C)]` with the identity first, as `girder_term`'s fun objects require.
#[repr(C)]
#[derive(Debug)]
pub struct FunEntry {
    /// Module, arity, indices and uniq values (also reachable through `Deref`).
    pub id: FunIdentity,
    /// The function implementing the fun (`'-f/1-fun-0-'`).
    pub function: Atom,
    /// Number of free variables.
    pub num_free: u32,
    /// Where its code starts (a [`Cp`] word), or 0 once its module version is purged
    /// (native code reads it at [`FUN_TARGET`]).
    entry: AtomicU64,
}

impl FunEntry {
    /// A new entry for code at `entry`.
    pub(crate) fn new(id: FunIdentity, function: Atom, num_free: u32, entry: Cp) -> FunEntry {
        FunEntry {
            id,
            function,
            num_free,
            entry: AtomicU64::new(entry.0),
        }
    }

    /// Where its code starts; `None` once the module version defining it is purged.
    #[inline]
    pub fn entry(&self) -> Option<Cp> {
        // Acquire: pairs with `install`'s Release stores, as `Export::target`.
        match self.entry.load(Ordering::Acquire) {
            0 => None,
            t => Some(Cp(t)),
        }
    }
}

/// The byte offset of a fun entry's code word, for native code.
pub const FUN_TARGET: i32 = std::mem::offset_of!(FunEntry, entry) as i32;

impl std::ops::Deref for FunEntry {
    type Target = FunIdentity;
    fn deref(&self) -> &FunIdentity {
        &self.id
    }
}

/// Where a function lies in its module's code, for stack traces.
#[derive(Debug, Clone, Copy)]
pub struct FunctionRange {
    /// Name.
    pub function: Atom,
    /// Arity.
    pub arity: u32,
    /// Offset of the function's `FuncInfo` instruction.
    pub start: Label,
    /// One past its last instruction.
    pub end: Label,
}

/// One loaded module version.
pub struct Module {
    /// The module's name.
    pub name: Atom,
    /// Its code index.
    pub code_index: u32,
    /// The instructions.
    pub code: Box<[Instr]>,
    /// Its literals (kept alive as long as the module).
    pub literals: LiteralArea,
    /// Every boxed term the code holds, in the order the loader made them (the `LitT`
    /// literals by index, then the boxed numbers of instruction operands): native code
    /// names its constants by position here, so that it is valid in any run that loads
    /// the same module.
    pub constants: Box<[Term]>,
    /// Functions by code range, sorted by `start`.
    pub functions: Box<[FunctionRange]>,
    /// `(offset, line item)`: the location in effect from `offset` on, sorted.
    pub lines: Box<[(Label, u32)]>,
    /// The line table, for file names and line numbers.
    pub line_table: Option<LineTable>,
    /// The fun entries.
    pub funs: Box<[&'static FunEntry]>,
    /// Exported functions and their entry offsets.
    pub exports: Box<[(Atom, u32, Label)]>,
    /// The entry of the module's `-on_load` function, if it has one (see [`crate::nif`]).
    pub on_load: Option<Label>,
    /// Where the `on_load` function stands: [`ON_LOAD_NONE`] (none, or it returned `ok`:
    /// the exports are published), [`ON_LOAD_PENDING`] (not run yet: the exports are not
    /// published), [`ON_LOAD_RUNNING`], [`ON_LOAD_FAILED`] (the module was unloaded).
    pub on_load_state: std::sync::atomic::AtomicU8,
    /// The NIFs `erlang:load_nif/2` bound, by function index (see [`crate::nif`]).
    pub nifs: OnceLock<Box<[Option<crate::nif::Nif>]>>,
    /// Exported functions whose body only calls `erlang:nif_error`: what OTP implements in
    /// C (its BIFs), left out of `exports`.
    pub bif_stubs: Box<[(Atom, u32)]>,
    /// The string table (`StrT`) that string segments and `bs_match_string` read.
    pub strings: Box<[u8]>,
    /// The `Attr` chunk (for `module_info(attributes)`).
    pub attributes: Option<girder_format::Term>,
    /// The `CInf` chunk (for `module_info(compile)`).
    pub compile_info: Option<girder_format::Term>,
    /// The module's MD5 (`module_info(md5)`, the `uniq` of its funs).
    pub md5: [u8; 16],
    /// Each function's native entry (by index in `functions`), as a JIT publishes it
    /// (see [`crate::engine::native_entry`]).
    pub native: Box<[std::sync::atomic::AtomicUsize]>,
    /// Each function's entries while it is not compiled (a JIT compiles the hot ones).
    pub native_calls: Box<[std::sync::atomic::AtomicU32]>,
    /// For each instruction, the index in `functions` of the function holding it
    /// (`u32::MAX` for none).
    pub function_of: Box<[u32]>,
}

impl Module {
    /// The function containing `offset`.
    pub fn function_at(&self, offset: Label) -> Option<&FunctionRange> {
        let &i = self.function_of.get(offset as usize)?;
        self.functions.get(i as usize)
    }

    /// `(file, line)` of the instruction at `offset`, if the module has line information;
    /// the file is `None` for the module's own source, `<module>.erl`.
    pub fn location_at(&self, offset: Label) -> Option<(Option<&str>, u32)> {
        let i = self.lines.partition_point(|&(o, _)| o <= offset);
        let (_, item) = *self.lines.get(i.checked_sub(1)?)?;
        let table = self.line_table.as_ref()?;
        let loc = table.items.get(item as usize)?;
        if loc.line == 0 {
            return None;
        }
        let file = match table.names.get(loc.file as usize) {
            Some(Some(name)) => Some(name.as_str()),
            _ => None,
        };
        Some((file, loc.line))
    }
}

/// Reserve a code index for a module about to be installed.
pub(crate) fn reserve_code_index() -> Option<u32> {
    let mut next = NEXT_CODE.lock().unwrap_or_else(|e| e.into_inner());
    let i = *next;
    if i as usize >= MAX_CODE {
        return None;
    }
    *next += 1;
    Some(i)
}

/// [`Module::on_load_state`]: no `on_load` function to run (or it returned `ok`).
pub const ON_LOAD_NONE: u8 = 0;
/// [`Module::on_load_state`]: the `on_load` function has not run yet.
pub const ON_LOAD_PENDING: u8 = 1;
/// [`Module::on_load_state`]: a process is running the `on_load` function.
pub const ON_LOAD_RUNNING: u8 = 2;
/// [`Module::on_load_state`]: the `on_load` function failed; the module is unloaded.
pub const ON_LOAD_FAILED: u8 = 3;

/// Why a module version could not be installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallError {
    /// The module has old code that must be purged first (erts' `not_purged`).
    NotPurged,
}

/// Publish a module under its code index and point its exports at it (unless its
/// `on_load` function must run first: then [`publish_exports`] does that when it returns
/// `ok`). A current version of the module becomes its old code (processes running in it
/// go on; its exports the new version lacks point nowhere); when old code exists already,
/// nothing is installed ([`InstallError::NotPurged`]), as in erts.
pub(crate) fn install(module: Module) -> Result<&'static Module, InstallError> {
    let mut versions = VERSIONS.lock().unwrap_or_else(|e| e.into_inner());
    let slot = versions.entry(module.name).or_default();
    if slot.current.is_some() && slot.old.is_some() {
        return Err(InstallError::NotPurged);
    }
    let index = module.code_index as usize;
    let module: &'static Module = Box::leak(Box::new(module));
    // Release: publishes the module's contents to `code`'s Acquire load; before the
    // exports point at it (below), so a target never leads to a missing module.
    CODE[index].store(module as *const Module as *mut Module, Ordering::Release);
    crate::engine::link(module);
    if let Some(previous) = slot.current.take() {
        for &(function, arity, _) in previous.exports.iter() {
            let kept = module
                .exports
                .iter()
                .any(|&(f, a, _)| f == function && a == arity);
            if !kept && let Some(e) = find_export(previous.name, function, arity) {
                e.store_target(0);
            }
        }
        slot.old = Some(previous);
    }
    slot.current = Some(module);
    if module.on_load.is_none() {
        publish_exports(module);
    }
    Ok(module)
}

/// Point the module's export entries at its code.
pub(crate) fn publish_exports(module: &'static Module) {
    for &(function, arity, offset) in module.exports.iter() {
        let e = export(module.name, function, arity);
        e.store_target(Cp::new(module.code_index, offset).0);
    }
}

/// The module with code index `index`.
#[inline]
pub fn code(index: u32) -> Option<&'static Module> {
    // Acquire: pairs with `install`'s Release store (the module's fields are visible).
    let p = CODE.get(index as usize)?.load(Ordering::Acquire);
    // SAFETY: non-null pointers in CODE come from `Box::leak` in `install` and are never freed.
    (!p.is_null()).then(|| unsafe { &*p })
}

/// The current and old versions of one module name.
#[derive(Default, Clone, Copy)]
struct Versions {
    current: Option<&'static Module>,
    old: Option<&'static Module>,
}

static VERSIONS: LazyLock<Mutex<HashMap<Atom, Versions>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The current version of a loaded module.
pub fn loaded(name: Atom) -> Option<&'static Module> {
    VERSIONS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&name)
        .and_then(|v| v.current)
}

/// The old version of a module, if it has one (`erlang:check_old_code/1`).
pub fn old(name: Atom) -> Option<&'static Module> {
    VERSIONS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&name)
        .and_then(|v| v.old)
}

/// The names of every module with current or old code (`erlang:loaded/0`).
pub fn loaded_modules() -> Vec<Atom> {
    VERSIONS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|(_, v)| v.current.is_some() || v.old.is_some())
        .map(|(&name, _)| name)
        .collect()
}

/// What [`delete`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// The current version became old code.
    Done,
    /// The module was never loaded.
    NotLoaded,
    /// Old code exists and must be purged first.
    NotPurged,
}

/// `erlang:delete_module/1`: the current version of `name` becomes old code: its exports
/// point nowhere (the next call loads the module again, or is `undef`), while processes
/// running in it go on.
pub fn delete(name: Atom) -> Deleted {
    let mut versions = VERSIONS.lock().unwrap_or_else(|e| e.into_inner());
    let Some(slot) = versions.get_mut(&name) else {
        return Deleted::NotLoaded;
    };
    if slot.old.is_some() {
        return Deleted::NotPurged;
    }
    // A module loaded once and deleted or purged since is still known: deleting it again
    // succeeds, as in erts (whose module entries stay).
    let Some(module) = slot.current else {
        return Deleted::Done;
    };
    for &(function, arity, _) in module.exports.iter() {
        if let Some(e) = find_export(module.name, function, arity) {
            e.store_target(0);
        }
    }
    slot.current = None;
    slot.old = Some(module);
    Deleted::Done
}

/// Purge the old code of `name`: it is forgotten, and its funs point nowhere (calling one
/// is `badfun`, or goes through the error handler, as in erts). The instructions stay in
/// memory (loaded code is never freed), so a process still running them is not harmed,
/// but the code server kills every such process first. False when there is no old code.
pub fn purge(name: Atom) -> bool {
    let mut versions = VERSIONS.lock().unwrap_or_else(|e| e.into_inner());
    let Some(old) = versions.get_mut(&name).and_then(|v| v.old.take()) else {
        return false;
    };
    for f in old.funs.iter() {
        // Release: see `FunEntry::entry`.
        f.entry.store(0, Ordering::Release);
    }
    true
}

/// Forget `module` as the current version of its name (its `on_load` function failed, so
/// OTP unloads it: the next call loads it again).
pub(crate) fn unset_loaded(module: &'static Module) {
    let mut versions = VERSIONS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(v) = versions.get_mut(&module.name)
        && v.current.is_some_and(|m| m.code_index == module.code_index)
    {
        v.current = None;
    }
}

/// Stub fun entries, one per identity (see [`stub_fun`]).
type StubFuns = HashMap<(Atom, u32, u32, [u8; 16], u32), &'static FunEntry>;

static STUB_FUNS: LazyLock<Mutex<StubFuns>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// The entry of a fun of a module that is not loaded here, or whose loaded version has no
/// such fun (what erts makes when such a fun arrives from another node): without code, so
/// a call runs the same fun of the module's current version once one is loaded, or goes to
/// `error_handler:undefined_lambda/3`, which loads the module (see the interpreter's
/// `purged_fun_target`). One entry per identity, so two copies of a fun compare equal.
pub fn stub_fun(id: FunIdentity, num_free: u32) -> &'static FunEntry {
    let key = (id.module, id.index, id.arity, id.uniq, num_free);
    let mut stubs = STUB_FUNS.lock().unwrap_or_else(|e| e.into_inner());
    stubs.entry(key).or_insert_with(|| {
        Box::leak(Box::new(FunEntry::new(
            id,
            Atom::UNDEFINED,
            num_free,
            Cp::NONE,
        )))
    })
}

//! What the two engines share: the native-code context, the one list of runtime helpers
//! native code calls, and the hook through which a JIT (crate `girder-jit`) plugs in.
//!
//! Instruction semantics live once, in the interpreter's `step` and the functions it calls.
//! Native code does the simple instructions inline and calls [`Helper::Step`] for the rest:
//! that helper executes exactly one instruction with the interpreter's code, then tells
//! native code where to go on. So the two engines cannot disagree about what an instruction
//! means; the JIT only decides which instructions are worth doing inline.
//!
//! Helpers are reached through [`NativeCtx::helpers`], a table, never by absolute address,
//! so native code is position independent (and can be cached).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};

use girder_term::Term;
use girder_term::heap::Alloc;

use crate::interp::{self, Outcome};
use crate::module::{self, Cp, Module};
use crate::process::Process;

/// What a native function returns to the engine loop that called it.
pub mod status {
    /// Control left the function: go on at `Process::resume`, in whichever engine has it.
    pub const LEFT: u64 = 0;
    /// The slice ended: the outcome is in [`NativeCtx::outcome`](super::NativeCtx).
    pub const STOP: u64 = 1;
    /// Reductions ran out: `Process::resume` and `live_x` are set; the slice ends in a yield.
    pub const YIELD: u64 = 2;
    /// `Process::resume` is not an entry of the native function: interpret from there.
    pub const INTERPRET: u64 = 3;
}

/// What [`Helper::Step`] returns when execution does not simply go on in the same module:
/// a non-negative result is the offset of the next instruction.
pub mod step {
    /// Control left for `Process::resume` (another module, a catch handler...).
    pub const LEFT: i64 = -1;
    /// The slice ended: the outcome is in the context.
    pub const STOP: i64 = -2;
}

/// The state native code runs with: one per time slice, made by the engine loop.
///
/// Native code reads the first fields at fixed offsets ([`ctx_offsets`]); the rest is for
/// the helpers.
#[repr(C)]
pub struct NativeCtx {
    /// The running process.
    pub process: *mut Process,
    /// Its X registers (the scheduler thread's set, stable for the whole slice).
    pub x: *mut Term,
    /// Its float registers.
    pub fr: *mut f64,
    /// The runtime helpers, indexed by [`Helper`].
    pub helpers: *const HelperFn,
    /// The module whose code is running.
    pub module: *const Module,
    /// How the slice ended, when a native function returns [`status::STOP`].
    pub outcome: Option<Outcome>,
}

/// Byte offsets in [`NativeCtx`] for code generators.
pub mod ctx_offsets {
    use super::NativeCtx;
    /// `process`.
    pub const PROCESS: i32 = std::mem::offset_of!(NativeCtx, process) as i32;
    /// `x`.
    pub const X: i32 = std::mem::offset_of!(NativeCtx, x) as i32;
    /// `fr`.
    pub const FR: i32 = std::mem::offset_of!(NativeCtx, fr) as i32;
    /// `helpers`.
    pub const HELPERS: i32 = std::mem::offset_of!(NativeCtx, helpers) as i32;
    /// `module`.
    pub const MODULE: i32 = std::mem::offset_of!(NativeCtx, module) as i32;
}

/// Byte offsets in [`Process`] that native code reads or writes directly.
pub mod process_offsets {
    use crate::process::Process;
    /// `reductions` (`i64`).
    pub const REDUCTIONS: i32 = std::mem::offset_of!(Process, reductions) as i32;
    /// `cp` (a [`Cp`](crate::module::Cp) word).
    pub const CP: i32 = std::mem::offset_of!(Process, cp) as i32;
    /// `resume` (a [`Cp`](crate::module::Cp) word).
    pub const RESUME: i32 = std::mem::offset_of!(Process, resume) as i32;
    /// `live_x` (`u32`).
    pub const LIVE_X: i32 = std::mem::offset_of!(Process, live_x) as i32;
    /// `stack_low` (`usize`).
    pub const STACK_LOW: i32 = std::mem::offset_of!(Process, stack_low) as i32;
    /// The stack's buffer pointer.
    pub const STACK_PTR: i32 =
        (std::mem::offset_of!(Process, stack) + girder_term::stack::offsets::PTR) as i32;
    /// The stack's length in words.
    pub const STACK_LEN: i32 =
        (std::mem::offset_of!(Process, stack) + girder_term::stack::offsets::LEN) as i32;
    /// The stack's capacity in words.
    pub const STACK_CAP: i32 =
        (std::mem::offset_of!(Process, stack) + girder_term::stack::offsets::CAP) as i32;
    /// The young heap block's first word.
    pub const HEAP_PTR: i32 =
        (std::mem::offset_of!(Process, heap) + girder_term::heap::offsets::YOUNG_PTR) as i32;
    /// The young heap block's length in words.
    pub const HEAP_LEN: i32 =
        (std::mem::offset_of!(Process, heap) + girder_term::heap::offsets::YOUNG_LEN) as i32;
    /// The young heap block's top in words.
    pub const HEAP_TOP: i32 =
        (std::mem::offset_of!(Process, heap) + girder_term::heap::offsets::YOUNG_TOP) as i32;
    /// The heap's GC-stress flag (a byte).
    pub const GC_STRESS: i32 =
        (std::mem::offset_of!(Process, heap) + girder_term::heap::offsets::GC_STRESS) as i32;
    /// `recv_pos` (`usize`).
    pub const RECV_POS: i32 = std::mem::offset_of!(Process, recv_pos) as i32;
}

/// Every runtime helper has this one signature: the context and two word arguments, one
/// word back (what each means is on its [`Helper`] variant).
pub type HelperFn = unsafe extern "C" fn(ctx: *mut NativeCtx, a: u64, b: u64) -> i64;

macro_rules! helpers {
    ($($(#[$doc:meta])* $name:ident => $func:path,)*) => {
        /// The runtime helpers native code may call, by index in [`HELPERS`].
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        #[repr(u32)]
        pub enum Helper { $($(#[$doc])* $name,)* }

        /// The helper table, in [`Helper`] order.
        pub static HELPERS: [HelperFn; [$(Helper::$name),*].len()] = [$($func),*];

        impl Helper {
            /// Every helper, in table order.
            pub const ALL: &'static [Helper] = &[$(Helper::$name),*];
            /// The helper's name (for listings and perf maps).
            pub fn name(self) -> &'static str {
                match self { $(Helper::$name => stringify!($name),)* }
            }
        }
    };
}

helpers! {
    /// `Step(offset, _)`: execute the instruction at `offset` of the running module with the
    /// interpreter's code. Returns the next offset, or a [`step`] code.
    Step => step_at,
    /// `Alloc(words, _)`: allocate on the process heap when the young block is full
    /// (a fragment; never collects). Returns the address.
    Alloc => alloc_slow,
    /// `Gc(need, live)`: collect garbage keeping X registers `0..live`, so that `need` words
    /// fit; then the `max_heap_size` check. Returns 0, or [`step::STOP`].
    Gc => gc,
    /// `PeekMessage(_, _)`: `loop_rec`'s message ([`Process::peek_message`]), or 0 when
    /// there is none.
    PeekMessage => peek_message,
}

/// The context's process.
///
/// # Safety
/// `ctx` is the live context the engine loop passed to native code.
unsafe fn ctx_parts<'a>(ctx: *mut NativeCtx) -> (&'a mut NativeCtx, &'a mut Process) {
    // SAFETY: the engine loop made `ctx` for this slice and holds the process exclusively
    // for its duration; native code passes the pointer through unchanged.
    unsafe {
        let c = &mut *ctx;
        let p = &mut *c.process;
        (c, p)
    }
}

/// Instructions native code ran through the step helper, by kind, when profiling
/// (`GIRDER_JIT_STATS=2`): where an inline fast path would pay.
pub mod step_profile {
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Whether the step helper counts (set once at start-up).
    pub static ON: AtomicBool = AtomicBool::new(false);
    /// Whether it counts each instruction whole, with its function (`GIRDER_JIT_STATS=3`),
    /// rather than by kind.
    pub static WHOLE: AtomicBool = AtomicBool::new(false);
    static COUNTS: Mutex<Option<HashMap<String, u64>>> = Mutex::new(None);

    pub(super) fn count(module: &crate::module::Module, offset: usize, ins: &crate::instr::Instr) {
        let name = format!("{ins:?}");
        if WHOLE.load(Ordering::Relaxed) {
            let f = module.function_at(offset as u32);
            let at = f.map_or(String::new(), |f| {
                format!("{}:{}/{} ", module.name, f.function, f.arity)
            });
            bump(format!("{at}{name}"));
            return;
        }
        let kind = name
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .next()
            .unwrap_or("")
            .to_string();
        let kind = match ins {
            crate::instr::Instr::Bif { export, .. }
            | crate::instr::Instr::GcBif { export, .. }
            | crate::instr::Instr::CallExt { export, .. }
            | crate::instr::Instr::CallExtLast { export, .. }
            | crate::instr::Instr::CallExtOnly { export, .. } => {
                format!(
                    "{kind} {}:{}/{}",
                    export.module, export.function, export.arity
                )
            }
            _ => kind,
        };
        bump(kind);
    }

    fn bump(kind: String) {
        let mut counts = COUNTS.lock().unwrap_or_else(|e| e.into_inner());
        *counts
            .get_or_insert_with(HashMap::new)
            .entry(kind)
            .or_insert(0) += 1;
    }

    /// The counts, most frequent first, one `kind count` per line.
    pub fn report() -> String {
        if !ON.load(Ordering::Relaxed) {
            return String::new();
        }
        let counts = COUNTS.lock().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<_> = counts.iter().flatten().collect();
        v.sort_by(|a, b| b.1.cmp(a.1));
        v.iter().map(|(k, n)| format!("step {k} {n}\n")).collect()
    }
}

unsafe extern "C" fn step_at(ctx: *mut NativeCtx, offset: u64, _: u64) -> i64 {
    // SAFETY: called by native code with its context.
    let (c, p) = unsafe { ctx_parts(ctx) };
    // SAFETY: the engine loop points `module` at a loaded module (never freed).
    let module: &'static Module = unsafe { &*c.module };
    if step_profile::ON.load(std::sync::atomic::Ordering::Relaxed)
        && let Some(ins) = module.code.get(offset as usize)
    {
        step_profile::count(module, offset as usize, ins);
    }
    match interp::step_one(p, module, offset as usize) {
        Ok(next) => next as i64,
        Err(None) => step::LEFT,
        Err(Some(outcome)) => {
            c.outcome = Some(outcome);
            step::STOP
        }
    }
}

unsafe extern "C" fn alloc_slow(ctx: *mut NativeCtx, words: u64, _: u64) -> i64 {
    // SAFETY: called by native code with its context.
    let (_, p) = unsafe { ctx_parts(ctx) };
    p.heap.alloc(words as usize) as i64
}

unsafe extern "C" fn gc(ctx: *mut NativeCtx, need: u64, live: u64) -> i64 {
    // SAFETY: called by native code with its context.
    let (c, p) = unsafe { ctx_parts(ctx) };
    match interp::collect(p, need as usize, live as usize) {
        None => 0,
        Some(outcome) => {
            c.outcome = Some(outcome);
            step::STOP
        }
    }
}

unsafe extern "C" fn peek_message(ctx: *mut NativeCtx, _: u64, _: u64) -> i64 {
    // SAFETY: called by native code with its context.
    let (_, p) = unsafe { ctx_parts(ctx) };
    // No term is the word 0 (its primary tag would be a header's).
    p.peek_message().map_or(0, |m| m.0 as i64)
}

/// What native code needs to enter a function of any loaded module directly (a call
/// through an export, a return to another module): one `#[repr(C)]` row per code index,
/// written once when the module is installed, before any export or continuation pointer
/// can lead to it (native code reads it through an address that depends on the code
/// index it loaded, so it never sees a row half-written).
#[repr(C)]
pub struct NativeLink {
    /// The module's `function_of` table (null: no module under this code index).
    pub function_of: AtomicPtr<u32>,
    /// Its length (the module's instruction count).
    pub code_len: AtomicU64,
    /// The module's `native` entries, by function index.
    pub native: AtomicPtr<AtomicUsize>,
    /// Their count.
    pub functions: AtomicU64,
    /// The module itself (for [`NativeCtx::module`]).
    pub module: AtomicPtr<Module>,
}

/// The links, by code index.
pub static LINKS: [NativeLink; module::MAX_CODE] = [const {
    NativeLink {
        function_of: AtomicPtr::new(std::ptr::null_mut()),
        code_len: AtomicU64::new(0),
        native: AtomicPtr::new(std::ptr::null_mut()),
        functions: AtomicU64::new(0),
        module: AtomicPtr::new(std::ptr::null_mut()),
    }
}; module::MAX_CODE];

/// Byte offsets in [`NativeLink`] (and its size) for code generators.
pub mod link_offsets {
    use super::NativeLink;
    /// `function_of`.
    pub const FUNCTION_OF: i32 = std::mem::offset_of!(NativeLink, function_of) as i32;
    /// `code_len`.
    pub const CODE_LEN: i32 = std::mem::offset_of!(NativeLink, code_len) as i32;
    /// `native`.
    pub const NATIVE: i32 = std::mem::offset_of!(NativeLink, native) as i32;
    /// `functions`.
    pub const FUNCTIONS: i32 = std::mem::offset_of!(NativeLink, functions) as i32;
    /// `module`.
    pub const MODULE: i32 = std::mem::offset_of!(NativeLink, module) as i32;
    /// The size of a row.
    pub const SIZE: i64 = std::mem::size_of::<NativeLink>() as i64;
}

/// Fill the link row of `module` (at install, before its exports point at it).
pub(crate) fn link(module: &'static Module) {
    let row = &LINKS[module.code_index as usize];
    // Release throughout: the row is published with the stores that follow (the
    // module's exports), and readers depend on the code index by address.
    row.module
        .store(module as *const Module as *mut Module, Ordering::Release);
    row.native.store(
        module.native.as_ptr() as *mut AtomicUsize,
        Ordering::Release,
    );
    row.functions
        .store(module.native.len() as u64, Ordering::Release);
    row.code_len
        .store(module.function_of.len() as u64, Ordering::Release);
    row.function_of
        .store(module.function_of.as_ptr() as *mut u32, Ordering::Release);
}

/// Why a native engine gave a time slice back.
pub enum NativeExit {
    /// The slice ended.
    Outcome(Outcome),
    /// The code at `Process::resume` has no native version: interpret it.
    Interpret,
}

/// A native-code engine (the JIT).
pub trait NativeEngine: Sync + Send {
    /// Run `p` from `p.resume` (registers prepared, reductions set) until the slice ends or
    /// control reaches code it has no native version of.
    fn run(&self, p: &mut Process) -> NativeExit;

    /// Whether native code should take over at `offset` of `module` (a local call the
    /// interpreter is about to make): true when the function there is compiled, or has
    /// just been because it is called often.
    fn takes(&self, module: &'static Module, offset: u32) -> bool;

    /// `module` was just loaded from `bytes` (a native-code cache installs what it holds
    /// for it).
    fn loaded(&self, module: &'static Module, bytes: &[u8]) {
        let _ = (module, bytes);
    }
}

static NATIVE: OnceLock<&'static dyn NativeEngine> = OnceLock::new();

/// Make `engine` run every module from now on (`-emu_flavor jit`). Call once, at boot.
pub fn install_native(engine: &'static dyn NativeEngine) {
    let _ = NATIVE.set(engine);
}

/// The native engine, when one is installed.
#[inline]
pub fn native() -> Option<&'static dyn NativeEngine> {
    NATIVE.get().copied()
}

/// `erlang:system_info(emu_flavor)`: `jit` when native code runs, else `emu`.
pub fn flavor() -> &'static str {
    if native().is_some() { "jit" } else { "emu" }
}

/// The native entry of a module's function `index`, as the JIT published it: 0 while not
/// compiled, [`NATIVE_REFUSED`] or [`NATIVE_QUEUED`] (values below [`NATIVE_MIN`] are
/// states, not addresses).
pub fn native_entry(module: &Module, index: usize) -> usize {
    // Acquire: pairs with the Release in `publish_native`, so the code bytes written before
    // the entry was published are visible to this thread before it jumps there.
    module.native[index].load(Ordering::Acquire)
}

/// Marks a function the JIT could not compile: it is interpreted.
pub const NATIVE_REFUSED: usize = 1;
/// Marks a function waiting for the background compiler: interpreted until then.
pub const NATIVE_QUEUED: usize = 2;
/// Marks a function whose native code is in the native-code cache, installed on its first
/// entry.
pub const NATIVE_CACHED: usize = 3;
/// Native entries are at least this (code is 16-byte aligned); smaller values are states.
pub const NATIVE_MIN: usize = 16;

/// Publish the native entry (or state) of function `index`.
pub fn publish_native(module: &Module, index: usize, entry: usize) {
    // Release: the compiled code (written through another mapping, caches cleaned) happens
    // before any thread that reads this entry with Acquire.
    module.native[index].store(entry, Ordering::Release);
}

/// Move function `index` from `from` to `to` if no other thread did first.
pub fn claim_native(module: &Module, index: usize, from: usize, to: usize) -> bool {
    let slot: &AtomicUsize = &module.native[index];
    // AcqRel: the winner's later publication is ordered after this claim; losers see the
    // winner's state.
    slot.compare_exchange(from, to, Ordering::AcqRel, Ordering::Acquire)
        .is_ok()
}

/// A continuation pointer for `offset` in `module` (as native code computes it).
pub fn cp_of(module: &Module, offset: u32) -> Cp {
    Cp::new(module.code_index, offset)
}

/// The module with code index `index` (re-exported for engines).
pub fn module_at(index: u32) -> Option<&'static Module> {
    module::code(index)
}

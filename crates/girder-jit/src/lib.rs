//! girder's JIT: each BEAM function compiled to native code with Cranelift, on its first
//! call ("compile on lookup"), and run by the engine loop here, which plugs into the runtime
//! through [`girder_runtime::engine::NativeEngine`].
//!
//! - [`codegen`]: one BEAM function to one native function (inline fast paths, the shared
//!   step helper for everything else).
//! - [`memory`]: executable memory (dual-mapped, never writable and executable at once).
//! - This file: the ISA, the engine loop, lazy compilation, statistics and the report.

pub mod cache;
pub mod codegen;
pub mod memory;
pub mod reloc;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use cranelift_codegen::isa::{OwnedTargetIsa, TargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use girder_runtime::engine::{
    self, HELPERS, NATIVE_REFUSED, NativeCtx, NativeEngine, NativeExit, status,
};
use girder_runtime::interp::Outcome;
use girder_runtime::module::Module;
use girder_runtime::process::Process;

/// The ISAs native code is made for: the host's.
pub(crate) fn host_isas() -> Result<&'static Isas, String> {
    static ISAS: OnceLock<Result<Isas, String>> = OnceLock::new();
    ISAS.get_or_init(|| isa_for(None))
        .as_ref()
        .map_err(|e| e.clone())
}

/// The host's ISA for ordinary functions.
pub(crate) fn host_isa() -> Result<&'static OwnedTargetIsa, String> {
    host_isas().map(|i| &i.normal)
}

/// Functions longer than this (in BEAM instructions) are compiled with Cranelift's
/// single-pass register allocator: the default one's time grows faster than linearly
/// with the function (`unicode_util:unicode_table/1`, 14,000 instructions, took 20 s), the
/// single-pass one's does not, at the price of larger code for these rare giants (mostly
/// generated lookup tables, seldom hot).
pub const LARGE_FUNCTION: usize = 2000;

/// A target's Cranelift ISAs: one for ordinary functions, one for very large ones.
pub struct Isas {
    normal: OwnedTargetIsa,
    large: OwnedTargetIsa,
}

impl Isas {
    /// The ISA to compile a function of `instructions` BEAM instructions with.
    pub fn pick(&self, instructions: usize) -> &dyn TargetIsa {
        if instructions > LARGE_FUNCTION {
            &*self.large
        } else {
            &*self.normal
        }
    }
}

/// The Cranelift ISAs for `triple` (the host's when `None`), with girder's settings.
pub fn isa_for(triple: Option<&str>) -> Result<Isas, String> {
    Ok(Isas {
        normal: one_isa(triple, None)?,
        large: one_isa(triple, Some("single_pass"))?,
    })
}

fn one_isa(triple: Option<&str>, regalloc: Option<&str>) -> Result<OwnedTargetIsa, String> {
    let mut flags = settings::builder();
    let opt = std::env::var("GIRDER_JIT_OPT").unwrap_or_else(|_| "none".into());
    flags.set("opt_level", &opt).map_err(|e| e.to_string())?;
    // Cranelift's tail calls (one compiled function ending in a jump to another) need
    // frame pointers.
    flags
        .set("preserve_frame_pointers", "true")
        .map_err(|e| e.to_string())?;
    if let Some(alg) = std::env::var("GIRDER_JIT_REGALLOC")
        .ok()
        .or(regalloc.map(str::to_owned))
    {
        flags
            .set("regalloc_algorithm", &alg)
            .map_err(|e| e.to_string())?;
    }
    flags
        .set(
            "enable_verifier",
            // GIRDER_JIT_VERIFY=0 or 1 decides; unset, debug builds verify.
            match std::env::var("GIRDER_JIT_VERIFY").as_deref() {
                Ok("0") => "false",
                Ok(_) => "true",
                Err(_) if cfg!(debug_assertions) => "true",
                Err(_) => "false",
            },
        )
        .map_err(|e| e.to_string())?;
    let builder = match triple {
        None => cranelift_native::builder().map_err(|e| e.to_string())?,
        Some(t) => {
            let triple: target_lexicon::Triple = t.parse().map_err(|e| format!("{t}: {e}"))?;
            cranelift_codegen::isa::lookup(triple).map_err(|e| e.to_string())?
        }
    };
    builder
        .finish(settings::Flags::new(flags))
        .map_err(|e| e.to_string())
}

/// Whether the JIT can run on this machine.
pub fn supported() -> bool {
    host_isa().is_ok() && enter_fn().is_ok()
}

/// Install the JIT as the engine for every module (`-emu_flavor jit`). False when Cranelift
/// cannot generate code for this machine (girder then interprets).
pub fn install() -> bool {
    if !supported() {
        return false;
    }
    static JIT: Jit = Jit;
    engine::install_native(&JIT);
    true
}

/// Counters of what the JIT did (for `GIRDER_JIT_STATS` and reports).
pub struct Stats {
    /// Functions compiled.
    pub functions: AtomicU64,
    /// BEAM instructions compiled.
    pub instructions: AtomicU64,
    /// Of those, with an inline fast path.
    pub inline: AtomicU64,
    /// Native bytes produced.
    pub bytes: AtomicU64,
    /// Time spent compiling, in nanoseconds.
    pub nanos: AtomicU64,
    /// Functions Cranelift refused (interpreted instead).
    pub refused: AtomicU64,
}

/// What this VM compiled so far.
pub static STATS: Stats = Stats {
    functions: AtomicU64::new(0),
    instructions: AtomicU64::new(0),
    inline: AtomicU64::new(0),
    bytes: AtomicU64::new(0),
    nanos: AtomicU64::new(0),
    refused: AtomicU64::new(0),
};

impl Stats {
    /// One line for standard error.
    pub fn summary(&self) -> String {
        let f = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let instrs = f(&self.instructions).max(1);
        format!(
            "girder jit: {} functions compiled ({} refused, {} interpreted only), {} instructions ({} inline), {} bytes ({:.1} per instruction), {:.1} ms",
            f(&self.functions),
            f(&self.refused),
            interpreted_only(),
            f(&self.instructions),
            f(&self.inline),
            f(&self.bytes),
            f(&self.bytes) as f64 / instrs as f64,
            f(&self.nanos) as f64 / 1e6,
        )
    }
}

/// Functions that ran but have no native code (not hot enough, refused, or still queued):
/// the interpreter ran every entry into them.
fn interpreted_only() -> usize {
    let mut n = 0;
    let mut index = 0;
    let mut misses = 0;
    // Code indices are handed out in order; stop after a long run of unused ones.
    while misses < 64 && (index as usize) < girder_runtime::module::MAX_CODE {
        match engine::module_at(index) {
            Some(m) => {
                misses = 0;
                n += (0..m.functions.len())
                    .filter(|&i| {
                        let e = engine::native_entry(m, i);
                        let entered = m.native_calls[i].load(Ordering::Relaxed) > 0;
                        (entered && e < engine::NATIVE_MIN) || e == NATIVE_REFUSED
                    })
                    .count();
            }
            None => misses += 1,
        }
        index += 1;
    }
    n
}

/// Compiles serialise: two threads entering the same new function compile it once.
static COMPILING: Mutex<()> = Mutex::new(());

/// The index in `module.functions` of the function holding `offset`.
fn function_index(module: &Module, offset: u32) -> Option<usize> {
    let &i = module.function_of.get(offset as usize)?;
    ((i as usize) < module.functions.len()).then_some(i as usize)
}

/// `codegen::compile`, with a panic in the code generator turned into a refusal (the
/// function is then interpreted) rather than the end of the VM.
pub(crate) fn compile_guarded(
    isas: &Isas,
    module: &Module,
    index: usize,
) -> Result<codegen::Compiled, String> {
    let range = &module.functions[index];
    let isa = isas.pick((range.end - range.start) as usize);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        codegen::compile(isa, module, range)
    }))
    .unwrap_or_else(|_| Err("the code generator panicked".into()))
}

/// Compile one function to code in memory: its address.
fn compile_one(isas: &Isas, module: &Module, index: usize) -> Result<usize, String> {
    let t = Instant::now();
    let c = compile_guarded(isas, module, index)?;
    let addr = install_code(&c, module)?;
    STATS.functions.fetch_add(1, Ordering::Relaxed);
    STATS
        .instructions
        .fetch_add(c.instructions as u64, Ordering::Relaxed);
    STATS.inline.fetch_add(c.inline as u64, Ordering::Relaxed);
    STATS
        .bytes
        .fetch_add(c.code.len() as u64, Ordering::Relaxed);
    STATS
        .nanos
        .fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
    if cache::enabled() {
        cache::compiled(module, index, c);
    }
    Ok(addr)
}

/// Copy a compiled function into executable memory, its relocations patched for
/// `module`: its address.
pub(crate) fn install_code(c: &codegen::Compiled, module: &Module) -> Result<usize, String> {
    let mut bytes = c.code.clone();
    reloc::apply(&mut bytes, &c.relocs, &c.syms, module)?;
    Ok(memory::install(&bytes)? as usize)
}

/// Entries into a function before it is compiled: `GIRDER_JIT_THRESHOLD`. 0 compiles each
/// function on its first call, on the calling thread (what the tests use, so that every
/// function they run is native); N > 0 queues a function for the background compiler at
/// its Nth entry, and the interpreter runs it meanwhile.
fn threshold() -> u32 {
    static T: OnceLock<u32> = OnceLock::new();
    *T.get_or_init(|| {
        std::env::var("GIRDER_JIT_THRESHOLD")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_THRESHOLD)
    })
}

/// Most of what the kernel boot runs is run a few times only: compiling it would cost more
/// than interpreting it (about 30 µs per BEAM instruction today), and a short program should
/// not wait for the compiler. Hot functions reach this within microseconds.
const DEFAULT_THRESHOLD: u32 = 100;

/// The native entry of function `index` if it has one; else 0 (interpret it), after
/// counting the entry and, once it is hot, compiling it (or queueing it).
fn entry_of(module: &'static Module, index: usize) -> usize {
    let mut e = engine::native_entry(module, index);
    if e == engine::NATIVE_CACHED {
        e = cache::install_cached(module, index);
    }
    if e >= engine::NATIVE_MIN {
        return e;
    }
    if e != 0 {
        return 0;
    }
    let t = threshold();
    if t == 0 {
        return compile_now(module, index);
    }
    let calls = module.native_calls[index].fetch_add(1, Ordering::Relaxed) + 1;
    if calls >= t && engine::claim_native(module, index, 0, engine::NATIVE_QUEUED) {
        background::queue(module, index);
    }
    0
}

/// Compile function `index` on this thread (unless another did): its entry, or 0.
fn compile_now(module: &'static Module, index: usize) -> usize {
    let _one = COMPILING.lock().unwrap_or_else(|e| e.into_inner());
    let e = engine::native_entry(module, index);
    if e != 0 {
        return if e >= engine::NATIVE_MIN { e } else { 0 };
    }
    let e = compile_and_publish(module, index);
    if e >= engine::NATIVE_MIN { e } else { 0 }
}

/// Compile and publish function `index` (its entry, or `NATIVE_REFUSED`).
fn compile_and_publish(module: &'static Module, index: usize) -> usize {
    let addr = match host_isas().and_then(|isas| compile_one(isas, module, index)) {
        Ok(a) => a,
        Err(err) => {
            STATS.refused.fetch_add(1, Ordering::Relaxed);
            if std::env::var_os("GIRDER_JIT_DEBUG").is_some() {
                let f = &module.functions[index];
                eprintln!(
                    "girder jit: {}:{}/{} not compiled: {err}",
                    module.name, f.function, f.arity
                );
            }
            NATIVE_REFUSED
        }
    };
    perf_map::record(module, index, addr);
    engine::publish_native(module, index, addr);
    addr
}

/// The background compiler: one thread, started on first use, compiling queued functions
/// in order while the interpreter runs them.
mod background {
    use std::collections::VecDeque;
    use std::sync::{Condvar, Mutex, Once};

    use girder_runtime::module::Module;

    static QUEUE: Mutex<VecDeque<(&'static Module, usize)>> = Mutex::new(VecDeque::new());
    static READY: Condvar = Condvar::new();
    static START: Once = Once::new();

    pub(super) fn queue(module: &'static Module, index: usize) {
        START.call_once(|| {
            let spawned = std::thread::Builder::new()
                .name("girder-jit".into())
                .spawn(run);
            if let Err(e) = spawned {
                eprintln!("girder: cannot start the JIT compiler thread: {e}");
            }
        });
        QUEUE
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back((module, index));
        READY.notify_one();
    }

    fn run() {
        loop {
            let (module, index) = {
                let mut q = QUEUE.lock().unwrap_or_else(|e| e.into_inner());
                loop {
                    if let Some(job) = q.pop_front() {
                        break job;
                    }
                    q = READY.wait(q).unwrap_or_else(|e| e.into_inner());
                }
            };
            let _one = super::COMPILING.lock().unwrap_or_else(|e| e.into_inner());
            super::compile_and_publish(module, index);
        }
    }
}

/// The entry trampoline, as Rust calls it: `(ctx, function, offset) -> status`.
type EnterFn = unsafe extern "C" fn(ctx: *mut NativeCtx, function: usize, offset: u64) -> u64;

/// The entry trampoline (see [`codegen::entry_trampoline`]), made once.
fn enter_fn() -> Result<EnterFn, String> {
    static ENTER: OnceLock<Result<usize, String>> = OnceLock::new();
    let addr = ENTER
        .get_or_init(|| {
            let isa = host_isa()?;
            let code = codegen::entry_trampoline(&**isa)?;
            Ok(memory::install(&code)? as usize)
        })
        .clone()?;
    // SAFETY: the address is code made by `entry_trampoline` with this signature, in
    // executable memory that is never freed.
    Ok(unsafe { std::mem::transmute::<usize, EnterFn>(addr) })
}

struct Jit;

impl NativeEngine for Jit {
    fn run(&self, p: &mut Process) -> NativeExit {
        let Ok(enter) = enter_fn() else {
            return NativeExit::Interpret;
        };
        let mut ctx = NativeCtx {
            process: p,
            x: p.x.as_mut_ptr(),
            fr: p.fr.as_mut_ptr(),
            helpers: HELPERS.as_ptr(),
            module: std::ptr::null(),
            outcome: None,
        };
        loop {
            // SAFETY: `ctx.process` is `p`, held exclusively for this slice; native code
            // and helpers only use it between the calls below.
            let resume = unsafe { (*ctx.process).resume };
            let Some(module) = engine::module_at(resume.code()) else {
                return NativeExit::Outcome(Outcome::Fault("no code to run".into()));
            };
            let offset = resume.offset();
            let Some(index) = function_index(module, offset) else {
                return NativeExit::Interpret;
            };
            let entry = entry_of(module, index);
            if entry == 0 {
                return NativeExit::Interpret;
            }
            ctx.module = module;
            // SAFETY: `entry` is the address of a function `codegen::compile` made, installed
            // in executable memory that is never freed; the context is valid for the call
            // (see above); native code keeps the invariants in `codegen`'s docs.
            match unsafe { enter(&mut ctx, entry, u64::from(offset)) } {
                status::LEFT => continue,
                status::YIELD => return NativeExit::Outcome(Outcome::Yield),
                status::INTERPRET => return NativeExit::Interpret,
                _ => {
                    let o = ctx.outcome.take().unwrap_or_else(|| {
                        Outcome::Fault("native code stopped without an outcome".into())
                    });
                    return NativeExit::Outcome(o);
                }
            }
        }
    }

    fn loaded(&self, module: &'static Module, bytes: &[u8]) {
        cache::loaded(module, bytes);
    }

    fn takes(&self, module: &'static Module, offset: u32) -> bool {
        function_index(module, offset).is_some_and(|i| entry_of(module, i) != 0)
    }
}

/// `+JPperf`: tell `perf` what the native code is.
///
/// - `map`: `/tmp/perf-PID.map`, naming each compiled function `M:F/A`, so `perf report`
///   names it.
/// - `dump`: `/tmp/jit-PID.dump` in perf's jitdump format, holding each function's name,
///   address and code bytes, so that after `perf record -k mono` and `perf inject --jit`,
///   `perf annotate` shows native code instruction by instruction, as erl's `+JPperf dump`.
///
/// `true` is both.
pub mod perf_map {
    use std::io::Write;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    use girder_runtime::module::Module;

    static ON: AtomicBool = AtomicBool::new(false);
    static FILE: Mutex<Option<std::fs::File>> = Mutex::new(None);
    static DUMP: Mutex<Option<Dump>> = Mutex::new(None);

    /// The jitdump file and the number of the next code record.
    struct Dump {
        file: std::fs::File,
        index: u64,
    }

    /// jitdump's magic ("JiTD" as a little-endian word), version and record kind.
    const JITDUMP_MAGIC: u32 = 0x4A69_5444;
    const JITDUMP_VERSION: u32 = 1;
    const JIT_CODE_LOAD: u32 = 0;

    /// Start writing the map (`map`), the dump (`dump`), or both.
    pub fn enable(map: bool, dump: bool) -> std::io::Result<()> {
        if map {
            let path = format!("/tmp/perf-{}.map", std::process::id());
            let f = std::fs::File::create(path)?;
            *FILE.lock().unwrap_or_else(|e| e.into_inner()) = Some(f);
        }
        if dump {
            *DUMP.lock().unwrap_or_else(|e| e.into_inner()) = Some(open_dump()?);
        }
        ON.store(true, Ordering::Release);
        Ok(())
    }

    /// CLOCK_MONOTONIC in nanoseconds (what `perf record -k mono` stamps samples with).
    fn now_ns() -> u64 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        (ts.tv_sec as u64) * 1_000_000_000 + ts.tv_nsec as u64
    }

    fn elf_machine() -> u32 {
        match std::env::consts::ARCH {
            "x86_64" => 62,
            "aarch64" => 183,
            "riscv64" => 243,
            _ => 0,
        }
    }

    fn open_dump() -> std::io::Result<Dump> {
        let pid = std::process::id();
        let path = format!("/tmp/jit-{pid}.dump");
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&path)?;
        let mut h = Vec::with_capacity(40);
        h.extend_from_slice(&JITDUMP_MAGIC.to_le_bytes());
        h.extend_from_slice(&JITDUMP_VERSION.to_le_bytes());
        h.extend_from_slice(&40u32.to_le_bytes()); // header size
        h.extend_from_slice(&elf_machine().to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes()); // padding
        h.extend_from_slice(&pid.to_le_bytes());
        h.extend_from_slice(&now_ns().to_le_bytes());
        h.extend_from_slice(&0u64.to_le_bytes()); // flags
        file.write_all(&h)?;
        // perf finds the dump through this mapping's mmap event (it must be executable).
        use std::os::fd::AsRawFd;
        // SAFETY: a fresh private read-exec mapping of one page of a file this process
        // owns; it is never accessed, only left in place for perf to see.
        let m = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_EXEC,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if m == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Dump { file, index: 0 })
    }

    pub(crate) fn enabled() -> bool {
        ON.load(Ordering::Acquire)
    }

    pub(crate) fn record(module: &Module, index: usize, addr: usize) {
        if !ON.load(Ordering::Acquire) || addr <= girder_runtime::engine::NATIVE_REFUSED {
            return;
        }
        let f = &module.functions[index];
        let len = super::memory::code_len(addr);
        let name = format!("{}:{}/{}", module.name, f.function, f.arity);
        if let Some(file) = FILE.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            let _ = writeln!(file, "{addr:x} {len:x} {name}");
        }
        if let Some(d) = DUMP.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            // SAFETY: `addr` is the entry of installed native code `len` bytes long, which
            // is never unmapped or rewritten while the VM runs.
            let code = unsafe { std::slice::from_raw_parts(addr as *const u8, len) };
            let total = 16 + 4 + 4 + 8 * 4 + name.len() + 1 + len;
            let mut r = Vec::with_capacity(total);
            r.extend_from_slice(&JIT_CODE_LOAD.to_le_bytes());
            r.extend_from_slice(&(total as u32).to_le_bytes());
            r.extend_from_slice(&now_ns().to_le_bytes());
            r.extend_from_slice(&std::process::id().to_le_bytes());
            // SAFETY: gettid has no preconditions.
            let tid = unsafe { libc::gettid() } as u32;
            r.extend_from_slice(&tid.to_le_bytes());
            r.extend_from_slice(&(addr as u64).to_le_bytes()); // vma
            r.extend_from_slice(&(addr as u64).to_le_bytes()); // code address
            r.extend_from_slice(&(len as u64).to_le_bytes());
            r.extend_from_slice(&d.index.to_le_bytes());
            r.extend_from_slice(name.as_bytes());
            r.push(0);
            r.extend_from_slice(code);
            d.index += 1;
            let _ = d.file.write_all(&r);
        }
    }
}

/// What compiling a set of modules gave (`girder jit --report`).
#[derive(Default, Debug)]
pub struct Report {
    /// Modules compiled.
    pub modules: usize,
    /// Functions in them.
    pub functions: usize,
    /// Functions compiled to native code.
    pub compiled: usize,
    /// `(module:function/arity, why)` for each function not compiled.
    pub failures: Vec<(String, String)>,
    /// BEAM instructions compiled.
    pub instructions: usize,
    /// Of those, with an inline fast path.
    pub inline: usize,
    /// Native bytes.
    pub bytes: usize,
    /// Time spent compiling.
    pub time: Duration,
}

/// Compile every function of `module` for `isas` (the host's when `None`), without
/// installing anything.
pub fn report_module(module: &Module, isas: Option<&Isas>, report: &mut Report) {
    let isas = match isas {
        Some(i) => i,
        None => match host_isas() {
            Ok(i) => i,
            Err(e) => {
                report.failures.push((module.name.to_string(), e));
                return;
            }
        },
    };
    report.modules += 1;
    for f in module.functions.iter() {
        report.functions += 1;
        let t = Instant::now();
        let isa = isas.pick((f.end - f.start) as usize);
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            codegen::compile(isa, module, f)
        }))
        .unwrap_or_else(|_| Err("the code generator panicked".into()))
        {
            Ok(c) => {
                report.compiled += 1;
                report.instructions += c.instructions;
                report.inline += c.inline;
                report.bytes += c.code.len();
            }
            Err(e) => report
                .failures
                .push((format!("{}:{}/{}", module.name, f.function, f.arity), e)),
        }
        report.time += t.elapsed();
    }
}

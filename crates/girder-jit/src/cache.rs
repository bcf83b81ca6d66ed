//! The native-code cache: compiled functions kept on disk, so that the next run that loads
//! the same module installs them instead of compiling.
//!
//! - **Where:** `GIRDER_CACHE_DIR` (empty: no cache), else `$XDG_CACHE_HOME/girder`, else
//!   `~/.cache/girder`.
//! - **Key:** one file per module, named by the SHA-256 of girder's build identity (this
//!   executable's version, inode, size and modification time; the target ISA and its flags;
//!   the JIT's options) and the module's bytes. Another build, ISA or module is another
//!   file.
//! - **When:** at module load the entry, if any, is read and each function in it installed
//!   (its relocations patched for this run: see [`crate::reloc`]). Functions compiled
//!   during the run are added to the module's entry, written when the VM stops.
//! - **Trust nothing read back:** an entry is a header (magic, format version, build
//!   identity, module digest, payload length and SHA-256) and the payload; anything that
//!   does not check out whole, or names a function or symbol the module does not have, is
//!   ignored (and replaced at the next save). Writes go to a temporary file renamed into
//!   place, so concurrent VMs never see half an entry.
//! - **Size:** after a save, entries beyond [`MAX_BYTES`] in total are removed, least
//!   recently used first (a hit refreshes an entry's modification time).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use girder_runtime::engine;
use girder_runtime::module::Module;
use sha2::{Digest, Sha256};

use crate::codegen::Compiled;
use crate::reloc::{Reloc, Sym};

/// The first bytes of every entry.
const MAGIC: &[u8; 8] = b"GIRDNC\0\x01";
/// Bytes of the header: magic, build identity, module digest, payload length, payload
/// digest.
const HEADER: usize = 8 + 32 + 32 + 8 + 32;
/// The cache's size bound (`GIRDER_CACHE_MAX_MB` changes it).
pub const MAX_BYTES: u64 = 256 << 20;

/// What the cache did in this run (for `GIRDER_JIT_STATS`).
pub struct CacheStats {
    /// Functions installed from the cache.
    pub functions: AtomicU64,
    /// Modules with an entry that was used.
    pub hits: AtomicU64,
    /// Modules with no usable entry.
    pub misses: AtomicU64,
    /// Entries found but refused (corrupt, truncated, stale, foreign).
    pub rejected: AtomicU64,
    /// Entries written.
    pub written: AtomicU64,
}

/// This run's cache counters.
pub static STATS: CacheStats = CacheStats {
    functions: AtomicU64::new(0),
    hits: AtomicU64::new(0),
    misses: AtomicU64::new(0),
    rejected: AtomicU64::new(0),
    written: AtomicU64::new(0),
};

impl CacheStats {
    /// One line for standard error.
    pub fn summary(&self) -> String {
        let f = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "girder cache: {} functions loaded from {} entries ({} modules missed, {} entries rejected, {} written)",
            f(&self.functions),
            f(&self.hits),
            f(&self.misses),
            f(&self.rejected),
            f(&self.written),
        )
    }
}

/// The cache directory, or `None` when the cache is off.
pub fn dir() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(d) = std::env::var_os("GIRDER_CACHE_DIR") {
            return (!d.is_empty()).then(|| PathBuf::from(d));
        }
        if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|x| !x.is_empty()) {
            return Some(PathBuf::from(x).join("girder"));
        }
        let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
        Some(PathBuf::from(home).join(".cache").join("girder"))
    })
    .as_deref()
}

/// What identifies the code this build makes for this machine: entries made under another
/// identity are never used.
pub fn build_id() -> Option<&'static [u8; 32]> {
    static ID: OnceLock<Option<[u8; 32]>> = OnceLock::new();
    ID.get_or_init(|| {
        use std::os::unix::fs::MetadataExt;
        // Opened, not stat'ed by path: under qemu-user the open is of the guest's
        // executable, a stat of the path would describe qemu's.
        let exe = std::fs::File::open("/proc/self/exe")
            .ok()?
            .metadata()
            .ok()?;
        let isa = crate::host_isa().ok()?;
        let mut h = Sha256::new();
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        for n in [
            exe.dev(),
            exe.ino(),
            exe.size(),
            exe.mtime() as u64,
            exe.mtime_nsec() as u64,
        ] {
            h.update(n.to_le_bytes());
        }
        h.update(isa.triple().to_string().as_bytes());
        h.update(isa.flags().to_string().as_bytes());
        for f in isa.isa_flags() {
            h.update(f.to_string().as_bytes());
        }
        // GIRDER_GC_STRESS: code compiled without it leaves out the stress test.
        for var in ["GIRDER_JIT_OPT", "GIRDER_JIT_REGALLOC", "GIRDER_GC_STRESS"] {
            h.update(var.as_bytes());
            h.update(std::env::var(var).unwrap_or_default().as_bytes());
        }
        Some(h.finalize().into())
    })
    .as_ref()
}

/// A module the cache knows: its entry's file and the functions to keep in it.
struct Record {
    module: &'static Module,
    digest: [u8; 32],
    file: PathBuf,
    /// Function index to its compiled form.
    functions: HashMap<u32, Compiled>,
    /// Functions were compiled since the entry was read.
    dirty: bool,
}

/// The modules loaded in this run with the cache on, by code index.
static RECORDS: Mutex<Vec<Record>> = Mutex::new(Vec::new());

fn records() -> std::sync::MutexGuard<'static, Vec<Record>> {
    RECORDS.lock().unwrap_or_else(|e| e.into_inner())
}

/// A module was loaded from `bytes`: install what its entry holds, and remember the module
/// so that what is compiled for it is saved.
pub fn loaded(module: &'static Module, bytes: &[u8]) {
    let (Some(dir), Some(id)) = (dir(), build_id()) else {
        return;
    };
    let (digest, name) = entry_name(id, bytes);
    let file = dir.join(name);
    let mut functions = HashMap::new();
    match std::fs::read(&file) {
        Ok(data) => match decode(&data, id, &digest) {
            Ok(fs) => {
                let marked = mark_cached(module, fs, &mut functions);
                if marked.is_ok() {
                    STATS.hits.fetch_add(1, Ordering::Relaxed);
                    touch(&file);
                } else {
                    STATS.rejected.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(why) => {
                STATS.rejected.fetch_add(1, Ordering::Relaxed);
                if std::env::var_os("GIRDER_JIT_DEBUG").is_some() {
                    eprintln!("girder cache: {} ignored: {why}", file.display());
                }
            }
        },
        Err(_) => {
            STATS.misses.fetch_add(1, Ordering::Relaxed);
        }
    }
    records().push(Record {
        module,
        digest,
        file,
        functions,
        dirty: false,
    });
}

/// The module digest and entry file name for a module's bytes under build `id`.
fn entry_name(id: &[u8; 32], bytes: &[u8]) -> ([u8; 32], String) {
    let digest: [u8; 32] = Sha256::digest(bytes).into();
    let mut key = Sha256::new();
    key.update(id);
    key.update(digest);
    let hex: String = key.finalize().iter().map(|b| format!("{b:02x}")).collect();
    (digest, format!("{hex}.gnc"))
}

/// Ahead of time (`girder aot`): compile every function of `module`, loaded from `bytes`,
/// and write its entry into `dir` (the cache directory when `None`). The number of
/// functions compiled, or why not.
pub fn precompile(module: &Module, bytes: &[u8], dir: Option<&Path>) -> Result<usize, String> {
    let id = build_id().ok_or("no build identity (cannot read /proc/self/exe)")?;
    let dir = dir
        .or(self::dir())
        .ok_or("the cache is off (GIRDER_CACHE_DIR is empty) and no --out was given")?;
    let isas = crate::host_isas()?;
    let mut functions = HashMap::new();
    for index in 0..module.functions.len() {
        let c = crate::compile_guarded(isas, module, index).map_err(|e| {
            let f = &module.functions[index];
            format!("{}:{}/{}: {e}", module.name, f.function, f.arity)
        })?;
        functions.insert(index as u32, c);
    }
    let (digest, name) = entry_name(id, bytes);
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let data = encode(id, &digest, &functions);
    write_atomically(dir, &dir.join(name), &data).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(functions.len())
}

/// Check an entry's functions against `module` and mark each one's slot as cached (still
/// empty slots only). One function that does not fit rejects the whole entry: it was made
/// for another module or is damaged.
fn mark_cached(
    module: &'static Module,
    fs: Vec<(u32, Compiled)>,
    keep: &mut HashMap<u32, Compiled>,
) -> Result<(), String> {
    for (index, c) in &fs {
        let range = module
            .functions
            .get(*index as usize)
            .ok_or_else(|| format!("no function {index}"))?;
        if (range.end - range.start) as usize != c.instructions {
            return Err(format!("function {index} has another length"));
        }
    }
    for (index, c) in fs {
        engine::claim_native(module, index as usize, 0, engine::NATIVE_CACHED);
        keep.insert(index, c);
    }
    Ok(())
}

/// Install the cached native code of function `index` of `module` (its slot says
/// [`engine::NATIVE_CACHED`]): its entry; 0 when the cached code does not install (the
/// slot is then empty again, and the function is compiled as if never cached).
pub(crate) fn install_cached(module: &'static Module, index: usize) -> usize {
    let rs = records();
    let found = rs
        .iter()
        .rev()
        .find(|r| std::ptr::eq(r.module, module))
        .and_then(|r| r.functions.get(&(index as u32)));
    let installed = found
        .ok_or_else(String::new)
        .and_then(|c| crate::install_code(c, module));
    drop(rs);
    match installed {
        Ok(addr) if engine::claim_native(module, index, engine::NATIVE_CACHED, addr) => {
            crate::perf_map::record(module, index, addr);
            STATS.functions.fetch_add(1, Ordering::Relaxed);
            addr
        }
        // Another thread installed it first (its copy is used; this one stays unused).
        Ok(_) => engine::native_entry(module, index),
        Err(why) => {
            if std::env::var_os("GIRDER_JIT_DEBUG").is_some() {
                let f = &module.functions[index];
                eprintln!(
                    "girder cache: {}:{}/{} not installed: {why}",
                    module.name, f.function, f.arity
                );
            }
            engine::claim_native(module, index, engine::NATIVE_CACHED, 0);
            0
        }
    }
}

/// Function `index` of `module` was compiled: keep it for the module's entry.
pub(crate) fn compiled(module: &Module, index: usize, c: Compiled) {
    let mut rs = records();
    if let Some(r) = rs.iter_mut().rev().find(|r| std::ptr::eq(r.module, module)) {
        r.functions.insert(index as u32, c);
        r.dirty = true;
    }
}

/// Whether compiled functions should be handed to [`compiled`].
pub(crate) fn enabled() -> bool {
    dir().is_some() && build_id().is_some()
}

/// Write the entries of modules that gained functions in this run (at VM exit).
pub fn save() {
    let (Some(dir), Some(id)) = (dir(), build_id()) else {
        return;
    };
    let mut rs = records();
    let dirty: Vec<&mut Record> = rs.iter_mut().filter(|r| r.dirty).collect();
    if dirty.is_empty() {
        return;
    }
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    for r in dirty {
        let data = encode(id, &r.digest, &r.functions);
        if write_atomically(dir, &r.file, &data).is_ok() {
            STATS.written.fetch_add(1, Ordering::Relaxed);
            r.dirty = false;
        }
    }
    drop(rs);
    evict(dir);
}

/// Write `data` to `file` through a temporary file in `dir` renamed over it.
fn write_atomically(dir: &Path, file: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let tmp = dir.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        std::fs::rename(&tmp, file)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Mark an entry as just used (eviction removes the least recently used).
fn touch(file: &Path) {
    if let Ok(f) = std::fs::File::options().append(true).open(file) {
        let _ = f.set_modified(std::time::SystemTime::now());
    }
}

/// The size bound in bytes.
fn max_bytes() -> u64 {
    std::env::var("GIRDER_CACHE_MAX_MB")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(MAX_BYTES, |mb| mb << 20)
}

/// Remove the least recently used entries while the cache is over its bound.
fn evict(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<(std::time::SystemTime, u64, PathBuf)> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "gnc"))
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            Some((m.modified().ok()?, m.len(), e.path()))
        })
        .collect();
    let mut total: u64 = entries.iter().map(|e| e.1).sum();
    let bound = max_bytes();
    if total <= bound {
        return;
    }
    entries.sort();
    for (_, len, path) in entries {
        if total <= bound {
            break;
        }
        if std::fs::remove_file(&path).is_ok() {
            total -= len;
        }
    }
}

/// What `girder cache info` and `verify` report about one directory.
#[derive(Debug, Default)]
pub struct DirReport {
    /// Entries (files ending `.gnc`).
    pub entries: usize,
    /// Their total size.
    pub bytes: u64,
    /// Functions in the entries that check out.
    pub functions: usize,
    /// Entries that do not check out (damaged, or not girder's), by file.
    pub bad: Vec<(PathBuf, String)>,
}

/// Read every entry in `dir` and check its framing and checksum (not its build identity:
/// entries of other builds are valid, only unused here).
pub fn verify(dir: &Path) -> std::io::Result<DirReport> {
    let mut report = DirReport::default();
    for e in std::fs::read_dir(dir)? {
        let path = e?.path();
        if path.extension().is_none_or(|x| x != "gnc") {
            continue;
        }
        let data = std::fs::read(&path)?;
        report.entries += 1;
        report.bytes += data.len() as u64;
        let id: [u8; 32] = data
            .get(8..40)
            .and_then(|s| s.try_into().ok())
            .unwrap_or([0; 32]);
        let digest: [u8; 32] = data
            .get(40..72)
            .and_then(|s| s.try_into().ok())
            .unwrap_or([0; 32]);
        match decode(&data, &id, &digest) {
            Ok(fs) => report.functions += fs.len(),
            Err(why) => report.bad.push((path, why)),
        }
    }
    Ok(report)
}

/// Remove every entry in `dir` (and stray temporary files): how many files went.
pub fn clear(dir: &Path) -> std::io::Result<usize> {
    let mut n = 0;
    for e in std::fs::read_dir(dir)? {
        let path = e?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".gnc") || name.starts_with(".tmp-") {
            std::fs::remove_file(&path)?;
            n += 1;
        }
    }
    Ok(n)
}

// ---- The entry format (little-endian) ----
//
// header:   MAGIC, build id [32], module digest [32], payload length u64, payload SHA-256 [32]
// payload:  function count u32, then per function:
//           index u32, instructions u32, inline u32, code length u32, code,
//           symbol count u32, symbols, relocation count u32, relocations (offset u32, symbol
//           u32, addend i64)
// symbol:   tag u8 (0 CodeWord, 1 CodeIndex, 2 FunctionOf, 3 Natives, 4 Links, 5 Export,
//           6 Atom, 7 Constant, 8 CatchBase), then for Export three fields (string, string, u32), for
//           Atom a string, for Constant a u32; a string is its length u32 and UTF-8 bytes.

fn encode(id: &[u8; 32], digest: &[u8; 32], functions: &HashMap<u32, Compiled>) -> Vec<u8> {
    let mut p = Vec::new();
    let put32 = |p: &mut Vec<u8>, n: u32| p.extend_from_slice(&n.to_le_bytes());
    let put_str = |p: &mut Vec<u8>, s: &str| {
        p.extend_from_slice(&(s.len() as u32).to_le_bytes());
        p.extend_from_slice(s.as_bytes());
    };
    let mut order: Vec<&u32> = functions.keys().collect();
    order.sort();
    put32(&mut p, order.len() as u32);
    for &index in order {
        let c = &functions[&index];
        put32(&mut p, index);
        put32(&mut p, c.instructions as u32);
        put32(&mut p, c.inline as u32);
        put32(&mut p, c.code.len() as u32);
        p.extend_from_slice(&c.code);
        put32(&mut p, c.syms.len() as u32);
        for s in &c.syms {
            match s {
                Sym::CodeWord => p.push(0),
                Sym::CodeIndex => p.push(1),
                Sym::FunctionOf => p.push(2),
                Sym::Natives => p.push(3),
                Sym::Links => p.push(4),
                Sym::CatchBase => p.push(8),
                Sym::Export(m, f, a) => {
                    p.push(5);
                    put_str(&mut p, m);
                    put_str(&mut p, f);
                    put32(&mut p, *a);
                }
                Sym::Atom(a) => {
                    p.push(6);
                    put_str(&mut p, a);
                }
                Sym::Constant(n) => {
                    p.push(7);
                    put32(&mut p, *n);
                }
            }
        }
        put32(&mut p, c.relocs.len() as u32);
        for r in &c.relocs {
            put32(&mut p, r.offset);
            put32(&mut p, r.sym);
            p.extend_from_slice(&r.addend.to_le_bytes());
        }
    }
    let mut out = Vec::with_capacity(HEADER + p.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(id);
    out.extend_from_slice(digest);
    out.extend_from_slice(&(p.len() as u64).to_le_bytes());
    out.extend_from_slice(&Sha256::digest(&p));
    out.extend_from_slice(&p);
    out
}

/// A bounds-checked reader over an entry's payload.
struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| format!("truncated at byte {}", self.at))?;
        let s = &self.data[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.bytes(4)?.try_into().unwrap_or([0; 4]),
        ))
    }
    fn i64(&mut self) -> Result<i64, String> {
        Ok(i64::from_le_bytes(
            self.bytes(8)?.try_into().unwrap_or([0; 8]),
        ))
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.bytes(1)?[0])
    }
    fn string(&mut self) -> Result<String, String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.bytes(n)?.to_vec()).map_err(|_| "a name is not UTF-8".into())
    }
    /// A count of items each at least `min` bytes long (so a damaged count cannot make
    /// the reader allocate more than the entry holds).
    fn count(&mut self, min: usize) -> Result<usize, String> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min) > self.data.len() - self.at {
            return Err(format!("count {n} larger than the entry"));
        }
        Ok(n)
    }
}

/// The functions an entry holds, if it checks out whole for build `id` and a module with
/// SHA-256 `digest`.
fn decode(data: &[u8], id: &[u8; 32], digest: &[u8; 32]) -> Result<Vec<(u32, Compiled)>, String> {
    if data.len() < HEADER {
        return Err("shorter than a header".into());
    }
    if &data[..8] != MAGIC {
        return Err("not a girder cache entry (or another format version)".into());
    }
    if &data[8..40] != id {
        return Err("made by another build".into());
    }
    if &data[40..72] != digest {
        return Err("made for another module".into());
    }
    let len = u64::from_le_bytes(data[72..80].try_into().unwrap_or([0; 8]));
    let payload = &data[HEADER..];
    if payload.len() as u64 != len {
        return Err(format!(
            "payload is {} bytes, header says {len}",
            payload.len()
        ));
    }
    if Sha256::digest(payload).as_slice() != &data[80..112] {
        return Err("checksum mismatch".into());
    }
    let mut r = Reader {
        data: payload,
        at: 0,
    };
    let n = r.count(20)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let index = r.u32()?;
        let instructions = r.u32()? as usize;
        let inline = r.u32()? as usize;
        let code_len = r.u32()? as usize;
        let code = r.bytes(code_len)?.to_vec();
        let nsyms = r.count(1)?;
        let mut syms = Vec::with_capacity(nsyms);
        for _ in 0..nsyms {
            syms.push(match r.u8()? {
                0 => Sym::CodeWord,
                1 => Sym::CodeIndex,
                2 => Sym::FunctionOf,
                3 => Sym::Natives,
                4 => Sym::Links,
                5 => Sym::Export(r.string()?, r.string()?, r.u32()?),
                6 => Sym::Atom(r.string()?),
                7 => Sym::Constant(r.u32()?),
                8 => Sym::CatchBase,
                t => return Err(format!("unknown symbol tag {t}")),
            });
        }
        let nrelocs = r.count(16)?;
        let mut relocs = Vec::with_capacity(nrelocs);
        for _ in 0..nrelocs {
            let offset = r.u32()?;
            let sym = r.u32()?;
            let addend = r.i64()?;
            if sym as usize >= syms.len() || offset as usize + 8 > code.len() {
                return Err(format!("relocation out of range in function {index}"));
            }
            relocs.push(Reloc {
                offset,
                sym,
                addend,
            });
        }
        out.push((
            index,
            Compiled {
                code,
                relocs,
                syms,
                instructions,
                inline,
            },
        ));
    }
    if r.at != payload.len() {
        return Err("bytes after the last function".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> HashMap<u32, Compiled> {
        let mut m = HashMap::new();
        m.insert(
            3,
            Compiled {
                code: vec![0x90; 32],
                relocs: vec![Reloc {
                    offset: 4,
                    sym: 1,
                    addend: 12,
                }],
                syms: vec![
                    Sym::CodeWord,
                    Sym::Export("lists".into(), "reverse".into(), 2),
                    Sym::Atom("héllo".into()),
                    Sym::Constant(7),
                ],
                instructions: 5,
                inline: 4,
            },
        );
        m
    }

    #[test]
    fn round_trip() {
        let (id, digest) = ([1; 32], [2; 32]);
        let data = encode(&id, &digest, &sample());
        let fs = decode(&data, &id, &digest).unwrap();
        assert_eq!(fs.len(), 1);
        let (i, c) = &fs[0];
        assert_eq!(*i, 3);
        assert_eq!(c.code, vec![0x90; 32]);
        assert_eq!(c.syms, sample()[&3].syms);
        assert_eq!(c.relocs, sample()[&3].relocs);
    }

    #[test]
    fn damage_is_refused() {
        let (id, digest) = ([1; 32], [2; 32]);
        let data = encode(&id, &digest, &sample());
        // Every flipped byte, every truncation: refused, never a panic.
        for i in 0..data.len() {
            let mut d = data.clone();
            d[i] ^= 0x40;
            assert!(decode(&d, &id, &digest).is_err(), "flip at {i}");
        }
        for n in 0..data.len() {
            assert!(
                decode(&data[..n], &id, &digest).is_err(),
                "truncated to {n}"
            );
        }
        assert!(decode(&data, &[9; 32], &digest).is_err());
        assert!(decode(&data, &id, &[9; 32]).is_err());
    }
}

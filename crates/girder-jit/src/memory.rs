//! Executable memory for compiled functions.
//!
//! Code is never writable and executable at the same address: each chunk is one memory file
//! (`memfd_create`) mapped twice, once read-write (where the compiler copies code) and once
//! read-execute (where it runs). Other threads may be running code in a chunk while new
//! code is appended to it, which a single mapping flipped with `mprotect` would not allow.
//! Code is never freed (as loaded modules are not, until purging exists).

use std::sync::Mutex;

/// Bytes per chunk (a function larger than this gets a chunk of its own size).
const CHUNK: usize = 4 << 20;

struct Chunk {
    write: *mut u8,
    exec: *const u8,
    len: usize,
    used: usize,
}

// SAFETY: the pointers are to mappings owned by the chunk, used only under the allocator's
// mutex (writes) or read-only (execution).
unsafe impl Send for Chunk {}

static CHUNKS: Mutex<Vec<Chunk>> = Mutex::new(Vec::new());

/// Total bytes of code written so far.
pub fn code_bytes() -> usize {
    CHUNKS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|c| c.used)
        .sum()
}

fn new_chunk(len: usize) -> Result<Chunk, String> {
    let len = len.next_multiple_of(page_size());
    if super::perf_map::enabled() {
        return new_anonymous_chunk(len);
    }
    // SAFETY: plain system calls on a file descriptor this function owns; every result is
    // checked before use, and the descriptor is closed once both mappings exist (they keep
    // the memory alive).
    unsafe {
        let fd = libc::memfd_create(c"girder-jit".as_ptr(), libc::MFD_CLOEXEC);
        if fd < 0 {
            return Err(format!("memfd_create: {}", std::io::Error::last_os_error()));
        }
        if libc::ftruncate(fd, len as libc::off_t) != 0 {
            let e = std::io::Error::last_os_error();
            libc::close(fd);
            return Err(format!("ftruncate: {e}"));
        }
        let write = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd,
            0,
        );
        let exec = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_EXEC,
            libc::MAP_SHARED,
            fd,
            0,
        );
        libc::close(fd);
        if write == libc::MAP_FAILED || exec == libc::MAP_FAILED {
            return Err(format!("mmap: {}", std::io::Error::last_os_error()));
        }
        Ok(Chunk {
            write: write.cast(),
            exec: exec.cast(),
            len,
            used: 0,
        })
    }
}

/// With `+JPperf`, one anonymous read-write-execute mapping: `perf` reads symbols from
/// `/tmp/perf-PID.map` only for anonymous memory (a memory file's mapping is looked up as a
/// file). Profiling trades the W^X split for names in the profile.
fn new_anonymous_chunk(len: usize) -> Result<Chunk, String> {
    // SAFETY: an anonymous private mapping with no address hint; the result is checked.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(format!("mmap: {}", std::io::Error::last_os_error()));
    }
    Ok(Chunk {
        write: p.cast(),
        exec: p.cast(),
        len,
        used: 0,
    })
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if n > 0 { n as usize } else { 4096 }
}

/// Sizes of installed code by address (for perf maps).
static SIZES: Mutex<Vec<(usize, usize)>> = Mutex::new(Vec::new());

/// The size of the code installed at `addr` (0 if unknown).
pub fn code_len(addr: usize) -> usize {
    SIZES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .rev()
        .find(|(a, _)| *a == addr)
        .map_or(0, |(_, n)| *n)
}

/// Copy `code` into executable memory; its executable address.
pub fn install(code: &[u8]) -> Result<*const u8, String> {
    let mut chunks = CHUNKS.lock().unwrap_or_else(|e| e.into_inner());
    let fits = |c: &Chunk| c.used.next_multiple_of(16) + code.len() <= c.len;
    if !chunks.last().is_some_and(fits) {
        chunks.push(new_chunk(code.len().max(CHUNK))?);
    }
    let chunk = chunks.last_mut().expect("pushed above");
    let at = chunk.used.next_multiple_of(16);
    // SAFETY: `at + code.len() <= len` (checked by `fits`), so the copy stays inside the
    // writable mapping; no code runs from these bytes yet (they are past `used`).
    let exec = unsafe {
        std::ptr::copy_nonoverlapping(code.as_ptr(), chunk.write.add(at), code.len());
        chunk.exec.add(at)
    };
    chunk.used = at + code.len();
    // The instruction cache may still hold stale bytes for these addresses (never on x86-64;
    // on aarch64 it must be cleaned), and other cores must see the new code.
    // SAFETY: the range is the code just written, inside the executable mapping.
    unsafe {
        wasmtime_jit_icache_coherence::clear_cache(exec.cast(), code.len())
            .map_err(|e| format!("clear_cache: {e}"))?;
    }
    wasmtime_jit_icache_coherence::pipeline_flush_mt()
        .map_err(|e| format!("pipeline_flush: {e}"))?;
    if super::perf_map::enabled() {
        SIZES
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((exec as usize, code.len()));
    }
    Ok(exec)
}

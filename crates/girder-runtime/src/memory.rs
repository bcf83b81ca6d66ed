//! How girder asks the C allocator to behave: process heaps are large blocks freed and
//! allocated again at every collection, and with glibc's defaults each new block is fresh
//! memory from the kernel (an `mmap` above the threshold, or heap top given back by
//! trimming), faulted in page by page: `records` took 374,000 page faults and a third of its
//! time in the kernel. Blocks up to 32 MiB now come from the allocator's own free memory,
//! and up to 4 MiB of free memory at the top of a heap stays mapped.

/// Tune the allocator (call once at boot, before other threads start).
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets allocator parameters; no other thread is running yet.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 4 << 20);
    }
}

//! Process memory: the young heap, heap fragments, and literal areas.
//!
//! # Ownership and pointer validity (the crate-wide contract)
//!
//! - A [`Heap`] owns its young block and its fragments. Every term pointing into them is valid
//!   until the heap's next [`Heap::collect`] (which moves every live object and updates only the
//!   roots it is given) or until the heap is dropped. Holding such a term anywhere else across
//!   a GC (a Rust local, another process, a table) is a bug.
//! - [`Alloc::alloc`] never moves or frees anything: allocating never invalidates terms.
//! - A [`LiteralArea`] owns blocks that never move; terms pointing into it are valid until the
//!   area is dropped (the runtime keeps it as long as its module's code can run or any process
//!   may still hold one of its literals). The GC never copies or scans objects outside the heap
//!   it collects, so a literal must not point into any process heap.
//! - Accessor functions in this crate are safe functions that trust their argument: a list or
//!   boxed term passed to them must point at a live, fully initialised object of the kind the
//!   function expects (checked with `debug_assert!`). That is the same contract OTP's C code
//!   has; the interpreter upholds it by testing a term's type before taking it apart.
//! - No heap object ever holds [`Term::NON_VALUE`](crate::word::Term::NON_VALUE) (the GC uses it to mark a moved cons cell)
//!   and every word of an object is written before anything can read it (before the next
//!   allocation from a BIF that might GC, in practice before the constructor returns).
//!
//! Memory is allocated with `std::alloc` (uninitialised, 8-aligned), not as `Box<[u64]>`, so
//! raw pointers into it stay valid under Rust's aliasing rules while the owner is borrowed.

use std::alloc::{Layout, alloc, dealloc, realloc};
use std::ops::Range;
use std::ptr::NonNull;

use crate::object::binary::release_refc;

/// Something terms can be allocated from.
pub trait Alloc {
    /// `words` uninitialised, 8-aligned words. Never fails (aborts only when the process runs
    /// out of memory), never moves or frees anything. The caller writes every word before
    /// anything reads it.
    fn alloc(&mut self, words: usize) -> *mut u64;

    /// Records that the just-built refc binary object at `obj` (its header word) holds one
    /// reference count of its off-heap data, which this allocator must release when the object
    /// dies (on GC, or when the allocator is dropped).
    fn track_off_heap(&mut self, obj: *mut u64);
}

/// A block of words from the global allocator.
pub(crate) struct Block {
    ptr: NonNull<u64>,
    len: usize,
}

impl Block {
    /// An uninitialised block of `len` words (`len >= 1`).
    pub(crate) fn new(len: usize) -> Block {
        let len = len.max(1);
        let layout = Layout::array::<u64>(len).expect("heap size overflow");
        // SAFETY: the layout has non-zero size.
        let ptr = unsafe { alloc(layout) }.cast::<u64>();
        let ptr = NonNull::new(ptr).unwrap_or_else(|| std::alloc::handle_alloc_error(layout));
        Block { ptr, len }
    }

    pub(crate) fn ptr(&self) -> *mut u64 {
        self.ptr.as_ptr()
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The block's address range, as integers.
    pub(crate) fn range(&self) -> Range<usize> {
        let start = self.ptr.as_ptr() as usize;
        start..start + self.len * 8
    }

    /// Resizes the block (its first `min(len, new_len)` words kept); it may move.
    pub(crate) fn resize(&mut self, new_len: usize) {
        let new_len = new_len.max(1);
        let new_size = Layout::array::<u64>(new_len)
            .expect("heap size overflow")
            .size();
        // SAFETY: `ptr` was allocated by the global allocator with `layout()`; the new size is
        // non-zero and does not overflow `isize` (checked by `Layout::array`).
        let p = unsafe { realloc(self.ptr.as_ptr().cast(), self.layout(), new_size) };
        let new_layout = Layout::array::<u64>(new_len).expect("checked above");
        self.ptr =
            NonNull::new(p.cast()).unwrap_or_else(|| std::alloc::handle_alloc_error(new_layout));
        self.len = new_len;
    }

    fn layout(&self) -> Layout {
        Layout::array::<u64>(self.len).expect("was valid at allocation")
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        // SAFETY: allocated by the global allocator with this layout and not yet freed.
        unsafe { dealloc(self.ptr.as_ptr().cast(), self.layout()) }
    }
}

/// A block filled by bumping a top index.
pub(crate) struct Bump {
    pub(crate) block: Block,
    pub(crate) top: usize,
}

impl Bump {
    pub(crate) fn new(len: usize) -> Bump {
        Bump {
            block: Block::new(len),
            top: 0,
        }
    }

    fn free(&self) -> usize {
        self.block.len() - self.top
    }

    /// `words` from this block, if they fit.
    fn take(&mut self, words: usize) -> Option<*mut u64> {
        if words > self.free() {
            return None;
        }
        // SAFETY: `top + words <= len`, so the result is inside (or one past the end of) the
        // block.
        let p = unsafe { self.block.ptr().add(self.top) };
        self.top += words;
        Some(p)
    }
}

/// Smallest fragment allocated.
const MIN_FRAGMENT: usize = 256;
/// Smallest young heap.
pub const MIN_HEAP_WORDS: usize = 64;

/// A process heap: a young block plus heap fragments, collected by [`Heap::collect`].
pub struct Heap {
    pub(crate) young: Bump,
    /// Fragments, in allocation order; the last one is the one being filled.
    pub(crate) fragments: Vec<Bump>,
    /// Refc binary objects on this heap (pointers to their headers).
    pub(crate) off_heap: Vec<*mut u64>,
    pub(crate) min_words: usize,
    gc_stress: bool,
    pub(crate) collections: u64,
}

impl std::fmt::Debug for Heap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Heap")
            .field("young_capacity", &self.young_capacity())
            .field("used_words", &self.used_words())
            .field("fragments", &self.fragments.len())
            .field("off_heap", &self.off_heap.len())
            .field("collections", &self.collections)
            .finish()
    }
}

// SAFETY: a Heap exclusively owns its blocks and the reference counts recorded in `off_heap`
// (`Arc<[u8]>` is Send + Sync); nothing in it is tied to a thread.
unsafe impl Send for Heap {}

impl Heap {
    /// A heap whose young block holds at least `min_words` words; the GC never shrinks it
    /// below that.
    pub fn new(min_words: usize) -> Heap {
        let min_words = min_words.max(MIN_HEAP_WORDS);
        Heap {
            young: Bump::new(min_words),
            fragments: Vec::new(),
            off_heap: Vec::new(),
            min_words,
            gc_stress: false,
            collections: 0,
        }
    }

    /// Free words left in the young block.
    pub fn free_words(&self) -> usize {
        self.young.free()
    }

    /// Words in use: the young block's plus the fragments'.
    pub fn used_words(&self) -> usize {
        self.young.top + self.fragments.iter().map(|f| f.top).sum::<usize>()
    }

    /// Size of the young block in words.
    pub fn young_capacity(&self) -> usize {
        self.young.block.len()
    }

    /// Number of heap fragments.
    pub fn fragment_count(&self) -> usize {
        self.fragments.len()
    }

    /// Number of collections so far.
    pub fn collections(&self) -> u64 {
        self.collections
    }

    /// Whether `words` fit in the young block without a GC. False whenever fragments exist (the
    /// next `test_heap` merges them by collecting) or GC stress is on.
    pub fn has_room(&self, words: usize) -> bool {
        !self.gc_stress && self.fragments.is_empty() && words <= self.young.free()
    }

    /// With stress on, [`Heap::has_room`] is always false, so every heap test collects.
    pub fn set_gc_stress(&mut self, on: bool) {
        self.gc_stress = on;
    }

    /// Whether GC stress is on.
    pub fn gc_stress(&self) -> bool {
        self.gc_stress
    }

    /// Whether `ptr` points into this heap's young block or one of its fragments.
    pub fn contains(&self, ptr: *const u64) -> bool {
        let a = ptr as usize;
        self.young.block.range().contains(&a)
            || self.fragments.iter().any(|f| f.block.range().contains(&a))
    }

    /// The young block's address range (all of it, used or not).
    pub fn young_range(&self) -> Range<*const u64> {
        let start = self.young.block.ptr() as *const u64;
        start..start.wrapping_add(self.young.block.len())
    }

    #[cold]
    fn alloc_fragment(&mut self, words: usize) -> *mut u64 {
        if let Some(p) = self.fragments.last_mut().and_then(|f| f.take(words)) {
            return p;
        }
        // Each new fragment is at least as big as all earlier ones together: O(log n) of them.
        let total: usize = self.fragments.iter().map(|f| f.block.len()).sum();
        let mut frag = Bump::new(words.max(MIN_FRAGMENT).max(total));
        let p = frag.take(words).expect("fragment sized to fit");
        self.fragments.push(frag);
        p
    }
}

impl Alloc for Heap {
    #[inline]
    fn alloc(&mut self, words: usize) -> *mut u64 {
        match self.young.take(words) {
            Some(p) => p,
            None => self.alloc_fragment(words),
        }
    }

    fn track_off_heap(&mut self, obj: *mut u64) {
        self.off_heap.push(obj);
    }
}

impl Drop for Heap {
    fn drop(&mut self) {
        for &obj in &self.off_heap {
            // SAFETY: every entry is a live refc binary on this heap holding one count, which
            // is released exactly once here (the heap dies with its objects).
            unsafe { release_refc(obj) }
        }
    }
}

/// Smallest block of a literal area.
const LITERAL_BLOCK: usize = 1024;

/// Memory for terms that never move and are never collected: module literals, persistent
/// terms. Freed all at once when the area is dropped.
#[derive(Default)]
pub struct LiteralArea {
    blocks: Vec<Bump>,
    off_heap: Vec<*mut u64>,
}

// SAFETY: the area exclusively owns its blocks and reference counts; through `&LiteralArea`
// nothing can be written, and terms in it are only read, so sharing it between threads is sound.
unsafe impl Send for LiteralArea {}
// SAFETY: as above: all mutation needs `&mut LiteralArea`.
unsafe impl Sync for LiteralArea {}

impl LiteralArea {
    /// An empty area.
    pub fn new() -> LiteralArea {
        LiteralArea::default()
    }

    /// Whether `ptr` points into this area.
    pub fn contains(&self, ptr: *const u64) -> bool {
        let a = ptr as usize;
        self.blocks.iter().any(|b| b.block.range().contains(&a))
    }

    /// Words allocated so far.
    pub fn used_words(&self) -> usize {
        self.blocks.iter().map(|b| b.top).sum()
    }
}

impl Alloc for LiteralArea {
    fn alloc(&mut self, words: usize) -> *mut u64 {
        if let Some(p) = self.blocks.last_mut().and_then(|b| b.take(words)) {
            return p;
        }
        let mut block = Bump::new(words.max(LITERAL_BLOCK));
        let p = block.take(words).expect("block sized to fit");
        self.blocks.push(block);
        p
    }

    fn track_off_heap(&mut self, obj: *mut u64) {
        self.off_heap.push(obj);
    }
}

impl Drop for LiteralArea {
    fn drop(&mut self) {
        for &obj in &self.off_heap {
            // SAFETY: each entry is a refc binary in this area holding one count, released once.
            unsafe { release_refc(obj) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bump_then_fragments() {
        let mut h = Heap::new(100);
        assert_eq!(h.free_words(), 100);
        let a = h.alloc(60);
        assert!(h.contains(a));
        assert!(h.young_range().contains(&(a as *const u64)));
        assert!(h.has_room(40));
        assert!(!h.has_room(41));
        let b = h.alloc(50);
        assert!(h.contains(b) && !h.young_range().contains(&(b as *const u64)));
        assert_eq!(h.fragment_count(), 1);
        assert!(!h.has_room(1));
        assert_eq!(h.used_words(), 110);
        let c = h.alloc(10_000);
        assert!(h.contains(c));
        assert_eq!(h.fragment_count(), 2);
        assert_eq!(h.used_words(), 10_110);
        assert!(!h.contains(&0u64));
    }

    #[test]
    fn stress_disables_room() {
        let mut h = Heap::new(100);
        h.set_gc_stress(true);
        assert!(!h.has_room(0));
    }

    #[test]
    fn literal_area_blocks() {
        let mut area = LiteralArea::new();
        let a = area.alloc(10);
        let b = area.alloc(5000);
        assert!(area.contains(a) && area.contains(b));
        assert_eq!(area.used_words(), 5010);
        assert_eq!(a as usize % 8, 0);
    }
}

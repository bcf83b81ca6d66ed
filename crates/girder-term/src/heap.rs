//! Process memory: the young generation (young block and heap fragments), the old
//! generation, and literal areas.
//!
//! # Ownership and pointer validity (the crate-wide contract)
//!
//! - A [`Heap`] owns its young block, its fragments and its old block. Every term pointing into
//!   them is valid until the heap's next collection ([`Heap::collect`] or
//!   [`Heap::collect_major`], which may move any live object and update only the roots they are
//!   given) or until the heap is dropped. Holding such a term anywhere else across a GC (a Rust
//!   local, another process, a table) is a bug, even when it points into the old generation (a
//!   minor collection happens not to move old objects, but a major one does).
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
//! # Generations, and the one rule that makes them work
//!
//! Allocation always goes to the young generation: the young block, bumped, and when that is
//! full, heap fragments. The young block is split at its *high-water mark*: the words below it
//! are the objects that survived the last minor collection ("mature"), the words above it
//! were allocated since (as were all fragments). The old generation is one block that only
//! collections write to. See [`gc`](crate::gc) for how objects move between them.
//!
//! A minor collection copies only young objects and never looks at the old generation, so it
//! relies on **no old object ever pointing into the young generation**. Erlang terms are
//! immutable once built, and an object can only point at objects older than itself, which
//! are in the same or an older generation; so the rule holds as long as nothing writes a term
//! word into an object that already existed at the last collection. The one instruction that
//! mutates a term, `set_tuple_element`
//! ([`set_tuple_element`](crate::object::set_tuple_element)), is emitted by the compiler only
//! on a tuple just built by `setelement/3` with no GC point in between (the BEAM validator
//! checks this), so the tuple was allocated since the last collection
//! ([`Heap::allocated_since_gc`]). Match states have their position updated in place, but
//! that is a raw word, never a pointer. Any future in-place update of a term word (a match
//! state reused for another binary, OTP 26's in-place `update_record`) must obey the same
//! rule, or be done on a copy.
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

/// A block of words from the global allocator. A block of length 0 allocates nothing (its
/// address range is empty).
pub(crate) struct Block {
    ptr: NonNull<u64>,
    len: usize,
}

impl Block {
    /// An uninitialised block of `len` words.
    pub(crate) fn new(len: usize) -> Block {
        if len == 0 {
            return Block {
                ptr: NonNull::dangling(),
                len: 0,
            };
        }
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

    /// The block's address range, as integers (empty for a block of length 0).
    pub(crate) fn range(&self) -> Range<usize> {
        let start = self.ptr.as_ptr() as usize;
        start..start + self.len * 8
    }

    /// Resizes the block (its first `min(len, new_len)` words kept); it may move.
    pub(crate) fn resize(&mut self, new_len: usize) {
        if self.len == 0 || new_len == 0 {
            self.resize_moving(new_len, 0);
            return;
        }
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

    /// Replaces the block with a new one of `new_len` words (always at another address unless
    /// either is empty), keeping its first `keep` words (`keep <= min(len, new_len)`).
    pub(crate) fn resize_moving(&mut self, new_len: usize, keep: usize) {
        assert!(keep <= self.len.min(new_len));
        let new = Block::new(new_len);
        // SAFETY: both blocks have at least `keep` words and are distinct allocations (or
        // `keep` is 0).
        unsafe { std::ptr::copy_nonoverlapping(self.ptr(), new.ptr(), keep) };
        *self = new;
    }

    fn layout(&self) -> Layout {
        Layout::array::<u64>(self.len).expect("was valid at allocation")
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: allocated by the global allocator with this layout and not yet freed.
            unsafe { dealloc(self.ptr.as_ptr().cast(), self.layout()) }
        }
    }
}

/// Byte offsets inside a [`Heap`], for code generators that allocate inline: native code may
/// bump the young block's `top` (in words) while `top + n <= len`, writing the new object at
/// `ptr + top * 8`; anything else (a full block) goes through [`Alloc::alloc`].
pub mod offsets {
    /// The young block's first word (`*mut u64`).
    pub const YOUNG_PTR: usize = std::mem::offset_of!(super::Heap, young.block.ptr);
    /// The young block's length in words (`usize`).
    pub const YOUNG_LEN: usize = std::mem::offset_of!(super::Heap, young.block.len);
    /// The young block's top in words (`usize`).
    pub const YOUNG_TOP: usize = std::mem::offset_of!(super::Heap, young.top);
    /// Whether GC stress is on (`bool`): every heap test must then collect.
    pub const GC_STRESS: usize = std::mem::offset_of!(super::Heap, gc_stress);
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

    pub(crate) fn free(&self) -> usize {
        self.block.len() - self.top
    }

    /// `words` from this block, if they fit.
    pub(crate) fn take(&mut self, words: usize) -> Option<*mut u64> {
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
/// Smallest young block.
pub const MIN_HEAP_WORDS: usize = 64;

/// A process heap, generational: a young block (bumped; mature objects below its high-water
/// mark, new ones above) plus heap fragments make the young generation, and one old block the
/// old generation. [`Heap::collect`] collects it (see [`gc`](crate::gc)).
pub struct Heap {
    /// The young block: words `0..hwm` hold mature objects (they survived one minor
    /// collection), `hwm..top` objects allocated since the last collection.
    pub(crate) young: Bump,
    /// The high-water mark of the young block, in words.
    pub(crate) hwm: usize,
    /// Fragments, in allocation order; the last one is the one being filled. All of their
    /// objects were allocated since the last collection.
    pub(crate) fragments: Vec<Bump>,
    /// The old generation: written only by collections (promotion, major compaction). Its
    /// capacity is the threshold that triggers the next major collection.
    pub(crate) old: Bump,
    /// Refc binary objects in the young generation (young block or fragments): pointers to
    /// their headers. A minor collection releases the unreachable ones.
    pub(crate) young_off_heap: Vec<*mut u64>,
    /// Refc binary objects in the old block; only a major collection (or dropping the heap)
    /// releases them.
    pub(crate) old_off_heap: Vec<*mut u64>,
    pub(crate) min_words: usize,
    /// The free space the young block was given at the last collection: growth of the next
    /// one is capped at twice this.
    pub(crate) young_free_target: usize,
    gc_stress: bool,
    pub(crate) collections: u64,
    pub(crate) major_collections: u64,
    /// After the last collection, `stack[..stack_clean]` of the stack passed to
    /// [`Heap::collect_with_stack`] held no pointer into the young generation (`usize::MAX`
    /// after a major collection, which empties it; 0 after a collection not told which root
    /// is the stack).
    pub(crate) stack_clean: usize,
    /// Tests set this to make every block resize move, to exercise pointer fixing.
    pub(crate) force_move_on_resize: bool,
    /// Times a resized block moved and its pointers were fixed.
    pub(crate) relocations: u64,
    /// Root words scanned by all collections so far.
    pub(crate) scanned_root_words: u64,
}

impl std::fmt::Debug for Heap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Heap")
            .field("young_capacity", &self.young_capacity())
            .field("young_used", &self.young.top)
            .field("high_water_mark", &self.hwm)
            .field("fragments", &self.fragments.len())
            .field("fragment_words", &self.fragment_words())
            .field("old_capacity", &self.old_capacity())
            .field("old_used", &self.old_used_words())
            .field("young_off_heap", &self.young_off_heap.len())
            .field("old_off_heap", &self.old_off_heap.len())
            .field("collections", &self.collections)
            .field("major_collections", &self.major_collections)
            .field("relocations", &self.relocations)
            .field("scanned_root_words", &self.scanned_root_words)
            .finish()
    }
}

// SAFETY: a Heap exclusively owns its blocks and the reference counts recorded in its off-heap
// lists (`Arc<[u8]>` is Send + Sync); nothing in it is tied to a thread.
unsafe impl Send for Heap {}

impl Heap {
    /// A heap whose young block holds at least `min_words` words; the GC never shrinks it
    /// below that. The old generation starts empty (no memory) and is created by the first
    /// collection that has something to promote.
    pub fn new(min_words: usize) -> Heap {
        let min_words = min_words.max(MIN_HEAP_WORDS);
        Heap {
            young: Bump::new(min_words),
            hwm: 0,
            fragments: Vec::new(),
            old: Bump::new(0),
            young_off_heap: Vec::new(),
            old_off_heap: Vec::new(),
            min_words,
            young_free_target: min_words,
            gc_stress: false,
            collections: 0,
            major_collections: 0,
            stack_clean: 0,
            force_move_on_resize: false,
            relocations: 0,
            scanned_root_words: 0,
        }
    }

    /// Free words left in the young block.
    pub fn free_words(&self) -> usize {
        self.young.free()
    }

    /// Words in use: the young block's, the fragments' and the old block's (live or not).
    pub fn used_words(&self) -> usize {
        self.young.top + self.fragment_words() + self.old.top
    }

    /// Words in use in the old generation (live or not: garbage there is only reclaimed by a
    /// major collection).
    pub fn old_used_words(&self) -> usize {
        self.old.top
    }

    /// Size of the old block in words: the old generation's limit before the next major
    /// collection.
    pub fn old_capacity(&self) -> usize {
        self.old.block.len()
    }

    /// Words in use in the heap fragments.
    pub fn fragment_words(&self) -> usize {
        self.fragments.iter().map(|f| f.top).sum()
    }

    /// Size of the young block in words.
    pub fn young_capacity(&self) -> usize {
        self.young.block.len()
    }

    /// Number of heap fragments.
    pub fn fragment_count(&self) -> usize {
        self.fragments.len()
    }

    /// Number of collections so far, minor and major.
    pub fn collections(&self) -> u64 {
        self.collections
    }

    /// Number of major collections so far.
    pub fn major_collections(&self) -> u64 {
        self.major_collections
    }

    /// Whether `words` fit in the young block without a GC. False whenever fragments exist (the
    /// next `test_heap` merges them by collecting) or GC stress is on.
    pub fn has_room(&self, words: usize) -> bool {
        !self.gc_stress && self.fragments.is_empty() && words <= self.young.free()
    }

    /// With stress on, [`Heap::has_room`] is always false, so every heap test collects. Those
    /// collections are minor ones unless the old generation is full, as at any other time.
    pub fn set_gc_stress(&mut self, on: bool) {
        self.gc_stress = on;
    }

    /// Whether GC stress is on.
    pub fn gc_stress(&self) -> bool {
        self.gc_stress
    }

    /// Whether `ptr` points into this heap: its young block, one of its fragments, or its old
    /// block.
    pub fn contains(&self, ptr: *const u64) -> bool {
        let a = ptr as usize;
        self.young.block.range().contains(&a)
            || self.old.block.range().contains(&a)
            || self.fragments.iter().any(|f| f.block.range().contains(&a))
    }

    /// Whether `ptr` points at memory allocated since the last collection (above the young
    /// block's high-water mark, or in a fragment): the only objects that may still be mutated
    /// in place (see the module docs).
    pub fn allocated_since_gc(&self, ptr: *const u64) -> bool {
        let a = ptr as usize;
        let young = self.young.block.range();
        (a >= young.start + self.hwm * 8 && a < young.start + self.young.top * 8)
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
        // Allocation only ever happens in the young generation.
        self.young_off_heap.push(obj);
    }
}

impl Drop for Heap {
    fn drop(&mut self) {
        for &obj in self.young_off_heap.iter().chain(&self.old_off_heap) {
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

    /// An area holding a copy of `t` and nothing more (one block of exactly its size): a
    /// message or signal in flight between processes. The copy and its area go together.
    pub fn holding(t: crate::word::Term) -> (crate::word::Term, LiteralArea) {
        let words = crate::copy::size_of_term(t);
        let mut area = LiteralArea::default();
        if words > 0 {
            area.blocks.push(Bump::new(words));
        }
        let copy = crate::copy::copy_term(t, &mut area);
        (copy, area)
    }

    /// An empty area whose first block holds exactly `words` words: the home of one term
    /// whose size is known (an ETS object), without the slack of the usual block size.
    pub fn with_capacity(words: usize) -> LiteralArea {
        LiteralArea {
            blocks: if words == 0 {
                Vec::new()
            } else {
                vec![Bump::new(words)]
            },
            off_heap: Vec::new(),
        }
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
    fn literal_area_with_capacity_is_one_exact_block() {
        let mut a = LiteralArea::with_capacity(5);
        let p = a.alloc(5);
        assert!(a.contains(p));
        assert_eq!(a.blocks.len(), 1);
        assert_eq!(a.blocks[0].free(), 0);
        // More than asked takes another block, as usual.
        let q = a.alloc(1);
        assert!(a.contains(q));
        assert_eq!(a.blocks.len(), 2);
        assert_eq!(LiteralArea::with_capacity(0).used_words(), 0);
    }

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

//! [`TermBlock`]: a term copied into one allocation of exactly its size, outside every
//! process heap, for storage that holds many small terms (ETS objects and keys): one
//! allocation per term, where a [`LiteralArea`](crate::heap::LiteralArea) takes three.
//!
//! Layout of the allocation, in words: its length, the number of refc binary objects
//! recorded, one slot per refc binary object of the term (the address of its copy, whose
//! reference count the block releases when dropped), then the copy itself.

use std::alloc::{Layout, alloc, dealloc};
use std::ptr::NonNull;

use crate::copy::{copy_term, footprint};
use crate::heap::Alloc;
use crate::object::binary::release_refc;
use crate::word::Term;

/// Header words before the refc slots: the length, the count of recorded slots.
const HEAD: usize = 2;

/// The memory of one term copied out of a heap (see the module docs).
pub struct TermBlock {
    ptr: NonNull<u64>,
}

// SAFETY: the block exclusively owns its words and the reference counts it recorded; the
// term in it is only read after the copy, so moving or sharing the block between threads
// is sound (refc binary data is itself thread-safe, behind `Arc`).
unsafe impl Send for TermBlock {}
// SAFETY: as above: nothing is written through `&TermBlock`.
unsafe impl Sync for TermBlock {}

impl TermBlock {
    /// A copy of `t` and the block holding it (none for an immediate, which needs none).
    pub fn copy(t: Term) -> (Term, Option<TermBlock>) {
        let (words, refcs) = footprint(t);
        if words == 0 {
            return (t, None);
        }
        let len = HEAD + refcs + words;
        let layout = Layout::array::<u64>(len).expect("term size overflow");
        // SAFETY: the layout has non-zero size.
        let ptr = unsafe { alloc(layout) }.cast::<u64>();
        let ptr = NonNull::new(ptr).unwrap_or_else(|| std::alloc::handle_alloc_error(layout));
        // SAFETY: the allocation has `len >= HEAD` words.
        unsafe {
            ptr.as_ptr().write(len as u64);
            ptr.as_ptr().add(1).write(0);
        }
        let block = TermBlock { ptr };
        let mut fill = Fill {
            base: ptr.as_ptr(),
            refs_end: HEAD + refcs,
            top: HEAD + refcs,
            len,
        };
        let copy = copy_term(t, &mut fill);
        debug_assert_eq!(fill.top, len, "footprint and copy disagree");
        (copy, Some(block))
    }

    /// The words the copy takes (what [`size_of_term`](crate::copy::size_of_term) gives
    /// for it), without walking it.
    pub fn words(&self) -> usize {
        // SAFETY: word 1 of a live block counts its refc slots, all filled by the copy.
        let refcs = unsafe { *self.ptr.as_ptr().add(1) as usize };
        self.len() - HEAD - refcs
    }

    fn len(&self) -> usize {
        // SAFETY: word 0 of a live block holds its length.
        unsafe { *self.ptr.as_ptr() as usize }
    }
}

impl Drop for TermBlock {
    fn drop(&mut self) {
        let base = self.ptr.as_ptr();
        // SAFETY: word 1 counts the refc slots filled (each the address of a refc binary
        // object in this block whose count the copy took and nobody released); the block
        // was allocated with `len` words.
        unsafe {
            let recorded = *base.add(1) as usize;
            for i in 0..recorded {
                release_refc(*base.add(HEAD + i) as *mut u64);
            }
            let layout = Layout::array::<u64>(self.len()).expect("term size overflow");
            dealloc(base.cast(), layout);
        }
    }
}

/// The allocator a copy fills a block with: words from the top, refc objects recorded in
/// the slots.
struct Fill {
    base: *mut u64,
    refs_end: usize,
    top: usize,
    len: usize,
}

impl Alloc for Fill {
    fn alloc(&mut self, words: usize) -> *mut u64 {
        assert!(self.top + words <= self.len, "term block overflow");
        // SAFETY: in bounds, checked above.
        let p = unsafe { self.base.add(self.top) };
        self.top += words;
        p
    }

    fn track_off_heap(&mut self, obj: *mut u64) {
        // SAFETY: word 1 and the slots below `refs_end` are the block's own header words.
        unsafe {
            let n = *self.base.add(1) as usize;
            assert!(HEAD + n < self.refs_end, "more refc binaries than counted");
            self.base.add(HEAD + n).write(obj as u64);
            self.base.add(1).write((n + 1) as u64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::Heap;
    use crate::object;

    #[test]
    fn copies_hold_and_release_refc_binaries() {
        let mut heap = Heap::new(64);
        let big = object::binary_from_bytes(&mut heap, &[7u8; 300]);
        let sub = object::sub_binary(&mut heap, big, 8, 80);
        let small = object::binary_from_bytes(&mut heap, b"abc");
        let tuple = object::tuple(&mut heap, &[big, sub, small, Term::small(5)]);
        let (copy, block) = TermBlock::copy(tuple);
        let block = block.expect("a tuple needs a block");
        assert_eq!(block.words(), crate::copy::size_of_term(tuple));
        assert!(crate::compare::cmp_exact(copy, tuple).is_eq());
        drop(heap);
        // The copy keeps the binary's data alive on its own.
        assert_eq!(
            object::binary_bytes(object::tuple_element(copy, 0)),
            Some(&[7u8; 300][..])
        );
        drop(block);
    }

    #[test]
    fn immediates_need_no_block() {
        let (t, block) = TermBlock::copy(Term::small(42));
        assert_eq!(t, Term::small(42));
        assert!(block.is_none());
    }
}

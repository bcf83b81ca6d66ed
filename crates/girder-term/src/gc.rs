//! The copying garbage collector (Cheney's algorithm).
//!
//! [`Heap::collect`] copies everything reachable from the roots out of the young block and
//! the fragments into one fresh block, which becomes the young block; the old block and all
//! fragments are freed. Only pointers into the collected heap are followed: terms in literal
//! areas (or anywhere else) are left where they are and not scanned.
//!
//! - Roots are slices of words: x registers, the stack, the process dictionary, saved
//!   messages. Header-tagged words (continuation pointers on the stack) and immediates
//!   (including catch markers) are skipped; list and boxed pointers into the heap are updated.
//! - Forwarding: a moved boxed object's header is overwritten with a boxed pointer to its
//!   copy (a header is never boxed-tagged, so this is unambiguous); a moved cons cell's head
//!   is overwritten with [`Term::NON_VALUE`] (which no heap object ever holds) and its tail
//!   with the list pointer to the copy.
//! - The new block is scanned linearly: a header-tagged word starts a boxed object whose
//!   [`term_words`] are evacuated (other payload words are raw: float bits, limbs, bytes,
//!   entry pointers); any other word starts a cons cell (a head is never header-tagged).
//! - Refc binaries that were not copied are dead: their reference counts are released.
//!
//! # Sizing
//!
//! The copy goes into a block of `size_class(used + need)` words (everything might be live).
//! Afterwards, with `live` words copied, the young block should be
//! `desired = size_class(max(min_words, 2 * live + need))`: at least `live + need` free words,
//! so the next collection comes after at least as many words are allocated as this one copied,
//! which keeps the total cost linear in what is allocated (no quadratic growth when live data
//! keeps rising), and at most about three times the live data plus `need` (no unbounded
//! growth when it falls). The block is resized to `desired` (with `realloc`, fixing pointers
//! if it moves) only when it is smaller than `desired` or more than twice as large, so a
//! steady process keeps its block. Size classes grow by 1.5x from [`MIN_HEAP_WORDS`].

use crate::header::{object_words, term_words};
use crate::heap::{Bump, Heap, MIN_HEAP_WORDS};
use crate::object::binary::release_refc;
use crate::word::Term;

/// The smallest size class of at least `n` words.
pub fn size_class(n: usize) -> usize {
    let mut s = MIN_HEAP_WORDS;
    while s < n {
        s = s.saturating_add(s / 2);
    }
    s
}

/// Address ranges of the space being collected, sorted.
struct FromSpace {
    young: std::ops::Range<usize>,
    fragments: Vec<std::ops::Range<usize>>,
}

impl FromSpace {
    #[inline]
    fn contains(&self, p: *const u64) -> bool {
        let a = p as usize;
        if self.young.contains(&a) {
            return true;
        }
        // The last range starting at or before `a`.
        let i = self.fragments.partition_point(|r| r.start <= a);
        i > 0 && self.fragments[i - 1].contains(&a)
    }
}

struct Copier {
    from: FromSpace,
    to: *mut u64,
    top: usize,
}

impl Copier {
    /// The new location of `t` (copying it first if needed), or `t` itself when it is not a
    /// pointer into the space being collected.
    #[inline]
    fn evacuate(&mut self, t: Term) -> Term {
        if !(t.is_list() || t.is_boxed()) || !self.from.contains(t.ptr()) {
            return t;
        }
        let p = t.ptr_mut();
        // SAFETY: `p` points at a live object in from-space (every pointer reachable from the
        // roots is valid, per the crate contract); the destination has room for every object
        // in from-space (its size is at least the words in use), and each object is copied
        // once, as its forwarding is written right after the copy.
        unsafe {
            let dst = self.to.add(self.top);
            if t.is_boxed() {
                let header = Term(*p);
                if header.is_boxed() {
                    return header; // already moved
                }
                debug_assert!(header.is_header());
                let n = object_words(header);
                std::ptr::copy_nonoverlapping(p, dst, n);
                self.top += n;
                let new = Term::boxed_ptr(dst);
                *p = new.0;
                new
            } else {
                if *p == Term::NON_VALUE.0 {
                    return Term(*p.add(1)); // already moved
                }
                std::ptr::copy_nonoverlapping(p, dst, 2);
                self.top += 2;
                let new = Term::list_ptr(dst);
                *p = Term::NON_VALUE.0;
                *p.add(1) = new.0;
                new
            }
        }
    }

    /// Evacuates what the copied objects point at, until nothing is left to scan.
    fn scan(&mut self) {
        let mut scan = 0;
        while scan < self.top {
            // SAFETY: `scan < top`: an object starts there, inside the copied, initialised
            // part of to-space.
            scan += unsafe { scan_object(self.to.add(scan), |t| self.evacuate(t)) };
        }
    }
}

/// Replaces each term word of the object (boxed object or cons cell) at `obj` with `f` of
/// it; returns the object's size in words.
///
/// # Safety
/// `obj` must point at a complete, initialised object.
#[inline]
unsafe fn scan_object(obj: *mut u64, mut f: impl FnMut(Term) -> Term) -> usize {
    // SAFETY: per the contract; a header's `term_words` are inside the object, and a cons
    // cell is two words.
    unsafe {
        let w = Term(*obj);
        let (first, terms, len) = if w.is_header() {
            (obj.add(1), term_words(w), object_words(w))
        } else {
            (obj, 0..2, 2)
        };
        for i in terms {
            let slot = first.add(i);
            *slot = f(Term(*slot)).0;
        }
        len
    }
}

impl Heap {
    /// Collects garbage: afterwards everything reachable from `roots` is in one young block
    /// with at least `need` free words, the roots point at the new copies, fragments are gone,
    /// and every other term that pointed into this heap is invalid.
    pub fn collect(&mut self, need: usize, roots: &mut [&mut [Term]]) {
        let used = self.used_words();
        let mut to = Bump::new(size_class(used.saturating_add(need).max(self.min_words)));
        let mut fragments: Vec<_> = self.fragments.iter().map(|f| f.block.range()).collect();
        fragments.sort_by_key(|r| r.start);
        let mut copier = Copier {
            from: FromSpace {
                young: self.young.block.range(),
                fragments,
            },
            to: to.block.ptr(),
            top: 0,
        };
        for slice in roots.iter_mut() {
            for t in slice.iter_mut() {
                *t = copier.evacuate(*t);
            }
        }
        copier.scan();
        to.top = copier.top;
        debug_assert!(to.top <= used);

        // Refc binaries: a moved one has a forwarding pointer in place of its header.
        self.off_heap.retain_mut(|obj| {
            // SAFETY: entries point at refc binary objects in from-space, still allocated.
            let w = Term(unsafe { **obj });
            if w.is_boxed() {
                *obj = w.ptr_mut();
                true
            } else {
                // SAFETY: the object is unreachable, so its count is released exactly once.
                unsafe { release_refc(*obj) };
                false
            }
        });
        self.young = to;
        self.fragments.clear();
        self.collections += 1;

        let live = self.young.top;
        let desired = size_class(
            self.min_words
                .max(live.saturating_mul(2).saturating_add(need)),
        );
        let cap = self.young.block.len();
        if cap < desired || cap / 2 > desired {
            self.resize_young(desired, roots);
        }
    }

    /// Resizes the young block (holding only copied objects) and fixes every pointer into it
    /// if it moved.
    fn resize_young(&mut self, words: usize, roots: &mut [&mut [Term]]) {
        let old = self.young.block.range();
        self.young.block.resize(words);
        let new_start = self.young.block.ptr() as usize;
        if new_start == old.start {
            return;
        }
        let fix = |t: Term| -> Term {
            let a = t.ptr() as usize;
            if (t.is_list() || t.is_boxed()) && old.contains(&a) {
                Term((a - old.start + new_start) as u64 | t.primary())
            } else {
                t
            }
        };
        for slice in roots.iter_mut() {
            for t in slice.iter_mut() {
                *t = fix(*t);
            }
        }
        for obj in &mut self.off_heap {
            *obj = (*obj as usize - old.start + new_start) as *mut u64;
        }
        let base = self.young.block.ptr();
        let mut scan = 0;
        while scan < self.young.top {
            // SAFETY: `scan < top`: an object starts there, inside the initialised objects,
            // which `realloc` kept.
            scan += unsafe { scan_object(base.add(scan), fix) };
        }
    }
}

#[cfg(test)]
mod tests;

//! The generational copying garbage collector (Cheney's algorithm, two generations, OTP's
//! high-water mark promotion).
//!
//! # Generations
//!
//! A [`Heap`] has a young generation (the young block and the heap fragments, where all
//! allocation happens) and an old generation (one block, written only by collections). The
//! young block is split by its high-water mark (`hwm`): words below it hold *mature* objects,
//! which survived the previous minor collection; words above it, and all fragments, hold
//! objects allocated since.
//!
//! - **Minor collection** ([`Heap::collect`], usually): the from-space is the young block and
//!   the fragments. Live mature objects are *promoted*: copied to the end of the old block.
//!   Other live young objects are copied into a fresh young block, and become its mature part
//!   (the new `hwm` is its top). The old generation is neither scanned nor moved: no old object
//!   points into the young generation (the invariant in the [`heap`](crate::heap) module docs),
//!   so the roots are the only way into the young objects. An object is therefore copied at
//!   most twice by minor collections (OTP's scheme: promoted at the second collection it
//!   survives, so short-lived data that happens to be live at one collection does not reach the
//!   old generation).
//! - **Major collection** ([`Heap::collect_major`], or [`Heap::collect`] when the old block
//!   cannot take the minor's worst-case promotion, i.e. `old free < hwm`): the from-space is
//!   everything; every live object is copied into a fresh old block (compacting it and dropping
//!   its garbage); the young block is left empty (`hwm = 0`).
//!
//! GC stress mode only makes [`Heap::has_room`] false; the collections it causes are chosen as
//! above, so they are mostly minor and cost what the young generation holds, not the old one.
//!
//! # The stack
//!
//! A minor collection must still scan every root, and a deep stack (a million frames of body
//! recursion) would make each one cost the stack's depth: quadratic under GC stress, even with
//! a tiny young generation. [`Heap::collect_with_stack`] takes the stack apart from the other
//! roots, with the caller's promise that its bottom `unchanged` words were not written since
//! the previous collection (the interpreter only writes the top frame, so it tracks the lowest
//! index written or popped to). The heap remembers `stack_clean`: after the last collection,
//! `stack[..stack_clean]` held no pointer into the young generation (it is the index of the
//! lowest slot left pointing at a young survivor; after a major collection, which empties the
//! young generation, it is unbounded). A minor collection skips
//! `stack[..min(unchanged, stack_clean)]`: those slots point only into the old block, which it
//! does not move, or outside the heap. A slot left pointing at a young survivor is clean after
//! the next minor collection (which promotes the survivor), so a collection scans the stack
//! from about the lowest slot written in the last two collection cycles, not from the bottom:
//! deep recursion costs O(1) root words per collection. Major collections scan the whole
//! stack; [`Heap::collect`] (no separate stack) scans every root and leaves `stack_clean` at 0.
//!
//! # Copying
//!
//! Only pointers into the from-space are followed: terms in the old generation (during a minor
//! collection), in literal areas, or anywhere else are left where they are and not scanned.
//!
//! - Roots are slices of words: x registers, the stack, the process dictionary, saved
//!   messages. Header-tagged words (continuation pointers on the stack) and immediates
//!   (including catch markers) are skipped; list and boxed pointers into the from-space are
//!   updated.
//! - Forwarding: a moved boxed object's header is overwritten with a boxed pointer to its
//!   copy (a header is never boxed-tagged, so this is unambiguous); a moved cons cell's head
//!   is overwritten with [`Term::NON_VALUE`] (which no heap object ever holds) and its tail
//!   with the list pointer to the copy.
//! - Where an object goes depends on where it was: a minor collection sends mature objects
//!   to the old block and the others to the new young block; a major one sends all to the new
//!   old block. Each destination has its own scan pointer, and the collector scans both until
//!   neither has objects left (iteratively: no recursion, however deep the terms). A
//!   destination is scanned linearly: a header-tagged word starts a boxed object whose
//!   [`term_words`] are evacuated (other payload words are raw: float bits, limbs, bytes,
//!   entry pointers); any other word starts a cons cell (a head is never header-tagged).
//! - Refc binaries are listed per generation. A minor collection walks only the young list:
//!   entries whose object was not copied are dead and their reference counts released; the
//!   others are updated and moved to the old list when promoted. A major collection walks
//!   both. Dropping the heap releases all.
//!
//! # Sizing, thresholds and cost
//!
//! - **Old block.** A major collection that finds `live` words live, with `roots` root words
//!   (all of the stack included), leaves an old block of
//!   `max(live + max(live, roots), MIN_OLD_WORDS)` words (none when nothing is live). Its
//!   capacity is the threshold: once a minor collection could overflow it (`old free < hwm`),
//!   the collection is major instead. So at least `max(live, roots)` words (the headroom) are
//!   promoted or mature, hence allocated, between two major collections, and a major
//!   collection's work (`O(live + roots + what was allocated since)`) is amortised over them:
//!   total work stays linear in allocation, even with a deep stack and little live data. The
//!   old generation holds at most `live + max(live, roots)` words, twice the live data of the
//!   last major collection unless the stack is larger (OTP counts the stack in the heap size
//!   too).
//! - **Young block.** After a collection leaving `survived` words in the young block (0 after
//!   a major one) and having promoted `promoted` words (for a major one: the words it moved out
//!   of the young generation), the young block gets `free = max(need, root_words, min_words,
//!   min(2 * promoted, 2 * previous free), SURVIVOR_RATIO * min(survived + root_words,
//!   SURVIVOR_WORK_CAP))` free
//!   words: its size is `size_class(max(min_words, survived + free))`. At least `need`, as
//!   asked; at least [`SURVIVOR_RATIO`] times the words the minor collection scanned and
//!   copied (roots and survivors; after a major one: none), so that work is paid for by
//!   allocation, at most a third of a word per word allocated (a process that keeps a few
//!   hundred words of young data while allocating fast, as a numeric loop over a list of
//!   tuples does, collected every few hundred words before, up to three times as often as
//!   erl); and it grows with the promotion rate (a process
//!   building a large structure gets a geometrically growing nursery, at most doubling per
//!   collection, so building `n` words takes `O(log n)` collections), and falls back to
//!   `min_words + survived` when most of what is allocated dies young. Fragments are what was
//!   allocated beyond the young block since the last collection; every collection empties
//!   them.
//! - **Work.** A minor collection costs `O(scanned roots + survived + promoted + young refc
//!   binaries + fragments)`: each allocated word is copied at most twice by minor collections,
//!   and the old generation costs nothing. With stress on, a 1,000,000-element list kept live
//!   while allocating is copied into the old block once, and not again until the old block
//!   fills up.
//! - **To-space.** The young to-space of a minor collection is allocated for the worst case
//!   (everything above the high-water mark and in the fragments live, plus the largest free
//!   target), then shrunk to its size; the old block has room for the worst-case promotion
//!   (everything below the high-water mark) by the choice of minor or major. A major
//!   collection's to-space is the old block the policy above gives for `used` live words
//!   (everything in use could be live), shrunk afterwards. Shrinking uses `realloc`, which
//!   normally stays in place; if a block does move, every pointer into it (roots, objects,
//!   off-heap lists) is fixed. Size classes grow by 1.5x from
//!   [`MIN_HEAP_WORDS`].

use std::ops::Range;

use crate::header::{object_words, term_words};
use crate::heap::{Block, Bump, Heap, MIN_HEAP_WORDS};
use crate::object::binary::release_refc;
use crate::word::Term;

/// How many words a young block leaves free for allocation, at least, per word of roots
/// and survivors its last minor collection scanned and copied (see [`Heap::collect`]).
pub const SURVIVOR_RATIO: usize = 6;

/// The most roots-and-survivors words [`SURVIVOR_RATIO`] applies to (64 KiB).
pub const SURVIVOR_WORK_CAP: usize = 1 << 13;

/// Smallest old block a major collection leaves (when anything is live).
pub const MIN_OLD_WORDS: usize = 256;

/// The smallest size class of at least `n` words.
pub fn size_class(n: usize) -> usize {
    let mut s = MIN_HEAP_WORDS;
    while s < n {
        s = s.saturating_add(s / 2);
    }
    s
}

/// The old block a major collection leaves when `live` words are live and the roots have
/// `root_words` words: room for `max(live, root_words)` more words before the next major
/// collection, which then pays for copying `live` words and scanning all roots.
fn old_block_words(live: usize, root_words: usize) -> usize {
    if live == 0 {
        0
    } else {
        live.saturating_add(live.max(root_words)).max(MIN_OLD_WORDS)
    }
}

/// Address ranges of the space being collected.
struct FromSpace {
    young: Range<usize>,
    /// Empty in a minor collection.
    old: Range<usize>,
    /// Sorted by start.
    fragments: Vec<Range<usize>>,
}

impl FromSpace {
    #[inline]
    fn contains(&self, a: usize) -> bool {
        if self.young.contains(&a) || self.old.contains(&a) {
            return true;
        }
        if self.fragments.is_empty() {
            return false;
        }
        // The last range starting at or before `a`.
        let i = self.fragments.partition_point(|r| r.start <= a);
        i > 0 && self.fragments[i - 1].contains(&a)
    }
}

/// A destination of copied objects: a block filled from `top`, scanned from `scan`.
struct ToSpace {
    base: *mut u64,
    top: usize,
    scan: usize,
    cap: usize,
}

impl ToSpace {
    /// Copies go after the objects already in `b` (which are not scanned).
    fn after(b: &Bump) -> ToSpace {
        ToSpace {
            base: b.block.ptr(),
            top: b.top,
            scan: b.top,
            cap: b.block.len(),
        }
    }

    /// A destination nothing is copied to.
    fn none() -> ToSpace {
        ToSpace {
            base: std::ptr::NonNull::dangling().as_ptr(),
            top: 0,
            scan: 0,
            cap: 0,
        }
    }
}

struct Copier {
    from: FromSpace,
    /// Objects in this range go to `old` (a minor collection's mature objects).
    mature: Range<usize>,
    /// Every object goes to `old` (a major collection).
    promote_all: bool,
    old: ToSpace,
    young: ToSpace,
    /// Words copied out of `from.old` (major collections' statistics).
    from_old_words: usize,
}

impl Copier {
    /// The new location of `t` (copying it first if needed), or `t` itself when it is not a
    /// pointer into the space being collected.
    #[inline]
    fn evacuate(&mut self, t: Term) -> Term {
        if !(t.is_list() || t.is_boxed()) {
            return t;
        }
        let a = t.ptr() as usize;
        if !self.from.contains(a) {
            return t;
        }
        let p = t.ptr_mut();
        // SAFETY: `p` points at a live object in from-space (every pointer reachable from the
        // roots is valid, per the crate contract). Its destination has room for it: the young
        // to-space is sized for every non-mature young object, the old block has room for
        // every mature one (a minor collection happens only then) or, in a major collection,
        // for everything in use. Each object is copied once, as its forwarding is written
        // right after the copy, and from-space is never a destination.
        unsafe {
            let first = *p;
            let words = if t.is_boxed() {
                let header = Term(first);
                if header.is_boxed() {
                    return header; // already moved
                }
                debug_assert!(header.is_header());
                object_words(header)
            } else {
                if first == Term::NON_VALUE.0 {
                    return Term(*p.add(1)); // already moved
                }
                2
            };
            let to = if self.promote_all {
                if self.from.old.contains(&a) {
                    self.from_old_words += words;
                }
                &mut self.old
            } else if self.mature.contains(&a) {
                &mut self.old
            } else {
                &mut self.young
            };
            debug_assert!(to.top + words <= to.cap, "to-space overflow");
            let dst = to.base.add(to.top);
            to.top += words;
            // Most objects are a few words (cons cells, floats, small tuples): plain word
            // moves, not a call to `memcpy`.
            match words {
                2 => {
                    *dst = first;
                    *dst.add(1) = *p.add(1);
                }
                3 => {
                    *dst = first;
                    *dst.add(1) = *p.add(1);
                    *dst.add(2) = *p.add(2);
                }
                _ => std::ptr::copy_nonoverlapping(p, dst, words),
            }
            if t.is_boxed() {
                let new = Term::boxed_ptr(dst);
                *p = new.0;
                new
            } else {
                let new = Term::list_ptr(dst);
                *p = Term::NON_VALUE.0;
                *p.add(1) = new.0;
                new
            }
        }
    }

    /// Evacuates the roots, then what the copied objects point at, until nothing is left to
    /// scan in either destination.
    fn run(&mut self, roots: &mut [&mut [Term]]) {
        for slice in roots.iter_mut() {
            for t in slice.iter_mut() {
                *t = self.evacuate(*t);
            }
        }
        loop {
            if self.young.scan < self.young.top {
                // SAFETY: `scan < top`: a copied, initialised object starts there.
                let obj = unsafe { self.young.base.add(self.young.scan) };
                // SAFETY: as above.
                self.young.scan += unsafe { scan_object(obj, |t| self.evacuate(t)) };
            } else if self.old.scan < self.old.top {
                // SAFETY: as above.
                let obj = unsafe { self.old.base.add(self.old.scan) };
                let young = self.young.base as usize..self.young.base as usize + self.young.cap * 8;
                // SAFETY: as above.
                self.old.scan += unsafe {
                    scan_object(obj, |t| {
                        let new = self.evacuate(t);
                        // An object being promoted can only point at objects at least as old
                        // as itself, which are promoted too (or already old): never at one
                        // staying young. Otherwise something mutated an object after the
                        // collection that made it (see the `heap` module docs), and the old
                        // generation would be left pointing into the young one.
                        debug_assert!(
                            !((new.is_list() || new.is_boxed())
                                && young.contains(&(new.ptr() as usize))),
                            "an object being promoted points at a younger object"
                        );
                        new
                    })
                };
            } else {
                break;
            }
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

/// Applies `f` to each term word of the objects packed in `words` words from `base`.
///
/// # Safety
/// `base..base + words` must hold complete, initialised objects, one after another.
unsafe fn scan_objects(base: *mut u64, words: usize, mut f: impl FnMut(Term) -> Term) {
    let mut scan = 0;
    while scan < words {
        // SAFETY: an object starts at `scan`, per the contract.
        scan += unsafe { scan_object(base.add(scan), &mut f) };
    }
}

/// The total length of the root slices.
fn root_words(roots: &[&mut [Term]]) -> usize {
    roots.iter().map(|s| s.len()).sum()
}

/// Resizes `block` (holding `keep` initialised words) to `len` words; returns its old address
/// range if it moved.
fn resize(block: &mut Block, len: usize, keep: usize, force_move: bool) -> Option<Range<usize>> {
    let old = block.range();
    if force_move {
        block.resize_moving(len, keep);
    } else {
        block.resize(len);
    }
    (block.ptr() as usize != old.start).then_some(old)
}

/// After a block moved from `old` to `new_start`, the pointer-fixing function for its words.
fn relocation(old: Range<usize>, new_start: usize) -> impl Fn(Term) -> Term {
    move |t: Term| {
        let a = t.ptr() as usize;
        if (t.is_list() || t.is_boxed()) && old.contains(&a) {
            Term((a - old.start + new_start) as u64 | t.primary())
        } else {
            t
        }
    }
}

/// The addresses of `words` words from `base`, as integers.
fn address_range(base: *mut u64, words: usize) -> Range<usize> {
    base as usize..base as usize + words * 8
}

/// Rewrites every root with `f`.
fn fix_roots(roots: &mut [&mut [Term]], f: impl Fn(Term) -> Term) {
    for slice in roots.iter_mut() {
        for t in slice.iter_mut() {
            *t = f(*t);
        }
    }
}

impl Heap {
    /// Collects garbage: afterwards everything reachable from `roots` is in the young block or
    /// the old block, the young block has at least `need` free words, the roots point at the
    /// new copies, fragments are gone, and every other term that pointed into this heap is
    /// invalid.
    ///
    /// This is a minor collection (only the young generation is copied) unless the old
    /// generation is full (see the module docs), in which case it is a major one. Every root is
    /// scanned; [`Heap::collect_with_stack`] can skip most of a deep stack.
    pub fn collect(&mut self, need: usize, roots: &mut [&mut [Term]]) {
        self.collect_with_stack(need, roots, &mut [], 0);
    }

    /// [`Heap::collect`] with the process stack passed apart from the other roots, so that a
    /// minor collection can skip the bottom of it, which cannot point into the young
    /// generation (see "The stack" in the module docs).
    ///
    /// `unchanged` is a promise from the caller: `stack[..unchanged]` has not been written
    /// since this heap's previous collection (of any kind, whichever method did it): no slot
    /// there was stored to, and the stack was never shorter than `unchanged` in between (a
    /// pop followed by a push rewrites the slot). 0 is always correct (everything is scanned).
    pub fn collect_with_stack(
        &mut self,
        need: usize,
        roots: &mut [&mut [Term]],
        stack: &mut [Term],
        unchanged: usize,
    ) {
        if self.old.free() < self.hwm {
            self.major(need, roots, stack);
        } else {
            self.minor(need, roots, stack, unchanged);
        }
    }

    /// A major collection: afterwards everything reachable from `roots` is in a fresh,
    /// compacted old block, the young block is empty with at least `need` free words, the
    /// roots point at the new copies, fragments are gone, and every other term that pointed
    /// into this heap is invalid. [`Heap::collect`] does this by itself when the old
    /// generation is full; calling it directly forces one (`erlang:garbage_collect/0`).
    pub fn collect_major(&mut self, need: usize, roots: &mut [&mut [Term]]) {
        self.major(need, roots, &mut []);
    }

    /// [`Heap::collect_major`] with the process stack passed apart, as
    /// [`Heap::collect_with_stack`] takes it.
    pub fn collect_major_with_stack(
        &mut self,
        need: usize,
        roots: &mut [&mut [Term]],
        stack: &mut [Term],
    ) {
        self.major(need, roots, stack);
    }

    /// The young block's free target after a collection that promoted `promoted` words and
    /// scanned `root_words` root words.
    fn young_free_target(
        &self,
        need: usize,
        root_words: usize,
        promoted: usize,
        survived: usize,
    ) -> usize {
        let growth = promoted
            .saturating_mul(2)
            .min(self.young_free_target.saturating_mul(2));
        // A minor collection's work is about its roots and survivors: with at least
        // SURVIVOR_RATIO times that much room to allocate in before the next one, it costs at
        // most 1/SURVIVOR_RATIO of a copy per allocated word (a process whose young objects
        // mostly die still collects often when its live young data is large, else rarely).
        // Capped: a large survivor set is promoted by the next collection anyway, and the
        // promotion-driven growth sizes the nursery from then on.
        let work = survived
            .saturating_add(root_words)
            .min(SURVIVOR_WORK_CAP)
            .saturating_mul(SURVIVOR_RATIO);
        need.max(root_words)
            .max(self.min_words)
            .max(growth)
            .max(work)
    }

    fn fragment_ranges(&self) -> Vec<Range<usize>> {
        let mut fragments: Vec<_> = self.fragments.iter().map(|f| f.block.range()).collect();
        fragments.sort_by_key(|r| r.start);
        fragments
    }

    /// A minor collection; the old block must have room for every mature word.
    fn minor(
        &mut self,
        need: usize,
        roots: &mut [&mut [Term]],
        stack: &mut [Term],
        unchanged: usize,
    ) {
        debug_assert!(self.old.free() >= self.hwm);
        // `stack[..skip]` was not written since the last collection, after which it held no
        // pointer into the young generation: it points only into the old block (which a
        // minor collection does not move) or outside the heap.
        let skip = unchanged.min(self.stack_clean).min(stack.len());
        let root_words = root_words(roots) + (stack.len() - skip);
        self.scanned_root_words += root_words as u64;
        let mature = self.hwm;
        let new_words = self.young.top - mature + self.fragment_words();
        // Room for the worst case: every new object live, and the largest free target.
        let free_max = self.young_free_target(need, root_words, mature, new_words);
        let mut to = Bump::new(size_class(
            self.min_words.max(new_words.saturating_add(free_max)),
        ));
        let old_top = self.old.top;
        let young_start = self.young.block.ptr() as usize;
        let mut copier = Copier {
            from: FromSpace {
                young: self.young.block.range(),
                old: 0..0,
                fragments: self.fragment_ranges(),
            },
            mature: young_start..young_start + mature * 8,
            promote_all: false,
            old: ToSpace::after(&self.old),
            young: ToSpace::after(&to),
            from_old_words: 0,
        };
        // The lowest stack slot left pointing into the young block: the stack is clean below.
        let young_to = address_range(to.block.ptr(), to.block.len());
        let mut clean = stack.len();
        for (i, t) in stack.iter_mut().enumerate().skip(skip) {
            *t = copier.evacuate(*t);
            if clean > i && (t.is_list() || t.is_boxed()) && young_to.contains(&(t.ptr() as usize))
            {
                clean = i;
            }
        }
        copier.run(roots);
        self.stack_clean = clean;
        self.old.top = copier.old.top;
        to.top = copier.young.top;
        let promoted = self.old.top - old_top;
        let survived = to.top;
        debug_assert!(promoted <= mature && survived <= new_words);

        // Refc binaries: a moved one has a forwarding pointer in place of its header.
        let old_range = self.old.block.range();
        let old_list = &mut self.old_off_heap;
        self.young_off_heap.retain_mut(|obj| {
            // SAFETY: entries point at refc binary objects in from-space, still allocated.
            let w = Term(unsafe { **obj });
            if w.is_boxed() {
                *obj = w.ptr_mut();
                if old_range.contains(&(*obj as usize)) {
                    old_list.push(*obj);
                    false
                } else {
                    true
                }
            } else {
                // SAFETY: the object is unreachable, so its count is released exactly once.
                unsafe { release_refc(*obj) };
                false
            }
        });
        self.young = to;
        self.hwm = survived;
        self.fragments.clear();
        self.collections += 1;

        let free = self.young_free_target(need, root_words, promoted, survived);
        self.young_free_target = free;
        let desired = size_class(self.min_words.max(survived + free));
        debug_assert!(desired <= self.young.block.len());
        if desired < self.young.block.len() {
            let force = self.force_move_on_resize;
            if let Some(moved) = resize(&mut self.young.block, desired, survived, force) {
                self.relocations += 1;
                let fix = relocation(moved, self.young.block.ptr() as usize);
                fix_roots(roots, &fix);
                // `stack[..skip]` has no pointer into the young block.
                fix_roots(&mut [&mut stack[skip..]], &fix);
                // SAFETY: the young block holds `survived` words of copied objects and the old
                // block, from `old_top`, the objects promoted now (which should not point into
                // the young block, but fixing them costs no more than copying them did).
                unsafe {
                    scan_objects(self.young.block.ptr(), survived, &fix);
                    scan_objects(self.old.block.ptr().add(old_top), promoted, &fix);
                }
                for obj in &mut self.young_off_heap {
                    *obj = fix(Term::boxed_ptr(*obj)).ptr_mut();
                }
            }
        }
    }

    /// A major collection, scanning `stack` like the other roots.
    fn major(&mut self, need: usize, roots: &mut [&mut [Term]], stack: &mut [Term]) {
        let root_words = root_words(roots) + stack.len();
        self.scanned_root_words += root_words as u64;
        let used = self.used_words();
        let mut to = Bump::new(old_block_words(used, root_words));
        let mut copier = Copier {
            from: FromSpace {
                young: self.young.block.range(),
                old: self.old.block.range(),
                fragments: self.fragment_ranges(),
            },
            mature: 0..0,
            promote_all: true,
            old: ToSpace::after(&to),
            young: ToSpace::none(),
            from_old_words: 0,
        };
        copier.run(&mut [&mut *stack]);
        copier.run(roots);
        to.top = copier.old.top;
        let live = to.top;
        let from_young = live - copier.from_old_words;
        debug_assert!(live <= used);

        let mut list = Vec::with_capacity(self.old_off_heap.len());
        for obj in self
            .old_off_heap
            .drain(..)
            .chain(self.young_off_heap.drain(..))
        {
            // SAFETY: entries point at refc binary objects in from-space, still allocated.
            let w = Term(unsafe { *obj });
            if w.is_boxed() {
                list.push(w.ptr_mut());
            } else {
                // SAFETY: the object is unreachable, so its count is released exactly once.
                unsafe { release_refc(obj) };
            }
        }
        self.old_off_heap = list;
        self.old = to;
        self.fragments.clear();
        self.hwm = 0;
        // The young generation is empty: no stack slot, whatever stack it is, points into it.
        self.stack_clean = usize::MAX;
        // Only a minor collection scans part of the roots; size the young block for that.
        let free = self.young_free_target(need, 0, from_young, 0);
        self.young_free_target = free;
        let young_words = size_class(self.min_words.max(free));
        if self.young.block.len() == young_words {
            self.young.top = 0;
        } else {
            self.young = Bump::new(young_words);
        }
        self.collections += 1;
        self.major_collections += 1;

        let desired = old_block_words(live, root_words);
        debug_assert!(desired <= self.old.block.len());
        if desired < self.old.block.len() {
            let force = self.force_move_on_resize;
            if let Some(moved) = resize(&mut self.old.block, desired, live, force) {
                self.relocations += 1;
                let fix = relocation(moved, self.old.block.ptr() as usize);
                fix_roots(roots, &fix);
                fix_roots(&mut [stack], &fix);
                // SAFETY: the old block holds `live` words of copied objects.
                unsafe { scan_objects(self.old.block.ptr(), live, &fix) };
                for obj in &mut self.old_off_heap {
                    *obj = fix(Term::boxed_ptr(*obj)).ptr_mut();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;

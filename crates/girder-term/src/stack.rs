//! A process stack: a growable array of words whose layout native code may rely on.
//!
//! It behaves as a `Vec<Term>` (and derefs to a slice), but its three fields are `#[repr(C)]`
//! and public in meaning: native code reads and writes Y registers at `ptr[len - 2 - n]`
//! directly, and may push or pop frames while `len` stays within `cap`. Everything that
//! reallocates goes through the methods here.

use std::mem::ManuallyDrop;

use crate::word::Term;

/// The process stack (see the module docs).
#[repr(C)]
pub struct Stack {
    /// The first word (dangling but aligned while `cap == 0`).
    ptr: *mut Term,
    /// Words in use.
    len: usize,
    /// Words allocated.
    cap: usize,
}

// SAFETY: a Stack exclusively owns its buffer, as a Vec<Term> would (Term is plain data).
unsafe impl Send for Stack {}

/// Byte offsets of the fields, for code generators.
pub mod offsets {
    /// `Stack::ptr`.
    pub const PTR: usize = std::mem::offset_of!(super::Stack, ptr);
    /// `Stack::len`.
    pub const LEN: usize = std::mem::offset_of!(super::Stack, len);
    /// `Stack::cap`.
    pub const CAP: usize = std::mem::offset_of!(super::Stack, cap);
}

impl Default for Stack {
    fn default() -> Self {
        Stack::new()
    }
}

impl Stack {
    /// An empty stack (no memory).
    pub fn new() -> Stack {
        Stack::from_vec(Vec::new())
    }

    fn from_vec(v: Vec<Term>) -> Stack {
        let mut v = ManuallyDrop::new(v);
        Stack {
            ptr: v.as_mut_ptr(),
            len: v.len(),
            cap: v.capacity(),
        }
    }

    /// Run `f` on the buffer as a `Vec`, then take it back (it may have moved).
    fn with_vec<R>(&mut self, f: impl FnOnce(&mut Vec<Term>) -> R) -> R {
        // SAFETY: `ptr`, `len` and `cap` always describe a Vec<Term> allocation that this
        // Stack owns (made by `from_vec`, or left so by native code, which only changes `len`
        // within `cap` and writes initialised words below it).
        let mut v = unsafe { Vec::from_raw_parts(self.ptr, self.len, self.cap) };
        let r = f(&mut v);
        let mut v = ManuallyDrop::new(v);
        self.ptr = v.as_mut_ptr();
        self.len = v.len();
        self.cap = v.capacity();
        r
    }

    /// Words in use.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the stack is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Words allocated.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Push one word.
    #[inline]
    pub fn push(&mut self, t: Term) {
        if self.len == self.cap {
            self.reserve(1);
        }
        // SAFETY: `len < cap` after the reserve, so the slot is inside the allocation.
        unsafe { self.ptr.add(self.len).write(t) };
        self.len += 1;
    }

    /// Make room for `n` more words without reallocating.
    #[inline]
    pub fn reserve(&mut self, n: usize) {
        if self.cap - self.len < n {
            self.grow(n);
        }
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self, n: usize) {
        self.with_vec(|v| v.reserve(n.max(16)));
    }

    /// Shorten to `len` words (no effect if already shorter).
    #[inline]
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Empty the stack (keeping its memory).
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Grow or shrink to `len` words, new ones set to `value`.
    #[inline]
    pub fn resize(&mut self, len: usize, value: Term) {
        if len <= self.len {
            self.len = len;
            return;
        }
        self.reserve(len - self.len);
        for i in self.len..len {
            // SAFETY: `i < len <= cap` after the reserve.
            unsafe { self.ptr.add(i).write(value) };
        }
        self.len = len;
    }

    /// Give unused memory back.
    pub fn shrink_to_fit(&mut self) {
        self.with_vec(|v| v.shrink_to_fit());
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: as in `with_vec`; the Vec frees the buffer.
        drop(unsafe { Vec::from_raw_parts(self.ptr, self.len, self.cap) });
    }
}

impl std::ops::Deref for Stack {
    type Target = [Term];
    #[inline]
    fn deref(&self) -> &[Term] {
        // SAFETY: words `0..len` are initialised and owned by this Stack.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl std::ops::DerefMut for Stack {
    #[inline]
    fn deref_mut(&mut self) -> &mut [Term] {
        // SAFETY: as in `deref`, and `&mut self` makes the access exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_a_vec() {
        let mut s = Stack::new();
        assert!(s.is_empty());
        for i in 0..100 {
            s.push(Term::small(i));
        }
        assert_eq!(s.len(), 100);
        assert_eq!(s[99], Term::small(99));
        s.truncate(10);
        s.resize(20, Term::NIL);
        assert_eq!(s[15], Term::NIL);
        assert_eq!(s[9], Term::small(9));
        s[0] = Term::small(7);
        assert_eq!(s.iter().next(), Some(&Term::small(7)));
        s.shrink_to_fit();
        assert!(s.capacity() >= 20);
        s.clear();
        assert!(s.is_empty());
    }
}

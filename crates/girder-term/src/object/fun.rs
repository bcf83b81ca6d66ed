//! Funs: closures (`FUN`) and external funs (`EXPORT`).
//!
//! - `FUN`: header (arity = 3 + free count), the runtime's fun entry pointer (raw, never
//!   followed by the GC), the creator pid (a term), the free count (a small), the free
//!   variables (terms).
//! - `EXPORT`: header (arity 1), the runtime's export entry pointer (raw).
//!
//! Entry pointers are opaque here (`*const ()`), with one requirement so that funs can be
//! compared and printed without calling into the runtime: **the entry must be a `#[repr(C)]`
//! value whose first field is a [`FunIdentity`] (for funs) or an [`ExportIdentity`] (for
//! exports)**, and it must outlive every term that points at it (the runtime keeps entries of
//! purged code until no process can refer to them, as OTP does).

use super::{alloc_object, term_slice};
use crate::atom::Atom;
use crate::header::{boxed_subtag, header_of, payload, payload_ptr, subtag};
use crate::heap::Alloc;
use crate::word::Term;

/// What identifies a fun, at the start of the runtime's fun entry.
#[repr(C)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunIdentity {
    /// The defining module.
    pub module: Atom,
    /// The fun's arity as Erlang sees it (free variables not counted).
    pub arity: u32,
    /// Index in the module's fun table.
    pub index: u32,
    /// `OldIndex` (what `fun_info(F, index)` reports and funs print).
    pub old_index: u32,
    /// `OldUniq`: hash that funs print as their last number.
    pub old_uniq: u32,
    /// MD5 of the module (`NEW_FUN_EXT`'s `Uniq`).
    pub uniq: [u8; 16],
}

/// What identifies an external fun, at the start of the runtime's export entry.
#[repr(C)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportIdentity {
    /// Module.
    pub module: Atom,
    /// Function.
    pub function: Atom,
    /// Arity.
    pub arity: u32,
}

/// A closure over `entry` made by `creator` (a pid term) with the free variables `free`.
pub fn make_fun(h: &mut impl Alloc, entry: *const (), creator: Term, free: &[Term]) -> Term {
    let n = free.len();
    let (t, p) = alloc_object(h, 3 + n, subtag::FUN);
    // SAFETY: the object has `3 + n` payload words.
    unsafe {
        p.write(entry as u64);
        p.add(1).write(creator.0);
        p.add(2).write(Term::small(n as i64).0);
        std::ptr::copy_nonoverlapping(free.as_ptr(), p.add(3).cast::<Term>(), n);
    }
    t
}

/// An external fun for the export entry `entry`.
pub fn make_export(h: &mut impl Alloc, entry: *const ()) -> Term {
    let (t, p) = alloc_object(h, 1, subtag::EXPORT);
    // SAFETY: the object has one payload word.
    unsafe { p.write(entry as u64) };
    t
}

/// Whether `t` is a fun of either kind (`is_function/1`).
#[inline]
pub fn is_function(t: Term) -> bool {
    matches!(boxed_subtag(t), Some(subtag::FUN | subtag::EXPORT))
}

/// Whether `t` is a closure.
#[inline]
pub fn is_local_fun(t: Term) -> bool {
    boxed_subtag(t) == Some(subtag::FUN)
}

/// Whether `t` is an external fun.
#[inline]
pub fn is_export(t: Term) -> bool {
    boxed_subtag(t) == Some(subtag::EXPORT)
}

/// The fun entry of the closure `t`.
#[inline]
pub fn fun_entry(t: Term) -> *const () {
    debug_assert!(is_local_fun(t));
    payload(t, 0) as *const ()
}

/// The identity at the start of the closure's fun entry.
#[inline]
pub fn fun_identity<'a>(t: Term) -> &'a FunIdentity {
    // SAFETY: by this module's contract the entry is a live `repr(C)` value starting with a
    // `FunIdentity`, outliving the term.
    unsafe { &*fun_entry(t).cast::<FunIdentity>() }
}

/// The creator pid of the closure `t`.
#[inline]
pub fn fun_creator(t: Term) -> Term {
    debug_assert!(is_local_fun(t));
    Term(payload(t, 1))
}

/// The free variables of the closure `t`. Valid until the next GC of the heap holding `t`.
#[inline]
pub fn fun_free<'a>(t: Term) -> &'a [Term] {
    debug_assert!(is_local_fun(t));
    let n = header_of(t).header_arity() - 3;
    // SAFETY: a live closure has `n` initialised free variables after its first three words.
    unsafe { term_slice(payload_ptr(t).add(3), n) }
}

/// The export entry of the external fun `t`.
#[inline]
pub fn export_entry(t: Term) -> *const () {
    debug_assert!(is_export(t));
    payload(t, 0) as *const ()
}

/// The identity at the start of the external fun's export entry.
#[inline]
pub fn export_identity<'a>(t: Term) -> &'a ExportIdentity {
    // SAFETY: by this module's contract the entry is a live `repr(C)` value starting with an
    // `ExportIdentity`, outliving the term.
    unsafe { &*export_entry(t).cast::<ExportIdentity>() }
}

/// The arity of a fun of either kind, as `fun_info(F, arity)` reports it.
pub fn fun_arity(t: Term) -> u32 {
    if is_export(t) {
        export_identity(t).arity
    } else {
        fun_identity(t).arity
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::Heap;

    #[test]
    fn funs_and_exports() {
        let id = Box::new(FunIdentity {
            module: Atom::intern("m"),
            arity: 1,
            index: 0,
            old_index: 0,
            old_uniq: 123,
            uniq: [0; 16],
        });
        let mut h = Heap::new(64);
        let entry = &*id as *const FunIdentity as *const ();
        let f = make_fun(&mut h, entry, Term::pid(5), &[Term::small(1), Term::NIL]);
        assert!(is_function(f) && is_local_fun(f) && !is_export(f));
        assert_eq!(fun_entry(f), entry);
        assert_eq!(fun_creator(f), Term::pid(5));
        assert_eq!(fun_free(f), &[Term::small(1), Term::NIL]);
        assert_eq!(fun_identity(f).old_uniq, 123);
        assert_eq!(fun_arity(f), 1);
        let ex = Box::new(ExportIdentity {
            module: Atom::ERLANG,
            function: Atom::APPLY,
            arity: 2,
        });
        let e = make_export(&mut h, &*ex as *const ExportIdentity as *const ());
        assert!(is_function(e) && is_export(e));
        assert_eq!(export_identity(e).function, Atom::APPLY);
        assert_eq!(fun_arity(e), 2);
    }
}

//! Resolving the funs of file-level terms to runtime entries.

use girder_format::Term as FTerm;

use crate::atom::Atom;
use crate::object::{ExportIdentity, FunIdentity};

/// Resolves the funs of file-level terms to the runtime's entries (see [`crate::object::fun`]
/// for what the entries must look like).
pub trait FunResolver {
    /// The fun entry for a local fun, or `None` if there is none.
    fn fun_entry(&mut self, fun: &girder_format::Fun) -> Option<*const ()>;
    /// The export entry for `fun module:function/arity`, or `None`.
    fn export_entry(&mut self, module: &str, function: &str, arity: u8) -> Option<*const ()>;
}

/// A resolver that resolves nothing.
pub struct NoFuns;

impl FunResolver for NoFuns {
    fn fun_entry(&mut self, _: &girder_format::Fun) -> Option<*const ()> {
        None
    }
    fn export_entry(&mut self, _: &str, _: &str, _: u8) -> Option<*const ()> {
        None
    }
}

/// A resolver that makes its own entries, holding just the identity of each fun and export
/// (one per distinct fun or `M:F/A`), for tools and tests that convert terms without a
/// runtime. Terms built with it are valid only while it lives.
#[derive(Default)]
pub struct StandaloneFuns {
    funs: Vec<(girder_format::Fun, *mut FunIdentity)>,
    exports: Vec<*mut ExportIdentity>,
}

impl StandaloneFuns {
    /// No entries yet.
    pub fn new() -> StandaloneFuns {
        StandaloneFuns::default()
    }
}

impl FunResolver for StandaloneFuns {
    fn fun_entry(&mut self, fun: &girder_format::Fun) -> Option<*const ()> {
        let same = |f: &girder_format::Fun| {
            (
                &f.module,
                f.index,
                f.uniq,
                f.arity,
                &f.old_index,
                &f.old_uniq,
            ) == (
                &fun.module,
                fun.index,
                fun.uniq,
                fun.arity,
                &fun.old_index,
                &fun.old_uniq,
            )
        };
        if let Some((_, p)) = self.funs.iter().find(|(f, _)| same(f)) {
            return Some(p.cast_const().cast());
        }
        let small = |t: &FTerm| match t {
            FTerm::Int(n) => u32::try_from(*n).ok(),
            _ => None,
        };
        let id = FunIdentity {
            module: Atom::try_intern(&fun.module)?,
            arity: fun.arity.into(),
            index: fun.index,
            old_index: small(&fun.old_index)?,
            old_uniq: small(&fun.old_uniq)?,
            uniq: fun.uniq,
        };
        let p = Box::into_raw(Box::new(id));
        let key = girder_format::Fun {
            pid: Box::new(FTerm::Nil),
            free: Vec::new(),
            ..fun.clone()
        };
        self.funs.push((key, p));
        Some(p.cast_const().cast())
    }

    fn export_entry(&mut self, module: &str, function: &str, arity: u8) -> Option<*const ()> {
        let id = ExportIdentity {
            module: Atom::try_intern(module)?,
            function: Atom::try_intern(function)?,
            arity: arity.into(),
        };
        // SAFETY: every pointer in `exports` came from `Box::into_raw` and lives until drop.
        let found = self.exports.iter().find(|&&p| unsafe { *p == id });
        let p = match found {
            Some(&p) => p,
            None => {
                let p = Box::into_raw(Box::new(id));
                self.exports.push(p);
                p
            }
        };
        Some(p.cast_const().cast())
    }
}

impl Drop for StandaloneFuns {
    fn drop(&mut self) {
        for &(_, p) in &self.funs {
            // SAFETY: made by `Box::into_raw` in `fun_entry`, freed once.
            drop(unsafe { Box::from_raw(p) });
        }
        for &p in &self.exports {
            // SAFETY: made by `Box::into_raw` in `export_entry`, freed once.
            drop(unsafe { Box::from_raw(p) });
        }
    }
}

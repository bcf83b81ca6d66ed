//! What compiled code refers to outside itself, and how those references are filled in.
//!
//! Native code holds no address and no run-dependent value of its own making: every such
//! constant (the module's code index, its tables, the link table, export entries, atoms
//! other than the predefined ones, literals) is a Cranelift symbol whose 8-byte slot
//! (`Abs8`) is patched when the code is installed. The same bytes therefore install into
//! any run that loaded the same module, which is what the native-code cache relies on.

use cranelift_codegen::binemit::Reloc as Kind;
use girder_runtime::engine::LINKS;
use girder_runtime::module::{self, EXPORT_TARGET, Export, Module};
use girder_term::{Atom, Term};

/// Something native code refers to, resolved against the module it was compiled from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Sym {
    /// `code_index << 34`: a continuation-pointer word for offset 0 of the module (the
    /// addend adds `offset << 2`).
    CodeWord,
    /// The module's code index.
    CodeIndex,
    /// `code_index << 38`: a catch marker for label 0 of the module (the addend adds
    /// `label << 6` and the catch tag).
    CatchBase,
    /// `module.function_of.as_ptr()`.
    FunctionOf,
    /// `module.native.as_ptr()`.
    Natives,
    /// The link table, [`LINKS`].
    Links,
    /// The export entry `module:function/arity` (the addend selects a field).
    Export(String, String, u32),
    /// The atom with this name, as a term.
    Atom(String),
    /// The module's boxed constant number `n` ([`Module::constants`]), as a term.
    Constant(u32),
}

/// One patch: the 8 bytes at `offset` become symbol `sym`'s value plus `addend`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reloc {
    /// Byte offset in the function's code.
    pub offset: u32,
    /// Index in the function's symbol list.
    pub sym: u32,
    /// Added to the symbol's value.
    pub addend: i64,
}

impl Sym {
    /// The symbol's value in this run, for code compiled from `module`; `None` when it
    /// cannot be had (a constant index out of range: the code is not for this module).
    pub fn resolve(&self, module: &Module) -> Option<u64> {
        Some(match self {
            Sym::CodeWord => u64::from(module.code_index) << 34,
            Sym::CodeIndex => u64::from(module.code_index),
            Sym::CatchBase => u64::from(module.code_index) << 38,
            Sym::FunctionOf => module.function_of.as_ptr() as u64,
            Sym::Natives => module.native.as_ptr() as u64,
            Sym::Links => LINKS.as_ptr() as u64,
            Sym::Export(m, f, a) => {
                let e = module::export(Atom::try_intern(m)?, Atom::try_intern(f)?, *a);
                e as *const Export as u64
            }
            Sym::Atom(name) => Term::atom(Atom::try_intern(name)?).0,
            Sym::Constant(n) => module.constants.get(*n as usize)?.0,
        })
    }
}

/// The offset in an [`Export`] native code reads its target from (for `Sym::Export`
/// addends).
pub const EXPORT_TARGET_OFFSET: i64 = EXPORT_TARGET as i64;

/// Patch `code` (a copy of a function's bytes) for `module`. Fails on a relocation that
/// does not fit the code or names no symbol, or a symbol that does not resolve: such code
/// is never installed.
pub fn apply(
    code: &mut [u8],
    relocs: &[Reloc],
    syms: &[Sym],
    module: &Module,
) -> Result<(), String> {
    let mut values = Vec::with_capacity(syms.len());
    for s in syms {
        values.push(
            s.resolve(module)
                .ok_or_else(|| format!("unresolvable symbol {s:?}"))?,
        );
    }
    let len = code.len();
    for r in relocs {
        let v = values
            .get(r.sym as usize)
            .ok_or_else(|| format!("relocation names symbol {} of {}", r.sym, syms.len()))?
            .wrapping_add(r.addend as u64);
        let at = r.offset as usize;
        let slot = code
            .get_mut(at..at + 8)
            .ok_or_else(|| format!("relocation at {at} outside the code's {len} bytes"))?;
        slot.copy_from_slice(&v.to_le_bytes());
    }
    Ok(())
}

/// Whether Cranelift's relocation kind is the one girder patches (an absolute 8-byte
/// address: what every supported ISA emits for a far, non-PIC symbol value).
pub fn supported_kind(kind: Kind) -> bool {
    kind == Kind::Abs8
}

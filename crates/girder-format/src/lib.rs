//! File formats of the BEAM: `.beam` modules, AtomVM `.avm` packs and the external term format.
//!
//! Everything here reads untrusted bytes: no input makes it panic or allocate without bound;
//! every failure is an [`Error`] naming the chunk and byte offset.
//!
//! - [`beam`]: the IFF container and every chunk ([`BeamFile`]).
//! - [`code`] and [`compact`]: the instruction stream and its operand encoding;
//!   [`opcodes`] is generated from `genop.tsv`.
//! - [`lines`], [`types`]: the `Line` and `Type` chunks.
//! - [`etf`] and [`term`]: the external term format and owned terms.
//! - [`avm`]: AtomVM packs.
//! - [`disasm`]: a readable listing of a module.
//! - [`zip`]: zip archives (escript archives, `.ez` files).

pub mod avm;
pub mod beam;
pub mod code;
pub mod compact;
pub mod disasm;
pub mod error;
pub mod etf;
pub mod lines;
pub mod md5;
pub mod opcodes;
pub mod reader;
pub mod term;
pub mod term_fmt;
pub mod types;
pub mod zip;

pub use beam::BeamFile;
pub use error::{ChunkId, Error, Result};
pub use term::{Fun, Term};

//! File formats of the BEAM: `.beam` modules, AtomVM `.avm` packs and the external term format.
//!
//! Everything here reads untrusted bytes: no input makes it panic or allocate without bound;
//! every failure is an [`Error`] naming the chunk and byte offset.

pub mod avm;
pub mod error;
pub mod etf;
pub mod reader;
pub mod term;

pub use error::{ChunkId, Error, Result};
pub use term::{Fun, Term};

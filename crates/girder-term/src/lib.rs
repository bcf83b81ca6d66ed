//! Erlang terms as girder's runtime holds them: one tagged 64-bit word per term, boxed
//! objects and cons cells on per-process heaps, the generational copying garbage collector, and
//! the global atom table.
//!
//! - [`word`]: the tagged word ([`Term`]) and immediates; [`atom`]: the atom table.
//! - [`header`]: header words and the layout of every boxed object.
//! - [`heap`]: process heaps (young and old generations, heap fragments), literal areas
//!   ([`Alloc`]).
//! - [`object`]: constructors and accessors for tuples, lists, numbers, binaries, maps, funs,
//!   references and external identifiers.
//! - [`compare`]: term order and equality. [`convert`]: to and from `girder_format::Term`.
//! - [`hash`]: OTP's internal term hash, which orders large maps.
//! - [`gc`]: the generational copying collector (minor and major collections); [`copy`]: deep
//!   copies between heaps, term sizes.
//!
//! This is the one crate that reads and writes raw heap memory. Everything that does is
//! `unsafe` with a `// SAFETY:` comment, and rests on the invariants in the module docs of
//! [`word`] (the encoding) and [`heap`] (who owns which memory, when pointers stay valid).

pub mod atom;
pub mod compare;
pub mod convert;
pub mod copy;
pub mod gc;
pub mod hash;
pub mod header;
pub mod heap;
pub mod object;
pub mod owned;
pub mod stack;
pub mod word;

pub use atom::Atom;
pub use compare::{cmp, eq, eq_exact};
pub use convert::{display, from_format, to_format};
pub use copy::{copy_term, size_of_term};
pub use heap::{Alloc, Heap, LiteralArea};
pub use word::Term;

//! The external term format: `term_to_binary/1` bytes, read and written.
//!
//! [`decode`] reads any term OTP 25–27 writes (and the older tags still accepted by
//! `binary_to_term/1`), including compressed terms. It reads untrusted bytes: it never panics,
//! checks every declared length against the bytes actually left before allocating, inflates
//! compressed terms no further than their declared size, and decodes without recursion, with
//! nesting bounded by [`MAX_DEPTH`]. Long lists, including lists chained through their tails
//! (`[a | [b | [c | …]]]` written as nested `LIST_EXT`s), do not count towards that depth.
//!
//! [`encode`] writes exactly the bytes OTP 25's `term_to_binary/1` writes for the same term;
//! [`encode_with`] also covers the OTP 26+ default of UTF-8 atoms.
//!
//! Decoded terms are normalised: integers that fit an `i64` are [`Term::Int`], lists are flat
//! (a list's tail is never itself a non-empty list) and a `LIST_EXT` of no elements is its
//! tail, a `BIT_BINARY_EXT` holding whole bytes is a [`Term::Binary`], and the unused low bits
//! of a bitstring's last byte are cleared. Map pairs keep the order they were read in (OTP
//! itself sorts small maps when it reads them; it writes them sorted, so terms OTP wrote
//! round-trip byte for byte). Maps with duplicate keys are refused, as `binary_to_term/1`
//! refuses them.

mod decode;
mod encode;
#[cfg(test)]
mod tests;

pub use decode::{decode, decode_from, decode_prefix, decode_with_base};
pub(crate) use encode::list_segments;
pub use encode::{
    EncodeOptions, encode, encode_compressed, encode_with, try_encode, try_encode_spans,
    try_encode_with,
};

/// The version byte that starts every external term.
pub const VERSION: u8 = 131;

/// How deeply tuples, lists (other than through their tails), maps and funs may nest in a
/// decoded term.
///
/// The decoder, the encoder and `Display` do not recurse, but the derived `Drop`, `Clone`,
/// `PartialEq` and `Debug` of [`Term`] do. Measured per level of nesting: about 100 bytes
/// of stack for `Drop` and 200–400 for the others at this workspace's `opt-level = 1`,
/// about 1.5 KiB for `Clone` and `PartialEq` at `opt-level = 0`; so a term this deep is safe
/// on a 2 MiB thread stack except when cloned or compared in a fully unoptimised build.
/// The deepest term in any `.beam` file of OTP 25 (literals, attributes, debug info) nests
/// 268 levels. Deeper input is refused with a clear error.
pub const MAX_DEPTH: usize = 2_000;

/// The tags of the external term format.
pub mod tag {
    /// `NEW_FLOAT_EXT`: an IEEE double, big-endian.
    pub const NEW_FLOAT: u8 = 70;
    /// `BIT_BINARY_EXT`: a bitstring.
    pub const BIT_BINARY: u8 = 77;
    /// `COMPRESSED`: a zlib-compressed term (only right after the version byte).
    pub const COMPRESSED: u8 = 80;
    /// `ATOM_CACHE_REF`: an index into a distribution header's atom cache.
    pub const ATOM_CACHE_REF: u8 = 82;
    /// `NEW_PID_EXT`: a pid with a 32-bit creation.
    pub const NEW_PID: u8 = 88;
    /// `NEW_PORT_EXT`: a port with a 32-bit id and creation.
    pub const NEW_PORT: u8 = 89;
    /// `NEWER_REFERENCE_EXT`: a reference with a 32-bit creation.
    pub const NEWER_REFERENCE: u8 = 90;
    /// `SMALL_INTEGER_EXT`: an integer 0..=255.
    pub const SMALL_INTEGER: u8 = 97;
    /// `INTEGER_EXT`: a signed 32-bit integer.
    pub const INTEGER: u8 = 98;
    /// `FLOAT_EXT`: a float as 31 bytes of text (obsolete).
    pub const FLOAT: u8 = 99;
    /// `ATOM_EXT`: a Latin-1 atom with a 16-bit length.
    pub const ATOM: u8 = 100;
    /// `REFERENCE_EXT`: an old single-word reference.
    pub const REFERENCE: u8 = 101;
    /// `PORT_EXT`: a port with an 8-bit creation.
    pub const PORT: u8 = 102;
    /// `PID_EXT`: a pid with an 8-bit creation.
    pub const PID: u8 = 103;
    /// `SMALL_TUPLE_EXT`: a tuple of arity up to 255.
    pub const SMALL_TUPLE: u8 = 104;
    /// `LARGE_TUPLE_EXT`: a tuple with a 32-bit arity.
    pub const LARGE_TUPLE: u8 = 105;
    /// `NIL_EXT`: `[]`.
    pub const NIL: u8 = 106;
    /// `STRING_EXT`: a proper list of up to 65535 bytes.
    pub const STRING: u8 = 107;
    /// `LIST_EXT`: elements, then a tail.
    pub const LIST: u8 = 108;
    /// `BINARY_EXT`: a binary.
    pub const BINARY: u8 = 109;
    /// `SMALL_BIG_EXT`: an integer of up to 255 magnitude bytes.
    pub const SMALL_BIG: u8 = 110;
    /// `LARGE_BIG_EXT`: an integer with a 32-bit magnitude length.
    pub const LARGE_BIG: u8 = 111;
    /// `NEW_FUN_EXT`: a local fun.
    pub const NEW_FUN: u8 = 112;
    /// `EXPORT_EXT`: `fun M:F/A`.
    pub const EXPORT: u8 = 113;
    /// `NEW_REFERENCE_EXT`: a reference with an 8-bit creation.
    pub const NEW_REFERENCE: u8 = 114;
    /// `SMALL_ATOM_EXT`: a Latin-1 atom with an 8-bit length.
    pub const SMALL_ATOM: u8 = 115;
    /// `MAP_EXT`: a map.
    pub const MAP: u8 = 116;
    /// `FUN_EXT`: the pre-R10 fun format, no longer produced or accepted by OTP.
    pub const FUN: u8 = 117;
    /// `ATOM_UTF8_EXT`: a UTF-8 atom with a 16-bit length.
    pub const ATOM_UTF8: u8 = 118;
    /// `SMALL_ATOM_UTF8_EXT`: a UTF-8 atom with an 8-bit length.
    pub const SMALL_ATOM_UTF8: u8 = 119;
    /// `V4_PORT_EXT`: a port with a 64-bit id.
    pub const V4_PORT: u8 = 120;
    /// `LOCAL_EXT`: a term in a node-local format (OTP 26+ `[local]` option).
    pub const LOCAL: u8 = 121;
}

/// The most characters an atom may have.
const MAX_ATOM_CHARS: usize = 255;
/// The most id words a reference may have.
const MAX_REF_WORDS: usize = 5;
/// `STRING_EXT` holds fewer elements than this.
const MAX_STRING_LEN: usize = 65_536;
/// The node name of a node that is not distributed.
const NO_NODE: &str = "nonode@nohost";

/// The name and creation of this node once it is distributed (`erlang:setnode/2`); `None`
/// while it is `nonode@nohost` with creation 0.
static LOCAL_NODE: std::sync::RwLock<Option<(String, u32)>> = std::sync::RwLock::new(None);

/// Make `name` with `creation` the local node (`erlang:setnode/2`): pids, ports and
/// references of it are the local ones from now on.
pub fn set_local_node(name: &str, creation: u32) {
    *LOCAL_NODE.write().unwrap_or_else(|e| e.into_inner()) = Some((name.to_string(), creation));
}

/// The local node's name and creation (`nonode@nohost` and 0 until it is distributed).
pub fn local_node() -> (String, u32) {
    match &*LOCAL_NODE.read().unwrap_or_else(|e| e.into_inner()) {
        Some((n, c)) => (n.clone(), *c),
        None => (NO_NODE.to_string(), 0),
    }
}

/// True when `node` is the name of the local node (`nonode@nohost` until it is distributed),
/// the node of every pid, port and reference a non-distributed OTP writes.
pub fn is_local_node(node: &str) -> bool {
    match &*LOCAL_NODE.read().unwrap_or_else(|e| e.into_inner()) {
        Some((n, _)) => node == n,
        None => node == NO_NODE,
    }
}

/// True when `node` and `creation` name the local node's current incarnation.
pub fn is_local(node: &str, creation: u32) -> bool {
    match &*LOCAL_NODE.read().unwrap_or_else(|e| e.into_inner()) {
        Some((n, c)) => node == n && creation == *c,
        None => node == NO_NODE && creation == 0,
    }
}

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

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};

use flate2::{Decompress, FlushDecompress, Status};
use num_bigint::{BigInt, Sign};

use crate::error::{Error, Result};
use crate::reader::Reader;
use crate::term::{Fun, Term};

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

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/// Decodes one complete external term: the version byte 131, then a term (possibly
/// compressed), and nothing after it.
pub fn decode(bytes: &[u8]) -> Result<Term> {
    decode_with_base(bytes, 0)
}

/// Like [`decode`], for bytes that start at absolute offset `base` of a larger buffer (a
/// literal-table entry of a `.beam` file, say), so that errors name offsets in that buffer.
pub fn decode_with_base(bytes: &[u8], base: usize) -> Result<Term> {
    let mut r = Reader::new(bytes, base);
    let term = decode_from(&mut r)?;
    if !r.is_empty() {
        return Err(r.error(format!("{} trailing bytes after the term", r.remaining())));
    }
    Ok(term)
}

/// Decodes the external term at the start of `bytes`, returning it and the number of bytes it
/// took; any bytes after it are left alone.
pub fn decode_prefix(bytes: &[u8]) -> Result<(Term, usize)> {
    let mut r = Reader::new(bytes, 0);
    let term = decode_from(&mut r)?;
    Ok((term, r.position()))
}

/// Decodes one version-prefixed external term at the reader's position, leaving the reader
/// just after it. Errors carry the reader's absolute offsets.
pub fn decode_from(r: &mut Reader<'_>) -> Result<Term> {
    let at = r.offset();
    let version = r.u8("version byte")?;
    if version != VERSION {
        return Err(Error::new(
            at,
            format!("bad version byte {version}, expected {VERSION}"),
        ));
    }
    if r.clone().u8("tag")? != tag::COMPRESSED {
        return Decoder::new(r).run();
    }
    r.u8("tag")?;
    let size = r.u32("uncompressed size")? as usize;
    let zlib_at = r.offset();
    let (data, used) = inflate(r.clone().rest(), size, zlib_at)?;
    r.skip(used, "zlib stream")?;
    let inner = |e: Error| {
        Error::new(
            zlib_at,
            format!(
                "in compressed term, at inflated byte {}: {}",
                e.offset, e.what
            ),
        )
    };
    let mut ir = Reader::new(&data, 0);
    let term = Decoder::new(&mut ir).run().map_err(inner)?;
    if !ir.is_empty() {
        return Err(inner(ir.error(format!(
            "{} trailing bytes after the term",
            ir.remaining()
        ))));
    }
    Ok(term)
}

/// Inflates the zlib stream at the start of `input`, which must inflate to exactly `declared`
/// bytes. Returns the data and the number of input bytes the stream took. Memory grows with
/// the data actually produced, never past `declared`.
fn inflate(input: &[u8], declared: usize, at: usize) -> Result<(Vec<u8>, usize)> {
    let mut z = Decompress::new(true);
    let mut out = Vec::with_capacity(declared.min(64 * 1024));
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        let (in_before, out_before) = (z.total_in() as usize, z.total_out());
        let rest = input.get(in_before..).unwrap_or(&[]);
        let status = z
            .decompress(rest, &mut buf, FlushDecompress::None)
            .map_err(|e| Error::new(at + in_before, format!("bad zlib data: {e}")))?;
        let produced = (z.total_out() - out_before) as usize;
        let consumed = z.total_in() as usize - in_before;
        if produced > declared - out.len() {
            return Err(Error::new(
                at,
                format!("compressed term inflates to more than its declared {declared} bytes"),
            ));
        }
        out.extend_from_slice(&buf[..produced]);
        match status {
            Status::StreamEnd => break,
            Status::Ok | Status::BufError if produced == 0 && consumed == 0 => {
                return Err(Error::new(
                    at + input.len(),
                    format!("truncated zlib stream after {} inflated bytes", out.len()),
                ));
            }
            Status::Ok | Status::BufError => {}
        }
    }
    if out.len() != declared {
        return Err(Error::new(
            at,
            format!(
                "compressed term inflates to {} bytes, not the declared {declared}",
                out.len()
            ),
        ));
    }
    Ok((out, z.total_in() as usize))
}

/// A compound term whose elements are being decoded.
struct Frame {
    kind: Kind,
    /// Index in `Decoder::values` of this frame's first element.
    start: usize,
    /// Elements still to come (for a list, counting its tail).
    remaining: usize,
    /// Offset of the compound's tag, for errors.
    at: usize,
}

enum Kind {
    Tuple,
    /// Elements then the tail, which is the last value.
    List,
    /// Keys and values alternating.
    Map,
    /// The free variables of a fun; `end` is where its declared size says it ends.
    Fun {
        head: Box<Fun>,
        end: usize,
    },
}

/// What one step of the decoder produced.
enum Step {
    /// A complete term, to be handed to the enclosing frame.
    Done(Term),
    /// A frame was opened or extended; keep reading.
    More,
}

struct Decoder<'r, 'a> {
    r: &'r mut Reader<'a>,
    /// Completed elements of the open frames, innermost last.
    values: Vec<Term>,
    /// The hash (see [`Hashing`]) of each term in `values`.
    hashes: Vec<u64>,
    frames: Vec<Frame>,
    hashing: Hashing,
}

impl<'r, 'a> Decoder<'r, 'a> {
    fn new(r: &'r mut Reader<'a>) -> Self {
        Decoder {
            r,
            values: Vec::new(),
            hashes: Vec::new(),
            frames: Vec::new(),
            hashing: Hashing::new(),
        }
    }

    fn run(mut self) -> Result<Term> {
        loop {
            let mut term = match self.step()? {
                Step::More => continue,
                Step::Done(term) => term,
            };
            // A term completed by `step` has at most one level of elements, all leaves.
            let mut hash = match &term {
                Term::List(items, tail) => {
                    let children: Vec<u64> = items
                        .iter()
                        .chain([&**tail])
                        .map(|t| self.hashing.node(t, &[]))
                        .collect();
                    self.hashing.node(&term, &children)
                }
                _ => self.hashing.node(&term, &[]),
            };
            // Hand the term to the enclosing frames, closing every frame it completes.
            loop {
                let Some(frame) = self.frames.last_mut() else {
                    return Ok(term);
                };
                self.values.push(term);
                self.hashes.push(hash);
                frame.remaining -= 1;
                if frame.remaining > 0 {
                    break;
                }
                let frame = self.frames.pop().expect("a frame is open");
                (term, hash) = self.close(frame)?;
            }
        }
    }

    /// Opens a frame for `n` (at least one) elements.
    fn open(&mut self, kind: Kind, n: usize, at: usize) -> Result<Step> {
        if self.frames.len() >= MAX_DEPTH {
            return Err(Error::new(
                at,
                format!("term nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        self.frames.push(Frame {
            kind,
            start: self.values.len(),
            remaining: n,
            at,
        });
        Ok(Step::More)
    }

    /// Builds the term of a complete frame, and its hash.
    fn close(&mut self, frame: Frame) -> Result<(Term, u64)> {
        let mut items = self.values.split_off(frame.start);
        let hashes = &self.hashes[frame.start..];
        // A list of no elements is just its tail, whose hash it keeps.
        let bare_tail = matches!(frame.kind, Kind::List) && items.len() == 1;
        let term = match frame.kind {
            Kind::Tuple => Term::Tuple(items),
            Kind::List => {
                let tail = items.pop().unwrap_or(Term::Nil);
                if items.is_empty() {
                    tail
                } else {
                    Term::List(items, Box::new(tail))
                }
            }
            Kind::Map => {
                let mut pairs = Vec::with_capacity(items.len() / 2);
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    pairs.push((k, v));
                }
                let key_hashes = hashes.iter().step_by(2).copied();
                check_unique_keys(&pairs, key_hashes, frame.at)?;
                Term::Map(pairs)
            }
            Kind::Fun { mut head, end } => {
                check_fun_end(self.r, end, frame.at)?;
                head.free = items;
                Term::Fun(head)
            }
        };
        // A list's hash covers its elements and tail, however many LIST_EXTs held them.
        let hash = if bare_tail {
            hashes.last().copied().unwrap_or_default()
        } else {
            self.hashing.node(&term, hashes)
        };
        self.hashes.truncate(frame.start);
        Ok((term, hash))
    }

    /// Reads one tag and what follows it, up to the first element of a compound.
    fn step(&mut self) -> Result<Step> {
        let r = &mut *self.r;
        // A list whose elements are all read continues through its tail without nesting.
        if let Some(frame) = self.frames.last_mut()
            && matches!(frame.kind, Kind::List)
            && frame.remaining == 1
        {
            let at = r.offset();
            match r.clone().u8("list tail")? {
                tag::LIST => {
                    r.u8("tag")?;
                    let n = r.count(1, "list length")?;
                    r.check_count(n + 1, 1, "list length", at)?;
                    frame.remaining += n;
                    return Ok(Step::More);
                }
                tag::STRING => {
                    r.u8("tag")?;
                    let n = r.u16("string length")? as usize;
                    let bytes = r.bytes(n, "string")?;
                    for &b in bytes {
                        let t = Term::Int(b.into());
                        self.hashes.push(self.hashing.node(&t, &[]));
                        self.values.push(t);
                    }
                    return Ok(Step::Done(Term::Nil));
                }
                _ => {}
            }
        }
        let at = r.offset();
        let t = r.u8("tag")?;
        let term = match t {
            tag::SMALL_INTEGER => Term::Int(r.u8("integer")?.into()),
            tag::INTEGER => Term::Int(r.i32("integer")?.into()),
            tag::SMALL_BIG | tag::LARGE_BIG => read_big(r, t)?,
            tag::NEW_FLOAT => {
                let f = f64::from_bits(r.u64("float")?);
                if !f.is_finite() {
                    return Err(Error::new(at, "float is not finite"));
                }
                Term::Float(f)
            }
            tag::FLOAT => read_old_float(r, at)?,
            tag::ATOM | tag::SMALL_ATOM | tag::ATOM_UTF8 | tag::SMALL_ATOM_UTF8 => {
                Term::Atom(read_atom_body(r, t, at)?)
            }
            tag::NIL => Term::Nil,
            tag::STRING => {
                let n = r.u16("string length")? as usize;
                let bytes = r.bytes(n, "string")?;
                Term::list(bytes.iter().map(|&b| Term::Int(b.into())).collect())
            }
            tag::LIST => {
                let n = r.count(1, "list length")?;
                r.check_count(n + 1, 1, "list length", at)?;
                return self.open(Kind::List, n + 1, at);
            }
            tag::SMALL_TUPLE | tag::LARGE_TUPLE => {
                let n = if t == tag::SMALL_TUPLE {
                    r.u8("tuple arity")?.into()
                } else {
                    r.count(1, "tuple arity")?
                };
                r.check_count(n, 1, "tuple arity", at)?;
                if n == 0 {
                    Term::Tuple(Vec::new())
                } else {
                    return self.open(Kind::Tuple, n, at);
                }
            }
            tag::MAP => {
                let n = r.count(2, "map size")?;
                if n == 0 {
                    Term::Map(Vec::new())
                } else {
                    return self.open(Kind::Map, 2 * n, at);
                }
            }
            tag::BINARY => {
                let n = r.count(1, "binary length")?;
                Term::Binary(r.bytes(n, "binary")?.to_vec())
            }
            tag::BIT_BINARY => {
                let n = r.count(1, "bitstring length")?;
                let bits = r.u8("bitstring bits")?;
                if !(1..=8).contains(&bits) || n == 0 {
                    return Err(Error::new(
                        at,
                        format!("bad bitstring: {n} bytes with {bits} bits in the last"),
                    ));
                }
                let mut bytes = r.bytes(n, "bitstring")?.to_vec();
                if bits == 8 {
                    Term::Binary(bytes)
                } else {
                    if let Some(last) = bytes.last_mut() {
                        *last &= 0xffu8 << (8 - bits);
                    }
                    Term::Bitstring { bytes, bits }
                }
            }
            tag::NEW_PID | tag::PID => read_pid_body(r, t)?,
            tag::NEW_PORT | tag::V4_PORT | tag::PORT => {
                let node = read_atom(r)?;
                let id = if t == tag::V4_PORT {
                    r.u64("port id")?
                } else {
                    r.u32("port id")?.into()
                };
                let creation = if t == tag::PORT {
                    r.u8("creation")?.into()
                } else {
                    r.u32("creation")?
                };
                Term::Port { node, id, creation }
            }
            tag::NEWER_REFERENCE | tag::NEW_REFERENCE | tag::REFERENCE => {
                let n = if t == tag::REFERENCE {
                    1
                } else {
                    r.u16("reference length")?.into()
                };
                if !(1..=MAX_REF_WORDS).contains(&n) {
                    return Err(Error::new(at, format!("reference with {n} id words")));
                }
                let node = read_atom(r)?;
                let mut ids = Vec::with_capacity(n);
                if t == tag::REFERENCE {
                    ids.push(r.u32("reference id")?);
                }
                let creation = if t == tag::NEWER_REFERENCE {
                    r.u32("creation")?
                } else {
                    r.u8("creation")?.into()
                };
                if t != tag::REFERENCE {
                    for _ in 0..n {
                        ids.push(r.u32("reference id")?);
                    }
                }
                Term::Reference {
                    node,
                    creation,
                    ids,
                }
            }
            tag::EXPORT => {
                let module = read_atom(r)?;
                let function = read_atom(r)?;
                let arity_at = r.offset();
                let arity = match read_integer(r)? {
                    Term::Int(a @ 0..=255) => a as u8,
                    _ => return Err(Error::new(arity_at, "export arity is not 0..=255")),
                };
                Term::Export {
                    module,
                    function,
                    arity,
                }
            }
            tag::NEW_FUN => {
                let size_at = r.offset();
                let size = r.u32("fun size")? as usize;
                if size > r.remaining() + 4 {
                    return Err(Error::new(
                        size_at,
                        format!("fun size {size} is larger than the bytes left"),
                    ));
                }
                let end = size_at + size;
                let arity = r.u8("fun arity")?;
                let uniq: [u8; 16] = r.bytes(16, "fun uniq")?.try_into().expect("16 bytes");
                let index = r.u32("fun index")?;
                let num_free = r.count(1, "fun free variables")?;
                let module = read_atom(r)?;
                let old_index = Box::new(read_integer(r)?);
                let old_uniq = Box::new(read_integer(r)?);
                let pid_at = r.offset();
                let pid = match r.u8("tag")? {
                    t @ (tag::NEW_PID | tag::PID) => Box::new(read_pid_body(r, t)?),
                    t => return Err(Error::new(pid_at, format!("fun's pid has tag {t}"))),
                };
                r.check_count(num_free, 1, "fun free variables", at)?;
                let head = Box::new(Fun {
                    arity,
                    uniq,
                    index,
                    module,
                    old_index,
                    old_uniq,
                    pid,
                    free: Vec::new(),
                });
                if num_free == 0 {
                    check_fun_end(r, end, at)?;
                    Term::Fun(head)
                } else {
                    return self.open(Kind::Fun { head, end }, num_free, at);
                }
            }
            tag::COMPRESSED => {
                return Err(Error::new(
                    at,
                    "compressed term inside a term (COMPRESSED is only valid at the top)",
                ));
            }
            tag::ATOM_CACHE_REF => {
                return Err(Error::new(
                    at,
                    "ATOM_CACHE_REF is only valid in distribution messages",
                ));
            }
            tag::LOCAL => return Err(Error::new(at, "LOCAL_EXT not supported")),
            tag::FUN => return Err(Error::new(at, "FUN_EXT (pre-R10 fun format) not supported")),
            other => return Err(Error::new(at, format!("unknown term tag {other}"))),
        };
        Ok(Step::Done(term))
    }
}

/// The body of `SMALL_BIG_EXT` or `LARGE_BIG_EXT`, after the tag.
fn read_big(r: &mut Reader<'_>, t: u8) -> Result<Term> {
    let n = if t == tag::SMALL_BIG {
        r.u8("big length")?.into()
    } else {
        r.count(1, "big length")?
    };
    let sign = r.u8("big sign")?;
    let digits = r.bytes(n, "big digits")?;
    let sign = if sign == 0 { Sign::Plus } else { Sign::Minus };
    Ok(Term::integer(BigInt::from_bytes_le(sign, digits)))
}

/// The body of `FLOAT_EXT`: 31 bytes of `%.20e` text, NUL-padded.
fn read_old_float(r: &mut Reader<'_>, at: usize) -> Result<Term> {
    let text = r.bytes(31, "float text")?;
    let len = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    let f = std::str::from_utf8(&text[..len])
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .ok_or_else(|| Error::new(at, "bad float text"))?;
    if !f.is_finite() {
        return Err(Error::new(at, "float is not finite"));
    }
    Ok(Term::Float(f))
}

/// An atom term of any of the four atom tags, tag included.
fn read_atom(r: &mut Reader<'_>) -> Result<String> {
    let at = r.offset();
    match r.u8("atom tag")? {
        t @ (tag::ATOM | tag::SMALL_ATOM | tag::ATOM_UTF8 | tag::SMALL_ATOM_UTF8) => {
            read_atom_body(r, t, at)
        }
        tag::ATOM_CACHE_REF => Err(Error::new(
            at,
            "ATOM_CACHE_REF is only valid in distribution messages",
        )),
        t => Err(Error::new(at, format!("expected an atom, found tag {t}"))),
    }
}

/// The body of an atom, after its tag `t`.
fn read_atom_body(r: &mut Reader<'_>, t: u8, at: usize) -> Result<String> {
    let n = match t {
        tag::SMALL_ATOM | tag::SMALL_ATOM_UTF8 => r.u8("atom length")?.into(),
        _ => r.u16("atom length")?.into(),
    };
    let bytes = r.bytes(n, "atom text")?;
    let text = if t == tag::ATOM || t == tag::SMALL_ATOM {
        bytes.iter().map(|&b| char::from(b)).collect()
    } else {
        std::str::from_utf8(bytes)
            .map_err(|_| Error::new(at, "atom is not valid UTF-8"))?
            .to_owned()
    };
    if text.chars().count() > MAX_ATOM_CHARS {
        return Err(Error::new(
            at,
            format!("atom longer than {MAX_ATOM_CHARS} characters"),
        ));
    }
    Ok(text)
}

/// An integer term (`SMALL_INTEGER_EXT`, `INTEGER_EXT` or a big), tag included.
fn read_integer(r: &mut Reader<'_>) -> Result<Term> {
    let at = r.offset();
    match r.u8("integer tag")? {
        tag::SMALL_INTEGER => Ok(Term::Int(r.u8("integer")?.into())),
        tag::INTEGER => Ok(Term::Int(r.i32("integer")?.into())),
        t @ (tag::SMALL_BIG | tag::LARGE_BIG) => read_big(r, t),
        t => Err(Error::new(
            at,
            format!("expected an integer, found tag {t}"),
        )),
    }
}

/// The body of `NEW_PID_EXT` or `PID_EXT`, after the tag `t`.
fn read_pid_body(r: &mut Reader<'_>, t: u8) -> Result<Term> {
    let node = read_atom(r)?;
    let id = r.u32("pid id")?;
    let serial = r.u32("pid serial")?;
    let creation = if t == tag::PID {
        r.u8("creation")?.into()
    } else {
        r.u32("creation")?
    };
    Ok(Term::Pid {
        node,
        id,
        serial,
        creation,
    })
}

/// Checks that a fun's contents end where its size field said.
fn check_fun_end(r: &Reader<'_>, end: usize, at: usize) -> Result<()> {
    if r.offset() == end {
        return Ok(());
    }
    Err(Error::new(
        at,
        format!(
            "fun's declared size ends at byte {end}, its contents at byte {}",
            r.offset()
        ),
    ))
}

/// Hashes of decoded terms, built bottom-up from the hashes of their elements so that no
/// term is hashed twice: equal terms hash equal, and the keyed hash makes unequal terms
/// that collide vanishingly rare, even for crafted input.
struct Hashing {
    state: RandomState,
    scratch: Vec<u8>,
}

impl Hashing {
    fn new() -> Self {
        Hashing {
            state: RandomState::new(),
            scratch: Vec::new(),
        }
    }

    /// The hash of `term`, given the hashes of its elements (for a list, its elements and
    /// then its tail; for a map, keys and values alternating; for a fun, its free
    /// variables). A term without elements is hashed by its canonical encoding.
    fn node(&mut self, term: &Term, children: &[u64]) -> u64 {
        let mut h = self.state.build_hasher();
        match term {
            Term::Tuple(_) => h.write_u8(tag::SMALL_TUPLE),
            Term::List(..) => h.write_u8(tag::LIST),
            Term::Map(_) => h.write_u8(tag::MAP),
            Term::Binary(bytes) => {
                h.write_u8(tag::BINARY);
                h.write(bytes);
            }
            Term::Fun(f) => {
                let head = Fun {
                    free: Vec::new(),
                    ..(**f).clone()
                };
                self.scratch.clear();
                // A decoded fun's parts are always encodable.
                let _ = encode_into(
                    &mut self.scratch,
                    &Term::Fun(Box::new(head)),
                    EncodeOptions::default(),
                );
                h.write(&self.scratch);
            }
            leaf => {
                self.scratch.clear();
                // A decoded leaf is always encodable.
                let _ = encode_into(&mut self.scratch, leaf, EncodeOptions::default());
                h.write(&self.scratch);
            }
        }
        h.write_usize(children.len());
        for &c in children {
            h.write_u64(c);
        }
        h.finish()
    }
}

/// Refuses a map with two equal keys, as `binary_to_term/1` does. Keys whose hashes match
/// are compared by their canonical encodings, which are equal exactly when the terms are.
fn check_unique_keys(
    pairs: &[(Term, Term)],
    hashes: impl Iterator<Item = u64>,
    at: usize,
) -> Result<()> {
    if pairs.len() < 2 {
        return Ok(());
    }
    let mut seen: HashMap<u64, usize> = HashMap::with_capacity(pairs.len());
    for (i, hash) in hashes.enumerate() {
        let Some(&j) = seen.get(&hash) else {
            seen.insert(hash, i);
            continue;
        };
        let mut a = Vec::new();
        let mut b = Vec::new();
        let same = encode_into(&mut a, &pairs[i].0, EncodeOptions::default()).is_ok()
            && encode_into(&mut b, &pairs[j].0, EncodeOptions::default()).is_ok()
            && a == b;
        if same {
            return Err(Error::new(at, "map has a duplicate key"));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/// Choices between encodings that differ between OTP releases.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EncodeOptions {
    /// Write every atom as UTF-8 (`SMALL_ATOM_UTF8_EXT`, or `ATOM_UTF8_EXT` from 256 bytes),
    /// as OTP 26 and later do by default (`minor_version` 2). When false, as in OTP 25
    /// (`minor_version` 1), an atom whose characters are all Latin-1 is written as
    /// `ATOM_EXT` in Latin-1, and only other atoms as UTF-8.
    pub utf8_atoms: bool,
}

/// Encodes `term` with the version byte, exactly as OTP 25's `term_to_binary/1` does.
///
/// # Panics
///
/// If the term cannot be represented (see [`try_encode`]); terms [`decode`] returns always
/// can.
pub fn encode(term: &Term) -> Vec<u8> {
    encode_with(term, EncodeOptions::default())
}

/// Encodes `term` with the version byte, with the given options.
///
/// # Panics
///
/// If the term cannot be represented (see [`try_encode`]).
pub fn encode_with(term: &Term, options: EncodeOptions) -> Vec<u8> {
    match try_encode_with(term, options) {
        Ok(bytes) => bytes,
        Err(e) => panic!("term cannot be encoded: {}", e.what),
    }
}

/// Encodes `term` with the version byte, as OTP 25's `term_to_binary/1` does, or says why it
/// cannot be: an atom of more than 255 characters, a float that is not finite, a bitstring
/// whose `bits` is not 1..=7 or that has no bytes, a reference without 1 to 5 id words, or a
/// length that does not fit the format's 32-bit fields. The error's offset is the output
/// position reached.
pub fn try_encode(term: &Term) -> Result<Vec<u8>> {
    try_encode_with(term, EncodeOptions::default())
}

/// [`try_encode`] with the given options.
pub fn try_encode_with(term: &Term, options: EncodeOptions) -> Result<Vec<u8>> {
    let mut out = vec![VERSION];
    encode_into(&mut out, term, options)?;
    Ok(out)
}

/// Encodes `term` compressed with zlib at `level` (0 to 9; OTP's default is 6), as
/// `term_to_binary(Term, [{compressed, Level}])` lays it out: `COMPRESSED`, the uncompressed
/// size, then the zlib stream of the term without its version byte. As OTP does, it returns
/// the uncompressed encoding when compressing would not make it smaller. The zlib stream is
/// not byte-identical to the one OTP's zlib writes, but any reader inflates it to the same
/// term.
///
/// # Panics
///
/// If the term cannot be represented (see [`try_encode`]).
pub fn encode_compressed(term: &Term, level: u32) -> Vec<u8> {
    use std::io::Write;
    let plain = encode(term);
    let body = &plain[1..];
    let Ok(size) = u32::try_from(body.len()) else {
        return plain;
    };
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(level.min(9)));
    // Writing to a Vec cannot fail.
    let Ok(stream) = z.write_all(body).and_then(|()| z.finish()) else {
        return plain;
    };
    if stream.len() + 6 >= plain.len() {
        return plain;
    }
    let mut out = Vec::with_capacity(stream.len() + 6);
    out.extend_from_slice(&[VERSION, tag::COMPRESSED]);
    out.extend_from_slice(&size.to_be_bytes());
    out.extend_from_slice(&stream);
    out
}

/// Work left for the encoder, innermost last.
enum Work<'a> {
    Term(&'a Term),
    /// Elements to encode in order.
    Items(&'a [Term]),
    /// Map pairs to encode in order.
    Pairs(&'a [(Term, Term)]),
    /// Write a fun's size field at this output position, now that the fun is complete.
    FunSize(usize),
}

/// Appends the encoding of `term` (without a version byte) to `out`.
fn encode_into(out: &mut Vec<u8>, term: &Term, options: EncodeOptions) -> Result<()> {
    let mut work = vec![Work::Term(term)];
    while let Some(item) = work.pop() {
        let term = match item {
            Work::Term(term) => term,
            Work::Items(items) => {
                if let Some((first, rest)) = items.split_first() {
                    if !rest.is_empty() {
                        work.push(Work::Items(rest));
                    }
                    work.push(Work::Term(first));
                }
                continue;
            }
            Work::Pairs(pairs) => {
                if let Some(((k, v), rest)) = pairs.split_first() {
                    if !rest.is_empty() {
                        work.push(Work::Pairs(rest));
                    }
                    work.push(Work::Term(v));
                    work.push(Work::Term(k));
                }
                continue;
            }
            Work::FunSize(at) => {
                let size = len32(out.len() - at, out, "fun")?;
                out[at..at + 4].copy_from_slice(&size.to_be_bytes());
                continue;
            }
        };
        match term {
            Term::Int(n) => put_int(out, *n),
            Term::Big(n) => match i64::try_from(n) {
                Ok(small) => put_int(out, small),
                Err(_) => put_big(out, n)?,
            },
            Term::Float(f) => {
                if !f.is_finite() {
                    return Err(Error::new(out.len(), "float is not finite"));
                }
                out.push(tag::NEW_FLOAT);
                out.extend_from_slice(&f.to_bits().to_be_bytes());
            }
            Term::Atom(name) => put_atom(out, name, options)?,
            Term::Nil => out.push(tag::NIL),
            Term::Tuple(items) => {
                if let Ok(n) = u8::try_from(items.len()) {
                    out.extend_from_slice(&[tag::SMALL_TUPLE, n]);
                } else {
                    let n = len32(items.len(), out, "tuple")?;
                    out.push(tag::LARGE_TUPLE);
                    out.extend_from_slice(&n.to_be_bytes());
                }
                work.push(Work::Items(items));
            }
            Term::List(..) => {
                let (segments, tail) = list_segments(term);
                let len: usize = segments.iter().map(|s| s.len()).sum();
                if len == 0 {
                    work.push(Work::Term(tail));
                } else if matches!(tail, Term::Nil)
                    && len < MAX_STRING_LEN
                    && segments
                        .iter()
                        .all(|s| s.iter().all(|t| byte_value(t).is_some()))
                {
                    out.push(tag::STRING);
                    out.extend_from_slice(&(len as u16).to_be_bytes());
                    for t in segments.iter().flat_map(|s| s.iter()) {
                        out.push(byte_value(t).unwrap_or(0));
                    }
                } else {
                    let n = len32(len, out, "list")?;
                    out.push(tag::LIST);
                    out.extend_from_slice(&n.to_be_bytes());
                    work.push(Work::Term(tail));
                    work.extend(segments.into_iter().rev().map(Work::Items));
                }
            }
            Term::Map(pairs) => {
                let n = len32(pairs.len(), out, "map")?;
                out.push(tag::MAP);
                out.extend_from_slice(&n.to_be_bytes());
                work.push(Work::Pairs(pairs));
            }
            Term::Binary(bytes) => {
                let n = len32(bytes.len(), out, "binary")?;
                out.push(tag::BINARY);
                out.extend_from_slice(&n.to_be_bytes());
                out.extend_from_slice(bytes);
            }
            Term::Bitstring { bytes, bits } => {
                if !(1..=7).contains(bits) || bytes.is_empty() {
                    return Err(Error::new(
                        out.len(),
                        format!(
                            "bad bitstring: {} bytes with {bits} bits in the last",
                            bytes.len()
                        ),
                    ));
                }
                let n = len32(bytes.len(), out, "bitstring")?;
                out.push(tag::BIT_BINARY);
                out.extend_from_slice(&n.to_be_bytes());
                out.push(*bits);
                out.extend_from_slice(bytes);
                if let Some(last) = out.last_mut() {
                    *last &= 0xffu8 << (8 - bits);
                }
            }
            Term::Pid {
                node,
                id,
                serial,
                creation,
            } => {
                out.push(tag::NEW_PID);
                put_atom(out, node, options)?;
                out.extend_from_slice(&id.to_be_bytes());
                out.extend_from_slice(&serial.to_be_bytes());
                out.extend_from_slice(&creation.to_be_bytes());
            }
            Term::Port { node, id, creation } => {
                if let Ok(id) = u32::try_from(*id) {
                    out.push(tag::NEW_PORT);
                    put_atom(out, node, options)?;
                    out.extend_from_slice(&id.to_be_bytes());
                } else {
                    out.push(tag::V4_PORT);
                    put_atom(out, node, options)?;
                    out.extend_from_slice(&id.to_be_bytes());
                }
                out.extend_from_slice(&creation.to_be_bytes());
            }
            Term::Reference {
                node,
                creation,
                ids,
            } => {
                if !(1..=MAX_REF_WORDS).contains(&ids.len()) {
                    return Err(Error::new(
                        out.len(),
                        format!("reference with {} id words", ids.len()),
                    ));
                }
                out.push(tag::NEWER_REFERENCE);
                out.extend_from_slice(&(ids.len() as u16).to_be_bytes());
                put_atom(out, node, options)?;
                out.extend_from_slice(&creation.to_be_bytes());
                for id in ids {
                    out.extend_from_slice(&id.to_be_bytes());
                }
            }
            Term::Fun(fun) => {
                out.push(tag::NEW_FUN);
                let size_at = out.len();
                out.extend_from_slice(&[0; 4]);
                out.push(fun.arity);
                out.extend_from_slice(&fun.uniq);
                out.extend_from_slice(&fun.index.to_be_bytes());
                let n = len32(fun.free.len(), out, "fun free variables")?;
                out.extend_from_slice(&n.to_be_bytes());
                put_atom(out, &fun.module, options)?;
                work.push(Work::FunSize(size_at));
                work.push(Work::Items(&fun.free));
                work.push(Work::Term(&fun.pid));
                work.push(Work::Term(&fun.old_uniq));
                work.push(Work::Term(&fun.old_index));
            }
            Term::Export {
                module,
                function,
                arity,
            } => {
                out.push(tag::EXPORT);
                put_atom(out, module, options)?;
                put_atom(out, function, options)?;
                out.extend_from_slice(&[tag::SMALL_INTEGER, *arity]);
            }
        }
    }
    Ok(())
}

/// The elements of a list, as the non-empty slices of its chain of `List` cells, and the
/// final tail (which is not a `List`).
pub(crate) fn list_segments(mut term: &Term) -> (Vec<&[Term]>, &Term) {
    let mut segments = Vec::new();
    while let Term::List(items, tail) = term {
        if !items.is_empty() {
            segments.push(items.as_slice());
        }
        term = tail;
    }
    (segments, term)
}

/// The value of an integer term in 0..=255.
fn byte_value(term: &Term) -> Option<u8> {
    match term {
        Term::Int(n) => u8::try_from(*n).ok(),
        Term::Big(n) => u8::try_from(n).ok(),
        _ => None,
    }
}

/// A length as a 32-bit field, or an error if it does not fit.
fn len32(n: usize, out: &[u8], what: &str) -> Result<u32> {
    u32::try_from(n).map_err(|_| Error::new(out.len(), format!("{what} too long to encode: {n}")))
}

fn put_int(out: &mut Vec<u8>, n: i64) {
    if let Ok(b) = u8::try_from(n) {
        out.extend_from_slice(&[tag::SMALL_INTEGER, b]);
    } else if let Ok(i) = i32::try_from(n) {
        out.push(tag::INTEGER);
        out.extend_from_slice(&i.to_be_bytes());
    } else {
        let magnitude = n.unsigned_abs().to_le_bytes();
        let len = 8 - magnitude.iter().rev().take_while(|&&b| b == 0).count();
        out.extend_from_slice(&[tag::SMALL_BIG, len as u8, u8::from(n < 0)]);
        out.extend_from_slice(&magnitude[..len]);
    }
}

fn put_big(out: &mut Vec<u8>, n: &BigInt) -> Result<()> {
    let (sign, magnitude) = n.to_bytes_le();
    let negative = u8::from(sign == Sign::Minus);
    if let Ok(len) = u8::try_from(magnitude.len()) {
        out.extend_from_slice(&[tag::SMALL_BIG, len, negative]);
    } else {
        let len = len32(magnitude.len(), out, "integer")?;
        out.push(tag::LARGE_BIG);
        out.extend_from_slice(&len.to_be_bytes());
        out.push(negative);
    }
    out.extend_from_slice(&magnitude);
    Ok(())
}

fn put_atom(out: &mut Vec<u8>, name: &str, options: EncodeOptions) -> Result<()> {
    let chars = name.chars().count();
    if chars > MAX_ATOM_CHARS {
        return Err(Error::new(
            out.len(),
            format!("atom of {chars} characters (at most {MAX_ATOM_CHARS} allowed)"),
        ));
    }
    if !options.utf8_atoms && name.chars().all(|c| u32::from(c) <= 0xff) {
        // At most 255 characters, so at most 255 Latin-1 bytes.
        out.extend_from_slice(&[tag::ATOM, 0, chars as u8]);
        out.extend(name.chars().map(|c| u32::from(c) as u8));
    } else if let Ok(len) = u8::try_from(name.len()) {
        out.extend_from_slice(&[tag::SMALL_ATOM_UTF8, len]);
        out.extend_from_slice(name.as_bytes());
    } else {
        // At most 255 characters of at most 4 bytes each.
        out.push(tag::ATOM_UTF8);
        out.extend_from_slice(&(name.len() as u16).to_be_bytes());
        out.extend_from_slice(name.as_bytes());
    }
    Ok(())
}

/// True when `node` is the name of a node that is not distributed (`nonode@nohost`), the node
/// of every pid, port and reference a non-distributed OTP writes.
pub fn is_local_node(node: &str) -> bool {
    node == NO_NODE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atom(s: &str) -> Term {
        Term::atom(s)
    }

    #[test]
    fn small_values_match_otp() {
        assert_eq!(encode(&Term::Int(255)), [131, 97, 255]);
        assert_eq!(encode(&Term::Int(256)), [131, 98, 0, 0, 1, 0]);
        assert_eq!(encode(&Term::Int(-1)), [131, 98, 255, 255, 255, 255]);
        assert_eq!(encode(&Term::Int(1 << 31)), [131, 110, 4, 0, 0, 0, 0, 128]);
        assert_eq!(
            encode(&Term::Int(1 << 59)),
            [131, 110, 8, 0, 0, 0, 0, 0, 0, 0, 0, 8]
        );
        assert_eq!(encode(&atom("foo")), [131, 100, 0, 3, b'f', b'o', b'o']);
        assert_eq!(
            encode_with(&atom("foo"), EncodeOptions { utf8_atoms: true }),
            [131, 119, 3, b'f', b'o', b'o']
        );
        assert_eq!(encode(&atom("\u{65e5}")), [131, 119, 3, 230, 151, 165]);
        let l = Term::List(vec![Term::Int(1), Term::Int(2)], Box::new(Term::Int(3)));
        assert_eq!(encode(&l), [131, 108, 0, 0, 0, 2, 97, 1, 97, 2, 97, 3]);
        let bits = Term::Bitstring {
            bytes: vec![1, 64],
            bits: 3,
        };
        assert_eq!(encode(&bits), [131, 77, 0, 0, 0, 2, 3, 1, 64]);
    }

    #[test]
    fn list_tails_are_flattened() {
        // [1 | "ab"] written as LIST_EXT with a STRING_EXT tail.
        let t = decode(&[131, 108, 0, 0, 0, 1, 97, 1, 107, 0, 2, 1, 2]).unwrap();
        assert_eq!(
            t,
            Term::list(vec![Term::Int(1), Term::Int(1), Term::Int(2)])
        );
        assert_eq!(encode(&t), [131, 107, 0, 3, 1, 1, 2]);
        // A LIST_EXT of no elements is its tail.
        assert_eq!(
            decode(&[131, 108, 0, 0, 0, 0, 97, 1]).unwrap(),
            Term::Int(1)
        );
        // [a | [b | c]] as nested LIST_EXTs.
        let t = decode(&[
            131, 108, 0, 0, 0, 1, 119, 1, b'a', 108, 0, 0, 0, 1, 119, 1, b'b', 119, 1, b'c',
        ])
        .unwrap();
        assert_eq!(
            t,
            Term::List(vec![atom("a"), atom("b")], Box::new(atom("c")))
        );
    }

    #[test]
    fn odd_but_valid_encodings() {
        // FLOAT_EXT.
        let mut b = vec![131, 99];
        b.extend_from_slice(b"1.00000000000000000000e+00");
        b.resize(2 + 31, 0);
        assert_eq!(decode(&b).unwrap(), Term::Float(1.0));
        // BIT_BINARY_EXT with 8 bits is a binary; unused bits are cleared.
        assert_eq!(
            decode(&[131, 77, 0, 0, 0, 1, 8, 255]).unwrap(),
            Term::Binary(vec![255])
        );
        assert_eq!(
            decode(&[131, 77, 0, 0, 0, 1, 3, 255]).unwrap(),
            Term::Bitstring {
                bytes: vec![224],
                bits: 3
            }
        );
        // Bigs that fit are plain integers.
        assert_eq!(decode(&[131, 110, 0, 0]).unwrap(), Term::Int(0));
        assert_eq!(decode(&[131, 110, 2, 1, 1, 0]).unwrap(), Term::Int(-1));
        // Old pid, port and reference formats.
        let node = [100, 0, 1, b'n'];
        let mut b = vec![131, 103];
        b.extend_from_slice(&node);
        b.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2, 3]);
        assert_eq!(
            decode(&b).unwrap(),
            Term::Pid {
                node: "n".into(),
                id: 1,
                serial: 2,
                creation: 3
            }
        );
        let mut b = vec![131, 101];
        b.extend_from_slice(&node);
        b.extend_from_slice(&[0, 0, 0, 7, 2]);
        assert_eq!(
            decode(&b).unwrap(),
            Term::Reference {
                node: "n".into(),
                creation: 2,
                ids: vec![7]
            }
        );
        let mut b = vec![131, 114, 0, 2];
        b.extend_from_slice(&node);
        b.extend_from_slice(&[1, 0, 0, 0, 7, 0, 0, 0, 8]);
        assert_eq!(
            decode(&b).unwrap(),
            Term::Reference {
                node: "n".into(),
                creation: 1,
                ids: vec![7, 8]
            }
        );
        let mut b = vec![131, 102];
        b.extend_from_slice(&node);
        b.extend_from_slice(&[0, 0, 0, 9, 1]);
        assert_eq!(
            decode(&b).unwrap(),
            Term::Port {
                node: "n".into(),
                id: 9,
                creation: 1
            }
        );
        // Latin-1 atoms, small and not.
        assert_eq!(decode(&[131, 115, 1, 233]).unwrap(), atom("é"));
        assert_eq!(decode(&[131, 100, 0, 1, 233]).unwrap(), atom("é"));
        // Ports past 32 bits use V4_PORT_EXT.
        let p = Term::Port {
            node: "n".into(),
            id: 1 << 40,
            creation: 1,
        };
        assert_eq!(encode(&p)[1], tag::V4_PORT);
        assert_eq!(decode(&encode(&p)).unwrap(), p);
    }

    #[test]
    fn prefix_and_base() {
        let mut b = encode(&atom("x"));
        let n = b.len();
        b.extend_from_slice(&[1, 2, 3]);
        assert_eq!(decode_prefix(&b).unwrap(), (atom("x"), n));
        let e = decode(&b).unwrap_err();
        assert_eq!(e.offset, n);
        assert!(e.what.contains("trailing"), "{e}");
        let e = decode_with_base(&[131, 200], 1000).unwrap_err();
        assert_eq!(e.offset, 1001);
    }

    #[test]
    fn compressed_terms() {
        let t = Term::list((0..1000).map(|i| Term::Int(i % 7)).collect());
        let c = encode_compressed(&t, 6);
        assert_eq!(c[1], tag::COMPRESSED);
        assert_eq!(decode(&c).unwrap(), t);
        let (t2, used) = decode_prefix(&[c.as_slice(), &[9, 9]].concat()).unwrap();
        assert_eq!((t2, used), (t.clone(), c.len()));
        assert!(decode(&[c.as_slice(), &[9]].concat()).is_err());
        // Not worth compressing: stays plain.
        assert_eq!(encode_compressed(&atom("a"), 6), encode(&atom("a")));
    }

    /// Every strict prefix of every encoding fails cleanly.
    #[test]
    fn truncation_is_an_error() {
        let samples = sample_terms();
        for t in &samples {
            for bytes in [encode(t), encode_compressed(t, 9)] {
                assert_eq!(decode(&bytes).as_ref(), Ok(t));
                for cut in 0..bytes.len() {
                    assert!(decode(&bytes[..cut]).is_err(), "{t:?} cut at {cut}");
                }
            }
        }
    }

    /// Flipping bytes never panics.
    #[test]
    fn corrupted_bytes_do_not_panic() {
        for t in &sample_terms() {
            let bytes = encode(t);
            for i in 1..bytes.len() {
                for v in [0u8, 1, 0x7f, 0x80, 0xff, bytes[i].wrapping_add(1)] {
                    let mut b = bytes.clone();
                    b[i] = v;
                    let _ = decode(&b);
                }
            }
        }
    }

    fn sample_terms() -> Vec<Term> {
        let pid = Term::Pid {
            node: "nonode@nohost".into(),
            id: 85,
            serial: 0,
            creation: 0,
        };
        vec![
            Term::Int(7),
            Term::Int(-70000),
            Term::Int(i64::MIN),
            Term::integer(BigInt::from(10).pow(300)),
            Term::Float(-0.5),
            atom("héllo"),
            atom("\u{65e5}\u{672c}"),
            Term::Nil,
            Term::list(vec![Term::Int(1), Term::Int(2)]),
            Term::List(vec![atom("a"), Term::Int(300)], Box::new(atom("t"))),
            Term::Tuple(vec![]),
            Term::Tuple(vec![Term::Int(1), Term::Tuple(vec![atom("x")])]),
            Term::Map(vec![
                (atom("k"), Term::Binary(vec![1, 2])),
                (Term::Int(1), Term::Nil),
            ]),
            Term::Binary(vec![]),
            Term::Bitstring {
                bytes: vec![255, 128],
                bits: 1,
            },
            pid.clone(),
            Term::Port {
                node: "nonode@nohost".into(),
                id: 3,
                creation: 0,
            },
            Term::Reference {
                node: "nonode@nohost".into(),
                creation: 0,
                ids: vec![1, 2, 3],
            },
            Term::Export {
                module: "lists".into(),
                function: "map".into(),
                arity: 2,
            },
            Term::Fun(Box::new(Fun {
                arity: 1,
                uniq: [7; 16],
                index: 3,
                module: "m".into(),
                old_index: Box::new(Term::Int(3)),
                old_uniq: Box::new(Term::Int(123_456_789)),
                pid: Box::new(pid),
                free: vec![Term::Int(5), atom("z")],
            })),
        ]
    }

    fn be32(n: u32) -> [u8; 4] {
        n.to_be_bytes()
    }

    #[test]
    fn huge_declared_sizes_are_refused() {
        let cases: Vec<Vec<u8>> = vec![
            [&[131, 108][..], &be32(u32::MAX), &[106]].concat(),
            [&[131, 109][..], &be32(u32::MAX), &[1, 2, 3]].concat(),
            [&[131, 77][..], &be32(u32::MAX), &[3, 1]].concat(),
            [&[131, 105][..], &be32(u32::MAX), &[97, 1]].concat(),
            [&[131, 116][..], &be32(u32::MAX), &[97, 1, 97, 2]].concat(),
            [&[131, 111][..], &be32(u32::MAX), &[0, 1]].concat(),
            [&[131, 118, 255, 255][..], b"abc"].concat(),
            [&[131, 90, 255, 255, 100, 0, 1, b'n'][..], &be32(0)].concat(),
            [&[131, 112][..], &be32(u32::MAX), &[0; 40]].concat(),
        ];
        for b in cases {
            assert!(decode(&b).is_err(), "{b:?}");
        }
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(data).unwrap();
        z.finish().unwrap()
    }

    #[test]
    fn compressed_sizes_are_enforced() {
        // A tiny stream declaring 4 GiB.
        let body = [106u8];
        let b = [&[131, 80][..], &be32(u32::MAX), &zlib(&body)].concat();
        let e = decode(&b).unwrap_err();
        assert!(e.what.contains("not the declared"), "{e}");
        // A bomb: 64 MiB of zeros declared as 1000 bytes stops at the bound.
        let bomb = zlib(&vec![0u8; 64 << 20]);
        let b = [&[131, 80][..], &be32(1000), &bomb].concat();
        let e = decode(&b).unwrap_err();
        assert!(e.what.contains("more than its declared"), "{e}");
        // Declared too small by one, and too large by one.
        let body = encode(&Term::Binary(vec![5; 100]));
        let stream = zlib(&body[1..]);
        let n = (body.len() - 1) as u32;
        for (size, ok) in [(n - 1, false), (n, true), (n + 1, false)] {
            let b = [&[131, 80][..], &be32(size), &stream].concat();
            assert_eq!(decode(&b).is_ok(), ok, "declared {size}");
        }
        // Garbage instead of zlib, and a truncated stream.
        assert!(decode(&[131, 80, 0, 0, 0, 1, 1, 2, 3]).is_err());
        let b = [&[131, 80][..], &be32(n), &stream[..stream.len() / 2]].concat();
        assert!(decode(&b).is_err());
        // Compressed inside a term.
        let b = [&[131, 104, 1, 80][..], &be32(1), &zlib(&[106])].concat();
        assert!(decode(&b).is_err());
    }

    #[test]
    fn bad_values_are_refused() {
        let nan = f64::NAN.to_bits().to_be_bytes();
        assert!(decode(&[&[131, 70][..], &nan].concat()).is_err());
        let inf = f64::INFINITY.to_bits().to_be_bytes();
        assert!(decode(&[&[131, 70][..], &inf].concat()).is_err());
        let mut b = vec![131, 99];
        b.extend_from_slice(b"inf");
        b.resize(33, 0);
        assert!(decode(&b).is_err());
        // Invalid UTF-8 in atoms.
        assert!(decode(&[131, 119, 2, 0xc3, 0x28]).is_err());
        assert!(decode(&[131, 118, 0, 1, 0xff]).is_err());
        // Atoms over 255 characters.
        let mut b = vec![131, 100, 1, 0];
        b.resize(4 + 256, b'a');
        assert!(decode(&b).is_err());
        // Duplicate map keys, however they are written.
        assert!(decode(&[131, 116, 0, 0, 0, 2, 97, 1, 97, 2, 97, 1, 97, 3]).is_err());
        let dup = |k1: &[u8], k2: &[u8]| {
            decode(&[&[131, 116, 0, 0, 0, 2][..], k1, &[106], k2, &[106]].concat())
        };
        // "ab" as STRING_EXT, as LIST_EXT, and as LIST_EXT chained through its tail.
        let s1: &[u8] = &[107, 0, 2, 97, 98];
        let s2: &[u8] = &[108, 0, 0, 0, 2, 97, 97, 97, 98, 106];
        let s3: &[u8] = &[108, 0, 0, 0, 1, 97, 97, 107, 0, 1, 98];
        let s4: &[u8] = &[108, 0, 0, 0, 0, 108, 0, 0, 0, 1, 97, 97, 107, 0, 1, 98];
        for (a, b) in [(s1, s2), (s1, s3), (s2, s3), (s1, s4)] {
            assert!(dup(a, b).is_err(), "{a:?} {b:?}");
        }
        // Atoms in Latin-1 and UTF-8; a tuple and the same tuple as the tail of an empty list.
        assert!(dup(&[100, 0, 1, 233], &[119, 2, 195, 169]).is_err());
        assert!(dup(&[104, 1, 97, 1], &[108, 0, 0, 0, 0, 104, 1, 97, 1]).is_err());
        assert!(dup(&[104, 1, 97, 1], &[104, 1, 97, 2]).is_ok());
        assert!(dup(&[108, 0, 0, 0, 1, 97, 1, 97, 2], &[107, 0, 1, 1]).is_ok());
        assert!(dup(s1, &[107, 0, 2, 97, 99]).is_ok());
        // Maps as keys, and funs.
        let f = encode(&sample_terms().pop().unwrap());
        assert!(dup(&f[1..], &f[1..]).is_err());
        let m: &[u8] = &[116, 0, 0, 0, 1, 97, 1, 104, 0];
        assert!(dup(m, m).is_err());
        assert!(dup(m, &[116, 0, 0, 0, 1, 97, 1, 104, 1, 106]).is_ok());
        // Bitstrings with 0 or 9 bits, or no bytes.
        assert!(decode(&[131, 77, 0, 0, 0, 1, 0, 1]).is_err());
        assert!(decode(&[131, 77, 0, 0, 0, 1, 9, 1]).is_err());
        assert!(decode(&[131, 77, 0, 0, 0, 0, 3]).is_err());
        // Distribution-only and unsupported tags.
        assert!(
            decode(&[131, 82, 0])
                .unwrap_err()
                .what
                .contains("distribution")
        );
        assert!(
            decode(&[131, 121, 0])
                .unwrap_err()
                .what
                .contains("LOCAL_EXT")
        );
        assert!(decode(&[131, 0]).is_err());
        assert!(decode(&[130, 106]).is_err());
        assert!(decode(&[]).is_err());
        // A fun whose declared size is off.
        let f = sample_terms().pop().unwrap();
        let mut b = encode(&f);
        b[5] += 1;
        assert!(decode(&b).is_err());
    }

    #[test]
    fn unencodable_terms_are_errors() {
        assert!(try_encode(&Term::Float(f64::NAN)).is_err());
        assert!(try_encode(&atom(&"a".repeat(256))).is_err());
        assert!(
            try_encode(&Term::Bitstring {
                bytes: vec![1],
                bits: 0
            })
            .is_err()
        );
        assert!(
            try_encode(&Term::Bitstring {
                bytes: vec![],
                bits: 3
            })
            .is_err()
        );
        let r = Term::Reference {
            node: "n".into(),
            creation: 0,
            ids: vec![],
        };
        assert!(try_encode(&r).is_err());
        assert!(try_encode(&atom(&"\u{65e5}".repeat(255))).is_ok());
    }

    /// A million nested one-element lists, tuples and maps: a clean error, no stack overflow.
    #[test]
    fn deep_nesting_is_bounded() {
        const N: usize = 1_000_000;
        let wrappers: [&[u8]; 4] = [
            &[108, 0, 0, 0, 1],
            &[104, 1],
            &[105, 0, 0, 0, 1],
            &[116, 0, 0, 0, 1, 106],
        ];
        let closers: [&[u8]; 4] = [&[106], &[], &[], &[]];
        for (open, close) in wrappers.iter().zip(closers) {
            let mut b = vec![131];
            for _ in 0..N {
                b.extend_from_slice(open);
            }
            b.push(106);
            for _ in 0..N {
                b.extend_from_slice(close);
            }
            let e = decode(&b).unwrap_err();
            assert!(e.what.contains("nested deeper"), "{e}");
        }
        // Just under the limit is fine, and prints and re-encodes.
        let mut b = vec![131];
        for _ in 0..MAX_DEPTH {
            b.extend_from_slice(&[104, 1]);
        }
        b.push(106);
        let t = decode(&b).unwrap();
        assert_eq!(encode(&t), b);
        assert!(t.to_string().starts_with("{{{{"));
        drop(t);
    }

    /// Maps nested in the keys of maps: each key is hashed once, not once per enclosing map.
    #[test]
    fn nested_map_keys_are_checked_once() {
        let depth = MAX_DEPTH - 1;
        let mut b = vec![131];
        for _ in 0..depth {
            b.extend_from_slice(&[116, 0, 0, 0, 2]);
        }
        b.extend_from_slice(&[109, 0, 16, 0, 0]);
        b.extend(std::iter::repeat_n(7, 1 << 20));
        for _ in 0..depth {
            b.extend_from_slice(&[106, 119, 1, b'k', 106]);
        }
        let start = std::time::Instant::now();
        let t = decode(&b).unwrap();
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
        assert_eq!(encode_with(&t, EncodeOptions { utf8_atoms: true }), b);
    }

    /// Lists chained through their tails are long, not deep: a million cells decode.
    #[test]
    fn long_tail_chains_decode() {
        const N: usize = 1_000_000;
        let mut b = vec![131];
        for _ in 0..N {
            b.extend_from_slice(&[108, 0, 0, 0, 1, 97, 7]);
        }
        b.push(106);
        let t = decode(&b).unwrap();
        let Term::List(items, tail) = &t else {
            panic!("not a list")
        };
        assert_eq!((items.len(), &**tail), (N, &Term::Nil));
        let re = encode(&t);
        assert_eq!(re[..6], [131, 108, 0, 15, 66, 64]);
        assert_eq!(decode(&re).unwrap(), t);
        // An improper list built from unnormalised cells encodes as one flat list.
        let odd = Term::List(
            vec![Term::Int(1)],
            Box::new(Term::List(
                vec![],
                Box::new(Term::List(vec![Term::Int(2)], Box::new(Term::Nil))),
            )),
        );
        assert_eq!(encode(&odd), [131, 107, 0, 2, 1, 2]);
        assert_eq!(odd.to_string(), "[1,2]");
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn atom_text() -> impl Strategy<Value = String> {
            prop_oneof![
                "[a-z][a-zA-Z0-9_@]{0,10}",
                "[ -~]{0,12}",
                "[\\x{a0}-\\x{ff}]{0,5}",
                "\\PC{0,8}",
                Just(String::new()),
            ]
        }

        fn node() -> impl Strategy<Value = String> {
            prop_oneof![Just("nonode@nohost".to_string()), "[a-z]{1,5}@[a-z]{1,5}"]
        }

        fn float() -> impl Strategy<Value = f64> {
            prop_oneof![
                any::<f64>().prop_filter("finite", |f| f.is_finite()),
                (-1000i32..1000).prop_map(|n| f64::from(n) / 8.0),
                Just(-0.0),
                Just(5e-324),
            ]
        }

        fn leaf() -> impl Strategy<Value = Term> {
            prop_oneof![
                any::<i64>().prop_map(Term::Int),
                (0i64..300).prop_map(Term::Int),
                (any::<bool>(), prop::collection::vec(any::<u32>(), 1..40)).prop_map(|(neg, d)| {
                    let sign = if neg { Sign::Minus } else { Sign::Plus };
                    Term::integer(BigInt::from_slice(sign, &d))
                }),
                float().prop_map(Term::Float),
                atom_text().prop_map(Term::Atom),
                Just(Term::Nil),
                prop::collection::vec(any::<u8>(), 0..40).prop_map(Term::Binary),
                (prop::collection::vec(any::<u8>(), 1..8), 1u8..8).prop_map(|(mut bytes, bits)| {
                    if let Some(l) = bytes.last_mut() {
                        *l &= 0xff << (8 - bits);
                    }
                    Term::Bitstring { bytes, bits }
                }),
                (node(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(
                    |(node, id, serial, creation)| Term::Pid {
                        node,
                        id,
                        serial,
                        creation
                    }
                ),
                (node(), any::<u64>(), any::<u32>()).prop_map(|(node, id, creation)| Term::Port {
                    node,
                    id,
                    creation
                }),
                (
                    node(),
                    any::<u32>(),
                    prop::collection::vec(any::<u32>(), 1..=5)
                )
                    .prop_map(|(node, creation, ids)| Term::Reference {
                        node,
                        creation,
                        ids
                    }),
                (atom_text(), atom_text(), any::<u8>()).prop_map(|(module, function, arity)| {
                    Term::Export {
                        module,
                        function,
                        arity,
                    }
                }),
            ]
        }

        fn term() -> impl Strategy<Value = Term> {
            leaf().prop_recursive(4, 64, 8, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..8).prop_map(Term::Tuple),
                    prop::collection::vec(inner.clone(), 0..8).prop_map(Term::list),
                    (prop::collection::vec(inner.clone(), 1..8), inner.clone()).prop_map(
                        |(items, tail)| match tail {
                            Term::List(..) | Term::Nil => Term::list(items),
                            tail => Term::List(items, Box::new(tail)),
                        }
                    ),
                    prop::collection::vec((inner.clone(), inner.clone()), 0..6).prop_map(|pairs| {
                        let mut seen = Vec::new();
                        let mut out = Vec::new();
                        for (k, v) in pairs {
                            let key = encode(&k);
                            if !seen.contains(&key) {
                                seen.push(key);
                                out.push((k, v));
                            }
                        }
                        Term::Map(out)
                    }),
                    (
                        any::<u8>(),
                        any::<[u8; 16]>(),
                        any::<u32>(),
                        atom_text(),
                        any::<i32>(),
                        prop::collection::vec(inner, 0..4)
                    )
                        .prop_map(
                            |(arity, uniq, index, module, old_uniq, free)| {
                                Term::Fun(Box::new(Fun {
                                    arity,
                                    uniq,
                                    index,
                                    module,
                                    old_index: Box::new(Term::Int(index.into())),
                                    old_uniq: Box::new(Term::Int(old_uniq.into())),
                                    pid: Box::new(Term::Pid {
                                        node: "nonode@nohost".into(),
                                        id: 1,
                                        serial: 2,
                                        creation: 3,
                                    }),
                                    free,
                                }))
                            }
                        ),
                ]
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn round_trip(t in term(), utf8 in any::<bool>()) {
                let options = EncodeOptions { utf8_atoms: utf8 };
                let bytes = encode_with(&t, options);
                let back = decode(&bytes).unwrap();
                prop_assert_eq!(&back, &t);
                prop_assert_eq!(encode_with(&back, options), bytes);
                let c = encode_compressed(&t, 1);
                prop_assert_eq!(decode(&c).unwrap(), t.clone());
                // Printing never fails.
                let _ = t.to_string();
            }

            #[test]
            fn random_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..64)) {
                let mut v = vec![131];
                v.extend_from_slice(&b);
                let _ = decode(&v);
            }
        }
    }
}

//! Decoding: bytes to [`Term`], safe on any input.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};

use flate2::{Decompress, FlushDecompress, Status};
use num_bigint::{BigInt, Sign};

use super::encode::{EncodeOptions, encode_into};
use super::{MAX_ATOM_CHARS, MAX_DEPTH, MAX_REF_WORDS, VERSION, tag};
use crate::error::{Error, Result};
use crate::reader::Reader;
use crate::term::{Fun, Term};

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
                if n == 0 && bits == 0 {
                    // OTP takes zero bytes with zero bits as `<<>>` (and refuses a bit count
                    // without bytes).
                    Term::Binary(Vec::new())
                } else if !(1..=8).contains(&bits) || n == 0 {
                    return Err(Error::new(
                        at,
                        format!("bad bitstring: {n} bytes with {bits} bits in the last"),
                    ));
                } else {
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

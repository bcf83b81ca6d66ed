//! Encoding: [`Term`] to the bytes OTP writes.

use num_bigint::{BigInt, Sign};

use super::{MAX_ATOM_CHARS, MAX_REF_WORDS, MAX_STRING_LEN, VERSION, tag};
use crate::error::{Error, Result};
use crate::term::Term;

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

/// [`try_encode_with`], also giving where the bytes of each binary and bitstring start in
/// the output, in the order they are written (depth first, left to right: tuple and list
/// elements, then a list's tail, map keys then values, a fun's creator then its free
/// variables). `term_to_iovec` uses it to hand out large binaries by reference.
pub fn try_encode_spans(term: &Term, options: EncodeOptions) -> Result<(Vec<u8>, Vec<usize>)> {
    let mut out = vec![VERSION];
    let mut spans = Vec::new();
    encode_spans(&mut out, term, options, &mut spans)?;
    Ok((out, spans))
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
pub(super) fn encode_into(out: &mut Vec<u8>, term: &Term, options: EncodeOptions) -> Result<()> {
    encode_spans(out, term, options, &mut Vec::new())
}

/// [`encode_into`], pushing the output offset of each binary's bytes onto `spans`.
fn encode_spans(
    out: &mut Vec<u8>,
    term: &Term,
    options: EncodeOptions,
    spans: &mut Vec<usize>,
) -> Result<()> {
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
                spans.push(out.len());
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
                spans.push(out.len());
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

//! The external term format as BIFs: `term_to_binary/1,2`, `binary_to_term/1,2` and
//! `erlang:external_size/1,2`.
//!
//! Terms go through [`girder_term::convert`] to `girder_format::Term` and through
//! [`girder_format::etf`], which writes the bytes OTP 25 writes. What OTP 25 does with the
//! options, as measured against `erl`:
//!
//! - `term_to_binary/2` takes a proper list of `compressed`, `{compressed, 0..9}`,
//!   `{minor_version, 0..2}` and `deterministic`; anything else is `badarg`. Later options
//!   win. Minor version 0 writes floats as `FLOAT_EXT` (C's `%.20e`, zero-padded to 31
//!   bytes); 2 writes every atom as UTF-8. Compression uses zlib (`compressed` is level 6)
//!   and keeps the plain encoding when compressing does not make it smaller; the zlib bytes
//!   are not OTP's, but decode to the same term.
//! - `binary_to_term/2` takes a proper list of `safe` and `used`. Bytes after the term are
//!   ignored; `used` returns `{Term, BytesUsed}`. With `safe`, a term naming an atom that
//!   does not exist yet, or an external fun `fun M:F/A` with no export entry, is `badarg`.
//!   A local fun of a module that is not loaded, or whose loaded version lacks it, decodes
//!   to a stub, as in OTP: called, it runs the module's fun once that is loaded, through
//!   `error_handler:undefined_lambda/3` (with `safe`: `badarg`).
//! - `term_to_iovec/1,2` write the same bytes as a list of binaries: the bytes of each
//!   binary of more than 64 bytes held off the heap (reference counted, or a byte-aligned
//!   sub-binary of one) are the binary itself rather than a copy, and the bytes between
//!   are fresh binaries. Compressed, the result is one binary, not a list, as in OTP 25.
//! - `external_size/2` takes only `{minor_version, 0 | 1}` options (OTP 25 refuses even
//!   `deterministic` and minor version 2 there).
//!
//! Maps are written in OTP's order: a flat map's keys sorted, a large map's in its hash
//! trie's order ([`girder_term::object::map`]); with `deterministic`, every map's keys
//! sorted. Known differences: terms nested deeper than
//! [`girder_format::etf::MAX_DEPTH`] do not decode.

use std::collections::HashSet;

use girder_format::Term as FTerm;
use girder_format::etf::{self, EncodeOptions};
use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_runtime::module::{self, Export, FunEntry};
use girder_term::convert::{self, ConvertError, FunResolver};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;

pub const BIFS: &[Entry] = &[
    ("erlang", "term_to_binary", 1, term_to_binary1),
    ("erlang", "term_to_binary", 2, term_to_binary2),
    ("erlang", "binary_to_term", 1, binary_to_term1),
    ("erlang", "binary_to_term", 2, binary_to_term2),
    ("erlang", "external_size", 1, external_size1),
    ("erlang", "external_size", 2, external_size2),
    ("erlang", "term_to_iovec", 1, |p, a| {
        term_to_iovec(p, a[0], Encoding::default())
    }),
    ("erlang", "term_to_iovec", 2, |p, a| {
        let enc = parse_encoding(a[1])?;
        term_to_iovec(p, a[0], enc)
    }),
];

/// zlib's default level, which `compressed` means.
const DEFAULT_LEVEL: u32 = 6;

/// How to encode, from `term_to_binary/2` options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoding {
    /// 0, 1 (OTP 25's default) or 2.
    pub minor_version: u8,
    /// zlib level, if compressed.
    pub compressed: Option<u32>,
    /// `deterministic`: maps written with their keys sorted.
    pub deterministic: bool,
}

impl Default for Encoding {
    fn default() -> Encoding {
        Encoding {
            minor_version: 1,
            compressed: None,
            deterministic: false,
        }
    }
}

/// The elements of a proper list, or `badarg`.
fn option_list(t: Term) -> Result<Vec<Term>, BifError> {
    obj::list_to_vec(t).ok_or(BifError::BADARG)
}

/// `{Tag, N}` with `N` a small integer in `range`.
fn tagged(opt: Term, tag: &str, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
    if !obj::is_tuple(opt) {
        return None;
    }
    match obj::tuple_elements(opt) {
        [t, n] if t.as_atom().is_some_and(|a| a.name() == tag) => {
            n.as_small().filter(|n| range.contains(n))
        }
        _ => None,
    }
}

/// Parses `term_to_binary/2` options.
pub fn parse_encoding(opts: Term) -> Result<Encoding, BifError> {
    let mut enc = Encoding::default();
    for opt in option_list(opts)? {
        match opt.as_atom().map(Atom::name) {
            Some("compressed") => enc.compressed = Some(DEFAULT_LEVEL),
            Some("deterministic") => enc.deterministic = true,
            Some(_) => return Err(BifError::BADARG),
            None => {
                if let Some(level) = tagged(opt, "compressed", 0..=9) {
                    enc.compressed = Some(level as u32);
                } else if let Some(v) = tagged(opt, "minor_version", 0..=2) {
                    enc.minor_version = v as u8;
                } else {
                    return Err(BifError::BADARG);
                }
            }
        }
    }
    Ok(enc)
}

/// The external format of `term`, as `term_to_binary(Term, Options)` writes it, or `None`
/// if it cannot be written (an atom girder holds that OTP could not, say).
pub fn encode(term: &FTerm, enc: Encoding) -> Option<Vec<u8>> {
    let (plain, _) = encode_plain(term, enc)?;
    Some(match enc.compressed {
        Some(level) => compress(plain, level),
        None => plain,
    })
}

/// The uncompressed external format of `term`, and where the bytes of each binary start in
/// it (see [`etf::try_encode_spans`]).
fn encode_plain(term: &FTerm, enc: Encoding) -> Option<(Vec<u8>, Vec<usize>)> {
    let options = EncodeOptions {
        utf8_atoms: enc.minor_version >= 2,
    };
    if enc.minor_version == 0 {
        let mut out = vec![etf::VERSION];
        let mut spans = Vec::new();
        encode_v0(term, options, &mut out, &mut spans)?;
        Some((out, spans))
    } else {
        etf::try_encode_spans(term, options).ok()
    }
}

/// `COMPRESSED`, the uncompressed size, then the zlib stream of the body; or `plain` when
/// that is not smaller (as OTP does).
fn compress(plain: Vec<u8>, level: u32) -> Vec<u8> {
    use std::io::Write;
    let body = &plain[1..];
    let Ok(size) = u32::try_from(body.len()) else {
        return plain;
    };
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(level));
    let Ok(stream) = z.write_all(body).and_then(|()| z.finish()) else {
        return plain;
    };
    if stream.len() + 6 >= plain.len() {
        return plain;
    }
    let mut out = Vec::with_capacity(stream.len() + 6);
    out.extend_from_slice(&[etf::VERSION, etf::tag::COMPRESSED]);
    out.extend_from_slice(&size.to_be_bytes());
    out.extend_from_slice(&stream);
    out
}

/// The compound terms under `term` (itself included) that hold a float somewhere, by
/// address.
fn nodes_with_floats(term: &FTerm) -> HashSet<*const FTerm> {
    // Post-order without recursion: (node, children done?).
    let mut set = HashSet::new();
    let mut stack: Vec<(&FTerm, bool)> = vec![(term, false)];
    while let Some((t, done)) = stack.pop() {
        let children: Vec<&FTerm> = match t {
            FTerm::Tuple(items) => items.iter().collect(),
            FTerm::List(items, tail) => items.iter().chain(std::iter::once(&**tail)).collect(),
            FTerm::Map(pairs) => pairs.iter().flat_map(|(k, v)| [k, v]).collect(),
            FTerm::Fun(f) => f.free.iter().collect(),
            FTerm::Float(_) => {
                set.insert(t as *const FTerm);
                continue;
            }
            _ => continue,
        };
        if done {
            if children.iter().any(|c| set.contains(&(*c as *const FTerm))) {
                set.insert(t as *const FTerm);
            }
        } else {
            stack.push((t, true));
            stack.extend(children.into_iter().map(|c| (c, false)));
        }
    }
    set
}

/// Appends the minor-version-0 encoding of `term` (no version byte): as the usual one, but
/// floats as `FLOAT_EXT`. Subterms without floats are encoded by `girder_format`.
fn encode_v0(
    term: &FTerm,
    options: EncodeOptions,
    out: &mut Vec<u8>,
    spans: &mut Vec<usize>,
) -> Option<()> {
    enum Step<'a> {
        Term(&'a FTerm),
        /// Write the size of the fun that started at this offset.
        FunSize(usize),
    }
    let floats = nodes_with_floats(term);
    let mut stack = vec![Step::Term(term)];
    let len32 = |n: usize| u32::try_from(n).ok().map(u32::to_be_bytes);
    while let Some(step) = stack.pop() {
        let t = match step {
            Step::Term(t) => t,
            Step::FunSize(at) => {
                let size = len32(out.len() - at)?;
                out[at..at + 4].copy_from_slice(&size);
                continue;
            }
        };
        if !floats.contains(&(t as *const FTerm)) {
            let (bytes, inner) = etf::try_encode_spans(t, options).ok()?;
            let base = out.len() - 1;
            spans.extend(inner.into_iter().map(|at| base + at));
            out.extend_from_slice(&bytes[1..]);
            continue;
        }
        match t {
            FTerm::Float(x) => {
                let mut text = format!("{x:.20e}").into_bytes();
                // C's exponent: sign and at least two digits.
                let e = text.iter().position(|&b| b == b'e')?;
                let exp: i32 = std::str::from_utf8(&text[e + 1..]).ok()?.parse().ok()?;
                text.truncate(e + 1);
                text.extend(format!("{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs()).bytes());
                text.resize(31, 0);
                out.push(etf::tag::FLOAT);
                out.extend_from_slice(&text);
            }
            FTerm::Tuple(items) => {
                if let Ok(n) = u8::try_from(items.len()) {
                    out.extend_from_slice(&[etf::tag::SMALL_TUPLE, n]);
                } else {
                    out.push(etf::tag::LARGE_TUPLE);
                    out.extend_from_slice(&len32(items.len())?);
                }
                stack.extend(items.iter().rev().map(Step::Term));
            }
            FTerm::List(..) => {
                let mut items: Vec<&FTerm> = Vec::new();
                let mut tail = t;
                while let FTerm::List(xs, rest) = tail {
                    items.extend(xs.iter());
                    tail = rest;
                }
                out.push(etf::tag::LIST);
                out.extend_from_slice(&len32(items.len())?);
                stack.push(Step::Term(tail));
                stack.extend(items.into_iter().rev().map(Step::Term));
            }
            FTerm::Map(pairs) => {
                out.push(etf::tag::MAP);
                out.extend_from_slice(&len32(pairs.len())?);
                for (k, v) in pairs.iter().rev() {
                    stack.push(Step::Term(v));
                    stack.push(Step::Term(k));
                }
            }
            FTerm::Fun(f) => {
                out.push(etf::tag::NEW_FUN);
                let at = out.len();
                out.extend_from_slice(&[0; 4]);
                out.push(f.arity);
                out.extend_from_slice(&f.uniq);
                out.extend_from_slice(&f.index.to_be_bytes());
                out.extend_from_slice(&len32(f.free.len())?);
                let module = etf::try_encode_with(&FTerm::Atom(f.module.clone()), options).ok()?;
                out.extend_from_slice(&module[1..]);
                stack.push(Step::FunSize(at));
                stack.extend(f.free.iter().rev().map(Step::Term));
                stack.push(Step::Term(&f.pid));
                stack.push(Step::Term(&f.old_uniq));
                stack.push(Step::Term(&f.old_index));
            }
            _ => return None,
        }
    }
    Some(())
}

/// `term_to_binary` of a heap term as bytes, or `badarg`.
fn encode_term(t: Term, enc: Encoding) -> Result<Vec<u8>, BifError> {
    let order = if enc.deterministic {
        convert::MapOrder::Sorted
    } else {
        convert::MapOrder::List
    };
    let f = convert::to_format_with(t, order);
    let bytes = encode(&f, enc);
    convert::dispose(f);
    bytes.ok_or(BifError::BADARG)
}

/// `term_to_iovec/1,2`.
fn term_to_iovec(p: &mut Process, t: Term, enc: Encoding) -> BifResult {
    if enc.compressed.is_some_and(|level| level > 0) {
        let bytes = encode_term(t, enc)?;
        return Ok(binary(p, &bytes));
    }
    let f = convert::to_format(t);
    let encoded = encode_plain(&f, enc);
    convert::dispose(f);
    let (bytes, spans) = encoded.ok_or(BifError::BADARG)?;
    let bins = bitstrings_in_order(t);
    // Every binary of the term was written, in the same order as `bitstrings_in_order`.
    if bins.len() != spans.len() {
        return Err(BifError::BADARG);
    }
    let mut parts = Vec::new();
    let mut done = 0;
    for (&bin, &at) in bins.iter().zip(&spans) {
        if let Some(whole) = by_reference(bin) {
            if at > done {
                parts.push(binary(p, &bytes[done..at]));
            }
            let view = if whole * 8 == obj::bit_size(bin) {
                bin
            } else {
                obj::sub_binary(&mut p.heap, bin, 0, whole * 8)
            };
            parts.push(view);
            done = at + whole;
        }
    }
    if done < bytes.len() {
        parts.push(binary(p, &bytes[done..]));
    }
    Ok(obj::list_from_slice(&mut p.heap, &parts, Term::NIL))
}

/// The whole bytes of a bitstring that `term_to_iovec` hands out by reference: one of more
/// than 64 bytes off the heap (OTP's refc binaries), starting on a byte boundary.
fn by_reference(bin: Term) -> Option<usize> {
    let whole = obj::bit_size(bin) / 8;
    (whole > obj::HEAP_BIN_LIMIT && obj::is_off_heap_aligned(bin)).then_some(whole)
}

/// The bitstrings in `t`, in the order the encoder writes them: depth first, left to right
/// (tuple and list elements, then a list's tail, map keys then values, a fun's free
/// variables), as `convert::to_format` visits them.
fn bitstrings_in_order(t: Term) -> Vec<Term> {
    let mut found = Vec::new();
    let mut stack = vec![t];
    while let Some(t) = stack.pop() {
        if obj::is_bitstring(t) {
            found.push(t);
        } else if obj::is_tuple(t) {
            stack.extend(obj::tuple_elements(t).iter().rev());
        } else if t.is_list() {
            let mut it = obj::list_iter(t);
            let items: Vec<Term> = it.by_ref().collect();
            stack.push(it.tail());
            stack.extend(items.into_iter().rev());
        } else if obj::is_map(t) {
            for (k, v) in obj::map_pairs(t).collect::<Vec<_>>().into_iter().rev() {
                stack.push(v);
                stack.push(k);
            }
        } else if obj::is_local_fun(t) {
            stack.extend(obj::fun_free(t).iter().rev());
        }
    }
    found
}

fn binary(p: &mut Process, bytes: &[u8]) -> Term {
    obj::binary_from_bytes(&mut p.heap, bytes)
}

fn term_to_binary1(p: &mut Process, a: &[Term]) -> BifResult {
    let bytes = encode_term(a[0], Encoding::default())?;
    Ok(binary(p, &bytes))
}

fn term_to_binary2(p: &mut Process, a: &[Term]) -> BifResult {
    let enc = parse_encoding(a[1])?;
    let bytes = encode_term(a[0], enc)?;
    Ok(binary(p, &bytes))
}

fn size_result(p: &mut Process, t: Term, enc: Encoding) -> BifResult {
    let n = encode_term(t, enc)?.len();
    Ok(obj::integer_from_u64(&mut p.heap, n as u64))
}

fn external_size1(p: &mut Process, a: &[Term]) -> BifResult {
    size_result(p, a[0], Encoding::default())
}

fn external_size2(p: &mut Process, a: &[Term]) -> BifResult {
    let mut enc = Encoding::default();
    for opt in option_list(a[1])? {
        let v = tagged(opt, "minor_version", 0..=1).ok_or(BifError::BADARG)?;
        enc.minor_version = v as u8;
    }
    size_result(p, a[0], enc)
}

/// Resolves the funs of a decoded term to the runtime's entries.
pub(crate) struct Resolver {
    pub(crate) safe: bool,
}

impl FunResolver for Resolver {
    fn fun_entry(&mut self, fun: &girder_format::Fun) -> Option<*const ()> {
        let loaded = Atom::existing(&fun.module).and_then(module::loaded);
        let entry = loaded.and_then(|m| {
            m.funs.iter().find(|e| {
                e.id.index == fun.index
                    && e.id.uniq == fun.uniq
                    && e.id.arity == u32::from(fun.arity)
                    && e.num_free as usize == fun.free.len()
            })
        });
        if let Some(entry) = entry {
            return Some(*entry as *const FunEntry as *const ());
        }
        if self.safe {
            return None;
        }
        // A fun of a module not loaded here (a shell's `expand_fun` of `user_drv` from
        // the node running the terminal): a stub, as erts makes, called through
        // `undefined_lambda` until the module is loaded.
        let int = |t: &FTerm| match t {
            FTerm::Int(i) => u32::try_from(*i).ok(),
            _ => None,
        };
        let id = girder_term::object::fun::FunIdentity {
            module: Atom::try_intern(&fun.module)?,
            arity: u32::from(fun.arity),
            index: fun.index,
            old_index: int(&fun.old_index)?,
            old_uniq: int(&fun.old_uniq)?,
            uniq: fun.uniq,
        };
        let stub = module::stub_fun(id, fun.free.len() as u32);
        Some(stub as *const FunEntry as *const ())
    }

    fn export_entry(&mut self, module: &str, function: &str, arity: u8) -> Option<*const ()> {
        let (m, f) = (Atom::try_intern(module)?, Atom::try_intern(function)?);
        let e = if self.safe {
            module::find_export(m, f, u32::from(arity))?
        } else {
            module::export(m, f, u32::from(arity))
        };
        Some(e as *const Export as *const ())
    }
}

/// Whether every atom `t` names exists already.
fn atoms_exist(t: &FTerm) -> bool {
    let mut stack = vec![t];
    let known = |name: &str| Atom::existing(name).is_some();
    while let Some(t) = stack.pop() {
        let ok = match t {
            FTerm::Atom(name) => known(name),
            FTerm::Pid { node, .. } | FTerm::Port { node, .. } | FTerm::Reference { node, .. } => {
                known(node)
            }
            FTerm::Export {
                module, function, ..
            } => known(module) && known(function),
            FTerm::Tuple(items) => {
                stack.extend(items);
                true
            }
            FTerm::List(items, tail) => {
                stack.extend(items);
                stack.push(tail);
                true
            }
            FTerm::Map(pairs) => {
                for (k, v) in pairs {
                    stack.push(k);
                    stack.push(v);
                }
                true
            }
            FTerm::Fun(f) => {
                stack.extend(&f.free);
                stack.push(&f.pid);
                known(&f.module)
            }
            _ => true,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// Decodes the term at the start of `a[0]` into the process heap, with the bytes it used.
fn decode(p: &mut Process, bin: Term, safe: bool) -> Result<(Term, usize), BifError> {
    if !obj::is_binary(bin) {
        return Err(BifError::BADARG);
    }
    let bits = obj::bits(bin);
    let owned;
    let bytes = match bits.as_bytes() {
        Some(b) => b,
        None => {
            owned = bits.to_vec();
            &owned
        }
    };
    let (f, used) = etf::decode_prefix(bytes).map_err(|_| BifError::BADARG)?;
    if safe && !atoms_exist(&f) {
        convert::dispose(f);
        return Err(BifError::BADARG);
    }
    let built = convert::from_format_with(&mut p.heap, &f, &mut Resolver { safe });
    convert::dispose(f);
    match built {
        Ok(t) => Ok((t, used)),
        Err(ConvertError::SystemLimit) => Err(BifError::SYSTEM_LIMIT),
        Err(_) => Err(BifError::BADARG),
    }
}

fn binary_to_term1(p: &mut Process, a: &[Term]) -> BifResult {
    Ok(decode(p, a[0], false)?.0)
}

fn binary_to_term2(p: &mut Process, a: &[Term]) -> BifResult {
    let (mut safe, mut used) = (false, false);
    for opt in option_list(a[1])? {
        match opt.as_atom().map(Atom::name) {
            Some("safe") => safe = true,
            Some("used") => used = true,
            _ => return Err(BifError::BADARG),
        }
    }
    let (t, n) = decode(p, a[0], safe)?;
    if used {
        let n = obj::integer_from_u64(&mut p.heap, n as u64);
        Ok(obj::tuple(&mut p.heap, &[t, n]))
    } else {
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_version_0_floats() {
        // term_to_binary([1.5, -0.0], [{minor_version, 0}]) in OTP 25.
        let t = FTerm::list(vec![FTerm::Float(1.5), FTerm::Float(-0.0)]);
        let enc = Encoding {
            minor_version: 0,
            compressed: None,
            deterministic: false,
        };
        let mut expected = vec![131, 108, 0, 0, 0, 2, 99];
        expected.extend_from_slice(b"1.50000000000000000000e+00\0\0\0\0\0");
        expected.push(99);
        expected.extend_from_slice(b"-0.00000000000000000000e+00\0\0\0\0");
        expected.push(106);
        assert_eq!(encode(&t, enc).unwrap(), expected);
        // No floats: the usual encoding.
        let t = FTerm::Tuple(vec![FTerm::atom("a"), FTerm::Int(1)]);
        assert_eq!(encode(&t, enc).unwrap(), etf::encode(&t));
    }

    #[test]
    fn compressed_round_trip() {
        let t = FTerm::list(vec![FTerm::atom("abc"); 30]);
        let bytes = encode(
            &t,
            Encoding {
                minor_version: 1,
                compressed: Some(6),
                deterministic: false,
            },
        )
        .unwrap();
        assert_eq!(bytes[1], etf::tag::COMPRESSED);
        assert_eq!(etf::decode(&bytes).unwrap(), t);
    }
}

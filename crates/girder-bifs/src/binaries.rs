//! Byte-aligned binary BIFs: conversions to and from lists and atoms, `binary_part`,
//! `split_binary`, iolists. (The bit syntax itself is executed by the interpreter.)

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;
use crate::util::{atom_arg, usize_arg};

pub const BIFS: &[Entry] = &[
    ("erlang", "binary_to_list", 1, binary_to_list),
    ("erlang", "binary_to_list", 3, binary_to_list3),
    ("erlang", "list_to_binary", 1, iolist_to_binary),
    ("erlang", "iolist_to_binary", 1, iolist_to_binary),
    ("erlang", "iolist_size", 1, iolist_size),
    ("erlang", "binary_part", 2, binary_part2),
    ("erlang", "binary_part", 3, binary_part3),
    ("erlang", "split_binary", 2, split_binary),
    ("erlang", "atom_to_binary", 1, |p, a| {
        atom_to_binary(p, a[0])
    }),
    ("erlang", "atom_to_binary", 2, |p, a| {
        atom_to_binary(p, a[0])
    }),
    ("erlang", "binary_to_atom", 1, |p, a| {
        binary_to_atom(p, a[0], false)
    }),
    ("erlang", "binary_to_atom", 2, |p, a| {
        binary_to_atom(p, a[0], false)
    }),
    ("erlang", "binary_to_existing_atom", 1, |p, a| {
        binary_to_atom(p, a[0], true)
    }),
    ("erlang", "binary_to_existing_atom", 2, |p, a| {
        binary_to_atom(p, a[0], true)
    }),
    ("erlang", "integer_to_binary", 1, integer_to_binary),
    ("binary", "part", 2, binary_part2),
    ("binary", "part", 3, binary_part3),
    ("binary", "decode_unsigned", 1, |p, a| {
        decode_unsigned(p, a[0], Term::atom(Atom::intern("big")))
    }),
    ("binary", "decode_unsigned", 2, |p, a| {
        decode_unsigned(p, a[0], a[1])
    }),
    ("binary", "encode_unsigned", 1, |p, a| {
        encode_unsigned(p, a[0], Term::atom(Atom::intern("big")))
    }),
    ("binary", "encode_unsigned", 2, |p, a| {
        encode_unsigned(p, a[0], a[1])
    }),
    ("binary", "split", 2, |p, a| split(p, a[0], a[1], Term::NIL)),
    ("binary", "split", 3, |p, a| split(p, a[0], a[1], a[2])),
];

/// `big` (false) or `little` (true), else `badarg`.
fn little_arg(t: Term) -> Result<bool, BifError> {
    match t.as_atom().map(|a| a.name()) {
        Some("big") => Ok(false),
        Some("little") => Ok(true),
        _ => Err(BifError::BADARG),
    }
}

fn decode_unsigned(p: &mut Process, bin: Term, endian: Term) -> BifResult {
    let b = bytes(bin)?;
    let n = if little_arg(endian)? {
        num_bigint::BigInt::from_bytes_le(num_bigint::Sign::Plus, &b)
    } else {
        num_bigint::BigInt::from_bytes_be(num_bigint::Sign::Plus, &b)
    };
    Ok(obj::integer_from_big(&mut p.heap, &n))
}

fn encode_unsigned(p: &mut Process, n: Term, endian: Term) -> BifResult {
    if !obj::is_integer(n) {
        return Err(BifError::BADARG);
    }
    let v = obj::big_value(n);
    if v.sign() == num_bigint::Sign::Minus {
        return Err(BifError::BADARG);
    }
    let mut b = v.to_bytes_be().1;
    if little_arg(endian)? {
        b.reverse();
    }
    Ok(obj::binary_from_bytes(&mut p.heap, &b))
}

/// `binary:split/2,3` with the options `global`, `trim` and `trim_all`.
fn split(p: &mut Process, subject: Term, pattern: Term, options: Term) -> BifResult {
    let subject = bytes(subject)?;
    let patterns: Vec<Vec<u8>> = if obj::is_binary(pattern) {
        vec![bytes(pattern)?]
    } else {
        crate::util::list_arg(pattern)?
            .into_iter()
            .map(bytes)
            .collect::<Result<_, _>>()?
    };
    if patterns.is_empty() || patterns.iter().any(|p| p.is_empty()) {
        return Err(BifError::BADARG);
    }
    let (mut global, mut trim, mut trim_all) = (false, false, false);
    for o in crate::util::list_arg(options)? {
        match o.as_atom().map(|a| a.name()) {
            Some("global") => global = true,
            Some("trim") => trim = true,
            Some("trim_all") => trim_all = true,
            _ => return Err(BifError::BADARG),
        }
    }
    let mut parts = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < subject.len() {
        // The longest pattern matching here, as OTP's matcher chooses.
        let hit = patterns
            .iter()
            .filter(|pat| subject[i..].starts_with(pat))
            .map(|pat| pat.len())
            .max();
        match hit {
            Some(n) => {
                parts.push(&subject[start..i]);
                i += n;
                start = i;
                if !global {
                    break;
                }
            }
            None => i += 1,
        }
    }
    parts.push(&subject[start..]);
    if trim_all {
        parts.retain(|p| !p.is_empty());
    } else if trim {
        while parts.last().is_some_and(|p| p.is_empty()) {
            parts.pop();
        }
    }
    let terms: Vec<Term> = parts
        .into_iter()
        .map(|b| obj::binary_from_bytes(&mut p.heap, b))
        .collect();
    Ok(obj::list_from_slice(&mut p.heap, &terms, Term::NIL))
}

/// The bytes of a byte-aligned binary, or `badarg`.
fn bytes(t: Term) -> Result<Vec<u8>, BifError> {
    if obj::is_binary(t) {
        Ok(obj::bits(t).to_vec())
    } else {
        Err(BifError::BADARG)
    }
}

fn binary_to_list(p: &mut Process, a: &[Term]) -> BifResult {
    let items: Vec<Term> = bytes(a[0])?
        .into_iter()
        .map(|b| Term::small(i64::from(b)))
        .collect();
    Ok(obj::list_from_slice(&mut p.heap, &items, Term::NIL))
}

/// `binary_to_list(Bin, Start, Stop)`: bytes `Start..=Stop` (1-based) of the whole bytes
/// of a bitstring.
fn binary_to_list3(p: &mut Process, a: &[Term]) -> BifResult {
    if !obj::is_bitstring(a[0]) {
        return Err(BifError::BADARG);
    }
    let mut bytes = obj::bits(a[0]).to_vec();
    bytes.truncate(obj::bits(a[0]).size / 8);
    let index = |t: Term| {
        obj::integer_to_i64(t)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or(BifError::BADARG)
    };
    let (start, stop) = (index(a[1])?, index(a[2])?);
    if start < 1 || start > stop || stop > bytes.len() {
        return Err(BifError::BADARG);
    }
    let items: Vec<Term> = bytes[start - 1..stop]
        .iter()
        .map(|&b| Term::small(i64::from(b)))
        .collect();
    Ok(obj::list_from_slice(&mut p.heap, &items, Term::NIL))
}

/// Flatten an iolist (bytes, binaries, nested lists, a binary tail) into `out`.
pub(crate) fn iolist_bytes(t: Term, out: &mut Vec<u8>) -> Result<(), BifError> {
    let mut stack = vec![t];
    while let Some(t) = stack.pop() {
        if obj::is_binary(t) {
            out.extend(obj::bits(t).to_vec());
        } else if t.is_nil() {
        } else if t.is_list() {
            let (h, tl) = (obj::head(t), obj::tail(t));
            if !(tl.is_list() || tl.is_nil() || obj::is_binary(tl)) {
                return Err(BifError::BADARG);
            }
            stack.push(tl);
            match h.as_small() {
                Some(b @ 0..=255) => out.push(b as u8),
                Some(_) => return Err(BifError::BADARG),
                None if h.is_list() || h.is_nil() || obj::is_binary(h) => stack.push(h),
                None => return Err(BifError::BADARG),
            }
        } else {
            return Err(BifError::BADARG);
        }
    }
    Ok(())
}

fn iolist_to_binary(p: &mut Process, a: &[Term]) -> BifResult {
    if obj::is_binary(a[0]) {
        return Ok(a[0]);
    }
    if !(a[0].is_list() || a[0].is_nil()) {
        return Err(BifError::BADARG);
    }
    let mut out = Vec::new();
    iolist_bytes(a[0], &mut out)?;
    Ok(obj::binary_from_bytes(&mut p.heap, &out))
}

fn iolist_size(_: &mut Process, a: &[Term]) -> BifResult {
    let mut out = Vec::new();
    iolist_bytes(a[0], &mut out)?;
    Ok(Term::small(out.len() as i64))
}

/// `binary_part(Bin, Start, Length)`, where a negative length counts back from `Start`.
fn part(p: &mut Process, bin: Term, start: Term, len: Term) -> BifResult {
    if !obj::is_binary(bin) {
        return Err(BifError::BADARG);
    }
    let size = obj::byte_size(bin) as i64;
    let (s, l) = (
        start.as_small().ok_or(BifError::BADARG)?,
        len.as_small().ok_or(BifError::BADARG)?,
    );
    let (from, to) = if l >= 0 { (s, s + l) } else { (s + l, s) };
    if from < 0 || to > size || s < 0 || s > size {
        return Err(BifError::BADARG);
    }
    Ok(obj::sub_binary(
        &mut p.heap,
        bin,
        from as usize * 8,
        (to - from) as usize * 8,
    ))
}

fn binary_part2(p: &mut Process, a: &[Term]) -> BifResult {
    let pos = a[1];
    if !obj::is_tuple(pos) || obj::tuple_arity(pos) != 2 {
        return Err(BifError::BADARG);
    }
    part(
        p,
        a[0],
        obj::tuple_element(pos, 0),
        obj::tuple_element(pos, 1),
    )
}

fn binary_part3(p: &mut Process, a: &[Term]) -> BifResult {
    part(p, a[0], a[1], a[2])
}

fn split_binary(p: &mut Process, a: &[Term]) -> BifResult {
    if !obj::is_binary(a[0]) {
        return Err(BifError::BADARG);
    }
    let n = usize_arg(a[1])?;
    let size = obj::byte_size(a[0]);
    if n > size {
        return Err(BifError::BADARG);
    }
    let left = obj::sub_binary(&mut p.heap, a[0], 0, n * 8);
    let right = obj::sub_binary(&mut p.heap, a[0], n * 8, (size - n) * 8);
    Ok(obj::tuple(&mut p.heap, &[left, right]))
}

fn atom_to_binary(p: &mut Process, t: Term) -> BifResult {
    let name = atom_arg(t)?.name();
    Ok(obj::binary_from_bytes(&mut p.heap, name.as_bytes()))
}

fn binary_to_atom(_: &mut Process, t: Term, existing: bool) -> BifResult {
    let b = bytes(t)?;
    let s = std::str::from_utf8(&b).map_err(|_| BifError::BADARG)?;
    if s.chars().count() > girder_term::atom::MAX_ATOM_CHARS {
        return Err(BifError::SYSTEM_LIMIT);
    }
    let atom = if existing {
        Atom::existing(s)
    } else {
        Atom::try_intern(s)
    };
    atom.map(Term::atom).ok_or(BifError::BADARG)
}

fn integer_to_binary(p: &mut Process, a: &[Term]) -> BifResult {
    if !obj::is_integer(a[0]) {
        return Err(BifError::BADARG);
    }
    let s = obj::big_value(a[0]).to_string();
    Ok(obj::binary_from_bytes(&mut p.heap, s.as_bytes()))
}

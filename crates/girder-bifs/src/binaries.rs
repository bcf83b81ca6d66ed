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
    ("erlang", "iolist_to_iovec", 1, iolist_to_iovec),
    ("erlang", "list_to_binary", 1, list_to_binary),
    ("erlang", "iolist_to_binary", 1, iolist_to_binary),
    ("erlang", "iolist_size", 1, iolist_size),
    ("erlang", "binary_part", 2, binary_part2),
    ("erlang", "binary_part", 3, binary_part3),
    ("erlang", "split_binary", 2, split_binary),
    ("erlang", "atom_to_binary", 1, |p, a| {
        atom_to_binary(p, a[0], true)
    }),
    ("erlang", "atom_to_binary", 2, |p, a| {
        let utf8 = utf8_encoding(a[1])?;
        atom_to_binary(p, a[0], utf8)
    }),
    ("erlang", "binary_to_atom", 1, |p, a| {
        binary_to_atom(p, a[0], false, true)
    }),
    ("erlang", "binary_to_atom", 2, |p, a| {
        let utf8 = utf8_encoding(a[1])?;
        binary_to_atom(p, a[0], false, utf8)
    }),
    ("erlang", "binary_to_existing_atom", 1, |p, a| {
        binary_to_atom(p, a[0], true, true)
    }),
    ("erlang", "binary_to_existing_atom", 2, |p, a| {
        let utf8 = utf8_encoding(a[1])?;
        binary_to_atom(p, a[0], true, utf8)
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

/// `binary_to_list(Bin, Start, Stop)`: bytes `Start..=Stop` (from 1) of the whole bytes of a
/// bitstring.
fn binary_to_list3(p: &mut Process, a: &[Term]) -> BifResult {
    if !obj::is_bitstring(a[0]) {
        return Err(BifError::BADARG);
    }
    let whole = obj::bit_size(a[0]) / 8;
    let (start, stop) = (usize_arg(a[1])?, usize_arg(a[2])?);
    if start < 1 || start > stop || stop > whole {
        return Err(BifError::BADARG);
    }
    let b = obj::bits(a[0]);
    let items: Vec<Term> = (start - 1..stop)
        .map(|i| Term::small(i64::from(b.byte(i))))
        .collect();
    Ok(obj::list_from_slice(&mut p.heap, &items, Term::NIL))
}

/// Binaries below this size are copied into `iolist_to_iovec`'s output rather than handed
/// out themselves (OTP's `IOL2V_SMALL_BIN_LIMIT`).
const IOVEC_SMALL: usize = 256;

/// `iolist_to_iovec/1` as OTP builds it (`erl_io_queue.c`): bytes and small binaries are
/// gathered into fresh binaries, large ones are handed out as they are, unless they can
/// join a short run of gathered bytes.
struct Iovec {
    out: Vec<Term>,
    acc: Vec<u8>,
    /// What OTP would have allocated for the accumulator (0: none yet); it decides when a
    /// long run is cut.
    capacity: usize,
}

impl Iovec {
    fn promote(&mut self, p: &mut Process) {
        let bin = obj::binary_from_bytes(&mut p.heap, &self.acc);
        self.out.push(bin);
        self.acc.clear();
        self.capacity = 0;
    }

    /// Room for `extra` more bytes (OTP's `iol2v_expand_acc`).
    fn expand(&mut self, p: &mut Process, extra: usize) {
        let required = self.acc.len() + extra;
        if self.capacity == 0 {
            self.capacity = required.max(IOVEC_SMALL);
        } else if required > self.capacity {
            if self.capacity >= IOVEC_SMALL * 32 {
                self.promote(p);
                self.expand(p, extra);
                return;
            }
            self.capacity = required.max(self.capacity * 2);
        }
    }

    fn binary(&mut self, p: &mut Process, bin: Term) -> Result<(), BifError> {
        let bits = obj::bit_size(bin);
        if !bits.is_multiple_of(8) {
            return Err(BifError::BADARG);
        }
        let size = bits / 8;
        if size == 0 {
            return Ok(());
        }
        let acc_small = self.acc.len() < IOVEC_SMALL;
        let bin_small = size < IOVEC_SMALL;
        if !bin_small && (self.acc.is_empty() || !acc_small) {
            if !self.acc.is_empty() {
                self.promote(p);
            }
            self.out.push(bin);
        } else if bin_small || size + self.acc.len() < IOVEC_SMALL * 2 {
            self.expand(p, size);
            self.acc.extend(obj::bits(bin).to_vec());
        } else {
            // Fill the accumulator up to the small limit, hand out the rest as it is.
            let spill = IOVEC_SMALL - self.acc.len();
            self.expand(p, spill);
            let b = obj::bits(bin);
            self.acc.extend((0..spill).map(|i| b.byte(i)));
            let tail = obj::sub_binary(&mut p.heap, bin, spill * 8, (size - spill) * 8);
            self.promote(p);
            self.out.push(tail);
        }
        Ok(())
    }
}

fn iolist_to_iovec(p: &mut Process, a: &[Term]) -> BifResult {
    let t = a[0];
    if t.is_nil() {
        return Ok(Term::NIL);
    }
    if obj::is_bitstring(t) {
        let bits = obj::bit_size(t);
        if !bits.is_multiple_of(8) {
            return Err(BifError::BADARG);
        }
        return Ok(if bits == 0 {
            Term::NIL
        } else {
            obj::list_from_slice(&mut p.heap, &[t], Term::NIL)
        });
    }
    if !t.is_list() {
        return Err(BifError::BADARG);
    }
    let mut v = Iovec {
        out: Vec::new(),
        acc: Vec::new(),
        capacity: 0,
    };
    // Lists still to walk (their tails, innermost last), as OTP's stack.
    let mut stack: Vec<Term> = Vec::new();
    let mut it = t;
    loop {
        while it.is_list() {
            let head = obj::head(it);
            if obj::is_bitstring(head) {
                v.binary(p, head)?;
                it = obj::tail(it);
            } else if head.as_small().is_some() {
                // A run of bytes.
                let mut run = Vec::new();
                while it.is_list() {
                    let Some(b) = obj::head(it).as_small() else {
                        break;
                    };
                    run.push(u8::try_from(b).map_err(|_| BifError::BADARG)?);
                    it = obj::tail(it);
                }
                v.expand(p, run.len());
                v.acc.extend_from_slice(&run);
            } else if head.is_list() || head.is_nil() {
                let tail = obj::tail(it);
                if !tail.is_nil() {
                    stack.push(tail);
                }
                it = head;
            } else {
                return Err(BifError::BADARG);
            }
        }
        if obj::is_bitstring(it) {
            v.binary(p, it)?;
        } else if !it.is_nil() {
            return Err(BifError::BADARG);
        }
        match stack.pop() {
            Some(next) => it = next,
            None => break,
        }
    }
    if !v.acc.is_empty() {
        v.promote(p);
    }
    Ok(obj::list_from_slice(&mut p.heap, &v.out, Term::NIL))
}

/// Flatten an iolist (bytes, binaries, nested lists, a binary tail) into `out`.
pub(crate) fn iolist_bytes(t: Term, out: &mut Vec<u8>) -> Result<(), BifError> {
    if obj::iodata_bytes(t, out) {
        Ok(())
    } else {
        Err(BifError::BADARG)
    }
}

/// `list_to_binary/1`: as `iolist_to_binary/1`, but a binary itself is no list (`badarg`).
fn list_to_binary(p: &mut Process, a: &[Term]) -> BifResult {
    if obj::is_binary(a[0]) {
        return Err(BifError::BADARG);
    }
    iolist_to_binary(p, a)
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
    // A short part is a copy, as OTP makes one (a heap binary: at most 64 bytes), of the
    // part's bytes only.
    if to - from <= 64 {
        let view = obj::bits(bin);
        if view.offset.is_multiple_of(8) {
            let bytes = &view.bytes[view.offset / 8..][from as usize..to as usize];
            return Ok(obj::binary_from_bytes(&mut p.heap, bytes));
        }
        let mut bytes = [0u8; 64];
        let n = (to - from) as usize;
        for (i, b) in bytes[..n].iter_mut().enumerate() {
            *b = view.byte(from as usize + i);
        }
        return Ok(obj::binary_from_bytes(&mut p.heap, &bytes[..n]));
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

/// An atom text encoding: `utf8` or `unicode` (true), `latin1` (false).
fn utf8_encoding(t: Term) -> Result<bool, BifError> {
    match t.as_atom().map(|a| a.name()) {
        Some("utf8" | "unicode") => Ok(true),
        Some("latin1") => Ok(false),
        _ => Err(BifError::BADARG),
    }
}

/// `atom_to_binary/1,2`: the name in UTF-8, or in Latin-1 (badarg when a character is
/// above 255).
fn atom_to_binary(p: &mut Process, t: Term, utf8: bool) -> BifResult {
    let name = atom_arg(t)?.name();
    if utf8 {
        return Ok(obj::binary_from_bytes(&mut p.heap, name.as_bytes()));
    }
    let latin1: Option<Vec<u8>> = name.chars().map(|c| u8::try_from(c).ok()).collect();
    let latin1 = latin1.ok_or(BifError::BADARG)?;
    Ok(obj::binary_from_bytes(&mut p.heap, &latin1))
}

/// `binary_to_atom/1,2` and `binary_to_existing_atom/1,2`: the bytes as UTF-8 (badarg
/// when they are not) or as Latin-1 characters.
fn binary_to_atom(_: &mut Process, t: Term, existing: bool, utf8: bool) -> BifResult {
    let b = bytes(t)?;
    let s: std::borrow::Cow<'_, str> = if utf8 {
        std::str::from_utf8(&b)
            .map_err(|_| BifError::BADARG)?
            .into()
    } else {
        b.iter().map(|&c| char::from(c)).collect::<String>().into()
    };
    let s = &*s;
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

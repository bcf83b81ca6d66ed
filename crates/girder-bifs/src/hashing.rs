//! Portable term hashes and MD5: `erlang:phash2/1,2`, `erlang:phash/2`, `erlang:md5/1`,
//! `md5_init/0`, `md5_update/2`, `md5_final/1`.
//!
//! `phash2` and `phash` promise the same value for the same term on every node and release,
//! so programs store them (partitioning, `erlang:phash2`-keyed tables): girder computes the
//! very numbers OTP 25 does. The algorithms are OTP's (`make_hash2` and `make_hash` in ERTS),
//! re-implemented here from their description:
//!
//! - `phash2` walks the term depth first, left to right, keeping one 32-bit state `hash`
//!   that each leaf mixes into with Bob Jenkins' `mix` (lookup2): a leaf contributes one or
//!   two 32-bit words, each offset by a constant chosen by the leaf's type. Integers in
//!   -2^27..2^27 are mixed as a signed 32-bit number (negatives twice), others as their
//!   magnitude's 64-bit limbs with a sign constant; floats as their two bit halves (`-0.0`
//!   as `0.0`); atoms by their name's `hashpjw` (which simply replaces `hash` while it is
//!   still 0); `[]` likewise (a fixed value when `hash` is 0). Runs of bytes in lists are
//!   packed four to a word. Tuples mix their arity before their elements; binaries are hashed
//!   with Jenkins' block hash seeded from `hash`, then their trailing bits. Maps mix their
//!   size, then the XOR of the hashes of each key-value pair computed from 0, so that the
//!   order pairs are visited in does not matter.
//! - `phash` is the older multiplicative hash (`hash * prime + byte`) over the same walk,
//!   with a trailing multiplier after each list tail and tuple.
//!
//! MD5 contexts are OTP's 88-byte `MD5_CTX` (the RFC 1321 reference layout: four state
//! words, the bit count in two words, the 64-byte block buffer, all little-endian), updated
//! in the same pieces OTP feeds them (100-byte budgets per call), so that the context
//! binaries `md5_update/2` returns are byte-identical to OTP's.

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::hash::{block_hash, mix};
use girder_term::object::{self as obj, IdentIds};
use girder_term::{Atom, Term};

use crate::Entry;

pub const BIFS: &[Entry] = &[
    ("erlang", "phash2", 1, phash2_1),
    ("erlang", "phash2", 2, phash2_2),
    ("erlang", "phash", 2, phash_2),
    ("erlang", "md5", 1, md5),
    ("erlang", "md5_init", 0, md5_init),
    ("erlang", "md5_update", 2, md5_update),
    ("erlang", "md5_final", 1, md5_final),
];

// ---------------------------------------------------------------------------------------
// Shared pieces

/// The `hashpjw` of an atom's name, as the atom table keeps it. A two-byte UTF-8 sequence
/// for a Latin-1 character counts as that character; other bytes count as themselves.
pub fn atom_hash(a: Atom) -> u32 {
    let name = a.name().as_bytes();
    let mut h: u32 = 0;
    let mut i = 0;
    while i < name.len() {
        let mut v = name[i];
        i += 1;
        if i < name.len() && (v & 0xFE) == 0xC2 && (name[i] & 0xC0) == 0x80 {
            v = (v << 6) | (name[i] & 0x3F);
            i += 1;
        }
        h = (h << 4).wrapping_add(u32::from(v));
        let g = h & 0xf000_0000;
        if g != 0 {
            h ^= g >> 24;
            h ^= g;
        }
    }
    h
}

/// The small value of `t` if it is an integer 0..=255.
fn byte_of(t: Term) -> Option<u32> {
    t.as_small()
        .and_then(|n| u8::try_from(n).ok())
        .map(u32::from)
}

/// The number a pid is hashed by.
fn pid_number(t: Term) -> Option<u32> {
    match obj::ident(t)?.ids {
        IdentIds::Pid { id, .. } => Some(id),
        _ => None,
    }
}

/// The first (least significant) id of a reference, or the number of a port.
fn ident_number(t: Term) -> Option<u64> {
    match obj::ident(t)?.ids {
        IdentIds::Port(n) => Some(n),
        IdentIds::Ref(ids) => Some(u64::from(ids.get(0))),
        IdentIds::Pid { id, .. } => Some(u64::from(id)),
    }
}

// ---------------------------------------------------------------------------------------
// phash2

const HCONST: u32 = 0x9e37_79b9;
const HCONST_2: u32 = 0x3c6e_f372;
const HCONST_3: u32 = 0xdaa6_6d2b;
const HCONST_4: u32 = 0x78dd_e6e4;
const HCONST_5: u32 = 0x1715_609d;
const HCONST_6: u32 = 0xb54c_da56;
const HCONST_7: u32 = 0x5384_540f;
const HCONST_9: u32 = 0x8ff3_4781;
const HCONST_10: u32 = 0x2e2a_c13a;
const HCONST_11: u32 = 0xcc62_3af3;
const HCONST_12: u32 = 0x6a99_b4ac;
const HCONST_13: u32 = 0x08d1_2e65;
const HCONST_14: u32 = 0xa708_a81e;
const HCONST_15: u32 = 0x4540_21d7;
const HCONST_16: u32 = 0xe377_9b90;
const HCONST_19: u32 = 0xbe1e_08bb;

/// What `[]` hashes to when it comes first.
const NIL_FIRST: u32 = 3_468_870_702;
/// The type code `[]` is mixed with otherwise.
const NIL_CODE: u32 = 2;

/// Mixes two words, offset by `k`, into `hash`.
#[inline]
fn hash2(hash: &mut u32, x: u32, y: u32, k: u32) {
    let (mut a, mut b) = (k.wrapping_add(x), k.wrapping_add(y));
    mix(&mut a, &mut b, hash);
}

/// Mixes one word, offset by `k`, into `hash`.
#[inline]
fn hash1(hash: &mut u32, x: u32, k: u32) {
    hash2(hash, x, 0, k);
}

/// The magnitude of an integer, as 64-bit limbs (least significant first) and its sign.
fn integer_limbs(t: Term) -> (bool, Vec<u64>) {
    if let Some(n) = t.as_small() {
        (n < 0, vec![n.unsigned_abs()])
    } else {
        (obj::big_is_negative(t), obj::big_limbs(t).to_vec())
    }
}

enum Work2 {
    Term(Term),
    /// The end of a map's pairs: restore the outer state and mix in the XOR of the pairs.
    MapTail {
        hash: u32,
        xor: u32,
    },
    /// The end of one key-value pair.
    MapPair,
}

/// OTP's `make_hash2`: the full 32-bit value behind `phash2`.
pub fn make_hash2(term: Term) -> u32 {
    let mut hash: u32 = 0;
    let mut xor_pairs: u32 = 0;
    let mut stack: Vec<Work2> = Vec::new();
    let mut term = term;
    'terms: loop {
        // Hash `term`; `continue 'terms` with a new `term` to hash it next (no pop), or fall
        // through to take the next item from the stack.
        if term.is_list() {
            let (mut sh, mut c) = (0u32, 0u32);
            let mut cell = term;
            let mut stopped_at = None;
            loop {
                let Some(b) = byte_of(obj::head(cell)) else {
                    stopped_at = Some(cell);
                    break;
                };
                sh = (sh << 8).wrapping_add(b);
                if c == 3 {
                    hash1(&mut hash, sh, HCONST_4);
                    (c, sh) = (0, 0);
                } else {
                    c += 1;
                }
                let t = obj::tail(cell);
                if !t.is_list() {
                    term = t;
                    break;
                }
                cell = t;
            }
            if c > 0 {
                hash1(&mut hash, sh, HCONST_4);
            }
            if let Some(cell) = stopped_at {
                stack.push(Work2::Term(obj::tail(cell)));
                term = obj::head(cell);
            }
            continue 'terms;
        } else if obj::is_tuple(term) {
            let elems = obj::tuple_elements(term);
            hash1(&mut hash, elems.len() as u32, HCONST_9);
            if let Some((first, rest)) = elems.split_first() {
                stack.extend(rest.iter().rev().map(|&t| Work2::Term(t)));
                term = *first;
                continue 'terms;
            }
        } else if obj::is_map(term) {
            let n = obj::map_size(term);
            hash1(&mut hash, n as u32, HCONST_16);
            if n > 0 {
                stack.push(Work2::MapTail {
                    hash,
                    xor: xor_pairs,
                });
                (hash, xor_pairs) = (0, 0);
                let pairs: Vec<(Term, Term)> = obj::map_pairs(term).collect();
                for &(k, v) in pairs.iter().rev() {
                    stack.push(Work2::MapPair);
                    stack.push(Work2::Term(v));
                    stack.push(Work2::Term(k));
                }
            }
        } else if obj::is_local_fun(term) {
            let id = obj::fun_identity(term);
            let free = obj::fun_free(term);
            hash2(&mut hash, free.len() as u32, atom_hash(id.module), HCONST);
            hash2(&mut hash, id.index, id.old_uniq, HCONST);
            if let Some((first, rest)) = free.split_first() {
                stack.extend(rest.iter().rev().map(|&t| Work2::Term(t)));
                term = *first;
                continue 'terms;
            }
        } else if obj::is_export(term) {
            let id = obj::export_identity(term);
            hash2(&mut hash, id.arity, atom_hash(id.module), HCONST);
            hash1(&mut hash, atom_hash(id.function), HCONST_14);
        } else if obj::is_bitstring(term) {
            let bits = obj::bits(term);
            // OTP truncates the byte count to 32 bits.
            let size = (bits.size / 8) as u32 as usize;
            let tail_bits = (bits.size % 8) as u32;
            let con = HCONST_13.wrapping_add(hash);
            if size == 0 && tail_bits == 0 {
                hash = con;
            } else {
                let bytes = bits.to_vec();
                hash = block_hash(&bytes[..size], con);
                if tail_bits > 0 {
                    let last = u32::from(bytes[bits.size / 8]) >> (8 - tail_bits);
                    hash2(&mut hash, tail_bits, last, HCONST_15);
                }
            }
        } else if let Some(n) = term.as_small() {
            if (-(1 << 27)..(1 << 27)).contains(&n) {
                let y = n as i32;
                if y < 0 {
                    hash1(&mut hash, y.wrapping_neg() as u32, HCONST);
                }
                hash1(&mut hash, y as u32, HCONST);
            } else {
                let t = n.unsigned_abs();
                let k = if n < 0 { HCONST_10 } else { HCONST_11 };
                hash2(&mut hash, t as u32, (t >> 32) as u32, k);
            }
        } else if obj::is_big(term) {
            let (negative, limbs) = integer_limbs(term);
            let k = if negative { HCONST_10 } else { HCONST_11 };
            for l in limbs {
                hash2(&mut hash, l as u32, (l >> 32) as u32, k);
            }
        } else if obj::is_float(term) {
            let mut x = obj::float_value(term);
            if x == 0.0 {
                x = 0.0;
            }
            let bits = x.to_bits();
            hash2(&mut hash, (bits >> 32) as u32, bits as u32, HCONST_12);
        } else if let Some(a) = term.as_atom() {
            if hash == 0 {
                hash = atom_hash(a);
            } else {
                hash1(&mut hash, atom_hash(a), HCONST_3);
            }
        } else if term.is_nil() {
            if hash == 0 {
                hash = NIL_FIRST;
            } else {
                hash1(&mut hash, NIL_CODE, HCONST_2);
            }
        } else if obj::is_pid(term) {
            hash1(&mut hash, pid_number(term).unwrap_or(0), HCONST_5);
        } else if obj::is_port(term) {
            let n = ident_number(term).unwrap_or(0);
            hash2(&mut hash, n as u32, (n >> 32) as u32, HCONST_6);
        } else if obj::is_ref(term) {
            hash1(&mut hash, ident_number(term).unwrap_or(0) as u32, HCONST_7);
        }
        // The term is done: continue with what is on the stack.
        loop {
            match stack.pop() {
                None => return hash,
                Some(Work2::MapTail { hash: h, xor }) => {
                    hash = h;
                    hash1(&mut hash, xor_pairs, HCONST_19);
                    xor_pairs = xor;
                }
                Some(Work2::MapPair) => {
                    xor_pairs ^= hash;
                    hash = 0;
                }
                Some(Work2::Term(t)) => {
                    term = t;
                    continue 'terms;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// phash (make_hash)

const FUNNY_NUMBER1: u32 = 268_440_163;
const FUNNY_NUMBER2: u32 = 268_439_161;
const FUNNY_NUMBER3: u32 = 268_435_459;
const FUNNY_NUMBER4: u32 = 268_436_141;
const FUNNY_NUMBER5: u32 = 268_438_633;
const FUNNY_NUMBER6: u32 = 268_437_017;
const FUNNY_NUMBER8: u32 = 268_437_511;
const FUNNY_NUMBER9: u32 = 268_439_627;
const FUNNY_NUMBER10: u32 = 268_440_479;
const FUNNY_NUMBER11: u32 = 268_440_577;
const FUNNY_NUMBER12: u32 = 268_440_581;
const FUNNY_NUMBER13: u32 = 268_440_593;
const FUNNY_NUMBER14: u32 = 268_440_611;

enum Work1 {
    Term(Term),
    /// After a tuple's elements: mix in its arity.
    TupleEnd(u32),
    /// The rest of a list after a non-byte element.
    ListRest(Term),
    /// After a list's final tail.
    ListEnd,
}

/// `hash * p + x`.
#[inline]
fn mul_add(hash: u32, p: u32, x: u32) -> u32 {
    hash.wrapping_mul(p).wrapping_add(x)
}

/// Mixes the four bytes of `x`, least significant first.
fn bytes_step(hash: u32, x: u32, p: u32) -> u32 {
    (0..4).fold(hash, |h, i| mul_add(h, p, (x >> (8 * i)) & 0xff))
}

/// OTP's `make_hash`: the value behind `phash/2`.
pub fn make_hash(term: Term) -> u32 {
    let mut hash: u32 = 0;
    let mut stack = vec![Work1::Term(term)];
    while let Some(item) = stack.pop() {
        let term = match item {
            Work1::Term(t) => t,
            Work1::TupleEnd(arity) => {
                hash = mul_add(hash, FUNNY_NUMBER9, arity);
                continue;
            }
            Work1::ListEnd => {
                hash = hash.wrapping_mul(FUNNY_NUMBER8);
                continue;
            }
            Work1::ListRest(t) => {
                if !t.is_list() {
                    stack.push(Work1::ListEnd);
                }
                t
            }
        };
        if term.is_list() {
            let mut cell = term;
            loop {
                let h = obj::head(cell);
                let t = obj::tail(cell);
                let Some(b) = byte_of(h) else {
                    stack.push(Work1::ListRest(t));
                    stack.push(Work1::Term(h));
                    break;
                };
                hash = mul_add(hash, FUNNY_NUMBER2, b);
                if !t.is_list() {
                    stack.push(Work1::ListEnd);
                    stack.push(Work1::Term(t));
                    break;
                }
                cell = t;
            }
        } else if obj::is_tuple(term) {
            let elems = obj::tuple_elements(term);
            stack.push(Work1::TupleEnd(elems.len() as u32));
            stack.extend(elems.iter().rev().map(|&t| Work1::Term(t)));
        } else if obj::is_map(term) {
            hash = mul_add(hash, FUNNY_NUMBER13, FUNNY_NUMBER14).wrapping_add(make_hash2(term));
        } else if obj::is_local_fun(term) {
            let id = obj::fun_identity(term);
            let free = obj::fun_free(term);
            hash = mul_add(hash, FUNNY_NUMBER10, free.len() as u32);
            hash = mul_add(hash, FUNNY_NUMBER1, atom_hash(id.module));
            hash = mul_add(hash, FUNNY_NUMBER2, id.index);
            hash = mul_add(hash, FUNNY_NUMBER2, id.old_uniq);
            stack.extend(free.iter().rev().map(|&t| Work1::Term(t)));
        } else if obj::is_export(term) {
            let id = obj::export_identity(term);
            hash = mul_add(hash, FUNNY_NUMBER11, id.arity);
            hash = mul_add(hash, FUNNY_NUMBER1, atom_hash(id.module));
            hash = mul_add(hash, FUNNY_NUMBER1, atom_hash(id.function));
        } else if obj::is_bitstring(term) {
            let bits = obj::bits(term);
            let size = bits.size / 8;
            let bytes = bits.to_vec();
            for &b in &bytes[..size] {
                hash = mul_add(hash, FUNNY_NUMBER1, u32::from(b));
            }
            let tail_bits = (bits.size % 8) as u32;
            if tail_bits > 0 {
                let last = u32::from(bytes[size]) >> (8 - tail_bits);
                hash = mul_add(
                    mul_add(hash, FUNNY_NUMBER1, last),
                    FUNNY_NUMBER12,
                    tail_bits,
                );
            }
            hash = mul_add(hash, FUNNY_NUMBER4, size as u32);
        } else if obj::is_integer(term) {
            let (negative, limbs) = integer_limbs(term);
            let last = limbs.len() - 1;
            for (i, &d) in limbs.iter().enumerate() {
                let n = if i == last && d >> 32 == 0 { 4 } else { 8 };
                for j in 0..n {
                    hash = mul_add(hash, FUNNY_NUMBER2, ((d >> (8 * j)) & 0xff) as u32);
                }
            }
            hash = hash.wrapping_mul(if negative {
                FUNNY_NUMBER4
            } else {
                FUNNY_NUMBER3
            });
        } else if obj::is_float(term) {
            let mut x = obj::float_value(term);
            if x == 0.0 {
                x = 0.0;
            }
            let bits = x.to_bits();
            hash = mul_add(hash, FUNNY_NUMBER6, (bits as u32) ^ ((bits >> 32) as u32));
        } else if let Some(a) = term.as_atom() {
            hash = mul_add(hash, FUNNY_NUMBER1, atom_hash(a));
        } else if term.is_nil() {
            hash = mul_add(hash, FUNNY_NUMBER3, 1);
        } else if obj::is_pid(term) {
            hash = bytes_step(hash, pid_number(term).unwrap_or(0), FUNNY_NUMBER5);
            hash = hash.wrapping_mul(FUNNY_NUMBER6);
        } else if obj::is_port(term) {
            let n = ident_number(term).unwrap_or(0);
            if n >> 32 != 0 {
                hash = bytes_step(hash, (n >> 32) as u32, FUNNY_NUMBER11);
            }
            hash = bytes_step(hash, n as u32, FUNNY_NUMBER9);
            hash = hash.wrapping_mul(FUNNY_NUMBER10);
        } else if obj::is_ref(term) {
            hash = bytes_step(hash, ident_number(term).unwrap_or(0) as u32, FUNNY_NUMBER9);
            hash = hash.wrapping_mul(FUNNY_NUMBER10);
        }
    }
    hash
}

/// A hash range argument: an integer 1..=2^32 (`Some(None)` for 2^32 itself).
fn range_arg(t: Term) -> Result<Option<u32>, BifError> {
    let n = if let Some(n) = t.as_small() {
        n
    } else if obj::is_big(t) {
        obj::integer_to_i64(t).ok_or(BifError::BADARG)?
    } else {
        return Err(BifError::BADARG);
    };
    match n {
        0x1_0000_0000 => Ok(None),
        1..0x1_0000_0000 => Ok(Some(n as u32)),
        _ => Err(BifError::BADARG),
    }
}

fn phash2_1(_p: &mut Process, a: &[Term]) -> BifResult {
    Ok(Term::small(i64::from(make_hash2(a[0]) & ((1 << 27) - 1))))
}

fn phash2_2(_p: &mut Process, a: &[Term]) -> BifResult {
    let range = range_arg(a[1])?;
    let h = make_hash2(a[0]);
    Ok(Term::small(i64::from(match range {
        Some(r) => h % r,
        None => h,
    })))
}

fn phash_2(_p: &mut Process, a: &[Term]) -> BifResult {
    let range = range_arg(a[1])?;
    let h = make_hash(a[0]);
    Ok(Term::small(match range {
        Some(r) => i64::from(h % r) + 1,
        None => i64::from(h) + 1,
    }))
}

// ---------------------------------------------------------------------------------------
// MD5

pub use girder_format::md5::Md5;

/// The pieces of an iolist in the order and grouping OTP's `do_chksum` hands them over:
/// each binary, and each run of consecutive byte elements of one list. `None` if it is not
/// an iolist (bitstrings, integers above 255, other terms, a tail that is not a list or a
/// binary).
fn iolist_pieces(t: Term) -> Option<Vec<Vec<u8>>> {
    enum Io {
        /// An element of a list.
        Elem(Term),
        /// What follows in a list: its remaining cells, `[]`, or a binary tail.
        Rest(Term),
    }
    let mut pieces: Vec<Vec<u8>> = Vec::new();
    let mut run: Vec<u8> = Vec::new();
    let mut stack = vec![Io::Rest(t)];
    while let Some(item) = stack.pop() {
        match item {
            Io::Elem(x) if byte_of(x).is_some() => run.push(x.small_value() as u8),
            Io::Rest(x) if x.is_list() => {
                stack.push(Io::Rest(obj::tail(x)));
                stack.push(Io::Elem(obj::head(x)));
            }
            Io::Elem(x) | Io::Rest(x) => {
                if !run.is_empty() {
                    pieces.push(std::mem::take(&mut run));
                }
                if obj::is_binary(x) {
                    pieces.push(obj::bits(x).to_vec());
                } else if x.is_list() {
                    stack.push(Io::Rest(x));
                } else if !x.is_nil() {
                    return None;
                }
            }
        }
    }
    if !run.is_empty() {
        pieces.push(run);
    }
    Some(pieces)
}

/// Feeds an iolist to `ctx` in the pieces OTP's `do_chksum` uses: runs of list bytes and
/// binaries, never crossing a boundary of the 100-byte budget each call has.
fn md5_feed(ctx: &mut Md5, data: Term) -> Result<(), BifError> {
    const BUDGET: usize = 100;
    let pieces = iolist_pieces(data).ok_or(BifError::BADARG)?;
    let mut left = BUDGET;
    for piece in pieces {
        let mut rest: &[u8] = &piece;
        loop {
            let n = rest.len().min(left);
            ctx.update(&rest[..n]);
            rest = &rest[n..];
            left -= n;
            if left == 0 {
                left = BUDGET;
            }
            if rest.is_empty() {
                break;
            }
        }
    }
    Ok(())
}

fn ctx_arg(t: Term) -> Result<Md5, BifError> {
    if !obj::is_binary(t) {
        return Err(BifError::BADARG);
    }
    Md5::from_bytes(&obj::bits(t).to_vec()).ok_or(BifError::BADARG)
}

fn md5(p: &mut Process, a: &[Term]) -> BifResult {
    let mut ctx = Md5::new();
    md5_feed(&mut ctx, a[0])?;
    Ok(obj::binary_from_bytes(&mut p.heap, &ctx.finish()))
}

fn md5_init(p: &mut Process, _a: &[Term]) -> BifResult {
    Ok(obj::binary_from_bytes(&mut p.heap, &Md5::new().to_bytes()))
}

fn md5_update(p: &mut Process, a: &[Term]) -> BifResult {
    let mut ctx = ctx_arg(a[0])?;
    md5_feed(&mut ctx, a[1])?;
    Ok(obj::binary_from_bytes(&mut p.heap, &ctx.to_bytes()))
}

fn md5_final(p: &mut Process, a: &[Term]) -> BifResult {
    let ctx = ctx_arg(a[0])?;
    Ok(obj::binary_from_bytes(&mut p.heap, &ctx.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(d: &[u8]) -> String {
        d.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn md5_vectors() {
        for (input, digest) in [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ] {
            let mut m = Md5::new();
            m.update(input.as_bytes());
            assert_eq!(hex(&m.finish()), digest);
        }
    }

    #[test]
    fn atom_hashes() {
        // hashpjw of "a" is 97; of "ab" 97 * 16 + 98.
        assert_eq!(atom_hash(Atom::intern("a")), 97);
        assert_eq!(atom_hash(Atom::intern("ab")), 97 * 16 + 98);
        // Latin-1 characters count as one byte: 'é' (U+E9).
        assert_eq!(atom_hash(Atom::intern("é")), 0xe9);
    }
}

//! OTP's internal term hash (`make_internal_hash` in ERTS `utils.c`, OTP 25), which places
//! the keys of large maps in their hash trie and so decides the order `maps:to_list/1`,
//! `maps:keys/1`, printing and `term_to_binary/1` give them.
//!
//! Written from OTP's description of it, not its code. The hash starts from
//! `salt ^ 3432918353` and walks the term depth first, mixing 32-bit words into one state
//! with Bob Jenkins' lookup2 `mix`, each offset by a constant `k * 0x9e3779b9` naming the
//! kind of leaf:
//!
//! - immediates (small integers, atoms, `[]`, pids, ports): the tagged word itself, low half
//!   then high half (girder's immediates are OTP's: `value << 4 | 0xF` for smalls, `0x3B`
//!   for `[]`, `index << 6 | 0xB` for atoms);
//! - bignums: each 64-bit limb of the magnitude, low half then high half, with a constant
//!   for the sign; floats: the bits of the value (`-0.0` as `0.0`), low half first;
//! - lists: runs of byte-valued heads packed four to a word; other cells mix a marker, then
//!   the head, then (for an improper or last cell) a second marker and the tail;
//! - tuples: the arity, then the elements; binaries: Jenkins' block hash seeded from the
//!   state, then any trailing bits; maps: the size, then keys and values in the map's
//!   internal order (see [`crate::object::map`]);
//! - local funs: the number of free variables and the module, then the index and `OldUniq`,
//!   then the free variables; references: their id words.
//!
//! What OTP hashes by an address or an atom-table index (atoms, external funs, the nodes of
//! external identifiers) cannot give OTP's numbers in another VM: girder hashes its own atom
//! index in the same place, so the order of large maps keyed by atoms is deterministic in
//! girder but not OTP's (which varies between runs of `erl` with the order atoms are created
//! in). Local pids are hashed by girder's pid word, whose layout is not OTP's.

use crate::Term;
use crate::object as obj;

/// The golden ratio constant all type constants are multiples of.
const HCONST: u32 = 0x9e37_79b9;
/// OTP's starting salt (so that the value differs from `phash2`'s).
const INTERNAL_HASH_SALT: u32 = 3_432_918_353;

/// `k * HCONST`, the constant tagging one kind of leaf.
const fn hconst(k: u32) -> u32 {
    HCONST.wrapping_mul(k)
}

/// Bob Jenkins' lookup2 `mix`.
#[inline]
pub fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    macro_rules! step {
        ($x:ident, $y:ident, $z:ident, $op:tt, $s:expr) => {
            *$x = $x.wrapping_sub(*$y).wrapping_sub(*$z);
            *$x ^= *$z $op $s;
        };
    }
    step!(a, b, c, >>, 13);
    step!(b, c, a, <<, 8);
    step!(c, a, b, >>, 13);
    step!(a, b, c, >>, 12);
    step!(b, c, a, <<, 16);
    step!(c, a, b, >>, 5);
    step!(a, b, c, >>, 3);
    step!(b, c, a, <<, 10);
    step!(c, a, b, >>, 15);
}

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

/// Mixes a bare constant into `hash` (a marker in a list walk).
#[inline]
fn const_hash(hash: &mut u32, k: u32) {
    *hash ^= k;
    *hash = hash.rotate_left(17);
}

/// Jenkins' block hash of `bytes` seeded with `init` (lookup2 `hash()`).
pub fn block_hash(bytes: &[u8], init: u32) -> u32 {
    let word = |k: &[u8]| u32::from_le_bytes([k[0], k[1], k[2], k[3]]);
    let (mut a, mut b, mut c) = (HCONST, HCONST, init);
    let mut chunks = bytes.chunks_exact(12);
    for k in chunks.by_ref() {
        a = a.wrapping_add(word(&k[0..4]));
        b = b.wrapping_add(word(&k[4..8]));
        c = c.wrapping_add(word(&k[8..12]));
        mix(&mut a, &mut b, &mut c);
    }
    let rest = chunks.remainder();
    c = c.wrapping_add(bytes.len() as u32);
    for (i, &byte) in rest.iter().enumerate() {
        let v = u32::from(byte);
        match i {
            0..=3 => a = a.wrapping_add(v << (8 * i)),
            4..=7 => b = b.wrapping_add(v << (8 * (i - 4))),
            // The low byte of c holds the length.
            _ => c = c.wrapping_add(v << (8 * (i - 7))),
        }
    }
    mix(&mut a, &mut b, &mut c);
    c
}

/// Work waiting on the stack of [`internal_hash`].
enum Work {
    Term(Term),
    /// The tail of a cell that was not a list cell: mix the tail marker, then the tail.
    CdrMark,
}

/// Mixes a 64-bit word, low half first.
#[inline]
fn hash_word(hash: &mut u32, w: u64, k: u32) {
    hash2(hash, w as u32, (w >> 32) as u32, k);
}

/// OTP's `make_internal_hash(Term, Salt)`.
pub fn internal_hash(term: Term, salt: u32) -> u32 {
    let mut hash = salt ^ INTERNAL_HASH_SALT;
    let mut stack: Vec<Work> = Vec::new();
    let mut term = term;
    'terms: loop {
        if term.is_list() {
            let (mut sh, mut c) = (0u32, 0u32);
            let mut cell = term;
            let mut stopped_at = None;
            loop {
                let head = obj::head(cell);
                let Some(b) = head.as_small().filter(|n| (0..=255).contains(n)) else {
                    stopped_at = Some(cell);
                    break;
                };
                sh = (sh << 8).wrapping_add(b as u32);
                if c == 3 {
                    hash1(&mut hash, sh, hconst(4));
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
                hash2(&mut hash, sh, c, hconst(22));
            }
            if let Some(cell) = stopped_at {
                let tail = obj::tail(cell);
                const_hash(&mut hash, hconst(17));
                stack.push(Work::Term(tail));
                if !tail.is_list() {
                    stack.push(Work::CdrMark);
                }
                term = obj::head(cell);
            }
            continue 'terms;
        } else if !term.is_boxed() {
            // Every immediate: the word as it is.
            hash_word(&mut hash, term.raw(), HCONST);
        } else if obj::is_tuple(term) {
            let elems = obj::tuple_elements(term);
            hash1(&mut hash, elems.len() as u32, hconst(9));
            if elems.iter().all(|e| e.is_immediate()) {
                // The same words in the same order, without the stack.
                for e in elems {
                    hash_word(&mut hash, e.raw(), HCONST);
                }
            } else if let Some((first, rest)) = elems.split_first() {
                stack.extend(rest.iter().rev().map(|&t| Work::Term(t)));
                term = *first;
                continue 'terms;
            }
        } else if obj::is_map(term) {
            hash1(&mut hash, obj::map_size(term) as u32, hconst(16));
            // OTP pushes a flat map's pairs so that they pop in key order, and a trie
            // node's slots so that they pop last slot first.
            let pairs = obj::map_hash_walk(term);
            for &(k, v) in pairs.iter().rev() {
                stack.push(Work::Term(v));
                stack.push(Work::Term(k));
            }
        } else if obj::is_local_fun(term) {
            let id = obj::fun_identity(term);
            let free = obj::fun_free(term);
            let module = Term::atom(id.module).raw() as u32;
            hash2(&mut hash, free.len() as u32, module, hconst(20));
            hash2(&mut hash, id.index, id.old_uniq, hconst(21));
            if let Some((first, rest)) = free.split_first() {
                stack.extend(rest.iter().rev().map(|&t| Work::Term(t)));
                term = *first;
                continue 'terms;
            }
        } else if obj::is_export(term) {
            // OTP hashes the export entry's address; girder its identity.
            let id = obj::export_identity(term);
            let m = Term::atom(id.module).raw();
            let f = Term::atom(id.function).raw();
            hash_word(
                &mut hash,
                m ^ f.rotate_left(32) ^ u64::from(id.arity),
                hconst(14),
            );
        } else if obj::is_bitstring(term) {
            let bits = obj::bits(term);
            let size = bits.size / 8;
            let tail_bits = (bits.size % 8) as u32;
            let con = hconst(13).wrapping_add(hash);
            if size == 0 && tail_bits == 0 {
                hash = con;
            } else {
                let bytes = bits.to_vec();
                hash = block_hash(&bytes[..size], con);
                if tail_bits > 0 {
                    let last = u32::from(bytes[size]) >> (8 - tail_bits);
                    hash2(&mut hash, tail_bits, last, hconst(15));
                }
            }
        } else if obj::is_big(term) {
            let k = if obj::big_is_negative(term) {
                hconst(10)
            } else {
                hconst(11)
            };
            for &l in obj::big_limbs(term) {
                hash_word(&mut hash, l, k);
            }
        } else if obj::is_float(term) {
            let mut x = obj::float_value(term);
            if x == 0.0 {
                x = 0.0;
            }
            hash_word(&mut hash, x.to_bits(), hconst(12));
        } else if let Some(id) = obj::ident(term) {
            match id.ids {
                obj::IdentIds::Ref(ids) => {
                    let n = |i: usize| ids.as_slice().get(i).copied().unwrap_or(0);
                    hash1(&mut hash, n(0), hconst(7));
                    hash2(&mut hash, n(1), n(2), hconst(8));
                    if ids.as_slice().len() > 3 {
                        hash2(&mut hash, n(3), n(4), hconst(9));
                    }
                }
                obj::IdentIds::Pid { id: num, serial } => {
                    hash_word(&mut hash, Term::atom(id.node).raw(), hconst(5));
                    hash2(&mut hash, num, serial, hconst(5));
                }
                obj::IdentIds::Port(n) => {
                    hash_word(&mut hash, Term::atom(id.node).raw(), hconst(6));
                    hash_word(&mut hash, n, hconst(6));
                }
            }
        }
        // The term is done: continue with what waits on the stack.
        loop {
            match stack.pop() {
                None => return hash,
                Some(Work::CdrMark) => const_hash(&mut hash, hconst(18)),
                Some(Work::Term(t)) => {
                    term = t;
                    continue 'terms;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants() {
        assert_eq!(hconst(2), 0x3c6e_f372);
        assert_eq!(hconst(19), 0xbe1e_08bb);
    }

    /// The order OTP 25 gives `maps:keys(maps:from_list([{I, I} || I <- lists:seq(1, 40)]))`
    /// follows from these hashes (see the map module's tests).
    #[test]
    fn small_integers_differ() {
        let a = internal_hash(Term::small(1), 0);
        let b = internal_hash(Term::small(2), 0);
        assert_ne!(a, b);
        assert_ne!(a, internal_hash(Term::small(1), 1));
    }
}

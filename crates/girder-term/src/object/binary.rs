//! Binaries and bitstrings.
//!
//! Sizes are kept in bits, so every kind holds a bitstring such as `<<1:3>>`; the bits of a
//! partial last byte are its high-order bits, and bits after the end in that byte are zero
//! in the objects this module builds.
//!
//! - `HEAP_BIN`: header (arity = 1 + data words), bit size, then the bytes padded to whole
//!   words. For small binaries (the design note: up to 64 bytes).
//! - `REFC_BIN`: header (arity 3), bit size, pointer to the bytes of an `Arc<[u8]>`, the Arc's
//!   length. The object owns one strong count, recorded with the allocator's
//!   [`track_off_heap`](crate::heap::Alloc::track_off_heap) so that the GC (or dropping the
//!   heap or literal area) releases it when the object dies. Bits are read from the start of
//!   the Arc's bytes.
//! - `SUB_BIN`: header (arity 3), bit size, bit offset, then a term: the `HEAP_BIN` or
//!   `REFC_BIN` whose bits it views (never another sub-binary).
//!
//! Match states (`BIN_MATCHSTATE`) are the interpreter's to define; the GC treats their first
//! payload word as a term (the matched binary) and the rest as raw.

use std::cmp::Ordering;
use std::sync::Arc;

use super::alloc_object;
use crate::header::{boxed_subtag, header_of, payload, payload_ptr, subtag};
use crate::heap::Alloc;
use crate::word::Term;

/// Binaries up to this many bytes go on the heap; longer ones off-heap, reference counted.
pub const HEAP_BIN_LIMIT: usize = 64;

/// A heap binary holding `bytes`.
pub fn heap_binary(h: &mut impl Alloc, bytes: &[u8]) -> Term {
    heap_bitstring(h, bytes, bytes.len() * 8)
}

/// A heap bitstring of `bit_size` bits, taken from the start of `bytes` (which must hold at
/// least that many bits; bits beyond `bit_size` are stored as zero).
pub fn heap_bitstring(h: &mut impl Alloc, bytes: &[u8], bit_size: usize) -> Term {
    let nbytes = bit_size.div_ceil(8);
    assert!(nbytes <= bytes.len(), "bitstring longer than its bytes");
    let words = nbytes.div_ceil(8);
    let (t, p) = alloc_object(h, 1 + words, subtag::HEAP_BIN);
    // SAFETY: the object has `1 + words` payload words: the size, then `words * 8 >= nbytes`
    // bytes. The last data word is zeroed first so padding is initialised.
    unsafe {
        p.write(bit_size as u64);
        if words > 0 {
            p.add(words).write(0);
        }
        let data = p.add(1).cast::<u8>();
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), data, nbytes);
        if !bit_size.is_multiple_of(8) {
            *data.add(nbytes - 1) &= 0xffu8 << (8 - bit_size % 8);
        }
    }
    t
}

/// A reference-counted binary of all of `data`.
pub fn refc_binary(h: &mut impl Alloc, data: Arc<[u8]>) -> Term {
    let bits = data.len() * 8;
    refc_bitstring(h, data, bits)
}

/// A reference-counted bitstring of the first `bit_size` bits of `data`.
pub fn refc_bitstring(h: &mut impl Alloc, data: Arc<[u8]>, bit_size: usize) -> Term {
    assert!(
        bit_size <= data.len() * 8,
        "bitstring longer than its bytes"
    );
    let len = data.len();
    let ptr = Arc::into_raw(data).cast::<u8>();
    let (t, p) = alloc_object(h, 3, subtag::REFC_BIN);
    // SAFETY: the object has three payload words.
    unsafe {
        p.write(bit_size as u64);
        p.add(1).write(ptr as u64);
        p.add(2).write(len as u64);
    }
    h.track_off_heap(t.ptr_mut());
    t
}

/// A binary holding `bytes`: on the heap when short, else reference counted.
pub fn binary_from_bytes(h: &mut impl Alloc, bytes: &[u8]) -> Term {
    if bytes.len() <= HEAP_BIN_LIMIT {
        heap_binary(h, bytes)
    } else {
        refc_binary(h, Arc::from(bytes))
    }
}

/// A bitstring holding the first `bit_size` bits of `bytes`, on the heap when short.
pub fn bitstring_from_bytes(h: &mut impl Alloc, bytes: &[u8], bit_size: usize) -> Term {
    let n = bit_size.div_ceil(8);
    if n <= HEAP_BIN_LIMIT {
        heap_bitstring(h, bytes, bit_size)
    } else {
        let mut v = bytes[..n].to_vec();
        if !bit_size.is_multiple_of(8) {
            v[n - 1] &= 0xffu8 << (8 - bit_size % 8);
        }
        refc_bitstring(h, Arc::from(v), bit_size)
    }
}

/// A sub-binary viewing `bit_size` bits of the bitstring `bin` from bit `bit_offset` on.
///
/// # Panics
/// If the range is not inside `bin`.
pub fn sub_binary(h: &mut impl Alloc, bin: Term, bit_offset: usize, bit_size: usize) -> Term {
    let view = bits(bin);
    assert!(
        bit_offset
            .checked_add(bit_size)
            .is_some_and(|end| end <= view.size),
        "sub-binary out of range"
    );
    let orig = if boxed_subtag(bin) == Some(subtag::SUB_BIN) {
        Term(payload(bin, 2))
    } else {
        bin
    };
    let (t, p) = alloc_object(h, 3, subtag::SUB_BIN);
    // SAFETY: the object has three payload words.
    unsafe {
        p.write(bit_size as u64);
        p.add(1).write((view.offset + bit_offset) as u64);
        p.add(2).write(orig.0);
    }
    t
}

/// Whether `t` is a bitstring (any number of bits).
#[inline]
pub fn is_bitstring(t: Term) -> bool {
    matches!(
        boxed_subtag(t),
        Some(subtag::HEAP_BIN | subtag::REFC_BIN | subtag::SUB_BIN)
    )
}

/// Whether `t` is a binary (a bitstring of whole bytes).
#[inline]
pub fn is_binary(t: Term) -> bool {
    is_bitstring(t) && bit_size(t).is_multiple_of(8)
}

/// The size of the bitstring `t` in bits.
#[inline]
pub fn bit_size(t: Term) -> usize {
    debug_assert!(is_bitstring(t));
    payload(t, 0) as usize
}

/// The size of the bitstring `t` in bytes, a partial last byte counted.
#[inline]
pub fn byte_size(t: Term) -> usize {
    bit_size(t).div_ceil(8)
}

/// The bits of a bitstring: `size` bits of `bytes` starting `offset` bits in.
#[derive(Clone, Copy, Debug)]
pub struct Bits<'a> {
    /// The underlying bytes.
    pub bytes: &'a [u8],
    /// Bit offset of the first bit.
    pub offset: usize,
    /// Number of bits.
    pub size: usize,
}

impl<'a> Bits<'a> {
    /// The bytes, when the bits start on a byte boundary and are whole bytes.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        (self.offset.is_multiple_of(8) && self.size.is_multiple_of(8))
            .then(|| &self.bytes[self.offset / 8..][..self.size / 8])
    }

    /// Byte `i` of the bits (8 bits from bit `8 * i`; bits past the end read as zero).
    #[inline]
    pub fn byte(&self, i: usize) -> u8 {
        let pos = self.offset + 8 * i;
        let (k, s) = (pos / 8, pos % 8);
        let hi = self.bytes.get(k).copied().unwrap_or(0);
        let v = if s == 0 {
            hi
        } else {
            (hi << s) | (self.bytes.get(k + 1).copied().unwrap_or(0) >> (8 - s))
        };
        let left = self.size.saturating_sub(8 * i);
        if left >= 8 {
            v
        } else {
            v & !(0xffu8.checked_shr(left as u32).unwrap_or(0))
        }
    }

    /// The bits as bytes (a partial last byte padded with zero bits).
    pub fn to_vec(&self) -> Vec<u8> {
        match self.as_bytes() {
            Some(b) => b.to_vec(),
            None => (0..self.size.div_ceil(8)).map(|i| self.byte(i)).collect(),
        }
    }

    /// Term order of bitstrings: bit by bit, then the shorter first.
    pub fn compare(&self, other: &Bits<'_>) -> Ordering {
        let n = self.size.min(other.size);
        let full = n / 8;
        let ord = if self.offset.is_multiple_of(8) && other.offset.is_multiple_of(8) {
            self.bytes[self.offset / 8..][..full].cmp(&other.bytes[other.offset / 8..][..full])
        } else {
            (0..full)
                .map(|i| self.byte(i).cmp(&other.byte(i)))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        };
        let rem = (n % 8) as u32;
        let ord = ord.then_with(|| {
            if rem == 0 {
                Ordering::Equal
            } else {
                (self.byte(full) >> (8 - rem)).cmp(&(other.byte(full) >> (8 - rem)))
            }
        });
        ord.then(self.size.cmp(&other.size))
    }
}

/// The bytes under a `HEAP_BIN` or `REFC_BIN`.
fn base_bytes<'a>(t: Term) -> &'a [u8] {
    let h = header_of(t);
    match h.header_subtag() {
        subtag::HEAP_BIN => {
            let n = (payload(t, 0) as usize).div_ceil(8);
            // SAFETY: a live heap binary holds `n` initialised bytes after its size word.
            unsafe { std::slice::from_raw_parts(payload_ptr(t).add(1).cast::<u8>(), n) }
        }
        subtag::REFC_BIN => {
            // SAFETY: a live refc binary holds a strong count on an `Arc<[u8]>` of this length
            // at this address, so the bytes stay allocated while the object lives.
            unsafe {
                std::slice::from_raw_parts(payload(t, 1) as *const u8, payload(t, 2) as usize)
            }
        }
        _ => unreachable!("not a binary base object"),
    }
}

/// The bits of the bitstring `t`. Valid until the next GC of the heap holding `t`.
pub fn bits<'a>(t: Term) -> Bits<'a> {
    debug_assert!(is_bitstring(t));
    let size = payload(t, 0) as usize;
    if header_of(t).header_subtag() == subtag::SUB_BIN {
        let orig = Term(payload(t, 2));
        Bits {
            bytes: base_bytes(orig),
            offset: payload(t, 1) as usize,
            size,
        }
    } else {
        Bits {
            bytes: base_bytes(t),
            offset: 0,
            size,
        }
    }
}

/// The bytes of `t` if it is a binary whose bits start on a byte boundary (every binary
/// except some sub-binaries). Valid until the next GC of the heap holding `t`.
pub fn binary_bytes<'a>(t: Term) -> Option<&'a [u8]> {
    if !is_bitstring(t) {
        return None;
    }
    bits(t).as_bytes()
}

/// Releases the strong count held by the refc binary object whose header is at `obj`.
///
/// # Safety
/// `obj` must be a refc binary built by [`refc_bitstring`] (or copied by the GC or
/// `copy_term`), whose count has not been released yet; it must not be released again.
pub(crate) unsafe fn release_refc(obj: *mut u64) {
    // SAFETY: per the contract, payload words 2 and 3 hold the pointer and length that
    // `Arc::into_raw` gave for a still-counted `Arc<[u8]>`.
    unsafe {
        let ptr = *obj.add(2) as *const u8;
        let len = *obj.add(3) as usize;
        drop(Arc::from_raw(std::ptr::slice_from_raw_parts(ptr, len)));
    }
}

/// Adds a strong count for a copy of the refc binary object at `obj`.
///
/// # Safety
/// `obj` must be a live refc binary object (holding a count).
pub(crate) unsafe fn retain_refc(obj: *const u64) {
    // SAFETY: the object holds a count on this `Arc<[u8]>`, so it is alive.
    unsafe {
        let ptr = *obj.add(2) as *const u8;
        let len = *obj.add(3) as usize;
        Arc::increment_strong_count(std::ptr::slice_from_raw_parts(ptr, len));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::{Heap, LiteralArea};

    #[test]
    fn heap_and_refc() {
        let mut h = Heap::new(64);
        let b = heap_binary(&mut h, b"hello");
        assert!(is_binary(b) && is_bitstring(b));
        assert_eq!(binary_bytes(b), Some(&b"hello"[..]));
        assert_eq!((bit_size(b), byte_size(b)), (40, 5));
        let e = heap_binary(&mut h, b"");
        assert_eq!(binary_bytes(e), Some(&b""[..]));
        let long = vec![7u8; 100];
        let r = binary_from_bytes(&mut h, &long);
        assert_eq!(boxed_subtag(r), Some(subtag::REFC_BIN));
        assert_eq!(binary_bytes(r), Some(&long[..]));
        let data: Arc<[u8]> = Arc::from(&b"shared"[..]);
        let s = refc_binary(&mut h, data.clone());
        assert_eq!(Arc::strong_count(&data), 2);
        assert_eq!(binary_bytes(s), Some(&b"shared"[..]));
        drop(h);
        assert_eq!(Arc::strong_count(&data), 1);
        let mut area = LiteralArea::new();
        refc_binary(&mut area, data.clone());
        assert_eq!(Arc::strong_count(&data), 2);
        drop(area);
        assert_eq!(Arc::strong_count(&data), 1);
    }

    #[test]
    fn bitstrings_and_subs() {
        let mut h = Heap::new(64);
        let b = heap_bitstring(&mut h, &[0xff], 3); // <<7:3>>
        assert!(is_bitstring(b) && !is_binary(b));
        assert_eq!(bit_size(b), 3);
        assert_eq!(binary_bytes(b), None);
        assert_eq!(bits(b).to_vec(), vec![0xe0]);
        let base = heap_binary(&mut h, &[0b1010_1010, 0b1100_1100, 0xff]);
        let s = sub_binary(&mut h, base, 4, 12); // 1010 11001100
        assert_eq!(bit_size(s), 12);
        assert_eq!(bits(s).to_vec(), vec![0b1010_1100, 0b1100_0000]);
        let ss = sub_binary(&mut h, s, 4, 8);
        assert_eq!(binary_bytes(ss), Some(&[0b1100_1100][..]));
        assert_eq!(
            bits(ss).compare(&bits(heap_binary(&mut h, &[0xcc]))),
            Ordering::Equal
        );
    }

    #[test]
    fn bit_order() {
        let mut h = Heap::new(64);
        // As `lists:sort/1` orders them in OTP 25:
        // [<<>>,<<0:1>>,<<0,1:1>>,<<1>>,<<1,2>>,<<1:7>>,<<1:3>>,<<2:3>>]
        let sorted = [
            heap_bitstring(&mut h, &[], 0),
            heap_bitstring(&mut h, &[0], 1),
            heap_bitstring(&mut h, &[0, 0x80], 9),
            heap_binary(&mut h, &[1]),
            heap_binary(&mut h, &[1, 2]),
            heap_bitstring(&mut h, &[2], 7),
            heap_bitstring(&mut h, &[0x20], 3),
            heap_bitstring(&mut h, &[0x40], 3),
        ];
        for (i, a) in sorted.iter().enumerate() {
            for (j, b) in sorted.iter().enumerate() {
                assert_eq!(bits(*a).compare(&bits(*b)), i.cmp(&j), "{i} {j}");
            }
        }
    }
}

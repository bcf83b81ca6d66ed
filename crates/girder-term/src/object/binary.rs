//! Binaries and bitstrings.
//!
//! Sizes are kept in bits, so every kind holds a bitstring such as `<<1:3>>`; the bits of a
//! partial last byte are its high-order bits, and bits after the end in that byte are zero
//! in the objects this module builds.
//!
//! - `HEAP_BIN`: header (arity = 1 + data words), bit size, then the bytes padded to whole
//!   words. For small binaries (the design note: up to 64 bytes).
//! - `REFC_BIN`: header (arity 3), bit size, pointer to the bytes, then the owner of the
//!   bytes: either the length of an `Arc<[u8]>` (an immutable buffer), or, with the top bit
//!   [`GROWABLE`] set, the pointer of an `Arc<GrowBuf>` (a buffer with spare capacity that
//!   [`append`] extends in place). The object owns one strong count, recorded with the
//!   allocator's [`track_off_heap`](crate::heap::Alloc::track_off_heap) so that the GC (or
//!   dropping the heap or literal area) releases it when the object dies. Bits are read from
//!   the start of the bytes; an object over a growable buffer sees only its own bit size.
//! - `SUB_BIN`: header (arity 3), bit size, bit offset, then a term: the `HEAP_BIN` or
//!   `REFC_BIN` whose bits it views (never another sub-binary).
//!
//! Match states (`BIN_MATCHSTATE`) are the interpreter's to define; the GC treats their first
//! payload word as a term (the matched binary) and the rest as raw.

use std::cell::UnsafeCell;
use std::cmp::Ordering;
use std::sync::Arc;
use std::sync::atomic::{self, AtomicBool, AtomicUsize};

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

/// Bytes of the buffers reference-counted binaries hold (`erlang:memory(binary)`). A
/// buffer counts from when a binary object first holds it until the last object holding it
/// is released (another holder, such as an ETS copy or a port, may keep it longer).
static BINARY_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Bytes held by reference-counted binaries (see `BINARY_BYTES`).
pub fn binary_bytes_allocated() -> usize {
    BINARY_BYTES.load(atomic::Ordering::Relaxed)
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
    if Arc::strong_count(&data) == 1 {
        // A buffer no binary held before: count it.
        BINARY_BYTES.fetch_add(len, atomic::Ordering::Relaxed);
    }
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

/// The top bit of a refc binary's owner word: the owner is an `Arc<GrowBuf>`.
const GROWABLE: u64 = 1 << 63;

/// Smallest capacity of a growable buffer, in bytes (as OTP allocates for an append).
const GROW_MIN: usize = 256;

/// A reference-counted buffer with spare capacity, which appends extend in place (OTP's
/// writable binary).
///
/// `used` is the end, in bits, of the longest bitstring built in the buffer. Every binary
/// object over the buffer views bits `0..size` with `size <= used`; bytes wholly past `used`
/// are seen by no one. An append to a binary ending exactly at `used` claims the bits after
/// it by a compare-and-swap of `used`, so of two appenders to the same binary only one
/// extends the buffer (the other copies). The winner writes only past the old `used`, except
/// the partial last byte when `used` is not a whole number of bytes: that byte is shared
/// with the appended binary's views, so it is written only while the buffer has never been
/// copied to another heap (`shared`), when every view of it belongs to the writing process.
pub struct GrowBuf {
    used: AtomicUsize,
    shared: AtomicBool,
    data: Box<[UnsafeCell<u8>]>,
}

// SAFETY: bytes are written only through `append`: bytes wholly past `used`, which no view
// reads, by the one thread that won the compare-and-swap claiming them; and the partial byte
// at `used` only while `shared` is false, i.e. while all views are in the appending
// process's heap, used by that process's thread alone. Everything else is read-only.
unsafe impl Sync for GrowBuf {}

impl Drop for GrowBuf {
    fn drop(&mut self) {
        BINARY_BYTES.fetch_sub(self.data.len(), atomic::Ordering::Relaxed);
    }
}

impl GrowBuf {
    fn new(cap: usize, used: usize) -> Arc<GrowBuf> {
        let bytes: Box<[u8]> = vec![0u8; cap].into_boxed_slice();
        // SAFETY: `UnsafeCell<u8>` is `repr(transparent)` over `u8`: same layout, and the
        // box's allocation is handed over unchanged.
        let data = unsafe { Box::from_raw(Box::into_raw(bytes) as *mut [UnsafeCell<u8>]) };
        BINARY_BYTES.fetch_add(cap, atomic::Ordering::Relaxed);
        Arc::new(GrowBuf {
            used: AtomicUsize::new(used),
            shared: AtomicBool::new(false),
            data,
        })
    }

    fn ptr(&self) -> *mut u8 {
        UnsafeCell::raw_get(self.data.as_ptr())
    }

    /// Capacity in bytes.
    pub fn capacity(&self) -> usize {
        self.data.len()
    }
}

/// A refc binary object of `bit_size` bits over the growable buffer `buf`, taking over one
/// strong count of it.
fn growable_refc(h: &mut impl Alloc, buf: Arc<GrowBuf>, bit_size: usize) -> Term {
    debug_assert!(bit_size.div_ceil(8) <= buf.capacity());
    let data = buf.ptr();
    let owner = Arc::into_raw(buf) as u64;
    debug_assert_eq!(owner & GROWABLE, 0);
    let (t, p) = alloc_object(h, 3, subtag::REFC_BIN);
    // SAFETY: the object has three payload words.
    unsafe {
        p.write(bit_size as u64);
        p.add(1).write(data as u64);
        p.add(2).write(owner | GROWABLE);
    }
    h.track_off_heap(t.ptr_mut());
    t
}

/// The growable buffer under the refc binary `t`, if it has one.
fn grow_buf<'a>(t: Term) -> Option<&'a GrowBuf> {
    if boxed_subtag(t) != Some(subtag::REFC_BIN) {
        return None;
    }
    let owner = payload(t, 2);
    // SAFETY: a live refc binary with the growable tag holds a strong count of the
    // `Arc<GrowBuf>` at this address, so it stays alive while `t` does.
    (owner & GROWABLE != 0).then(|| unsafe { &*((owner & !GROWABLE) as *const GrowBuf) })
}

/// The capacity of the growable buffer under `t` (`None` for any other bitstring): for tests
/// and diagnostics.
pub fn growable_capacity(t: Term) -> Option<usize> {
    grow_buf(t).map(GrowBuf::capacity)
}

/// Writes the appended bits into `dst`, whose first `size` bits are already in place: `tail`
/// holds them from bit `size % 8` of its first byte (the bits before that are zero), and is
/// zero after them.
///
/// # Safety
/// `dst` must be valid for writes of `(size + tail_bits).div_ceil(8)` bytes, none of which
/// past byte `size / 8` (and that one only in its bits after `size % 8`) may be read
/// concurrently.
unsafe fn write_tail(dst: *mut u8, size: usize, tail: &[u8], tail_bits: usize) {
    let k = size % 8;
    let first = size / 8;
    let n = (k + tail_bits).div_ceil(8);
    if n == 0 {
        return;
    }
    // SAFETY: per the contract, bytes `first..first + n` are writable and not read elsewhere
    // (byte `first` is ours to read: its first `k` bits are the appended binary's).
    unsafe {
        let d = dst.add(first);
        if k == 0 {
            std::ptr::copy_nonoverlapping(tail.as_ptr(), d, n);
        } else {
            *d = (*d & (0xffu8 << (8 - k))) | tail[0];
            std::ptr::copy_nonoverlapping(tail.as_ptr().add(1), d.add(1), n - 1);
        }
    }
}

/// The bitstring `src` followed by `tail_bits` more bits, as `<<Src/bitstring, ...>>`
/// builds it. `tail` holds the new bits from bit `bit_size(src) % 8` of its first byte on
/// (the bits before are zero, as are the bits after the new ones).
///
/// When `src` is a refc binary over a growable buffer, ends where the buffer's written bits
/// end and the buffer has room, the new bits are written in place and the result shares the
/// buffer (amortised constant time per appended bit); otherwise the bits are copied into a
/// new growable buffer with room to spare (about twice the size). Short results of copies
/// from a binary that is not growable stay on the heap.
///
/// # Panics
/// If `tail` is shorter than the bits it must hold.
pub fn append(h: &mut impl Alloc, src: Term, tail: &[u8], tail_bits: usize) -> Term {
    let size = bit_size(src);
    let k = size % 8;
    assert!(tail.len() * 8 >= k + tail_bits, "append tail too short");
    let new_size = size + tail_bits;
    let need = new_size.div_ceil(8);
    let old = grow_buf(src);
    if let Some(buf) = old
        && need <= buf.capacity()
        // Acquire (Relaxed would do): `shared` is set by the thread of the process whose
        // heap holds the copied view, before the copy can reach another process (through
        // a lock); while it is false every view is this process's, so no thread but this
        // one sets it.
        && (k == 0 || !buf.shared.load(atomic::Ordering::Acquire))
        && buf
            .used
            .compare_exchange(
                size,
                new_size,
                // AcqRel (Relaxed would do): the compare-and-swap only decides which of two
                // appenders owns the bits past `used`; bytes written there reach other
                // threads inside a message or an ETS object, whose lock orders them. On
                // failure nothing is read: Relaxed.
                atomic::Ordering::AcqRel,
                atomic::Ordering::Relaxed,
            )
            .is_ok()
    {
        // SAFETY: the compare-and-swap gave this call the bits from `size` on; no view reads
        // them, and byte `size / 8` is written only in its bits after `size % 8`, which only
        // the buffer's views in this process's heap cover (`shared` is false when `k != 0`).
        unsafe { write_tail(buf.ptr(), size, tail, tail_bits) };
        // SAFETY: `src` holds a count of this `Arc<GrowBuf>`, so it is alive; the new object
        // takes the added count.
        let arc = unsafe {
            let p = buf as *const GrowBuf;
            Arc::increment_strong_count(p);
            Arc::from_raw(p)
        };
        return growable_refc(h, arc, new_size);
    }
    let b = bits(src);
    if old.is_none() && need <= HEAP_BIN_LIMIT {
        // Small: built in a buffer on the stack, then copied to the heap.
        let mut buf = [0u8; HEAP_BIN_LIMIT];
        let len = size.div_ceil(8);
        match b.as_bytes() {
            Some(whole) => buf[..len].copy_from_slice(whole),
            None => (0..len).for_each(|i| buf[i] = b.byte(i)),
        }
        // SAFETY: `buf` holds `need` bytes, the first `size` bits of which are `src`'s (the
        // bits after them in its last byte zero, as `write_tail` expects).
        unsafe { write_tail(buf.as_mut_ptr(), size, tail, tail_bits) };
        return heap_bitstring(h, &buf[..need], new_size);
    }
    let head = b.to_vec();
    let cap = need.saturating_mul(2).max(GROW_MIN);
    let buf = GrowBuf::new(cap, new_size);
    // SAFETY: the buffer is new and not yet shared; it has `cap >= need` bytes. `to_vec`
    // zeroes the bits after `size` in its last byte, as `write_tail` expects.
    unsafe {
        std::ptr::copy_nonoverlapping(head.as_ptr(), buf.ptr(), head.len());
        write_tail(buf.ptr(), size, tail, tail_bits);
    }
    growable_refc(h, buf, new_size)
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

/// Whether the bitstring `t` is kept off the heap (a refc binary, or a sub-binary of one)
/// and starts on a byte boundary.
pub fn is_off_heap_aligned(t: Term) -> bool {
    match boxed_subtag(t) {
        Some(subtag::REFC_BIN) => true,
        Some(subtag::SUB_BIN) => {
            boxed_subtag(Term(payload(t, 2))) == Some(subtag::REFC_BIN)
                && payload(t, 1).is_multiple_of(8)
        }
        _ => false,
    }
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
#[inline]
fn base_bytes<'a>(t: Term) -> &'a [u8] {
    let h = header_of(t);
    match h.header_subtag() {
        subtag::HEAP_BIN => {
            let n = (payload(t, 0) as usize).div_ceil(8);
            // SAFETY: a live heap binary holds `n` initialised bytes after its size word.
            unsafe { std::slice::from_raw_parts(payload_ptr(t).add(1).cast::<u8>(), n) }
        }
        subtag::REFC_BIN => {
            let owner = payload(t, 2);
            let len = if owner & GROWABLE != 0 {
                (payload(t, 0) as usize).div_ceil(8)
            } else {
                owner as usize
            };
            // SAFETY: a live refc binary holds a strong count on its buffer, so the bytes stay
            // allocated while the object lives: an `Arc<[u8]>` of `len` bytes, or a growable
            // buffer whose first `len` bytes (the object's own bits) are never written again
            // while another view may read them (see `GrowBuf`).
            unsafe { std::slice::from_raw_parts(payload(t, 1) as *const u8, len) }
        }
        _ => unreachable!("not a binary base object"),
    }
}

/// The bits of the bitstring `t`. Valid until the next GC of the heap holding `t`.
#[inline]
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
    // SAFETY: per the contract, payload words 2 and 3 hold what `Arc::into_raw` gave for a
    // still-counted `Arc<GrowBuf>` (tagged) or `Arc<[u8]>` (pointer and length).
    unsafe {
        let owner = *obj.add(3);
        if owner & GROWABLE != 0 {
            drop(Arc::from_raw((owner & !GROWABLE) as *const GrowBuf));
        } else {
            let ptr = *obj.add(2) as *const u8;
            let arc = Arc::from_raw(std::ptr::slice_from_raw_parts(ptr, owner as usize));
            if Arc::strong_count(&arc) == 1 {
                BINARY_BYTES.fetch_sub(arc.len(), atomic::Ordering::Relaxed);
            }
            drop(arc);
        }
    }
}

/// Adds a strong count for a copy of the refc binary object at `obj`.
///
/// The copy may live in another heap: a growable buffer is marked shared, so that its
/// partial last byte is never written again.
///
/// # Safety
/// `obj` must be a live refc binary object (holding a count).
pub(crate) unsafe fn retain_refc(obj: *const u64) {
    // SAFETY: the object holds a count on this `Arc<GrowBuf>` or `Arc<[u8]>`, so it is alive.
    unsafe {
        let owner = *obj.add(3);
        if owner & GROWABLE != 0 {
            let buf = (owner & !GROWABLE) as *const GrowBuf;
            // Release (Relaxed would do): see `append`.
            (*buf).shared.store(true, atomic::Ordering::Release);
            Arc::increment_strong_count(buf);
        } else {
            let ptr = *obj.add(2) as *const u8;
            Arc::increment_strong_count(std::ptr::slice_from_raw_parts(ptr, owner as usize));
        }
    }
}

/// Append the bytes of iodata `t` (bytes, binaries, nested lists, a binary tail) to `out`;
/// `false` when `t` is not iodata (what is appended by then is garbage). The one walk that
/// `iolist_to_binary`, port output and the NIFs' `enif_inspect_iolist_as_binary` share.
pub fn iodata_bytes(t: Term, out: &mut Vec<u8>) -> bool {
    use super::{head, tail};
    let mut stack = vec![t];
    while let Some(t) = stack.pop() {
        if is_binary(t) {
            out.extend(bits(t).to_vec());
        } else if t.is_nil() {
        } else if t.is_list() {
            let (h, tl) = (head(t), tail(t));
            if !(tl.is_list() || tl.is_nil() || is_binary(tl)) {
                return false;
            }
            stack.push(tl);
            match h.as_small() {
                Some(b @ 0..=255) => out.push(b as u8),
                Some(_) => return false,
                None if h.is_list() || h.is_nil() || is_binary(h) => stack.push(h),
                None => return false,
            }
        } else {
            return false;
        }
    }
    true
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
    fn append_extends_in_place_once_then_copies() {
        let mut h = Heap::new(64);
        let a = heap_binary(&mut h, &[1; 70]);
        assert_eq!(growable_capacity(a), None);
        // Appending to a binary without a growable buffer copies into one with room.
        let b = append(&mut h, a, &[2], 8);
        assert_eq!(growable_capacity(b), Some(256));
        // `b` ends where the buffer's bits end: extended in place.
        let c = append(&mut h, b, &[3, 4], 16);
        assert_eq!(payload(c, 1), payload(b, 1));
        // `b` no longer ends there: a second append to it copies, and neither sees the other.
        let d = append(&mut h, b, &[5], 8);
        assert_ne!(payload(d, 1), payload(b, 1));
        assert_eq!(binary_bytes(b).map(|x| x.len()), Some(71));
        assert_eq!(&binary_bytes(c).unwrap()[69..], &[1, 2, 3, 4]);
        assert_eq!(&binary_bytes(d).unwrap()[69..], &[1, 2, 5]);
        // Unaligned: <<c/binary, 1:1>> then <<.., 0:1, 3:2>> share the buffer; a copy of the
        // buffer to another heap stops in-place writes to its partial byte.
        let e = append(&mut h, c, &[0x80], 1);
        let f = append(&mut h, e, &[0x30], 3); // tail bits from bit 1: 0b0_011
        assert_eq!(payload(f, 1), payload(c, 1));
        assert_eq!(bits(f).to_vec()[73], 0b1011_0000);
        assert_eq!(bits(e).to_vec()[73], 0b1000_0000, "e sees only its own bit");
        let mut other = Heap::new(64);
        crate::copy::copy_term(f, &mut other);
        let g = append(&mut h, f, &[0x08], 1); // bit 4 of the last byte
        assert_ne!(
            payload(g, 1),
            payload(f, 1),
            "shared: copied, not written in place"
        );
        assert_eq!(bits(g).to_vec()[73], 0b1011_1000);
        // Growth: a long run of appends reallocates about log2(n) times.
        let mut t = heap_binary(&mut h, &[]);
        let mut buffers = std::collections::HashSet::new();
        for i in 0..10_000u32 {
            t = append(&mut h, t, &[i as u8], 8);
            if let Some(cap) = growable_capacity(t) {
                buffers.insert((payload(t, 1), cap));
            }
        }
        assert_eq!(byte_size(t), 10_000);
        assert!(buffers.len() <= 8, "{} buffers", buffers.len());
        assert!(
            binary_bytes(t)
                .unwrap()
                .iter()
                .enumerate()
                .all(|(i, b)| *b == i as u8)
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

//! The bit syntax: building bitstrings (`bs_create_bin`) and reading fields out of them
//! (the `bs_get_*` family), for any sizes, alignments, endianness and signedness.

use girder_term::object::{self as obj, Bits};
use girder_term::{Term, heap::Alloc};
use num_bigint::{BigInt, Sign};
use num_traits::{Signed, ToPrimitive, Zero};

/// Segment flag: little-endian (`native` is little-endian on every target girder runs on).
pub const LITTLE: u32 = 0x02;
/// Segment flag: signed.
pub const SIGNED: u32 = 0x04;
/// Segment flag: native endianness.
pub const NATIVE: u32 = 0x10;

/// Whether the flags ask for little-endian byte order.
pub fn little(flags: u32) -> bool {
    flags & (LITTLE | NATIVE) != 0
}

/// Accumulates bits, most significant first.
#[derive(Default)]
pub struct BitWriter {
    bytes: Vec<u8>,
    bits: usize,
}

impl BitWriter {
    /// A writer whose output starts with `lead` (< 8) zero bits: the bits an append leaves in
    /// place in the last byte of the binary it extends.
    #[inline]
    pub fn with_lead(lead: usize) -> BitWriter {
        debug_assert!(lead < 8);
        BitWriter {
            bytes: if lead > 0 { vec![0] } else { Vec::new() },
            bits: lead,
        }
    }

    /// [`BitWriter::with_lead`], with room for `bits` more bits reserved up front (the
    /// writer still grows past it), so building a binary of known size allocates once.
    #[inline]
    pub fn with_lead_capacity(lead: usize, bits: usize) -> BitWriter {
        let mut w = BitWriter::with_lead(lead);
        w.bytes.reserve((lead + bits).div_ceil(8));
        w
    }

    /// [`BitWriter::with_lead_capacity`] writing into `buf` (emptied first): a buffer kept
    /// from an earlier writer ([`BitWriter::into_buffer`]) saves an allocation.
    #[inline]
    pub fn reusing(mut buf: Vec<u8>, lead: usize, bits: usize) -> BitWriter {
        debug_assert!(lead < 8);
        buf.clear();
        if lead > 0 {
            buf.push(0);
        }
        buf.reserve((lead + bits).div_ceil(8));
        BitWriter {
            bytes: buf,
            bits: lead,
        }
    }

    /// The writer's buffer, to reuse.
    pub fn into_buffer(self) -> Vec<u8> {
        self.bytes
    }

    /// The bytes and the number of bits written (lead bits included).
    pub fn parts(&self) -> (&[u8], usize) {
        (&self.bytes, self.bits)
    }

    /// Append the bits `src` views.
    pub fn push_bits(&mut self, src: Bits<'_>) {
        if self.bits.is_multiple_of(8)
            && let Some(whole) = src.as_bytes()
        {
            self.bytes.extend_from_slice(whole);
            self.bits += whole.len() * 8;
            return;
        }
        for i in 0..src.size {
            let pos = src.offset + i;
            let bit = (src.bytes[pos / 8] >> (7 - pos % 8)) & 1;
            self.push_bit(bit);
        }
    }

    fn push_bit(&mut self, bit: u8) {
        if self.bits.is_multiple_of(8) {
            self.bytes.push(0);
        }
        if bit != 0 {
            let last = self.bytes.len() - 1;
            self.bytes[last] |= 0x80 >> (self.bits % 8);
        }
        self.bits += 1;
    }

    /// Append whole bytes.
    pub fn push_bytes(&mut self, bytes: &[u8]) {
        let n = bytes.len() * 8;
        self.push_bits(Bits {
            bytes,
            offset: 0,
            size: n,
        });
    }

    /// Append the low `n` (<= 64) bits of `v`, most significant first.
    pub fn push_u64(&mut self, v: u64, n: usize) {
        debug_assert!(n <= 64);
        if n == 0 {
            return;
        }
        let v = if n == 64 { v } else { v & ((1u64 << n) - 1) };
        if self.bits.is_multiple_of(8) && n.is_multiple_of(8) {
            // Whole bytes at a byte boundary: the common case, copied at once.
            // Byte by byte: a slice copy of a few bytes would cost a `memmove` call.
            for &b in &v.to_be_bytes()[8 - n / 8..] {
                self.bytes.push(b);
            }
            self.bits += n;
            return;
        }
        // Left-align the field in a 64-bit window, then emit it byte by byte, filling the
        // partial last byte of the output first.
        let mut left = n;
        let mut window = v << (64 - n);
        let k = self.bits % 8;
        if k != 0 {
            let take = (8 - k).min(left);
            let top = (window >> 56) as u8 >> k;
            let last = self.bytes.len() - 1;
            self.bytes[last] |= top & (0xffu8 << (8 - k - take));
            window = window.checked_shl(take as u32).unwrap_or(0);
            left -= take;
            self.bits += take;
        }
        while left > 0 {
            let take = left.min(8);
            self.bytes
                .push((window >> 56) as u8 & (0xffu8 << (8 - take)));
            window = window.checked_shl(take as u32).unwrap_or(0);
            left -= take;
            self.bits += take;
        }
    }

    /// Append the integer `v` (a small) as `n` bits.
    pub fn push_small(&mut self, v: i64, n: usize, little: bool) {
        if n <= 64 && (!little || n.is_multiple_of(8)) {
            let u = v as u64;
            if little {
                let bytes = u.to_le_bytes();
                for b in &bytes[..n / 8] {
                    self.push_u64(u64::from(*b), 8);
                }
            } else {
                self.push_u64(u, n);
            }
        } else {
            self.push_integer(&BigInt::from(v), n, little);
        }
    }

    /// Append the integer `v` as `n` bits.
    pub fn push_integer(&mut self, v: &BigInt, n: usize, little: bool) {
        if n == 0 {
            return;
        }
        let nbytes = n.div_ceil(8);
        // Two's complement, big-endian, exactly `nbytes` long (wrapping like OTP).
        let mut be = v.to_signed_bytes_be();
        let fill = if v.is_negative() { 0xff } else { 0 };
        if be.len() > nbytes {
            be.drain(..be.len() - nbytes);
        } else {
            let mut padded = vec![fill; nbytes - be.len()];
            padded.extend_from_slice(&be);
            be = padded;
        }
        let extra = nbytes * 8 - n;
        if little {
            // Bytes least significant first; a partial last byte holds the top bits.
            let mut le = be.clone();
            le.reverse();
            let top = n % 8;
            for (i, b) in le.iter().enumerate() {
                if i + 1 == le.len() && top != 0 {
                    let v = *b & ((1u8 << top) - 1);
                    self.push_bits(Bits {
                        bytes: &[v << (8 - top)],
                        offset: 0,
                        size: top,
                    });
                } else {
                    self.push_bytes(&[*b]);
                }
            }
        } else {
            // Drop the `extra` high bits of the big-endian form.
            self.push_bits(Bits {
                bytes: &be,
                offset: extra,
                size: n,
            });
        }
    }

    /// The bits written so far as a bitstring term.
    pub fn finish(self, h: &mut impl Alloc) -> Term {
        obj::bitstring_from_bytes(h, &self.bytes, self.bits)
    }

    /// Bits written so far.
    pub fn len(&self) -> usize {
        self.bits
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.bits == 0
    }
}

/// `n` bits of `b` starting at bit `pos`, as a field view.
pub fn field<'a>(b: &Bits<'a>, pos: usize, n: usize) -> Bits<'a> {
    Bits {
        bytes: b.bytes,
        offset: b.offset + pos,
        size: n,
    }
}

/// Read an `n`-bit integer field.
pub fn read_integer(f: &Bits<'_>, little: bool, signed: bool) -> BigInt {
    let n = f.size;
    if n == 0 {
        return BigInt::zero();
    }
    let nbytes = n.div_ceil(8);
    let bytes: Vec<u8> = (0..nbytes).map(|i| f.byte(i)).collect();
    let top = n % 8;
    let magnitude = if little {
        // Byte i is worth 256^i; a partial last byte keeps its high `top` bits.
        let mut le = bytes;
        if top != 0 {
            let last = le.len() - 1;
            le[last] >>= 8 - top;
        }
        BigInt::from_bytes_le(Sign::Plus, &le)
    } else {
        BigInt::from_bytes_be(Sign::Plus, &bytes) >> (nbytes * 8 - n)
    };
    if signed && magnitude.bit(n as u64 - 1) {
        magnitude - (BigInt::from(1) << n)
    } else {
        magnitude
    }
}

/// The bits of a field of at most 64 bits as an unsigned number, as [`read_integer`] reads
/// it; `None` for longer fields and little-endian fields of a partial byte (which take the
/// general path).
pub fn read_u64(f: &Bits<'_>, little: bool) -> Option<u64> {
    let n = f.size;
    if n > 64 || (little && !n.is_multiple_of(8)) {
        return None;
    }
    let nbytes = n.div_ceil(8);
    if little {
        Some(
            (0..nbytes)
                .map(|i| u64::from(f.byte(i)) << (8 * i))
                .fold(0, |a, b| a | b),
        )
    } else {
        let acc = (0..nbytes).fold(0u128, |a, i| (a << 8) | u128::from(f.byte(i)));
        Some((acc >> (nbytes * 8 - n)) as u64)
    }
}

/// [`read_integer`] for fields whose value fits an `i64`: `None` otherwise (or when
/// [`read_u64`] declines).
pub fn read_i64(f: &Bits<'_>, little: bool, signed: bool) -> Option<i64> {
    let n = f.size;
    let raw = read_u64(f, little)?;
    if n == 0 {
        Some(0)
    } else if signed && n < 64 && (raw >> (n - 1)) & 1 == 1 {
        Some((raw | (u64::MAX << n)) as i64)
    } else if signed || raw <= i64::MAX as u64 {
        Some(raw as i64)
    } else {
        None
    }
}

/// An integer field as a term, on the fast path when it fits an `i64`.
pub fn read_integer_term(h: &mut impl Alloc, f: &Bits<'_>, little: bool, signed: bool) -> Term {
    match read_i64(f, little, signed) {
        Some(v) => obj::integer_from_i64(h, v),
        None => obj::integer_from_big(h, &read_integer(f, little, signed)),
    }
}

/// Read a float field of 16, 32 or 64 bits; `None` for other sizes or a NaN/infinity.
pub fn read_float(f: &Bits<'_>, little: bool) -> Option<f64> {
    let v = match read_u64(f, little) {
        Some(v) => v,
        None => read_integer(f, little, false).to_u64()?,
    };
    let x = match f.size {
        64 => f64::from_bits(v),
        32 => f64::from(f32::from_bits(v as u32)),
        16 => f16_to_f64(v as u16),
        _ => return None,
    };
    x.is_finite().then_some(x)
}

/// Encode `x` as a float field of `n` bits; `None` if `n` is not 16, 32 or 64. A value too
/// large for a 32- or 16-bit float becomes an infinity, as in OTP 25.
pub fn float_bits(x: f64, n: usize) -> Option<u64> {
    Some(match n {
        64 => x.to_bits(),
        32 => u64::from((x as f32).to_bits()),
        16 => u64::from(f64_to_f16(x)),
        _ => return None,
    })
}

fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let frac = f64::from(h & 0x3ff);
    match exp {
        0 => sign * frac * 2f64.powi(-24),
        31 => f64::NAN,
        e => sign * (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    }
}

fn f64_to_f16(x: f64) -> u16 {
    let sign: u16 = if x.is_sign_negative() { 0x8000 } else { 0 };
    let a = x.abs();
    if a == 0.0 {
        return sign;
    }
    if a >= 65520.0 {
        return sign | 0x7c00;
    }
    if a < 2f64.powi(-14) {
        // Subnormal: units of 2^-24, rounded to nearest even.
        let m = (a / 2f64.powi(-24)).round_ties_even() as u16;
        return sign | m;
    }
    let e = a.log2().floor() as i32;
    let mut e = e.clamp(-14, 15);
    let mut m = (a / 2f64.powi(e) - 1.0) * 1024.0;
    m = m.round_ties_even();
    if m >= 1024.0 {
        m = 0.0;
        e += 1;
    }
    if e > 15 {
        return sign | 0x7c00;
    }
    sign | (((e + 15) as u16) << 10) | m as u16
}

/// Decode one UTF-8 character at the start of `f`: (code point, bits used).
pub fn read_utf8(f: &Bits<'_>) -> Option<(u32, usize)> {
    let avail = f.size / 8;
    let b0 = if avail >= 1 { f.byte(0) } else { return None };
    let (len, init) = match b0 {
        0x00..=0x7f => return Some((u32::from(b0), 8)),
        0xc2..=0xdf => (2, u32::from(b0 & 0x1f)),
        0xe0..=0xef => (3, u32::from(b0 & 0x0f)),
        0xf0..=0xf4 => (4, u32::from(b0 & 0x07)),
        _ => return None,
    };
    if avail < len {
        return None;
    }
    let mut cp = init;
    for i in 1..len {
        let b = f.byte(i);
        if b & 0xc0 != 0x80 {
            return None;
        }
        cp = (cp << 6) | u32::from(b & 0x3f);
    }
    let min = [0, 0, 0x80, 0x800, 0x10000][len];
    (cp >= min && cp <= 0x10ffff && !(0xd800..=0xdfff).contains(&cp)).then_some((cp, len * 8))
}

/// Decode one UTF-16 character: (code point, bits used).
pub fn read_utf16(f: &Bits<'_>, little: bool) -> Option<(u32, usize)> {
    if f.size < 16 {
        return None;
    }
    let unit = |i: usize| read_integer(&field(f, i * 16, 16), little, false).to_u32();
    let w1 = unit(0)?;
    if !(0xd800..=0xdfff).contains(&w1) {
        return Some((w1, 16));
    }
    if w1 >= 0xdc00 || f.size < 32 {
        return None;
    }
    let w2 = unit(1)?;
    if !(0xdc00..=0xdfff).contains(&w2) {
        return None;
    }
    Some((0x10000 + ((w1 - 0xd800) << 10) + (w2 - 0xdc00), 32))
}

/// Decode one UTF-32 character: (code point, bits used).
pub fn read_utf32(f: &Bits<'_>, little: bool) -> Option<(u32, usize)> {
    if f.size < 32 {
        return None;
    }
    let cp = read_integer(&field(f, 0, 32), little, false).to_u32()?;
    (cp <= 0x10ffff && !(0xd800..=0xdfff).contains(&cp)).then_some((cp, 32))
}

/// Encode a Unicode scalar value as UTF-8, UTF-16 or UTF-32 bits (any other code point is
/// written as U+FFFD; callers check validity first).
pub fn push_utf(w: &mut BitWriter, cp: u32, kind: u8, little: bool) {
    let c = char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER);
    match kind {
        8 => {
            let mut buf = [0u8; 4];
            w.push_bytes(c.encode_utf8(&mut buf).as_bytes());
        }
        16 => {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                w.push_small(i64::from(*unit), 16, little);
            }
        }
        _ => w.push_small(i64::from(u32::from(c)), 32, little),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(bytes: &[u8], size: usize) -> Bits<'_> {
        Bits {
            bytes,
            offset: 0,
            size,
        }
    }

    #[test]
    fn little_endian_partial_bytes_match_otp() {
        // <<X:12/little>> = <<16#AB, 16#C:4>> gives 16#CAB in OTP.
        let f = bits(&[0xab, 0xc0], 12);
        assert_eq!(read_integer(&f, true, false), BigInt::from(0xcab));
        assert_eq!(read_integer(&f, true, true), BigInt::from(-853));
        let mut w = BitWriter::default();
        w.push_integer(&BigInt::from(0xcab), 12, true);
        assert_eq!((w.bytes.as_slice(), w.bits), (&[0xab, 0xc0][..], 12));
    }

    #[test]
    fn small_fast_path_matches_bignum_path() {
        for (v, n, little) in [
            (5i64, 3usize, false),
            (-1, 13, false),
            (0x1234, 16, true),
            (-2, 64, false),
            (-2, 64, true),
            (300, 7, false),
            (0xabc, 12, true),
            (1, 1, false),
        ] {
            for lead in 0..8 {
                let mut a = BitWriter::with_lead(lead);
                a.push_small(v, n, little);
                a.push_small(1, 1, false);
                let mut b = BitWriter::with_lead(lead);
                b.push_integer(&BigInt::from(v), n, little);
                b.push_integer(&BigInt::from(1), 1, false);
                assert_eq!(
                    (a.bytes, a.bits),
                    (b.bytes, b.bits),
                    "{v} {n} {little} {lead}"
                );
            }
        }
    }

    #[test]
    fn fast_integer_reads_match_the_general_path() {
        let bytes: Vec<u8> = (0..20u32).map(|i| (i * 73 + 41) as u8).collect();
        let all = bits(&bytes, bytes.len() * 8);
        for off in [0, 1, 3, 8, 13] {
            for n in [0, 1, 5, 8, 12, 16, 31, 32, 33, 48, 63, 64] {
                for little in [false, true] {
                    for signed in [false, true] {
                        let f = field(&all, off, n);
                        if let Some(v) = read_i64(&f, little, signed) {
                            assert_eq!(
                                BigInt::from(v),
                                read_integer(&f, little, signed),
                                "{off} {n} {little} {signed}"
                            );
                        }
                    }
                }
            }
        }
        // Unsigned 64-bit values above i64::MAX take the general path.
        assert_eq!(read_i64(&bits(&[0xff; 8], 64), false, false), None);
        assert_eq!(read_i64(&bits(&[0xff; 8], 64), false, true), Some(-1));
    }

    #[test]
    fn unaligned_fields() {
        // <<1:1, 2:7/little>> is <<130>>.
        let mut w = BitWriter::default();
        w.push_integer(&BigInt::from(1), 1, false);
        w.push_integer(&BigInt::from(2), 7, true);
        assert_eq!(w.bytes, [130]);
        let f = field(&bits(&[0b1010_1100], 8), 2, 4);
        assert_eq!(read_integer(&f, false, false), BigInt::from(0b1011));
    }

    #[test]
    fn half_floats() {
        for x in [1.0, 1.5, -2.0, 0.0, 65504.0, 2f64.powi(-24)] {
            let h = float_bits(x, 16).unwrap() as u16;
            assert_eq!(f16_to_f64(h), x, "{x}");
        }
        // Too large: infinity, as <<1.0e10:16/float>> is <<124,0>> in OTP 25.
        assert_eq!(float_bits(1.0e10, 16), Some(0x7c00));
        assert_eq!(float_bits(-1.0e300, 32), Some(0xff80_0000));
        assert_eq!(float_bits(1.0, 24), None);
    }

    #[test]
    fn utf8_round_trip() {
        let mut w = BitWriter::default();
        push_utf(&mut w, 0xe9, 8, false);
        assert_eq!(w.bytes, "é".as_bytes());
        assert_eq!(read_utf8(&bits(&w.bytes, 16)), Some((0xe9, 16)));
        assert_eq!(read_utf8(&bits(&[0xc0, 0x80], 16)), None, "overlong");
    }
}

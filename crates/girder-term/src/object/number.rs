//! Floats and integers.
//!
//! - Float: header (`FLOAT`, arity 1), then the `f64`'s bits. Always finite (Erlang has no
//!   infinities or NaNs).
//! - Bignum: header (`POS_BIG` or `NEG_BIG` for the sign, arity = limb count), then the
//!   magnitude as `u64` limbs, least significant first, the last limb non-zero. An integer is a
//!   bignum only when it does not fit a small (60 bits), so each integer has exactly one
//!   representation and integers can be compared for `=:=` word by word.

use num_bigint::{BigInt, BigUint, Sign};

use super::alloc_object;
use crate::header::{boxed_subtag, header_of, payload, payload_ptr, subtag};
use crate::heap::Alloc;
use crate::word::Term;

/// A float.
pub fn float(h: &mut impl Alloc, x: f64) -> Term {
    debug_assert!(x.is_finite(), "Erlang floats are finite");
    let (t, p) = alloc_object(h, 1, subtag::FLOAT);
    // SAFETY: the object has one payload word.
    unsafe { p.write(x.to_bits()) };
    t
}

/// Whether `t` is a float.
#[inline]
pub fn is_float(t: Term) -> bool {
    boxed_subtag(t) == Some(subtag::FLOAT)
}

/// The value of the float `t`.
#[inline]
pub fn float_value(t: Term) -> f64 {
    debug_assert!(is_float(t));
    f64::from_bits(payload(t, 0))
}

/// Whether `t` is a bignum (an integer outside the small range).
#[inline]
pub fn is_big(t: Term) -> bool {
    matches!(boxed_subtag(t), Some(subtag::POS_BIG | subtag::NEG_BIG))
}

/// Whether `t` is an integer (small or big).
#[inline]
pub fn is_integer(t: Term) -> bool {
    t.is_small() || is_big(t)
}

/// Whether `t` is a number.
#[inline]
pub fn is_number(t: Term) -> bool {
    t.is_small()
        || matches!(
            boxed_subtag(t),
            Some(subtag::POS_BIG | subtag::NEG_BIG | subtag::FLOAT)
        )
}

/// Whether the bignum `t` is negative.
#[inline]
pub fn big_is_negative(t: Term) -> bool {
    debug_assert!(is_big(t));
    header_of(t).header_subtag() == subtag::NEG_BIG
}

/// The magnitude limbs of the bignum `t`, least significant first. Valid until the next GC of
/// the heap holding `t` (see [`tuple_elements`](super::tuple_elements)).
#[inline]
pub fn big_limbs<'a>(t: Term) -> &'a [u64] {
    debug_assert!(is_big(t));
    let n = header_of(t).header_arity();
    // SAFETY: a live bignum has `n` initialised limbs after its header.
    unsafe { std::slice::from_raw_parts(payload_ptr(t), n) }
}

/// The integer `-magnitude` or `magnitude`, from little-endian `u64` limbs (high zero limbs
/// allowed): a small when it fits, else a bignum.
pub fn integer_from_limbs(h: &mut impl Alloc, negative: bool, limbs: &[u64]) -> Term {
    let len = limbs.iter().rposition(|&l| l != 0).map_or(0, |i| i + 1);
    let limbs = &limbs[..len];
    match limbs {
        [] => return Term::small(0),
        [l] if *l <= crate::word::MAX_SMALL as u64 => {
            let v = *l as i64;
            return Term::small(if negative { -v } else { v });
        }
        [l] if negative && *l == crate::word::MAX_SMALL as u64 + 1 => {
            return Term::small(crate::word::MIN_SMALL);
        }
        _ => {}
    }
    let st = if negative {
        subtag::NEG_BIG
    } else {
        subtag::POS_BIG
    };
    let (t, p) = alloc_object(h, len, st);
    // SAFETY: the object has `len` payload words; the source is a different allocation.
    unsafe { std::ptr::copy_nonoverlapping(limbs.as_ptr(), p, len) };
    t
}

/// An integer term for `n`.
pub fn integer_from_i64(h: &mut impl Alloc, n: i64) -> Term {
    match Term::try_small(n) {
        Some(t) => t,
        None => integer_from_limbs(h, n < 0, &[n.unsigned_abs()]),
    }
}

/// An integer term for `n`.
pub fn integer_from_u64(h: &mut impl Alloc, n: u64) -> Term {
    integer_from_limbs(h, false, &[n])
}

/// An integer term for `n`.
pub fn integer_from_i128(h: &mut impl Alloc, n: i128) -> Term {
    if let Ok(small) = i64::try_from(n) {
        return integer_from_i64(h, small);
    }
    let m = n.unsigned_abs();
    integer_from_limbs(h, n < 0, &[m as u64, (m >> 64) as u64])
}

/// An integer term for `n`.
pub fn integer_from_big(h: &mut impl Alloc, n: &BigInt) -> Term {
    if let Ok(small) = i64::try_from(n) {
        return integer_from_i64(h, small);
    }
    let limbs = n.magnitude().to_u64_digits();
    integer_from_limbs(h, n.sign() == Sign::Minus, &limbs)
}

/// The value of the integer `t` (small or big).
pub fn big_value(t: Term) -> BigInt {
    if let Some(n) = t.as_small() {
        return BigInt::from(n);
    }
    let limbs = big_limbs(t);
    let digits: Vec<u32> = limbs
        .iter()
        .flat_map(|&l| [l as u32, (l >> 32) as u32])
        .collect();
    let sign = if big_is_negative(t) {
        Sign::Minus
    } else {
        Sign::Plus
    };
    BigInt::from_biguint(sign, BigUint::new(digits))
}

/// The value of the integer `t` if it fits an `i64`.
pub fn integer_to_i64(t: Term) -> Option<i64> {
    if let Some(n) = t.as_small() {
        return Some(n);
    }
    if !is_big(t) {
        return None;
    }
    match big_limbs(t) {
        [l] if big_is_negative(t) => 0i64.checked_sub_unsigned(*l),
        [l] => i64::try_from(*l).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::Heap;
    use crate::word::{MAX_SMALL, MIN_SMALL};

    #[test]
    fn floats() {
        let mut h = Heap::new(64);
        for x in [0.0, -0.0, 1.5, -1e300, f64::MIN_POSITIVE] {
            let t = float(&mut h, x);
            assert!(is_float(t) && is_number(t) && !is_integer(t));
            assert_eq!(float_value(t).to_bits(), x.to_bits());
        }
    }

    #[test]
    fn integers() {
        let mut h = Heap::new(64);
        let cases: Vec<BigInt> = [
            "0",
            "1",
            "-1",
            "576460752303423487",
            "576460752303423488",
            "-576460752303423488",
            "-576460752303423489",
            "9223372036854775807",
            "-9223372036854775808",
            "18446744073709551616",
            "-340282366920938463463374607431768211456",
            "123456789012345678901234567890123456789012345678901234567890",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        for n in &cases {
            let t = integer_from_big(&mut h, n);
            assert!(is_integer(t) && is_number(t));
            assert_eq!(&big_value(t), n);
            let fits = *n >= BigInt::from(MIN_SMALL) && *n <= BigInt::from(MAX_SMALL);
            assert_eq!(t.is_small(), fits, "{n}");
            assert_eq!(integer_to_i64(t), i64::try_from(n).ok());
            if let Ok(v) = i128::try_from(n) {
                assert_eq!(big_value(integer_from_i128(&mut h, v)), *n);
            }
        }
        assert_eq!(
            big_value(integer_from_i64(&mut h, i64::MIN)),
            BigInt::from(i64::MIN)
        );
        assert_eq!(
            big_value(integer_from_u64(&mut h, u64::MAX)),
            BigInt::from(u64::MAX)
        );
        assert_eq!(
            integer_from_limbs(&mut h, true, &[1 << 59, 0]),
            Term::small(MIN_SMALL)
        );
        assert_eq!(integer_from_limbs(&mut h, true, &[]), Term::small(0));
    }
}

//! Arithmetic: `+ - * / div rem`, the bitwise operators, and numeric conversions, with OTP's
//! results (small integers overflow into bignums) and `badarith` where OTP raises it.

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::Term;
use girder_term::object as obj;
use num_bigint::BigInt;
use num_traits::{Signed, Zero};

use crate::Entry;
use crate::util::{Num, float_result, num};

pub const BIFS: &[Entry] = &[
    ("erlang", "+", 2, add),
    ("erlang", "-", 2, sub),
    ("erlang", "*", 2, mul),
    ("erlang", "/", 2, fdiv),
    ("erlang", "div", 2, idiv),
    ("erlang", "rem", 2, irem),
    ("erlang", "band", 2, band),
    ("erlang", "bor", 2, bor),
    ("erlang", "bxor", 2, bxor),
    ("erlang", "bsl", 2, bsl),
    ("erlang", "bsr", 2, bsr),
    ("erlang", "bnot", 1, bnot),
    ("erlang", "-", 1, neg),
    ("erlang", "+", 1, plus),
    ("erlang", "abs", 1, abs),
    ("erlang", "float", 1, float),
    ("erlang", "trunc", 1, trunc),
    ("erlang", "round", 1, round),
    ("erlang", "floor", 1, floor),
    ("erlang", "ceil", 1, ceil),
];

/// Largest shift accepted by `bsl`: beyond it the result cannot be allocated.
const MAX_SHIFT_BITS: i64 = 1 << 26;

fn int(p: &mut Process, n: BigInt) -> Term {
    obj::integer_from_big(&mut p.heap, &n)
}

/// Apply an integer or float operation to two numbers.
fn arith(
    p: &mut Process,
    a: Term,
    b: Term,
    small: fn(i64, i64) -> Option<i128>,
    big: fn(&BigInt, &BigInt) -> BigInt,
    float: fn(f64, f64) -> f64,
) -> BifResult {
    let (Some(x), Some(y)) = (num(a), num(b)) else {
        return Err(BifError::BADARITH);
    };
    match (&x, &y) {
        (Num::Small(i), Num::Small(j)) => match small(*i, *j) {
            Some(r) => Ok(obj::integer_from_i128(&mut p.heap, r)),
            None => Ok(int(p, big(&BigInt::from(*i), &BigInt::from(*j)))),
        },
        (Num::Float(_), _) | (_, Num::Float(_)) => float_result(p, float(x.to_f64(), y.to_f64())),
        _ => Ok(int(p, big(&x.to_big().unwrap(), &y.to_big().unwrap()))),
    }
}

fn add(p: &mut Process, a: &[Term]) -> BifResult {
    arith(
        p,
        a[0],
        a[1],
        |x, y| Some(x as i128 + y as i128),
        |x, y| x + y,
        |x, y| x + y,
    )
}

fn sub(p: &mut Process, a: &[Term]) -> BifResult {
    arith(
        p,
        a[0],
        a[1],
        |x, y| Some(x as i128 - y as i128),
        |x, y| x - y,
        |x, y| x - y,
    )
}

fn mul(p: &mut Process, a: &[Term]) -> BifResult {
    arith(
        p,
        a[0],
        a[1],
        |x, y| Some(x as i128 * y as i128),
        |x, y| x * y,
        |x, y| x * y,
    )
}

fn fdiv(p: &mut Process, a: &[Term]) -> BifResult {
    let (Some(x), Some(y)) = (num(a[0]), num(a[1])) else {
        return Err(BifError::BADARITH);
    };
    let d = y.to_f64();
    if d == 0.0 {
        return Err(BifError::BADARITH);
    }
    float_result(p, x.to_f64() / d)
}

/// Both arguments as integers, or `badarith`.
fn ints(a: Term, b: Term) -> Result<(Num, Num), BifError> {
    match (num(a), num(b)) {
        (Some(x @ (Num::Small(_) | Num::Big(_))), Some(y @ (Num::Small(_) | Num::Big(_)))) => {
            Ok((x, y))
        }
        _ => Err(BifError::BADARITH),
    }
}

fn idiv(p: &mut Process, a: &[Term]) -> BifResult {
    match ints(a[0], a[1])? {
        (_, Num::Small(0)) => Err(BifError::BADARITH),
        (Num::Small(x), Num::Small(y)) => {
            Ok(obj::integer_from_i128(&mut p.heap, x as i128 / y as i128))
        }
        (x, y) => Ok(int(p, x.to_big().unwrap() / y.to_big().unwrap())),
    }
}

fn irem(p: &mut Process, a: &[Term]) -> BifResult {
    match ints(a[0], a[1])? {
        (_, Num::Small(0)) => Err(BifError::BADARITH),
        (Num::Small(x), Num::Small(y)) => {
            Ok(obj::integer_from_i128(&mut p.heap, x as i128 % y as i128))
        }
        (x, y) => Ok(int(p, x.to_big().unwrap() % y.to_big().unwrap())),
    }
}

fn bitwise(
    p: &mut Process,
    a: &[Term],
    small: fn(i64, i64) -> i64,
    big: fn(BigInt, BigInt) -> BigInt,
) -> BifResult {
    match ints(a[0], a[1])? {
        (Num::Small(x), Num::Small(y)) => Ok(obj::integer_from_i64(&mut p.heap, small(x, y))),
        (x, y) => Ok(int(p, big(x.to_big().unwrap(), y.to_big().unwrap()))),
    }
}

fn band(p: &mut Process, a: &[Term]) -> BifResult {
    bitwise(p, a, |x, y| x & y, |x, y| x & y)
}

fn bor(p: &mut Process, a: &[Term]) -> BifResult {
    bitwise(p, a, |x, y| x | y, |x, y| x | y)
}

fn bxor(p: &mut Process, a: &[Term]) -> BifResult {
    bitwise(p, a, |x, y| x ^ y, |x, y| x ^ y)
}

/// `x bsl n` for any sign of `n` (a negative shift shifts right, rounding down).
fn shift(p: &mut Process, x: Term, n: Term, left: bool) -> BifResult {
    let (x, n) = ints(x, n)?;
    let x = x.to_big().unwrap();
    let n = match n {
        Num::Small(n) => n,
        Num::Big(b) => {
            // A huge shift: left overflows, right leaves the sign.
            return if b.is_negative() == left {
                Ok(Term::small(if x.is_negative() { -1 } else { 0 }))
            } else if x.is_zero() {
                Ok(Term::small(0))
            } else {
                Err(BifError::SYSTEM_LIMIT)
            };
        }
        Num::Float(_) => unreachable!("ints() returns integers"),
    };
    let n = if left { n } else { -n };
    if n >= 0 {
        if n > MAX_SHIFT_BITS && !x.is_zero() {
            return Err(BifError::SYSTEM_LIMIT);
        }
        Ok(int(p, x << n as usize))
    } else {
        let r = n.unsigned_abs().min(u64::from(u32::MAX)) as usize;
        // Arithmetic shift: floor division by 2^r.
        let q: BigInt = if x.is_negative() {
            -((-x - BigInt::from(1)) >> r) - 1
        } else {
            x >> r
        };
        Ok(int(p, q))
    }
}

fn bsl(p: &mut Process, a: &[Term]) -> BifResult {
    shift(p, a[0], a[1], true)
}

fn bsr(p: &mut Process, a: &[Term]) -> BifResult {
    shift(p, a[0], a[1], false)
}

fn bnot(p: &mut Process, a: &[Term]) -> BifResult {
    match num(a[0]) {
        Some(Num::Small(x)) => Ok(obj::integer_from_i64(&mut p.heap, !x)),
        Some(Num::Big(b)) => Ok(int(p, -b - 1)),
        _ => Err(BifError::BADARITH),
    }
}

fn neg(p: &mut Process, a: &[Term]) -> BifResult {
    match num(a[0]) {
        Some(Num::Small(x)) => Ok(obj::integer_from_i128(&mut p.heap, -(x as i128))),
        Some(Num::Big(b)) => Ok(int(p, -b)),
        Some(Num::Float(f)) => float_result(p, -f),
        None => Err(BifError::BADARITH),
    }
}

fn plus(_p: &mut Process, a: &[Term]) -> BifResult {
    num(a[0]).map(|_| a[0]).ok_or(BifError::BADARITH)
}

fn abs(p: &mut Process, a: &[Term]) -> BifResult {
    match num(a[0]) {
        Some(Num::Small(x)) => Ok(obj::integer_from_i128(&mut p.heap, (x as i128).abs())),
        Some(Num::Big(b)) => Ok(int(p, b.abs())),
        // As OTP: only a float below zero is negated, so abs(-0.0) is -0.0.
        Some(Num::Float(f)) => float_result(p, if f < 0.0 { -f } else { f }),
        None => Err(BifError::BADARG),
    }
}

fn float(p: &mut Process, a: &[Term]) -> BifResult {
    match num(a[0]) {
        Some(n) => float_result(p, n.to_f64()),
        None => Err(BifError::BADARG),
    }
}

/// Apply a float-to-integer rounding; integers pass through.
fn to_int(p: &mut Process, t: Term, f: fn(f64) -> f64) -> BifResult {
    match num(t) {
        Some(Num::Float(x)) => {
            let r = f(x);
            if r.abs() < 9.2e18 {
                Ok(obj::integer_from_i64(&mut p.heap, r as i64))
            } else {
                Ok(int(p, float_to_big(r)))
            }
        }
        Some(_) => Ok(t),
        None => Err(BifError::BADARG),
    }
}

/// The exact integer value of an integral float.
fn float_to_big(f: f64) -> BigInt {
    let bits = f.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64 - 1075;
    let mant = if (bits >> 52) & 0x7ff == 0 {
        (bits & ((1 << 52) - 1)) << 1
    } else {
        (bits & ((1 << 52) - 1)) | (1 << 52)
    };
    let m = BigInt::from(mant);
    let v = if exp >= 0 {
        m << exp as usize
    } else {
        m >> (-exp) as usize
    };
    if f < 0.0 { -v } else { v }
}

fn trunc(p: &mut Process, a: &[Term]) -> BifResult {
    to_int(p, a[0], f64::trunc)
}

fn round(p: &mut Process, a: &[Term]) -> BifResult {
    to_int(p, a[0], f64::round)
}

fn floor(p: &mut Process, a: &[Term]) -> BifResult {
    to_int(p, a[0], f64::floor)
}

fn ceil(p: &mut Process, a: &[Term]) -> BifResult {
    to_int(p, a[0], f64::ceil)
}

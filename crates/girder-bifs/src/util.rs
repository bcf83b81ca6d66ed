//! Helpers shared by the BIF modules.

use girder_runtime::bif::{BifError, BifResult};
use girder_term::object as obj;
use girder_term::{Atom, Term};
use num_bigint::BigInt;

/// A number taken apart.
#[derive(Debug, Clone)]
pub enum Num {
    /// A small integer.
    Small(i64),
    /// A bignum.
    Big(BigInt),
    /// A float.
    Float(f64),
}

/// `t` as a number, if it is one.
pub fn num(t: Term) -> Option<Num> {
    if let Some(n) = t.as_small() {
        Some(Num::Small(n))
    } else if obj::is_float(t) {
        Some(Num::Float(obj::float_value(t)))
    } else if obj::is_integer(t) {
        Some(Num::Big(obj::big_value(t)))
    } else {
        None
    }
}

impl Num {
    /// The value as a float (bignums may round).
    pub fn to_f64(&self) -> f64 {
        use num_traits::ToPrimitive;
        match self {
            Num::Small(n) => *n as f64,
            Num::Big(b) => b.to_f64().unwrap_or(f64::INFINITY),
            Num::Float(f) => *f,
        }
    }

    /// The value as a big integer (None for floats).
    pub fn to_big(&self) -> Option<BigInt> {
        match self {
            Num::Small(n) => Some(BigInt::from(*n)),
            Num::Big(b) => Some(b.clone()),
            Num::Float(_) => None,
        }
    }
}

/// A float result, or `badarith` when it is not finite (OTP has no NaN or infinities).
pub fn float_result(p: &mut girder_runtime::Process, f: f64) -> BifResult {
    if f.is_finite() {
        Ok(obj::float(&mut p.heap, f))
    } else {
        Err(BifError::BADARITH)
    }
}

/// `true`/`false`.
pub fn boolean(b: bool) -> Term {
    Term::boolean(b)
}

/// The atom in `t`, or `badarg`.
pub fn atom_arg(t: Term) -> Result<Atom, BifError> {
    t.as_atom().ok_or(BifError::BADARG)
}

/// A small non-negative integer argument, or `badarg`.
pub fn usize_arg(t: Term) -> Result<usize, BifError> {
    t.as_small()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or(BifError::BADARG)
}

/// A proper list's elements, or `badarg`.
pub fn list_arg(t: Term) -> Result<Vec<Term>, BifError> {
    obj::list_to_vec(t).ok_or(BifError::BADARG)
}

/// The characters of a string (a proper list of Unicode code points), or `badarg`.
pub fn string_arg(t: Term) -> Result<String, BifError> {
    list_arg(t)?
        .into_iter()
        .map(|c| {
            c.as_small()
                .and_then(|n| u32::try_from(n).ok())
                .and_then(char::from_u32)
                .ok_or(BifError::BADARG)
        })
        .collect()
}

/// A string as a list of code points.
pub fn charlist(p: &mut girder_runtime::Process, s: &str) -> Term {
    obj::list::charlist(&mut p.heap, s)
}

/// A radix argument (2..=36), or `badarg`.
pub fn radix(t: Term) -> Result<u32, BifError> {
    match t.as_small() {
        Some(r @ 2..=36) => Ok(r as u32),
        _ => Err(BifError::BADARG),
    }
}

/// The integer written in `s`: an optional sign, then at least one digit of `base` (either
/// case), as `list_to_integer/2` and `binary_to_integer/2` accept it; else `badarg`.
pub fn parse_integer(p: &mut girder_runtime::Process, s: &str, base: u32) -> BifResult {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(base)) {
        return Err(BifError::BADARG);
    }
    let n =
        BigInt::parse_bytes(s.trim_start_matches('+').as_bytes(), base).ok_or(BifError::BADARG)?;
    Ok(obj::integer_from_big(&mut p.heap, &n))
}

/// The digits of integer `t` in `base`, above 9 in upper case as OTP writes them.
pub fn integer_text(t: Term, base: u32) -> Result<String, BifError> {
    if !obj::is_integer(t) {
        return Err(BifError::BADARG);
    }
    Ok(obj::big_value(t).to_str_radix(base).to_uppercase())
}

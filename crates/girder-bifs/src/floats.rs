//! Float text conversions: `float_to_list/1,2`, `float_to_binary/1,2`, `list_to_float/1` and
//! `binary_to_float/1`, producing and accepting exactly the text OTP 25 does.
//!
//! What OTP does, as measured against `erl`:
//! - The default format (and `[compact]` alone) is C's `%.20e`: `"1.50000000000000000000e+00"`.
//! - `{scientific, N}` is `%.*e` with `N` taken as a C `int` (the low 32 bits, so a negative
//!   or wrapped-negative `N` means C's default precision, 6).
//! - `{decimals, N}` (`N` again a C `int`; negative is `badarg`) is fixed notation. For
//!   `|F| =< 2^53` and `N < 19` OTP computes it in doubles, not exactly: the integer part is
//!   `floor(|F|)` and the fraction `round((|F| - floor(|F|)) * 10^N)` (halves away from zero),
//!   carrying into the integer part; so `0.125` gives `"0.13"` and `123.456` with 17
//!   decimals `"123.45600000000000304"`. Otherwise it is C's exact `%.*f`. The sign comes
//!   from the sign bit (`-0.0` prints `"-0.00"`).
//! - `compact` drops trailing zeros but keeps one after the point; for the exact `%.*f` form
//!   it does so even with 0 decimals, where there is no point (`1.0e20` gives `"1"`), as OTP
//!   does.
//! - `short` is the shortest text that reads back as the same float (what `~w` prints).
//! - Options apply in order, the last format option winning; `compact` counts wherever it
//!   is. Text of 256 characters or more (before `compact`) is `badarg`.
//! - Parsing accepts OTP's strict syntax: an optional sign, digits, `.` or `,`, digits, and
//!   an optional exponent (`e`/`E`, optional sign, digits); the text ends at the first NUL
//!   byte; results that overflow to infinity are `badarg`, underflow gives zero.

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::Term;
use girder_term::object as obj;

use crate::Entry;
use crate::util::charlist;

pub const BIFS: &[Entry] = &[
    ("erlang", "float_to_list", 1, float_to_list1),
    ("erlang", "float_to_list", 2, float_to_list2),
    ("erlang", "float_to_binary", 1, float_to_binary1),
    ("erlang", "float_to_binary", 2, float_to_binary2),
    ("erlang", "list_to_float", 1, list_to_float),
    ("erlang", "binary_to_float", 1, binary_to_float),
];

/// OTP formats into a 256-byte C buffer: longer text (with its NUL) is `badarg`.
const MAX_TEXT: usize = 255;

/// Digits after the point in the default format.
const DEFAULT_DECIMALS: i32 = 20;

/// How to format a float, from the options list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatFormat {
    /// `%.*e` with this precision (negative: C's default, 6).
    Scientific(i32),
    /// Fixed notation with this many decimals; `compact` drops trailing zeros.
    Decimals(i32, bool),
    /// The shortest round-trip form.
    Short,
}

/// Parses `float_to_list/2` options, or `None` for `badarg`.
pub fn parse_options(opts: Term) -> Option<FloatFormat> {
    let mut fmt = FloatFormat::Scientific(DEFAULT_DECIMALS);
    let mut compact = false;
    let mut it = obj::list_iter(opts);
    for opt in it.by_ref() {
        if let Some(a) = opt.as_atom() {
            match a.name() {
                "compact" => compact = true,
                "short" => fmt = FloatFormat::Short,
                _ => return None,
            }
        } else if obj::is_tuple(opt) {
            let [tag, n] = obj::tuple_elements(opt) else {
                return None;
            };
            // OTP stores the number in a C `int`: keep its low 32 bits.
            let n = n.as_small()? as i32;
            fmt = match tag.as_atom()?.name() {
                "decimals" => FloatFormat::Decimals(n, false),
                "scientific" => FloatFormat::Scientific(n),
                _ => return None,
            };
        } else {
            return None;
        }
    }
    if !it.tail().is_nil() {
        return None;
    }
    Some(match fmt {
        FloatFormat::Decimals(n, _) => FloatFormat::Decimals(n, compact),
        other => other,
    })
}

/// The text of `x` in format `fmt`, or `None` where OTP fails with `badarg`.
pub fn format(x: f64, fmt: FloatFormat) -> Option<String> {
    let text = match fmt {
        FloatFormat::Short => return Some(girder_format::term_fmt::format_float(x)),
        FloatFormat::Scientific(p) => scientific(x, if p < 0 { 6 } else { p as usize })?,
        FloatFormat::Decimals(d, compact) => {
            let d = usize::try_from(d).ok()?;
            fixed(x, d, compact)?
        }
    };
    Some(text)
}

/// C's `%.*e`: `d.ddde+XX`, at least two exponent digits.
fn scientific(x: f64, precision: usize) -> Option<String> {
    if precision > MAX_TEXT {
        return None;
    }
    // C's own `%.*e`, as erts formats it: Rust's exact formatting of 20 digits falls
    // back to bignum arithmetic for most values and took several times as long.
    let mut buf = [0u8; MAX_TEXT + 64];
    let prec = precision as libc::c_int;
    // SAFETY: the format takes one int and one double, as passed; snprintf writes at most
    // `buf.len()` bytes, NUL included, and returns the length it wanted.
    let n = unsafe {
        libc::snprintf(
            buf.as_mut_ptr().cast(),
            buf.len(),
            c"%.*e".as_ptr(),
            prec,
            x,
        )
    };
    let n = usize::try_from(n).ok()?;
    if n > MAX_TEXT || n >= buf.len() {
        return None;
    }
    String::from_utf8(buf[..n].to_vec()).ok()
}

/// Fixed notation as OTP's `sys_double_to_chars_fast` writes it.
fn fixed(x: f64, decimals: usize, compact: bool) -> Option<String> {
    const MAX_FAST: f64 = 9_007_199_254_740_992.0; // 2^53
    const FAST_DECIMALS: usize = 19;
    let ax = x.abs();
    if ax > MAX_FAST || decimals >= FAST_DECIMALS {
        if decimals > MAX_TEXT {
            return None;
        }
        let mut s = format!("{x:.decimals$}");
        if s.len() > MAX_TEXT {
            return None;
        }
        if compact {
            strip_trailing_zeros(&mut s);
        }
        return Some(s);
    }
    let mut s = String::new();
    if x.is_sign_negative() {
        s.push('-');
    }
    if decimals == 0 {
        s.push_str(&(ax.round() as u64).to_string());
        return Some(s);
    }
    let pow = 10f64.powi(decimals as i32);
    let int_f = ax.floor();
    let frac_f = ((ax - int_f) * pow).round();
    let (mut int_part, mut frac_part) = (int_f as u64, frac_f as u64);
    if frac_f >= pow {
        int_part += 1;
        frac_part = 0;
    }
    s.push_str(&format!("{int_part}.{frac_part:0decimals$}"));
    if compact {
        strip_trailing_zeros(&mut s);
    }
    Some(s)
}

/// Drops trailing zeros, keeping one right after a point (OTP's `find_first_trailing_zero`).
fn strip_trailing_zeros(s: &mut String) {
    let kept = s.trim_end_matches('0').len();
    let keep = if s[..kept].ends_with('.') {
        kept + 1
    } else {
        kept
    };
    s.truncate(keep);
}

/// Reads float text with OTP's syntax (`sys_chars_to_double`): the bytes up to the first NUL.
pub fn parse(bytes: &[u8]) -> Option<f64> {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let s = &bytes[..end];
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while s.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    if matches!(s.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    if !digits(&mut i) || !matches!(s.get(i), Some(b'.' | b',')) {
        return None;
    }
    let point = i;
    i += 1;
    if !digits(&mut i) {
        return None;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return None;
        }
    }
    if i != s.len() {
        return None;
    }
    let mut text = s.to_vec();
    text[point] = b'.';
    let x: f64 = std::str::from_utf8(&text).ok()?.parse().ok()?;
    x.is_finite().then_some(x)
}

fn float_arg(t: Term) -> Result<f64, BifError> {
    if obj::is_float(t) {
        Ok(obj::float_value(t))
    } else {
        Err(BifError::BADARG)
    }
}

fn text_of(a: &[Term], opts: Term) -> Result<String, BifError> {
    let x = float_arg(a[0])?;
    let fmt = parse_options(opts).ok_or(BifError::BADARG)?;
    format(x, fmt).ok_or(BifError::BADARG)
}

fn float_to_list1(p: &mut Process, a: &[Term]) -> BifResult {
    let s = text_of(a, Term::NIL)?;
    Ok(charlist(p, &s))
}

fn float_to_list2(p: &mut Process, a: &[Term]) -> BifResult {
    let s = text_of(a, a[1])?;
    Ok(charlist(p, &s))
}

fn float_to_binary1(p: &mut Process, a: &[Term]) -> BifResult {
    let s = text_of(a, Term::NIL)?;
    Ok(obj::binary_from_bytes(&mut p.heap, s.as_bytes()))
}

fn float_to_binary2(p: &mut Process, a: &[Term]) -> BifResult {
    let s = text_of(a, a[1])?;
    Ok(obj::binary_from_bytes(&mut p.heap, s.as_bytes()))
}

fn list_to_float(p: &mut Process, a: &[Term]) -> BifResult {
    let mut bytes = Vec::new();
    let mut it = obj::list_iter(a[0]);
    for c in it.by_ref() {
        let b = c
            .as_small()
            .and_then(|n| u8::try_from(n).ok())
            .ok_or(BifError::BADARG)?;
        bytes.push(b);
    }
    if !it.tail().is_nil() {
        return Err(BifError::BADARG);
    }
    let x = parse(&bytes).ok_or(BifError::BADARG)?;
    Ok(obj::float(&mut p.heap, x))
}

fn binary_to_float(p: &mut Process, a: &[Term]) -> BifResult {
    let bytes = obj::is_binary(a[0])
        .then(|| obj::bits(a[0]).to_vec())
        .ok_or(BifError::BADARG)?;
    let x = parse(&bytes).ok_or(BifError::BADARG)?;
    Ok(obj::float(&mut p.heap, x))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed_s(x: f64, d: usize, compact: bool) -> String {
        fixed(x, d, compact).unwrap()
    }

    #[test]
    fn fixed_matches_otp_samples() {
        // Values printed by OTP 25's float_to_list(X, [{decimals, D}]).
        assert_eq!(fixed_s(0.125, 2, false), "0.13");
        assert_eq!(fixed_s(1.005, 2, false), "1.00");
        assert_eq!(fixed_s(0.045, 2, false), "0.05");
        assert_eq!(fixed_s(123.456, 17, false), "123.45600000000000304");
        assert_eq!(fixed_s(123.456, 18, false), "123.456000000000003072");
        assert_eq!(fixed_s(123.456, 19, false), "123.4560000000000030695");
        assert_eq!(fixed_s(-0.0, 2, false), "-0.00");
        assert_eq!(fixed_s(-0.001, 0, false), "-0");
        assert_eq!(fixed_s(0.95, 1, false), "1.0");
        assert_eq!(fixed_s(1.0e20, 0, true), "1");
        assert_eq!(fixed_s(100.0, 20, true), "100.0");
        assert_eq!(fixed_s(100.0, 0, true), "100");
        assert_eq!(fixed(1.0e300, 2, false), None);
    }

    #[test]
    fn scientific_matches_c() {
        assert_eq!(scientific(1.0, 20).unwrap(), "1.00000000000000000000e+00");
        assert_eq!(scientific(2.5, 0).unwrap(), "2e+00");
        assert_eq!(scientific(1.0e-300, 2).unwrap(), "1.00e-300");
        assert_eq!(scientific(-0.0, 1).unwrap(), "-0.0e+00");
        assert!(scientific(-1.0, 249).is_none());
    }

    #[test]
    fn parsing() {
        for (s, v) in [
            ("1.5", Some(1.5)),
            ("1,5", Some(1.5)),
            ("+1.5e3", Some(1500.0)),
            ("1.0E-5", Some(1.0e-5)),
            ("1.5\0junk", Some(1.5)),
            ("1.0e-400", Some(0.0)),
            ("1.8e308", None),
            ("1", None),
            ("1e5", None),
            (".5", None),
            ("5.", None),
            ("1.0e", None),
            (" 1.0", None),
            ("1.0 ", None),
        ] {
            assert_eq!(parse(s.as_bytes()), v, "{s:?}");
        }
    }
}

//! The `math` module's functions, which ERTS implements natively.

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::Term;

use crate::Entry;
use crate::util::{float_result, num};

macro_rules! unary {
    ($($name:literal => $f:expr),* $(,)?) => {
        &[$(("math", $name, 1, |p: &mut Process, a: &[Term]| apply1(p, a[0], $f)),)*]
    };
}

pub const BIFS: &[Entry] = unary! {
    "sqrt" => f64::sqrt, "sin" => f64::sin, "cos" => f64::cos, "tan" => f64::tan,
    "asin" => f64::asin, "acos" => f64::acos, "atan" => f64::atan,
    "sinh" => f64::sinh, "cosh" => f64::cosh, "tanh" => f64::tanh,
    "asinh" => f64::asinh, "acosh" => f64::acosh, "atanh" => f64::atanh,
    "exp" => f64::exp, "log" => f64::ln, "log2" => f64::log2, "log10" => f64::log10,
    "floor" => f64::floor, "ceil" => f64::ceil,
    "erf" => erf, "erfc" => erfc,
};

/// Binary and constant `math` functions.
pub const BIFS2: &[Entry] = &[
    ("math", "pow", 2, |p, a| apply2(p, a[0], a[1], f64::powf)),
    ("math", "atan2", 2, |p, a| apply2(p, a[0], a[1], f64::atan2)),
    ("math", "fmod", 2, |p, a| {
        apply2(p, a[0], a[1], |x, y| x % y)
    }),
    ("math", "pi", 0, |p, _| {
        float_result(p, std::f64::consts::PI)
    }),
    ("math", "tau", 0, |p, _| {
        float_result(p, std::f64::consts::TAU)
    }),
];

/// A number argument as a float, or `badarg`.
fn arg(t: Term) -> Result<f64, BifError> {
    num(t).map(|n| n.to_f64()).ok_or(BifError::BADARG)
}

/// OTP's math functions fail with `badarith` when the result is not a finite number.
fn apply1(p: &mut Process, x: Term, f: fn(f64) -> f64) -> BifResult {
    float_result(p, f(arg(x)?))
}

fn apply2(p: &mut Process, x: Term, y: Term, f: fn(f64, f64) -> f64) -> BifResult {
    float_result(p, f(arg(x)?, arg(y)?))
}

// The platform's C math library, which OTP calls too: results match it bit for bit. (Rust's
// standard library offers no erf; the other functions above already go to the same libm.)
unsafe extern "C" {
    #[link_name = "erf"]
    fn c_erf(x: f64) -> f64;
    #[link_name = "erfc"]
    fn c_erfc(x: f64) -> f64;
}

fn erf(x: f64) -> f64 {
    // SAFETY: erf is a pure C function of a double, defined for every input.
    unsafe { c_erf(x) }
}

fn erfc(x: f64) -> f64 {
    // SAFETY: erfc is a pure C function of a double, defined for every input.
    unsafe { c_erfc(x) }
}

//! Time BIFs: `monotonic_time/0,1`, `system_time/0,1`, `convert_time_unit/3`.
//!
//! The native unit is the nanosecond, as on OTP for Linux.

use std::sync::LazyLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::Term;
use girder_term::object as obj;

use crate::Entry;

pub const BIFS: &[Entry] = &[
    ("erlang", "monotonic_time", 0, |p, _| {
        Ok(int(p, monotonic_ns()))
    }),
    ("erlang", "monotonic_time", 1, |p, a| {
        Ok(int(p, convert(monotonic_ns(), unit(a[0])?)))
    }),
    ("erlang", "system_time", 0, |p, _| Ok(int(p, system_ns()))),
    ("erlang", "system_time", 1, |p, a| {
        Ok(int(p, convert(system_ns(), unit(a[0])?)))
    }),
    ("erlang", "convert_time_unit", 3, convert_time_unit),
];

/// Monotonic time starts at an arbitrary point, as OTP's (which is negative at start).
static START: LazyLock<Instant> = LazyLock::new(Instant::now);

pub(crate) fn monotonic_ns() -> i128 {
    START.elapsed().as_nanos() as i128 - (1i128 << 59)
}

fn system_ns() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

fn int(p: &mut Process, n: i128) -> Term {
    obj::integer_from_i128(&mut p.heap, n)
}

/// Units per second for a time unit term.
fn unit(t: Term) -> Result<i128, BifError> {
    if let Some(n) = t.as_small() {
        return if n > 0 {
            Ok(n as i128)
        } else {
            Err(BifError::BADARG)
        };
    }
    match t.as_atom().map(|a| a.name()) {
        Some("second" | "seconds") => Ok(1),
        Some("millisecond" | "milli_seconds") => Ok(1_000),
        Some("microsecond" | "micro_seconds") => Ok(1_000_000),
        Some("nanosecond" | "nano_seconds" | "native") => Ok(1_000_000_000),
        Some("perf_counter") => Ok(1_000_000_000),
        _ => Err(BifError::BADARG),
    }
}

/// Nanoseconds to `per_second` units, rounding towards negative infinity as OTP does.
fn convert(ns: i128, per_second: i128) -> i128 {
    (ns * per_second).div_euclid(1_000_000_000)
}

fn convert_time_unit(p: &mut Process, a: &[Term]) -> BifResult {
    let from = unit(a[1])?;
    let to = unit(a[2])?;
    let t = obj::integer_to_i64(a[0]).ok_or(BifError::BADARG)? as i128;
    Ok(int(p, (t * to).div_euclid(from)))
}

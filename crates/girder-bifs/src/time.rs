//! Time BIFs: `monotonic_time/0,1`, `system_time/0,1`, `time_offset/0,1`,
//! `convert_time_unit/3`, and `os:system_time/0,1`.
//!
//! The native unit is the nanosecond, as on OTP for Linux. As in OTP's default time warp
//! mode (`no_time_warp`), the time offset is fixed when the VM starts: Erlang system time is
//! monotonic time plus that offset, so it never jumps when the OS clock is set.

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
    ("erlang", "time_offset", 0, |p, _| Ok(int(p, offset_ns()))),
    ("erlang", "time_offset", 1, |p, a| {
        Ok(int(p, convert(offset_ns(), unit(a[0])?)))
    }),
];

/// Monotonic time at VM start, in nanoseconds: an arbitrary point, negative as OTP's is.
pub const START_MONOTONIC: i128 = -(1i128 << 59);

/// The instant monotonic time counts from, and the OS time then (ns since the epoch).
static START: LazyLock<(Instant, i128)> = LazyLock::new(|| {
    let os = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128);
    (Instant::now(), os)
});

/// Start the clocks with the VM rather than at the first time BIF.
pub(crate) fn start() {
    let _ = *START;
}

pub(crate) fn monotonic_ns() -> i128 {
    START.0.elapsed().as_nanos() as i128 + START_MONOTONIC
}

/// Erlang system time minus monotonic time, fixed at start.
fn offset_ns() -> i128 {
    START.1 - START_MONOTONIC
}

/// `erlang:monotonic_time(millisecond)`.
pub(crate) fn monotonic_ms() -> i64 {
    monotonic_ns().div_euclid(1_000_000) as i64
}

fn system_ns() -> i128 {
    monotonic_ns() + offset_ns()
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

//! Calendar conversions: `erlang:localtime_to_universaltime/2`,
//! `universaltime_to_localtime/1`, `universaltime_to_posixtime/1` and
//! `posixtime_to_universaltime/1`, with OTP's arithmetic and range checks (`erl_time_sup.c`).
//!
//! Local time is the C library's, as in OTP: `mktime`/`localtime_r` under the `TZ` of the
//! environment. Local conversions take years from 1902 (OTP's `BASEYEAR`), POSIX time
//! conversions from 1600; dates are checked (month, day of month with leap years, hours,
//! minutes, seconds 0..59), and anything else is `badarg`.

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;

pub const BIFS: &[Entry] = &[
    (
        "erlang",
        "localtime_to_universaltime",
        2,
        local_to_universal,
    ),
    (
        "erlang",
        "universaltime_to_localtime",
        1,
        universal_to_local,
    ),
    (
        "erlang",
        "universaltime_to_posixtime",
        1,
        universal_to_posix,
    ),
    (
        "erlang",
        "posixtime_to_universaltime",
        1,
        posix_to_universal,
    ),
];

/// Year, month, day, hour, minute, second.
type Parts = [i64; 6];

/// Earliest year of the local time conversions (OTP's `BASEYEAR`).
const BASE_YEAR: i64 = 1902;
/// Earliest year of the POSIX time conversions.
const GREGORIAN_YEAR: i64 = 1600;
/// Latest year (`INT_MAX - 1`, as OTP's checks).
const LAST_YEAR: i64 = i32::MAX as i64 - 1;

const MONTH_DAYS: [i64; 13] = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const SECONDS_PER_DAY: i64 = 86_400;

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// `{{Y, Mo, D}, {H, Mi, S}}` of small integers (OTP's `time_to_parts`), unchecked.
fn parts(t: Term) -> Option<Parts> {
    let [date, time] = tuple_n::<2>(t)?;
    let [y, mo, d] = tuple_n::<3>(date)?;
    let [h, mi, s] = tuple_n::<3>(time)?;
    let mut out = [0; 6];
    for (o, v) in out.iter_mut().zip([y, mo, d, h, mi, s]) {
        *o = v.as_small()?;
    }
    Some(out)
}

fn tuple_n<const N: usize>(t: Term) -> Option<[Term; N]> {
    if !obj::is_tuple(t) {
        return None;
    }
    obj::tuple_elements(t).try_into().ok()
}

/// A valid date and time from `first_year` on.
fn valid(p: &Parts, first_year: i64) -> bool {
    let [y, mo, d, h, mi, s] = *p;
    (first_year..=LAST_YEAR).contains(&y)
        && (1..=12).contains(&mo)
        && (1..=MONTH_DAYS[mo as usize] + i64::from(mo == 2 && is_leap(y))).contains(&d)
        && (0..=23).contains(&h)
        && (0..=59).contains(&mi)
        && (0..=59).contains(&s)
}

/// Days from 1970-01-01 to a date from 1600 on (OTP's `gregday`).
fn gregday(year: i64, month: i64, day: i64) -> i64 {
    let gyear = year - 1600;
    let mut ndays = 0;
    if gyear > 0 {
        let pyear = gyear - 1;
        ndays = pyear / 4 - pyear / 100 + pyear / 400 + pyear * 365 + 366;
    }
    ndays += MONTH_DAYS[1..month as usize].iter().sum::<i64>();
    if is_leap(year) && month > 2 {
        ndays += 1;
    }
    ndays + day - 1 - 135_140
}

/// UTC calendar time of a POSIX time (OTP's `seconds_to_univ`, its integer arithmetic
/// included: C division truncates, as Rust's does).
fn seconds_to_univ(time: i64) -> Parts {
    let mut days = time / SECONDS_PER_DAY;
    let mut secs = time % SECONDS_PER_DAY;
    if secs < 0 {
        days -= 1;
        secs += SECONDS_PER_DAY;
    }
    let tmp = secs % 3600;
    let (hour, minute, second) = (secs / 3600, tmp / 60, tmp % 60);
    days += 719_468;
    let mut y = (10_000 * days + 14_780) / 3_652_425;
    let mut tmp = days - (365 * y + y / 4 - y / 100 + y / 400);
    if tmp < 0 {
        y -= 1;
        tmp = days - (365 * y + y / 4 - y / 100 + y / 400);
    }
    let mi = (100 * tmp + 52) / 3060;
    [
        y + (mi + 2) / 12,
        (mi + 2) % 12 + 1,
        tmp - (mi * 306 + 5) / 10 + 1,
        hour,
        minute,
        second,
    ]
}

fn datetime(p: &mut Process, [y, mo, d, h, mi, s]: Parts) -> Term {
    let date = obj::tuple(
        &mut p.heap,
        &[Term::small(y), Term::small(mo), Term::small(d)],
    );
    let time = obj::tuple(
        &mut p.heap,
        &[Term::small(h), Term::small(mi), Term::small(s)],
    );
    obj::tuple(&mut p.heap, &[date, time])
}

fn universal_to_posix(p: &mut Process, a: &[Term]) -> BifResult {
    let t = parts(a[0])
        .filter(|t| valid(t, GREGORIAN_YEAR))
        .ok_or(BifError::BADARG)?;
    let [y, mo, d, h, mi, s] = t;
    let secs = SECONDS_PER_DAY * gregday(y, mo, d) + 3600 * h + 60 * mi + s;
    Ok(obj::integer_from_i64(&mut p.heap, secs))
}

fn posix_to_universal(p: &mut Process, a: &[Term]) -> BifResult {
    let t = obj::integer_to_i64(a[0]).ok_or(BifError::BADARG)?;
    Ok(datetime(p, seconds_to_univ(t)))
}

/// `struct tm` fields from a broken-down time.
fn tm_of(t: &libc::tm) -> Parts {
    [
        i64::from(t.tm_year) + 1900,
        i64::from(t.tm_mon) + 1,
        i64::from(t.tm_mday),
        i64::from(t.tm_hour),
        i64::from(t.tm_min),
        i64::from(t.tm_sec),
    ]
}

/// `mktime`, retried one second earlier when it returns -1, since -1 is also the time
/// one second before the epoch (OTP's `erl_mktime`).
fn erl_mktime(tm: &mut libc::tm) -> Option<libc::time_t> {
    let _env = crate::os::env_read();
    // SAFETY: `tm` is a valid, initialised `struct tm` for the calls.
    let clock = unsafe { libc::mktime(tm) };
    if clock != -1 {
        return Some(clock);
    }
    tm.tm_sec -= 1;
    // SAFETY: as above.
    let earlier = unsafe { libc::mktime(tm) };
    tm.tm_sec += 1;
    (earlier == -2).then_some(-1)
}

fn local_to_universal(p: &mut Process, a: &[Term]) -> BifResult {
    let isdst = match a[1].as_atom() {
        Some(Atom::TRUE) => 1,
        Some(Atom::FALSE) => 0,
        Some(Atom::UNDEFINED) => -1,
        _ => return Err(BifError::BADARG),
    };
    let [y, mo, d, h, mi, s] = parts(a[0])
        .filter(|t| valid(t, BASE_YEAR))
        .ok_or(BifError::BADARG)?;
    // SAFETY: `struct tm` is plain data; all-zero is a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // The ranges were checked above, so these fit an `int`.
    tm.tm_year = (y - 1900) as libc::c_int;
    tm.tm_mon = (mo - 1) as libc::c_int;
    tm.tm_mday = d as libc::c_int;
    tm.tm_hour = h as libc::c_int;
    tm.tm_min = mi as libc::c_int;
    tm.tm_sec = s as libc::c_int;
    tm.tm_isdst = isdst;
    let clock = match erl_mktime(&mut tm) {
        Some(c) => c,
        // A zone without daylight saving time refuses a DST time: take it as standard
        // time, as OTP does.
        None if isdst > 0 => {
            tm.tm_isdst = 0;
            erl_mktime(&mut tm).ok_or(BifError::BADARG)?
        }
        None => return Err(BifError::BADARG),
    };
    // SAFETY: `out` is plain data that `gmtime_r` fills on success; both pointers are valid.
    let mut out: libc::tm = unsafe { std::mem::zeroed() };
    if unsafe { libc::gmtime_r(&clock, &mut out) }.is_null() {
        return Err(BifError::BADARG);
    }
    Ok(datetime(p, tm_of(&out)))
}

fn universal_to_local(p: &mut Process, a: &[Term]) -> BifResult {
    let [y, mo, d, h, mi, s] = parts(a[0])
        .filter(|t| valid(t, BASE_YEAR))
        .ok_or(BifError::BADARG)?;
    let clock = (s + 60 * (mi + 60 * (h + 24 * gregday(y, mo, d)))) as libc::time_t;
    // SAFETY: `out` is plain data that `localtime_r` fills on success; both pointers are
    // valid.
    let mut out: libc::tm = unsafe { std::mem::zeroed() };
    let _env = crate::os::env_read();
    if unsafe { libc::localtime_r(&clock, &mut out) }.is_null() {
        return Err(BifError::BADARG);
    }
    Ok(datetime(p, tm_of(&out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_round_trips_match_otp() {
        // Values erl gives (posixtime_to_universaltime/1).
        assert_eq!(seconds_to_univ(0), [1970, 1, 1, 0, 0, 0]);
        assert_eq!(seconds_to_univ(-1), [1969, 12, 31, 23, 59, 59]);
        assert_eq!(seconds_to_univ(1_700_000_000), [2023, 11, 14, 22, 13, 20]);
        // OTP's arithmetic before year 0 is its own: erl says {{-1,12,31},{0,0,0}}.
        assert_eq!(seconds_to_univ(-62_167_219_200), [-1, 12, 31, 0, 0, 0]);
        assert_eq!(seconds_to_univ(1 << 62), [146_138_514_283, 6, 19, 7, 45, 4]);
        for t in [0i64, 951_782_400, 253_402_300_799, -11_676_096_000] {
            let [y, mo, d, h, mi, s] = seconds_to_univ(t);
            assert!(valid(&[y, mo, d, h, mi, s], GREGORIAN_YEAR));
            assert_eq!(
                SECONDS_PER_DAY * gregday(y, mo, d) + 3600 * h + 60 * mi + s,
                t
            );
        }
        assert!(!valid(&[2023, 2, 29, 0, 0, 0], GREGORIAN_YEAR));
        assert!(valid(&[2024, 2, 29, 0, 0, 0], GREGORIAN_YEAR));
        assert!(!valid(&[1901, 12, 31, 0, 0, 0], BASE_YEAR));
    }
}

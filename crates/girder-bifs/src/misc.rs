//! More of the `erlang` module: conversions, tuple editing, checksums, calendar time,
//! unique integers, and the `*_to_list` functions of identifiers.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use girder_runtime::bif::{BifError, BifResult};
use girder_runtime::{Process, module};
use girder_term::Term;
use girder_term::object as obj;

use crate::Entry;
use crate::util::{charlist, integer_text, list_arg, parse_integer, radix, string_arg, usize_arg};

pub const BIFS: &[Entry] = &[
    ("erlang", "binary_to_integer", 1, |p, a| {
        binary_to_integer(p, a[0], 10)
    }),
    ("erlang", "binary_to_integer", 2, |p, a| {
        binary_to_integer(p, a[0], radix(a[1])?)
    }),
    ("erlang", "integer_to_binary", 2, integer_to_binary2),
    ("erlang", "bitstring_to_list", 1, bitstring_to_list),
    ("erlang", "list_to_bitstring", 1, list_to_bitstring),
    ("erlang", "insert_element", 3, insert_element),
    ("erlang", "delete_element", 2, delete_element),
    ("erlang", "statistics", 1, statistics),
    ("erlang", "unique_integer", 0, |p, _| unique(p, Term::NIL)),
    ("erlang", "unique_integer", 1, |p, a| unique(p, a[0])),
    ("erlang", "timestamp", 0, |p, _| Ok(timestamp(p, now_us()))),
    ("erlang", "now", 0, now),
    ("erlang", "universaltime", 0, |p, _| {
        Ok(datetime(p, utc(now_us() / 1_000_000)))
    }),
    ("erlang", "localtime", 0, |p, _| {
        Ok(datetime(p, local(now_us() / 1_000_000)))
    }),
    ("erlang", "date", 0, |p, _| {
        Ok(datetime(p, local(now_us() / 1_000_000)).pipe(|t| obj::tuple_element(t, 0)))
    }),
    ("erlang", "time", 0, |p, _| {
        Ok(datetime(p, local(now_us() / 1_000_000)).pipe(|t| obj::tuple_element(t, 1)))
    }),
    ("erlang", "crc32", 1, |p, a| {
        checksum(p, a[0], Term::small(0), crc32)
    }),
    ("erlang", "crc32", 2, |p, a| checksum(p, a[1], a[0], crc32)),
    ("erlang", "adler32", 1, |p, a| {
        checksum(p, a[0], Term::small(1), adler32)
    }),
    ("erlang", "adler32", 2, |p, a| {
        checksum(p, a[1], a[0], adler32)
    }),
    ("erlang", "crc32_combine", 3, |p, a| {
        combine(p, a, crc32_combine)
    }),
    ("erlang", "adler32_combine", 3, |p, a| {
        combine(p, a, adler32_combine)
    }),
    ("erlang", "list_to_ref", 1, list_to_ref),
    ("erlang", "pid_to_list", 1, |p, a| {
        to_list(p, a[0], obj::is_pid)
    }),
    ("erlang", "ref_to_list", 1, |p, a| {
        to_list(p, a[0], obj::is_ref)
    }),
    ("erlang", "port_to_list", 1, |p, a| {
        to_list(p, a[0], obj::is_port)
    }),
    ("erlang", "fun_to_list", 1, |p, a| {
        to_list(p, a[0], obj::is_function)
    }),
    ("erlang", "list_to_pid", 1, list_to_pid),
    ("erlang", "function_exported", 3, function_exported),
];

/// Postfix application, to keep the table entries one line each.
trait Pipe: Sized {
    fn pipe<R>(self, f: impl FnOnce(Self) -> R) -> R {
        f(self)
    }
}
impl Pipe for Term {}

fn binary_to_integer(p: &mut Process, bin: Term, base: u32) -> BifResult {
    let bytes = obj::binary_bytes(bin)
        .filter(|_| obj::is_binary(bin))
        .ok_or(BifError::BADARG)?;
    let s = std::str::from_utf8(bytes).map_err(|_| BifError::BADARG)?;
    parse_integer(p, s, base)
}

fn integer_to_binary2(p: &mut Process, a: &[Term]) -> BifResult {
    let s = integer_text(a[0], radix(a[1])?)?;
    Ok(obj::binary_from_bytes(&mut p.heap, s.as_bytes()))
}

fn bitstring_to_list(p: &mut Process, a: &[Term]) -> BifResult {
    if !obj::is_bitstring(a[0]) {
        return Err(BifError::BADARG);
    }
    let bits = obj::bits(a[0]);
    let whole = bits.size / 8;
    let items: Vec<Term> = (0..whole)
        .map(|i| Term::small(i64::from(bits.byte(i))))
        .collect();
    let tail = if bits.size % 8 == 0 {
        Term::NIL
    } else {
        let rest = obj::sub_binary(&mut p.heap, a[0], whole * 8, bits.size % 8);
        obj::cons(&mut p.heap, rest, Term::NIL)
    };
    Ok(obj::list_from_slice(&mut p.heap, &items, tail))
}

/// `list_to_bitstring/1`: an iolist whose binaries may be bitstrings.
fn list_to_bitstring(p: &mut Process, a: &[Term]) -> BifResult {
    let mut w = girder_runtime::bits::BitWriter::default();
    let mut stack = vec![a[0]];
    if !(a[0].is_list() || a[0].is_nil()) {
        return Err(BifError::BADARG);
    }
    while let Some(t) = stack.pop() {
        if obj::is_bitstring(t) {
            w.push_bits(obj::bits(t));
        } else if t.is_list() {
            stack.push(obj::tail(t));
            let h = obj::head(t);
            match h.as_small() {
                Some(b @ 0..=255) => w.push_bytes(&[b as u8]),
                Some(_) => return Err(BifError::BADARG),
                None if h.is_list() || h.is_nil() || obj::is_bitstring(h) => stack.push(h),
                None => return Err(BifError::BADARG),
            }
        } else if !t.is_nil() {
            return Err(BifError::BADARG);
        }
    }
    Ok(w.finish(&mut p.heap))
}

fn insert_element(p: &mut Process, a: &[Term]) -> BifResult {
    if !obj::is_tuple(a[1]) {
        return Err(BifError::BADARG);
    }
    let mut elems = obj::tuple_elements(a[1]).to_vec();
    let i = usize_arg(a[0])?;
    if i == 0 || i > elems.len() + 1 {
        return Err(BifError::BADARG);
    }
    elems.insert(i - 1, a[2]);
    Ok(obj::tuple(&mut p.heap, &elems))
}

fn delete_element(p: &mut Process, a: &[Term]) -> BifResult {
    if !obj::is_tuple(a[1]) {
        return Err(BifError::BADARG);
    }
    let mut elems = obj::tuple_elements(a[1]).to_vec();
    let i = usize_arg(a[0])?;
    if i == 0 || i > elems.len() {
        return Err(BifError::BADARG);
    }
    elems.remove(i - 1);
    Ok(obj::tuple(&mut p.heap, &elems))
}

/// When the VM started, for `statistics(wall_clock)`.
static START: std::sync::LazyLock<std::time::Instant> =
    std::sync::LazyLock::new(std::time::Instant::now);
/// The previous `wall_clock` and `runtime` readings (ms), for their "since last call" part.
static LAST_WALL: AtomicI64 = AtomicI64::new(0);
static LAST_RUNTIME: AtomicI64 = AtomicI64::new(0);
static LAST_REDUCTIONS: AtomicI64 = AtomicI64::new(0);

/// Process CPU time in milliseconds.
fn cpu_ms() -> i64 {
    // SAFETY: `getrusage` fills the plain-data struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    // The field types vary by platform (32 or 64 bits); on 64-bit Linux they are i64.
    #[allow(clippy::useless_conversion)]
    let ms = |t: libc::timeval| i64::from(t.tv_sec) * 1000 + i64::from(t.tv_usec) / 1000;
    ms(ru.ru_utime) + ms(ru.ru_stime)
}

/// `statistics/1` for OTP 25's keys but `microstate_accounting`.
fn statistics(p: &mut Process, a: &[Term]) -> BifResult {
    let pair = |p: &mut Process, total: i64, last: &AtomicI64| {
        // Relaxed: one value on its own; the swap gives each call the previous one.
        let since = total - last.swap(total, Ordering::Relaxed);
        obj::tuple(&mut p.heap, &[Term::small(total), Term::small(since)])
    };
    match a[0].as_atom().map(|a| a.name()) {
        Some("wall_clock") => Ok(pair(p, START.elapsed().as_millis() as i64, &LAST_WALL)),
        Some("runtime") => Ok(pair(p, cpu_ms(), &LAST_RUNTIME)),
        Some("run_queue" | "total_run_queue_lengths" | "total_run_queue_lengths_all") => {
            let n: usize = girder_runtime::sched::run_queue_lengths().iter().sum();
            Ok(Term::small(n as i64))
        }
        Some("total_active_tasks" | "total_active_tasks_all") => {
            // The queued processes and the caller, which is running.
            let n: usize = girder_runtime::sched::run_queue_lengths().iter().sum();
            Ok(Term::small(n as i64 + 1))
        }
        Some(
            k @ ("run_queue_lengths"
            | "run_queue_lengths_all"
            | "active_tasks"
            | "active_tasks_all"),
        ) => {
            let mut v = girder_runtime::sched::run_queue_lengths();
            if k.starts_with("active") {
                // The caller is running: active on its scheduler (counted with the first).
                if let Some(first) = v.first_mut() {
                    *first += 1;
                }
            }
            // erts lists the dirty CPU schedulers' queue after the normal ones, and with
            // `_all` the dirty I/O schedulers' queue; girder has none, so they are empty.
            v.push(0);
            if k.ends_with("_all") {
                v.push(0);
            }
            let v: Vec<Term> = v.into_iter().map(|n| Term::small(n as i64)).collect();
            Ok(obj::list_from_slice(&mut p.heap, &v, Term::NIL))
        }
        Some("garbage_collection") => {
            let (n, words) = girder_runtime::process::gc_totals();
            let t = [
                Term::small(n as i64),
                Term::small(words as i64),
                Term::small(0),
            ];
            Ok(obj::tuple(&mut p.heap, &t))
        }
        Some("io") => {
            let (input, output) = girder_runtime::port::io_totals();
            let i = [
                Term::atom(girder_term::Atom::intern("input")),
                Term::small(input as i64),
            ];
            let i = obj::tuple(&mut p.heap, &i);
            let o = [
                Term::atom(girder_term::Atom::intern("output")),
                Term::small(output as i64),
            ];
            let o = obj::tuple(&mut p.heap, &o);
            Ok(obj::tuple(&mut p.heap, &[i, o]))
        }
        // Off unless `system_flag(scheduler_wall_time, true)`, which girder does not offer.
        Some("scheduler_wall_time" | "scheduler_wall_time_all") => {
            Ok(Term::atom(girder_term::Atom::UNDEFINED))
        }
        Some("reductions" | "exact_reductions") => {
            // The running process's slice so far counts too.
            let now = (girder_runtime::interp::REDUCTIONS - p.reductions).max(0);
            let total = girder_runtime::sched::totals().0 as i64 + now;
            Ok(pair(p, total, &LAST_REDUCTIONS))
        }
        Some("context_switches") => {
            let n = girder_runtime::sched::totals().1 as i64;
            Ok(obj::tuple(&mut p.heap, &[Term::small(n), Term::small(0)]))
        }
        _ => Err(BifError::BADARG),
    }
}

/// Start the wall clock with the VM rather than at the first `statistics` call.
pub(crate) fn start_clock() {
    let _ = *START;
}

static UNIQUE: AtomicI64 = AtomicI64::new(-576_460_752_303_423_488);
static UNIQUE_POSITIVE: AtomicI64 = AtomicI64::new(1);

/// `unique_integer/0,1`: counters, so the values are also monotonic; `positive` draws from
/// one that starts at 1.
fn unique(p: &mut Process, opts: Term) -> BifResult {
    let mut positive = false;
    for o in list_arg(opts)? {
        match o.as_atom().map(|a| a.name()) {
            Some("positive") => positive = true,
            Some("monotonic") => {}
            _ => return Err(BifError::BADARG),
        }
    }
    let counter = if positive { &UNIQUE_POSITIVE } else { &UNIQUE };
    // Relaxed: read-modify-writes of one atomic are totally ordered, and each reads the
    // latest value: unique, and increasing along any chain of events (a message carrying
    // one value to another process that asks for the next), as `monotonic` requires.
    let n = counter.fetch_add(1, Ordering::Relaxed);
    Ok(obj::integer_from_i64(&mut p.heap, n))
}

pub(crate) fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

pub(crate) fn timestamp(p: &mut Process, us: i64) -> Term {
    let (mega, sec, micro) = (
        us / 1_000_000_000_000,
        us / 1_000_000 % 1_000_000,
        us % 1_000_000,
    );
    obj::tuple(
        &mut p.heap,
        &[Term::small(mega), Term::small(sec), Term::small(micro)],
    )
}

static LAST_NOW: AtomicI64 = AtomicI64::new(0);

/// `now/0`: like `timestamp/0` but strictly increasing across calls.
fn now(p: &mut Process, _: &[Term]) -> BifResult {
    let mut us = now_us();
    // Relaxed: both are read-modify-writes of the one atomic (see `unique_integer`), so
    // every call gets a value above every value handed out before it.
    let prev = LAST_NOW.fetch_max(us, Ordering::Relaxed);
    if us <= prev {
        us = LAST_NOW.fetch_add(1, Ordering::Relaxed) + 1;
    }
    Ok(timestamp(p, us))
}

/// `erlang:now/0`'s value, for trace timestamps.
pub(crate) fn now_term(p: &mut Process) -> Term {
    now(p, &[]).unwrap_or(Term::NIL)
}

/// A calendar date and time: year, month, day, hour, minute, second.
type Civil = (i64, i64, i64, i64, i64, i64);

/// UTC calendar time of a Unix time (the proleptic Gregorian calendar).
fn utc(secs: i64) -> Civil {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rem / 3600, rem / 60 % 60, rem % 60)
}

/// Local calendar time, as the C library computes it (the same `TZ` rules OTP uses).
fn local(secs: i64) -> Civil {
    let t: libc::time_t = secs as libc::time_t;
    // SAFETY: `tm` is plain data that `localtime_r` fills completely on success; both
    // pointers are valid for the call.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let _env = crate::os::env_read();
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    if !ok {
        return utc(secs);
    }
    (
        i64::from(tm.tm_year) + 1900,
        i64::from(tm.tm_mon) + 1,
        i64::from(tm.tm_mday),
        i64::from(tm.tm_hour),
        i64::from(tm.tm_min),
        i64::from(tm.tm_sec),
    )
}

fn datetime(p: &mut Process, (y, mo, d, h, mi, s): Civil) -> Term {
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

fn crc32(start: u32, data: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new_with_initial(start);
    h.update(data);
    h.finalize()
}

fn adler32(start: u32, data: &[u8]) -> u32 {
    let mut a = adler2::Adler32::from_checksum(start);
    a.write_slice(data);
    a.checksum()
}

/// A checksum over iodata, continuing from `start` (the initial value for the `/1` forms).
fn checksum(p: &mut Process, data: Term, start: Term, f: fn(u32, &[u8]) -> u32) -> BifResult {
    let initial = start
        .as_small()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or(BifError::BADARG)?;
    let mut bytes = Vec::new();
    crate::binaries::iolist_bytes(data, &mut bytes)?;
    let v = f(initial, &bytes);
    Ok(obj::integer_from_i64(&mut p.heap, i64::from(v)))
}

/// `crc32_combine/3`, `adler32_combine/3`: two checksums (32-bit) and the length of the
/// second part (32-bit).
fn combine(p: &mut Process, a: &[Term], f: fn(u32, u32, u32) -> u32) -> BifResult {
    let u32_arg = |t: Term| {
        t.as_small()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or(BifError::BADARG)
    };
    let (first, second, len) = (u32_arg(a[0])?, u32_arg(a[1])?, u32_arg(a[2])?);
    Ok(obj::integer_from_i64(
        &mut p.heap,
        i64::from(f(first, second, len)),
    ))
}

/// The CRC-32 polynomial, reflected.
const CRC_POLY: u32 = 0xedb8_8320;

/// `a * b` modulo the CRC polynomial (zlib's `multmodp`); `a` is not zero.
fn crc_mult(a: u32, mut b: u32) -> u32 {
    let mut m = 1u32 << 31;
    let mut p = 0;
    loop {
        if a & m != 0 {
            p ^= b;
            if a & (m - 1) == 0 {
                return p;
            }
        }
        m >>= 1;
        b = if b & 1 != 0 {
            (b >> 1) ^ CRC_POLY
        } else {
            b >> 1
        };
    }
}

/// `x^(n * 2^k)` modulo the CRC polynomial (zlib's `x2nmodp`).
fn crc_x2n(mut n: u64, mut k: u32) -> u32 {
    // x^(2^i) for i in 0..32.
    let mut table = [0u32; 32];
    table[0] = 1 << 30;
    for i in 1..32 {
        table[i] = crc_mult(table[i - 1], table[i - 1]);
    }
    let mut p = 1u32 << 31;
    while n != 0 {
        if n & 1 != 0 {
            p = crc_mult(table[(k & 31) as usize], p);
        }
        n >>= 1;
        k += 1;
    }
    p
}

/// The CRC-32 of two parts from theirs and the second's length (zlib's `crc32_combine`).
fn crc32_combine(crc1: u32, crc2: u32, len2: u32) -> u32 {
    crc_mult(crc_x2n(u64::from(len2), 3), crc1) ^ crc2
}

/// The Adler-32 of two parts from theirs and the second's length (zlib's
/// `adler32_combine`; OTP answers the first checksum for an empty second part).
fn adler32_combine(adler1: u32, adler2: u32, len2: u32) -> u32 {
    const BASE: u32 = 65_521;
    if len2 == 0 {
        return adler1;
    }
    let rem = len2 % BASE;
    let mut sum1 = adler1 & 0xffff;
    let mut sum2 = (rem * sum1) % BASE;
    sum1 += (adler2 & 0xffff) + BASE - 1;
    sum2 += ((adler1 >> 16) & 0xffff) + ((adler2 >> 16) & 0xffff) + BASE - rem;
    if sum1 >= BASE {
        sum1 -= BASE;
    }
    if sum1 >= BASE {
        sum1 -= BASE;
    }
    if sum2 >= BASE << 1 {
        sum2 -= BASE << 1;
    }
    if sum2 >= BASE {
        sum2 -= BASE;
    }
    sum1 | (sum2 << 16)
}

/// `list_to_ref/1`: `"#Ref<0.A.B.C>"` (a local reference, as `ref_to_list/1` prints one),
/// `C` below 2^18. (OTP also refuses a `B` whose low bits name a scheduler thread it does
/// not have; girder's references do not encode threads.)
fn list_to_ref(p: &mut Process, a: &[Term]) -> BifResult {
    let s = string_arg(a[0])?;
    let inner = s
        .strip_prefix("#Ref<")
        .and_then(|s| s.strip_suffix('>'))
        .ok_or(BifError::BADARG)?;
    let mut nums = Vec::new();
    for part in inner.split('.') {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BifError::BADARG);
        }
        nums.push(part.parse::<u32>().map_err(|_| BifError::BADARG)?);
    }
    match nums.as_slice() {
        &[0, a, b, c] if c < (1 << 18) => {
            let ids = obj::RefIds::new(&[c, b, a]).ok_or(BifError::BADARG)?;
            Ok(obj::local_ref(&mut p.heap, &ids))
        }
        _ => Err(BifError::BADARG),
    }
}

fn to_list(p: &mut Process, t: Term, is: fn(Term) -> bool) -> BifResult {
    if !is(t) {
        return Err(BifError::BADARG);
    }
    let s = girder_term::convert::display(t);
    Ok(charlist(p, &s))
}

fn list_to_pid(p: &mut Process, a: &[Term]) -> BifResult {
    let s = string_arg(a[0])?;
    let inner = s
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .ok_or(BifError::BADARG)?;
    let parts: Vec<&str> = inner.split('.').collect();
    let num = |s: &str| {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BifError::BADARG);
        }
        s.parse::<u32>().map_err(|_| BifError::BADARG)
    };
    let [channel, id, serial] = parts.as_slice() else {
        return Err(BifError::BADARG);
    };
    let (channel, id, serial) = (num(channel)?, num(id)?, num(serial)?);
    if channel == 0 {
        return obj::local_pid(id, serial).ok_or(BifError::BADARG);
    }
    // Another node's pid, by its channel number as `pid_to_list/1` prints it: only a
    // node connected now, as in erts.
    let (node, creation) = crate::dist::connected_by_channel(channel).ok_or(BifError::BADARG)?;
    Ok(obj::external_pid(&mut p.heap, node, id, serial, creation))
}

fn function_exported(_: &mut Process, a: &[Term]) -> BifResult {
    let (Some(m), Some(f)) = (a[0].as_atom(), a[1].as_atom()) else {
        return Err(BifError::BADARG);
    };
    let arity = a[2]
        .as_small()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or(BifError::BADARG)?;
    // True for a BIF, or for an exported function of a loaded module.
    let exported = module::find_export(m, f, arity).is_some_and(|e| {
        e.bif().is_some() || (e.target().is_some() && module::loaded(m).is_some())
    });
    Ok(Term::boolean(exported))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_checksums_match_otp() {
        // Values erl 25 gives.
        assert_eq!(crc32_combine(123_456, 654_321, 77), 3_867_811_004);
        assert_eq!(crc32_combine(u32::MAX, u32::MAX, 5), 3_324_180_253);
        assert_eq!(crc32_combine(1, 2, u32::MAX), 3);
        assert_eq!(crc32_combine(1, 1, 0), 0);
        assert_eq!(adler32_combine(123_456, 654_321, 77), 284_810_815);
        assert_eq!(adler32_combine(u32::MAX, u32::MAX, 5), 6_094_860);
        assert_eq!(adler32_combine(1, 2, u32::MAX), 2);
        assert_eq!(adler32_combine(123, 456, 0), 123);
        // And they combine: the checksum of "ab" ++ "cde".
        assert_eq!(
            crc32_combine(crc32(0, b"ab"), crc32(0, b"cde"), 3),
            crc32(0, b"abcde")
        );
        assert_eq!(
            adler32_combine(adler32(1, b"ab"), adler32(1, b"cde"), 3),
            adler32(1, b"abcde")
        );
    }
}

//! The `binary` module's searching and byte BIFs OTP implements in C: `match/2,3`,
//! `matches/2,3`, `compile_pattern/1`, `at/2`, `first/1`, `last/1`, `copy/1,2`,
//! `list_to_bin/1`, `longest_common_prefix/1`, `longest_common_suffix/1`,
//! `referenced_byte_size/1`; and `os`'s clocks and `env/0`.
//!
//! A compiled pattern is `{bm, Binary}` (one pattern) or `{ac, [Binary]}` (several), tagged
//! as OTP tags its own (whose second element is an opaque reference instead).

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;
use crate::binaries::iolist_bytes;
use crate::util::charlist;

pub const BIFS: &[Entry] = &[
    ("binary", "match", 2, |p, a| {
        search(p, a[0], a[1], Term::NIL, false)
    }),
    ("binary", "match", 3, |p, a| {
        search(p, a[0], a[1], a[2], false)
    }),
    ("binary", "matches", 2, |p, a| {
        search(p, a[0], a[1], Term::NIL, true)
    }),
    ("binary", "matches", 3, |p, a| {
        search(p, a[0], a[1], a[2], true)
    }),
    ("binary", "compile_pattern", 1, compile_pattern),
    ("binary", "split", 2, |p, a| split(p, a[0], a[1], Term::NIL)),
    ("binary", "split", 3, |p, a| split(p, a[0], a[1], a[2])),
    ("binary", "at", 2, at),
    ("binary", "first", 1, |_, a| byte_at(a[0], Some(0))),
    ("binary", "last", 1, |_, a| {
        let last = obj::is_binary(a[0]).then(|| obj::byte_size(a[0]).checked_sub(1));
        byte_at(a[0], last.flatten())
    }),
    ("binary", "copy", 1, |p, a| {
        let b = bytes(a[0])?;
        Ok(obj::binary_from_bytes(&mut p.heap, &b))
    }),
    ("binary", "copy", 2, copy),
    ("binary", "list_to_bin", 1, |p, a| {
        if !(a[0].is_list() || a[0].is_nil()) {
            return Err(BifError::BADARG);
        }
        let mut out = Vec::new();
        iolist_bytes(a[0], &mut out)?;
        Ok(obj::binary_from_bytes(&mut p.heap, &out))
    }),
    ("binary", "longest_common_prefix", 1, |_, a| {
        common(a[0], false)
    }),
    ("binary", "longest_common_suffix", 1, |_, a| {
        common(a[0], true)
    }),
    ("binary", "referenced_byte_size", 1, |_, a| {
        if !obj::is_binary(a[0]) {
            return Err(BifError::BADARG);
        }
        Ok(Term::small(obj::bits(a[0]).bytes.len() as i64))
    }),
    ("os", "system_time", 0, |p, _| {
        call_erlang(p, "system_time", &[])
    }),
    ("os", "system_time", 1, |p, a| {
        call_erlang(p, "system_time", &[a[0]])
    }),
    ("os", "perf_counter", 0, perf_counter),
    ("os", "env", 0, env),
];

/// The BIF `erlang:F` applied to `args` (os's clocks are erlang's).
fn call_erlang(p: &mut Process, f: &str, args: &[Term]) -> BifResult {
    let bif = crate::TABLES
        .iter()
        .copied()
        .flatten()
        .find(|&&(m, name, arity, _)| m == "erlang" && name == f && arity as usize == args.len())
        .map(|&(_, _, _, bif)| bif)
        .ok_or(BifError::BADARG)?;
    bif(p, args)
}

/// The OS's monotonic clock in nanoseconds (`perf_counter` units are nanoseconds).
fn perf_counter(p: &mut Process, _: &[Term]) -> BifResult {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec the call fills.
    if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) } != 0 {
        return Err(BifError::BADARG);
    }
    let ns = ts.tv_sec * 1_000_000_000 + ts.tv_nsec;
    Ok(obj::integer_from_big(
        &mut p.heap,
        &num_bigint::BigInt::from(ns),
    ))
}

fn env(p: &mut Process, _: &[Term]) -> BifResult {
    let vars: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    let mut items = Vec::with_capacity(vars.len());
    for (k, v) in &vars {
        let (k, v) = (charlist(p, k), charlist(p, v));
        items.push(obj::tuple(&mut p.heap, &[k, v]));
    }
    Ok(obj::list_from_slice(&mut p.heap, &items, Term::NIL))
}

/// The bytes of a byte-aligned binary, or `badarg`.
fn bytes(t: Term) -> Result<Vec<u8>, BifError> {
    if obj::is_binary(t) {
        Ok(obj::bits(t).to_vec())
    } else {
        Err(BifError::BADARG)
    }
}

/// The patterns of a pattern argument: a non-empty binary, a non-empty list of non-empty
/// binaries, or a compiled pattern.
fn patterns(t: Term) -> Result<Vec<Vec<u8>>, BifError> {
    if obj::is_tuple(t) && obj::tuple_arity(t) == 2 {
        let tag = obj::tuple_element(t, 0).as_atom().map(|a| a.name());
        if matches!(tag, Some("bm" | "ac")) {
            return patterns(obj::tuple_element(t, 1));
        }
        return Err(BifError::BADARG);
    }
    let pats = if obj::is_binary(t) {
        vec![bytes(t)?]
    } else {
        crate::util::list_arg(t)?
            .into_iter()
            .map(bytes)
            .collect::<Result<Vec<_>, _>>()?
    };
    if pats.is_empty() || pats.iter().any(|p| p.is_empty()) {
        return Err(BifError::BADARG);
    }
    Ok(pats)
}

fn compile_pattern(p: &mut Process, a: &[Term]) -> BifResult {
    let pats = patterns(a[0])?;
    if obj::is_tuple(a[0]) {
        return Err(BifError::BADARG);
    }
    let (tag, body) = if pats.len() == 1 {
        ("bm", obj::binary_from_bytes(&mut p.heap, &pats[0]))
    } else {
        let items: Vec<Term> = pats
            .iter()
            .map(|b| obj::binary_from_bytes(&mut p.heap, b))
            .collect();
        ("ac", obj::list_from_slice(&mut p.heap, &items, Term::NIL))
    };
    Ok(obj::tuple(
        &mut p.heap,
        &[Term::atom(Atom::intern(tag)), body],
    ))
}

/// The `{scope, {Start, Length}}` option (a negative length reaching back), as a byte range
/// of a subject of `size` bytes.
fn scope(options: Term, size: usize) -> Result<(usize, usize), BifError> {
    scope_and(options, size, &[]).map(|(range, _)| range)
}

/// The scope and which of the atom options `flags` are present (others are `badarg`).
/// As in erts, the options are read while they are list cells: the tail of an improper
/// list is not looked at (`[global|foo]` is `[global]`), but options that are not a list
/// at all are `badarg`.
fn scope_and(
    options: Term,
    size: usize,
    flags: &[&str],
) -> Result<((usize, usize), Vec<bool>), BifError> {
    let mut range = (0, size);
    let mut seen = vec![false; flags.len()];
    if !(options.is_list() || options.is_nil()) {
        return Err(BifError::BADARG);
    }
    for o in obj::list_iter(options) {
        if let Some(i) = o
            .as_atom()
            .and_then(|a| flags.iter().position(|f| *f == a.name()))
        {
            seen[i] = true;
            continue;
        }
        if !(obj::is_tuple(o) && obj::tuple_arity(o) == 2)
            || obj::tuple_element(o, 0).as_atom().map(|a| a.name()) != Some("scope")
        {
            return Err(BifError::BADARG);
        }
        let s = obj::tuple_element(o, 1);
        if !(obj::is_tuple(s) && obj::tuple_arity(s) == 2) {
            return Err(BifError::BADARG);
        }
        let start = obj::tuple_element(s, 0)
            .as_small()
            .ok_or(BifError::BADARG)?;
        let len = obj::tuple_element(s, 1)
            .as_small()
            .ok_or(BifError::BADARG)?;
        let (from, to) = if len >= 0 {
            (start, start.checked_add(len).ok_or(BifError::BADARG)?)
        } else {
            (start + len, start)
        };
        if from < 0 || to as u64 > size as u64 || start < 0 || start as u64 > size as u64 {
            return Err(BifError::BADARG);
        }
        range = (from as usize, to as usize);
    }
    Ok((range, seen))
}

/// The matches of `pats` in `subj[from..to]`: leftmost, longest, not overlapping; only the
/// first unless `all`.
fn find(
    subj: &[u8],
    pats: &[Vec<u8>],
    (from, to): (usize, usize),
    all: bool,
) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut i = from;
    while i < to {
        // The longest pattern starting here, as OTP chooses among overlapping ones.
        let hit = pats
            .iter()
            .filter(|pat| i + pat.len() <= to && subj[i..].starts_with(pat))
            .map(|pat| pat.len())
            .max();
        match hit {
            Some(n) => {
                found.push((i, n));
                if !all {
                    break;
                }
                i += n;
            }
            None => i += 1,
        }
    }
    found
}

fn search(p: &mut Process, subject: Term, pattern: Term, options: Term, all: bool) -> BifResult {
    let subj = bytes(subject)?;
    let pats = patterns(pattern)?;
    let range = scope(options, subj.len())?;
    let found = find(&subj, &pats, range, all);
    let mut terms = Vec::with_capacity(found.len());
    for (pos, len) in found {
        terms.push(obj::tuple(
            &mut p.heap,
            &[Term::small(pos as i64), Term::small(len as i64)],
        ));
    }
    if all {
        Ok(obj::list_from_slice(&mut p.heap, &terms, Term::NIL))
    } else {
        Ok(terms
            .first()
            .copied()
            .unwrap_or(Term::atom(Atom::intern("nomatch"))))
    }
}

/// `binary:split/2,3` with the options `global`, `trim`, `trim_all` and `{scope, Scope}`.
fn split(p: &mut Process, subject: Term, pattern: Term, options: Term) -> BifResult {
    let subj = bytes(subject)?;
    let pats = patterns(pattern)?;
    let (range, flags) = scope_and(options, subj.len(), &["global", "trim", "trim_all"])?;
    let mut parts = Vec::new();
    let mut start = 0;
    for (pos, len) in find(&subj, &pats, range, flags[0]) {
        parts.push(&subj[start..pos]);
        start = pos + len;
    }
    parts.push(&subj[start..]);
    if flags[2] {
        parts.retain(|p| !p.is_empty());
    } else if flags[1] {
        while parts.last().is_some_and(|p| p.is_empty()) {
            parts.pop();
        }
    }
    let terms: Vec<Term> = parts
        .into_iter()
        .map(|b| obj::binary_from_bytes(&mut p.heap, b))
        .collect();
    Ok(obj::list_from_slice(&mut p.heap, &terms, Term::NIL))
}

fn at(_: &mut Process, a: &[Term]) -> BifResult {
    if !obj::is_binary(a[0]) {
        return Err(BifError::BADARG);
    }
    byte_at(a[0], Some(crate::util::usize_arg(a[1])?))
}

/// Byte `i` of the binary `t` (reading that byte only), or `badarg`.
fn byte_at(t: Term, i: Option<usize>) -> BifResult {
    match i {
        Some(i) if obj::is_binary(t) && i < obj::byte_size(t) => {
            Ok(Term::small(i64::from(obj::bits(t).byte(i))))
        }
        _ => Err(BifError::BADARG),
    }
}

fn copy(p: &mut Process, a: &[Term]) -> BifResult {
    let b = bytes(a[0])?;
    let n = crate::util::usize_arg(a[1])?;
    let total = b.len().checked_mul(n).ok_or(BifError::SYSTEM_LIMIT)?;
    if total > (1 << 40) {
        return Err(BifError::SYSTEM_LIMIT);
    }
    Ok(obj::binary_from_bytes(&mut p.heap, &b.repeat(n)))
}

/// `longest_common_prefix/1` (or suffix): the length shared by every binary of the list.
fn common(list: Term, suffix: bool) -> BifResult {
    let bins = crate::util::list_arg(list)?
        .into_iter()
        .map(bytes)
        .collect::<Result<Vec<_>, _>>()?;
    let Some(first) = bins.first() else {
        return Err(BifError::BADARG);
    };
    let mut n = first.len();
    for b in &bins[1..] {
        let shared = if suffix {
            first
                .iter()
                .rev()
                .zip(b.iter().rev())
                .take_while(|(x, y)| x == y)
                .count()
        } else {
            first
                .iter()
                .zip(b.iter())
                .take_while(|(x, y)| x == y)
                .count()
        };
        n = n.min(shared);
    }
    Ok(Term::small(n as i64))
}

/// `string:list_to_integer/1` and `string:list_to_float/1` (BIFs in OTP).
pub const STRING_BIFS: &[Entry] = &[
    ("string", "list_to_integer", 1, |p, a| {
        list_to_number(p, a[0], false)
    }),
    ("string", "list_to_float", 1, |p, a| {
        list_to_number(p, a[0], true)
    }),
];

/// The leading characters of a list (as many as are small integers) and the rest.
fn leading_chars(mut t: Term) -> (Vec<u8>, Vec<Term>) {
    let mut chars = Vec::new();
    let mut cells = Vec::new();
    while t.is_list() {
        let head = obj::head(t);
        match head.as_small().and_then(|c| u8::try_from(c).ok()) {
            Some(c) if c.is_ascii() => {
                chars.push(c);
                cells.push(t);
            }
            _ => break,
        }
        t = obj::tail(t);
    }
    cells.push(t);
    (chars, cells)
}

fn digits(s: &[u8], i: usize) -> usize {
    s[i..].iter().take_while(|c| c.is_ascii_digit()).count()
}

/// `{Number, Rest}`, `{error, no_integer | no_float}` or `{error, not_a_list}`.
fn list_to_number(p: &mut Process, t: Term, float: bool) -> BifResult {
    let error = |p: &mut Process, r: &str| {
        Ok(obj::tuple(
            &mut p.heap,
            &[Term::atom(Atom::ERROR), Term::atom(Atom::intern(r))],
        ))
    };
    if !(t.is_list() || t.is_nil()) {
        return error(p, "not_a_list");
    }
    let (s, cells) = leading_chars(t);
    let sign = usize::from(matches!(s.first(), Some(b'+' | b'-')));
    let int = digits(&s, sign);
    let no = if float { "no_float" } else { "no_integer" };
    if int == 0 {
        return error(p, no);
    }
    let mut end = sign + int;
    let value = if float {
        if s.get(end) != Some(&b'.') || digits(&s, end + 1) == 0 {
            return error(p, no);
        }
        end += 1 + digits(&s, end + 1);
        if matches!(s.get(end), Some(b'e' | b'E')) {
            let esign = usize::from(matches!(s.get(end + 1), Some(b'+' | b'-')));
            let exp = digits(&s, end + 1 + esign);
            if exp > 0 {
                end += 1 + esign + exp;
            }
        }
        let text = std::str::from_utf8(&s[..end]).map_err(|_| BifError::BADARG)?;
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => obj::float(&mut p.heap, f),
            _ => return error(p, no),
        }
    } else {
        let text = std::str::from_utf8(&s[..end]).map_err(|_| BifError::BADARG)?;
        crate::util::parse_integer(p, text, 10)?
    };
    let rest = cells[end];
    Ok(obj::tuple(&mut p.heap, &[value, rest]))
}

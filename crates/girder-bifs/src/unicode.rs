//! The `unicode` module's native functions, for UTF-8 (`unicode`/`utf8`) and Latin-1 data.
//! Other encodings (UTF-16/32) raise `{girder_unsupported, Encoding}` until they are added.

use girder_runtime::bif::{BifError, BifResult};
use girder_runtime::{Class, Process};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;

pub const BIFS: &[Entry] = &[
    ("unicode", "characters_to_list", 1, |p, a| {
        to_list(p, a[0], Term::atom(Atom::intern("unicode")))
    }),
    ("unicode", "characters_to_list", 2, |p, a| {
        to_list(p, a[0], a[1])
    }),
    ("unicode", "characters_to_binary", 1, |p, a| {
        to_binary(p, a[0], Term::atom(Atom::intern("unicode")))
    }),
    ("unicode", "characters_to_binary", 2, |p, a| {
        to_binary(p, a[0], a[1])
    }),
    // Whether a binary is all ASCII (false for anything else, as in erts).
    ("unicode", "bin_is_7bit", 1, |_, a| {
        Ok(Term::boolean(
            obj::binary_bytes(a[0]).is_some_and(|b| b.is_ascii()),
        ))
    }),
];

#[derive(Clone, Copy, PartialEq)]
enum Enc {
    Utf8,
    Latin1,
}

fn encoding(p: &mut Process, t: Term) -> Result<Enc, BifError> {
    match t.as_atom().map(|a| a.name()) {
        Some("unicode" | "utf8") => Ok(Enc::Utf8),
        Some("latin1") => Ok(Enc::Latin1),
        Some(_) => {
            let tag = Term::atom(Atom::intern("girder_unsupported"));
            Err(BifError::Raise {
                class: Class::Error,
                reason: obj::tuple(&mut p.heap, &[tag, t]),
            })
        }
        None => Err(BifError::BADARG),
    }
}

/// Where decoding stopped before the end of the data.
enum Stop {
    /// Not chardata at all: `badarg`.
    Badarg,
    /// Invalid data; the rest, from the offending item, as OTP returns it.
    Error(Term),
    /// A binary at the very end stops inside a UTF-8 sequence; its unfinished bytes.
    Incomplete(Term),
}

/// Whether `bytes` could begin a valid UTF-8 sequence that was cut short.
fn utf8_prefix(bytes: &[u8]) -> bool {
    let need = match bytes.first() {
        Some(0xc2..=0xdf) => 2,
        Some(0xe0..=0xef) => 3,
        Some(0xf0..=0xf4) => 4,
        _ => return false,
    };
    bytes.len() < need && bytes[1..].iter().all(|b| (0x80..=0xbf).contains(b))
}

/// Decode a binary in `enc` into `out`; on invalid data, the byte offset where it starts.
fn decode(bytes: &[u8], enc: Enc, out: &mut Vec<u32>) -> Result<(), usize> {
    match enc {
        Enc::Latin1 => {
            out.extend(bytes.iter().map(|&b| u32::from(b)));
            Ok(())
        }
        Enc::Utf8 => match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.extend(s.chars().map(u32::from));
                Ok(())
            }
            Err(e) => {
                let good = e.valid_up_to();
                let s = std::str::from_utf8(&bytes[..good]).unwrap_or_default();
                out.extend(s.chars().map(u32::from));
                Err(good)
            }
        },
    }
}

/// Code points of chardata (nested lists of code points and binaries in `enc`) into
/// `out`; where and how it stopped, if it did not reach the end.
fn chars(p: &mut Process, t: Term, enc: Enc, out: &mut Vec<u32>) -> Result<(), Stop> {
    let valid = |c: i64| match enc {
        Enc::Latin1 => (0..=255).contains(&c),
        Enc::Utf8 => (0..=0x10ffff).contains(&c) && !(0xd800..=0xdfff).contains(&c),
    };
    // The rest of each enclosing list, outermost first.
    let mut tails: Vec<Term> = Vec::new();
    let mut cursor = t;
    loop {
        // A binary: the whole data, or the tail of a list.
        if obj::is_binary(cursor) {
            let bytes = obj::bits(cursor).to_vec();
            if let Err(at) = decode(&bytes, enc, out) {
                let rest = obj::binary_from_bytes(&mut p.heap, &bytes[at..]);
                if utf8_prefix(&bytes[at..]) && tails.iter().all(|t| t.is_nil()) {
                    return Err(Stop::Incomplete(rest));
                }
                return Err(Stop::Error(wrap(p, rest, &tails)));
            }
            cursor = Term::NIL;
        }
        if cursor.is_nil() {
            match tails.pop() {
                Some(t) => {
                    cursor = t;
                    continue;
                }
                None => return Ok(()),
            }
        }
        if !cursor.is_list() {
            return Err(Stop::Badarg);
        }
        let (h, tl) = (obj::head(cursor), obj::tail(cursor));
        if let Some(c) = h.as_small() {
            if !valid(c) {
                return Err(Stop::Error(wrap(p, cursor, &tails)));
            }
            out.push(c as u32);
            cursor = tl;
        } else if obj::is_binary(h) {
            let bytes = obj::bits(h).to_vec();
            if let Err(at) = decode(&bytes, enc, out) {
                let rest = obj::binary_from_bytes(&mut p.heap, &bytes[at..]);
                if utf8_prefix(&bytes[at..]) && tl.is_nil() && tails.iter().all(|t| t.is_nil()) {
                    return Err(Stop::Incomplete(rest));
                }
                let here = obj::cons(&mut p.heap, rest, tl);
                return Err(Stop::Error(wrap(p, here, &tails)));
            }
            cursor = tl;
        } else if h.is_list() || h.is_nil() {
            tails.push(tl);
            cursor = h;
        } else {
            return Err(Stop::Badarg);
        }
    }
}

/// The rest of the data from an offending item: `[Inner | Tail]` for each enclosing list.
fn wrap(p: &mut Process, inner: Term, tails: &[Term]) -> Term {
    tails
        .iter()
        .rev()
        .fold(inner, |r, &tail| obj::cons(&mut p.heap, r, tail))
}

/// `{error | incomplete, Converted, Rest}`, or `badarg`.
fn stopped(p: &mut Process, stop: Stop, converted: Term) -> BifResult {
    let (tag, rest) = match stop {
        Stop::Badarg => return Err(BifError::BADARG),
        Stop::Error(rest) => (Atom::ERROR, rest),
        Stop::Incomplete(rest) => (Atom::intern("incomplete"), rest),
    };
    Ok(obj::tuple(&mut p.heap, &[Term::atom(tag), converted, rest]))
}

fn char_list(p: &mut Process, cs: &[u32]) -> Term {
    let items: Vec<Term> = cs.iter().map(|&c| Term::small(i64::from(c))).collect();
    obj::list_from_slice(&mut p.heap, &items, Term::NIL)
}

/// Unicode character data as UTF-8 bytes, or `None` where `characters_to_binary/1` would
/// not return a binary.
pub(crate) fn chardata_utf8(p: &mut Process, t: Term) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    chars(p, t, Enc::Utf8, &mut out).ok()?;
    Some(
        out.iter()
            .copied()
            .filter_map(char::from_u32)
            .collect::<String>()
            .into_bytes(),
    )
}

fn utf8_binary(p: &mut Process, cs: &[u32]) -> Term {
    let s: String = cs.iter().copied().filter_map(char::from_u32).collect();
    obj::binary_from_bytes(&mut p.heap, s.as_bytes())
}

fn to_list(p: &mut Process, data: Term, enc: Term) -> BifResult {
    let enc = encoding(p, enc)?;
    let mut out = Vec::new();
    match chars(p, data, enc, &mut out) {
        Ok(()) => Ok(char_list(p, &out)),
        Err(stop) => {
            let converted = char_list(p, &out);
            stopped(p, stop, converted)
        }
    }
}

fn to_binary(p: &mut Process, data: Term, enc: Term) -> BifResult {
    let enc = encoding(p, enc)?;
    let mut out = Vec::new();
    match chars(p, data, enc, &mut out) {
        Ok(()) => Ok(utf8_binary(p, &out)),
        Err(stop) => {
            let converted = utf8_binary(p, &out);
            stopped(p, stop, converted)
        }
    }
}

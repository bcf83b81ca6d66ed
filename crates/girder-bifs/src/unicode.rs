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

/// Code points of chardata: nested lists of code points and binaries in `enc`.
/// `Err(())` for data that is not chardata or not valid in `enc`.
fn chars(t: Term, enc: Enc, out: &mut Vec<u32>) -> Result<(), ()> {
    let mut stack = vec![t];
    while let Some(t) = stack.pop() {
        if obj::is_binary(t) {
            let bytes = obj::bits(t).to_vec();
            match enc {
                Enc::Latin1 => out.extend(bytes.iter().map(|&b| u32::from(b))),
                Enc::Utf8 => out.extend(
                    std::str::from_utf8(&bytes)
                        .map_err(|_| ())?
                        .chars()
                        .map(u32::from),
                ),
            }
        } else if t.is_nil() {
        } else if t.is_list() {
            stack.push(obj::tail(t));
            let h = obj::head(t);
            match h.as_small() {
                Some(c) if (0..=0x10ffff).contains(&c) && !(0xd800..=0xdfff).contains(&c) => {
                    out.push(c as u32)
                }
                Some(_) => return Err(()),
                None => stack.push(h),
            }
        } else {
            return Err(());
        }
    }
    Ok(())
}

fn to_list(p: &mut Process, data: Term, enc: Term) -> BifResult {
    let enc = encoding(p, enc)?;
    let mut out = Vec::new();
    chars(data, enc, &mut out).map_err(|_| BifError::BADARG)?;
    let items: Vec<Term> = out.into_iter().map(|c| Term::small(i64::from(c))).collect();
    Ok(obj::list_from_slice(&mut p.heap, &items, Term::NIL))
}

fn to_binary(p: &mut Process, data: Term, enc: Term) -> BifResult {
    let enc = encoding(p, enc)?;
    let mut out = Vec::new();
    chars(data, enc, &mut out).map_err(|_| BifError::BADARG)?;
    let s: String = out.into_iter().filter_map(char::from_u32).collect();
    Ok(obj::binary_from_bytes(&mut p.heap, s.as_bytes()))
}

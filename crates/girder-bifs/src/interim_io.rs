//! INTERIM output path: `io:format/1,2,3`, `io:fwrite`, `io:put_chars`, `io:nl` and
//! `io:write` as BIFs writing straight to standard output.
//!
//! OTP's own `io` needs processes, a group leader and the I/O protocol (issues 5 and 6);
//! until then this stands in for it. It supports the control sequences `~p ~w ~s ~n ~c ~b
//! ~~` (and their `t` forms) without field widths, and `~p` prints on one line (OTP breaks
//! lines past 80 columns). Anything else raises `error:{girder_interim_io, Directive}`
//! rather than printing something OTP would not.

use std::io::Write;

use girder_format::Term as FTerm;
use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;
use crate::util::list_arg;

pub const BIFS: &[Entry] = &[
    ("io", "format", 1, |p, a| format(p, a[0], Term::NIL)),
    ("io", "format", 2, |p, a| format(p, a[0], a[1])),
    ("io", "format", 3, |p, a| format(p, a[1], a[2])),
    ("io", "fwrite", 1, |p, a| format(p, a[0], Term::NIL)),
    ("io", "fwrite", 2, |p, a| format(p, a[0], a[1])),
    ("io", "put_chars", 1, put_chars),
    ("io", "nl", 0, |_, _| emit(b"\n")),
    ("io", "write", 1, |_, a| emit(write_term(a[0]).as_bytes())),
];

fn emit(bytes: &[u8]) -> BifResult {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes);
    Ok(Term::atom(Atom::OK))
}

/// The characters of an iolist/chardata term (lists of chars and binaries, nested).
fn chardata(t: Term, out: &mut String) -> Result<(), BifError> {
    if let Some(b) = obj::binary_bytes(t) {
        out.push_str(std::str::from_utf8(b).map_err(|_| BifError::BADARG)?);
        return Ok(());
    }
    if let Some(a) = t.as_atom() {
        out.push_str(a.name());
        return Ok(());
    }
    for item in list_arg(t)? {
        match item.as_small() {
            Some(c) => out.push(
                u32::try_from(c)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or(BifError::BADARG)?,
            ),
            None => chardata(item, out)?,
        }
    }
    Ok(())
}

fn put_chars(_: &mut Process, a: &[Term]) -> BifResult {
    let mut s = String::new();
    chardata(a[0], &mut s)?;
    emit(s.as_bytes())
}

fn unsupported(p: &mut Process, what: &str) -> BifError {
    let tag = Term::atom(Atom::intern("girder_interim_io"));
    let what = crate::util::charlist(p, what);
    BifError::Raise {
        class: girder_runtime::Class::Error,
        reason: obj::tuple(&mut p.heap, &[tag, what]),
    }
}

fn format(p: &mut Process, fmt: Term, args: Term) -> BifResult {
    let mut f = String::new();
    chardata(fmt, &mut f)?;
    let args = list_arg(args)?;
    let mut args = args.into_iter();
    let mut out = String::new();
    let mut chars = f.chars();
    while let Some(c) = chars.next() {
        if c != '~' {
            out.push(c);
            continue;
        }
        let mut d = chars.next().ok_or(BifError::BADARG)?;
        if d == 't' || d == 'l' {
            d = chars.next().ok_or(BifError::BADARG)?;
        }
        match d {
            'n' => out.push('\n'),
            '~' => out.push('~'),
            'p' | 'w' | 's' | 'c' | 'b' => {
                let arg = args.next().ok_or(BifError::BADARG)?;
                match d {
                    'p' => out.push_str(&print_term(arg)),
                    'w' => out.push_str(&write_term(arg)),
                    's' => chardata(arg, &mut out)?,
                    'c' => out.push(
                        arg.as_small()
                            .and_then(|n| u32::try_from(n).ok())
                            .and_then(char::from_u32)
                            .ok_or(BifError::BADARG)?,
                    ),
                    _ => {
                        if !obj::is_integer(arg) {
                            return Err(BifError::BADARG);
                        }
                        out.push_str(&obj::big_value(arg).to_string())
                    }
                }
            }
            other => return Err(unsupported(p, &format!("~{other}"))),
        }
    }
    if args.next().is_some() {
        return Err(BifError::BADARG);
    }
    emit(out.as_bytes())
}

/// `~w`.
fn write_term(t: Term) -> String {
    girder_term::convert::display(t)
}

/// `~p` on one line: `~w`, except that printable lists print as strings and printable
/// binaries as `<<"...">>`.
fn print_term(t: Term) -> String {
    let mut out = String::new();
    pretty(&girder_term::convert::to_format(t), &mut out, 0, " => ");
    out
}

/// The runtime's own printing, as erts uses in crash reports: like `~p` on one line, with
/// map pairs as `K=>V`.
pub fn display_term(t: Term) -> String {
    let mut out = String::new();
    pretty(&girder_term::convert::to_format(t), &mut out, 0, "=>");
    out
}

fn printable_char(c: i64) -> bool {
    matches!(c, 32..=126 | 160..=255 | 8..=13 | 27)
}

fn printable_list(items: &[FTerm], tail: &FTerm) -> bool {
    matches!(tail, FTerm::Nil)
        && items
            .iter()
            .all(|i| matches!(i, FTerm::Int(c) if printable_char(*c)))
}

fn push_string(chars: impl Iterator<Item = char>, out: &mut String) {
    out.push('"');
    for c in chars {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{1b}' => out.push_str("\\e"),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn pretty(t: &FTerm, out: &mut String, depth: usize, arrow: &str) {
    if depth > 500 {
        out.push_str(&t.to_string());
        return;
    }
    match t {
        FTerm::List(items, tail) if printable_list(items, tail) => push_string(
            items.iter().map(|i| match i {
                FTerm::Int(c) => char::from_u32(*c as u32).unwrap_or('?'),
                _ => '?',
            }),
            out,
        ),
        FTerm::List(items, tail) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                pretty(item, out, depth + 1, arrow);
            }
            if !matches!(**tail, FTerm::Nil) {
                out.push('|');
                pretty(tail, out, depth + 1, arrow);
            }
            out.push(']');
        }
        FTerm::Tuple(items) => {
            out.push('{');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                pretty(item, out, depth + 1, arrow);
            }
            out.push('}');
        }
        FTerm::Map(pairs) => {
            out.push_str("#{");
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                pretty(k, out, depth + 1, arrow);
                out.push_str(arrow);
                pretty(v, out, depth + 1, arrow);
            }
            out.push('}');
        }
        FTerm::Binary(bytes)
            if !bytes.is_empty() && bytes.iter().all(|b| printable_char(i64::from(*b))) =>
        {
            out.push_str("<<");
            push_string(bytes.iter().map(|b| char::from(*b)), out);
            out.push_str(">>");
        }
        other => out.push_str(&other.to_string()),
    }
}

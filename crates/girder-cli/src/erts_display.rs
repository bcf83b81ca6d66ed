//! The runtime's own printing of terms, as erts writes them in its crash reports
//! (`init terminating in do_boot`) and `girder run` prints results: like `~p` on one line,
//! with printable lists as strings and map pairs as `K=>V`. (Program output goes through
//! OTP's `io`; this is only for what the VM itself reports.)

use girder_format::Term as FTerm;
use girder_term::Term;

/// The runtime's own printing, as erts uses in crash reports: like `~p` on one line, with
/// map pairs as `K=>V`.
pub fn display_term(t: Term) -> String {
    let mut out = String::new();
    pretty(&girder_term::convert::to_format(t), &mut out, 0);
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

fn pretty(t: &FTerm, out: &mut String, depth: usize) {
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
                pretty(item, out, depth + 1);
            }
            if !matches!(**tail, FTerm::Nil) {
                out.push('|');
                pretty(tail, out, depth + 1);
            }
            out.push(']');
        }
        FTerm::Tuple(items) => {
            out.push('{');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                pretty(item, out, depth + 1);
            }
            out.push('}');
        }
        FTerm::Map(pairs) => {
            out.push_str("#{");
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                pretty(k, out, depth + 1);
                out.push_str("=>");
                pretty(v, out, depth + 1);
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
        FTerm::Float(f) => out.push_str(&float_text(*f, 6)),
        FTerm::Atom(a) => out.push_str(&girder_bifs::display::atom_text(a)),
        other => out.push_str(&other.to_string()),
    }
}

/// A term as erl's init writes it into the slogan of a halt (`init:to_string/2`), as in
/// `init terminating in do_boot (...)` on standard error: nesting beyond depth 3 shows as
/// `[_]` or `{_}`, printable lists print as their text, atoms unquoted, and binaries, maps,
/// references and funs as nothing.
pub fn slogan_term(t: Term) -> String {
    slogan(&girder_term::convert::to_format(t), 0)
}

fn slogan(t: &FTerm, depth: u32) -> String {
    match t {
        FTerm::Nil if depth < 4 => "[]".to_owned(),
        FTerm::Nil => "[_]".to_owned(),
        FTerm::List(items, _) if depth < 4 => {
            let mut flat = Vec::new();
            let printable = flatten(t, &mut flat)
                && !flat.is_empty()
                && flat.iter().all(|&c| matches!(c, 32..=126 | 10 | 13 | 9));
            if printable {
                flat.iter().map(|&c| char::from(c as u8)).collect()
            } else {
                let parts: Vec<String> = items.iter().map(|e| slogan(e, depth + 1)).collect();
                format!("[{}]", parts.join(","))
            }
        }
        FTerm::List(..) => "[_]".to_owned(),
        FTerm::Atom(a) => a.clone(),
        FTerm::Int(n) => n.to_string(),
        FTerm::Big(n) => n.to_string(),
        FTerm::Float(f) => float_text(*f, 20),
        FTerm::Pid { id, serial, .. } => format!("<0.{id}.{serial}>"),
        FTerm::Tuple(items) if depth < 4 => {
            let parts: Vec<String> = items.iter().map(|e| slogan(e, depth + 1)).collect();
            format!("{{{}}}", parts.join(","))
        }
        FTerm::Tuple(_) => "{_}".to_owned(),
        _ => String::new(),
    }
}

/// Flatten a deep list into integers; false if it holds anything else (init's
/// `printable_list/1` then fails).
fn flatten(t: &FTerm, out: &mut Vec<i64>) -> bool {
    match t {
        FTerm::Nil => true,
        FTerm::List(items, tail) => {
            for i in items {
                match i {
                    FTerm::Int(c) => out.push(*c),
                    FTerm::Nil | FTerm::List(..) => {
                        if !flatten(i, out) {
                            return false;
                        }
                    }
                    _ => return false,
                }
            }
            matches!(**tail, FTerm::Nil)
        }
        _ => false,
    }
}

/// C's `%.Ne`: `digits` digits after the point, a signed exponent of two digits at least
/// (erts displays floats with 6, `float_to_list/1` gives 20).
fn float_text(f: f64, digits: usize) -> String {
    let s = format!("{f:.digits$e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

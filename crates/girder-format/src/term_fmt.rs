//! Printing terms as Erlang text, the way `io_lib:write/1` (`~w`) does.
//!
//! [`Term`]'s `Display` follows OTP 25's `~w` output exactly for the terms a non-distributed
//! node writes, with these documented differences:
//!
//! * Map pairs are printed in the order the term stores them. `~w` prints them in
//!   `maps:iterator/1` order. For maps of up to 32 keys that is sorted key order, which is
//!   also the order `term_to_binary/1` writes, so decoded maps print the same; for larger
//!   maps OTP's iterator order is the reverse of the order `term_to_binary/1` writes.
//! * Pids, ports and references of the local node `nonode@nohost` print as OTP prints local
//!   ones (`<0.85.0>`, `#Port<0.5>`, `#Ref<0.1.2.3>`). Those of another node print with the
//!   node's channel number as erts does, the index of the node name in the runtime's atom
//!   table (`<8606.85.0>`; the runtime tells it through [`set_node_channel`]); without a
//!   runtime (tools printing a decoded term) they print the node's name: `<'a@b'.85.0>`.
//! * Funs print as `erlang:fun_to_list/1` does (`#Fun<Module.OldIndex.OldUniq>`,
//!   `fun M:F/A`), with the runtime's own atom quoting (reserved words unquoted, `@` quoted,
//!   ESC as `\033`), except that characters beyond ASCII print as themselves where OTP emits
//!   their UTF-8 bytes as separate Latin-1 characters.
//! * Atoms are quoted by OTP 25's rules: `maybe` and `else` are only reserved words when the
//!   `maybe_expr` feature is enabled (the default from OTP 27), so they print unquoted.
//!
//! Printing never recurses, so no term is too deep to print.

use std::fmt::{self, Write};

use num_bigint::BigInt;

use crate::etf::{is_local_node, list_segments};
use crate::term::Term;

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_term(f, self)
    }
}

/// Work left for the printer, innermost last.
enum Work<'a> {
    Term(&'a Term),
    Text(&'static str),
    /// Elements to print, each but the first preceded by a comma (unless `comma`, when the
    /// first one is too).
    Items {
        items: &'a [Term],
        comma: bool,
    },
    /// Map pairs to print in the same way.
    Pairs {
        pairs: &'a [(Term, Term)],
        comma: bool,
    },
    /// A list's tail: nothing for `[]`, else `|` and the tail.
    Tail(&'a Term),
}

/// Writes `term` as `~w` would.
pub fn write_term(out: &mut impl Write, term: &Term) -> fmt::Result {
    write_term_styled(out, term, " => ")
}

/// Writes `term` as the runtime's own printer (`erlang:display/1`, crash reports) does:
/// like `~w`, but map pairs as `K=>V`.
pub fn write_term_display(out: &mut impl Write, term: &Term) -> fmt::Result {
    write_term_styled(out, term, "=>")
}

fn write_term_styled(out: &mut impl Write, term: &Term, arrow: &'static str) -> fmt::Result {
    let mut work = vec![Work::Term(term)];
    while let Some(item) = work.pop() {
        let term = match item {
            Work::Term(term) => term,
            Work::Text(s) => {
                out.write_str(s)?;
                continue;
            }
            Work::Items { items, comma } => {
                if let Some((first, rest)) = items.split_first() {
                    if !rest.is_empty() {
                        work.push(Work::Items {
                            items: rest,
                            comma: true,
                        });
                    }
                    work.push(Work::Term(first));
                    if comma {
                        out.write_char(',')?;
                    }
                }
                continue;
            }
            Work::Pairs { pairs, comma } => {
                if let Some(((k, v), rest)) = pairs.split_first() {
                    if !rest.is_empty() {
                        work.push(Work::Pairs {
                            pairs: rest,
                            comma: true,
                        });
                    }
                    work.push(Work::Term(v));
                    work.push(Work::Text(arrow));
                    work.push(Work::Term(k));
                    if comma {
                        out.write_char(',')?;
                    }
                }
                continue;
            }
            Work::Tail(tail) => {
                if !matches!(tail, Term::Nil) {
                    out.write_char('|')?;
                    work.push(Work::Term(tail));
                }
                continue;
            }
        };
        match term {
            Term::Int(n) => write!(out, "{n}")?,
            Term::Big(n) => write!(out, "{n}")?,
            Term::Float(x) => out.write_str(&format_float(*x))?,
            Term::Atom(name) => write_atom(out, name)?,
            Term::Nil => out.write_str("[]")?,
            Term::Tuple(items) => {
                out.write_char('{')?;
                work.push(Work::Text("}"));
                work.push(Work::Items {
                    items,
                    comma: false,
                });
            }
            Term::List(..) => {
                let (segments, tail) = list_segments(term);
                if segments.is_empty() {
                    work.push(Work::Term(tail));
                    continue;
                }
                out.write_char('[')?;
                work.push(Work::Text("]"));
                work.push(Work::Tail(tail));
                for (i, items) in segments.into_iter().enumerate().rev() {
                    work.push(Work::Items {
                        items,
                        comma: i > 0,
                    });
                }
            }
            Term::Map(pairs) => {
                out.write_str("#{")?;
                work.push(Work::Text("}"));
                work.push(Work::Pairs {
                    pairs,
                    comma: false,
                });
            }
            Term::Binary(bytes) => write_bits(out, bytes, 0)?,
            Term::Bitstring { bytes, bits } => write_bits(out, bytes, *bits)?,
            Term::Pid {
                node, id, serial, ..
            } => {
                out.write_char('<')?;
                write_node(out, node)?;
                write!(out, ".{id}.{serial}>")?;
            }
            Term::Port { node, id, .. } => {
                out.write_str("#Port<")?;
                write_node(out, node)?;
                write!(out, ".{id}>")?;
            }
            Term::Reference { node, ids, .. } => {
                out.write_str("#Ref<")?;
                write_node(out, node)?;
                for id in ids.iter().rev() {
                    write!(out, ".{id}")?;
                }
                out.write_char('>')?;
            }
            Term::Fun(fun) => {
                out.write_str("#Fun<")?;
                write_runtime_atom(out, &fun.module)?;
                out.write_char('.')?;
                work.push(Work::Text(">"));
                work.push(Work::Term(&fun.old_uniq));
                work.push(Work::Text("."));
                work.push(Work::Term(&fun.old_index));
            }
            Term::Export {
                module,
                function,
                arity,
            } => {
                out.write_str("fun ")?;
                write_runtime_atom(out, module)?;
                out.write_char(':')?;
                write_runtime_atom(out, function)?;
                write!(out, "/{arity}")?;
            }
        }
    }
    Ok(())
}

/// `<<1,2,3>>`, or with `bits` (1..=7) in the last byte `<<1,2:3>>`.
fn write_bits(out: &mut impl Write, bytes: &[u8], bits: u8) -> fmt::Result {
    out.write_str("<<")?;
    let (whole, last) = match (bits, bytes.split_last()) {
        (1..=7, Some((last, whole))) => (whole, Some(last >> (8 - bits))),
        _ => (bytes, None),
    };
    for (i, b) in whole.iter().enumerate() {
        if i > 0 {
            out.write_char(',')?;
        }
        write!(out, "{b}")?;
    }
    if let Some(last) = last {
        if !whole.is_empty() {
            out.write_char(',')?;
        }
        write!(out, "{last}:{bits}")?;
    }
    out.write_str(">>")
}

/// The node part of a pid, port or reference: `0` for the local node, else its name.
/// How the runtime numbers the nodes in printed identifiers (see [`set_node_channel`]).
static NODE_CHANNEL: std::sync::OnceLock<fn(&str) -> Option<u32>> = std::sync::OnceLock::new();

/// Tell the printer the channel number of another node's identifiers, as erts prints them
/// (`<Channel.Id.Serial>`): the index of the node's name in the runtime's atom table.
pub fn set_node_channel(channel: fn(&str) -> Option<u32>) {
    let _ = NODE_CHANNEL.set(channel);
}

fn write_node(out: &mut impl Write, node: &str) -> fmt::Result {
    if is_local_node(node) {
        out.write_char('0')
    } else if let Some(n) = NODE_CHANNEL.get().and_then(|f| f(node)) {
        write!(out, "{n}")
    } else {
        write_runtime_atom(out, node)
    }
}

/// Words that `io_lib` quotes when they are atoms.
const RESERVED: &[&str] = &[
    "after", "and", "andalso", "band", "begin", "bnot", "bor", "bsl", "bsr", "bxor", "case",
    "catch", "cond", "div", "end", "fun", "if", "let", "not", "of", "or", "orelse", "receive",
    "rem", "try", "when", "xor",
];

/// A lower-case letter that may start an unquoted atom: ASCII or Latin-1.
fn starts_atom(c: char) -> bool {
    c.is_ascii_lowercase() || (('\u{df}'..='\u{ff}').contains(&c) && c != '\u{f7}')
}

/// A character that may continue an unquoted atom, `@` aside.
fn continues_atom(c: char) -> bool {
    starts_atom(c)
        || c.is_ascii_uppercase()
        || c.is_ascii_digit()
        || c == '_'
        || (('\u{c0}'..='\u{de}').contains(&c) && c != '\u{d7}')
}

/// Whether `io_lib:write_atom/1` quotes this atom.
pub fn atom_needs_quotes(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if starts_atom(c) => {
            !chars.all(|c| continues_atom(c) || c == '@') || RESERVED.contains(&name)
        }
        _ => true,
    }
}

/// Writes an atom as `~w` does: quoted when needed, with control characters escaped and
/// characters beyond Latin-1 written as `\x{HEX}`.
pub fn write_atom(out: &mut impl Write, name: &str) -> fmt::Result {
    if !atom_needs_quotes(name) {
        return out.write_str(name);
    }
    out.write_char('\'')?;
    for c in name.chars() {
        match c {
            '\'' => out.write_str("\\'")?,
            '\\' => out.write_str("\\\\")?,
            ' '..='~' | '\u{a0}'..='\u{ff}' => out.write_char(c)?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            '\u{0b}' => out.write_str("\\v")?,
            '\u{08}' => out.write_str("\\b")?,
            '\u{0c}' => out.write_str("\\f")?,
            '\u{1b}' => out.write_str("\\e")?,
            '\u{7f}' => out.write_str("\\d")?,
            '\0'..='\u{9f}' => write!(out, "\\{:03o}", u32::from(c))?,
            _ => write!(out, "\\x{{{:X}}}", u32::from(c))?,
        }
    }
    out.write_char('\'')
}

/// Writes an atom as the runtime's own printer does (in `fun_to_list/1` and for node names):
/// no reserved words, `@` needs quotes, and only ASCII control characters, `'`, `\` and
/// U+0080..U+009F are escaped.
fn write_runtime_atom(out: &mut impl Write, name: &str) -> fmt::Result {
    let mut chars = name.chars();
    let plain = chars.next().is_some_and(starts_atom) && chars.all(continues_atom);
    if plain {
        return out.write_str(name);
    }
    out.write_char('\'')?;
    for c in name.chars() {
        match c {
            '\'' => out.write_str("\\'")?,
            '\\' => out.write_str("\\\\")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            '\u{0b}' => out.write_str("\\v")?,
            '\u{08}' => out.write_str("\\b")?,
            '\u{0c}' => out.write_str("\\f")?,
            '\0'..='\u{1f}' | '\u{80}'..='\u{9f}' => write!(out, "\\{:03o}", u32::from(c))?,
            _ => out.write_char(c)?,
        }
    }
    out.write_char('\'')
}

/// Formats a finite float as `~w` (`float_to_list(F, [short])`) does: the shortest digits that
/// read back as the same float, written plainly (`0.001`, `12345.678`, `100.0`) or with an
/// exponent (`1.0e-5`, `1.0e3`, `1.2345678901234568e17`), whichever is shorter, plain on a
/// tie. Whole numbers of 2^53 or more always get an exponent.
pub fn format_float(x: f64) -> String {
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    if !x.is_finite() {
        return format!("{x}");
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "-1.2345e-7".
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = nearest_digits(x.abs(), digits, exp);
    let len = digits.len() as i32;

    // With an exponent: d.ddd or d.0, then "e" and the exponent.
    let frac = if len > 1 { &digits[1..] } else { "0" };
    let exp_form = format!("{}.{}e{}", &digits[..1], frac, exp);
    let plain = if exp >= len - 1 {
        // A whole number: the digits, zeros, ".0".
        let zeros = (exp - (len - 1)) as usize;
        (x.abs() < 9_007_199_254_740_992.0).then(|| format!("{digits}{}.0", "0".repeat(zeros)))
    } else if exp >= 0 {
        let point = (exp + 1) as usize;
        Some(format!("{}.{}", &digits[..point], &digits[point..]))
    } else {
        Some(format!("0.{}{digits}", "0".repeat((-exp - 1) as usize)))
    };
    let body = match plain {
        Some(p) if p.len() <= exp_form.len() => p,
        _ => exp_form,
    };
    if x < 0.0 { format!("-{body}") } else { body }
}

/// Among the shortest digit strings that read back as `x` (positive), the one nearest to
/// `x`'s exact value, and on a tie the one ending in an even digit, as OTP's printer chooses.
/// `digits` is one shortest string (Rust's), with the first digit at power `exp` of ten; the
/// others differ from it by one unit in the last place.
fn nearest_digits(x: f64, digits: String, exp: i32) -> String {
    let Ok(d) = digits.parse::<u64>() else {
        return digits;
    };
    let k = exp - (digits.len() as i32 - 1);
    // x = m * 2^q exactly.
    let bits = x.to_bits();
    let (field, frac) = ((bits >> 52) as i32, bits & ((1 << 52) - 1));
    let (m, q) = if field == 0 {
        (frac, -1074)
    } else {
        (frac | (1 << 52), field - 1075)
    };
    // Distances |a * 10^k - m * 2^q|, all scaled by 10^max(-k,0) * 2^max(-q,0).
    let ten = |n: i32| BigInt::from(10u32).pow(n.max(0) as u32);
    let two = |n: i32| BigInt::from(1u32) << n.max(0) as usize;
    let exact = BigInt::from(m) * two(q) * ten(-k);
    let distance = |a: u64| {
        (BigInt::from(a) * ten(k) * two(-q) - &exact)
            .magnitude()
            .clone()
    };
    let mut best = (d, distance(d));
    for alt in [d.wrapping_sub(1), d.wrapping_add(1)] {
        if alt.to_string().len() != digits.len() || format!("{alt}e{k}").parse() != Ok(x) {
            continue;
        }
        let dist = distance(alt);
        if dist < best.1 || (dist == best.1 && alt % 2 == 0) {
            best = (alt, dist);
        }
    }
    if best.0 == d {
        return digits;
    }
    best.0.to_string().trim_end_matches('0').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::term::Fun;

    fn show(t: Term) -> String {
        t.to_string()
    }

    #[test]
    fn floats() {
        let cases = [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1.0e10, "1.0e10"),
            (-0.0, "-0.0"),
            (1.0e-5, "1.0e-5"),
            (100.0, "100.0"),
            (1000.0, "1.0e3"),
            (12345678.0, "12345678.0"),
            (1.234e7, "1.234e7"),
            (0.0001, "0.0001"),
            (1.2e-4, "1.2e-4"),
            (12345.678, "12345.678"),
            (9007199254740992.0, "9.007199254740992e15"),
            (9007199254740990.0, "9007199254740990.0"),
            (123456789012345680.0, "1.2345678901234568e17"),
            (5.0e-324, "5.0e-324"),
            (2.2250738585072014e-308, "2.2250738585072014e-308"),
            (-1.5, "-1.5"),
            (722648281197598.0 + 0.25, "722648281197598.2"),
            (700702367755079.0 + 0.25, "700702367755079.2"),
        ];
        for (x, s) in cases {
            assert_eq!(format_float(x), s, "{x:e}");
        }
    }

    #[test]
    fn atoms() {
        let cases = [
            ("hello", "hello"),
            ("hello world", "'hello world'"),
            ("Foo", "'Foo'"),
            ("", "''"),
            ("end", "'end'"),
            ("maybe", "maybe"),
            ("a@b", "a@b"),
            ("_x", "'_x'"),
            ("é", "é"),
            ("Ä", "'Ä'"),
            ("a÷", "'a÷'"),
            ("it's", "'it\\'s'"),
            ("\n\u{1b}\u{7f}\u{1}\u{85}", "'\\n\\e\\d\\001\\205'"),
            ("\u{65e5}", "'\\x{65E5}'"),
        ];
        for (name, s) in cases {
            assert_eq!(show(Term::atom(name)), s);
        }
    }

    #[test]
    fn compound() {
        let l = Term::List(
            vec![Term::Int(1), Term::atom("b")],
            Box::new(Term::atom("c")),
        );
        assert_eq!(show(l), "[1,b|c]");
        let t = Term::Tuple(vec![
            Term::Tuple(vec![]),
            Term::Nil,
            Term::list(vec![Term::Int(1)]),
        ]);
        assert_eq!(show(t), "{{},[],[1]}");
        let m = Term::Map(vec![
            (Term::atom("a"), Term::Int(1)),
            (Term::Int(2), Term::Map(vec![])),
        ]);
        assert_eq!(show(m), "#{a => 1,2 => #{}}");
        assert_eq!(show(Term::Binary(vec![])), "<<>>");
        assert_eq!(show(Term::Binary(vec![1, 2, 3])), "<<1,2,3>>");
        assert_eq!(
            show(Term::Bitstring {
                bytes: vec![1, 64],
                bits: 3
            }),
            "<<1,2:3>>"
        );
        assert_eq!(
            show(Term::Bitstring {
                bytes: vec![128],
                bits: 1
            }),
            "<<1:1>>"
        );
    }

    #[test]
    fn identifiers() {
        let local = "nonode@nohost".to_string();
        let pid = Term::Pid {
            node: local.clone(),
            id: 85,
            serial: 0,
            creation: 0,
        };
        assert_eq!(show(pid.clone()), "<0.85.0>");
        assert_eq!(
            show(Term::Pid {
                node: "a@b".into(),
                id: 1,
                serial: 2,
                creation: 3
            }),
            "<'a@b'.1.2>"
        );
        assert_eq!(
            show(Term::Port {
                node: local.clone(),
                id: 5,
                creation: 0
            }),
            "#Port<0.5>"
        );
        let r = Term::Reference {
            node: local,
            creation: 0,
            ids: vec![3, 2, 1],
        };
        assert_eq!(show(r), "#Ref<0.1.2.3>");
        let e = Term::Export {
            module: "lists".into(),
            function: "map".into(),
            arity: 2,
        };
        assert_eq!(show(e), "fun lists:map/2");
        let e = Term::Export {
            module: "Foo".into(),
            function: "end".into(),
            arity: 0,
        };
        assert_eq!(show(e), "fun 'Foo':end/0");
        let f = Term::Fun(Box::new(Fun {
            arity: 1,
            uniq: [0; 16],
            index: 1,
            module: "x".into(),
            old_index: Box::new(Term::Int(1)),
            old_uniq: Box::new(Term::Int(46976464)),
            pid: Box::new(pid),
            free: vec![],
        }));
        assert_eq!(show(f), "#Fun<x.1.46976464>");
    }

    #[test]
    fn deep_terms_print() {
        let mut t = Term::Nil;
        for _ in 0..100_000 {
            t = Term::Tuple(vec![t]);
        }
        let s = show_ref(&t);
        assert_eq!(s.len(), 200_002);
        // Take it apart without deep recursion.
        while let Term::Tuple(mut items) = t {
            t = items.pop().unwrap_or(Term::Nil);
        }
    }

    fn show_ref(t: &Term) -> String {
        let mut s = String::new();
        write_term(&mut s, t).unwrap();
        s
    }
}

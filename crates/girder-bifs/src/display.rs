//! `erlang:display/1`: a term written as erts' own printer writes it (not `io_lib`'s):
//! floats as C's `%.6e`, map pairs as `K=>V` without spaces, a list as a string only when
//! every element is a tab, newline, carriage return or a Latin-1 printable character (written
//! as one byte each; only `"` and newline escaped), a binary as a string only when every
//! byte is printable ASCII, atoms quoted by erts' rules (an `@` needs quotes, reserved
//! words do not) with control characters in octal and characters from 160 on in UTF-8.
//! A map of more than 32 keys shows its hash trie, as erts writes it (`#<Bitmap>{...}`);
//! its shape is OTP's except where atoms or pids are hashed (see ARCHITECTURE.md, "Maps").

use girder_term::Term;
use girder_term::object as obj;

/// The bytes `erlang:display/1` writes for `t` (without the line end).
pub fn erts_display(t: Term) -> Vec<u8> {
    let mut out = Vec::new();
    write(t, &mut out);
    out
}

fn write(t: Term, out: &mut Vec<u8>) {
    if let Some(a) = t.as_atom() {
        atom(a.name(), out);
    } else if obj::is_float(t) {
        out.extend_from_slice(float(obj::float_value(t)).as_bytes());
    } else if t.is_nil() {
        out.extend_from_slice(b"[]");
    } else if t.is_list() {
        list(t, out);
    } else if obj::is_tuple(t) {
        out.push(b'{');
        for (i, e) in obj::tuple_elements(t).iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write(*e, out);
        }
        out.push(b'}');
    } else if obj::is_map(t) && !obj::is_flatmap(t) {
        out.push(b'#');
        trie(t, out);
    } else if obj::is_map(t) {
        out.extend_from_slice(b"#{");
        for (i, (k, v)) in obj::map_pairs(t).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write(k, out);
            out.extend_from_slice(b"=>");
            write(v, out);
        }
        out.push(b'}');
    } else if obj::is_bitstring(t) {
        bitstring(t, out);
    } else {
        // Integers, pids, ports, references and funs print as everywhere else.
        out.extend_from_slice(girder_term::convert::display(t).as_bytes());
    }
}

/// A hash-trie node as erts writes it: `<Bitmap>{Child,...}`, a leaf as `[K|V]`.
fn trie(t: Term, out: &mut Vec<u8>) {
    let Some((bitmap, children)) = obj::trie_node(t) else {
        return;
    };
    out.extend_from_slice(format!("<{:x}>{{", bitmap as u64 & 0xffff_ffff).as_bytes());
    for (i, c) in children.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if c.is_list() {
            out.push(b'[');
            write(obj::head(*c), out);
            out.push(b'|');
            write(obj::tail(*c), out);
            out.push(b']');
        } else {
            trie(*c, out);
        }
    }
    out.push(b'}');
}

/// C's `%.6e`: six decimals, an exponent of at least two digits with its sign.
fn float(f: f64) -> String {
    let s = format!("{f:.6e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let (sign, digits) = match exp.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', exp),
    };
    format!("{mantissa}e{sign}{digits:0>2}")
}

fn string_char(c: i64) -> bool {
    matches!(c, 9 | 10 | 13 | 32..=126 | 160..=255)
}

fn list(t: Term, out: &mut Vec<u8>) {
    let mut items = Vec::new();
    let mut cur = t;
    while cur.is_list() {
        items.push(obj::head(cur));
        cur = obj::tail(cur);
    }
    if cur.is_nil() && items.iter().all(|i| i.as_small().is_some_and(string_char)) {
        out.push(b'"');
        for i in items {
            match i.as_small().unwrap_or(0) as u8 {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\n' => out.extend_from_slice(b"\\n"),
                c => out.push(c),
            }
        }
        out.push(b'"');
        return;
    }
    out.push(b'[');
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write(*e, out);
    }
    if !cur.is_nil() {
        out.push(b'|');
        write(cur, out);
    }
    out.push(b']');
}

fn bitstring(t: Term, out: &mut Vec<u8>) {
    let bits = obj::bits(t);
    let whole = bits.size / 8;
    let rest = bits.size % 8;
    let bytes = bits.to_vec();
    out.extend_from_slice(b"<<");
    if rest == 0 && whole > 0 && bytes.iter().all(|b| (32..=126).contains(b)) {
        out.push(b'"');
        for &b in &bytes {
            if b == b'"' {
                out.push(b'\\');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        for (i, b) in bytes[..whole].iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b.to_string().as_bytes());
        }
        if rest > 0 {
            if whole > 0 {
                out.push(b',');
            }
            let last = bytes[whole] >> (8 - rest);
            out.extend_from_slice(format!("{last}:{rest}").as_bytes());
        }
    }
    out.extend_from_slice(b">>");
}

/// An atom's name as erts writes it, quoted when needed.
pub fn atom_text(name: &str) -> String {
    let mut out = Vec::new();
    atom(name, &mut out);
    // Only UTF-8 sequences, escapes and ASCII are written.
    String::from_utf8_lossy(&out).into_owned()
}

fn atom(name: &str, out: &mut Vec<u8>) {
    let mut chars = name.chars();
    let lower =
        |c: char| c.is_ascii_lowercase() || matches!(c as u32, 223..=255 if c as u32 != 247);
    let letter = |c: char| {
        c.is_ascii_alphanumeric()
            || c == '_'
            || matches!(c as u32, 192..=255 if c as u32 != 215 && c as u32 != 247)
    };
    let bare = chars.next().is_some_and(lower) && chars.all(letter);
    if bare {
        out.extend_from_slice(name.as_bytes());
        return;
    }
    out.push(b'\'');
    for c in name.chars() {
        match c as u32 {
            0x27 => out.extend_from_slice(b"\\'"),
            0x5c => out.extend_from_slice(b"\\\\"),
            8 => out.extend_from_slice(b"\\b"),
            9 => out.extend_from_slice(b"\\t"),
            10 => out.extend_from_slice(b"\\n"),
            11 => out.extend_from_slice(b"\\v"),
            12 => out.extend_from_slice(b"\\f"),
            13 => out.extend_from_slice(b"\\r"),
            n @ (0..=31 | 128..=159) => out.extend_from_slice(format!("\\{n:03o}").as_bytes()),
            _ => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'\'');
}

#[cfg(test)]
mod tests {
    use super::float;

    #[test]
    fn floats_as_c_prints_them() {
        assert_eq!(float(3.5), "3.500000e+00");
        assert_eq!(float(1.0e100), "1.000000e+100");
        assert_eq!(float(-0.0), "-0.000000e+00");
        assert_eq!(float(5.0e-324), "4.940656e-324");
        assert_eq!(float(-1.0e-5), "-1.000000e-05");
    }
}

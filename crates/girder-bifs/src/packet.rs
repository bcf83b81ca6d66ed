//! `erlang:decode_packet/3`: one packet off the front of a binary, framed as a socket's
//! `{packet, Type}` option frames it, with OTP's framing rules (`packet_parser.c`).
//!
//! Types: `raw`/`0`, `1`, `2`, `4` (big-endian length headers, which the packet excludes),
//! `line` (up to and including the delimiter), `asn1`, `sunrm`, `cdr`, `fcgi`, `tpkt`
//! (whole packets, headers included). Options: `{packet_size, N}`, `{line_length, N}`,
//! `{line_delimiter, C}` (for `line`). The HTTP types, which parse the packet into terms, are
//! not there yet: they are refused as unknown types.

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;

pub const BIFS: &[Entry] = &[("erlang", "decode_packet", 3, decode_packet)];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Type {
    Raw,
    Len(usize),
    Sunrm,
    Asn1,
    Cdr,
    Fcgi,
    Tpkt,
    Line,
}

/// A packet's length in bytes (`Some(0)`: need more, length unknown), or `None` when the
/// bytes cannot start a packet (OTP's `packet_get_length`).
fn packet_length(ty: Type, b: &[u8], max_plen: u64, trunc_len: u64, delimiter: u8) -> Option<u64> {
    let n = b.len() as u64;
    let be = |bytes: &[u8]| bytes.iter().fold(0u64, |v, &x| v << 8 | u64::from(x));
    // Header length and body length, checked against the limit.
    let remain = |hlen: u64, plen: u64| {
        let max = if max_plen == 0 {
            i32::MAX as u64 - hlen
        } else {
            max_plen
        };
        (plen <= max).then(|| hlen + plen)
    };
    match ty {
        Type::Raw => Some(n),
        Type::Len(h) => {
            if b.len() < h {
                return Some(0);
            }
            remain(h as u64, be(&b[..h]))
        }
        Type::Sunrm => {
            if b.len() < 4 {
                return Some(0);
            }
            remain(4, be(&b[..4]) & 0x7fff_ffff)
        }
        Type::Line => match b.iter().position(|&c| c == delimiter) {
            None => {
                if max_plen != 0 && n > max_plen {
                    None
                } else if trunc_len != 0 && n >= trunc_len {
                    Some(trunc_len)
                } else {
                    Some(0)
                }
            }
            Some(i) => {
                let len = i as u64 + 1;
                if max_plen != 0 && len > max_plen {
                    None
                } else if trunc_len != 0 && len > trunc_len {
                    Some(trunc_len)
                } else {
                    Some(len)
                }
            }
        },
        Type::Asn1 => {
            if b.len() < 2 {
                return Some(0);
            }
            let mut t = 0usize;
            let mut nn = b.len() - 1;
            let tag = b[t];
            t += 1;
            if tag & 0x1f == 0x1f {
                // Long tag: continuation bytes, then the last tag byte.
                while nn > 0 && b[t] & 0x80 == 0x80 {
                    t += 1;
                    nn -= 1;
                }
                if nn < 2 {
                    return Some(0);
                }
                t += 1;
                nn -= 1;
            }
            let length = usize::from(b[t] & 0x7f);
            let plen = if b[t] & 0x80 == 0x80 {
                t += 1;
                nn -= 1;
                if nn < length {
                    return Some(0);
                }
                if length > 4 {
                    return None;
                }
                let v = be(&b[t..t + length]);
                t += length;
                v
            } else {
                t += 1;
                length as u64
            };
            remain(t as u64, plen)
        }
        Type::Cdr => {
            if b.len() < 12 {
                return Some(0);
            }
            if &b[..4] != b"GIOP" {
                return None;
            }
            let size = &b[8..12];
            let plen = if b[6] & 1 != 0 {
                u64::from(u32::from_le_bytes([size[0], size[1], size[2], size[3]]))
            } else {
                be(size)
            };
            remain(12, plen)
        }
        Type::Fcgi => {
            if b.len() < 8 {
                return Some(0);
            }
            if b[0] != 1 {
                return None;
            }
            remain(8, be(&b[4..6]) + u64::from(b[6]))
        }
        Type::Tpkt => {
            if b.len() < 4 {
                return Some(0);
            }
            if b[0] != 3 {
                return None;
            }
            // OTP subtracts in unsigned arithmetic: a length below the header's is too large.
            let plen = be(&b[2..4]).checked_sub(4).unwrap_or(u64::MAX);
            remain(4, plen)
        }
    }
}

fn option_value(opt: Term) -> Option<(Atom, u64)> {
    if !obj::is_tuple(opt) {
        return None;
    }
    match obj::tuple_elements(opt) {
        [k, v] => {
            let v = obj::integer_to_i64(*v)
                .and_then(|v| u64::try_from(v).ok())
                .filter(|v| *v <= u64::from(u32::MAX))?;
            Some((k.as_atom()?, v))
        }
        _ => None,
    }
}

fn decode_packet(p: &mut Process, a: &[Term]) -> BifResult {
    let (bin, opts) = (a[1], a[2]);
    if !obj::is_bitstring(bin) || !(opts.is_list() || opts.is_nil()) {
        return Err(BifError::BADARG);
    }
    let ty = match (a[0].as_small(), a[0].as_atom().map(Atom::name)) {
        (Some(0), _) | (_, Some("raw")) => Type::Raw,
        (Some(n @ (1 | 2 | 4)), _) => Type::Len(n as usize),
        (_, Some("asn1")) => Type::Asn1,
        (_, Some("sunrm")) => Type::Sunrm,
        (_, Some("cdr")) => Type::Cdr,
        (_, Some("fcgi")) => Type::Fcgi,
        (_, Some("tpkt")) => Type::Tpkt,
        (_, Some("line")) => Type::Line,
        _ => {
            return Err(BifError::FailCause {
                reason: Term::atom(Atom::BADARG),
                cause: Atom::intern("badopt"),
            });
        }
    };
    let (mut max_plen, mut trunc_len, mut delimiter) = (0, 0, b'\n');
    let mut it = opts;
    while it.is_list() {
        match option_value(obj::head(it)) {
            Some((k, v)) if k.name() == "packet_size" => max_plen = v,
            Some((k, v)) if k.name() == "line_length" => trunc_len = v,
            Some((k, v)) if k.name() == "line_delimiter" && ty == Type::Line && v <= 255 => {
                delimiter = v as u8
            }
            _ => return Err(BifError::BADARG),
        }
        it = obj::tail(it);
    }
    if !it.is_nil() {
        return Err(BifError::BADARG);
    }
    let bits = obj::bit_size(bin);
    let bytes = obj::bits(bin).to_vec();
    let whole = &bytes[..bits / 8];
    let tagged = |p: &mut Process, tag: &str, v: Term| {
        obj::tuple(&mut p.heap, &[Term::atom(Atom::intern(tag)), v])
    };
    let size = match packet_length(ty, whole, max_plen, trunc_len, delimiter) {
        None => {
            let invalid = Term::atom(Atom::intern("invalid"));
            return Ok(tagged(p, "error", invalid));
        }
        Some(0) => return Ok(tagged(p, "more", Term::atom(Atom::UNDEFINED))),
        Some(n) if n > whole.len() as u64 => {
            let n = obj::integer_from_u64(&mut p.heap, n);
            return Ok(tagged(p, "more", n));
        }
        Some(n) => n as usize,
    };
    let (start, len) = match ty {
        Type::Len(h) => (h, size - h),
        Type::Fcgi => (0, size - usize::from(whole[6])),
        _ => (0, size),
    };
    let packet = obj::sub_binary(&mut p.heap, bin, start * 8, len * 8);
    let rest = obj::sub_binary(&mut p.heap, bin, size * 8, bits - size * 8);
    Ok(obj::tuple(
        &mut p.heap,
        &[Term::atom(Atom::intern("ok")), packet, rest],
    ))
}

//! `erlang:decode_packet/3`: one packet off the front of a binary, framed as a socket's
//! `{packet, Type}` option frames it, with OTP's framing rules (`packet_parser.c`).
//!
//! Types: `raw`/`0`, `1`, `2`, `4` (big-endian length headers, which the packet excludes),
//! `line` (up to and including the delimiter), `asn1`, `sunrm`, `cdr`, `fcgi`, `tpkt`
//! (whole packets, headers included), and `http`, `httph`, `http_bin`, `httph_bin`, whose
//! packet is one line (a header with its continuation lines) parsed into
//! `{http_request, ...}`, `{http_response, ...}`, `{http_header, ...}`, `http_eoh` or
//! `{http_error, Line}`, strings as lists or, for the `_bin` types, binaries. Options:
//! `{packet_size, N}`, `{line_length, N}`, `{line_delimiter, C}` (for `line`). OTP's
//! internal `ssl_tls` type gives `{ssl_tls, [], ContentType, {Major, Minor}, Body}`.

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
    /// HTTP: `headers` (`httph`) starts in the header state; `bin` gives binaries.
    Http {
        headers: bool,
        bin: bool,
    },
    SslTls,
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
        Type::Http { headers, .. } => {
            // A line; in the header state, with its continuation lines (those starting
            // with a space or tab), so a line at the end of the data needs more.
            if b == b"\n" || b == b"\r\n" {
                return Some(n);
            }
            let max = if max_plen == 0 { trunc_len } else { max_plen };
            let mut from = 0;
            loop {
                let Some(i) = b[from..].iter().position(|&c| c == b'\n') else {
                    return if max != 0 && n >= max { None } else { Some(0) };
                };
                let plen = (from + i + 1) as u64;
                if !headers {
                    return if max != 0 && plen > max {
                        None
                    } else {
                        Some(plen)
                    };
                }
                if plen < n {
                    if matches!(b[plen as usize], b' ' | b'\t') && plen > 2 {
                        from = plen as usize;
                        continue;
                    }
                    return if max != 0 && plen > max {
                        None
                    } else {
                        Some(plen)
                    };
                }
                return if max != 0 && plen > max {
                    None
                } else {
                    Some(0)
                };
            }
        }
        Type::SslTls => {
            if b.len() < 5 {
                return Some(0);
            }
            let plen = if b[0] & 0x80 != 0 && b[2] == 1 {
                // An SSL 2 client hello: <<1:1, Len:15, 1:8, Version:16>>.
                (be(&b[..2]) & 0x7fff).checked_sub(3).unwrap_or(u64::MAX)
            } else {
                be(&b[3..5])
            };
            remain(5, plen)
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

/// The framing and HTTP parsing the inet driver uses for the packet types it does not frame
/// itself (`girder_runtime::port::inet::PacketHooks`), by `inet_drv`'s type code.
pub fn inet_hooks() -> girder_runtime::port::inet::PacketHooks {
    fn ty(code: u32) -> Option<Type> {
        Some(match code {
            4 => Type::Asn1,
            5 => Type::Sunrm,
            6 => Type::Cdr,
            7 => Type::Fcgi,
            9 => Type::Tpkt,
            10 => Type::Http {
                headers: false,
                bin: false,
            },
            11 => Type::Http {
                headers: true,
                bin: false,
            },
            13 => Type::Http {
                headers: false,
                bin: true,
            },
            14 => Type::Http {
                headers: true,
                bin: true,
            },
            _ => return None,
        })
    }
    girder_runtime::port::inet::PacketHooks {
        length: |code, b, packet_size, trunc| {
            packet_length(
                ty(code)?,
                b,
                u64::from(packet_size),
                u64::from(trunc),
                b'\n',
            )
        },
        http: |area, line, headers, bin| http::parse(area, line, headers, bin),
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
        (_, Some("http")) => Type::Http {
            headers: false,
            bin: false,
        },
        (_, Some("httph")) => Type::Http {
            headers: true,
            bin: false,
        },
        (_, Some("http_bin")) => Type::Http {
            headers: false,
            bin: true,
        },
        (_, Some("httph_bin")) => Type::Http {
            headers: true,
            bin: true,
        },
        (_, Some("ssl_tls")) => Type::SslTls,
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
    let packet = match ty {
        Type::Http { headers, bin } => http::parse(&mut p.heap, &whole[..size], headers, bin),
        Type::SslTls => ssl_tls(p, &whole[..size]),
        _ => {
            let (start, len) = match ty {
                Type::Len(h) => (h, size - h),
                Type::Fcgi => (0, size - usize::from(whole[6])),
                _ => (0, size),
            };
            obj::sub_binary(&mut p.heap, bin, start * 8, len * 8)
        }
    };
    let rest = obj::sub_binary(&mut p.heap, bin, size * 8, bits - size * 8);
    Ok(obj::tuple(
        &mut p.heap,
        &[Term::atom(Atom::intern("ok")), packet, rest],
    ))
}

/// `{ssl_tls, [], ContentType, {Major, Minor}, Body}` for one record (an SSL 2 client hello
/// as a handshake record whose body starts with its own 4-byte header).
fn ssl_tls(p: &mut Process, b: &[u8]) -> Term {
    let (ty, major, minor, body) = if b[0] & 0x80 != 0 && b[2] == 1 {
        let n = (b.len() - 3) as u32;
        let mut body = vec![1, (n >> 16) as u8, (n >> 8) as u8, n as u8];
        body.extend_from_slice(&b[3..]);
        (22, b[3], b[4], body)
    } else {
        (b[0], b[1], b[2], b[5..].to_vec())
    };
    let version = obj::tuple(
        &mut p.heap,
        &[Term::small(i64::from(major)), Term::small(i64::from(minor))],
    );
    let body = obj::binary_from_bytes(&mut p.heap, &body);
    obj::tuple(
        &mut p.heap,
        &[
            Term::atom(Atom::intern("ssl_tls")),
            Term::NIL,
            Term::small(i64::from(ty)),
            version,
            body,
        ],
    )
}

/// Parsing one HTTP line into a term (OTP's `packet_parse_http` and its callbacks).
mod http {
    use girder_term::heap::Alloc;
    use girder_term::object as obj;
    use girder_term::{Atom, Term};

    /// Methods that are atoms.
    const METHODS: &[&str] = &["OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE"];

    /// Headers that are atoms; a header's bit is its index here plus one.
    const HEADERS: &[&str] = &[
        "Cache-Control",
        "Connection",
        "Date",
        "Pragma",
        "Transfer-Encoding",
        "Upgrade",
        "Via",
        "Accept",
        "Accept-Charset",
        "Accept-Encoding",
        "Accept-Language",
        "Authorization",
        "From",
        "Host",
        "If-Modified-Since",
        "If-Match",
        "If-None-Match",
        "If-Range",
        "If-Unmodified-Since",
        "Max-Forwards",
        "Proxy-Authorization",
        "Range",
        "Referer",
        "User-Agent",
        "Age",
        "Location",
        "Proxy-Authenticate",
        "Public",
        "Retry-After",
        "Server",
        "Vary",
        "Warning",
        "Www-Authenticate",
        "Allow",
        "Content-Base",
        "Content-Encoding",
        "Content-Language",
        "Content-Length",
        "Content-Location",
        "Content-Md5",
        "Content-Range",
        "Content-Type",
        "Etag",
        "Expires",
        "Last-Modified",
        "Accept-Ranges",
        "Set-Cookie",
        "Set-Cookie2",
        "X-Forwarded-For",
        "Cookie",
        "Keep-Alive",
        "Proxy-Connection",
    ];

    /// Header names longer than this are not looked up.
    const MAX_NAME: usize = 20;

    fn is_tspecial(c: u8) -> bool {
        matches!(
            c,
            b'(' | b')'
                | b'<'
                | b'>'
                | b'@'
                | b','
                | b';'
                | b':'
                | b'\\'
                | b'"'
                | b'/'
                | b'['
                | b']'
                | b'?'
                | b'='
                | b'{'
                | b'}'
                | b' '
                | b'\t'
        )
    }

    fn is_sp(c: u8) -> bool {
        c == b' ' || c == b'\t'
    }

    fn atom(name: &str) -> Term {
        Term::atom(Atom::intern(name))
    }

    /// A string of the packet: a list of bytes, or a binary.
    fn string(h: &mut impl Alloc, bin: bool, s: &[u8]) -> Term {
        if bin {
            obj::binary_from_bytes(h, s)
        } else {
            let chars: Vec<Term> = s.iter().map(|&c| Term::small(i64::from(c))).collect();
            obj::list_from_slice(h, &chars, Term::NIL)
        }
    }

    /// Digits at `b[*i..]`: their value (wrapping like C's `int`) and whether there were any.
    fn number(b: &[u8], i: &mut usize) -> (i64, bool) {
        let start = *i;
        let mut v: i32 = 0;
        while *i < b.len() && b[*i].is_ascii_digit() {
            v = v.wrapping_mul(10).wrapping_add(i32::from(b[*i] - b'0'));
            *i += 1;
        }
        (i64::from(v), *i > start)
    }

    /// `HTTP/Major.Minor` at `b[*i..]` (after the prefix), or `None`.
    fn version(b: &[u8], i: &mut usize) -> Option<(i64, i64)> {
        let (major, any) = number(b, i);
        if !any || *i >= b.len() || b[*i] != b'.' {
            return None;
        }
        *i += 1;
        let (minor, any) = number(b, i);
        any.then_some((major, minor))
    }

    fn version_term(h: &mut impl Alloc, (major, minor): (i64, i64)) -> Term {
        obj::tuple(h, &[Term::small(major), Term::small(minor)])
    }

    /// The request URI as OTP 25 classifies it.
    fn uri(h: &mut impl Alloc, bin: bool, u: &[u8]) -> Term {
        if u == b"*" {
            return atom("*");
        }
        if u.len() <= 1 || u[0] == b'/' {
            let s = string(h, bin, u);
            return obj::tuple(h, &[atom("abs_path"), s]);
        }
        let starts = |prefix: &[u8]| {
            u.len() >= prefix.len() && u[..prefix.len()].eq_ignore_ascii_case(prefix)
        };
        let (scheme, rest) = if starts(b"http://") {
            ("http", &u[7..])
        } else if starts(b"https://") {
            ("https", &u[8..])
        } else {
            return match u.iter().position(|&c| c == b':') {
                None => string(h, bin, u),
                Some(c) => {
                    let (s1, s2) = (string(h, bin, &u[..c]), string(h, bin, &u[c + 1..]));
                    obj::tuple(h, &[atom("scheme"), s1, s2])
                }
            };
        };
        // host[:port][/path]
        let (hostport, path): (&[u8], &[u8]) = match rest.iter().position(|&c| c == b'/') {
            None => (rest, b"/"),
            Some(s) => (&rest[..s], &rest[s..]),
        };
        let (host, port) = match hostport.iter().position(|&c| c == b':') {
            None => (hostport, Term::atom(Atom::UNDEFINED)),
            Some(c) => {
                let digits = &hostport[c + 1..];
                let mut i = 0;
                let (port, _) = number(digits, &mut i);
                let port = if i == digits.len() && port != 0 {
                    Term::small(port)
                } else {
                    Term::atom(Atom::UNDEFINED)
                };
                (&hostport[..c], port)
            }
        };
        let (host, path) = (string(h, bin, host), string(h, bin, path));
        obj::tuple(h, &[atom("absoluteURI"), atom(scheme), host, port, path])
    }

    /// The term for one packet (a whole line, line end included).
    pub fn parse(h: &mut impl Alloc, packet: &[u8], headers: bool, bin: bool) -> Term {
        match parse_line(h, packet, headers, bin) {
            Some(t) => t,
            None => {
                let line = string(h, bin, packet);
                obj::tuple(h, &[atom("http_error"), line])
            }
        }
    }

    fn parse_line(h: &mut impl Alloc, packet: &[u8], headers: bool, bin: bool) -> Option<Term> {
        let mut n = packet.len();
        if n >= 2 && packet[n - 2] == b'\r' {
            n -= 2;
        } else if n >= 1 && packet[n - 1] == b'\n' {
            n -= 1;
        }
        let b = &packet[..n];
        if headers {
            return header(h, b, bin);
        }
        if b.starts_with(b"HTTP/") {
            let mut i = 5;
            let v = version(b, &mut i)?;
            let sp = i;
            while i < n && is_sp(b[i]) {
                i += 1;
            }
            if i == sp {
                return None;
            }
            let (status, _) = number(b, &mut i);
            let sp = i;
            while i < n && is_sp(b[i]) {
                i += 1;
            }
            if i == sp && i < n {
                return None;
            }
            let v = version_term(h, v);
            let phrase = string(h, bin, &b[i..]);
            return Some(obj::tuple(
                h,
                &[atom("http_response"), v, Term::small(status), phrase],
            ));
        }
        // Method SP Request-URI [SP HTTP-Version]
        let mut i = 0;
        while i < n && !is_tspecial(b[i]) {
            i += 1;
        }
        let method = &b[..i];
        if i == n || method.is_empty() || !is_sp(b[i]) {
            return None;
        }
        while i < n && is_sp(b[i]) {
            i += 1;
        }
        let u0 = i;
        while i < n && !is_sp(b[i]) {
            i += 1;
        }
        let u = &b[u0..i];
        if u.is_empty() {
            return None;
        }
        while i < n && is_sp(b[i]) {
            i += 1;
        }
        let v = if i == n {
            (0, 9)
        } else {
            if n - i < 8 || !b[i..].starts_with(b"HTTP/") {
                return None;
            }
            i += 5;
            version(b, &mut i)?
        };
        let method = match METHODS.iter().find(|m| m.as_bytes() == method) {
            Some(m) => atom(m),
            None => string(h, bin, method),
        };
        let uri = uri(h, bin, u);
        let v = version_term(h, v);
        Some(obj::tuple(h, &[atom("http_request"), method, uri, v]))
    }

    fn header(h: &mut impl Alloc, b: &[u8], bin: bool) -> Option<Term> {
        let n = b.len();
        if n == 0 {
            return Some(atom("http_eoh"));
        }
        // The name, case-normalised (a capital first and after each '-').
        let mut name = Vec::new();
        let mut up = true;
        let mut i = 0;
        while !is_tspecial(b[i]) {
            let mut c = b[i];
            if up {
                c = c.to_ascii_uppercase();
                up = false;
            } else {
                if c.is_ascii_uppercase() {
                    c = c.to_ascii_lowercase();
                } else if c == b'-' {
                    up = true;
                }
            }
            name.push(c);
            i += 1;
            if i == n {
                return None;
            }
        }
        if b[i] != b':' {
            return None;
        }
        let original = &b[..i];
        let known = if i <= MAX_NAME {
            HEADERS.iter().position(|h| h.as_bytes() == name.as_slice())
        } else {
            None
        };
        i += 1;
        while i < n && is_sp(b[i]) {
            i += 1;
        }
        let (bit, field) = match known {
            Some(k) => (Term::small(k as i64 + 1), atom(HEADERS[k])),
            None => (Term::small(0), string(h, bin, &name)),
        };
        let original = string(h, bin, original);
        let value = string(h, bin, &b[i..]);
        Some(obj::tuple(
            h,
            &[atom("http_header"), bit, field, original, value],
        ))
    }
}

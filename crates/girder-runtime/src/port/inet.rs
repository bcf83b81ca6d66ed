//! The inet driver: `tcp_inet` and `udp_inet` ports, speaking the port protocol of erts'
//! `inet_drv` as OTP's preloaded `prim_inet` uses it, so OTP's `gen_tcp`, `gen_udp`,
//! `inet`, `inet_tcp`, `inet_udp` and `inet_db` run unmodified.
//!
//! `prim_inet` opens `{spawn_driver, "tcp_inet"}`, then talks with
//! `erlang:port_control(S, ?INET_REQ_* + magic, Args)` (answers `[1 | Reply]` or
//! `[0 | ErrnoName]`), sends data with `port_command/2,3` (answered `{inet_reply, S,
//! Status}`), and waits for `{inet_async, S, Ref, Status}` after the asynchronous
//! requests (connect, accept, recv). The socket is a non-blocking descriptor registered
//! with the [`crate::reactor`]: no request ever blocks a scheduler thread. Its timeouts are
//! a deadline on the same reactor's timers.
//!
//! Framing (`{packet, raw | 1 | 2 | 4 | line}`) and the active modes (`true`, `false`,
//! `once`, `N`) are the driver's, as in `inet_drv`: data arrives as `{tcp, S, Data}`,
//! `{tcp_closed, S}`, `{tcp_passive, S}`; for UDP `{udp, S, IP, Port, Data}`.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use girder_term::heap::LiteralArea;
use girder_term::object as obj;
use girder_term::{Atom, Term};

use super::{Inner, Port};
use crate::reactor::{self, Interest};
use crate::sched::table::{Owned, Signal};

/// `prim_inet` adds this to every request number.
const MAGIC: u32 = 0x03f1_a300;

const REP_ERROR: u8 = 0;
const REP_OK: u8 = 1;

const AF_INET: u8 = 1;
const AF_INET6: u8 = 2;
const AF_ANY: u8 = 3;
const AF_LOOPBACK: u8 = 4;

const PB_RAW: u32 = 0;
const PB_1: u32 = 1;
const PB_2: u32 = 2;
const PB_4: u32 = 3;
const PB_LINE: u32 = 8;

/// Framing and HTTP parsing for the packet types the driver does not frame itself (asn1,
/// sunrm, cdr, fcgi, tpkt, http...): `erlang:decode_packet/3`'s, installed by girder-bifs.
pub struct PacketHooks {
    /// The length of the packet of type `code` (`inet_drv`'s `TCP_PB_*`) at the front of
    /// the bytes, headers included (`Some(0)`: more bytes needed; `None`: invalid), given
    /// `packet_size` and the length at which a line is cut.
    pub length: fn(u32, &[u8], u32, u32) -> Option<u64>,
    /// An HTTP line as a term (`{http_request, ...}`, `{http_header, ...}`, `http_eoh`...):
    /// the line, whether headers are expected, whether strings are binaries.
    pub http: fn(&mut LiteralArea, &[u8], bool, bool) -> Term,
}

static HOOKS: std::sync::OnceLock<PacketHooks> = std::sync::OnceLock::new();

/// Install the [`PacketHooks`] (once, at start).
pub fn set_packet_hooks(h: PacketHooks) {
    let _ = HOOKS.set(h);
}

const PB_HTTP: u32 = 10;
const PB_HTTPH: u32 = 11;
const PB_SSL_TLS: u32 = 12;
const PB_HTTP_BIN: u32 = 13;
const PB_HTTPH_BIN: u32 = 14;

fn is_http(code: u32) -> bool {
    matches!(code, PB_HTTP | PB_HTTPH | PB_HTTP_BIN | PB_HTTPH_BIN)
}

/// The driver a port runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    pub fn driver_name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp_inet",
            Proto::Udp => "udp_inet",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Active {
    Passive,
    On,
    Once,
    Multi,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// No descriptor yet (before `INET_REQ_OPEN`).
    Unopened,
    Open,
    Listen,
    Connecting,
    Connected,
    /// The peer closed (passive mode with `exit_on_close`): the descriptor is closed.
    Closed,
}

/// One socket port's state (`inet_drv`'s descriptor).
pub struct Desc {
    proto: Proto,
    family: i32,
    fd: Option<OwnedFd>,
    key: Option<usize>,
    state: State,
    active: Active,
    multi: i32,
    packet: u32,
    binary: bool,
    header: usize,
    exit_on_close: bool,
    packet_size: u32,
    line_delim: u8,
    buffer: i32,
    /// HTTP: a start line was read, so header lines come next.
    http_headers: bool,
    /// Options kept and reported but without effect here.
    stored: Vec<(u8, Vec<u8>)>,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    next_ref: u16,
    recv: Option<(u64, u16, usize, Option<Instant>)>,
    accepts: VecDeque<(u64, u16, Option<Instant>)>,
    connect: Option<(u64, u16, Option<Instant>)>,
    timer: Option<usize>,
    /// A `closed` answer owed to the next recv after the peer closed.
    delayed_closed: bool,
    pending_shutdown: Option<i32>,
    empty_out_subs: Vec<u64>,
    recv_cnt: u64,
    recv_oct: u64,
    send_cnt: u64,
    send_oct: u64,
    recv_max: u64,
    send_max: u64,
    /// The port is a distribution controller (`erlang:setnode/3`): with `{deliver, port}`
    /// and an active mode, packets go to the distribution layer, not to the owner.
    pub(super) dist: bool,
    /// Packets for the distribution layer, handed over once the port's lock is released.
    pub(super) dist_in: Vec<Vec<u8>>,
}

impl Desc {
    pub fn new(proto: Proto) -> Desc {
        Desc {
            proto,
            family: libc::AF_INET,
            fd: None,
            key: None,
            state: State::Unopened,
            active: Active::Passive,
            multi: 0,
            packet: PB_RAW,
            binary: false,
            header: 0,
            exit_on_close: true,
            packet_size: 0,
            line_delim: b'\n',
            buffer: 1460,
            http_headers: false,
            stored: Vec::new(),
            inbuf: Vec::new(),
            out: Vec::new(),
            next_ref: 0,
            recv: None,
            accepts: VecDeque::new(),
            connect: None,
            timer: None,
            delayed_closed: false,
            pending_shutdown: None,
            empty_out_subs: Vec::new(),
            recv_cnt: 0,
            recv_oct: 0,
            send_cnt: 0,
            send_oct: 0,
            recv_max: 0,
            send_max: 0,
            dist: false,
            dist_in: Vec::new(),
        }
    }

    fn raw(&self) -> Option<RawFd> {
        self.fd.as_ref().map(|f| f.as_raw_fd())
    }

    fn new_ref(&mut self) -> u16 {
        self.next_ref = self.next_ref.wrapping_add(1);
        self.next_ref
    }

    /// Close the descriptor (leaving the reactor first).
    fn close_fd(&mut self) {
        if let (Some(key), Some(fd)) = (self.key.take(), self.raw()) {
            reactor::deregister(key, fd);
        }
        self.fd = None;
    }

    fn drop_timer(&mut self) {
        if let Some(key) = self.timer.take() {
            reactor::remove_timer(key);
        }
    }

    /// Release everything (the port closed).
    pub fn shutdown(&mut self) {
        self.close_fd();
        self.drop_timer();
    }
}

/// The errno name OTP gives `code` (`erl_errno_id`).
pub fn errno_name(code: i32) -> &'static str {
    match code {
        libc::EPERM => "eperm",
        libc::ENOENT => "enoent",
        libc::EINTR => "eintr",
        libc::EIO => "eio",
        libc::ENXIO => "enxio",
        libc::ENODEV => "enodev",
        libc::EBADF => "ebadf",
        libc::EAGAIN => "eagain",
        libc::ENOMEM => "enomem",
        libc::EACCES => "eacces",
        libc::EFAULT => "efault",
        libc::EBUSY => "ebusy",
        libc::EINVAL => "einval",
        libc::ENFILE => "enfile",
        libc::EMFILE => "emfile",
        libc::EPIPE => "epipe",
        libc::ENOTSOCK => "enotsock",
        libc::EDESTADDRREQ => "edestaddrreq",
        libc::EMSGSIZE => "emsgsize",
        libc::EPROTOTYPE => "eprototype",
        libc::ENOPROTOOPT => "enoprotoopt",
        libc::EPROTONOSUPPORT => "eprotonosupport",
        libc::EOPNOTSUPP => "eopnotsupp",
        libc::EAFNOSUPPORT => "eafnosupport",
        libc::EADDRINUSE => "eaddrinuse",
        libc::EADDRNOTAVAIL => "eaddrnotavail",
        libc::ENETDOWN => "enetdown",
        libc::ENETUNREACH => "enetunreach",
        libc::ECONNABORTED => "econnaborted",
        libc::ECONNRESET => "econnreset",
        libc::ENOBUFS => "enobufs",
        libc::EISCONN => "eisconn",
        libc::ENOTCONN => "enotconn",
        libc::ETIMEDOUT => "etimedout",
        libc::ECONNREFUSED => "econnrefused",
        libc::EHOSTUNREACH => "ehostunreach",
        libc::EALREADY => "ealready",
        libc::EINPROGRESS => "einprogress",
        _ => "unknown",
    }
}

fn last_errno() -> i32 {
    io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

fn ok(data: &[u8]) -> Vec<u8> {
    let mut v = vec![REP_OK];
    v.extend_from_slice(data);
    v
}

fn err(code: i32) -> Vec<u8> {
    err_name(errno_name(code))
}

fn err_name(name: &str) -> Vec<u8> {
    let mut v = vec![REP_ERROR];
    v.extend_from_slice(name.as_bytes());
    v
}

fn be32(b: &[u8]) -> Option<i32> {
    Some(i32::from_be_bytes(b.get(..4)?.try_into().ok()?))
}

fn atom(s: &str) -> Term {
    Term::atom(Atom::intern(s))
}

/// Message `{Tag, Port, Rest...}` built in its own area.
fn message(tag: &str, id: u64, rest: impl FnOnce(&mut LiteralArea) -> Vec<Term>) -> Owned {
    let mut area = LiteralArea::new();
    let mut items = vec![atom(tag), Term::port(id)];
    items.extend(rest(&mut area));
    let term = obj::tuple(&mut area, &items);
    Owned { term, area }
}

fn error_term(a: &mut LiteralArea, reason: &str) -> Term {
    obj::tuple(a, &[atom("error"), atom(reason)])
}

fn reply_async(id: u64, to: u64, r: u16, status: impl FnOnce(&mut LiteralArea) -> Term) {
    let m = message("inet_async", id, |a| {
        vec![Term::small(i64::from(r)), status(a)]
    });
    crate::sched::deliver(to, m);
}

fn reply_async_error(id: u64, to: u64, r: u16, reason: &str) {
    reply_async(id, to, r, |a| error_term(a, reason));
}

/// Data as the socket's mode gives it: a list, or a binary with `header` bytes as a list
/// in front.
fn data_term(a: &mut LiteralArea, binary: bool, header: usize, bytes: &[u8]) -> Term {
    let item = |b: &u8| Term::small(i64::from(*b));
    if !binary {
        let items: Vec<Term> = bytes.iter().map(item).collect();
        return obj::list_from_slice(a, &items, Term::NIL);
    }
    let h = header.min(bytes.len());
    let bin = obj::binary_from_bytes(a, &bytes[h..]);
    if h == 0 {
        return bin;
    }
    let items: Vec<Term> = bytes[..h].iter().map(item).collect();
    obj::list_from_slice(a, &items, bin)
}

// ---- addresses ------------------------------------------------------------------------

/// A socket address decoded from `prim_inet`'s encoding (`[Family, P1, P0 | IP]`), and the
/// bytes after it.
fn decode_addr(family: i32, b: &[u8]) -> Option<(libc::sockaddr_storage, u32, usize)> {
    let (&f, rest) = b.split_first()?;
    let port = u16::from_be_bytes(rest.get(..2)?.try_into().ok()?);
    // SAFETY: sockaddr_storage is plain old data; all zeros is a valid value.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let ip4 = |ss: &mut libc::sockaddr_storage, ip: [u8; 4]| {
        // SAFETY: sockaddr_storage is large and aligned enough for any sockaddr.
        let sin = unsafe { &mut *(ss as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
        sin.sin_family = libc::AF_INET as libc::sa_family_t;
        sin.sin_port = port.to_be();
        sin.sin_addr.s_addr = u32::from_ne_bytes(ip);
        std::mem::size_of::<libc::sockaddr_in>() as u32
    };
    let ip6 = |ss: &mut libc::sockaddr_storage, ip: [u8; 16]| {
        // SAFETY: as above.
        let sin6 =
            unsafe { &mut *(ss as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
        sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
        sin6.sin6_port = port.to_be();
        sin6.sin6_addr.s6_addr = ip;
        std::mem::size_of::<libc::sockaddr_in6>() as u32
    };
    let (len, used) = match f {
        AF_INET => (ip4(&mut ss, rest.get(2..6)?.try_into().ok()?), 7),
        // An IPv6 address is followed by its flow information and scope id (32 bits each).
        AF_INET6 => {
            let len = ip6(&mut ss, rest.get(2..18)?.try_into().ok()?);
            let extra = rest.get(18..26)?;
            // SAFETY: `ip6` just made the storage a sockaddr_in6.
            let sin6 = unsafe {
                &mut *(&mut ss as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
            };
            sin6.sin6_flowinfo = u32::from_be_bytes(extra[..4].try_into().ok()?).to_be();
            sin6.sin6_scope_id = u32::from_be_bytes(extra[4..].try_into().ok()?);
            (len, 27)
        }
        AF_ANY | AF_LOOPBACK => {
            let lo = f == AF_LOOPBACK;
            if family == libc::AF_INET6 {
                let mut ip = [0u8; 16];
                if lo {
                    ip[15] = 1;
                }
                (ip6(&mut ss, ip), 3)
            } else {
                let ip = if lo { [127, 0, 0, 1] } else { [0; 4] };
                (ip4(&mut ss, ip), 3)
            }
        }
        _ => return None,
    };
    Some((ss, len, used))
}

/// `[Family, P1, P0 | IP]` for a socket address.
fn encode_addr(ss: &libc::sockaddr_storage) -> Vec<u8> {
    let mut v = Vec::new();
    if i32::from(ss.ss_family) == libc::AF_INET6 {
        // SAFETY: the family says the storage holds a sockaddr_in6.
        let sin6 = unsafe { &*(ss as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
        v.push(AF_INET6);
        v.extend_from_slice(&u16::from_be(sin6.sin6_port).to_be_bytes());
        v.extend_from_slice(&sin6.sin6_addr.s6_addr);
    } else {
        // SAFETY: the family says the storage holds a sockaddr_in.
        let sin = unsafe { &*(ss as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
        v.push(AF_INET);
        v.extend_from_slice(&u16::from_be(sin.sin_port).to_be_bytes());
        v.extend_from_slice(&sin.sin_addr.s_addr.to_ne_bytes());
    }
    v
}

fn sock_name(fd: RawFd, peer: bool) -> Result<libc::sockaddr_storage, i32> {
    // SAFETY: zeroed sockaddr_storage is valid; getsockname/getpeername write at most
    // `len` bytes into it.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let p = (&mut ss as *mut libc::sockaddr_storage).cast::<libc::sockaddr>();
    // SAFETY: see above.
    let r = unsafe {
        if peer {
            libc::getpeername(fd, p, &mut len)
        } else {
            libc::getsockname(fd, p, &mut len)
        }
    };
    if r < 0 { Err(last_errno()) } else { Ok(ss) }
}

// ---- socket options -------------------------------------------------------------------

fn sockopt_level(opt: u8) -> Option<(i32, i32)> {
    Some(match opt {
        0 => (libc::SOL_SOCKET, libc::SO_REUSEADDR),
        1 => (libc::SOL_SOCKET, libc::SO_KEEPALIVE),
        2 => (libc::SOL_SOCKET, libc::SO_DONTROUTE),
        4 => (libc::SOL_SOCKET, libc::SO_BROADCAST),
        6 => (libc::SOL_SOCKET, libc::SO_SNDBUF),
        7 => (libc::SOL_SOCKET, libc::SO_RCVBUF),
        8 => (libc::SOL_SOCKET, libc::SO_PRIORITY),
        9 => (libc::IPPROTO_IP, libc::IP_TOS),
        10 => (libc::IPPROTO_TCP, libc::TCP_NODELAY),
        12 => (libc::IPPROTO_IP, libc::IP_MULTICAST_TTL),
        13 => (libc::IPPROTO_IP, libc::IP_MULTICAST_LOOP),
        16 => (libc::IPPROTO_IPV6, libc::IPV6_V6ONLY),
        41 => (libc::IPPROTO_IPV6, libc::IPV6_TCLASS),
        46 => (libc::IPPROTO_IP, libc::IP_TTL),
        _ => return None,
    })
}

fn setsockopt_int(fd: RawFd, level: i32, name: i32, v: i32) -> Result<(), i32> {
    // SAFETY: passes a pointer to a live i32 and its size.
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&v as *const i32).cast(),
            std::mem::size_of::<i32>() as libc::socklen_t,
        )
    };
    if r < 0 { Err(last_errno()) } else { Ok(()) }
}

fn getsockopt_int(fd: RawFd, level: i32, name: i32) -> Result<i32, i32> {
    let mut v: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `v`.
    let r = unsafe { libc::getsockopt(fd, level, name, (&mut v as *mut i32).cast(), &mut len) };
    if r < 0 { Err(last_errno()) } else { Ok(v) }
}

/// The size of an option's value in a setopts buffer (`None`: an option this driver does
/// not know).
fn value_len(opt: u8, b: &[u8]) -> Option<usize> {
    Some(match opt {
        3 => 8,       // linger {bool, int}
        14 | 15 => 8, // add/drop_membership {ip, ip}
        11 => 4,      // multicast_if ip
        22 => match be32(b)? {
            3 => 6,
            _ => 4,
        },
        38 | 42 => 4 + usize::try_from(be32(b)?).ok()?, // binary
        34 | 45 => return None,                         // raw, pktoptions
        0..=48 => 4,
        _ => return None,
    })
}

impl Desc {
    /// Apply a setopts buffer; an errno on failure.
    fn setopts(&mut self, mut b: &[u8]) -> Result<(), i32> {
        while let Some((&opt, rest)) = b.split_first() {
            let n = value_len(opt, rest).ok_or(libc::EINVAL)?;
            let val = rest.get(..n).ok_or(libc::EINVAL)?;
            b = &rest[n..];
            let ival = be32(val).unwrap_or(0);
            match opt {
                20 => {
                    if ival < 0 {
                        return Err(libc::EINVAL);
                    }
                    self.buffer = ival.max(1);
                }
                21 => self.header = ival.max(0) as usize,
                22 => {
                    self.active = match ival {
                        0 => Active::Passive,
                        1 => Active::On,
                        2 => Active::Once,
                        3 => {
                            let n = i32::from(i16::from_be_bytes([val[4], val[5]]));
                            let total = self.multi.saturating_add(n);
                            if !(0..=32767).contains(&total) && total > 0 {
                                return Err(libc::EINVAL);
                            }
                            self.multi = total.max(0);
                            Active::Multi
                        }
                        _ => return Err(libc::EINVAL),
                    };
                    if self.active != Active::Multi {
                        self.multi = 0;
                    }
                }
                23 => {
                    let code = ival as u32;
                    let own = [PB_RAW, PB_1, PB_2, PB_4, PB_LINE].contains(&code);
                    if !own && (code > PB_HTTPH_BIN || code == PB_SSL_TLS || HOOKS.get().is_none())
                    {
                        return Err(libc::EINVAL);
                    }
                    self.packet = code;
                    self.http_headers = false;
                }
                24 => self.binary = ival == 1,
                26 => self.exit_on_close = ival != 0,
                32 => self.packet_size = ival as u32,
                40 => self.line_delim = ival as u8,
                25 | 27 | 28 | 30 | 31 | 33 | 35 | 36 | 37 | 39 | 43 | 44 | 47 | 48 => {
                    self.store(opt, val)
                }
                _ => match (sockopt_level(opt), self.raw()) {
                    (Some((level, name)), Some(fd)) => {
                        setsockopt_int(fd, level, name, ival)?;
                    }
                    (_, None) => self.store(opt, val),
                    _ if opt == 3 => {
                        let fd = self.raw().ok_or(libc::EINVAL)?;
                        let l = libc::linger {
                            l_onoff: ival,
                            l_linger: be32(&val[4..]).unwrap_or(0),
                        };
                        // SAFETY: passes a live linger struct and its size.
                        let r = unsafe {
                            libc::setsockopt(
                                fd,
                                libc::SOL_SOCKET,
                                libc::SO_LINGER,
                                (&l as *const libc::linger).cast(),
                                std::mem::size_of::<libc::linger>() as libc::socklen_t,
                            )
                        };
                        if r < 0 {
                            return Err(last_errno());
                        }
                    }
                    _ => return Err(libc::EINVAL),
                },
            }
        }
        Ok(())
    }

    fn store(&mut self, opt: u8, val: &[u8]) {
        self.stored.retain(|(o, _)| *o != opt);
        self.stored.push((opt, val.to_vec()));
    }

    fn stored_int(&self, opt: u8, default: i32) -> i32 {
        self.stored
            .iter()
            .find(|(o, _)| *o == opt)
            .and_then(|(_, v)| be32(v))
            .unwrap_or(default)
    }

    /// Answer a getopts buffer: each option code, then its value.
    fn getopts(&self, b: &[u8]) -> Result<Vec<u8>, i32> {
        let mut out = Vec::new();
        for &opt in b {
            let put = |out: &mut Vec<u8>, v: i32| {
                out.push(opt);
                out.extend_from_slice(&v.to_be_bytes());
            };
            match opt {
                20 => put(&mut out, self.buffer),
                21 => put(&mut out, self.header as i32),
                22 => match self.active {
                    Active::Passive => put(&mut out, 0),
                    Active::On => put(&mut out, 1),
                    Active::Once => put(&mut out, 2),
                    Active::Multi => {
                        put(&mut out, 3);
                        out.extend_from_slice(&(self.multi as i16).to_be_bytes());
                    }
                },
                23 => put(&mut out, self.packet as i32),
                24 => put(&mut out, i32::from(self.binary)),
                25 => put(&mut out, self.stored_int(25, 1)),
                26 => put(&mut out, i32::from(self.exit_on_close)),
                27 => put(&mut out, self.stored_int(27, 8192)),
                28 => put(&mut out, self.stored_int(28, 4096)),
                30 => put(&mut out, self.stored_int(30, -1)),
                31 | 35 | 39 | 43 | 44 | 47 | 48 => put(&mut out, self.stored_int(opt, 0)),
                32 => put(&mut out, self.packet_size as i32),
                33 => put(&mut out, self.stored_int(33, 5)),
                36 => put(&mut out, self.stored_int(36, 8192)),
                37 => put(&mut out, self.stored_int(37, 4096)),
                40 => put(&mut out, i32::from(self.line_delim)),
                3 => {
                    let fd = self.raw().ok_or(libc::EINVAL)?;
                    // SAFETY: zeroed linger is valid; getsockopt writes at most `len` bytes.
                    let mut l: libc::linger = unsafe { std::mem::zeroed() };
                    let mut len = std::mem::size_of::<libc::linger>() as libc::socklen_t;
                    // SAFETY: see above.
                    let r = unsafe {
                        libc::getsockopt(
                            fd,
                            libc::SOL_SOCKET,
                            libc::SO_LINGER,
                            (&mut l as *mut libc::linger).cast(),
                            &mut len,
                        )
                    };
                    if r < 0 {
                        return Err(last_errno());
                    }
                    put(&mut out, l.l_onoff);
                    out.extend_from_slice(&l.l_linger.to_be_bytes());
                }
                _ => {
                    let (level, name) = sockopt_level(opt).ok_or(libc::EINVAL)?;
                    let fd = self.raw().ok_or(libc::EINVAL)?;
                    match getsockopt_int(fd, level, name) {
                        Ok(v) => put(&mut out, v),
                        // As inet_drv: an option the socket does not have is left out.
                        Err(_) => continue,
                    }
                }
            }
        }
        Ok(out)
    }
}

// ---- the port side --------------------------------------------------------------------

fn open_socket(family: i32, ty: i32) -> Result<OwnedFd, i32> {
    // SAFETY: plain socket(2) call.
    let fd = unsafe { libc::socket(family, ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(last_errno());
    }
    // SAFETY: `fd` was just returned by socket(2) and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

impl Port {
    fn desc(g: &mut Inner) -> &mut Desc {
        g.inet.as_mut().expect("an inet port has a descriptor")
    }

    /// Register a new descriptor with the reactor.
    pub(super) fn register_fd(self: &Arc<Self>, d: &mut Desc) -> Result<(), i32> {
        let fd = d.raw().ok_or(libc::EBADF)?;
        let key = reactor::register(
            fd,
            Interest {
                read: false,
                write: false,
            },
            self.clone(),
            true,
        )
        .map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))?;
        d.key = Some(key);
        Ok(())
    }

    /// Wait for what the socket now needs.
    fn rearm(d: &Desc) {
        let (Some(key), Some(fd)) = (d.key, d.raw()) else {
            return;
        };
        let read = match d.state {
            State::Listen => !d.accepts.is_empty(),
            State::Connected | State::Open => d.active != Active::Passive || d.recv.is_some(),
            _ => false,
        };
        let write = d.state == State::Connecting || !d.out.is_empty();
        let _ = reactor::rearm(key, fd, Interest { read, write });
    }

    /// Arm (or disarm) the timer for the earliest deadline.
    fn retime(self: &Arc<Self>, d: &mut Desc) {
        let earliest = d
            .recv
            .and_then(|r| r.3)
            .into_iter()
            .chain(d.connect.and_then(|c| c.2))
            .chain(d.accepts.iter().filter_map(|a| a.2))
            .min();
        let Some(when) = earliest else {
            if let Some(key) = d.timer {
                reactor::arm_timer(key, None);
            }
            return;
        };
        if d.timer.is_none() {
            let Ok(key) = reactor::add_timer(self.clone()) else {
                return;
            };
            d.timer = Some(key);
        }
        if let Some(key) = d.timer {
            reactor::arm_timer(key, Some(when));
        }
    }

    /// `erlang:port_control/3` on an inet port.
    pub(super) fn inet_control(
        self: &Arc<Self>,
        g: &mut Inner,
        caller: u64,
        op: u32,
        b: &[u8],
    ) -> Vec<u8> {
        let Some(op) = op.checked_sub(MAGIC) else {
            return err(libc::EINVAL);
        };
        let id = self.id;
        let d = Self::desc(g);
        let deadline = |t: Option<i32>| match t {
            Some(ms) if ms >= 0 => Some(Instant::now() + Duration::from_millis(ms as u64)),
            _ => None,
        };
        let reply = match op {
            // INET_REQ_OPEN
            1 => {
                if d.state != State::Unopened {
                    return err(libc::EINVAL);
                }
                d.family = match b.first() {
                    Some(&AF_INET) => libc::AF_INET,
                    Some(&AF_INET6) => libc::AF_INET6,
                    _ => return err_name("eafnosupport"),
                };
                let ty = match (d.proto, b.get(1)) {
                    (Proto::Tcp, Some(1)) => libc::SOCK_STREAM,
                    (Proto::Udp, Some(2)) => libc::SOCK_DGRAM,
                    _ => return err_name("eprotonosupport"),
                };
                match open_socket(d.family, ty) {
                    Ok(fd) => d.fd = Some(fd),
                    Err(e) => return err(e),
                }
                if d.proto == Proto::Tcp {
                    // inet_drv turns SO_REUSEADDR on only when asked; nothing to do.
                }
                let stored = std::mem::take(&mut d.stored);
                for (o, v) in &stored {
                    if sockopt_level(*o).is_none() {
                        d.store(*o, v);
                    } else if let Some(fd) = d.raw()
                        && let Some((level, name)) = sockopt_level(*o)
                    {
                        let _ = setsockopt_int(fd, level, name, be32(v).unwrap_or(0));
                    }
                }
                if let Err(e) = self.register_fd(d) {
                    d.close_fd();
                    return err(e);
                }
                d.state = State::Open;
                ok(&[])
            }
            // INET_REQ_PEER, INET_REQ_NAME
            4 | 5 => {
                let Some(fd) = d.raw() else {
                    return err(libc::EINVAL);
                };
                if op == 4 && d.state != State::Connected {
                    return err(libc::ENOTCONN);
                }
                match sock_name(fd, op == 4) {
                    Ok(ss) => ok(&encode_addr(&ss)),
                    Err(e) => err(e),
                }
            }
            // INET_REQ_BIND
            6 => {
                let Some(fd) = d.raw() else {
                    return err(libc::EINVAL);
                };
                let Some((ss, len, _)) = decode_addr(d.family, b) else {
                    return err(libc::EINVAL);
                };
                // SAFETY: `ss` holds a sockaddr of `len` bytes.
                let r =
                    unsafe { libc::bind(fd, (&ss as *const libc::sockaddr_storage).cast(), len) };
                if r < 0 {
                    return err(last_errno());
                }
                match sock_name(fd, false) {
                    Ok(ss) => ok(&encode_addr(&ss)[1..3]),
                    Err(e) => err(e),
                }
            }
            // INET_REQ_SETOPTS
            7 => {
                let was = d.active;
                match d.setopts(b) {
                    Ok(()) => {
                        if was == Active::Passive && d.active != Active::Passive {
                            self.deliver_input(d);
                        }
                        ok(&[])
                    }
                    Err(e) => err(e),
                }
            }
            // INET_REQ_GETOPTS
            8 => match d.getopts(b) {
                Ok(v) => ok(&v),
                Err(e) => err(e),
            },
            // INET_REQ_GETSTAT
            11 => {
                let mut v = Vec::new();
                for &s in b {
                    v.push(s);
                    match s {
                        9 => v.extend_from_slice(&d.recv_oct.to_be_bytes()),
                        10 => v.extend_from_slice(&d.send_oct.to_be_bytes()),
                        _ => {
                            let n = match s {
                                1 => d.recv_cnt,
                                2 => d.recv_max,
                                3 => d.recv_oct.checked_div(d.recv_cnt).unwrap_or(0),
                                5 => d.send_cnt,
                                6 => d.send_max,
                                7 => d.send_oct.checked_div(d.send_cnt).unwrap_or(0),
                                8 => d.out.len() as u64,
                                _ => 0,
                            };
                            v.extend_from_slice(&(n as u32).to_be_bytes());
                        }
                    }
                }
                ok(&v)
            }
            // INET_REQ_GETHOSTNAME
            12 => {
                let mut buf = [0u8; 256];
                // SAFETY: gethostname writes at most buf.len() bytes.
                let r = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
                if r < 0 {
                    return err(last_errno());
                }
                let n = buf.iter().position(|&c| c == 0).unwrap_or(buf.len());
                ok(&buf[..n])
            }
            // INET_REQ_GETFD
            14 => match d.raw() {
                Some(fd) => ok(&fd.to_be_bytes()),
                None => err(libc::EINVAL),
            },
            // INET_REQ_GETTYPE
            15 => {
                let f: u32 = if d.family == libc::AF_INET6 { 2 } else { 1 };
                let t: u32 = if d.proto == Proto::Tcp { 1 } else { 2 };
                let mut v = f.to_be_bytes().to_vec();
                v.extend_from_slice(&t.to_be_bytes());
                ok(&v)
            }
            // INET_REQ_GETSTATUS
            16 => {
                let mut f = 0u32;
                if d.fd.is_some() {
                    f |= 1;
                }
                match d.state {
                    State::Listen => f |= 8,
                    State::Connected => f |= 4,
                    State::Connecting => f |= 0x10,
                    _ => {}
                }
                ok(&f.to_be_bytes())
            }
            // INET_REQ_SUBSCRIBE
            24 => {
                let mut v = Vec::new();
                for &s in b {
                    if s != 1 {
                        return err(libc::EINVAL);
                    }
                    let n = d.out.len() as u32;
                    if n > 0 {
                        d.empty_out_subs.push(caller);
                    }
                    v.push(1);
                    v.extend_from_slice(&n.to_be_bytes());
                }
                ok(&v)
            }
            // INET_REQ_GETIFADDRS
            25 => match if_addrs() {
                Ok(v) => ok(&v),
                Err(e) => err(e),
            },
            // INET_REQ_ACCEPT
            26 if d.proto == Proto::Tcp => {
                if d.state != State::Listen {
                    return err(libc::EINVAL);
                }
                let r = d.new_ref();
                d.accepts.push_back((caller, r, deadline(be32(b))));
                self.try_accept(d);
                self.retime(d);
                ok(&r.to_be_bytes())
            }
            // INET_REQ_LISTEN
            27 if d.proto == Proto::Tcp => {
                let Some(fd) = d.raw() else {
                    return err(libc::EINVAL);
                };
                let backlog = b
                    .get(..2)
                    .map_or(5, |x| i32::from(i16::from_be_bytes([x[0], x[1]])));
                // SAFETY: plain listen(2) call.
                if unsafe { libc::listen(fd, backlog) } < 0 {
                    return err(last_errno());
                }
                d.state = State::Listen;
                ok(&[])
            }
            // INET_REQ_CONNECT
            3 => {
                let Some(fd) = d.raw() else {
                    return err(libc::EINVAL);
                };
                let t = be32(b);
                let Some((ss, len, _)) = b.get(4..).and_then(|a| decode_addr(d.family, a)) else {
                    return err(libc::EINVAL);
                };
                if d.proto == Proto::Udp {
                    // SAFETY: `ss` holds a sockaddr of `len` bytes.
                    let rc = unsafe {
                        libc::connect(fd, (&ss as *const libc::sockaddr_storage).cast(), len)
                    };
                    if rc < 0 {
                        return err(last_errno());
                    }
                    d.state = State::Connected;
                    let r = d.new_ref();
                    reply_async(id, caller, r, |_| atom("ok"));
                    return ok(&r.to_be_bytes());
                }
                if matches!(
                    d.state,
                    State::Connected | State::Connecting | State::Listen
                ) {
                    return err(libc::EISCONN);
                }
                // SAFETY: `ss` holds a sockaddr of `len` bytes.
                let rc = unsafe {
                    libc::connect(fd, (&ss as *const libc::sockaddr_storage).cast(), len)
                };
                let r = d.new_ref();
                if rc == 0 {
                    d.state = State::Connected;
                    reply_async(id, caller, r, |_| atom("ok"));
                } else {
                    let e = last_errno();
                    if e != libc::EINPROGRESS {
                        return err(e);
                    }
                    d.state = State::Connecting;
                    d.connect = Some((caller, r, deadline(t)));
                    self.retime(d);
                }
                ok(&r.to_be_bytes())
            }
            // TCP_REQ_RECV
            42 if d.proto == Proto::Tcp => {
                if d.active != Active::Passive {
                    return err(libc::EINVAL);
                }
                if d.state != State::Connected {
                    if d.delayed_closed {
                        d.delayed_closed = false;
                        return err_name("closed");
                    }
                    return err(libc::ENOTCONN);
                }
                if d.recv.is_some() {
                    return err(libc::EALREADY);
                }
                let len = be32(b.get(4..).unwrap_or(&[])).unwrap_or(0).max(0) as usize;
                if d.packet != PB_RAW && len != 0 {
                    return err(libc::EINVAL);
                }
                let r = d.new_ref();
                d.recv = Some((caller, r, len, deadline(be32(b))));
                self.deliver_input(d);
                if d.recv.is_some() {
                    self.read_socket(d);
                }
                self.retime(d);
                ok(&r.to_be_bytes())
            }
            // TCP_REQ_UNRECV
            43 if d.proto == Proto::Tcp => {
                let mut v = b.to_vec();
                v.extend_from_slice(&d.inbuf);
                d.inbuf = v;
                ok(&[])
            }
            // TCP_REQ_SHUTDOWN
            44 if d.proto == Proto::Tcp => {
                if d.state != State::Connected {
                    return err(libc::ENOTCONN);
                }
                let how = match b.first() {
                    Some(0) => libc::SHUT_RD,
                    Some(1) => libc::SHUT_WR,
                    Some(2) => libc::SHUT_RDWR,
                    _ => return err(libc::EINVAL),
                };
                if how != libc::SHUT_RD && !d.out.is_empty() {
                    d.pending_shutdown = Some(how);
                    return ok(&[]);
                }
                let fd = d.raw().unwrap_or(-1);
                // SAFETY: plain shutdown(2) call.
                if unsafe { libc::shutdown(fd, how) } < 0 {
                    return err(last_errno());
                }
                ok(&[])
            }
            // PACKET_REQ_RECV
            60 if d.proto == Proto::Udp => {
                if d.active != Active::Passive {
                    return err(libc::EINVAL);
                }
                if d.recv.is_some() {
                    return err(libc::EALREADY);
                }
                let r = d.new_ref();
                d.recv = Some((caller, r, 0, deadline(be32(b))));
                self.read_socket(d);
                self.retime(d);
                ok(&r.to_be_bytes())
            }
            _ => err(libc::EINVAL),
        };
        Self::rearm(Self::desc(g));
        reply
    }

    /// Accept what connections the queue of accepters can take.
    fn try_accept(self: &Arc<Self>, d: &mut Desc) {
        while let Some(&(caller, r, _)) = d.accepts.front() {
            let Some(fd) = d.raw() else { return };
            // SAFETY: accept4 with null address pointers.
            let nfd = unsafe {
                libc::accept4(
                    fd,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                )
            };
            if nfd < 0 {
                let e = last_errno();
                if e == libc::EAGAIN || e == libc::EINTR {
                    return;
                }
                d.accepts.pop_front();
                reply_async_error(self.id, caller, r, errno_name(e));
                continue;
            }
            d.accepts.pop_front();
            // SAFETY: `nfd` was just returned by accept4 and is owned by nobody else.
            let nfd = unsafe { OwnedFd::from_raw_fd(nfd) };
            let mut nd = Desc::new(Proto::Tcp);
            nd.family = d.family;
            nd.fd = Some(nfd);
            nd.state = State::Connected;
            nd.active = d.active;
            nd.multi = d.multi;
            nd.packet = d.packet;
            nd.binary = d.binary;
            nd.header = d.header;
            nd.exit_on_close = d.exit_on_close;
            nd.packet_size = d.packet_size;
            nd.line_delim = d.line_delim;
            nd.buffer = d.buffer;
            nd.stored = d.stored.clone();
            match super::open_inet(caller, nd) {
                Ok(nid) => {
                    let _ = crate::sched::send_signal(
                        caller,
                        Signal::Link {
                            from: nid | super::PORT_BIT,
                        },
                    );
                    reply_async(self.id, caller, r, |a| {
                        obj::tuple(a, &[atom("ok"), Term::port(nid)])
                    });
                }
                Err(e) => reply_async_error(self.id, caller, r, errno_name(e)),
            }
        }
    }

    /// Read what the socket has, if someone wants it.
    fn read_socket(self: &Arc<Self>, d: &mut Desc) {
        let Some(fd) = d.raw() else { return };
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let wanted = d.active != Active::Passive || d.recv.is_some();
            if !wanted || d.state != State::Connected && d.proto == Proto::Tcp {
                return;
            }
            if d.proto == Proto::Udp {
                // SAFETY: zeroed sockaddr_storage is valid; recvfrom writes at most
                // buf.len() bytes to `buf` and `len` bytes to `ss`.
                let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
                let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
                // SAFETY: see above.
                let n = unsafe {
                    libc::recvfrom(
                        fd,
                        buf.as_mut_ptr().cast(),
                        buf.len(),
                        0,
                        (&mut ss as *mut libc::sockaddr_storage).cast(),
                        &mut len,
                    )
                };
                if n < 0 {
                    let e = last_errno();
                    if e == libc::EINTR {
                        continue;
                    }
                    if e != libc::EAGAIN
                        && let Some((caller, r, _, _)) = d.recv.take()
                    {
                        reply_async_error(self.id, caller, r, errno_name(e));
                    }
                    return;
                }
                let n = n as usize;
                d.recv_cnt += 1;
                d.recv_oct += n as u64;
                d.recv_max = d.recv_max.max(n as u64);
                self.deliver_datagram(d, &encode_addr(&ss), &buf[..n]);
                continue;
            }
            // SAFETY: `buf` is writable for buf.len() bytes.
            let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
            if n < 0 {
                let e = last_errno();
                if e == libc::EINTR {
                    continue;
                }
                if e == libc::EAGAIN {
                    return;
                }
                self.peer_closed(d);
                return;
            }
            if n == 0 {
                self.peer_closed(d);
                return;
            }
            let n = n as usize;
            d.recv_cnt += 1;
            d.recv_oct += n as u64;
            d.recv_max = d.recv_max.max(n as u64);
            super::count_io(n as u64, 0);
            d.inbuf.extend_from_slice(&buf[..n]);
            self.deliver_input(d);
        }
    }

    fn deliver_datagram(self: &Arc<Self>, d: &mut Desc, addr: &[u8], data: &[u8]) {
        let (binary, header) = (d.binary, d.header);
        if let Some((caller, r, _, _)) = d.recv.take() {
            reply_async(self.id, caller, r, |a| {
                let tail = data_term(a, binary, header, data);
                let items: Vec<Term> = addr.iter().map(|&x| Term::small(i64::from(x))).collect();
                let l = obj::list_from_slice(a, &items, tail);
                obj::tuple(a, &[atom("ok"), l])
            });
            return;
        }
        if d.active == Active::Passive {
            return;
        }
        let to = self.lock_free_connected();
        let m = message("udp", self.id, |a| {
            let ip = ip_term(a, addr);
            let port = Term::small(i64::from(u16::from_be_bytes([addr[1], addr[2]])));
            vec![ip, port, data_term(a, binary, header, data)]
        });
        crate::sched::deliver(to, m);
        self.after_active_delivery(d, "udp_passive", to);
    }

    /// The connected process (read under the port's lock by the caller).
    fn lock_free_connected(&self) -> u64 {
        self.connected_cache
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    fn after_active_delivery(&self, d: &mut Desc, passive_tag: &str, to: u64) {
        match d.active {
            Active::Once => d.active = Active::Passive,
            Active::Multi => {
                d.multi -= 1;
                if d.multi <= 0 {
                    d.multi = 0;
                    d.active = Active::Passive;
                    crate::sched::deliver(to, message(passive_tag, self.id, |_| vec![]));
                }
            }
            _ => {}
        }
    }

    /// The next complete packet's length in `inbuf` (header included), and its header
    /// size; `Err` when the header says more than `packet_size` allows.
    fn next_packet(d: &Desc, want: usize) -> Result<Option<(usize, usize)>, ()> {
        let b = &d.inbuf;
        match d.packet {
            PB_1 | PB_2 | PB_4 => {
                let h = match d.packet {
                    PB_1 => 1,
                    PB_2 => 2,
                    _ => 4,
                };
                if b.len() < h {
                    return Ok(None);
                }
                let len = b[..h]
                    .iter()
                    .fold(0usize, |v, &x| (v << 8) | usize::from(x));
                if d.packet_size > 0 && len > d.packet_size as usize {
                    return Err(());
                }
                Ok((b.len() >= h + len).then_some((h + len, h)))
            }
            PB_LINE => {
                let limit = (d.buffer.max(1) as usize).min(b.len());
                match b[..limit].iter().position(|&c| c == d.line_delim) {
                    Some(i) => Ok(Some((i + 1, 0))),
                    None if b.len() >= d.buffer.max(1) as usize => Ok(Some((limit, 0))),
                    None => Ok(None),
                }
            }
            PB_RAW => {
                if b.is_empty() {
                    return Ok(None);
                }
                if want > 0 {
                    return Ok((b.len() >= want).then_some((want, 0)));
                }
                Ok(Some((b.len(), 0)))
            }
            code => {
                let Some(hooks) = HOOKS.get() else {
                    return Err(());
                };
                let trunc = d.buffer.max(1) as u32;
                // Header lines (with their continuation lines) after an HTTP start line.
                let code = match code {
                    PB_HTTP if d.http_headers => PB_HTTPH,
                    PB_HTTP_BIN if d.http_headers => PB_HTTPH_BIN,
                    c => c,
                };
                match (hooks.length)(code, b, d.packet_size, trunc) {
                    None => Err(()),
                    Some(0) => Ok(None),
                    Some(n) if n as usize > b.len() => Ok(None),
                    Some(n) => Ok(Some((n as usize, 0))),
                }
            }
        }
    }

    /// Hand buffered input to a waiting recv or, in active mode, to the owner.
    fn deliver_input(self: &Arc<Self>, d: &mut Desc) {
        if d.proto == Proto::Udp {
            return;
        }
        loop {
            let want = d.recv.map_or(0, |r| r.2);
            if d.recv.is_none() && d.active == Active::Passive {
                return;
            }
            let (len, h) = match Self::next_packet(d, want) {
                Ok(Some(x)) => x,
                Ok(None) => return,
                Err(()) => {
                    self.packet_error(d, "emsgsize");
                    return;
                }
            };
            let packet: Vec<u8> = d.inbuf.drain(..len).skip(h).collect();
            // `{deliver, port}` (option 25 = 0) on a distribution controller.
            if d.dist && d.recv.is_none() && d.stored_int(25, 1) == 0 {
                d.dist_in.push(packet);
                continue;
            }
            let (binary, header) = (d.binary, d.header);
            if is_http(d.packet)
                && let Some(hooks) = HOOKS.get()
            {
                let headers = d.http_headers || matches!(d.packet, PB_HTTPH | PB_HTTPH_BIN);
                let bin = matches!(d.packet, PB_HTTP_BIN | PB_HTTPH_BIN);
                let mut area = LiteralArea::new();
                let t = (hooks.http)(&mut area, &packet, headers, bin);
                // As inet_drv: a start line makes header lines come next, the end of the
                // headers a start line again.
                if t.as_atom() == Some(Atom::intern("http_eoh")) {
                    d.http_headers = false;
                } else if obj::is_tuple(t)
                    && matches!(
                        obj::tuple_element(t, 0).as_atom().map(|a| a.name()),
                        Some("http_request" | "http_response")
                    )
                {
                    d.http_headers = true;
                }
                let to = self.lock_free_connected();
                let (tag, dest) = match d.recv.take() {
                    Some((caller, r, _, _)) => (None, (caller, r)),
                    None => (Some("http"), (to, 0)),
                };
                let items = match tag {
                    None => {
                        let ok = obj::tuple(&mut area, &[atom("ok"), t]);
                        vec![
                            atom("inet_async"),
                            Term::port(self.id),
                            Term::small(i64::from(dest.1)),
                            ok,
                        ]
                    }
                    Some(tag) => vec![atom(tag), Term::port(self.id), t],
                };
                let term = obj::tuple(&mut area, &items);
                crate::sched::deliver(dest.0, Owned { term, area });
                if tag.is_some() {
                    self.after_active_delivery(d, "tcp_passive", to);
                } else {
                    self.retime(d);
                }
                continue;
            }
            if let Some((caller, r, _, _)) = d.recv.take() {
                reply_async(self.id, caller, r, |a| {
                    let t = data_term(a, binary, header, &packet);
                    obj::tuple(a, &[atom("ok"), t])
                });
                self.retime(d);
                continue;
            }
            let to = self.lock_free_connected();
            let m = message("tcp", self.id, |a| {
                vec![data_term(a, binary, header, &packet)]
            });
            crate::sched::deliver(to, m);
            self.after_active_delivery(d, "tcp_passive", to);
        }
    }

    fn packet_error(self: &Arc<Self>, d: &mut Desc, reason: &str) {
        if let Some((caller, r, _, _)) = d.recv.take() {
            reply_async_error(self.id, caller, r, reason);
        } else {
            let to = self.lock_free_connected();
            crate::sched::deliver(to, message("tcp_error", self.id, |_| vec![atom(reason)]));
        }
    }

    /// The peer closed the connection (or reset it).
    fn peer_closed(self: &Arc<Self>, d: &mut Desc) {
        let to = self.lock_free_connected();
        if d.active == Active::Passive {
            // A waiting recv gets `closed`; a later one too (once), then `enotconn`.
            d.inbuf.clear();
            if let Some((caller, r, _, _)) = d.recv.take() {
                reply_async_error(self.id, caller, r, "closed");
            } else {
                d.delayed_closed = true;
            }
            if d.exit_on_close {
                d.out.clear();
                d.close_fd();
            }
            d.state = State::Closed;
        } else {
            d.inbuf.clear();
            crate::sched::deliver(to, message("tcp_closed", self.id, |_| vec![]));
            d.state = State::Closed;
            d.delayed_closed = true;
            // The port stays open (erts sends no exit signal): sends answer `closed`.
            if d.exit_on_close {
                d.out.clear();
                d.close_fd();
            }
        }
    }

    /// Write what is queued; false when the connection broke.
    fn flush_out(self: &Arc<Self>, d: &mut Desc) {
        let Some(fd) = d.raw() else { return };
        while !d.out.is_empty() {
            // SAFETY: writes bytes of `out` to the socket.
            let n =
                unsafe { libc::send(fd, d.out.as_ptr().cast(), d.out.len(), libc::MSG_NOSIGNAL) };
            if n < 0 {
                let e = last_errno();
                if e == libc::EINTR {
                    continue;
                }
                if e == libc::EAGAIN {
                    return;
                }
                d.out.clear();
                return;
            }
            d.out.drain(..n as usize);
        }
        for s in std::mem::take(&mut d.empty_out_subs) {
            crate::sched::deliver(s, message("empty_out_q", self.id, |_| vec![]));
        }
        if let Some(how) = d.pending_shutdown.take() {
            // SAFETY: plain shutdown(2) call.
            unsafe { libc::shutdown(fd, how) };
        }
    }

    /// `port_command` on an inet port: send, answering `{inet_reply, S, Status}`.
    pub(super) fn inet_command(self: &Arc<Self>, g: &mut Inner, caller: u64, bytes: &[u8]) {
        let id = self.id;
        let d = Self::desc(g);
        let reply = |status: &str| {
            let m = message("inet_reply", id, |a| {
                if status == "ok" {
                    vec![atom("ok")]
                } else {
                    vec![error_term(a, status)]
                }
            });
            crate::sched::deliver(caller, m);
        };
        if d.proto == Proto::Udp {
            let Some(fd) = d.raw() else {
                return reply("einval");
            };
            let Some((ss, len, used)) = decode_addr(d.family, bytes) else {
                return reply("einval");
            };
            let anc = be32(&bytes[used..]).unwrap_or(0).max(0) as usize;
            let Some(data) = bytes.get(used + 4 + anc..) else {
                return reply("einval");
            };
            // SAFETY: sends `data` to the address `ss` of `len` bytes.
            let n = unsafe {
                libc::sendto(
                    fd,
                    data.as_ptr().cast(),
                    data.len(),
                    libc::MSG_NOSIGNAL,
                    (&ss as *const libc::sockaddr_storage).cast(),
                    len,
                )
            };
            if n < 0 {
                return reply(errno_name(last_errno()));
            }
            d.send_cnt += 1;
            d.send_oct += data.len() as u64;
            d.send_max = d.send_max.max(data.len() as u64);
            return reply("ok");
        }
        if d.state != State::Connected {
            if d.state == State::Closed {
                return reply("closed");
            }
            return reply("enotconn");
        }
        let h = match d.packet {
            PB_1 => 1,
            PB_2 => 2,
            PB_4 => 4,
            _ => 0,
        };
        if h > 0 {
            // As inet_drv: a length the header cannot hold is truncated, not refused.
            let len = bytes.len();
            d.out.extend((0..h).rev().map(|i| (len >> (8 * i)) as u8));
        }
        d.out.extend_from_slice(bytes);
        d.send_cnt += 1;
        d.send_oct += bytes.len() as u64;
        d.send_max = d.send_max.max(bytes.len() as u64);
        super::count_io(0, bytes.len() as u64);
        self.flush_out(d);
        Self::rearm(d);
        reply("ok");
    }

    /// The reactor says registration `key` is ready; false if it is not this port's.
    pub(super) fn inet_ready(self: &Arc<Self>, g: &mut Inner, key: usize) -> bool {
        self.connected_cache
            .store(g.connected, std::sync::atomic::Ordering::Relaxed);
        let d = Self::desc(g);
        if d.timer == Some(key) {
            self.expire(d);
            return true;
        }
        if d.key != Some(key) {
            return false;
        }
        match d.state {
            State::Listen => {
                self.try_accept(d);
                self.retime(d);
            }
            State::Connecting => {
                let fd = d.raw().unwrap_or(-1);
                let e = getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_ERROR).unwrap_or(libc::EIO);
                if let Some((caller, r, _)) = d.connect.take() {
                    if e == 0 {
                        d.state = State::Connected;
                        reply_async(self.id, caller, r, |_| atom("ok"));
                    } else {
                        d.state = State::Open;
                        reply_async_error(self.id, caller, r, errno_name(e));
                    }
                }
                self.retime(d);
            }
            _ => {
                self.flush_out(d);
                self.read_socket(d);
                self.retime(d);
            }
        }
        Self::rearm(d);
        true
    }

    /// The timer fired: time out what waited too long.
    fn expire(self: &Arc<Self>, d: &mut Desc) {
        let now = Instant::now();
        let due = |t: Option<Instant>| t.is_some_and(|t| t <= now);
        if d.recv.is_some_and(|r| due(r.3))
            && let Some((caller, r, _, _)) = d.recv.take()
        {
            reply_async_error(self.id, caller, r, "timeout");
        }
        if d.connect.is_some_and(|c| due(c.2))
            && let Some((caller, r, _)) = d.connect.take()
        {
            reply_async_error(self.id, caller, r, "timeout");
        }
        let mut keep = VecDeque::new();
        for (caller, r, t) in std::mem::take(&mut d.accepts) {
            if due(t) {
                reply_async_error(self.id, caller, r, "timeout");
            } else {
                keep.push_back((caller, r, t));
            }
        }
        d.accepts = keep;
        self.retime(d);
        Self::rearm(d);
    }
}

fn ip_term(a: &mut LiteralArea, addr: &[u8]) -> Term {
    if addr[0] == AF_INET6 {
        let parts: Vec<Term> = addr[3..19]
            .chunks(2)
            .map(|c| Term::small(i64::from(u16::from_be_bytes([c[0], c[1]]))))
            .collect();
        obj::tuple(a, &parts)
    } else {
        let parts: Vec<Term> = addr[3..7]
            .iter()
            .map(|&x| Term::small(i64::from(x)))
            .collect();
        obj::tuple(a, &parts)
    }
}

/// `INET_REQ_GETIFADDRS`' answer, as inet_drv encodes getifaddrs(3): per entry the name,
/// a 0, its flags, its addresses (IPv4 and IPv6: address, netmask, broadcast or
/// destination address; link layer: the hardware address), a 0.
fn if_addrs() -> Result<Vec<u8>, i32> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list freed below by freeifaddrs.
    if unsafe { libc::getifaddrs(&mut head) } < 0 {
        return Err(last_errno());
    }
    let mut out = Vec::new();
    let mut p = head;
    while !p.is_null() {
        // SAFETY: `p` is an entry of the list getifaddrs returned, alive until freeifaddrs.
        let ifa = unsafe { &*p };
        p = ifa.ifa_next;
        // SAFETY: ifa_name is a NUL-terminated string owned by the list.
        let name = unsafe { std::ffi::CStr::from_ptr(ifa.ifa_name) };
        out.extend_from_slice(name.to_bytes());
        out.push(0);
        let f = ifa.ifa_flags as i32;
        let mut flags = 0u32;
        for (sys, ours) in [
            (libc::IFF_UP, 0x1),
            (libc::IFF_BROADCAST, 0x2),
            (libc::IFF_LOOPBACK, 0x4),
            (libc::IFF_POINTOPOINT, 0x8),
            (libc::IFF_RUNNING, 0x10),
            (libc::IFF_MULTICAST, 0x20),
        ] {
            if f & sys != 0 {
                flags |= ours;
            }
        }
        out.push(6);
        out.extend_from_slice(&flags.to_be_bytes());
        let sockaddr = |out: &mut Vec<u8>, opt: u8, sa: *const libc::sockaddr| {
            if sa.is_null() {
                return;
            }
            // SAFETY: a non-null address of an entry is a valid sockaddr of its family.
            let family = i32::from(unsafe { (*sa).sa_family });
            if family == libc::AF_INET {
                // SAFETY: the family says it is a sockaddr_in.
                let sin = unsafe { &*sa.cast::<libc::sockaddr_in>() };
                out.push(opt);
                out.push(AF_INET);
                out.extend_from_slice(&sin.sin_addr.s_addr.to_ne_bytes());
            } else if family == libc::AF_INET6 {
                // SAFETY: the family says it is a sockaddr_in6.
                let sin6 = unsafe { &*sa.cast::<libc::sockaddr_in6>() };
                out.push(opt);
                out.push(AF_INET6);
                out.extend_from_slice(&sin6.sin6_addr.s6_addr);
            }
        };
        if !ifa.ifa_addr.is_null() {
            // SAFETY: checked non-null; a valid sockaddr.
            let family = i32::from(unsafe { (*ifa.ifa_addr).sa_family });
            if family == libc::AF_INET || family == libc::AF_INET6 {
                sockaddr(&mut out, 1, ifa.ifa_addr);
                sockaddr(&mut out, 5, ifa.ifa_netmask);
                if f & libc::IFF_POINTOPOINT != 0 {
                    sockaddr(&mut out, 3, ifa.ifa_ifu);
                } else if f & libc::IFF_BROADCAST != 0 {
                    sockaddr(&mut out, 2, ifa.ifa_ifu);
                }
            } else if family == libc::AF_PACKET {
                // SAFETY: the family says it is a sockaddr_ll.
                let sll = unsafe { &*ifa.ifa_addr.cast::<libc::sockaddr_ll>() };
                let n = usize::from(sll.sll_halen).min(sll.sll_addr.len());
                if n + 2 > 3 {
                    out.push(7);
                    out.extend_from_slice(&(n as u16).to_be_bytes());
                    out.extend_from_slice(&sll.sll_addr[..n]);
                }
            }
        }
        out.push(0);
    }
    // SAFETY: `head` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    Ok(out)
}

/// Make inet port `id` a distribution controller (`erlang:setnode/3`); false if it is not
/// an open TCP port.
pub fn set_dist(id: u64) -> bool {
    let Some(port) = super::get(id) else {
        return false;
    };
    let mut g = port.lock();
    if g.closed {
        return false;
    }
    match g.inet.as_mut() {
        Some(d) if d.proto == Proto::Tcp => {
            d.dist = true;
            true
        }
        _ => false,
    }
}

/// Send one distribution packet (a 4-byte length, then `bytes`) on controller port `id`;
/// false when the port is closed or not connected.
pub fn dist_write(id: u64, bytes: &[u8]) -> bool {
    let Some(port) = super::get(id) else {
        return false;
    };
    let mut g = port.lock();
    if g.closed {
        return false;
    }
    let Some(d) = g.inet.as_mut() else {
        return false;
    };
    if d.state != State::Connected {
        return false;
    }
    d.out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    d.out.extend_from_slice(bytes);
    d.send_cnt += 1;
    d.send_oct += bytes.len() as u64;
    d.send_max = d.send_max.max(bytes.len() as u64);
    super::count_io(0, bytes.len() as u64);
    port.flush_out(d);
    Port::rearm(d);
    true
}

//! The NIFs of OTP's preloaded `prim_socket` (erts' `prim_socket_nif.c`, "esock"), so that
//! OTP's own `socket` module runs unmodified.
//!
//! A socket is a resource named by a reference (`SockRef`; `socket.erl` wraps it as
//! `{'$socket', SockRef}`) over a non-blocking descriptor registered with girder's I/O
//! reactor, the poller thread ports and inet drivers use: no call ever blocks a scheduler
//! thread. A call that cannot complete now (`accept`, `connect`, `recv`, `recvfrom`,
//! `send`, `sendto`) answers `select` and records the caller and its select handle; when
//! the descriptor is ready, the reactor thread sends the caller `{'$socket', Socket,
//! select, Handle}` and `socket.erl` calls again. Timeouts are `socket.erl`'s own (`receive
//! ... after`, then `cancel`). Closing a socket aborts the calls waiting on it with
//! `{'$socket', Socket, abort, {Handle, closed}}`. New and closed sockets are reported to
//! `socket_registry` as esock does.
//!
//! Implemented: the `inet` and `inet6` domains, `stream` and `dgram` types; `open/4`,
//! `bind/2`, `connect/1,3`, `listen`, `accept`, `send`, `sendto`, `recv`, `recvfrom`,
//! `close`, `finalize_close`, `shutdown`, `sockname`, `peername`, `cancel`, `info/0,1`,
//! `supports/0,1`, and `setopt`/`getopt` for the options [`OPTIONS`] lists (the `otp`
//! level: `debug`, `iow`, `controlling_process`, `rcvbuf`, `meta`, `use_registry`,
//! `domain`). Not yet (the NIF is unbound, so the call raises `notsup` as on a build of erl
//! without esock): `open/2` (from a descriptor), `sendmsg`, `recvmsg`, `sendfile`,
//! `ioctl`, `command`, `local` addresses and native option values. A socket is closed when
//! its controlling process exits, as in esock; its small record stays for the VM's life (a
//! closed socket's reference still answers `{error, closed}`).

use std::collections::HashMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_runtime::nif::NifTable;
use girder_runtime::port::inet::errno_name;
use girder_runtime::reactor::{self, Interest};
use girder_runtime::sched::{self, table::Owned};
use girder_term::copy::copy_term;
use girder_term::heap::{Alloc, LiteralArea};
use girder_term::object as obj;
use girder_term::object::RefIds;
use girder_term::{Atom, Term};

use crate::util::{atom, iolist};

pub static TABLE: NifTable = NifTable {
    module: "prim_socket",
    on_load_at_boot: true,
    load: Some(load),
    functions: &[
        ("nif_info", 0, |p, _| info0(p)),
        ("nif_info", 1, info1),
        ("nif_supports", 0, supports0),
        ("nif_supports", 1, supports1),
        ("nif_open", 4, open),
        ("nif_bind", 2, bind),
        ("nif_connect", 3, connect3),
        ("nif_connect", 1, connect1),
        ("nif_listen", 2, listen),
        ("nif_accept", 2, accept),
        ("nif_send", 4, send),
        ("nif_sendto", 5, sendto),
        ("nif_recv", 4, recv),
        ("nif_recvfrom", 4, recvfrom),
        ("nif_close", 1, close),
        ("nif_finalize_close", 1, finalize_close),
        ("nif_shutdown", 2, shutdown),
        ("nif_setopt", 5, setopt),
        ("nif_getopt", 3, getopt),
        ("nif_sockname", 1, |p, a| name(p, a, false)),
        ("nif_peername", 1, |p, a| name(p, a, true)),
        ("nif_cancel", 3, cancel),
    ],
};

/// Tells socket references apart from other references (their third word).
const REF_TAG: u32 = 0x736f_636b;

/// esock's default read buffer (`{otp, rcvbuf}`).
const DEFAULT_RCVBUF: usize = 8192;

/// The most one read asks of the kernel. A larger `recv` length is read in parts (each
/// part short of the length answers `{select, Part}`, and the next comes with the select
/// message), so a huge length cannot exhaust memory: erl's esock aborts the VM there.
const MAX_READ: usize = 1 << 24;

// The `otp` level's options, as prim_socket.erl numbers them.
const OTP_DEBUG: i64 = 1001;
const OTP_IOW: i64 = 1002;
const OTP_CTRL_PROC: i64 = 1003;
const OTP_RCVBUF: i64 = 1004;
const OTP_FD: i64 = 1008;
const OTP_META: i64 = 1009;
const OTP_USE_REGISTRY: i64 = 1010;
const OTP_DOMAIN: i64 = 1999;

/// What waits on a socket.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Accept,
    Connect,
    Recv,
    RecvFrom,
    Send,
    SendTo,
}

impl Op {
    fn from_atom(t: Term) -> Option<Op> {
        Some(match t.as_atom()?.name() {
            "accept" => Op::Accept,
            "connect" => Op::Connect,
            "recv" => Op::Recv,
            "recvfrom" => Op::RecvFrom,
            "send" => Op::Send,
            "sendto" => Op::SendTo,
            _ => return None,
        })
    }

    fn reads(self) -> bool {
        matches!(self, Op::Accept | Op::Recv | Op::RecvFrom)
    }
}

/// A call that answered `select`: who made it and with what handle.
struct Waiter {
    pid: u64,
    op: Op,
    handle: Owned,
    /// The select message has been sent.
    sent: bool,
}

#[derive(Default)]
struct Counters {
    read_byte: u64,
    read_pkg: u64,
    read_pkg_max: u64,
    read_tries: u64,
    read_waits: u64,
    read_fails: u64,
    write_byte: u64,
    write_pkg: u64,
    write_pkg_max: u64,
    write_tries: u64,
    write_waits: u64,
    write_fails: u64,
    acc_success: u64,
    acc_tries: u64,
    acc_waits: u64,
    acc_fails: u64,
}

struct Sock {
    fd: Option<OwnedFd>,
    /// The reactor registration of `fd`.
    key: Option<usize>,
    domain: i32,
    ty: i32,
    protocol: i32,
    owner: u64,
    waiters: Vec<Waiter>,
    rcvbuf: usize,
    iow: bool,
    debug: bool,
    use_registry: bool,
    meta: Option<Owned>,
    counters: Counters,
    /// `close/1` was called (the descriptor goes at `finalize_close/1`).
    closing: bool,
}

struct SockCell {
    id: u64,
    sock: Mutex<Sock>,
}

impl SockCell {
    fn lock(&self) -> MutexGuard<'_, Sock> {
        self.sock.lock().unwrap_or_else(|e| e.into_inner())
    }
}

static SOCKETS: LazyLock<Mutex<HashMap<u64, Arc<SockCell>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));
static NEXT: AtomicU64 = AtomicU64::new(1);

fn sockets() -> MutexGuard<'static, HashMap<u64, Arc<SockCell>>> {
    SOCKETS.lock().unwrap_or_else(|e| e.into_inner())
}

fn sock_ref(h: &mut impl Alloc, id: u64) -> Term {
    let ids = RefIds::new(&[id as u32, (id >> 32) as u32, REF_TAG]).expect("three ids");
    obj::local_ref(h, &ids)
}

/// The socket `t` names, or `badarg`.
fn get(t: Term) -> Result<Arc<SockCell>, BifError> {
    if !obj::is_local_ref(t) {
        return Err(BifError::BADARG);
    }
    let ids = obj::local_ref_ids(t);
    if ids.as_slice().len() != 3 || ids.get(2) != REF_TAG {
        return Err(BifError::BADARG);
    }
    let id = u64::from(ids.get(0)) | (u64::from(ids.get(1)) << 32);
    sockets().get(&id).cloned().ok_or(BifError::BADARG)
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

fn error(p: &mut Process, reason: &str) -> Term {
    obj::tuple(&mut p.heap, &[atom("error"), atom(reason)])
}

fn errno(p: &mut Process, code: i32) -> Term {
    error(p, errno_name(code))
}

fn ok_tuple(p: &mut Process, v: Term) -> Term {
    obj::tuple(&mut p.heap, &[atom("ok"), v])
}

fn closed(p: &mut Process) -> BifResult {
    Ok(error(p, "closed"))
}

/// `{'$socket', {'$socket', SockRef}, Tag, Info}` in its own area.
fn socket_msg(id: u64, tag: &str, info: impl FnOnce(&mut LiteralArea) -> Term) -> Owned {
    let mut area = LiteralArea::new();
    let r = sock_ref(&mut area, id);
    let socket = obj::tuple(&mut area, &[atom("$socket"), r]);
    let info = info(&mut area);
    let term = obj::tuple(&mut area, &[atom("$socket"), socket, atom(tag), info]);
    Owned { term, area }
}

impl reactor::Source for SockCell {
    fn ready(&self, _key: usize, readable: bool, writable: bool) {
        let mut s = self.lock();
        for w in s.waiters.iter_mut().filter(|w| !w.sent) {
            if (w.op.reads() && readable) || (!w.op.reads() && writable) {
                w.sent = true;
                let h = w.handle.term;
                let m = socket_msg(self.id, "select", |a| copy_term(h, a));
                sched::deliver(w.pid, m);
            }
        }
        rearm(&s);
    }
}

/// Wait for what the socket's unanswered waiters need.
fn rearm(s: &Sock) {
    let (Some(key), Some(fd)) = (s.key, s.fd.as_ref()) else {
        return;
    };
    let pending = s.waiters.iter().filter(|w| !w.sent);
    let (mut read, mut write) = (false, false);
    for w in pending {
        if w.op.reads() {
            read = true;
        } else {
            write = true;
        }
    }
    let _ = reactor::rearm(key, fd.as_raw_fd(), Interest { read, write });
}

/// Record that `pid` waits (with `handle`) for the socket to be ready for `op`. A
/// caller's earlier wait for the same kind of operation is over: it is calling again.
fn wait(s: &mut Sock, pid: u64, op: Op, handle: Term) {
    s.waiters
        .retain(|w| !(w.pid == pid && w.op.reads() == op.reads()));
    s.waiters.push(Waiter {
        pid,
        op,
        handle: Owned::copy(handle),
        sent: false,
    });
    rearm(s);
}

/// The caller's call completed: its earlier waits of that kind are over.
fn done(s: &mut Sock, pid: u64, op: Op) {
    s.waiters
        .retain(|w| !(w.pid == pid && w.op.reads() == op.reads()));
}

fn fd_of(s: &Sock) -> Option<RawFd> {
    if s.closing {
        return None;
    }
    s.fd.as_ref().map(|f| f.as_raw_fd())
}

// ---- addresses ------------------------------------------------------------------------

/// A `sockaddr` from prim_socket's encoded map (`#{family, addr, port[, flowinfo,
/// scope_id]}`); `None` when it is not one.
pub fn sockaddr(t: Term) -> Option<(libc::sockaddr_storage, libc::socklen_t)> {
    if !obj::is_map(t) {
        return None;
    }
    let key = |k: &str| obj::map_get(t, atom(k));
    let port = key("port")?
        .as_small()
        .and_then(|n| u16::try_from(n).ok())?;
    let addr = key("addr")?;
    // SAFETY: sockaddr_storage is plain data; all zeroes is a valid value.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    match key("family")?.as_atom()?.name() {
        "inet" => {
            let ip: [u8; 4] = match addr.as_atom().map(|a| a.name()) {
                Some("any") => [0; 4],
                Some("loopback") => [127, 0, 0, 1],
                Some("broadcast") => [255; 4],
                Some(_) => return None,
                None => {
                    if !obj::is_tuple(addr) || obj::tuple_arity(addr) != 4 {
                        return None;
                    }
                    let mut ip = [0u8; 4];
                    for (i, b) in ip.iter_mut().enumerate() {
                        *b = obj::tuple_element(addr, i)
                            .as_small()
                            .and_then(|n| u8::try_from(n).ok())?;
                    }
                    ip
                }
            };
            // SAFETY: sockaddr_in fits in sockaddr_storage, which is aligned for it.
            let sin = unsafe { &mut *(&raw mut ss).cast::<libc::sockaddr_in>() };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = port.to_be();
            sin.sin_addr.s_addr = u32::from_ne_bytes(ip);
            Some((ss, size_of::<libc::sockaddr_in>() as libc::socklen_t))
        }
        "inet6" => {
            let ip: [u16; 8] = match addr.as_atom().map(|a| a.name()) {
                Some("any") => [0; 8],
                Some("loopback") => [0, 0, 0, 0, 0, 0, 0, 1],
                Some(_) => return None,
                None => {
                    if !obj::is_tuple(addr) || obj::tuple_arity(addr) != 8 {
                        return None;
                    }
                    let mut ip = [0u16; 8];
                    for (i, w) in ip.iter_mut().enumerate() {
                        *w = obj::tuple_element(addr, i)
                            .as_small()
                            .and_then(|n| u16::try_from(n).ok())?;
                    }
                    ip
                }
            };
            let num = |k: &str| -> Option<u32> {
                key(k).map_or(Some(0), |v| {
                    v.as_small().and_then(|n| u32::try_from(n).ok())
                })
            };
            // SAFETY: sockaddr_in6 fits in sockaddr_storage, which is aligned for it.
            let sin6 = unsafe { &mut *(&raw mut ss).cast::<libc::sockaddr_in6>() };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = port.to_be();
            sin6.sin6_flowinfo = num("flowinfo")?;
            sin6.sin6_scope_id = num("scope_id")?;
            for (i, w) in ip.iter().enumerate() {
                sin6.sin6_addr.s6_addr[2 * i..2 * i + 2].copy_from_slice(&w.to_be_bytes());
            }
            Some((ss, size_of::<libc::sockaddr_in6>() as libc::socklen_t))
        }
        _ => None,
    }
}

/// The map prim_socket decodes a `sockaddr` to.
pub fn sockaddr_term(h: &mut impl Alloc, ss: &libc::sockaddr_storage) -> Term {
    let mut pairs = Vec::new();
    match i32::from(ss.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says this storage holds a sockaddr_in.
            let sin =
                unsafe { &*(ss as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = sin.sin_addr.s_addr.to_ne_bytes();
            let items: Vec<Term> = ip.iter().map(|b| Term::small(i64::from(*b))).collect();
            let addr = obj::tuple(h, &items);
            pairs.push((atom("family"), atom("inet")));
            pairs.push((
                atom("port"),
                Term::small(i64::from(u16::from_be(sin.sin_port))),
            ));
            pairs.push((atom("addr"), addr));
        }
        libc::AF_INET6 => {
            // SAFETY: the family says this storage holds a sockaddr_in6.
            let sin6 =
                unsafe { &*(ss as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            let b = sin6.sin6_addr.s6_addr;
            let items: Vec<Term> = (0..8)
                .map(|i| Term::small(i64::from(u16::from_be_bytes([b[2 * i], b[2 * i + 1]]))))
                .collect();
            let addr = obj::tuple(h, &items);
            pairs.push((atom("family"), atom("inet6")));
            pairs.push((
                atom("port"),
                Term::small(i64::from(u16::from_be(sin6.sin6_port))),
            ));
            pairs.push((atom("addr"), addr));
            pairs.push((atom("flowinfo"), Term::small(i64::from(sin6.sin6_flowinfo))));
            pairs.push((atom("scope_id"), Term::small(i64::from(sin6.sin6_scope_id))));
        }
        _ => {
            pairs.push((atom("family"), atom("unspec")));
            let addr = obj::binary_from_bytes(h, &[]);
            pairs.push((atom("addr"), addr));
        }
    }
    obj::map_from_pairs(h, &mut pairs)
}

// ---- open, bind, listen, connect, accept -----------------------------------------------

fn domain_name(d: i32) -> &'static str {
    match d {
        libc::AF_INET6 => "inet6",
        libc::AF_UNIX => "local",
        _ => "inet",
    }
}

fn type_name(t: i32) -> &'static str {
    match t {
        libc::SOCK_DGRAM => "dgram",
        libc::SOCK_SEQPACKET => "seqpacket",
        libc::SOCK_RAW => "raw",
        _ => "stream",
    }
}

/// The `socket_registry` process `prim_socket:on_load/1` spawned (its pid number; 0 before).
static REGISTRY: AtomicU64 = AtomicU64::new(0);

/// The library's load callback: remember the registry the load info names (`#{registry
/// => Pid}`), which may not have registered its name yet.
fn load(_p: &mut Process, info: Term) -> Result<(), String> {
    if obj::is_map(info)
        && let Some(pid) = obj::map_get(info, atom("registry"))
        && pid.is_local_pid()
    {
        REGISTRY.store(pid.immediate_id(), Ordering::Relaxed);
    }
    Ok(())
}

/// Report a new or closed socket to `socket_registry` (`add` or `del`).
fn tell_registry(p: &Process, id: u64, what: &str) {
    let reg = match REGISTRY.load(Ordering::Relaxed) {
        0 => sched::whereis(p, Atom::intern("socket_registry")),
        n => Some(n),
    };
    if let Some(reg) = reg {
        let mut area = LiteralArea::new();
        let r = sock_ref(&mut area, id);
        let socket = obj::tuple(&mut area, &[atom("$socket"), r]);
        let term = obj::tuple(&mut area, &[atom("$socket"), atom(what), socket]);
        sched::deliver(reg, Owned { term, area });
    }
}

/// A new socket over `fd`, owned by the caller: its number, or an errno.
fn new_socket(
    p: &Process,
    fd: OwnedFd,
    (domain, ty, protocol): (i32, i32, i32),
    use_registry: bool,
) -> Result<u64, i32> {
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let cell = Arc::new(SockCell {
        id,
        sock: Mutex::new(Sock {
            fd: None,
            key: None,
            domain,
            ty,
            protocol,
            owner: p.id,
            waiters: Vec::new(),
            rcvbuf: DEFAULT_RCVBUF,
            iow: false,
            debug: false,
            use_registry,
            meta: None,
            counters: Counters::default(),
            closing: false,
        }),
    });
    let none = Interest {
        read: false,
        write: false,
    };
    let key = reactor::register(fd.as_raw_fd(), none, cell.clone(), true)
        .map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))?;
    {
        let mut s = cell.lock();
        s.fd = Some(fd);
        s.key = Some(key);
    }
    sockets().insert(id, cell);
    if use_registry {
        tell_registry(p, id, "add");
    }
    Ok(id)
}

/// `{ok, SockRef}` for a new socket, or `{error, Reason}`.
fn opened(p: &mut Process, made: Result<u64, i32>) -> BifResult {
    match made {
        Ok(id) => {
            let r = sock_ref(&mut p.heap, id);
            Ok(ok_tuple(p, r))
        }
        Err(e) => Ok(errno(p, e)),
    }
}

/// `nif_open(Domain, Type, Protocol, Opts)`: `{ok, SockRef}`, `{invalid, domain | type}`
/// or `{error, Reason}`.
fn open(p: &mut Process, a: &[Term]) -> BifResult {
    let domain = match a[0].as_atom().map(|d| d.name()) {
        Some("inet") => libc::AF_INET,
        Some("inet6") => libc::AF_INET6,
        Some("local") => return Ok(error(p, "eafnosupport")),
        _ => match a[0].as_small() {
            Some(n) => i32::try_from(n).map_err(|_| BifError::BADARG)?,
            None => return Ok(obj::tuple(&mut p.heap, &[atom("invalid"), atom("domain")])),
        },
    };
    let ty = match a[1].as_atom().map(|t| t.name()) {
        Some("stream") => libc::SOCK_STREAM,
        Some("dgram") => libc::SOCK_DGRAM,
        Some("seqpacket") => libc::SOCK_SEQPACKET,
        Some("raw") => libc::SOCK_RAW,
        _ => match a[1].as_small() {
            Some(n) => i32::try_from(n).map_err(|_| BifError::BADARG)?,
            None => return Ok(obj::tuple(&mut p.heap, &[atom("invalid"), atom("type")])),
        },
    };
    let protocol = a[2]
        .as_small()
        .and_then(|n| i32::try_from(n).ok())
        .ok_or(BifError::BADARG)?;
    if !obj::is_map(a[3]) {
        return Err(BifError::BADARG);
    }
    // SAFETY: plain socket(2) call.
    let fd = unsafe {
        libc::socket(
            domain,
            ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            protocol,
        )
    };
    if fd < 0 {
        return Ok(errno(p, last_errno()));
    }
    // SAFETY: `fd` was just returned by socket(2) and is owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let protocol = if protocol != 0 {
        protocol
    } else {
        getsockopt_int(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_PROTOCOL).unwrap_or(0)
    };
    let use_registry = obj::map_get(a[3], atom("use_registry")) != Some(atom("false"));
    let made = new_socket(p, fd, (domain, ty, protocol), use_registry);
    opened(p, made)
}

fn bind(p: &mut Process, a: &[Term]) -> BifResult {
    let c = get(a[0])?;
    let Some((ss, len)) = sockaddr(a[1]) else {
        return Ok(obj::tuple(
            &mut p.heap,
            &[atom("invalid"), atom("sockaddr")],
        ));
    };
    let s = c.lock();
    let Some(fd) = fd_of(&s) else {
        return closed(p);
    };
    // SAFETY: `ss` holds a sockaddr of `len` bytes.
    let r = unsafe { libc::bind(fd, (&raw const ss).cast(), len) };
    if r < 0 {
        return Ok(errno(p, last_errno()));
    }
    Ok(atom("ok"))
}

fn listen(p: &mut Process, a: &[Term]) -> BifResult {
    let c = get(a[0])?;
    let backlog = a[1]
        .as_small()
        .and_then(|n| i32::try_from(n).ok())
        .ok_or(BifError::BADARG)?;
    let s = c.lock();
    let Some(fd) = fd_of(&s) else {
        return closed(p);
    };
    // SAFETY: plain listen(2) call on an open descriptor.
    if unsafe { libc::listen(fd, backlog) } < 0 {
        let e = last_errno();
        // esock names this error (a datagram socket) `enotsup`.
        if e == libc::EOPNOTSUPP {
            return Ok(error(p, "enotsup"));
        }
        return Ok(errno(p, e));
    }
    Ok(atom("ok"))
}

/// `nif_connect(SockRef, Handle, SockAddr)`: `ok`, `select` (the handle gets a select
/// message when the connection is made or refused; `nif_connect/1` then says which), or
/// `{error, Reason}`.
fn connect3(p: &mut Process, a: &[Term]) -> BifResult {
    let c = get(a[0])?;
    let Some((ss, len)) = sockaddr(a[2]) else {
        return Ok(obj::tuple(
            &mut p.heap,
            &[atom("invalid"), atom("sockaddr")],
        ));
    };
    let mut s = c.lock();
    let Some(fd) = fd_of(&s) else {
        return closed(p);
    };
    if s.waiters.iter().any(|w| w.op == Op::Connect && !w.sent) {
        return Ok(errno(p, libc::EALREADY));
    }
    // SAFETY: `ss` holds a sockaddr of `len` bytes.
    let r = unsafe { libc::connect(fd, (&raw const ss).cast(), len) };
    if r == 0 {
        return Ok(atom("ok"));
    }
    match last_errno() {
        libc::EINPROGRESS if a[1].as_atom() != Some(Atom::intern("zero")) => {
            wait(&mut s, p.id, Op::Connect, a[1]);
            Ok(atom("select"))
        }
        libc::EINPROGRESS => Ok(errno(p, libc::EINPROGRESS)),
        e => Ok(errno(p, e)),
    }
}

/// `nif_connect(SockRef)`: the outcome of a connect that answered `select`.
fn connect1(p: &mut Process, a: &[Term]) -> BifResult {
    let c = get(a[0])?;
    let mut s = c.lock();
    let Some(fd) = fd_of(&s) else {
        return closed(p);
    };
    done(&mut s, p.id, Op::Connect);
    match getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_ERROR) {
        Ok(0) => {
            // Still connecting when the error is 0 but no peer yet.
            // SAFETY: sockaddr_storage is plain data.
            let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
            let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            // SAFETY: `ss` has room for `len` bytes.
            let r = unsafe { libc::getpeername(fd, (&raw mut ss).cast(), &mut len) };
            if r < 0 {
                return Ok(errno(p, last_errno()));
            }
            Ok(atom("ok"))
        }
        Ok(e) => Ok(errno(p, e)),
        Err(e) => Ok(errno(p, e)),
    }
}

/// `nif_accept(LSockRef, Handle)`: `{ok, SockRef}`, `select` or `{error, Reason}`.
fn accept(p: &mut Process, a: &[Term]) -> BifResult {
    let c = get(a[0])?;
    let mut s = c.lock();
    let Some(fd) = fd_of(&s) else {
        return closed(p);
    };
    s.counters.acc_tries += 1;
    // SAFETY: plain accept4(2) call; the address is not asked for.
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
        if e == libc::EAGAIN && a[1].as_atom() != Some(Atom::intern("zero")) {
            s.counters.acc_waits += 1;
            wait(&mut s, p.id, Op::Accept, a[1]);
            return Ok(atom("select"));
        }
        if e == libc::EAGAIN {
            return Ok(error(p, "timeout"));
        }
        s.counters.acc_fails += 1;
        done(&mut s, p.id, Op::Accept);
        return Ok(errno(p, e));
    }
    s.counters.acc_success += 1;
    done(&mut s, p.id, Op::Accept);
    let kind = (s.domain, s.ty, s.protocol);
    let use_registry = s.use_registry;
    drop(s);
    // SAFETY: `nfd` was just returned by accept4(2) and is owned by nobody else.
    let nfd = unsafe { OwnedFd::from_raw_fd(nfd) };
    let made = new_socket(p, nfd, kind, use_registry);
    opened(p, made)
}

// ---- send and receive ------------------------------------------------------------------

fn bytes_arg(t: Term) -> Result<Vec<u8>, BifError> {
    if obj::is_binary(t) {
        iolist(t)
    } else {
        Err(BifError::BADARG)
    }
}

fn flags_arg(t: Term) -> Result<i32, BifError> {
    t.as_small()
        .and_then(|n| i32::try_from(n).ok())
        .ok_or(BifError::BADARG)
}

/// Send `data` (to `to` if given); `nif_send`'s and `nif_sendto`'s answers.
fn send_common(
    p: &mut Process,
    c: &SockCell,
    data: &[u8],
    flags: i32,
    to: Option<(libc::sockaddr_storage, libc::socklen_t)>,
    handle: Term,
    op: Op,
) -> BifResult {
    let mut s = c.lock();
    let Some(fd) = fd_of(&s) else {
        return closed(p);
    };
    s.counters.write_tries += 1;
    let flags = flags | libc::MSG_NOSIGNAL;
    // SAFETY: `data` is readable for its length; `to` holds a sockaddr of its length.
    let n = unsafe {
        match &to {
            Some((ss, len)) => libc::sendto(
                fd,
                data.as_ptr().cast(),
                data.len(),
                flags,
                (ss as *const libc::sockaddr_storage).cast(),
                *len,
            ),
            None => libc::send(fd, data.as_ptr().cast(), data.len(), flags),
        }
    };
    let zero = handle.as_atom() == Some(Atom::intern("zero"));
    if n < 0 {
        let e = last_errno();
        if e == libc::EAGAIN {
            if zero {
                return Ok(error(p, "timeout"));
            }
            s.counters.write_waits += 1;
            wait(&mut s, p.id, op, handle);
            return Ok(atom("select"));
        }
        s.counters.write_fails += 1;
        done(&mut s, p.id, op);
        return Ok(errno(p, e));
    }
    let n = n as usize;
    s.counters.write_byte += n as u64;
    if n == data.len() {
        s.counters.write_pkg += 1;
        s.counters.write_pkg_max = s.counters.write_pkg_max.max(n as u64);
        done(&mut s, p.id, op);
        return Ok(atom("ok"));
    }
    let written = Term::small(n as i64);
    if zero {
        done(&mut s, p.id, op);
        return Ok(ok_tuple(p, written));
    }
    s.counters.write_waits += 1;
    wait(&mut s, p.id, op, handle);
    Ok(obj::tuple(&mut p.heap, &[atom("select"), written]))
}

fn send(p: &mut Process, a: &[Term]) -> BifResult {
    let c = get(a[0])?;
    let data = bytes_arg(a[1])?;
    let flags = flags_arg(a[2])?;
    send_common(p, &c, &data, flags, None, a[3], Op::Send)
}

fn sendto(p: &mut Process, a: &[Term]) -> BifResult {
    let c = get(a[0])?;
    let data = bytes_arg(a[1])?;
    let Some(to) = sockaddr(a[2]) else {
        return Ok(obj::tuple(
            &mut p.heap,
            &[atom("invalid"), atom("sockaddr")],
        ));
    };
    let flags = flags_arg(a[3])?;
    send_common(p, &c, &data, flags, Some(to), a[4], Op::SendTo)
}

/// The arguments `nif_recv` and `nif_recvfrom` share: `(SockRef, Size, Flags, Handle)` as
/// the socket, the size, the flags, the handle and whether the handle is `zero`.
fn recv_args(a: &[Term]) -> Result<(Arc<SockCell>, usize, i32, Term, bool), BifError> {
    let c = get(a[0])?;
    let size = a[1]
        .as_small()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or(BifError::BADARG)?;
    let flags = flags_arg(a[2])?;
    let handle = a[3];
    let zero = handle.as_atom() == Some(Atom::intern("zero"));
    Ok((c, size, flags, handle, zero))
}

/// `nif_recv(SockRef, Length, Flags, Handle)`: `{ok, Bin}` (what was asked for, or with
/// `Length` 0 whatever was there), `{more, Bin}` (a full buffer with `Length` 0: there may
/// be more), `{select, Bin}` (less than `Length`: the rest comes with a select message),
/// `select` (nothing yet), `ok` (nothing, with the handle `zero`), `{error, Reason}`.
fn recv(p: &mut Process, a: &[Term]) -> BifResult {
    let (c, length, flags, handle, zero) = recv_args(a)?;
    let mut s = c.lock();
    let Some(fd) = fd_of(&s) else {
        return closed(p);
    };
    let size = if length == 0 { s.rcvbuf } else { length }.clamp(1, MAX_READ);
    let mut buf = vec![0u8; size];
    s.counters.read_tries += 1;
    // SAFETY: `buf` is writable for `size` bytes.
    let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), size, flags) };
    if n < 0 {
        let e = last_errno();
        if e == libc::EAGAIN {
            if zero {
                return Ok(atom("ok"));
            }
            s.counters.read_waits += 1;
            wait(&mut s, p.id, Op::Recv, handle);
            return Ok(atom("select"));
        }
        s.counters.read_fails += 1;
        done(&mut s, p.id, Op::Recv);
        return Ok(errno(p, e));
    }
    let n = n as usize;
    if n == 0 && s.ty == libc::SOCK_STREAM && size > 0 {
        done(&mut s, p.id, Op::Recv);
        return closed(p);
    }
    s.counters.read_byte += n as u64;
    s.counters.read_pkg += 1;
    s.counters.read_pkg_max = s.counters.read_pkg_max.max(n as u64);
    let bin = obj::binary_from_bytes(&mut p.heap, &buf[..n]);
    if length == 0 || n == length || s.ty != libc::SOCK_STREAM {
        done(&mut s, p.id, Op::Recv);
        let tag = if length == 0 && n == size && s.ty == libc::SOCK_STREAM && !zero {
            "more"
        } else {
            "ok"
        };
        return Ok(obj::tuple(&mut p.heap, &[atom(tag), bin]));
    }
    if zero {
        done(&mut s, p.id, Op::Recv);
        let timeout = obj::tuple(&mut p.heap, &[atom("timeout"), bin]);
        return Ok(obj::tuple(&mut p.heap, &[atom("error"), timeout]));
    }
    s.counters.read_waits += 1;
    wait(&mut s, p.id, Op::Recv, handle);
    Ok(obj::tuple(&mut p.heap, &[atom("select"), bin]))
}

/// `nif_recvfrom(SockRef, BufSz, Flags, Handle)`: `{ok, {Source, Bin}}`, `select`, `ok`
/// (nothing, with the handle `zero`) or `{error, Reason}`.
fn recvfrom(p: &mut Process, a: &[Term]) -> BifResult {
    let (c, bufsz, flags, handle, zero) = recv_args(a)?;
    let mut s = c.lock();
    let Some(fd) = fd_of(&s) else {
        return closed(p);
    };
    let size = if bufsz == 0 { s.rcvbuf } else { bufsz }.clamp(1, MAX_READ);
    let mut buf = vec![0u8; size];
    // SAFETY: sockaddr_storage is plain data.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    s.counters.read_tries += 1;
    // SAFETY: `buf` is writable for `size` bytes, `ss` for `len`.
    let n = unsafe {
        libc::recvfrom(
            fd,
            buf.as_mut_ptr().cast(),
            size,
            flags,
            (&raw mut ss).cast(),
            &mut len,
        )
    };
    if n < 0 {
        let e = last_errno();
        if e == libc::EAGAIN {
            if zero {
                return Ok(atom("ok"));
            }
            s.counters.read_waits += 1;
            wait(&mut s, p.id, Op::RecvFrom, handle);
            return Ok(atom("select"));
        }
        s.counters.read_fails += 1;
        done(&mut s, p.id, Op::RecvFrom);
        return Ok(errno(p, e));
    }
    let n = n as usize;
    if n == 0 && s.ty == libc::SOCK_STREAM {
        done(&mut s, p.id, Op::RecvFrom);
        return closed(p);
    }
    s.counters.read_byte += n as u64;
    s.counters.read_pkg += 1;
    s.counters.read_pkg_max = s.counters.read_pkg_max.max(n as u64);
    done(&mut s, p.id, Op::RecvFrom);
    let from = if len == 0 {
        ss.ss_family = libc::AF_UNSPEC as libc::sa_family_t;
        sockaddr_term(&mut p.heap, &ss)
    } else {
        sockaddr_term(&mut p.heap, &ss)
    };
    let bin = obj::binary_from_bytes(&mut p.heap, &buf[..n]);
    let pair = obj::tuple(&mut p.heap, &[from, bin]);
    Ok(ok_tuple(p, pair))
}

// ---- close, shutdown, names, cancel ----------------------------------------------------

/// `nif_close(SockRef)`: `ok` (then `nif_finalize_close/1`), or `{error, closed}`. Calls
/// waiting on the socket are aborted with `closed`.
fn close(p: &mut Process, a: &[Term]) -> BifResult {
    let c = get(a[0])?;
    let mut s = c.lock();
    if s.closing || s.fd.is_none() {
        return closed(p);
    }
    s.closing = true;
    for w in std::mem::take(&mut s.waiters) {
        if w.pid == p.id && w.sent {
            continue;
        }
        let h = w.handle.term;
        let m = socket_msg(c.id, "abort", |area| {
            let h = copy_term(h, area);
            obj::tuple(area, &[h, atom("closed")])
        });
        sched::deliver(w.pid, m);
    }
    let registry = s.use_registry;
    drop(s);
    if registry {
        tell_registry(p, c.id, "del");
    }
    Ok(atom("ok"))
}

/// Close the sockets `p` controls, as esock does when a socket's owner exits, and forget
/// the calls `p` was waiting in (an exit hook).
pub fn process_exited(p: &mut Process) {
    let all: Vec<Arc<SockCell>> = sockets().values().cloned().collect();
    for c in all {
        let mut s = c.lock();
        s.waiters.retain(|w| w.pid != p.id);
        if s.owner == p.id {
            close_now(p, &c, s);
        }
    }
}

/// Close the socket at once (its owner is gone): abort the calls waiting on it, leave the
/// reactor, close the descriptor, tell the registry.
fn close_now(p: &Process, c: &SockCell, mut s: MutexGuard<'_, Sock>) {
    if s.closing || s.fd.is_none() {
        return;
    }
    s.closing = true;
    for w in std::mem::take(&mut s.waiters) {
        let h = w.handle.term;
        let m = socket_msg(c.id, "abort", |area| {
            let h = copy_term(h, area);
            obj::tuple(area, &[h, atom("closed")])
        });
        sched::deliver(w.pid, m);
    }
    if let (Some(key), Some(fd)) = (s.key.take(), s.fd.as_ref()) {
        reactor::deregister(key, fd.as_raw_fd());
    }
    s.fd = None;
    let registry = s.use_registry;
    drop(s);
    if registry {
        tell_registry(p, c.id, "del");
    }
}

/// `nif_finalize_close(SockRef)`: close the descriptor.
fn finalize_close(p: &mut Process, a: &[Term]) -> BifResult {
    let c = get(a[0])?;
    let mut s = c.lock();
    if !s.closing {
        return Ok(error(p, "einval"));
    }
    if let (Some(key), Some(fd)) = (s.key.take(), s.fd.as_ref()) {
        reactor::deregister(key, fd.as_raw_fd());
    }
    if s.fd.take().is_none() {
        return closed(p);
    }
    Ok(atom("ok"))
}

fn shutdown(p: &mut Process, a: &[Term]) -> BifResult {
    let c = get(a[0])?;
    let how = match a[1].as_atom().map(|h| h.name()) {
        Some("read") => libc::SHUT_RD,
        Some("write") => libc::SHUT_WR,
        Some("read_write") => libc::SHUT_RDWR,
        _ => return Err(BifError::BADARG),
    };
    let s = c.lock();
    let Some(fd) = fd_of(&s) else {
        return closed(p);
    };
    // SAFETY: plain shutdown(2) call on an open descriptor.
    if unsafe { libc::shutdown(fd, how) } < 0 {
        return Ok(errno(p, last_errno()));
    }
    Ok(atom("ok"))
}

fn name(p: &mut Process, a: &[Term], peer: bool) -> BifResult {
    let c = get(a[0])?;
    let s = c.lock();
    let Some(fd) = fd_of(&s) else {
        return closed(p);
    };
    // SAFETY: sockaddr_storage is plain data.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `ss` has room for `len` bytes.
    let r = unsafe {
        if peer {
            libc::getpeername(fd, (&raw mut ss).cast(), &mut len)
        } else {
            libc::getsockname(fd, (&raw mut ss).cast(), &mut len)
        }
    };
    if r < 0 {
        return Ok(errno(p, last_errno()));
    }
    let t = sockaddr_term(&mut p.heap, &ss);
    Ok(ok_tuple(p, t))
}

/// `nif_cancel(SockRef, Op, Handle)`: `ok` (the wait is over before its select message),
/// `select_sent` (the message was sent: the caller flushes it), `not_found`, or `{error,
/// closed}`.
fn cancel(p: &mut Process, a: &[Term]) -> BifResult {
    let c = get(a[0])?;
    let op = Op::from_atom(a[1]).ok_or(BifError::BADARG)?;
    let mut s = c.lock();
    if fd_of(&s).is_none() {
        return closed(p);
    }
    let found = s.waiters.iter().position(|w| {
        w.pid == p.id && w.op == op && girder_term::compare::eq_exact(w.handle.term, a[2])
    });
    let Some(i) = found else {
        return Ok(atom("not_found"));
    };
    let w = s.waiters.remove(i);
    rearm(&s);
    Ok(atom(if w.sent { "select_sent" } else { "ok" }))
}

// ---- options ---------------------------------------------------------------------------

/// How an option's value is written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Int,
    Linger,
    /// Read only: an atom from a number (`type`, `domain`) or the protocol number.
    Type,
    Domain,
    Protocol,
}

/// The options girder's esock sets and gets: (level name, level number, option, number,
/// kind). Level -1 is `socket` (SOL_SOCKET).
const OPTIONS: &[(&str, i32, &str, i32, Kind)] = &[
    ("socket", -1, "acceptconn", libc::SO_ACCEPTCONN, Kind::Bool),
    ("socket", -1, "broadcast", libc::SO_BROADCAST, Kind::Bool),
    ("socket", -1, "dontroute", libc::SO_DONTROUTE, Kind::Bool),
    ("socket", -1, "keepalive", libc::SO_KEEPALIVE, Kind::Bool),
    ("socket", -1, "linger", libc::SO_LINGER, Kind::Linger),
    ("socket", -1, "oobinline", libc::SO_OOBINLINE, Kind::Bool),
    ("socket", -1, "priority", libc::SO_PRIORITY, Kind::Int),
    ("socket", -1, "rcvbuf", libc::SO_RCVBUF, Kind::Int),
    ("socket", -1, "rcvlowat", libc::SO_RCVLOWAT, Kind::Int),
    ("socket", -1, "reuseaddr", libc::SO_REUSEADDR, Kind::Bool),
    ("socket", -1, "reuseport", libc::SO_REUSEPORT, Kind::Bool),
    ("socket", -1, "sndbuf", libc::SO_SNDBUF, Kind::Int),
    ("socket", -1, "type", libc::SO_TYPE, Kind::Type),
    ("socket", -1, "domain", libc::SO_DOMAIN, Kind::Domain),
    ("socket", -1, "protocol", libc::SO_PROTOCOL, Kind::Protocol),
    ("ip", libc::IPPROTO_IP, "tos", libc::IP_TOS, Kind::Int),
    ("ip", libc::IPPROTO_IP, "ttl", libc::IP_TTL, Kind::Int),
    (
        "ip",
        libc::IPPROTO_IP,
        "recvtos",
        libc::IP_RECVTOS,
        Kind::Bool,
    ),
    (
        "ip",
        libc::IPPROTO_IP,
        "multicast_ttl",
        libc::IP_MULTICAST_TTL,
        Kind::Int,
    ),
    (
        "ip",
        libc::IPPROTO_IP,
        "multicast_loop",
        libc::IP_MULTICAST_LOOP,
        Kind::Bool,
    ),
    (
        "ipv6",
        libc::IPPROTO_IPV6,
        "v6only",
        libc::IPV6_V6ONLY,
        Kind::Bool,
    ),
    (
        "ipv6",
        libc::IPPROTO_IPV6,
        "unicast_hops",
        libc::IPV6_UNICAST_HOPS,
        Kind::Int,
    ),
    (
        "tcp",
        libc::IPPROTO_TCP,
        "nodelay",
        libc::TCP_NODELAY,
        Kind::Bool,
    ),
    (
        "tcp",
        libc::IPPROTO_TCP,
        "maxseg",
        libc::TCP_MAXSEG,
        Kind::Int,
    ),
    (
        "tcp",
        libc::IPPROTO_TCP,
        "keepcnt",
        libc::TCP_KEEPCNT,
        Kind::Int,
    ),
    (
        "tcp",
        libc::IPPROTO_TCP,
        "keepidle",
        libc::TCP_KEEPIDLE,
        Kind::Int,
    ),
    (
        "tcp",
        libc::IPPROTO_TCP,
        "keepintvl",
        libc::TCP_KEEPINTVL,
        Kind::Int,
    ),
    ("tcp", libc::IPPROTO_TCP, "cork", libc::TCP_CORK, Kind::Bool),
    ("udp", libc::IPPROTO_UDP, "cork", libc::UDP_CORK, Kind::Bool),
];

fn find_option(level: Term, opt: Term) -> Option<(i32, i32, Kind)> {
    let level = if level.as_atom() == Some(Atom::intern("socket")) {
        -1
    } else {
        i32::try_from(level.as_small()?).ok()?
    };
    let opt = i32::try_from(opt.as_small()?).ok()?;
    OPTIONS
        .iter()
        .find(|o| o.1 == level && o.3 == opt)
        .map(|o| (if level == -1 { libc::SOL_SOCKET } else { level }, opt, o.4))
}

fn getsockopt_int(fd: RawFd, level: i32, opt: i32) -> Result<i32, i32> {
    let mut v: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `v` has room for `len` bytes.
    let r = unsafe { libc::getsockopt(fd, level, opt, (&raw mut v).cast(), &mut len) };
    if r < 0 { Err(last_errno()) } else { Ok(v) }
}

fn setsockopt_raw<T>(fd: RawFd, level: i32, opt: i32, v: &T) -> Result<(), i32> {
    // SAFETY: `v` is readable for its size.
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            opt,
            (v as *const T).cast(),
            size_of::<T>() as libc::socklen_t,
        )
    };
    if r < 0 { Err(last_errno()) } else { Ok(()) }
}

fn invalid(p: &mut Process, what: &str) -> BifResult {
    Ok(obj::tuple(&mut p.heap, &[atom("invalid"), atom(what)]))
}

/// `nif_setopt(SockRef, Level, Opt, Value, Native)`.
fn setopt(p: &mut Process, a: &[Term]) -> BifResult {
    let c = get(a[0])?;
    let (level, opt, value) = (a[1], a[2], a[3]);
    if a[4] != Term::small(0) {
        return invalid(p, "socket_option");
    }
    let mut s = c.lock();
    if fd_of(&s).is_none() {
        return closed(p);
    }
    let bool_of = |v: Term| match v.as_atom().map(|b| b.name()) {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    };
    if level.as_atom() == Some(Atom::intern("otp")) {
        match opt.as_small() {
            Some(OTP_DEBUG) => match bool_of(value) {
                Some(b) => s.debug = b,
                None => return invalid(p, "value"),
            },
            Some(OTP_IOW) => match bool_of(value) {
                Some(b) => s.iow = b,
                None => return invalid(p, "value"),
            },
            Some(OTP_USE_REGISTRY) => match bool_of(value) {
                Some(b) => s.use_registry = b,
                None => return invalid(p, "value"),
            },
            Some(OTP_RCVBUF) => match value.as_small().and_then(|n| usize::try_from(n).ok()) {
                Some(n) if n > 0 => s.rcvbuf = n,
                _ => return invalid(p, "value"),
            },
            Some(OTP_META) => s.meta = Some(Owned::copy(value)),
            Some(OTP_CTRL_PROC) => {
                if !value.is_local_pid() {
                    return invalid(p, "value");
                }
                if s.owner != p.id {
                    let why = obj::tuple(&mut p.heap, &[atom("invalid"), atom("not_owner")]);
                    return Ok(obj::tuple(&mut p.heap, &[atom("error"), why]));
                }
                let owner = value.immediate_id();
                s.owner = owner;
                // esock monitors the new owner: one already gone closes the socket.
                if owner != p.id && !sched::is_alive(p, owner) {
                    close_now(p, &c, s);
                }
            }
            _ => return invalid(p, "socket_option"),
        }
        return Ok(atom("ok"));
    }
    let Some((lvl, num, kind)) = find_option(level, opt) else {
        return invalid(p, "socket_option");
    };
    let Some(fd) = fd_of(&s) else {
        return closed(p);
    };
    let r = match kind {
        Kind::Bool => match bool_of(value) {
            Some(b) => setsockopt_raw(fd, lvl, num, &libc::c_int::from(b)),
            None => return invalid(p, "value"),
        },
        Kind::Int => match value.as_small().and_then(|n| i32::try_from(n).ok()) {
            Some(n) => setsockopt_raw(fd, lvl, num, &n),
            None => return invalid(p, "value"),
        },
        Kind::Linger => {
            let onoff = obj::is_map(value)
                .then(|| obj::map_get(value, atom("onoff")))
                .flatten()
                .and_then(bool_of);
            let secs = obj::is_map(value)
                .then(|| obj::map_get(value, atom("linger")))
                .flatten()
                .and_then(|v| v.as_small())
                .and_then(|n| i32::try_from(n).ok());
            match (onoff, secs) {
                (Some(on), Some(l)) if obj::map_size(value) == 2 => {
                    let lg = libc::linger {
                        l_onoff: i32::from(on),
                        l_linger: l,
                    };
                    setsockopt_raw(fd, lvl, num, &lg)
                }
                _ => return invalid(p, "value"),
            }
        }
        Kind::Type | Kind::Domain | Kind::Protocol => Err(libc::ENOPROTOOPT),
    };
    match r {
        Ok(()) => Ok(atom("ok")),
        Err(e) => Ok(errno(p, e)),
    }
}

/// `nif_getopt(SockRef, Level, Opt)`.
fn getopt(p: &mut Process, a: &[Term]) -> BifResult {
    let c = get(a[0])?;
    let (level, opt) = (a[1], a[2]);
    let s = c.lock();
    if fd_of(&s).is_none() {
        return closed(p);
    }
    if level.as_atom() == Some(Atom::intern("otp")) {
        let v = match opt.as_small() {
            Some(OTP_DEBUG) => Term::boolean(s.debug),
            Some(OTP_IOW) => Term::boolean(s.iow),
            Some(OTP_USE_REGISTRY) => Term::boolean(s.use_registry),
            Some(OTP_RCVBUF) => Term::small(s.rcvbuf as i64),
            Some(OTP_CTRL_PROC) => Term::pid(s.owner),
            Some(OTP_FD) => Term::small(i64::from(fd_of(&s).unwrap_or(-1))),
            Some(OTP_DOMAIN) => atom(domain_name(s.domain)),
            Some(OTP_META) => match &s.meta {
                Some(m) => copy_term(m.term, &mut p.heap),
                None => atom("undefined"),
            },
            _ => return invalid(p, "socket_option"),
        };
        return Ok(ok_tuple(p, v));
    }
    let Some((lvl, num, kind)) = find_option(level, opt) else {
        return invalid(p, "socket_option");
    };
    let Some(fd) = fd_of(&s) else {
        return closed(p);
    };
    let v = match kind {
        Kind::Linger => {
            // SAFETY: linger is plain data.
            let mut lg: libc::linger = unsafe { std::mem::zeroed() };
            let mut len = size_of::<libc::linger>() as libc::socklen_t;
            // SAFETY: `lg` has room for `len` bytes.
            let r = unsafe { libc::getsockopt(fd, lvl, num, (&raw mut lg).cast(), &mut len) };
            if r < 0 {
                return Ok(errno(p, last_errno()));
            }
            let mut pairs = vec![
                (atom("onoff"), Term::boolean(lg.l_onoff != 0)),
                (atom("linger"), Term::small(i64::from(lg.l_linger))),
            ];
            obj::map_from_pairs(&mut p.heap, &mut pairs)
        }
        _ => match getsockopt_int(fd, lvl, num) {
            Ok(n) => match kind {
                Kind::Bool => Term::boolean(n != 0),
                Kind::Type => atom(type_name(n)),
                Kind::Domain => atom(domain_name(n)),
                _ => Term::small(i64::from(n)),
            },
            Err(e) => return Ok(errno(p, e)),
        },
    };
    Ok(ok_tuple(p, v))
}

// ---- info and supports -----------------------------------------------------------------

fn info0(p: &mut Process) -> BifResult {
    let (mut inet, mut inet6, mut streams, mut dgrams, mut tcp, mut udp, mut n) =
        (0, 0, 0, 0, 0, 0, 0);
    let all: Vec<Arc<SockCell>> = sockets().values().cloned().collect();
    for c in all {
        let s = c.lock();
        if s.fd.is_none() || s.closing {
            continue;
        }
        n += 1;
        match s.domain {
            libc::AF_INET => inet += 1,
            libc::AF_INET6 => inet6 += 1,
            _ => {}
        }
        match s.ty {
            libc::SOCK_STREAM => streams += 1,
            libc::SOCK_DGRAM => dgrams += 1,
            _ => {}
        }
        match s.protocol {
            libc::IPPROTO_TCP => tcp += 1,
            libc::IPPROTO_UDP => udp += 1,
            _ => {}
        }
    }
    let num = |v: i64| Term::small(v);
    let mut counters = vec![
        (atom("num_cnt_bits"), num(64)),
        (atom("num_dinet"), num(inet)),
        (atom("num_dinet6"), num(inet6)),
        (atom("num_dlocal"), num(0)),
        (atom("num_pip"), num(0)),
        (atom("num_psctp"), num(0)),
        (atom("num_ptcp"), num(tcp)),
        (atom("num_pudp"), num(udp)),
        (atom("num_sockets"), num(n)),
        (atom("num_tdgrams"), num(dgrams)),
        (atom("num_tseqpkgs"), num(0)),
        (atom("num_tstreams"), num(streams)),
    ];
    let counters = obj::map_from_pairs(&mut p.heap, &mut counters);
    let mut pairs = vec![
        (atom("counters"), counters),
        (atom("debug"), Term::boolean(false)),
        (atom("iov_max"), num(1024)),
        (atom("iow"), Term::boolean(false)),
        (atom("socket_debug"), Term::boolean(false)),
        (atom("use_registry"), Term::boolean(true)),
    ];
    Ok(obj::map_from_pairs(&mut p.heap, &mut pairs))
}

fn info1(p: &mut Process, a: &[Term]) -> BifResult {
    let c = get(a[0])?;
    let s = c.lock();
    if s.fd.is_none() {
        return closed(p);
    }
    let k = &s.counters;
    let num = |v: u64| Term::small(v as i64);
    let mut counters = vec![
        (atom("acc_fails"), num(k.acc_fails)),
        (atom("acc_success"), num(k.acc_success)),
        (atom("acc_tries"), num(k.acc_tries)),
        (atom("acc_waits"), num(k.acc_waits)),
        (atom("read_byte"), num(k.read_byte)),
        (atom("read_fails"), num(k.read_fails)),
        (atom("read_pkg"), num(k.read_pkg)),
        (atom("read_pkg_max"), num(k.read_pkg_max)),
        (atom("read_tries"), num(k.read_tries)),
        (atom("read_waits"), num(k.read_waits)),
        (atom("write_byte"), num(k.write_byte)),
        (atom("write_fails"), num(k.write_fails)),
        (atom("write_pkg"), num(k.write_pkg)),
        (atom("write_pkg_max"), num(k.write_pkg_max)),
        (atom("write_tries"), num(k.write_tries)),
        (atom("write_waits"), num(k.write_waits)),
    ];
    let counters = obj::map_from_pairs(&mut p.heap, &mut counters);
    let count = |f: &dyn Fn(Op) -> bool| s.waiters.iter().filter(|w| f(w.op)).count() as u64;
    let readers = count(&|o| matches!(o, Op::Recv | Op::RecvFrom));
    let writers = count(&|o| matches!(o, Op::Send | Op::SendTo | Op::Connect));
    let acceptors = count(&|o| o == Op::Accept);
    let mut pairs = vec![
        (atom("counters"), counters),
        (atom("ctype"), atom("normal")),
        (atom("domain"), atom(domain_name(s.domain))),
        (atom("type"), atom(type_name(s.ty))),
        (atom("protocol"), Term::small(i64::from(s.protocol))),
        (atom("owner"), Term::pid(s.owner)),
        (atom("num_readers"), num(readers)),
        (atom("num_writers"), num(writers)),
        (atom("num_acceptors"), num(acceptors)),
        (atom("rstates"), Term::NIL),
        (atom("wstates"), Term::NIL),
    ];
    Ok(obj::map_from_pairs(&mut p.heap, &mut pairs))
}

fn supports0(p: &mut Process, _a: &[Term]) -> BifResult {
    let items: Vec<(&str, bool)> = vec![
        ("ipv6", true),
        ("local", false),
        ("netns", false),
        ("sctp", false),
        ("sendfile", false),
    ];
    let mut out = Vec::new();
    for (k, v) in items {
        out.push(obj::tuple(&mut p.heap, &[atom(k), Term::boolean(v)]));
    }
    Ok(obj::list_from_slice(&mut p.heap, &out, Term::NIL))
}

/// The protocols girder names (`/etc/protocols`' common ones, as esock reads them).
const PROTOCOLS: &[(&[&str], i64)] = &[
    (&["ip", "IP"], 0),
    (&["icmp", "ICMP"], 1),
    (&["tcp", "TCP"], 6),
    (&["udp", "UDP"], 17),
    (&["ipv6", "IPv6"], 41),
    (&["ipv6-icmp", "IPv6-ICMP"], 58),
    (&["sctp", "SCTP"], 132),
    (&["udplite", "UDPLite"], 136),
];

const MSG_FLAGS: &[(&str, i32)] = &[
    ("cmsg_cloexec", libc::MSG_CMSG_CLOEXEC),
    ("confirm", libc::MSG_CONFIRM),
    ("ctrunc", libc::MSG_CTRUNC),
    ("dontroute", libc::MSG_DONTROUTE),
    ("eor", libc::MSG_EOR),
    ("errqueue", libc::MSG_ERRQUEUE),
    ("more", libc::MSG_MORE),
    ("nosignal", libc::MSG_NOSIGNAL),
    ("oob", libc::MSG_OOB),
    ("peek", libc::MSG_PEEK),
    ("trunc", libc::MSG_TRUNC),
];

fn supports1(p: &mut Process, a: &[Term]) -> BifResult {
    let h = &mut p.heap;
    let out = match a[0].as_atom().map(|k| k.name()) {
        Some("protocols") => PROTOCOLS
            .iter()
            .map(|(names, num)| {
                let names: Vec<Term> = names.iter().map(|n| atom(n)).collect();
                let names = obj::list_from_slice(h, &names, Term::NIL);
                obj::tuple(h, &[names, Term::small(*num)])
            })
            .collect(),
        Some("options") => {
            let mut levels: Vec<(i32, Vec<Term>)> = Vec::new();
            for (_, level, name, num, _) in OPTIONS {
                let opt = obj::tuple(h, &[atom(name), Term::small(i64::from(*num))]);
                match levels.iter_mut().find(|l| l.0 == *level) {
                    Some(l) => l.1.push(opt),
                    None => levels.push((*level, vec![opt])),
                }
            }
            levels
                .into_iter()
                .map(|(level, opts)| {
                    let l = if level == -1 {
                        atom("socket")
                    } else {
                        Term::small(i64::from(level))
                    };
                    let opts = obj::list_from_slice(h, &opts, Term::NIL);
                    obj::tuple(h, &[l, opts])
                })
                .collect()
        }
        Some("msg_flags") => MSG_FLAGS
            .iter()
            .map(|(n, v)| obj::tuple(h, &[atom(n), Term::small(i64::from(*v))]))
            .collect(),
        Some("ioctl_requests" | "ioctl_flags") => Vec::new(),
        _ => Vec::new(),
    };
    Ok(obj::list_from_slice(h, &out, Term::NIL))
}

//! The NIFs of OTP's preloaded `prim_net` (erts' `prim_net_nif.c`), under OTP's `net`
//! module: `gethostname`, `getnameinfo`, `getaddrinfo`, `getifaddrs`, `if_names`,
//! `if_name2index`, `if_index2name` and `info`, over the C library's functions of those
//! names. Not yet: `command` (unbound: it raises `notsup`) and the Windows-only functions
//! (`notsup` as on Unix).
//!
//! `getaddrinfo` and `getnameinfo` may wait on a name server: erts runs them on a dirty
//! scheduler; girder runs each on a thread of its own while the calling process waits
//! (`BifError::Wait`), so no scheduler thread waits for a name server.

use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::sync::{Arc, LazyLock, Mutex};

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_runtime::nif::NifTable;
use girder_runtime::port::inet::errno_name;
use girder_term::Term;
use girder_term::heap::Alloc;
use girder_term::object as obj;

use crate::socket::{sockaddr, sockaddr_term};
use crate::util::{atom, charlist};

pub static TABLE: NifTable = NifTable {
    module: "prim_net",
    on_load_at_boot: true,
    load: None,
    functions: &[
        ("nif_info", 0, |p, _| {
            let mut pairs = vec![(atom("debug"), atom("false"))];
            Ok(obj::map_from_pairs(&mut p.heap, &mut pairs))
        }),
        ("nif_gethostname", 0, gethostname),
        ("nif_getnameinfo", 2, getnameinfo),
        ("nif_getaddrinfo", 3, getaddrinfo),
        ("nif_getifaddrs", 1, getifaddrs),
        ("nif_if_names", 0, if_names),
        ("nif_if_name2index", 1, if_name2index),
        ("nif_if_index2name", 1, if_index2name),
    ],
};

fn last_errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

fn error(p: &mut Process, reason: &str) -> Term {
    obj::tuple(&mut p.heap, &[atom("error"), atom(reason)])
}

fn ok(p: &mut Process, v: Term) -> Term {
    obj::tuple(&mut p.heap, &[atom("ok"), v])
}

/// A string argument (a list of characters) as a C string.
fn cstring_arg(t: Term) -> Result<CString, BifError> {
    let chars = obj::list_to_vec(t).ok_or(BifError::BADARG)?;
    let mut s = String::new();
    for c in chars {
        let c = c
            .as_small()
            .and_then(|n| u32::try_from(n).ok())
            .and_then(char::from_u32)
            .ok_or(BifError::BADARG)?;
        s.push(c);
    }
    CString::new(s).map_err(|_| BifError::BADARG)
}

fn gethostname(p: &mut Process, _a: &[Term]) -> BifResult {
    let mut buf = [0u8; 256];
    // SAFETY: `buf` is writable for its length.
    if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } < 0 {
        return Ok(error(p, errno_name(last_errno())));
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    let s = String::from_utf8_lossy(&buf[..end]).into_owned();
    let name = charlist(p, &s);
    Ok(ok(p, name))
}

/// glibc's codes the `libc` crate does not name.
const EAI_ADDRFAMILY: i32 = -9;

/// The name prim_net gives a `getaddrinfo`/`getnameinfo` error code.
fn eai_name(code: i32) -> &'static str {
    match code {
        EAI_ADDRFAMILY => "eaddrfamily",
        libc::EAI_AGAIN => "eagain",
        libc::EAI_BADFLAGS => "ebadflags",
        libc::EAI_FAIL => "efail",
        libc::EAI_FAMILY => "efamily",
        libc::EAI_MEMORY => "emem",
        libc::EAI_NODATA => "enodata",
        libc::EAI_NONAME => "enoname",
        libc::EAI_SERVICE => "eservice",
        libc::EAI_SOCKTYPE => "esocktype",
        libc::EAI_SYSTEM => errno_name(last_errno()),
        libc::EAI_OVERFLOW => "eoverflow",
        _ => "unknown",
    }
}

/// A lookup running on a thread of its own for a waiting process.
struct Lookup {
    /// The call's arguments (encoded), so that a different call is a new lookup.
    key: Vec<u8>,
    result: Arc<Mutex<Option<Answer>>>,
}

/// What a lookup found: a `getaddrinfo`/`getnameinfo` error code, or its answer.
enum Answer {
    Failed(i32),
    Addrs(Vec<(i32, i32, i32, libc::sockaddr_storage)>),
    Name(String, String),
}

// SAFETY: sockaddr_storage is plain data.
unsafe impl Send for Answer {}

/// The lookups under way, by the waiting process.
static LOOKUPS: LazyLock<Mutex<HashMap<u64, Lookup>>> = LazyLock::new(Default::default);

/// The answer of `work` for the call of `p` whose arguments `key` tells apart: run on a
/// thread of its own while `p` waits (`Err(BifError::Wait)`), given when `p` is called
/// again.
fn off_scheduler(
    p: &Process,
    key: Vec<u8>,
    work: impl FnOnce() -> Answer + Send + 'static,
) -> Result<Answer, BifError> {
    let mut lookups = LOOKUPS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(l) = lookups.get(&p.id)
        && l.key == key
    {
        let done = l.result.lock().unwrap_or_else(|e| e.into_inner()).take();
        return match done {
            Some(answer) => {
                lookups.remove(&p.id);
                Ok(answer)
            }
            None => Err(BifError::Wait),
        };
    }
    let result = Arc::new(Mutex::new(None));
    lookups.insert(
        p.id,
        Lookup {
            key,
            result: result.clone(),
        },
    );
    drop(lookups);
    let pid = p.id;
    girder_runtime::reactor::hold_live();
    let spawned = std::thread::Builder::new()
        .name("lookup".into())
        .spawn(move || {
            let answer = work();
            *result.lock().unwrap_or_else(|e| e.into_inner()) = Some(answer);
            girder_runtime::sched::wake(pid);
            if !girder_runtime::sched::exists(pid) {
                LOOKUPS
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&pid);
            }
            girder_runtime::reactor::release_live();
        });
    if spawned.is_err() {
        girder_runtime::reactor::release_live();
        LOOKUPS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&pid);
        return Err(BifError::Fail(atom("system_limit")));
    }
    Err(BifError::Wait)
}

/// `nif_getnameinfo(SockAddr, Flags)`: `{ok, #{host, service}}`.
fn getnameinfo(p: &mut Process, a: &[Term]) -> BifResult {
    let Some((ss, len)) = sockaddr(a[0]) else {
        return Ok(error(p, "einval"));
    };
    let mut flags = 0;
    if a[1] != atom("undefined") {
        for f in obj::list_to_vec(a[1]).ok_or(BifError::BADARG)? {
            flags |= match f.as_atom().map(|f| f.name()) {
                Some("namereqd") => libc::NI_NAMEREQD,
                Some("dgram") => libc::NI_DGRAM,
                Some("nofqdn") => libc::NI_NOFQDN,
                Some("numerichost") => libc::NI_NUMERICHOST,
                Some("numericserv") => libc::NI_NUMERICSERV,
                _ => return Err(BifError::BADARG),
            };
        }
    }
    // SAFETY: sockaddr_storage is plain data, readable as bytes.
    let mut key =
        unsafe { std::slice::from_raw_parts((&raw const ss).cast::<u8>(), len as usize).to_vec() };
    key.extend(flags.to_ne_bytes());
    key.push(b'n');
    let ss = Sockaddr(ss);
    let answer = off_scheduler(p, key, move || {
        let ss = ss;
        nameinfo(&ss.0, len, flags)
    })?;
    let (host, serv) = match answer {
        Answer::Name(host, serv) => (host, serv),
        Answer::Failed(r) => return Ok(error(p, eai_name(r))),
        Answer::Addrs(_) => unreachable!("getnameinfo answers a name"),
    };
    let host = charlist(p, &host);
    let serv = charlist(p, &serv);
    let mut pairs = vec![(atom("host"), host), (atom("service"), serv)];
    let m = obj::map_from_pairs(&mut p.heap, &mut pairs);
    Ok(ok(p, m))
}

/// A socket address to hand to a lookup thread.
struct Sockaddr(libc::sockaddr_storage);

// SAFETY: sockaddr_storage is plain data.
unsafe impl Send for Sockaddr {}

fn nameinfo(ss: &libc::sockaddr_storage, len: libc::socklen_t, flags: i32) -> Answer {
    let mut host = [0u8; 1025];
    let mut serv = [0u8; 32];
    // SAFETY: `ss` holds a sockaddr of `len` bytes; the buffers are writable for their
    // lengths.
    let r = unsafe {
        libc::getnameinfo(
            (ss as *const libc::sockaddr_storage).cast(),
            len,
            host.as_mut_ptr().cast(),
            host.len() as libc::socklen_t,
            serv.as_mut_ptr().cast(),
            serv.len() as libc::socklen_t,
            flags,
        )
    };
    if r != 0 {
        return Answer::Failed(r);
    }
    let text = |b: &[u8]| {
        let end = b.iter().position(|c| *c == 0).unwrap_or(b.len());
        String::from_utf8_lossy(&b[..end]).into_owned()
    };
    Answer::Name(text(&host), text(&serv))
}

/// `nif_getaddrinfo(Host, Service, Hints)`: `{ok, [#{family, type, protocol, addr}]}`
/// (protocol numbers: prim_net names them).
fn getaddrinfo(p: &mut Process, a: &[Term]) -> BifResult {
    let arg = |t: Term| -> Result<Option<CString>, BifError> {
        if t == atom("undefined") {
            Ok(None)
        } else {
            cstring_arg(t).map(Some)
        }
    };
    let (host, service) = (arg(a[0])?, arg(a[1])?);
    let mut key = Vec::new();
    for part in [&host, &service] {
        match part {
            Some(s) => key.extend(s.as_bytes_with_nul()),
            None => key.push(b'-'),
        }
    }
    key.push(b'a');
    let answer = off_scheduler(p, key, move || addrinfo(host, service))?;
    let addrs = match answer {
        Answer::Addrs(addrs) => addrs,
        Answer::Failed(r) => return Ok(error(p, eai_name(r))),
        Answer::Name(..) => unreachable!("getaddrinfo answers addresses"),
    };
    let mut items = Vec::new();
    for (family, socktype, protocol, ss) in addrs {
        let family = match family {
            libc::AF_INET => atom("inet"),
            libc::AF_INET6 => atom("inet6"),
            n => Term::small(i64::from(n)),
        };
        let ty = match socktype {
            libc::SOCK_STREAM => atom("stream"),
            libc::SOCK_DGRAM => atom("dgram"),
            libc::SOCK_RAW => atom("raw"),
            libc::SOCK_SEQPACKET => atom("seqpacket"),
            n => Term::small(i64::from(n)),
        };
        let addr = sockaddr_term(&mut p.heap, &ss);
        let mut pairs = vec![
            (atom("family"), family),
            (atom("type"), ty),
            (atom("protocol"), Term::small(i64::from(protocol))),
            (atom("addr"), addr),
        ];
        items.push(obj::map_from_pairs(&mut p.heap, &mut pairs));
    }
    let list = obj::list_from_slice(&mut p.heap, &items, Term::NIL);
    Ok(ok(p, list))
}

fn addrinfo(host: Option<CString>, service: Option<CString>) -> Answer {
    let mut res: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: the strings are NUL-terminated or null; `res` receives a list freed below.
    let r = unsafe {
        libc::getaddrinfo(
            host.as_ref().map_or(std::ptr::null(), |h| h.as_ptr()),
            service.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            std::ptr::null(),
            &mut res,
        )
    };
    if r != 0 {
        return Answer::Failed(r);
    }
    let mut addrs = Vec::new();
    let mut cur = res;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the list getaddrinfo returned.
        let ai = unsafe { &*cur };
        if !ai.ai_addr.is_null() && (ai.ai_addrlen as usize) <= size_of::<libc::sockaddr_storage>()
        {
            // SAFETY: sockaddr_storage is plain data; `ai_addr` is readable for
            // `ai_addrlen` bytes, which fit in it.
            let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
            unsafe {
                std::ptr::copy_nonoverlapping(
                    ai.ai_addr.cast::<u8>(),
                    (&raw mut ss).cast::<u8>(),
                    ai.ai_addrlen as usize,
                );
            }
            addrs.push((ai.ai_family, ai.ai_socktype, ai.ai_protocol, ss));
        }
        cur = ai.ai_next;
    }
    // SAFETY: `res` came from getaddrinfo and is freed once.
    unsafe { libc::freeaddrinfo(res) };
    Answer::Addrs(addrs)
}

/// The interface flags esock reports, in its order.
const IFF: &[(u32, &str)] = &[
    (libc::IFF_UP as u32, "up"),
    (libc::IFF_BROADCAST as u32, "broadcast"),
    (libc::IFF_DEBUG as u32, "debug"),
    (libc::IFF_LOOPBACK as u32, "loopback"),
    (libc::IFF_POINTOPOINT as u32, "pointopoint"),
    (libc::IFF_NOTRAILERS as u32, "notrailers"),
    (libc::IFF_RUNNING as u32, "running"),
    (libc::IFF_NOARP as u32, "noarp"),
    (libc::IFF_PROMISC as u32, "promisc"),
    (libc::IFF_MASTER as u32, "master"),
    (libc::IFF_SLAVE as u32, "slave"),
    (libc::IFF_MULTICAST as u32, "multicast"),
    (libc::IFF_PORTSEL as u32, "portsel"),
    (libc::IFF_AUTOMEDIA as u32, "automedia"),
    (libc::IFF_DYNAMIC as u32, "dynamic"),
];

/// An interface address as prim_net shows it: a `sockaddr` map, or for `AF_PACKET` a
/// map of the link-level address.
fn ifaddr_term(h: &mut impl Alloc, sa: *const libc::sockaddr) -> Option<Term> {
    if sa.is_null() {
        return None;
    }
    // SAFETY: getifaddrs returns valid sockaddrs; the family says which kind.
    let family = i32::from(unsafe { (*sa).sa_family });
    match family {
        libc::AF_INET | libc::AF_INET6 => {
            let size = if family == libc::AF_INET {
                size_of::<libc::sockaddr_in>()
            } else {
                size_of::<libc::sockaddr_in6>()
            };
            // SAFETY: as above; `size` bytes of that family's sockaddr are readable.
            let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
            unsafe {
                std::ptr::copy_nonoverlapping(sa.cast::<u8>(), (&raw mut ss).cast::<u8>(), size)
            };
            Some(sockaddr_term(h, &ss))
        }
        libc::AF_PACKET => {
            // SAFETY: an AF_PACKET address is a sockaddr_ll.
            let ll = unsafe { &*sa.cast::<libc::sockaddr_ll>() };
            let n = usize::from(ll.sll_halen).min(ll.sll_addr.len());
            let addr = obj::binary_from_bytes(h, &ll.sll_addr[..n]);
            let hatype = match ll.sll_hatype {
                libc::ARPHRD_ETHER => atom("ether"),
                libc::ARPHRD_LOOPBACK => atom("loopback"),
                libc::ARPHRD_NETROM => atom("netrom"),
                libc::ARPHRD_IEEE802 => atom("ieee802"),
                libc::ARPHRD_DLCI => atom("dlci"),
                libc::ARPHRD_FRAD => atom("frelay"),
                libc::ARPHRD_IEEE1394 => atom("ieee1394"),
                libc::ARPHRD_EUI64 => atom("eui64"),
                libc::ARPHRD_TUNNEL => atom("tunnel"),
                libc::ARPHRD_TUNNEL6 => atom("tunnel6"),
                libc::ARPHRD_LOCALTLK => atom("localtlk"),
                libc::ARPHRD_NONE => atom("none"),
                n => Term::small(i64::from(n)),
            };
            let pkttype = match ll.sll_pkttype {
                0 => atom("host"),
                1 => atom("broadcast"),
                2 => atom("multicast"),
                3 => atom("otherhost"),
                4 => atom("outgoing"),
                5 => atom("loopback"),
                7 => atom("fastroute"),
                n => Term::small(i64::from(n)),
            };
            let mut pairs = vec![
                (atom("family"), atom("packet")),
                (
                    atom("protocol"),
                    Term::small(i64::from(u16::from_be(ll.sll_protocol))),
                ),
                (atom("ifindex"), Term::small(i64::from(ll.sll_ifindex))),
                (atom("hatype"), hatype),
                (atom("pkttype"), pkttype),
                (atom("addr"), addr),
            ];
            Some(obj::map_from_pairs(h, &mut pairs))
        }
        n => {
            let mut pairs = vec![(atom("family"), Term::small(i64::from(n)))];
            Some(obj::map_from_pairs(h, &mut pairs))
        }
    }
}

/// `nif_getifaddrs(Extra)`: `{ok, [#{name, flags, addr[, netmask][, broadaddr |
/// dstaddr]}]}`.
fn getifaddrs(p: &mut Process, a: &[Term]) -> BifResult {
    if !obj::is_map(a[0]) {
        return Err(BifError::BADARG);
    }
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: `list` receives a list freed below.
    if unsafe { libc::getifaddrs(&mut list) } < 0 {
        return Ok(error(p, errno_name(last_errno())));
    }
    let mut items = Vec::new();
    let mut cur = list;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the list getifaddrs returned.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        // SAFETY: `ifa_name` is a NUL-terminated string.
        let name = unsafe { CStr::from_ptr(ifa.ifa_name) }
            .to_string_lossy()
            .into_owned();
        let h = &mut p.heap;
        let name = {
            let chars: Vec<Term> = name.chars().map(|c| Term::small(c as i64)).collect();
            obj::list_from_slice(h, &chars, Term::NIL)
        };
        let flags: Vec<Term> = IFF
            .iter()
            .filter(|(bit, _)| ifa.ifa_flags & bit != 0)
            .map(|(_, n)| atom(n))
            .collect();
        let flags = obj::list_from_slice(h, &flags, Term::NIL);
        let mut pairs = vec![(atom("name"), name), (atom("flags"), flags)];
        if let Some(addr) = ifaddr_term(h, ifa.ifa_addr) {
            pairs.push((atom("addr"), addr));
        }
        if let Some(mask) = ifaddr_term(h, ifa.ifa_netmask) {
            pairs.push((atom("netmask"), mask));
        }
        let other = ifa.ifa_ifu;
        if ifa.ifa_flags & libc::IFF_BROADCAST as u32 != 0 {
            if let Some(b) = ifaddr_term(h, other) {
                pairs.push((atom("broadaddr"), b));
            }
        } else if ifa.ifa_flags & libc::IFF_POINTOPOINT as u32 != 0
            && let Some(d) = ifaddr_term(h, other)
        {
            pairs.push((atom("dstaddr"), d));
        }
        items.push(obj::map_from_pairs(h, &mut pairs));
    }
    // SAFETY: `list` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(list) };
    let l = obj::list_from_slice(&mut p.heap, &items, Term::NIL);
    Ok(ok(p, l))
}

fn if_names(p: &mut Process, _a: &[Term]) -> BifResult {
    // SAFETY: plain if_nameindex call; the array is freed below.
    let arr = unsafe { libc::if_nameindex() };
    if arr.is_null() {
        return Ok(error(p, errno_name(last_errno())));
    }
    let mut items = Vec::new();
    let mut i = 0;
    loop {
        // SAFETY: the array ends with an entry whose index is 0.
        let e = unsafe { &*arr.add(i) };
        if e.if_index == 0 || e.if_name.is_null() {
            break;
        }
        // SAFETY: `if_name` is a NUL-terminated string.
        let name = unsafe { CStr::from_ptr(e.if_name) }
            .to_string_lossy()
            .into_owned();
        let name = charlist(p, &name);
        items.push(obj::tuple(
            &mut p.heap,
            &[Term::small(i64::from(e.if_index)), name],
        ));
        i += 1;
    }
    // SAFETY: `arr` came from if_nameindex and is freed once.
    unsafe { libc::if_freenameindex(arr) };
    let l = obj::list_from_slice(&mut p.heap, &items, Term::NIL);
    Ok(ok(p, l))
}

fn if_name2index(p: &mut Process, a: &[Term]) -> BifResult {
    let name = cstring_arg(a[0])?;
    // SAFETY: `name` is NUL-terminated.
    let i = unsafe { libc::if_nametoindex(name.as_ptr()) };
    if i == 0 {
        return Ok(error(p, errno_name(last_errno())));
    }
    Ok(ok(p, Term::small(i64::from(i))))
}

fn if_index2name(p: &mut Process, a: &[Term]) -> BifResult {
    let idx = a[0]
        .as_small()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or(BifError::BADARG)?;
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: `buf` has IF_NAMESIZE bytes, as if_indextoname requires.
    let r = unsafe { libc::if_indextoname(idx, buf.as_mut_ptr()) };
    if r.is_null() {
        return Ok(error(p, errno_name(last_errno())));
    }
    // SAFETY: if_indextoname wrote a NUL-terminated name into `buf`.
    let name = unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned();
    let name = charlist(p, &name);
    Ok(ok(p, name))
}

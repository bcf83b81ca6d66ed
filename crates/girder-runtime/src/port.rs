//! Ports: `open_port/2` for `{spawn, Cmd}`, `{spawn_executable, Path}` and `{fd, In, Out}`.
//!
//! A port is an entry of the global port table, named by a port identifier
//! (`#Port<0.N>`). It owns the descriptors it opened (pipes to its child process); its
//! input descriptor and its child's pidfd are registered with the [`crate::reactor`], whose
//! thread reads the input, frames it (`stream`, `{line, N}`, `{packet, N}`) and delivers
//! `{Port, {data, D}}` messages to the connected process as ordinary messages
//! (`sched::deliver`). Output is written without blocking by the process that commands the
//! port; what does not fit in the pipe is queued and written by the reactor thread when
//! the pipe is writable. No scheduler thread ever waits for a port.
//!
//! Links and monitors: processes keep a port in their `links`/`monitors` as the port's
//! number with [`PORT_BIT`] set, and `sched::send_signal` hands signals addressed so to
//! [`signal`]. When a port closes it sends its linked processes an exit signal and its
//! monitors a `DOWN`, as a process does.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use girder_term::heap::LiteralArea;
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::reactor::{self, Interest, Source};
use crate::sched::table::{Owned, Signal};

pub mod inet;
pub mod tty;

/// Set in a process's link, monitor or signal-sender number when it names a port.
pub const PORT_BIT: u64 = 1 << 62;

/// The identifier term for a number in a link or monitor list: a port with [`PORT_BIT`],
/// else a pid.
pub fn ident_term(id: u64) -> Term {
    if id & PORT_BIT != 0 {
        Term::port(id & !PORT_BIT)
    } else {
        Term::pid(id)
    }
}

/// What the port talks to.
pub enum Name {
    /// `{spawn, Command}`: run by `/bin/sh -c "exec Command"`.
    Spawn(String),
    /// `{spawn_executable, Path}`.
    Executable(OsString),
    /// `{fd, In, Out}`.
    Fd(RawFd, RawFd),
    /// `{spawn_driver, "tcp_inet" | "udp_inet"}`: a socket (`inet::Proto`).
    Inet(inet::Proto),
}

/// `open_port/2`'s options.
#[derive(Default)]
pub struct Options {
    pub binary: bool,
    pub line: Option<usize>,
    pub packet: usize,
    pub exit_status: bool,
    pub eof: bool,
    pub input: bool,
    pub output: bool,
    pub stderr_to_stdout: bool,
    pub args: Option<Vec<OsString>>,
    pub arg0: Option<OsString>,
    pub cd: Option<OsString>,
    pub env: Vec<(OsString, Option<OsString>)>,
}

struct Inner {
    name: String,
    connected: u64,
    links: Vec<u64>,
    /// Processes monitoring the port: reference, watcher.
    monitored_by: Vec<(Owned, u64)>,
    opts: Options,
    os_pid: Option<u32>,
    /// The input descriptor, its reactor key, and whether the port owns it.
    input: Option<(RawFd, usize)>,
    output: Option<RawFd>,
    /// Reactor key of the output descriptor while output waits in `pending`.
    output_key: Option<usize>,
    /// Descriptors the port closes (pipes); `{fd, ...}` ports close none.
    owned: Vec<OwnedFd>,
    pidfd: Option<(OwnedFd, usize)>,
    /// Output not written yet: `pending[written..]`.
    pending: Vec<u8>,
    written: usize,
    inbuf: Vec<u8>,
    eof: bool,
    status: Option<i32>,
    closed: bool,
    in_bytes: u64,
    out_bytes: u64,
    data: Option<Owned>,
    /// A socket's state (`tcp_inet`, `udp_inet` ports).
    inet: Option<Box<inet::Desc>>,
    /// An `{fd, In, Out}` port's input thread counts as live input (`reactor::hold_live`)
    /// until end of input or until the port closes.
    reader_live: bool,
    /// The terminal driver's state (`tty_sl` ports: see `tty.rs`).
    tty: Option<Box<tty::Tty>>,
}

/// One port.
pub struct Port {
    pub id: u64,
    inner: Mutex<Inner>,
    /// The connected process, as of the last socket event (read by the socket code while
    /// it holds the descriptor borrowed out of `inner`).
    connected_cache: AtomicU64,
}

static PORTS: LazyLock<Mutex<BTreeMap<u64, Arc<Port>>>> =
    LazyLock::new(|| Mutex::new(BTreeMap::new()));
static NEXT: AtomicU64 = AtomicU64::new(1);
/// Bytes read from and written to ports (`statistics(io)`), standard I/O included.
static IO_IN: AtomicU64 = AtomicU64::new(0);
static IO_OUT: AtomicU64 = AtomicU64::new(0);

/// Count `input` bytes read and `output` bytes written (ports, standard I/O).
pub fn count_io(input: u64, output: u64) {
    IO_IN.fetch_add(input, Ordering::Relaxed);
    IO_OUT.fetch_add(output, Ordering::Relaxed);
}

/// Bytes read and written so far (see [`count_io`]).
pub fn io_totals() -> (u64, u64) {
    (
        IO_IN.load(Ordering::Relaxed),
        IO_OUT.load(Ordering::Relaxed),
    )
}

fn table() -> MutexGuard<'static, BTreeMap<u64, Arc<Port>>> {
    PORTS.lock().unwrap_or_else(|e| e.into_inner())
}

fn get(id: u64) -> Option<Arc<Port>> {
    table().get(&id).cloned()
}

impl Port {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded: both descriptors are open and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn set_nonblocking(fd: RawFd) {
    // SAFETY: fcntl on a descriptor the port owns; F_GETFL/F_SETFL touch no memory.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
    }
}

/// Whether `path` (relative to `cd` when given, where the child runs it) can be executed:
/// the errno `execve` would fail with for a missing or non-executable file. The spawn
/// itself reports that too, except where the C library's `posix_spawn` cannot (it relies
/// on `vfork` sharing memory, which qemu-user emulates with a plain `fork`: the child's
/// error is lost and the port opens); checking first makes `open_port/2` raise `enoent`
/// there as well. A file that passes and still fails to run is left to the spawn.
fn executable(path: &std::ffi::OsStr, cd: Option<&std::ffi::OsStr>) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let full = match cd {
        Some(d) if !path.as_bytes().starts_with(b"/") => std::path::Path::new(d).join(path),
        _ => std::path::PathBuf::from(path),
    };
    let Ok(c) = std::ffi::CString::new(full.as_os_str().as_bytes()) else {
        return Ok(());
    };
    // SAFETY: `c` is a NUL-terminated path that outlives the call; faccessat only reads it.
    if unsafe { libc::faccessat(libc::AT_FDCWD, c.as_ptr(), libc::X_OK, libc::AT_EACCESS) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn pidfd_open(pid: u32) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return None;
    }
    // SAFETY: the system call returned a fresh descriptor nobody else owns.
    Some(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// Open a port connected to (and linked with) process `owner`; its number, or the error
/// that `open_port/2` raises (an errno).
pub fn open(owner: u64, name: Name, shown: String, opts: Options) -> io::Result<u64> {
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut inner = Inner::new(shown, owner, opts);
    let mut in_fd = None;
    let mut fd_reader = None;
    let mut child_pid = None;
    match name {
        Name::Inet(proto) => {
            inner.inet = Some(Box::new(inet::Desc::new(proto)));
        }
        Name::Fd(i, o) => {
            if inner.opts.input {
                fd_reader = Some(i);
            }
            if inner.opts.output {
                inner.output = Some(o);
            }
        }
        Name::Spawn(c) if c.split(' ').next() == Some("tty_sl") => {
            inner.tty = Some(Box::new(tty::Tty::open(id, &c)?));
        }
        Name::Spawn(_) | Name::Executable(_) => {
            let mut cmd = match &name {
                Name::Spawn(c) => {
                    let mut cmd = Command::new("/bin/sh");
                    cmd.arg0("sh").arg("-c").arg(format!("exec {c}"));
                    cmd
                }
                Name::Executable(path) => {
                    let mut path = path.clone();
                    if !path.as_encoded_bytes().contains(&b'/') {
                        // A bare name is not searched for in the PATH.
                        let mut p = OsString::from("./");
                        p.push(&path);
                        path = p;
                    }
                    executable(&path, inner.opts.cd.as_deref())?;
                    let mut cmd = Command::new(&path);
                    if let Some(a0) = &inner.opts.arg0 {
                        cmd.arg0(a0);
                    }
                    if let Some(args) = &inner.opts.args {
                        cmd.args(args);
                    }
                    cmd
                }
                Name::Fd(..) | Name::Inet(_) => unreachable!("handled above"),
            };
            if let Some(d) = &inner.opts.cd {
                cmd.current_dir(d);
            }
            for (k, v) in &inner.opts.env {
                match v {
                    Some(v) => cmd.env(k, v),
                    None => cmd.env_remove(k),
                };
            }
            // The child's standard input and output are pipes (`use_stdio`), even for a
            // direction the port does not use (as erts does): a pipe nobody writes to or
            // reads from.
            let (child_in, our_out) = pipe()?;
            let (our_in, child_out) = pipe()?;
            if inner.opts.stderr_to_stdout {
                cmd.stderr(Stdio::from(child_out.try_clone()?));
            }
            cmd.stdin(Stdio::from(child_in));
            cmd.stdout(Stdio::from(child_out));
            let child = cmd.spawn()?;
            drop(cmd);
            child_pid = Some(child.id());
            inner.os_pid = Some(child.id());
            // The child is reaped through its pidfd (below), not through `Child`.
            drop(child);
            set_nonblocking(our_out.as_raw_fd());
            set_nonblocking(our_in.as_raw_fd());
            if inner.opts.output {
                inner.output = Some(our_out.as_raw_fd());
            }
            if inner.opts.input {
                in_fd = Some(our_in.as_raw_fd());
            }
            inner.owned.push(our_out);
            inner.owned.push(our_in);
        }
    }
    let port = Arc::new(Port {
        id,
        inner: Mutex::new(inner),
        connected_cache: AtomicU64::new(owner),
    });
    {
        let mut g = port.lock();
        if let Some(fd) = in_fd {
            let key = reactor::register(fd, Interest::READ, port.clone(), true)?;
            g.input = Some((fd, key));
        }
        if let Some(pid) = child_pid
            && let Some(pfd) = pidfd_open(pid)
        {
            let key = reactor::register(pfd.as_raw_fd(), Interest::READ, port.clone(), false)?;
            g.pidfd = Some((pfd, key));
        }
    }
    table().insert(id, port.clone());
    if let Some(fd) = fd_reader {
        port.lock().reader_live = true;
        reactor::hold_live();
        let reader = port.clone();
        let spawned = std::thread::Builder::new()
            .name("fd-port-input".into())
            .spawn(move || reader.read_fd(fd));
        if let Err(e) = spawned {
            port.release_reader(&mut port.lock());
            return Err(e);
        }
    }
    Ok(id)
}

impl Inner {
    /// A fresh port's state: named `name`, connected to and linked with `owner`.
    fn new(name: String, owner: u64, opts: Options) -> Inner {
        Inner {
            name,
            connected: owner,
            links: vec![owner],
            monitored_by: Vec::new(),
            opts,
            os_pid: None,
            input: None,
            output: None,
            output_key: None,
            owned: Vec::new(),
            pidfd: None,
            pending: Vec::new(),
            written: 0,
            inbuf: Vec::new(),
            eof: false,
            status: None,
            closed: false,
            in_bytes: 0,
            out_bytes: 0,
            data: None,
            inet: None,
            reader_live: false,
            tty: None,
        }
    }
}

/// A port for a socket `accept` made, connected to (and linked with) `owner`; its number.
fn open_inet(owner: u64, mut desc: inet::Desc) -> Result<u64, i32> {
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let inner = Inner::new("tcp_inet".to_owned(), owner, Options::default());
    let port = Arc::new(Port {
        id,
        inner: Mutex::new(inner),
        connected_cache: AtomicU64::new(owner),
    });
    port.register_fd(&mut desc)?;
    port.lock().inet = Some(Box::new(desc));
    table().insert(id, port);
    Ok(id)
}

/// Build a message `{Port, Payload}` in its own area.
fn build(id: u64, payload: impl FnOnce(&mut LiteralArea) -> Term) -> Owned {
    let mut area = LiteralArea::new();
    let p = payload(&mut area);
    let term = obj::tuple(&mut area, &[Term::port(id), p]);
    Owned { term, area }
}

fn bytes_term(area: &mut LiteralArea, binary: bool, bytes: &[u8]) -> Term {
    if binary {
        obj::binary_from_bytes(area, bytes)
    } else {
        let items: Vec<Term> = bytes.iter().map(|&b| Term::small(i64::from(b))).collect();
        obj::list_from_slice(area, &items, Term::NIL)
    }
}

fn data_message(id: u64, binary: bool, tag: Option<&str>, bytes: &[u8]) -> Owned {
    build(id, |a| {
        let d = bytes_term(a, binary, bytes);
        let d = match tag {
            Some(t) => obj::tuple(a, &[Term::atom(Atom::intern(t)), d]),
            None => d,
        };
        obj::tuple(a, &[Term::atom(Atom::intern("data")), d])
    })
}

impl Port {
    fn deliver(&self, g: &Inner, msg: Owned) {
        crate::sched::deliver(g.connected, msg);
    }

    /// Frame what `inbuf` holds into messages; at end of input, what is left too.
    fn frame(&self, g: &mut Inner, at_eof: bool) {
        let binary = g.opts.binary;
        if let Some(n) = g.opts.line {
            loop {
                let limit = g.inbuf.len().min(n + 1);
                if let Some(i) = g.inbuf[..limit].iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = g.inbuf.drain(..=i).collect();
                    let m = data_message(self.id, binary, Some("eol"), &line[..i]);
                    self.deliver(g, m);
                } else if g.inbuf.len() > n {
                    let part: Vec<u8> = g.inbuf.drain(..n).collect();
                    let m = data_message(self.id, binary, Some("noeol"), &part);
                    self.deliver(g, m);
                } else {
                    break;
                }
            }
            if at_eof && !g.inbuf.is_empty() {
                let rest = std::mem::take(&mut g.inbuf);
                let m = data_message(self.id, binary, Some("noeol"), &rest);
                self.deliver(g, m);
            }
        } else if g.opts.packet > 0 {
            let h = g.opts.packet;
            while g.inbuf.len() >= h {
                let len = g.inbuf[..h]
                    .iter()
                    .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
                if g.inbuf.len() < h + len {
                    break;
                }
                let packet: Vec<u8> = g.inbuf.drain(..h + len).skip(h).collect();
                let m = data_message(self.id, binary, None, &packet);
                self.deliver(g, m);
            }
        } else if !g.inbuf.is_empty() {
            let chunk = std::mem::take(&mut g.inbuf);
            let m = data_message(self.id, binary, None, &chunk);
            self.deliver(g, m);
        }
    }

    /// An `{fd, In, Out}` port's input, read on a thread of its own: the descriptor is
    /// the VM's own (standard input, mostly), which may be a regular file (epoll refuses
    /// those) and must stay blocking (its open file description is shared with the
    /// processes that started the VM). Ends at end of input, or at the first read after
    /// the port closed.
    fn read_fd(&self, fd: RawFd) {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            // SAFETY: `buf` is a writable buffer of `buf.len()` bytes; `fd` is a descriptor
            // the VM was started with, never closed by the port.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            let mut g = self.lock();
            if g.closed {
                return;
            }
            if n > 0 {
                let n = n as usize;
                g.in_bytes += n as u64;
                count_io(n as u64, 0);
                g.inbuf.extend_from_slice(&buf[..n]);
                self.frame(&mut g, false);
                continue;
            }
            if n < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            self.release_reader(&mut g);
            g.eof = true;
            self.after_eof(&mut g);
            return;
        }
    }

    fn release_reader(&self, g: &mut Inner) {
        if std::mem::take(&mut g.reader_live) {
            reactor::release_live();
        }
    }

    /// Read what the input descriptor has.
    fn read_input(&self, g: &mut Inner) {
        let Some((fd, key)) = g.input else {
            return;
        };
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            // SAFETY: `buf` is a writable buffer of `buf.len()` bytes; `fd` is open (the
            // port closes it only after deregistering it, under this lock).
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                let n = n as usize;
                g.in_bytes += n as u64;
                count_io(n as u64, 0);
                g.inbuf.extend_from_slice(&buf[..n]);
                self.frame(g, false);
                if g.closed {
                    return;
                }
                continue;
            }
            if n < 0 {
                let e = io::Error::last_os_error();
                match e.raw_os_error() {
                    Some(libc::EINTR) => continue,
                    Some(libc::EAGAIN) => {
                        let _ = reactor::rearm(key, fd, Interest::READ);
                        return;
                    }
                    _ => {}
                }
            }
            // End of input (or a read error, which erts also treats as the end). A partial
            // last line is delivered after the exit status, as erts does.
            reactor::deregister(key, fd);
            g.input = None;
            g.eof = true;
            self.after_eof(g);
            return;
        }
    }

    /// Input ended: report the exit status when asked (once the child has exited), then
    /// `eof` or close.
    fn after_eof(&self, g: &mut Inner) {
        if !g.eof || g.closed {
            return;
        }
        if g.opts.exit_status && g.os_pid.is_some() {
            let Some(status) = g.status else {
                // Wait for the child (its pidfd is registered).
                if g.pidfd.is_none() {
                    // Already reaped: status 0 was lost; should not happen.
                    g.status = Some(0);
                } else {
                    return;
                }
                return self.after_eof(g);
            };
            if status < 0 {
                // Reported already.
            } else {
                let m = build(self.id, |a| {
                    let s = Term::small(i64::from(status));
                    obj::tuple(a, &[Term::atom(Atom::intern("exit_status")), s])
                });
                self.deliver(g, m);
                g.status = Some(-1);
            }
        }
        self.frame(g, true);
        if g.opts.eof {
            let m = build(self.id, |_| Term::atom(Atom::intern("eof")));
            self.deliver(g, m);
            g.eof = false;
        } else {
            self.terminate(g, Owned::copy(Term::atom(Atom::NORMAL)));
        }
    }

    /// The child exited: reap it.
    fn reap(&self, g: &mut Inner) {
        let Some(pid) = g.os_pid else {
            return;
        };
        let mut status = 0;
        // SAFETY: waitpid on our own child with WNOHANG writes only `status`.
        let r = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, libc::WNOHANG) };
        if r == 0 {
            if let Some((pfd, key)) = &g.pidfd {
                let _ = reactor::rearm(*key, pfd.as_raw_fd(), Interest::READ);
            }
            return;
        }
        if let Some((pfd, key)) = g.pidfd.take() {
            reactor::deregister(key, pfd.as_raw_fd());
        }
        let es = std::process::ExitStatus::from_raw(status);
        let code = es.code().unwrap_or_else(|| 128 + es.signal().unwrap_or(0));
        if g.status.is_none() {
            g.status = Some(code);
        }
        self.after_eof(g);
    }

    /// Write what is pending; false when the port had to close.
    fn flush(&self, g: &mut Inner) -> bool {
        let Some(fd) = g.output else {
            g.pending.clear();
            g.written = 0;
            return true;
        };
        if fd == 1 {
            // What girder's own standard output server wrote comes first.
            use std::io::Write;
            let _ = std::io::stdout().flush();
        }
        while g.written < g.pending.len() {
            let rest = &g.pending[g.written..];
            // SAFETY: writes bytes of `pending` to a descriptor the port holds open.
            let n = unsafe { libc::write(fd, rest.as_ptr().cast(), rest.len()) };
            if n >= 0 {
                g.written += n as usize;
                if g.written == g.pending.len() {
                    g.pending.clear();
                    g.written = 0;
                } else if g.written > g.pending.len() / 2 {
                    // Keep the buffer from growing with what is written.
                    let w = g.written;
                    g.pending.drain(..w);
                    g.written = 0;
                }
                continue;
            }
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::EAGAIN) => {
                    match g.output_key {
                        Some(key) => {
                            let _ = reactor::rearm(key, fd, Interest::WRITE);
                        }
                        None => {
                            let me = get(self.id);
                            if let Some(me) = me
                                && let Ok(key) = reactor::register(fd, Interest::WRITE, me, false)
                            {
                                g.output_key = Some(key);
                            }
                        }
                    }
                    return true;
                }
                _ => {
                    let reason = errno_atom(e.raw_os_error().unwrap_or(libc::EIO));
                    self.terminate(g, Owned::copy(Term::atom(reason)));
                    return false;
                }
            }
        }
        if let Some(key) = g.output_key.take() {
            reactor::deregister(key, fd);
        }
        true
    }

    /// Close the port with `reason`: its descriptors close, linked processes get an exit
    /// signal and monitors a `DOWN`.
    fn terminate(&self, g: &mut Inner, reason: Owned) {
        if g.closed {
            return;
        }
        g.closed = true;
        table().remove(&self.id);
        self.release_reader(g);
        if let Some(t) = g.tty.take() {
            t.close();
        }
        if let Some((fd, key)) = g.input.take() {
            reactor::deregister(key, fd);
        }
        if let (Some(key), Some(fd)) = (g.output_key.take(), g.output) {
            reactor::deregister(key, fd);
        }
        g.output = None;
        if let Some(d) = g.inet.as_mut() {
            d.shutdown();
            if d.dist
                && let Some(h) = crate::dist::HOOKS.get()
            {
                (h.port_closed)(self.id, reason.term);
            }
        }
        g.owned.clear();
        g.pending.clear();
        g.written = 0;
        let from = self.id | PORT_BIT;
        for l in std::mem::take(&mut g.links) {
            let _ = crate::sched::send_signal(
                l,
                Signal::Exit {
                    from,
                    reason: Owned::copy(reason.term),
                    linked: true,
                },
            );
        }
        for (r, watcher) in std::mem::take(&mut g.monitored_by) {
            let _ = crate::sched::send_signal(
                watcher,
                Signal::Down {
                    from,
                    reference: r,
                    reason: Owned::copy(reason.term),
                },
            );
        }
    }
}

impl Source for Port {
    fn ready(&self, key: usize, _readable: bool, _writable: bool) {
        let mut g = self.lock();
        if g.inet.is_some() {
            if g.closed {
                return;
            }
            let Some(me) = get(self.id) else {
                return;
            };
            me.inet_ready(&mut g, key);
            let packets = g
                .inet
                .as_mut()
                .map(|d| std::mem::take(&mut d.dist_in))
                .unwrap_or_default();
            drop(g);
            if !packets.is_empty()
                && let Some(h) = crate::dist::HOOKS.get()
            {
                for packet in packets {
                    (h.input)(self.id, packet);
                }
            }
            return;
        }
        if g.input.is_some_and(|(_, k)| k == key) {
            self.read_input(&mut g);
        } else if g.pidfd.as_ref().is_some_and(|(_, k)| *k == key) {
            self.reap(&mut g);
        } else if g.output_key == Some(key) {
            self.flush(&mut g);
        }
    }
}

/// The atom OTP names an errno with (`enoent`...).
pub fn errno_atom(code: i32) -> Atom {
    let name = match code {
        libc::ENOENT => "enoent",
        libc::EACCES => "eacces",
        libc::EPIPE => "epipe",
        libc::ENOMEM => "enomem",
        libc::EMFILE => "emfile",
        libc::ENFILE => "enfile",
        libc::ENOTDIR => "enotdir",
        libc::EISDIR => "eisdir",
        libc::ENOEXEC => "enoexec",
        libc::E2BIG => "e2big",
        libc::EAGAIN => "eagain",
        libc::EBADF => "ebadf",
        libc::EPERM => "eperm",
        libc::ELOOP => "eloop",
        libc::ENAMETOOLONG => "enametoolong",
        libc::ETXTBSY => "etxtbsy",
        _ => "eio",
    };
    Atom::intern(name)
}

/// Write `bytes` to port `id` for process `caller` (`port_command`); false if the port is
/// closed.
pub fn command(caller: u64, id: u64, bytes: &[u8]) -> bool {
    let Some(port) = get(id) else {
        return false;
    };
    let mut g = port.lock();
    if g.closed {
        return false;
    }
    if g.inet.is_some() {
        port.connected_cache.store(g.connected, Ordering::Relaxed);
        port.inet_command(&mut g, caller, bytes);
        return true;
    }
    if g.tty.is_some() {
        g.out_bytes += bytes.len() as u64;
        if g.tty.as_mut().is_some_and(|t| t.command(bytes)) {
            port.deliver(&g, Port::reply(id, "ok"));
        }
        return true;
    }
    if g.output.is_none() {
        // A port opened `in` only: erts drops the data.
        return true;
    }
    let h = g.opts.packet;
    if h > 0 {
        let len = bytes.len();
        let header: Vec<u8> = (0..h).rev().map(|i| (len >> (8 * i)) as u8).collect();
        g.pending.extend_from_slice(&header);
    }
    g.pending.extend_from_slice(bytes);
    g.out_bytes += bytes.len() as u64;
    count_io(0, bytes.len() as u64);
    if g.output_key.is_none() {
        port.flush(&mut g);
    }
    true
}

/// `erlang:port_control(Port, Op, Data)` from process `caller`: the driver's answer, or
/// `None` (`badarg`) when the port is closed or its driver answers no control requests.
pub fn control(caller: u64, id: u64, op: u32, data: &[u8]) -> Option<Vec<u8>> {
    let port = get(id)?;
    let mut g = port.lock();
    if g.closed {
        return None;
    }
    if let Some(t) = g.tty.as_mut() {
        return t.control(op, data);
    }
    // Otherwise only the inet drivers answer.
    g.inet.as_ref()?;
    port.connected_cache.store(g.connected, Ordering::Relaxed);
    Some(port.inet_control(&mut g, caller, op, data))
}

/// Terminal input for the `tty_sl` port `id` (from the console thread): delivered as
/// `{Port, {data, Bytes}}` in UTF-8, an incomplete last character kept in `pending`.
pub fn tty_input(id: u64, read: &[u8], pending: &mut Vec<u8>) {
    let Some(port) = get(id) else {
        return;
    };
    let mut g = port.lock();
    let Some(t) = g.tty.as_ref() else {
        return;
    };
    let chunk = tty::input_chunk(t.utf8(), pending, read);
    g.in_bytes += read.len() as u64;
    count_io(read.len() as u64, 0);
    if !chunk.is_empty() {
        let m = data_message(id, g.opts.binary, None, &chunk);
        port.deliver(&g, m);
    }
}

/// The terminal of the `tty_sl` port `id` reached end of input.
pub fn tty_eof(id: u64) {
    let Some(port) = get(id) else {
        return;
    };
    let mut g = port.lock();
    if g.tty.is_some() {
        g.eof = true;
        port.after_eof(&mut g);
    }
}

/// Whether port `id` is an open socket (`tcp_inet`, `udp_inet`): its driver takes
/// `port_command/3`'s `force` (girder never makes a port busy, so it changes nothing).
pub fn is_inet(id: u64) -> bool {
    get(id).is_some_and(|port| {
        let g = port.lock();
        !g.closed && g.inet.is_some()
    })
}

/// Close port `id` with reason `normal` (`port_close/1`); false if it was closed.
pub fn close(id: u64) -> bool {
    let Some(port) = get(id) else {
        return false;
    };
    let mut g = port.lock();
    if g.closed {
        return false;
    }
    port.terminate(&mut g, Owned::copy(Term::atom(Atom::NORMAL)));
    true
}

/// Make `pid` the connected process of port `id`, linking them (`port_connect/2`).
pub fn connect(id: u64, pid: u64) -> bool {
    let Some(port) = get(id) else {
        return false;
    };
    let mut g = port.lock();
    if g.closed {
        return false;
    }
    g.connected = pid;
    if !g.links.contains(&pid) {
        g.links.push(pid);
        let _ = crate::sched::send_signal(
            pid,
            Signal::Link {
                from: id | PORT_BIT,
            },
        );
    }
    true
}

/// A message sent to port `id` by process `from` (`Port ! {Pid, Command}`).
pub fn message(from: u64, id: u64, msg: Term) {
    let Some(port) = get(id) else {
        return;
    };
    let mut g = port.lock();
    if g.closed {
        return;
    }
    let badsig = |port: &Port, g: &mut Inner| {
        port.terminate(g, Owned::copy(Term::atom(Atom::intern("badsig"))));
    };
    if !obj::is_tuple(msg) || obj::tuple_arity(msg) != 2 {
        return badsig(&port, &mut g);
    }
    let sender = obj::tuple_element(msg, 0);
    let cmd = obj::tuple_element(msg, 1);
    if !sender.is_local_pid() || sender.immediate_id() != g.connected {
        return badsig(&port, &mut g);
    }
    if cmd.as_atom() == Some(Atom::intern("close")) {
        let to = g.connected;
        port.terminate(&mut g, Owned::copy(Term::atom(Atom::NORMAL)));
        crate::sched::deliver(to, Port::reply(id, "closed"));
        return;
    }
    if obj::is_tuple(cmd) && obj::tuple_arity(cmd) == 2 {
        let tag = obj::tuple_element(cmd, 0).as_atom();
        let arg = obj::tuple_element(cmd, 1);
        if tag == Some(Atom::intern("command")) {
            let Some(bytes) = iodata(arg) else {
                return badsig(&port, &mut g);
            };
            drop(g);
            command(from, id, &bytes);
            return;
        }
        if tag == Some(Atom::intern("connect")) && arg.is_local_pid() {
            let old = g.connected;
            g.connected = arg.immediate_id();
            crate::sched::deliver(old, Port::reply(id, "connected"));
            return;
        }
    }
    badsig(&port, &mut g)
}

impl Port {
    fn reply(id: u64, what: &str) -> Owned {
        build(id, |_| Term::atom(Atom::intern(what)))
    }
}

/// A signal sent to port `id` (by `sched::send_signal`); given back if the port is closed.
pub fn signal(id: u64, sig: Signal) -> Result<(), Signal> {
    let Some(port) = get(id) else {
        return Err(sig);
    };
    let mut g = port.lock();
    if g.closed {
        return Err(sig);
    }
    match sig {
        Signal::Link { from } if !g.links.contains(&from) => g.links.push(from),
        Signal::Unlink { from } => g.links.retain(|&l| l != from),
        Signal::Monitor { from, reference } => g.monitored_by.push((reference, from)),
        Signal::Demonitor { reference } => g
            .monitored_by
            .retain(|(r, _)| !girder_term::compare::eq_exact(r.term, reference.term)),
        Signal::Exit {
            from,
            reason,
            linked,
        } => {
            if linked {
                if !g.links.contains(&from) {
                    return Ok(());
                }
                g.links.retain(|&l| l != from);
            }
            // Through a link, a normal exit closes the port only when it comes from the
            // connected process; `exit/2` and any other reason close it.
            if linked && reason.term.as_atom() == Some(Atom::NORMAL) && from != g.connected {
                return Ok(());
            }
            let reason = if !linked && reason.term.as_atom() == Some(Atom::KILL) {
                Owned::copy(Term::atom(Atom::KILLED))
            } else {
                reason
            };
            port.terminate(&mut g, reason);
        }
        _ => {}
    }
    Ok(())
}

/// The bytes of iodata `t` (bytes, binaries, nested lists, a binary tail).
pub fn iodata(t: Term) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    obj::iodata_bytes(t, &mut out).then_some(out)
}

/// What `port_info/1,2` reports about an open port.
pub struct Info {
    pub name: String,
    pub links: Vec<u64>,
    pub connected: u64,
    pub input: u64,
    pub output: u64,
    pub os_pid: Option<u32>,
    pub monitored_by: Vec<u64>,
}

/// Port `id`'s information, if it is open.
pub fn info(id: u64) -> Option<Info> {
    let port = get(id)?;
    let g = port.lock();
    if g.closed {
        return None;
    }
    Some(Info {
        name: g.name.clone(),
        links: g.links.clone(),
        connected: g.connected,
        input: g.in_bytes,
        output: g.out_bytes,
        os_pid: g.os_pid,
        monitored_by: g.monitored_by.iter().map(|(_, w)| *w).collect(),
    })
}

/// Whether port `id` is open.
pub fn is_open(id: u64) -> bool {
    get(id).is_some()
}

/// The numbers of the open ports, in order.
pub fn ports() -> Vec<u64> {
    table().keys().copied().collect()
}

/// `port_set_data/2`.
pub fn set_data(id: u64, data: Term) -> bool {
    let Some(port) = get(id) else {
        return false;
    };
    port.lock().data = Some(Owned::copy(data));
    true
}

/// `port_get_data/1`: `f` gets the data (or `undefined`); false if the port is closed.
pub fn with_data(id: u64, f: impl FnOnce(Term)) -> bool {
    let Some(port) = get(id) else {
        return false;
    };
    let g = port.lock();
    f(g.data
        .as_ref()
        .map_or(Term::atom(Atom::UNDEFINED), |d| d.term));
    true
}

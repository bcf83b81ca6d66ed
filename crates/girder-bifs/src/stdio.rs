//! The native half of girder's standard I/O server (`lib/preloaded/src/girder_user.erl`):
//! raw writes to standard output and standard error, and reads of standard input in
//! chunks as they arrive (as OTP's `{fd, 0, 1}` port delivers them). Everything else about I/O (the I/O protocol, encodings, formatting) is Erlang:
//! OTP's own `io` and `io_lib`, and the preloaded server.
//!
//! Standard input is read by a thread of its own (`girder_io:read_start/0` asks it for the
//! next chunk, which comes as a message), so no scheduler thread waits for input. A thread
//! rather than the poller: standard input may be a regular file, which epoll cannot
//! watch, and making a terminal or pipe non-blocking would change it for the processes
//! sharing it. While a read is pending it counts as a live source of input (as a
//! registration on the poller does), so the VM does not stop for want of work.

use std::io::{Read, Write};

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;
use crate::binaries::iolist_bytes;

pub const BIFS: &[Entry] = &[
    ("girder_io", "write", 2, write),
    ("girder_io", "read_start", 0, read_start),
    // Every local I/O server speaks the unicode-aware protocol (R13 and later).
    ("net_kernel", "dflag_unicode_io", 1, |_, a| {
        if obj::is_pid(a[0]) {
            Ok(Term::boolean(true))
        } else {
            Err(BifError::BADARG)
        }
    }),
];

fn error_reason(p: &mut Process, e: &std::io::Error) -> Term {
    let reason = match e.kind() {
        std::io::ErrorKind::BrokenPipe => "epipe",
        std::io::ErrorKind::Interrupted => "eintr",
        std::io::ErrorKind::WouldBlock => "eagain",
        _ => "eio",
    };
    obj::tuple(
        &mut p.heap,
        &[Term::atom(Atom::ERROR), Term::atom(Atom::intern(reason))],
    )
}

/// `girder_io:write(Fd, IoData)`: write the bytes to standard output (1) or standard
/// error (2). `ok` or `{error, Reason}`.
fn write(p: &mut Process, a: &[Term]) -> BifResult {
    let fd = a[0].as_small().ok_or(BifError::BADARG)?;
    let mut bytes = Vec::new();
    iolist_bytes(a[1], &mut bytes)?;
    let bytes = girder_runtime::port::tty::terminal_newlines(bytes);
    let result = match fd {
        1 => {
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)
        }
        2 => {
            let mut err = std::io::stderr().lock();
            err.write_all(&bytes)
        }
        _ => return Err(BifError::BADARG),
    };
    match result {
        Ok(()) => {
            girder_runtime::port::count_io(0, bytes.len() as u64);
            Ok(Term::atom(Atom::OK))
        }
        Err(e) => Ok(error_reason(p, &e)),
    }
}

/// The most one read of standard input returns (OTP's fd driver reads this much too).
const READ_CHUNK: usize = 64 * 1024;

/// `girder_io:read_start()`: read the next chunk of standard input for the caller, who
/// gets `{girder_io, stdin, Data}` (a binary of at least one byte), `{girder_io, stdin,
/// eof}` or `{girder_io, stdin, {error, Reason}}`. `ok` at once.
fn read_start(p: &mut Process, _: &[Term]) -> BifResult {
    // Output written so far appears before the program waits for input (a prompt).
    let _ = std::io::stdout().flush();
    girder_runtime::reactor::hold_live();
    let sent = reader()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send(p.id);
    if sent.is_err() {
        girder_runtime::reactor::release_live();
        return Err(BifError::BADARG);
    }
    Ok(Term::atom(Atom::OK))
}

/// The standard input thread's queue of readers (started on first use).
fn reader() -> &'static std::sync::Mutex<std::sync::mpsc::Sender<u64>> {
    static READER: std::sync::OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<u64>>> =
        std::sync::OnceLock::new();
    READER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<u64>();
        let _ = std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || {
                while let Ok(pid) = rx.recv() {
                    let msg = read_chunk();
                    // Delivered before the pending read stops counting as live: the
                    // reader is runnable by then.
                    girder_runtime::sched::deliver(pid, msg);
                    girder_runtime::reactor::release_live();
                }
            });
        std::sync::Mutex::new(tx)
    })
}

/// One read of standard input, as the message `read_start/0` promises.
fn read_chunk() -> girder_runtime::sched::table::Owned {
    let mut buf = vec![0u8; READ_CHUNK];
    let result = loop {
        match std::io::stdin().lock().read(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            r => break r,
        }
    };
    let mut area = girder_term::heap::LiteralArea::new();
    let data = match result {
        Ok(0) => Term::atom(Atom::intern("eof")),
        Ok(n) => {
            girder_runtime::port::count_io(n as u64, 0);
            obj::binary_from_bytes(&mut area, &buf[..n])
        }
        Err(e) => {
            let reason = match e.kind() {
                std::io::ErrorKind::WouldBlock => "eagain",
                _ => "eio",
            };
            obj::tuple(
                &mut area,
                &[Term::atom(Atom::ERROR), Term::atom(Atom::intern(reason))],
            )
        }
    };
    let tag = Term::atom(Atom::intern("girder_io"));
    let stdin = Term::atom(Atom::intern("stdin"));
    let term = obj::tuple(&mut area, &[tag, stdin, data]);
    girder_runtime::sched::table::Owned { term, area }
}

//! The native half of girder's standard I/O server (`lib/preloaded/src/girder_user.erl`):
//! raw writes to standard output and standard error, and reads of standard input in
//! chunks as they arrive (as OTP's `{fd, 0, 1}` port delivers them). Everything else about I/O (the I/O protocol, encodings, formatting) is Erlang:
//! OTP's own `io` and `io_lib`, and the preloaded server.
//!
//! Reading standard input blocks the scheduler thread until data (or end of file) arrives:
//! with one scheduler thread, every other process waits meanwhile.

use std::io::{Read, Write};

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;
use crate::binaries::iolist_bytes;

pub const BIFS: &[Entry] = &[
    ("girder_io", "write", 2, write),
    ("girder_io", "read", 0, read),
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

/// The most `girder_io:read/0` returns at once (OTP's fd driver reads this much too).
const READ_CHUNK: usize = 64 * 1024;

/// `girder_io:read()`: the bytes standard input has for us (at least one: blocks the
/// calling thread until some arrive) as a binary, `eof`, or `{error, Reason}`.
fn read(p: &mut Process, _: &[Term]) -> BifResult {
    // Output written so far appears before the program waits for input (a prompt).
    let _ = std::io::stdout().flush();
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        match std::io::stdin().lock().read(&mut buf) {
            Ok(0) => return Ok(Term::atom(Atom::intern("eof"))),
            Ok(n) => {
                girder_runtime::port::count_io(n as u64, 0);
                return Ok(obj::binary_from_bytes(&mut p.heap, &buf[..n]));
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Ok(error_reason(p, &e)),
        }
    }
}

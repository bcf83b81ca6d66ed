//! The native half of girder's `prim_file` (`lib/preloaded/src/prim_file.erl`): the
//! operating system's file calls, as OTP's `prim_file` NIFs make them. Paths arrive as
//! binaries (the Erlang half encodes names); failures are `{error, Posix}` with the errno's
//! name, as OTP reports them.
//!
//! Open files live in a table keyed by a number that is never reused; each belongs to the
//! process that opened it and is closed when that process exits (OTP's NIF resource monitors
//! its owner the same way).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;
use crate::binaries::iolist_bytes;

pub const BIFS: &[Entry] = &[
    ("girder_file", "read_file", 1, read_file),
    ("girder_file", "write_file", 3, write_file),
    ("girder_file", "list_dir", 1, list_dir),
    ("girder_file", "make_dir", 1, make_dir),
    ("girder_file", "del_dir", 1, del_dir),
    ("girder_file", "delete", 1, delete),
    ("girder_file", "rename", 2, rename),
    ("girder_file", "get_cwd", 0, get_cwd),
    ("girder_file", "set_cwd", 1, set_cwd),
    ("girder_file", "read_info", 2, read_info),
    ("girder_file", "read_link", 1, read_link),
    ("girder_file", "make_link", 2, make_link),
    ("girder_file", "make_symlink", 2, make_symlink),
    ("girder_file", "set_permissions", 2, set_permissions),
    ("girder_file", "set_times", 3, set_times),
    ("girder_file", "set_owner", 3, set_owner),
    ("girder_file", "open", 2, open),
    ("girder_file", "close", 1, close),
    ("girder_file", "read", 2, read),
    ("girder_file", "read_line", 1, read_line),
    ("girder_file", "write", 2, write),
    ("girder_file", "pread", 3, pread),
    ("girder_file", "pwrite", 3, pwrite),
    ("girder_file", "position", 3, position),
    ("girder_file", "sync", 1, sync),
    ("girder_file", "truncate", 1, truncate),
    ("girder_file", "handle_info", 1, handle_info),
    // File names are UTF-8, as erl's default (`+fnu`) on a UTF-8 system.
    ("file", "native_name_encoding", 0, |_, _| {
        Ok(Term::atom(Atom::intern("utf8")))
    }),
    // Without DTrace/SystemTap probes, OTP's tag spreading BIFs only answer `true`.
    ("erlang", "dt_spread_tag", 1, |_, a| {
        if a[0]
            .as_atom()
            .is_some_and(|x| x == Atom::TRUE || x == Atom::FALSE)
        {
            Ok(Term::boolean(true))
        } else {
            Err(BifError::BADARG)
        }
    }),
    // It takes back only what `dt_spread_tag/1` gave.
    ("erlang", "dt_restore_tag", 1, |_, a| {
        if a[0] == Term::atom(Atom::TRUE) {
            Ok(Term::boolean(true))
        } else {
            Err(BifError::BADARG)
        }
    }),
    // Nor is a tag kept: there is none to read, and vm tag data passes through.
    ("erlang", "dt_get_tag", 0, |_, _| {
        Ok(Term::atom(Atom::UNDEFINED))
    }),
    ("erlang", "dt_get_tag_data", 0, |_, _| {
        Ok(Term::atom(Atom::UNDEFINED))
    }),
    ("erlang", "dt_put_tag", 1, |_, _| {
        Ok(Term::atom(Atom::UNDEFINED))
    }),
    ("erlang", "dt_prepend_vm_tag_data", 1, |_, a| Ok(a[0])),
    ("erlang", "dt_append_vm_tag_data", 1, |_, a| Ok(a[0])),
];

struct Open {
    file: File,
    owner: u64,
}

struct Table {
    next: i64,
    files: BTreeMap<i64, Open>,
}

static FILES: Mutex<Table> = Mutex::new(Table {
    next: 1,
    files: BTreeMap::new(),
});

fn table() -> MutexGuard<'static, Table> {
    FILES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Close the files `p` owns (an exit hook).
pub fn process_exited(p: &mut Process) {
    let mut t = table();
    if t.files.values().any(|f| f.owner == p.id) {
        t.files.retain(|_, f| f.owner != p.id);
    }
}

/// The name OTP gives an errno.
fn errno_name(code: i32) -> &'static str {
    use libc::*;
    match code {
        EPERM => "eperm",
        ENOENT => "enoent",
        ESRCH => "esrch",
        EINTR => "eintr",
        EIO => "eio",
        ENXIO => "enxio",
        E2BIG => "e2big",
        EBADF => "ebadf",
        EAGAIN => "eagain",
        ENOMEM => "enomem",
        EACCES => "eacces",
        EFAULT => "efault",
        EBUSY => "ebusy",
        EEXIST => "eexist",
        EXDEV => "exdev",
        ENODEV => "enodev",
        ENOTDIR => "enotdir",
        EISDIR => "eisdir",
        EINVAL => "einval",
        ENFILE => "enfile",
        EMFILE => "emfile",
        ETXTBSY => "etxtbsy",
        EFBIG => "efbig",
        ENOSPC => "enospc",
        ESPIPE => "espipe",
        EROFS => "erofs",
        EMLINK => "emlink",
        EPIPE => "epipe",
        ENAMETOOLONG => "enametoolong",
        ENOTEMPTY => "enotempty",
        ELOOP => "eloop",
        ENOTSUP => "enotsup",
        EDQUOT => "edquot",
        ESTALE => "estale",
        _ => "unknown",
    }
}

fn error_atom(p: &mut Process, reason: &str) -> Term {
    obj::tuple(
        &mut p.heap,
        &[Term::atom(Atom::ERROR), Term::atom(Atom::intern(reason))],
    )
}

fn io_error(p: &mut Process, e: &std::io::Error) -> Term {
    let reason = match e.raw_os_error() {
        Some(code) => errno_name(code),
        None if e.kind() == std::io::ErrorKind::InvalidInput => "einval",
        None => "eio",
    };
    error_atom(p, reason)
}

fn ok_value(p: &mut Process, v: Term) -> Term {
    obj::tuple(&mut p.heap, &[Term::atom(Atom::OK), v])
}

fn ok_or_error(p: &mut Process, r: std::io::Result<()>) -> BifResult {
    match r {
        Ok(()) => Ok(Term::atom(Atom::OK)),
        Err(e) => Ok(io_error(p, &e)),
    }
}

/// A path argument: a binary without NUL bytes (the Erlang half encodes names).
fn path_arg(t: Term) -> Result<std::path::PathBuf, BifError> {
    let bytes = obj::binary_bytes(t).ok_or(BifError::BADARG)?;
    if bytes.contains(&0) {
        return Err(BifError::BADARG);
    }
    Ok(Path::new(OsStr::from_bytes(bytes)).to_path_buf())
}

fn read_file(p: &mut Process, a: &[Term]) -> BifResult {
    let path = path_arg(a[0])?;
    match std::fs::read(&path) {
        Ok(bytes) => {
            let b = obj::binary_from_bytes(&mut p.heap, &bytes);
            Ok(ok_value(p, b))
        }
        Err(e) => Ok(io_error(p, &e)),
    }
}

/// `write_file(Path, IoData, Append)`: create or truncate (or append to) and write.
fn write_file(p: &mut Process, a: &[Term]) -> BifResult {
    let path = path_arg(a[0])?;
    let mut bytes = Vec::new();
    iolist_bytes(a[1], &mut bytes)?;
    let append = a[2] == Term::boolean(true);
    let r = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(!append)
        .append(append)
        .open(&path)
        .and_then(|mut f| f.write_all(&bytes));
    ok_or_error(p, r)
}

fn list_dir(p: &mut Process, a: &[Term]) -> BifResult {
    let path = path_arg(a[0])?;
    let entries = match std::fs::read_dir(&path) {
        Ok(d) => d,
        Err(e) => return Ok(io_error(p, &e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => names.push(e.file_name().as_bytes().to_vec()),
            Err(e) => return Ok(io_error(p, &e)),
        }
    }
    let items: Vec<Term> = names
        .iter()
        .map(|n| obj::binary_from_bytes(&mut p.heap, n))
        .collect();
    let list = obj::list_from_slice(&mut p.heap, &items, Term::NIL);
    Ok(ok_value(p, list))
}

fn make_dir(p: &mut Process, a: &[Term]) -> BifResult {
    let path = path_arg(a[0])?;
    let r = std::fs::create_dir(&path);
    ok_or_error(p, r)
}

fn del_dir(p: &mut Process, a: &[Term]) -> BifResult {
    let path = path_arg(a[0])?;
    match std::fs::remove_dir(&path) {
        // OTP reports a directory that is not empty as POSIX allows, `eexist`.
        Err(e) if e.raw_os_error() == Some(libc::ENOTEMPTY) => Ok(error_atom(p, "eexist")),
        r => ok_or_error(p, r),
    }
}

fn delete(p: &mut Process, a: &[Term]) -> BifResult {
    let path = path_arg(a[0])?;
    match std::fs::remove_file(&path) {
        // Linux says EISDIR for a directory; OTP reports what POSIX says, `eperm`.
        Err(e) if e.raw_os_error() == Some(libc::EISDIR) => Ok(error_atom(p, "eperm")),
        r => ok_or_error(p, r),
    }
}

fn rename(p: &mut Process, a: &[Term]) -> BifResult {
    let (from, to) = (path_arg(a[0])?, path_arg(a[1])?);
    let r = std::fs::rename(&from, &to);
    ok_or_error(p, r)
}

fn get_cwd(p: &mut Process, _: &[Term]) -> BifResult {
    match std::env::current_dir() {
        Ok(d) => {
            let b = obj::binary_from_bytes(&mut p.heap, d.as_os_str().as_bytes());
            Ok(ok_value(p, b))
        }
        Err(e) => Ok(io_error(p, &e)),
    }
}

fn set_cwd(p: &mut Process, a: &[Term]) -> BifResult {
    let path = path_arg(a[0])?;
    let r = std::env::set_current_dir(&path);
    ok_or_error(p, r)
}

fn read_link(p: &mut Process, a: &[Term]) -> BifResult {
    let path = path_arg(a[0])?;
    match std::fs::read_link(&path) {
        Ok(t) => {
            let b = obj::binary_from_bytes(&mut p.heap, t.as_os_str().as_bytes());
            Ok(ok_value(p, b))
        }
        Err(e) => Ok(io_error(p, &e)),
    }
}

fn make_link(p: &mut Process, a: &[Term]) -> BifResult {
    let (from, to) = (path_arg(a[0])?, path_arg(a[1])?);
    let r = std::fs::hard_link(&from, &to);
    ok_or_error(p, r)
}

fn make_symlink(p: &mut Process, a: &[Term]) -> BifResult {
    let (from, to) = (path_arg(a[0])?, path_arg(a[1])?);
    let r = std::os::unix::fs::symlink(&from, &to);
    ok_or_error(p, r)
}

fn set_permissions(p: &mut Process, a: &[Term]) -> BifResult {
    use std::os::unix::fs::PermissionsExt;
    let path = path_arg(a[0])?;
    let mode = a[1]
        .as_small()
        .and_then(|m| u32::try_from(m).ok())
        .ok_or(BifError::BADARG)?;
    let r = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode & 0o7777));
    ok_or_error(p, r)
}

/// `girder_file:set_times(Name, Atime, Mtime)`: seconds since the epoch, or `undefined`
/// to leave that time (`utimensat(2)`).
fn set_times(p: &mut Process, a: &[Term]) -> BifResult {
    let path = path_arg(a[0])?;
    let time = |t: Term| -> Result<libc::timespec, BifError> {
        if t.as_atom() == Some(Atom::UNDEFINED) {
            return Ok(libc::timespec {
                tv_sec: 0,
                tv_nsec: libc::UTIME_OMIT,
            });
        }
        let s = obj::integer_to_i64(t).ok_or(BifError::BADARG)?;
        Ok(libc::timespec {
            tv_sec: s as libc::time_t,
            tv_nsec: 0,
        })
    };
    let times = [time(a[1])?, time(a[2])?];
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(|_| BifError::BADARG)?;
    // SAFETY: `c` is a NUL-terminated path and `times` two timespecs, both live across
    // the call.
    let r = unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), times.as_ptr(), 0) };
    let r = if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    };
    ok_or_error(p, r)
}

/// `girder_file:set_owner(Name, Uid, Gid)` (-1 leaves one as it is: `chown(2)`).
fn set_owner(p: &mut Process, a: &[Term]) -> BifResult {
    let path = path_arg(a[0])?;
    let id = |t: Term| {
        obj::integer_to_i64(t)
            .filter(|&n| n >= -1 && n <= i64::from(u32::MAX))
            .map(|n| n as libc::uid_t)
            .ok_or(BifError::BADARG)
    };
    let (uid, gid) = (id(a[1])?, id(a[2])? as libc::gid_t);
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(|_| BifError::BADARG)?;
    // SAFETY: `c` is a NUL-terminated path that lives across the call.
    let r = unsafe { libc::chown(c.as_ptr(), uid, gid) };
    let r = if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    };
    ok_or_error(p, r)
}

/// Whether the calling process may access `path` as `mode` says (`access(2)`).
fn can_access(path: &Path, mode: libc::c_int) -> bool {
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a NUL-terminated string that lives across the call.
    unsafe { libc::access(c.as_ptr(), mode) == 0 }
}

fn info_tuple(p: &mut Process, m: &std::fs::Metadata, access: &str) -> Term {
    let ft = m.file_type();
    use std::os::unix::fs::FileTypeExt;
    let kind = if ft.is_file() {
        "regular"
    } else if ft.is_dir() {
        "directory"
    } else if ft.is_symlink() {
        "symlink"
    } else if ft.is_block_device() || ft.is_char_device() {
        "device"
    } else {
        "other"
    };
    let ints = [
        m.size() as i64,
        m.atime(),
        m.mtime(),
        m.ctime(),
        i64::from(m.mode()),
        m.nlink() as i64,
        m.dev() as i64,
        m.rdev() as i64,
        m.ino() as i64,
        i64::from(m.uid()),
        i64::from(m.gid()),
    ];
    let mut items = vec![
        Term::atom(Atom::intern(kind)),
        Term::atom(Atom::intern(access)),
    ];
    for n in ints {
        items.push(obj::integer_from_big(
            &mut p.heap,
            &num_bigint::BigInt::from(n),
        ));
    }
    obj::tuple(&mut p.heap, &items)
}

/// `read_info(Path, FollowLinks)`: `{Type, Access, Size, Atime, Mtime, Ctime, Mode, Links,
/// Dev, Rdev, Inode, Uid, Gid}` with times in POSIX seconds, or `{error, Posix}`.
fn read_info(p: &mut Process, a: &[Term]) -> BifResult {
    let path = path_arg(a[0])?;
    let follow = a[1] == Term::boolean(true);
    let m = if follow {
        std::fs::metadata(&path)
    } else {
        std::fs::symlink_metadata(&path)
    };
    match m {
        Ok(m) => {
            let access = if m.file_type().is_symlink() {
                "read_write"
            } else {
                match (can_access(&path, libc::R_OK), can_access(&path, libc::W_OK)) {
                    (true, true) => "read_write",
                    (true, false) => "read",
                    (false, true) => "write",
                    (false, false) => "none",
                }
            };
            let info = info_tuple(p, &m, access);
            Ok(ok_value(p, info))
        }
        Err(e) => Ok(io_error(p, &e)),
    }
}

fn flag(flags: &[Term], name: &str) -> bool {
    let a = Atom::intern(name);
    flags.iter().any(|t| t.as_atom() == Some(a))
}

/// `open(Path, Flags)` with flags among `read`, `write`, `append`, `exclusive`, `sync`:
/// `{ok, Handle}` or `{error, Posix}`.
fn open(p: &mut Process, a: &[Term]) -> BifResult {
    let path = path_arg(a[0])?;
    let flags = obj::list_to_vec(a[1]).ok_or(BifError::BADARG)?;
    let (read, append, exclusive) = (
        flag(&flags, "read"),
        flag(&flags, "append"),
        flag(&flags, "exclusive"),
    );
    let write = flag(&flags, "write") || append || exclusive;
    let mut o = OpenOptions::new();
    o.read(read || !write);
    if write {
        o.write(true);
        if exclusive {
            o.create_new(true);
        } else {
            o.create(true);
        }
        if !read && !append && !exclusive {
            o.truncate(true);
        }
        if append {
            o.append(true);
        }
    }
    if flag(&flags, "sync") {
        o.custom_flags(libc::O_SYNC);
    }
    match o.open(&path) {
        Ok(file) => {
            if file.metadata().is_ok_and(|m| m.is_dir()) && !flag(&flags, "directory") {
                return Ok(error_atom(p, "eisdir"));
            }
            let id = {
                let mut t = table();
                let id = t.next;
                t.next += 1;
                t.files.insert(id, Open { file, owner: p.id });
                id
            };
            Ok(ok_value(p, Term::small(id)))
        }
        Err(e) => Ok(io_error(p, &e)),
    }
}

/// Run `f` on the open file `t` names, or answer `{error, einval}` for a closed one.
fn with_file(
    p: &mut Process,
    t: Term,
    f: impl FnOnce(&mut Process, &mut File) -> BifResult,
) -> BifResult {
    let id = t.as_small().ok_or(BifError::BADARG)?;
    // The file is taken out of the table while in use, so no lock is held during I/O.
    let Some(mut open) = table().files.remove(&id) else {
        return Ok(error_atom(p, "einval"));
    };
    let r = f(p, &mut open.file);
    table().files.insert(id, open);
    r
}

fn close(p: &mut Process, a: &[Term]) -> BifResult {
    let id = a[0].as_small().ok_or(BifError::BADARG)?;
    match table().files.remove(&id) {
        Some(_) => Ok(Term::atom(Atom::OK)),
        None => Ok(error_atom(p, "einval")),
    }
}

fn read_up_to(file: &mut File, n: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    Read::by_ref(file).take(n as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

fn data_result(p: &mut Process, r: std::io::Result<Vec<u8>>, n: usize) -> Term {
    match r {
        Ok(bytes) if bytes.is_empty() && n > 0 => Term::atom(Atom::intern("eof")),
        Ok(bytes) => {
            let b = obj::binary_from_bytes(&mut p.heap, &bytes);
            ok_value(p, b)
        }
        Err(e) => io_error(p, &e),
    }
}

/// The most one read returns (larger requests are cut, as a short read may be).
const MAX_READ: usize = 1 << 30;

fn read(p: &mut Process, a: &[Term]) -> BifResult {
    let n = crate::util::usize_arg(a[1])?.min(MAX_READ);
    with_file(p, a[0], |p, f| {
        let r = read_up_to(f, n);
        Ok(data_result(p, r, n))
    })
}

/// One line (through `\n`, a `\r\n` ending becoming `\n`), or the rest of the file.
fn read_line(p: &mut Process, a: &[Term]) -> BifResult {
    with_file(p, a[0], |p, f| {
        let mut line = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = match f.read(&mut chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Ok(io_error(p, &e)),
            };
            if n == 0 {
                break;
            }
            if let Some(i) = chunk[..n].iter().position(|&b| b == b'\n') {
                line.extend_from_slice(&chunk[..=i]);
                let back = (n - i - 1) as i64;
                if let Err(e) = f.seek(SeekFrom::Current(-back)) {
                    return Ok(io_error(p, &e));
                }
                if line.ends_with(b"\r\n") {
                    line.truncate(line.len() - 2);
                    line.push(b'\n');
                }
                break;
            }
            line.extend_from_slice(&chunk[..n]);
        }
        Ok(data_result(p, Ok(line), 1))
    })
}

fn write(p: &mut Process, a: &[Term]) -> BifResult {
    let mut bytes = Vec::new();
    iolist_bytes(a[1], &mut bytes)?;
    with_file(p, a[0], |p, f| {
        let r = f.write_all(&bytes);
        ok_or_error(p, r)
    })
}

fn offset_arg(t: Term) -> Result<u64, BifError> {
    t.as_small()
        .and_then(|n| u64::try_from(n).ok())
        .ok_or(BifError::BADARG)
}

fn pread(p: &mut Process, a: &[Term]) -> BifResult {
    let pos = offset_arg(a[1])?;
    let n = crate::util::usize_arg(a[2])?.min(MAX_READ);
    with_file(p, a[0], |p, f| {
        let mut buf = vec![0u8; n];
        let mut got = 0;
        let r = loop {
            if got == n {
                break Ok(());
            }
            match f.read_at(&mut buf[got..], pos + got as u64) {
                Ok(0) => break Ok(()),
                Ok(k) => got += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        buf.truncate(got);
        Ok(data_result(p, r.map(|()| buf), n))
    })
}

fn pwrite(p: &mut Process, a: &[Term]) -> BifResult {
    let pos = offset_arg(a[1])?;
    let mut bytes = Vec::new();
    iolist_bytes(a[2], &mut bytes)?;
    with_file(p, a[0], |p, f| {
        let r = f.write_all_at(&bytes, pos);
        ok_or_error(p, r)
    })
}

/// `position(Handle, bof | cur | eof, Offset)`: `{ok, NewPosition}`.
fn position(p: &mut Process, a: &[Term]) -> BifResult {
    let off = a[2].as_small().ok_or(BifError::BADARG)?;
    let whence = a[1].as_atom().ok_or(BifError::BADARG)?;
    let seek = match whence.name() {
        "bof" => match u64::try_from(off) {
            Ok(o) => SeekFrom::Start(o),
            Err(_) => return Ok(error_atom(p, "einval")),
        },
        "cur" => SeekFrom::Current(off),
        "eof" => SeekFrom::End(off),
        _ => return Err(BifError::BADARG),
    };
    with_file(p, a[0], |p, f| match f.seek(seek) {
        Ok(n) => {
            let v = obj::integer_from_big(&mut p.heap, &num_bigint::BigInt::from(n));
            Ok(ok_value(p, v))
        }
        Err(e) => Ok(io_error(p, &e)),
    })
}

fn sync(p: &mut Process, a: &[Term]) -> BifResult {
    with_file(p, a[0], |p, f| {
        let r = f.sync_all();
        ok_or_error(p, r)
    })
}

fn truncate(p: &mut Process, a: &[Term]) -> BifResult {
    with_file(p, a[0], |p, f| {
        let r = f.stream_position().and_then(|pos| f.set_len(pos));
        ok_or_error(p, r)
    })
}

fn handle_info(p: &mut Process, a: &[Term]) -> BifResult {
    with_file(p, a[0], |p, f| match f.metadata() {
        Ok(m) => {
            let info = info_tuple(p, &m, "read_write");
            Ok(ok_value(p, info))
        }
        Err(e) => Ok(io_error(p, &e)),
    })
}

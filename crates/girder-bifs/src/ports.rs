//! Port BIFs: the `erts_internal` functions under OTP's own `erlang:open_port/2`,
//! `port_command/2,3`, `port_close/1`, `port_connect/2`, `port_info/1,2`, `port_control/3`
//! and `port_call/3`, and `erlang:ports/0`, `list_to_port/1`, `port_set_data/2`,
//! `port_get_data/1`. The ports themselves live in `girder_runtime::port`.
//!
//! As in erts, the `erts_internal` functions answer an error as an atom (`badarg`,
//! `badopt`, an errno name) and OTP's `erlang` module raises it with its `error_info`.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_runtime::port::{self, Name, Options};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;
use crate::util::list_arg;

pub const BIFS: &[Entry] = &[
    ("erts_internal", "open_port", 2, open_port),
    ("erts_internal", "port_command", 3, port_command),
    ("erts_internal", "port_close", 1, |_, a| {
        Ok(match port_id(a[0]) {
            Some(id) if port::close(id) => Term::boolean(true),
            _ => badarg(),
        })
    }),
    ("erts_internal", "port_connect", 2, |_, a| {
        Ok(match port_id(a[0]) {
            Some(id) if a[1].is_local_pid() && port::connect(id, a[1].immediate_id()) => {
                Term::boolean(true)
            }
            _ => badarg(),
        })
    }),
    ("erts_internal", "port_info", 1, port_info1),
    ("erts_internal", "port_info", 2, port_info2),
    // The inet drivers answer control requests; the spawn and fd drivers none.
    ("erts_internal", "port_control", 3, port_control),
    ("erts_internal", "port_call", 3, |_, _| Ok(badarg())),
    ("erlang", "ports", 0, |p, _| {
        let ports: Vec<Term> = port::ports().into_iter().map(Term::port).collect();
        Ok(obj::list_from_slice(&mut p.heap, &ports, Term::NIL))
    }),
    ("erlang", "list_to_port", 1, list_to_port),
    ("erlang", "port_set_data", 2, |_, a| match port_id(a[0]) {
        Some(id) if port::set_data(id, a[1]) => Ok(Term::boolean(true)),
        _ => Err(BifError::BADARG),
    }),
    ("erlang", "port_get_data", 1, |p, a| {
        let id = port_id(a[0]).ok_or(BifError::BADARG)?;
        let mut out = None;
        if !port::with_data(id, |d| {
            out = Some(girder_term::copy::copy_term(d, &mut p.heap))
        }) {
            return Err(BifError::BADARG);
        }
        out.ok_or(BifError::BADARG)
    }),
];

fn badarg() -> Term {
    Term::atom(Atom::BADARG)
}

/// A port given as a port identifier or a registered name (ports are never registered
/// in girder yet, so a name is not a port).
fn port_id(t: Term) -> Option<u64> {
    t.is_local_port().then(|| t.immediate_id())
}

/// A flat string or binary as bytes (a file name or a command; characters above 255 as
/// UTF-8, as OTP's native file name encoding).
fn name_bytes(t: Term) -> Option<Vec<u8>> {
    // erts takes an atom too (OTP's user_drv names `'tty_sl -c -e'` so).
    if let Some(a) = t.as_atom() {
        return Some(a.name().as_bytes().to_vec());
    }
    if obj::is_binary(t) {
        return Some(obj::bits(t).to_vec());
    }
    let items = list_arg(t).ok()?;
    let mut s = String::new();
    for c in items {
        s.push(char::from_u32(u32::try_from(c.as_small()?).ok()?)?);
    }
    Some(s.into_bytes())
}

fn os_string(t: Term) -> Option<OsString> {
    name_bytes(t).map(OsString::from_vec)
}

enum OptError {
    Badarg,
    Badopt,
}

fn parse_options(t: Term) -> Result<Options, OptError> {
    let items = list_arg(t).map_err(|_| OptError::Badopt)?;
    let mut o = Options::default();
    let (mut saw_in, mut saw_out) = (false, false);
    for item in items {
        if let Some(a) = item.as_atom() {
            match a.name() {
                "binary" => o.binary = true,
                "stream" => o.packet = 0,
                "exit_status" => o.exit_status = true,
                "use_stdio" | "hide" | "overlapped_io" => {}
                "stderr_to_stdout" => o.stderr_to_stdout = true,
                "in" => saw_in = true,
                "out" => saw_out = true,
                "eof" => o.eof = true,
                _ => return Err(OptError::Badopt),
            }
            continue;
        }
        if !obj::is_tuple(item) || obj::tuple_arity(item) != 2 {
            return Err(OptError::Badopt);
        }
        let key = obj::tuple_element(item, 0).as_atom().map(|a| a.name());
        let v = obj::tuple_element(item, 1);
        match key {
            Some("line") => match v.as_small() {
                Some(n) if n > 0 => o.line = Some(n as usize),
                _ => return Err(OptError::Badopt),
            },
            Some("packet") => match v.as_small() {
                Some(n @ (1 | 2 | 4)) => o.packet = n as usize,
                _ => return Err(OptError::Badopt),
            },
            Some("args") => {
                let args = list_arg(v).map_err(|_| OptError::Badarg)?;
                let args: Option<Vec<OsString>> = args.into_iter().map(os_string).collect();
                o.args = Some(args.ok_or(OptError::Badarg)?);
            }
            Some("arg0") => o.arg0 = Some(os_string(v).ok_or(OptError::Badarg)?),
            Some("cd") => o.cd = Some(os_string(v).ok_or(OptError::Badarg)?),
            Some("env") => {
                for pair in list_arg(v).map_err(|_| OptError::Badarg)? {
                    if !obj::is_tuple(pair) || obj::tuple_arity(pair) != 2 {
                        return Err(OptError::Badarg);
                    }
                    let name = os_string(obj::tuple_element(pair, 0)).ok_or(OptError::Badarg)?;
                    let val = obj::tuple_element(pair, 1);
                    let val = if val.as_atom() == Some(Atom::FALSE) {
                        None
                    } else {
                        Some(os_string(val).ok_or(OptError::Badarg)?)
                    };
                    o.env.push((name, val));
                }
            }
            Some("parallelism") | Some("busy_limits_port") | Some("busy_limits_msgq") => {}
            _ => return Err(OptError::Badopt),
        }
    }
    // Neither `in` nor `out`: both directions.
    o.input = saw_in || !saw_out;
    o.output = saw_out || !saw_in;
    Ok(o)
}

fn open_port(p: &mut Process, a: &[Term]) -> BifResult {
    let opts = match parse_options(a[1]) {
        Ok(o) => o,
        Err(OptError::Badarg) => return Ok(badarg()),
        Err(OptError::Badopt) => return Ok(Term::atom(Atom::intern("badopt"))),
    };
    let name = a[0];
    if !obj::is_tuple(name) {
        return Ok(badarg());
    }
    let kind = obj::tuple_element(name, 0).as_atom().map(|k| k.name());
    let (name, shown) = match (kind, obj::tuple_arity(name)) {
        (Some("spawn"), 2) => {
            let Some(cmd) = name_bytes(obj::tuple_element(name, 1)) else {
                return Ok(badarg());
            };
            let cmd = String::from_utf8_lossy(&cmd).into_owned();
            (Name::Spawn(cmd.clone()), cmd)
        }
        (Some("spawn_executable"), 2) => {
            let Some(path) = name_bytes(obj::tuple_element(name, 1)) else {
                return Ok(badarg());
            };
            let shown = String::from_utf8_lossy(&path).into_owned();
            (Name::Executable(OsString::from_vec(path)), shown)
        }
        (Some("spawn_driver"), 2) => {
            let proto = match name_bytes(obj::tuple_element(name, 1)).as_deref() {
                Some(b"tcp_inet") => port::inet::Proto::Tcp,
                Some(b"udp_inet") => port::inet::Proto::Udp,
                _ => return Ok(badarg()),
            };
            (Name::Inet(proto), proto.driver_name().to_owned())
        }
        (Some("fd"), 3) => {
            let fd = |t: Term| {
                t.as_small()
                    .and_then(|n| i32::try_from(n).ok())
                    .filter(|&n| n >= 0)
            };
            let (Some(i), Some(o)) = (
                fd(obj::tuple_element(name, 1)),
                fd(obj::tuple_element(name, 2)),
            ) else {
                return Ok(badarg());
            };
            (Name::Fd(i, o), format!("{i}/{o}"))
        }
        _ => return Ok(badarg()),
    };
    match port::open(p.id, name, shown, opts) {
        Ok(id) => {
            // The caller is linked to the port it opened.
            p.links.insert(id | port::PORT_BIT, id | port::PORT_BIT);
            Ok(Term::port(id))
        }
        Err(e) => Ok(Term::atom(port::errno_atom(
            e.raw_os_error().unwrap_or(libc::EIO),
        ))),
    }
}

fn port_control(p: &mut Process, a: &[Term]) -> BifResult {
    let (Some(id), Some(op)) = (port_id(a[0]), a[1].as_small()) else {
        return Ok(badarg());
    };
    let (Ok(op), Some(data)) = (u32::try_from(op), port::iodata(a[2])) else {
        return Ok(badarg());
    };
    Ok(match port::control(p.id, id, op, &data) {
        Some(reply) => {
            let items: Vec<Term> = reply.iter().map(|&b| Term::small(i64::from(b))).collect();
            obj::list_from_slice(&mut p.heap, &items, Term::NIL)
        }
        None => badarg(),
    })
}

fn port_command(p: &mut Process, a: &[Term]) -> BifResult {
    let Ok(opts) = list_arg(a[2]) else {
        return Ok(badarg());
    };
    let mut force = false;
    for o in opts {
        match o.as_atom().map(|a| a.name()) {
            Some("nosuspend") => {}
            Some("force") => force = true,
            _ => return Ok(Term::atom(Atom::intern("badopt"))),
        }
    }
    let Some(id) = port_id(a[0]) else {
        return Ok(badarg());
    };
    // The inet drivers take `force` (the distribution's ticks use it); the spawn and fd
    // drivers cannot be forced past a busy port.
    if force && !port::is_inet(id) {
        return Ok(Term::atom(Atom::intern("notsup")));
    }
    let Some(bytes) = port::iodata(a[1]) else {
        return Ok(badarg());
    };
    Ok(if port::command(p.id, id, &bytes) {
        Term::boolean(true)
    } else {
        badarg()
    })
}

const INFO_ITEMS: &[&str] = &[
    "name",
    "links",
    "id",
    "connected",
    "input",
    "output",
    "os_pid",
];

fn port_info1(p: &mut Process, a: &[Term]) -> BifResult {
    let Some(id) = port_id(a[0]) else {
        return Ok(badarg());
    };
    let Some(info) = port::info(id) else {
        return Ok(Term::atom(Atom::UNDEFINED));
    };
    let mut items = Vec::new();
    for item in INFO_ITEMS {
        if let Some(t) = info_item(p, id, &info, item) {
            items.push(t);
        }
    }
    Ok(obj::list_from_slice(&mut p.heap, &items, Term::NIL))
}

fn port_info2(p: &mut Process, a: &[Term]) -> BifResult {
    let Some(id) = port_id(a[0]) else {
        return Ok(badarg());
    };
    let Some(item) = a[1].as_atom() else {
        return Ok(badarg());
    };
    let known = [
        "name",
        "links",
        "id",
        "connected",
        "input",
        "output",
        "os_pid",
        "monitored_by",
        "monitors",
        "registered_name",
        "queue_size",
        "parallelism",
        "locking",
    ];
    if !known.contains(&item.name()) {
        return Ok(badarg());
    }
    let Some(info) = port::info(id) else {
        return Ok(Term::atom(Atom::UNDEFINED));
    };
    Ok(match info_item(p, id, &info, item.name()) {
        Some(t) => t,
        // `os_pid` of a port without a process, `registered_name` of an unnamed port.
        None if item.name() == "registered_name" => Term::NIL,
        None => obj::tuple(
            &mut p.heap,
            &[Term::atom(item), Term::atom(Atom::UNDEFINED)],
        ),
    })
}

fn info_item(p: &mut Process, id: u64, info: &port::Info, item: &str) -> Option<Term> {
    let h = &mut p.heap;
    let v = match item {
        "name" => charlist_in(h, &info.name),
        "links" => {
            let l: Vec<Term> = info.links.iter().map(|&l| Term::pid(l)).collect();
            obj::list_from_slice(h, &l, Term::NIL)
        }
        "id" => Term::small((id << 3) as i64),
        "connected" => Term::pid(info.connected),
        "input" => int(h, info.input),
        "output" => int(h, info.output),
        "os_pid" => match info.os_pid {
            Some(n) => Term::small(i64::from(n)),
            None => Term::atom(Atom::UNDEFINED),
        },
        "monitored_by" => {
            let l: Vec<Term> = info.monitored_by.iter().map(|&l| Term::pid(l)).collect();
            obj::list_from_slice(h, &l, Term::NIL)
        }
        "monitors" => Term::NIL,
        "registered_name" => return None,
        "queue_size" => Term::small(0),
        "parallelism" => Term::boolean(false),
        "locking" => Term::atom(Atom::intern("port_level")),
        _ => return None,
    };
    Some(obj::tuple(h, &[Term::atom(Atom::intern(item)), v]))
}

fn charlist_in(h: &mut girder_term::heap::Heap, s: &str) -> Term {
    let items: Vec<Term> = s
        .chars()
        .map(|c| Term::small(i64::from(c as u32)))
        .collect();
    obj::list_from_slice(h, &items, Term::NIL)
}

fn int(h: &mut girder_term::heap::Heap, n: u64) -> Term {
    obj::integer_from_limbs(h, false, &[n])
}

/// `list_to_port("#Port<0.N>")`.
fn list_to_port(_: &mut Process, a: &[Term]) -> BifResult {
    let s = crate::util::string_arg(a[0])?;
    let inner = s
        .strip_prefix("#Port<")
        .and_then(|s| s.strip_suffix('>'))
        .ok_or(BifError::BADARG)?;
    match inner.split('.').collect::<Vec<_>>().as_slice() {
        ["0", n] if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => n
            .parse::<u64>()
            .ok()
            .filter(|&n| n < (1 << 58))
            .map(Term::port)
            .ok_or(BifError::BADARG),
        _ => Err(BifError::BADARG),
    }
}

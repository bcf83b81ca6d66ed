//! The command line as OTP's `init` holds it: `girder_init:get_arguments/0` and
//! `get_plain_arguments/0` give girder's preloaded `init` (Erlang, `lib/preloaded`) the
//! flags and plain arguments the `girder` command parsed; `init:get_arguments/0`,
//! `get_argument/1` and `get_plain_arguments/0` ask the `init` process, as in OTP.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;
use crate::util::charlist;

pub const BIFS: &[Entry] = &[
    ("girder_init", "get_arguments", 0, get_arguments),
    ("girder_init", "get_plain_arguments", 0, get_plain_arguments),
    // `+pc`: erl's default is latin1 (only Latin-1 lists print as strings with ~p).
    ("io", "printable_range", 0, |_, _| {
        let range = if PRINTABLE_UNICODE.load(Ordering::Relaxed) {
            "unicode"
        } else {
            "latin1"
        };
        Ok(Term::atom(Atom::intern(range)))
    }),
];

static PRINTABLE_UNICODE: AtomicBool = AtomicBool::new(false);

/// `+pc unicode`: `io:printable_range()` answers `unicode`.
pub fn set_printable_unicode(on: bool) {
    PRINTABLE_UNICODE.store(on, Ordering::Relaxed);
}

/// The command line as erl's init reports it.
struct Arguments {
    flags: Vec<(String, Vec<String>)>,
    plain: Vec<String>,
}

static ARGUMENTS: OnceLock<Arguments> = OnceLock::new();

/// Record the command line (once, at boot): the `-flag values` in order, the arguments
/// after `-extra`, and OTP's root (reported as `root` and `bindir`, as erl does).
pub fn set_arguments(
    flags: Vec<(String, Vec<String>)>,
    plain: Vec<String>,
    otp_root: Option<PathBuf>,
) {
    let mut all = Vec::new();
    if let Some(root) = otp_root {
        all.push(("root".to_owned(), vec![root.display().to_string()]));
        let erts = std::fs::read_dir(&root)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("erts-"))
            });
        if let Some(erts) = erts {
            all.push((
                "bindir".to_owned(),
                vec![erts.join("bin").display().to_string()],
            ));
        }
    }
    // girder stands in for erl, so it reports erl's program name.
    all.push(("progname".to_owned(), vec!["erl".to_owned()]));
    if let Some(home) = std::env::var_os("HOME") {
        all.push(("home".to_owned(), vec![home.to_string_lossy().into_owned()]));
    }
    // As erl's launcher: `ERL_EPMD_PORT` becomes `-epmd_port` (OTP's erl_epmd reads that).
    if let Ok(port) = std::env::var("ERL_EPMD_PORT")
        && !flags.iter().any(|(f, _)| f == "epmd_port")
    {
        all.push(("epmd_port".to_owned(), vec![port]));
    }
    // girder boots the kernel as `-mode minimal` does, whatever mode is asked for: the
    // other modes' kernel_sup also starts `global` (which needs `erlang:nodes/2`) and the
    // signal server (OS signals), which girder does not have yet. (girder starts inet_db
    // itself.)
    all.push(("mode".to_owned(), vec!["minimal".to_owned()]));
    all.extend(flags.into_iter().filter(|(f, _)| f != "mode"));
    let _ = ARGUMENTS.set(Arguments { flags: all, plain });
}

fn arguments() -> &'static Arguments {
    ARGUMENTS.get_or_init(|| Arguments {
        flags: Vec::new(),
        plain: Vec::new(),
    })
}

fn strings(p: &mut Process, values: &[String]) -> Term {
    let items: Vec<Term> = values.iter().map(|v| charlist(p, v)).collect();
    obj::list_from_slice(&mut p.heap, &items, Term::NIL)
}

fn get_arguments(p: &mut Process, _: &[Term]) -> BifResult {
    let mut items = Vec::new();
    for (flag, values) in &arguments().flags {
        let key = Term::atom(Atom::try_intern(flag).ok_or(BifError::SYSTEM_LIMIT)?);
        let vals = strings(p, values);
        items.push(obj::tuple(&mut p.heap, &[key, vals]));
    }
    Ok(obj::list_from_slice(&mut p.heap, &items, Term::NIL))
}

fn get_plain_arguments(p: &mut Process, _: &[Term]) -> BifResult {
    let plain = arguments().plain.clone();
    Ok(strings(p, &plain))
}

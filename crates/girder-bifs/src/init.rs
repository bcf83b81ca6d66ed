//! What OTP's `init` answers about the command line: `init:get_arguments/0`,
//! `get_argument/1`, `get_plain_arguments/0`. (Until OTP's `init` runs on girder, these
//! are BIFs over what the `girder` command parsed; `init:stop/0,1` is Erlang, in girder's `init`.)

use std::path::PathBuf;
use std::sync::OnceLock;

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;
use crate::util::charlist;

pub const BIFS: &[Entry] = &[
    ("init", "get_arguments", 0, get_arguments),
    ("init", "get_argument", 1, get_argument),
    ("init", "get_plain_arguments", 0, get_plain_arguments),
    // erl's default (`+pc latin1`): only Latin-1 lists print as strings with ~p.
    ("io", "printable_range", 0, |_, _| {
        Ok(Term::atom(Atom::intern("latin1")))
    }),
];

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
    // girder boots the kernel as `-mode minimal` does: without inet_db and the signal
    // server, which need ports and OS signals girder does not have yet.
    if !flags.iter().any(|(f, _)| f == "mode") {
        all.push(("mode".to_owned(), vec!["minimal".to_owned()]));
    }
    all.extend(flags);
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

/// `{ok, [[Value...] per occurrence]}`, or `error` when the flag was not given.
fn get_argument(p: &mut Process, a: &[Term]) -> BifResult {
    let name = a[0].as_atom().ok_or(BifError::BADARG)?;
    let hits: Vec<&Vec<String>> = arguments()
        .flags
        .iter()
        .filter(|(f, _)| f == name.name())
        .map(|(_, v)| v)
        .collect();
    if hits.is_empty() {
        return Ok(Term::atom(Atom::ERROR));
    }
    let lists: Vec<Term> = hits.into_iter().map(|v| strings(p, v)).collect();
    let all = obj::list_from_slice(&mut p.heap, &lists, Term::NIL);
    Ok(obj::tuple(&mut p.heap, &[Term::atom(Atom::OK), all]))
}

fn get_plain_arguments(p: &mut Process, _: &[Term]) -> BifResult {
    let plain = arguments().plain.clone();
    Ok(strings(p, &plain))
}

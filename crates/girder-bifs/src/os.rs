//! The `os` module's native functions: the environment and time.

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::Term;
use girder_term::object as obj;

use crate::Entry;
use crate::util::{charlist, string_arg};

pub const BIFS: &[Entry] = &[
    ("os", "getenv", 1, getenv),
    ("os", "getenv", 0, getenv0),
    ("os", "putenv", 2, putenv),
    ("os", "unsetenv", 1, unsetenv),
    ("os", "timestamp", 0, |p, _| {
        Ok(crate::misc::timestamp(p, crate::misc::now_us()))
    }),
    ("os", "getpid", 0, |p, _| {
        Ok(charlist(p, &std::process::id().to_string()))
    }),
];

fn getenv(p: &mut Process, a: &[Term]) -> BifResult {
    let name = string_arg(a[0])?;
    match std::env::var(&name) {
        Ok(v) => Ok(charlist(p, &v)),
        Err(_) => Ok(Term::boolean(false)),
    }
}

fn getenv0(p: &mut Process, _: &[Term]) -> BifResult {
    let vars: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
    let items: Vec<Term> = vars.iter().map(|s| charlist(p, s)).collect();
    Ok(obj::list_from_slice(&mut p.heap, &items, Term::NIL))
}

fn valid_name(name: &str) -> Result<(), BifError> {
    if name.is_empty() || name.contains('=') || name.contains('\0') {
        Err(BifError::BADARG)
    } else {
        Ok(())
    }
}

/// Serialises changes to the process environment with the C library calls that read it
/// without Rust's own environment lock (`localtime_r` and `mktime` read `TZ`): those hold
/// it for reading, `putenv`/`unsetenv` for writing.
pub(crate) static ENV_LOCK: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// Hold [`ENV_LOCK`] for reading while calling the C library.
pub(crate) fn env_read() -> std::sync::RwLockReadGuard<'static, ()> {
    ENV_LOCK.read().unwrap_or_else(|e| e.into_inner())
}

fn putenv(_: &mut Process, a: &[Term]) -> BifResult {
    let (name, value) = (string_arg(a[0])?, string_arg(a[1])?);
    valid_name(&name)?;
    if value.contains('\0') {
        return Err(BifError::BADARG);
    }
    let _write = ENV_LOCK.write().unwrap_or_else(|e| e.into_inner());
    // SAFETY: Rust's own environment functions lock around each other, and every C library
    // call girder makes that reads the environment holds `ENV_LOCK` for reading, which this
    // write lock excludes.
    unsafe { std::env::set_var(&name, &value) };
    Ok(Term::boolean(true))
}

fn unsetenv(_: &mut Process, a: &[Term]) -> BifResult {
    let name = string_arg(a[0])?;
    valid_name(&name)?;
    let _write = ENV_LOCK.write().unwrap_or_else(|e| e.into_inner());
    // SAFETY: as in `putenv`.
    unsafe { std::env::remove_var(&name) };
    Ok(Term::boolean(true))
}

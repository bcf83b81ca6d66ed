//! Exceptions, halting, the process dictionary and other process-level BIFs.

use girder_runtime::bif::{BifError, BifResult};
use girder_runtime::{Class, Process};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;

pub const BIFS: &[Entry] = &[
    ("erlang", "throw", 1, |_, a| {
        Err(BifError::Raise {
            class: Class::Throw,
            reason: a[0],
        })
    }),
    ("erlang", "error", 1, |_, a| {
        Err(BifError::Raise {
            class: Class::Error,
            reason: a[0],
        })
    }),
    ("erlang", "error", 2, error_args),
    ("erlang", "error", 3, error_args),
    ("erlang", "exit", 1, |_, a| {
        Err(BifError::Raise {
            class: Class::Exit,
            reason: a[0],
        })
    }),
    // erts shows `nif_error/1`'s own frame (a BIF failing), unlike `error/1`'s.
    ("erlang", "nif_error", 1, |_, a| Err(BifError::Fail(a[0]))),
    ("erlang", "nif_error", 2, |_, a| Err(BifError::Fail(a[0]))),
    ("erlang", "raise", 3, raise),
    ("erlang", "halt", 0, |_, _| Err(BifError::Halt(0))),
    ("erlang", "halt", 1, halt),
    ("erlang", "halt", 2, halt),
    ("erlang", "self", 0, |p, _| Ok(p.pid())),
    // Use up reductions: the process yields sooner (OTP's prim_eval uses it in receive).
    ("erlang", "bump_reductions", 1, |p, a| {
        let n = obj::integer_to_i64(a[0])
            .filter(|n| *n >= 0)
            .ok_or(BifError::BADARG)?;
        p.reductions = p.reductions.saturating_sub(n);
        Ok(Term::boolean(true))
    }),
    ("erlang", "put", 2, |p, a| Ok(p.dict_put(a[0], a[1]))),
    ("erlang", "get", 1, |p, a| {
        Ok(p.dict_get(a[0]).unwrap_or(Term::atom(Atom::UNDEFINED)))
    }),
    ("erlang", "get", 0, get0),
    ("erlang", "erase", 1, |p, a| Ok(p.dict_erase(a[0]))),
    ("erlang", "erase", 0, erase0),
    ("erlang", "get_keys", 0, get_keys0),
    ("erlang", "get_keys", 1, get_keys1),
    ("erlang", "display", 1, display),
    ("erlang", "display_string", 1, display_string),
    ("erlang", "display_nl", 0, |_, _| {
        write_stderr(b"\r\n");
        Ok(Term::boolean(true))
    }),
];

/// `erlang:raise/3`: with a bad class or stack trace it *returns* `badarg`, as OTP's does.
fn raise(p: &mut Process, a: &[Term]) -> BifResult {
    match (Class::from_term(a[0]), obj::list_to_vec(a[2])) {
        (Some(class), Some(frames)) => {
            // A `{M, F, ArityOrArgs}` frame gets an empty location, as erts gives it.
            let frames: Vec<Term> = frames
                .into_iter()
                .map(|f| {
                    if obj::is_tuple(f)
                        && obj::tuple_arity(f) == 3
                        && obj::tuple_element(f, 0).is_atom()
                    {
                        let items = [
                            obj::tuple_element(f, 0),
                            obj::tuple_element(f, 1),
                            obj::tuple_element(f, 2),
                            Term::NIL,
                        ];
                        obj::tuple(&mut p.heap, &items)
                    } else {
                        f
                    }
                })
                .collect();
            let trace = obj::list_from_slice(&mut p.heap, &frames, Term::NIL);
            Err(BifError::RaiseWithTrace {
                class,
                reason: a[1],
                trace,
            })
        }
        _ => Ok(Term::atom(Atom::BADARG)),
    }
}

/// `error(Reason, Args)` (and `/3`): `Args` replaces the arity in the first frame, unless
/// it is `none`.
fn error_args(_: &mut Process, a: &[Term]) -> BifResult {
    if a[1].as_atom() == Some(Atom::intern("none")) {
        return Err(BifError::Raise {
            class: Class::Error,
            reason: a[0],
        });
    }
    // error/3: `[{error_info, Info}]` among the options goes into the frame.
    let mut info = Term::NON_VALUE;
    if let Some(&opts) = a.get(2) {
        for o in obj::list_to_vec(opts).ok_or(BifError::BADARG)? {
            if obj::is_tuple(o)
                && obj::tuple_arity(o) == 2
                && obj::tuple_element(o, 0).as_atom() == Some(Atom::ERROR_INFO)
            {
                info = obj::tuple_element(o, 1);
            }
        }
    }
    Err(BifError::RaiseArgs {
        reason: a[0],
        args: a[1],
        info,
    })
}

/// `halt(Status)`: an integer status, `abort`, or a string (a crash slogan: status 1).
fn halt(_: &mut Process, a: &[Term]) -> BifResult {
    let status = a[0];
    if let Some(n) = status.as_small() {
        if n < 0 {
            return Err(BifError::BADARG);
        }
        return Err(BifError::Halt(n as i32 & 0xff));
    }
    if status.as_atom() == Some(Atom::intern("abort")) {
        return Err(BifError::Halt(134));
    }
    if let Some(items) = obj::list_to_vec(status) {
        // A slogan: erts prints it on standard error and exits with status 1 (girder
        // writes no crash dump, as erl with ERL_CRASH_DUMP_SECONDS=0).
        let bytes: Vec<u8> = items
            .iter()
            .map(|c| c.as_small().and_then(|c| u8::try_from(c).ok()))
            .collect::<Option<_>>()
            .ok_or(BifError::BADARG)?;
        use std::io::Write;
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(&bytes);
        let _ = err.write_all(b"\r\n");
        let _ = err.flush();
        return Err(BifError::Halt(1));
    }
    Err(BifError::BADARG)
}

fn get0(p: &mut Process, _: &[Term]) -> BifResult {
    let pairs = p.dict.entries();
    let tuples: Vec<Term> = pairs
        .into_iter()
        .map(|(k, v)| obj::tuple(&mut p.heap, &[k, v]))
        .collect();
    Ok(obj::list_from_slice(&mut p.heap, &tuples, Term::NIL))
}

fn erase0(p: &mut Process, a: &[Term]) -> BifResult {
    let all = get0(p, a)?;
    p.dict.clear();
    Ok(all)
}

fn get_keys0(p: &mut Process, _: &[Term]) -> BifResult {
    let keys = p.dict.keys();
    Ok(obj::list_from_slice(&mut p.heap, &keys, Term::NIL))
}

fn get_keys1(p: &mut Process, a: &[Term]) -> BifResult {
    let keys = p.dict.keys_of(a[0]);
    Ok(obj::list_from_slice(&mut p.heap, &keys, Term::NIL))
}

/// `erlang:display/1`: the term and a line end (`\r\n`, as OTP's `erts_printf` writes it)
/// on standard output.
fn display(_: &mut Process, a: &[Term]) -> BifResult {
    use std::io::Write;
    let mut text = crate::display::erts_display(a[0]);
    text.extend_from_slice(b"\r\n");
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(&text);
    let _ = out.flush();
    Ok(Term::boolean(true))
}

fn write_stderr(bytes: &[u8]) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(bytes);
    let _ = err.flush();
}

/// `erlang:display_string/1`: a string (a list of characters, written as UTF-8) on standard
/// error, each `\n` as `\r\n`, as OTP writes it.
fn display_string(_: &mut Process, a: &[Term]) -> BifResult {
    let chars = obj::list_to_vec(a[0]).ok_or(BifError::BADARG)?;
    let mut text = String::with_capacity(chars.len());
    for c in chars {
        let c = c
            .as_small()
            .and_then(|c| u32::try_from(c).ok())
            .and_then(char::from_u32)
            .ok_or(BifError::BADARG)?;
        if c == '\n' {
            text.push('\r');
        }
        text.push(c);
    }
    write_stderr(text.as_bytes());
    Ok(Term::boolean(true))
}

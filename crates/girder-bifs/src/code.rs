//! BIFs about loaded code: `module_info/0,1` (through `erlang:get_module_info/1,2`) and
//! `fun_info/2`.

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_runtime::module::{self, Module};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::Entry;

pub const BIFS: &[Entry] = &[
    ("erlang", "get_module_info", 1, get_module_info1),
    ("erlang", "get_module_info", 2, get_module_info2),
    ("erlang", "fun_info", 2, fun_info2),
    ("erlang", "module_loaded", 1, |_, a| {
        let m = a[0].as_atom().ok_or(BifError::BADARG)?;
        Ok(Term::boolean(module::loaded(m).is_some()))
    }),
    ("code", "ensure_modules_loaded", 1, ensure_modules_loaded),
];

/// `code:ensure_modules_loaded(Modules)`: load each module from the code path if it is not
/// loaded; `ok`, or `{error, [{Module, Reason}]}` (`nofile`, `badfile`).
fn ensure_modules_loaded(p: &mut Process, a: &[Term]) -> BifResult {
    let mods = obj::list_to_vec(a[0]).ok_or(BifError::Raise {
        class: girder_runtime::Class::Error,
        reason: Term::atom(Atom::FUNCTION_CLAUSE),
    })?;
    let mut names = Vec::new();
    for m in mods {
        names.push(m.as_atom().ok_or(BifError::Raise {
            class: girder_runtime::Class::Error,
            reason: Term::atom(Atom::FUNCTION_CLAUSE),
        })?);
    }
    names.sort_by(|a, b| a.name().cmp(b.name()));
    names.dedup();
    let mut errors = Vec::new();
    for m in names {
        let reason = match girder_runtime::code_server::ensure_loaded(m) {
            Ok(Some(_)) => continue,
            Ok(None) => "nofile",
            Err(_) => "badfile",
        };
        errors.push(obj::tuple(
            &mut p.heap,
            &[Term::atom(m), Term::atom(Atom::intern(reason))],
        ));
    }
    if errors.is_empty() {
        return Ok(Term::atom(Atom::OK));
    }
    let list = obj::list_from_slice(&mut p.heap, &errors, Term::NIL);
    Ok(obj::tuple(&mut p.heap, &[Term::atom(Atom::ERROR), list]))
}

fn loaded(t: Term) -> Result<&'static Module, BifError> {
    let name = t.as_atom().ok_or(BifError::BADARG)?;
    module::loaded(name).ok_or(BifError::BADARG)
}

fn pairs(p: &mut Process, items: impl Iterator<Item = (Atom, u32)>) -> Term {
    let tuples: Vec<Term> = items
        .map(|(f, a)| obj::tuple(&mut p.heap, &[Term::atom(f), Term::small(i64::from(a))]))
        .collect();
    obj::list_from_slice(&mut p.heap, &tuples, Term::NIL)
}

fn chunk_term(p: &mut Process, t: &Option<girder_format::Term>) -> Result<Term, BifError> {
    match t {
        Some(t) => girder_term::convert::from_format(&mut p.heap, t).map_err(|_| BifError::BADARG),
        None => Ok(Term::NIL),
    }
}

fn info(p: &mut Process, m: &'static Module, key: Atom) -> BifResult {
    match key.name() {
        "module" => Ok(Term::atom(m.name)),
        "exports" => Ok(pairs(p, m.exports.iter().map(|&(f, a, _)| (f, a)))),
        "functions" => Ok(pairs(p, m.functions.iter().map(|f| (f.function, f.arity)))),
        "attributes" => chunk_term(p, &m.attributes),
        "compile" => chunk_term(p, &m.compile_info),
        _ => Err(BifError::BADARG),
    }
}

fn get_module_info1(p: &mut Process, a: &[Term]) -> BifResult {
    let m = loaded(a[0])?;
    let mut items = Vec::new();
    for key in ["module", "exports", "attributes", "compile"] {
        let key = Atom::intern(key);
        let v = info(p, m, key)?;
        items.push(obj::tuple(&mut p.heap, &[Term::atom(key), v]));
    }
    Ok(obj::list_from_slice(&mut p.heap, &items, Term::NIL))
}

fn get_module_info2(p: &mut Process, a: &[Term]) -> BifResult {
    let m = loaded(a[0])?;
    let key = a[1].as_atom().ok_or(BifError::BADARG)?;
    info(p, m, key)
}

/// `erlang:fun_info/2`.
fn fun_info2(p: &mut Process, a: &[Term]) -> BifResult {
    use girder_runtime::interp::{export_entry, fun_entry};
    let (f, key) = (a[0], a[1].as_atom().ok_or(BifError::BADARG)?);
    let value = if obj::is_local_fun(f) {
        let e = fun_entry(f);
        match key.name() {
            "arity" => Term::small(i64::from(e.arity)),
            "module" => Term::atom(e.module),
            "name" => Term::atom(e.function),
            "type" => Term::atom(Atom::intern("local")),
            "env" => {
                let free = obj::fun_free(f).to_vec();
                obj::list_from_slice(&mut p.heap, &free, Term::NIL)
            }
            "index" => Term::small(i64::from(e.old_index)),
            "new_index" => Term::small(i64::from(e.index)),
            "uniq" => Term::small(i64::from(e.old_uniq)),
            "pid" => obj::fun_creator(f),
            _ => return Err(BifError::BADARG),
        }
    } else if obj::is_export(f) {
        let e = export_entry(f);
        match key.name() {
            "arity" => Term::small(i64::from(e.arity)),
            "module" => Term::atom(e.module),
            "name" => Term::atom(e.function),
            "type" => Term::atom(Atom::intern("external")),
            "env" => Term::NIL,
            "index" | "new_index" | "uniq" | "new_uniq" | "pid" => Term::atom(Atom::UNDEFINED),
            _ => return Err(BifError::BADARG),
        }
    } else {
        return Err(BifError::BADARG);
    };
    Ok(obj::tuple(&mut p.heap, &[Term::atom(key), value]))
}

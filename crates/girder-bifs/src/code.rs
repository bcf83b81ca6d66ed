//! BIFs about loaded code: `module_info/0,1` (through `erlang:get_module_info/1,2`),
//! `fun_info/2`, `fun_info_mfa/1`, `make_fun/3`, `is_builtin/3`, `loaded/0`, `pre_loaded/0`.

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
    ("erlang", "fun_info_mfa", 1, fun_info_mfa),
    ("erlang", "make_fun", 3, make_fun),
    ("erlang", "is_builtin", 3, is_builtin),
    ("erlang", "loaded", 0, |p, _| {
        let names: Vec<Term> = module::loaded_modules()
            .into_iter()
            .map(Term::atom)
            .collect();
        Ok(obj::list_from_slice(&mut p.heap, &names, Term::NIL))
    }),
    // girder preloads no module: it loads even `erlang` and `init` from OTP's files on
    // first use.
    ("erlang", "pre_loaded", 0, |_, _| Ok(Term::NIL)),
    ("erlang", "module_loaded", 1, |_, a| {
        let m = a[0].as_atom().ok_or(BifError::BADARG)?;
        Ok(Term::boolean(module::loaded(m).is_some()))
    }),
    ("code", "ensure_modules_loaded", 1, ensure_modules_loaded),
    ("erlang", "load_nif", 2, load_nif),
    ("girder_code", "on_load_begin", 1, on_load_begin),
    ("girder_code", "load_binary", 3, load_binary),
    ("girder_code", "delete", 1, |_, a| {
        let m = a[0].as_atom().ok_or(BifError::BADARG)?;
        Ok(Term::boolean(module::delete(m) == module::Deleted::Done))
    }),
    ("girder_code", "on_load_end", 2, |_, a| {
        let m = a[0].as_atom().ok_or(BifError::BADARG)?;
        girder_runtime::nif::on_load_end(m, a[1] == Term::atom(Atom::TRUE));
        Ok(Term::atom(Atom::OK))
    }),
];

/// `erlang:load_nif(Path, LoadInfo)`: bind the calling module's NIFs, which girder
/// provides in Rust (see `girder_runtime::nif`); `ok` or `{error, {Kind, Text}}` as erl
/// answers.
fn load_nif(p: &mut Process, a: &[Term]) -> BifResult {
    let path = crate::util::string_arg(a[0])?;
    let caller = module::code(p.resume.code());
    let text = |p: &mut Process, kind: &str, s: &str| {
        let s = crate::util::charlist(p, s);
        let inner = obj::tuple(&mut p.heap, &[Term::atom(Atom::intern(kind)), s]);
        Ok(obj::tuple(&mut p.heap, &[Term::atom(Atom::ERROR), inner]))
    };
    let Some(caller) = caller else {
        return text(
            p,
            "bad_lib",
            "load_nif/2 must be explicitly called from the NIF module. It cannot be called through apply/3.",
        );
    };
    match girder_runtime::nif::load(caller, &path, p, a[1]) {
        Ok(()) => Ok(Term::atom(Atom::OK)),
        Err((kind, why)) => text(p, kind, &why),
    }
}

/// `girder_code:load_binary(Module, File, Binary)` for girder's `code_server`: load a
/// module that is not loaded yet from its `.beam` bytes; `{module, Module}` or
/// `{error, badfile}` (also when the binary holds another module), as `code:load_binary/3`.
fn load_binary(p: &mut Process, a: &[Term]) -> BifResult {
    let m = a[0].as_atom().ok_or(BifError::BADARG)?;
    let file = crate::util::string_arg(a[1]).unwrap_or_else(|_| format!("{}.beam", m.name()));
    let bytes = obj::binary_bytes(a[2]).ok_or(BifError::BADARG)?.to_vec();
    let named = girder_format::BeamFile::parse_file(&bytes, &file)
        .ok()
        .and_then(|b| b.atoms.first().cloned());
    if named.as_deref() != Some(m.name()) {
        return Ok(obj::tuple(
            &mut p.heap,
            &[Term::atom(Atom::ERROR), Term::atom(Atom::intern("badfile"))],
        ));
    }
    match girder_runtime::code_server::load_bytes(&file, &bytes) {
        Ok(_) => Ok(obj::tuple(
            &mut p.heap,
            &[Term::atom(Atom::intern("module")), a[0]],
        )),
        Err(_) => Ok(obj::tuple(
            &mut p.heap,
            &[Term::atom(Atom::ERROR), Term::atom(Atom::intern("badfile"))],
        )),
    }
}

/// `girder_code:on_load_begin(Module)` for `girder_on_load`: `{run, Fun}` (run the
/// module's `on_load` function, `Fun`), `wait`, `done` or `unloaded`.
fn on_load_begin(p: &mut Process, a: &[Term]) -> BifResult {
    use girder_runtime::nif::OnLoad;
    let m = a[0].as_atom().ok_or(BifError::BADARG)?;
    Ok(match girder_runtime::nif::on_load_begin(m) {
        OnLoad::Unloaded => Term::atom(Atom::intern("unloaded")),
        OnLoad::Done => Term::atom(Atom::intern("done")),
        OnLoad::Running => Term::atom(Atom::intern("wait")),
        OnLoad::Run(e) => {
            let f = obj::make_export(&mut p.heap, e as *const module::Export as *const ());
            obj::tuple(&mut p.heap, &[Term::atom(Atom::intern("run")), f])
        }
    })
}

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
        // OTP's BIFs are exports of their modules too (`erlang:'+'/2`, `erlang:self/0`):
        // those girder implements are listed with the Erlang-coded ones. Elixir's compiler
        // checks remote calls against this list.
        "exports" => {
            let bifs = m.bif_stubs.iter().copied().filter(|&(f, a)| {
                module::find_export(m.name, f, a).is_some_and(|e| e.bif().is_some())
            });
            // erts lists a module's export entries newest first, and makes them in the order
            // of the `ExpT` chunk when it loads the module (unless another module's call
            // made one before): so the reverse of that order, which is the source's. (EUnit
            // runs a module's tests in this order.)
            let exports = m.exports.iter().rev().map(|&(f, a, _)| (f, a)).chain(bifs);
            Ok(pairs(p, exports))
        }
        "functions" => Ok(pairs(p, m.functions.iter().map(|f| (f.function, f.arity)))),
        "attributes" => chunk_term(p, &m.attributes),
        "compile" => chunk_term(p, &m.compile_info),
        "md5" => Ok(obj::binary_from_bytes(&mut p.heap, &m.md5)),
        _ => Err(BifError::BADARG),
    }
}

fn get_module_info1(p: &mut Process, a: &[Term]) -> BifResult {
    let m = loaded(a[0])?;
    let mut items = Vec::new();
    for key in ["module", "exports", "attributes", "compile", "md5"] {
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
            // The MD5 of the defining module's code, as `NEW_FUN_EXT` carries it.
            "new_uniq" => obj::binary_from_bytes(&mut p.heap, &e.uniq),
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

/// `erlang:fun_info_mfa/1`: the module, the name of the function implementing the fun, and
/// the fun's arity.
fn fun_info_mfa(p: &mut Process, a: &[Term]) -> BifResult {
    use girder_runtime::interp::{export_entry, fun_entry};
    let f = a[0];
    let (m, name, arity) = if obj::is_local_fun(f) {
        let e = fun_entry(f);
        (e.module, e.function, e.arity)
    } else if obj::is_export(f) {
        let e = export_entry(f);
        (e.module, e.function, e.arity)
    } else {
        return Err(BifError::BADARG);
    };
    Ok(obj::tuple(
        &mut p.heap,
        &[
            Term::atom(m),
            Term::atom(name),
            Term::small(i64::from(arity)),
        ],
    ))
}

/// `(Module, Function, Arity)` arguments: two atoms and an arity 0..=255.
fn mfa(a: &[Term]) -> Result<(Atom, Atom, u32), BifError> {
    let (Some(m), Some(f)) = (a[0].as_atom(), a[1].as_atom()) else {
        return Err(BifError::BADARG);
    };
    let arity = a[2]
        .as_small()
        .and_then(|n| u8::try_from(n).ok())
        .ok_or(BifError::BADARG)?;
    Ok((m, f, u32::from(arity)))
}

/// `erlang:make_fun/3`: `fun M:F/A`, whether or not the function exists.
fn make_fun(p: &mut Process, a: &[Term]) -> BifResult {
    let (m, f, arity) = mfa(a)?;
    let e = module::export(m, f, arity);
    Ok(obj::make_export(
        &mut p.heap,
        e as *const module::Export as *const (),
    ))
}

/// `erlang:is_builtin/3`: whether OTP implements `M:F/A` in C and girder implements it
/// natively too. OTP's own file for `M` says which functions are its BIFs (their Erlang
/// bodies only call `erlang:nif_error`); girder's stand-ins for functions OTP writes in
/// Erlang are not BIFs.
fn is_builtin(_: &mut Process, a: &[Term]) -> BifResult {
    let (m, f, arity) = mfa(a)?;
    let native = module::find_export(m, f, arity).is_some_and(|e| e.bif().is_some());
    if !native {
        return Ok(Term::boolean(false));
    }
    let stub = girder_runtime::code_server::ensure_loaded(m)
        .ok()
        .flatten()
        .is_some_and(|module| module.bif_stubs.contains(&(f, arity)));
    Ok(Term::boolean(stub))
}

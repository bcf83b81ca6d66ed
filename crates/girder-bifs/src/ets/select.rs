//! `match`, `match_object`, `select` and their relatives, continuations, and compiled
//! match specifications.
//!
//! A continuation has the shape of OTP's `ordered_set` continuations, for every table
//! type: `{Table, LastKey, Direction, Limit, MatchSpec, [], 0, 0}` (`Direction` is `[]`, or
//! `reverse` for `select_reverse`; `MatchSpec` is the specification as given, or a
//! compiled one). The next chunk starts after `LastKey`, or inside its entry when a
//! chunk of a bag ended there: element 7 counts the objects of that key already seen (0:
//! all of them).

use std::collections::HashMap;
use std::ops::Bound;
use std::sync::{Arc, LazyLock, Mutex};

use girder_runtime::Process;
use girder_runtime::bif::BifResult;
use girder_term::object as obj;
use girder_term::{Atom, Term};

use super::basic::same_key;
use super::ms::{self, Invalid, MatchSpec, Outcome};
use super::object::{Objects, Owned};
use super::table::{Cause, Kind, Need, Table, ref_key, registry};
use super::{EtsResult, bif};

/// A compiled match specification (`match_spec_compile/1`) and the term its constants
/// point into.
struct Compiled {
    _src: Owned,
    ms: MatchSpec,
}

/// Compiled match specifications by reference. They are kept for the VM's life: OTP frees
/// one when its reference is garbage collected, which girder cannot observe yet.
static COMPILED: LazyLock<Mutex<HashMap<[u32; 6], Arc<Compiled>>>> = LazyLock::new(Mutex::default);

fn invalid(e: Invalid) -> Cause {
    match e {
        Invalid::BadArg => Cause::None,
        Invalid::SystemLimit => Cause::SystemLimit,
    }
}

fn compiled(t: Term) -> Option<Arc<Compiled>> {
    if !obj::is_local_ref(t) {
        return None;
    }
    let k = ref_key(&obj::local_ref_ids(t));
    COMPILED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&k)
        .cloned()
}

/// A match specification argument: a compiled one, or one compiled now.
enum Spec {
    Compiled(Arc<Compiled>),
    Now(MatchSpec),
}

impl Spec {
    /// `t` as given to `select/2,3`...: a match specification (a compiled one is refused,
    /// as OTP refuses it there).
    fn from(t: Term) -> EtsResult<Spec> {
        MatchSpec::compile(t).map(Spec::Now).map_err(invalid)
    }

    /// `t` from a continuation: compiled (what `repair_continuation/2` puts there), or the
    /// specification itself (what girder's continuations carry).
    fn from_continuation(t: Term) -> EtsResult<Spec> {
        if let Some(c) = compiled(t) {
            return Ok(Spec::Compiled(c));
        }
        MatchSpec::compile(t).map(Spec::Now).map_err(invalid)
    }

    fn ms(&self) -> &MatchSpec {
        match self {
            Spec::Compiled(c) => &c.ms,
            Spec::Now(m) => m,
        }
    }
}

fn end_of_table() -> Term {
    Term::atom(Atom::intern("$end_of_table"))
}

/// Where a chunk resumes: the key of the last entry a chunk looked at, and how many of
/// its objects it had looked at (a chunk of a bag may end inside an entry).
#[derive(Clone, Copy)]
struct Resume {
    key: Term,
    done: usize,
}

/// The entries of `table` from `from` (its key included, with its objects after the first
/// `done`), in order or reversed: `(objects, how many to skip)`.
fn entries<'a>(
    table: &'a Table,
    from: Option<Resume>,
    reverse: bool,
) -> Box<dyn Iterator<Item = (&'a Objects, usize)> + 'a> {
    let reverse = reverse && table.kind == Kind::OrderedSet;
    let Some(Resume { key, done }) = from else {
        return if reverse {
            Box::new(table.objects.values().rev().map(|v| (v, 0)))
        } else {
            Box::new(table.objects.values().map(|v| (v, 0)))
        };
    };
    // Skip only in the entry of the key itself (it may have been deleted meanwhile).
    let done = if done == 0 { usize::MAX } else { done };
    let skip = move |(k, v): (&'a super::object::Key, &'a Objects)| {
        let same = super::basic::same_key(table, k.term(), key);
        (v, if same { done } else { 0 })
    };
    if reverse {
        Box::new(
            table
                .objects
                .range((Bound::Unbounded, Bound::Included(table.probe(key))))
                .rev()
                .map(skip),
        )
    } else {
        Box::new(
            table
                .objects
                .range((Bound::Included(table.probe(key)), Bound::Unbounded))
                .map(skip),
        )
    }
}

/// Run `ms` over the table (from `from`), copying results to `p`'s heap, stopping when
/// `limit` results were reached. The results and, if stopped at the limit, where to resume
/// (its key on `p`'s heap).
fn scan(
    p: &mut Process,
    table: &Table,
    ms: &MatchSpec,
    from: Option<Resume>,
    reverse: bool,
    limit: Option<usize>,
) -> (Vec<Term>, Option<Resume>) {
    let mut out = Vec::new();
    for (objs, skip) in entries(table, from, reverse) {
        for (i, o) in objs.iter().enumerate().skip(skip) {
            if let Outcome::Result(r) = ms.run(p, o.term()) {
                out.push(girder_term::copy::copy_term(r, &mut p.heap));
                if limit.is_some_and(|l| out.len() >= l) {
                    let key = obj::tuple_element(objs[0].term(), table.keypos - 1);
                    let key = girder_term::copy::copy_term(key, &mut p.heap);
                    // 0: the whole entry is done (always so in an ordered_set, whose
                    // continuations then look like OTP's).
                    let done = if i + 1 == objs.len() { 0 } else { i + 1 };
                    return (out, Some(Resume { key, done }));
                }
            }
        }
    }
    (out, None)
}

/// Whether `t` holds no pattern variable (`'_'`, `'$N'`): a bound key. (A map in it is a
/// bound key too, as in OTP, which then looks up only that key, although the map pattern
/// alone would also match larger maps.)
fn ground(t: Term) -> bool {
    let mut stack = vec![t];
    while let Some(t) = stack.pop() {
        if let Some(a) = t.as_atom() {
            if a.name() == "_" || a.name().starts_with('$') {
                return false;
            }
        } else if obj::is_tuple(t) {
            stack.extend_from_slice(obj::tuple_elements(t));
        } else if t.is_list() {
            stack.push(obj::head(t));
            stack.push(obj::tail(t));
        } else if obj::is_map(t) {
            for (k, v) in obj::map_pairs(t) {
                stack.push(k);
                stack.push(v);
            }
        }
    }
    true
}

/// The key every clause of the match specification `spec` binds in its head, when they
/// all bind the same one: only the objects under that key can match, and OTP looks them
/// up rather than scanning the table.
fn bound_key(spec: Term, keypos: usize) -> Option<Term> {
    let clauses = obj::list_to_vec(spec)?;
    let mut key = None;
    for c in clauses {
        if !obj::is_tuple(c) || obj::tuple_arity(c) != 3 {
            return None;
        }
        let head = obj::tuple_element(c, 0);
        if !obj::is_tuple(head) || obj::tuple_arity(head) < keypos {
            return None;
        }
        let k = obj::tuple_element(head, keypos - 1);
        if !ground(k) {
            return None;
        }
        match key {
            None => key = Some(k),
            Some(prev) if girder_term::compare::eq_exact(prev, k) => {}
            Some(_) => return None,
        }
    }
    key
}

fn all(p: &mut Process, tab: Term, spec: Term, reverse: bool) -> BifResult {
    bif((|| {
        let mut reg = registry();
        let table = reg.table(tab, p.id, Need::Read)?;
        let spec_term = spec;
        let spec = Spec::from(spec)?;
        let out = match bound_key(spec_term, table.keypos) {
            Some(key) => {
                let mut out = Vec::new();
                for o in table.get(key).into_iter().flat_map(|objs| objs.iter()) {
                    if let Outcome::Result(r) = spec.ms().run(p, o.term()) {
                        out.push(girder_term::copy::copy_term(r, &mut p.heap));
                    }
                }
                out
            }
            None => scan(p, table, spec.ms(), None, reverse, None).0,
        };
        Ok(obj::list_from_slice(&mut p.heap, &out, Term::NIL))
    })())
}

/// One chunk: `{Results, Continuation}` or `'$end_of_table'`. `from` is where a
/// continuation left off.
fn chunk(
    p: &mut Process,
    tab: Term,
    spec_term: Term,
    from: Option<Resume>,
    reverse: bool,
    limit: Term,
) -> EtsResult<Term> {
    let mut reg = registry();
    let table = reg.table(tab, p.id, Need::Read)?;
    let n = match limit.as_small() {
        Some(n) if n >= 1 => n as usize,
        _ => return Err(Cause::None),
    };
    let spec = if from.is_some() {
        Spec::from_continuation(spec_term)?
    } else {
        Spec::from(spec_term)?
    };
    let (out, last) = scan(p, table, spec.ms(), from, reverse, Some(n));
    if out.is_empty() {
        return Ok(end_of_table());
    }
    let list = obj::list_from_slice(&mut p.heap, &out, Term::NIL);
    let cont = match last {
        Some(Resume { key, done }) => {
            let dir = if reverse {
                Term::atom(Atom::intern("reverse"))
            } else {
                Term::NIL
            };
            obj::tuple(
                &mut p.heap,
                &[
                    tab,
                    key,
                    dir,
                    limit,
                    spec_term,
                    Term::NIL,
                    Term::small(done as i64),
                    Term::small(0),
                ],
            )
        }
        None => end_of_table(),
    };
    Ok(obj::tuple(&mut p.heap, &[list, cont]))
}

/// `select/1`, `match/1`, `match_object/1`, `select_reverse/1`: the next chunk.
pub fn cont1(p: &mut Process, a: &[Term]) -> BifResult {
    let c = a[0];
    if c.as_atom().is_some_and(|x| x.name() == "$end_of_table") {
        return Ok(c);
    }
    bif((|| {
        if !obj::is_tuple(c) || obj::tuple_arity(c) == 0 {
            return Err(Cause::None);
        }
        let e = obj::tuple_elements(c);
        // OTP looks the table up first.
        registry().table(e[0], p.id, Need::Read)?;
        if e.len() != 8 {
            return Err(Cause::None);
        }
        let reverse = match e[2] {
            Term::NIL => false,
            t if t.as_atom().is_some_and(|x| x.name() == "reverse") => true,
            _ => return Err(Cause::None),
        };
        let done = match e[6].as_small() {
            Some(n) if n >= 0 => n as usize,
            _ => return Err(Cause::None),
        };
        chunk(
            p,
            e[0],
            e[4],
            Some(Resume { key: e[1], done }),
            reverse,
            e[3],
        )
    })())
}

/// `[{Pattern, [], [Body]}]` on `p`'s heap.
fn pattern_spec(p: &mut Process, pattern: Term, body: &str) -> Term {
    let body = Term::atom(Atom::intern(body));
    let body = obj::list_from_slice(&mut p.heap, &[body], Term::NIL);
    let clause = obj::tuple(&mut p.heap, &[pattern, Term::NIL, body]);
    obj::list_from_slice(&mut p.heap, &[clause], Term::NIL)
}

pub fn match2(p: &mut Process, a: &[Term]) -> BifResult {
    let ms = pattern_spec(p, a[1], "$$");
    all(p, a[0], ms, false)
}

pub fn match3(p: &mut Process, a: &[Term]) -> BifResult {
    let ms = pattern_spec(p, a[1], "$$");
    bif(chunk(p, a[0], ms, None, false, a[2]))
}

pub fn match_object2(p: &mut Process, a: &[Term]) -> BifResult {
    let ms = pattern_spec(p, a[1], "$_");
    all(p, a[0], ms, false)
}

pub fn match_object3(p: &mut Process, a: &[Term]) -> BifResult {
    let ms = pattern_spec(p, a[1], "$_");
    bif(chunk(p, a[0], ms, None, false, a[2]))
}

pub fn select2(p: &mut Process, a: &[Term]) -> BifResult {
    all(p, a[0], a[1], false)
}

pub fn select3(p: &mut Process, a: &[Term]) -> BifResult {
    bif(chunk(p, a[0], a[1], None, false, a[2]))
}

pub fn select_reverse2(p: &mut Process, a: &[Term]) -> BifResult {
    all(p, a[0], a[1], true)
}

pub fn select_reverse3(p: &mut Process, a: &[Term]) -> BifResult {
    bif(chunk(p, a[0], a[1], None, true, a[2]))
}

pub fn select_count(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let mut reg = registry();
        let table = reg.table(a[0], p.id, Need::Read)?;
        let spec = Spec::from(a[1])?;
        let n = table
            .objects
            .values()
            .flatten()
            .filter(|o| ms::is_true(&spec.ms().run(p, o.term())))
            .count();
        Ok(Term::small(n as i64))
    })())
}

pub fn select_delete(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let mut reg = registry();
        let table = reg.table(a[0], p.id, Need::Write)?;
        let spec = Spec::from(a[1])?;
        let (mut n, mut words) = (0usize, 0usize);
        for objs in table.objects.values_mut() {
            objs.retain(|o| {
                let delete = ms::is_true(&spec.ms().run(p, o.term()));
                if delete {
                    n += 1;
                    words += o.words();
                }
                !delete
            });
        }
        table.objects.retain(|_, objs| !objs.is_empty());
        table.slot_at = None;
        table.size -= n;
        table.words -= words;
        Ok(Term::small(n as i64))
    })())
}

pub fn select_replace(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let mut reg = registry();
        let table = reg.table(a[0], p.id, Need::Write)?;
        let spec = Spec::from(a[1])?;
        if table.kind == Kind::Bag || table.kind == Kind::DuplicateBag {
            return Err(Cause::TableType);
        }
        let mut replacements = Vec::new();
        for objs in table.objects.values() {
            let old = objs[0].term();
            if let Outcome::Result(r) = spec.ms().run(p, old) {
                let old_key = obj::tuple_element(old, table.keypos - 1);
                match table.key_of(r) {
                    Some(k) if same_key(table, k, old_key) => replacements.push(r),
                    _ => return Err(Cause::None),
                }
            }
        }
        let n = replacements.len();
        for r in replacements {
            table.insert(r);
        }
        Ok(Term::small(n as i64))
    })())
}

pub fn match_spec_compile(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let src = Owned::new(a[0]);
        let ms = MatchSpec::compile(src.term()).map_err(invalid)?;
        let r = obj::make_ref(&mut p.heap);
        let k = ref_key(&obj::local_ref_ids(r));
        COMPILED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(k, Arc::new(Compiled { _src: src, ms }));
        Ok(r)
    })())
}

pub fn is_compiled_ms(_: &mut Process, a: &[Term]) -> BifResult {
    Ok(Term::boolean(compiled(a[0]).is_some()))
}

pub fn match_spec_run_r(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let items = obj::list_to_vec(a[0]).ok_or(Cause::None)?;
        let c = compiled(a[1]).ok_or(Cause::None)?;
        let mut acc = a[2];
        for i in items {
            if let Outcome::Result(r) = c.ms.run(p, i) {
                acc = obj::cons(&mut p.heap, r, acc);
            }
        }
        Ok(acc)
    })())
}

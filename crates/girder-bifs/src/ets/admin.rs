//! Creating, naming, describing, giving away and deleting tables; the process-exit hook.

use std::collections::BTreeMap;

use girder_runtime::bif::BifResult;
use girder_runtime::{Process, sched};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use super::object::Owned;
use super::table::{Access, Cause, Kind, Need, Registry, Table, registry};
use super::{EtsResult, bif};

fn atom(s: &str) -> Term {
    Term::atom(Atom::intern(s))
}

fn bool_opt(t: Term) -> EtsResult<bool> {
    match t.as_atom() {
        Some(Atom::TRUE) => Ok(true),
        Some(Atom::FALSE) => Ok(false),
        _ => Err(Cause::None),
    }
}

/// A heir option's pid and data (`{heir, Pid, Data}`), or none (`{heir, none}`).
fn heir_opt(t: Term) -> EtsResult<Option<Option<(u64, Term)>>> {
    if !obj::is_tuple(t) || obj::tuple_element(t, 0).as_atom() != Some(Atom::intern("heir")) {
        return Ok(None);
    }
    let e = obj::tuple_elements(t);
    match e.len() {
        2 if e[1].as_atom() == Some(Atom::intern("none")) => Ok(Some(None)),
        3 if e[1].is_local_pid() => Ok(Some(Some((e[1].immediate_id(), e[2])))),
        _ => Err(Cause::None),
    }
}

pub fn new(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let name = a[0].as_atom().ok_or(Cause::None)?;
        let opts = obj::list_to_vec(a[1]).ok_or(Cause::None)?;
        let mut kind = Kind::Set;
        let mut access = Access::Protected;
        let mut named = false;
        let mut keypos = 1usize;
        let mut heir = None;
        let mut read_concurrency = false;
        let mut write_concurrency = Atom::FALSE;
        let mut decentralized = None;
        let mut compressed = false;
        for o in opts {
            if let Some(x) = o.as_atom() {
                match x.name() {
                    "set" => kind = Kind::Set,
                    "ordered_set" => kind = Kind::OrderedSet,
                    "bag" => kind = Kind::Bag,
                    "duplicate_bag" => kind = Kind::DuplicateBag,
                    "public" => access = Access::Public,
                    "protected" => access = Access::Protected,
                    "private" => access = Access::Private,
                    "named_table" => named = true,
                    "compressed" => compressed = true,
                    _ => return Err(Cause::None),
                }
                continue;
            }
            if let Some(h) = heir_opt(o)? {
                heir = h;
                continue;
            }
            if !obj::is_tuple(o) || obj::tuple_arity(o) != 2 {
                return Err(Cause::None);
            }
            let (k, v) = (obj::tuple_element(o, 0), obj::tuple_element(o, 1));
            match k.as_atom().map(|k| k.name()) {
                Some("keypos") => match v.as_small() {
                    Some(n) if n >= 1 => keypos = n as usize,
                    _ => return Err(Cause::None),
                },
                Some("read_concurrency") => read_concurrency = bool_opt(v)?,
                Some("write_concurrency") => {
                    write_concurrency = match v.as_atom() {
                        Some(x) if x == Atom::TRUE || x == Atom::FALSE => x,
                        Some(x) if x.name() == "auto" => x,
                        _ => return Err(Cause::None),
                    }
                }
                Some("decentralized_counters") => decentralized = Some(bool_opt(v)?),
                _ => return Err(Cause::None),
            }
        }
        let mut reg = registry();
        if named && reg.names.contains_key(&name) {
            return Err(Cause::AlreadyExists);
        }
        let tid = super::table::new_tid(p);
        let tid_term = obj::local_ref(&mut p.heap, &tid);
        let id = reg.next;
        reg.next += 1;
        if access == Access::Private {
            // OTP turns concurrency off for private tables.
            read_concurrency = false;
            write_concurrency = Atom::FALSE;
        }
        let decentralized_counters = decentralized.unwrap_or(
            write_concurrency.name() == "auto"
                || (kind == Kind::OrderedSet && write_concurrency == Atom::TRUE),
        );
        reg.add(
            id,
            Table {
                tid,
                name,
                named,
                kind,
                access,
                keypos,
                owner: p.id,
                heir: heir.map(|(pid, data)| (pid, Owned::new(data))),
                read_concurrency,
                write_concurrency,
                decentralized_counters,
                compressed,
                fixes: Vec::new(),
                fixed_at: None,
                objects: BTreeMap::new(),
                size: 0,
                words: 0,
                slot_at: None,
            },
        );
        Ok(if named { Term::atom(name) } else { tid_term })
    })())
}

pub fn delete1(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let mut reg = registry();
        reg.table(a[0], p.id, Need::Write)?;
        let id = reg.id_of(a[0])?;
        drop(reg.remove(id));
        Ok(Term::atom(Atom::TRUE))
    })())
}

pub fn whereis(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let name = a[0].as_atom().ok_or(Cause::None)?;
        let reg = registry();
        Ok(
            match reg.names.get(&name).and_then(|id| reg.tables.get(id)) {
                Some(t) => obj::local_ref(&mut p.heap, &t.tid),
                None => Term::atom(Atom::UNDEFINED),
            },
        )
    })())
}

pub fn rename(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let mut reg = registry();
        reg.table(a[0], p.id, Need::Write)?;
        let new = a[1].as_atom().ok_or(Cause::None)?;
        let id = reg.id_of(a[0])?;
        let table = reg.tables.get(&id).ok_or(Cause::Id)?;
        let named = table.named;
        let old = table.name;
        if named {
            if reg.names.get(&new).is_some_and(|&other| other != id) {
                return Err(Cause::None);
            }
            reg.names.remove(&old);
            reg.names.insert(new, id);
        }
        let t = reg.tables.get_mut(&id).ok_or(Cause::Id)?;
        t.name = new;
        Ok(id_term(p, t))
    })())
}

/// The term that names table `t` in messages: its name if named, else its reference.
fn id_term(p: &mut Process, t: &Table) -> Term {
    if t.named {
        Term::atom(t.name)
    } else {
        obj::local_ref(&mut p.heap, &t.tid)
    }
}

/// `{'ETS-TRANSFER', Tab, FromPid, Data}` sent from `from` to `to`.
fn send_transfer(from: &mut Process, to: u64, tab: Term, data: Term) {
    let pid = from.pid();
    let msg = obj::tuple(&mut from.heap, &[atom("ETS-TRANSFER"), tab, pid, data]);
    sched::send(from, to, msg);
}

pub fn give_away(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let check = |p: &Process| -> EtsResult<(u64, u64)> {
            let mut reg = registry();
            let table = reg.table(a[0], p.id, Need::Write)?;
            if !a[1].is_local_pid() {
                return Err(Cause::None);
            }
            let to = a[1].immediate_id();
            if table.owner != p.id {
                return Err(Cause::NotOwner);
            }
            if to == p.id {
                return Err(Cause::Owner);
            }
            Ok((reg.id_of(a[0])?, to))
        };
        let (id, to) = check(p)?;
        // Never ask the scheduler while holding the registry.
        if !sched::is_alive(p, to) {
            return Err(Cause::None);
        }
        // Check again: the table may have gone meanwhile (another scheduler thread).
        check(p)?;
        let mut reg = registry();
        reg.set_owner(id, to);
        let tab = id_term(p, reg.tables.get(&id).ok_or(Cause::Id)?);
        drop(reg);
        send_transfer(p, to, tab, a[2]);
        Ok(Term::atom(Atom::TRUE))
    })())
}

pub fn setopts(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let opts = if obj::is_tuple(a[1]) {
            vec![a[1]]
        } else {
            obj::list_to_vec(a[1]).ok_or(Cause::None)?
        };
        let mut reg = registry();
        let table = reg.table(a[0], p.id, Need::Write)?;
        if table.owner != p.id {
            return Err(Cause::None);
        }
        let mut heir = None;
        let mut access = None;
        for o in opts {
            if let Some(h) = heir_opt(o)? {
                heir = Some(h);
                continue;
            }
            if obj::is_tuple(o)
                && obj::tuple_arity(o) == 2
                && obj::tuple_element(o, 0).as_atom() == Some(Atom::intern("protection"))
            {
                access = Some(match obj::tuple_element(o, 1).as_atom().map(|x| x.name()) {
                    Some("public") => Access::Public,
                    Some("protected") => Access::Protected,
                    Some("private") => Access::Private,
                    _ => return Err(Cause::None),
                });
                continue;
            }
            return Err(Cause::None);
        }
        if let Some(h) = heir {
            table.heir = h.map(|(pid, data)| (pid, Owned::new(data)));
        }
        if let Some(acc) = access {
            table.access = acc;
        }
        Ok(Term::atom(Atom::TRUE))
    })())
}

const ITEMS: &[&str] = &[
    "id",
    "decentralized_counters",
    "read_concurrency",
    "write_concurrency",
    "compressed",
    "memory",
    "owner",
    "heir",
    "name",
    "size",
    "node",
    "named_table",
    "type",
    "keypos",
    "protection",
];

/// The value of info item `item` of `t`, or `None` for an unknown item.
fn item(p: &mut Process, t: &Table, item: &str) -> Option<Term> {
    Some(match item {
        "id" => obj::local_ref(&mut p.heap, &t.tid),
        "decentralized_counters" => Term::boolean(t.decentralized_counters),
        "read_concurrency" => Term::boolean(t.read_concurrency),
        "write_concurrency" => Term::atom(t.write_concurrency),
        "compressed" => Term::boolean(t.compressed),
        "memory" => Term::small(t.memory() as i64),
        "owner" => Term::pid(t.owner),
        "heir" => match &t.heir {
            Some((pid, _)) => Term::pid(*pid),
            None => atom("none"),
        },
        "name" => Term::atom(t.name),
        "size" => Term::small(t.size as i64),
        "node" => Term::atom(Atom::NONODE),
        "named_table" => Term::boolean(t.named),
        "type" => atom(t.kind.name()),
        "keypos" => Term::small(t.keypos as i64),
        "protection" => atom(t.access.name()),
        "fixed" => Term::boolean(t.fixed()),
        "safe_fixed" | "safe_fixed_monotonic_time" => match t.fixed_at {
            None => Term::atom(Atom::FALSE),
            Some((micros, mono)) => {
                let when = if item == "safe_fixed" {
                    let secs = (micros / 1_000_000) as i64;
                    obj::tuple(
                        &mut p.heap,
                        &[
                            Term::small(secs / 1_000_000),
                            Term::small(secs % 1_000_000),
                            Term::small((micros % 1_000_000) as i64),
                        ],
                    )
                } else {
                    obj::integer_from_i64(&mut p.heap, mono)
                };
                let fixes: Vec<Term> = t
                    .fixes
                    .iter()
                    .map(|&(pid, n)| {
                        obj::tuple(&mut p.heap, &[Term::pid(pid), Term::small(n as i64)])
                    })
                    .collect();
                let fixes = obj::list_from_slice(&mut p.heap, &fixes, Term::NIL);
                obj::tuple(&mut p.heap, &[when, fixes])
            }
        },
        _ => return None,
    })
}

fn lookup_any(reg: &Registry, t: Term) -> EtsResult<Option<&Table>> {
    match reg.id_of(t) {
        Ok(id) => Ok(reg.tables.get(&id)),
        Err(Cause::Id) => Ok(None),
        Err(c) => Err(c),
    }
}

pub fn info1(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let reg = registry();
        let Some(t) = lookup_any(&reg, a[0])? else {
            return Ok(Term::atom(Atom::UNDEFINED));
        };
        let pairs: Vec<Term> = ITEMS
            .iter()
            .map(|&i| {
                let v = item(p, t, i).expect("known item");
                obj::tuple(&mut p.heap, &[atom(i), v])
            })
            .collect();
        Ok(obj::list_from_slice(&mut p.heap, &pairs, Term::NIL))
    })())
}

pub fn info2(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let reg = registry();
        let found = lookup_any(&reg, a[0])?;
        let name = a[1].as_atom().ok_or(Cause::None)?;
        let Some(t) = found else {
            return Ok(Term::atom(Atom::UNDEFINED));
        };
        item(p, t, name.name()).ok_or(Cause::None)
    })())
}

pub fn safe_fixtable(p: &mut Process, a: &[Term]) -> BifResult {
    bif((|| {
        let mut reg = registry();
        let table = reg.table(a[0], p.id, Need::Read)?;
        let on = bool_opt(a[1])?;
        let me = p.id;
        match table.fixes.iter_mut().find(|(pid, _)| *pid == me) {
            Some(f) if on => f.1 += 1,
            None if on => table.fixes.push((me, 1)),
            Some(f) => f.1 -= 1,
            None => {}
        }
        table.fixes.retain(|&(_, n)| n > 0);
        let fixed = !table.fixes.is_empty();
        if !fixed {
            table.fixed_at = None;
        } else if table.fixed_at.is_none() {
            let micros = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_micros())
                .unwrap_or(0);
            table.fixed_at = Some((micros, crate::time::monotonic_ns() as i64));
        }
        let id = reg.id_of(a[0])?;
        if fixed {
            reg.fixed.insert(id);
        } else {
            reg.fixed.remove(&id);
        }
        Ok(Term::atom(Atom::TRUE))
    })())
}

/// The process-exit hook: tables owned by `p` go to their heir (if it is alive and not `p`)
/// or are deleted; `p`'s fixations are released.
pub fn process_exited(p: &mut Process) {
    // The tables `p` owns with their heirs; `p`'s fixations go.
    let heirs: Vec<(u64, Option<u64>)> = {
        let mut reg = registry();
        let fixed: Vec<u64> = reg.fixed.iter().copied().collect();
        for id in fixed {
            if let Some(t) = reg.tables.get_mut(&id) {
                t.fixes.retain(|&(pid, _)| pid != p.id);
                if t.fixes.is_empty() {
                    t.fixed_at = None;
                    reg.fixed.remove(&id);
                }
            }
        }
        let owned = reg.owned.get(&p.id).cloned().unwrap_or_default();
        owned
            .into_iter()
            .map(|id| {
                (
                    id,
                    reg.tables
                        .get(&id)
                        .and_then(|t| t.heir.as_ref().map(|h| h.0)),
                )
            })
            .collect()
    };
    if heirs.is_empty() {
        return;
    }
    // Never ask the scheduler while holding the registry.
    let alive: Vec<(u64, Option<u64>)> = heirs
        .into_iter()
        .map(|(id, h)| (id, h.filter(|&h| h != p.id && sched::is_alive(p, h))))
        .collect();
    let mut transfers = Vec::new();
    {
        let mut reg = registry();
        for (id, heir) in alive {
            if reg.tables.get(&id).is_none_or(|t| t.owner != p.id) {
                continue;
            }
            match heir {
                Some(h) => {
                    // The heir stays set (it is now the owner, so the table dies with it).
                    reg.set_owner(id, h);
                    let t = reg.tables.get(&id).expect("owned table");
                    let data = t.heir.as_ref().expect("heir").1.copy_to(&mut p.heap);
                    let tab = id_term(p, t);
                    transfers.push((h, tab, data));
                }
                None => drop(reg.remove(id)),
            }
        }
    }
    for (to, tab, data) in transfers {
        send_transfer(p, to, tab, data);
    }
}

/// `ets:internal_request_all/0`, what `ets:all/0` builds on: a reference, then one message
/// `{Ref, Tables}` per scheduler thread (OTP's schedulers each report their share; girder's
/// tables are all in one registry, so the first message has them all).
pub fn internal_request_all(p: &mut Process, _: &[Term]) -> BifResult {
    let r = obj::make_ref(&mut p.heap);
    let mut ids: Vec<(u64, Term)> = Vec::new();
    {
        let reg = registry();
        let mut keys: Vec<&u64> = reg.tables.keys().collect();
        keys.sort_unstable();
        for id in keys {
            let t = &reg.tables[id];
            ids.push((*id, id_term(p, t)));
        }
    }
    let tables: Vec<Term> = ids.into_iter().rev().map(|(_, t)| t).collect();
    let all = obj::list_from_slice(&mut p.heap, &tables, Term::NIL);
    let me = p.id;
    for i in 0..sched::schedulers() {
        let share = if i == 0 { all } else { Term::NIL };
        let msg = obj::tuple(&mut p.heap, &[r, share]);
        sched::send(p, me, msg);
    }
    Ok(r)
}

//! The reports of erts' BREAK menu (Ctrl-C in the shell), in erts' format: `p` (every
//! process, then every port), `o` (ports), `l` (loaded code), `i` (memory and tables), `d`
//! (distribution), `D` (ETS tables) and `k` (the processes one by one, each offered to be
//! killed). The console thread calls [`report`] (registered with the terminal driver at
//! start) while the schedulers keep running: a process running at that moment is waited
//! for briefly, then reported as running without its heap and stack.
//!
//! The numbers are girder's own: heap and stack sizes in words, code sizes in bytes of
//! girder's instructions, addresses of girder's stacks and continuation pointers (a code
//! index and an instruction offset, where erts has machine addresses). What girder does not
//! keep is left out rather than invented: the binary virtual heap lines of a process
//! (`BinVHeap`...), the hash statistics of ETS tables and their contents by bucket (girder's
//! tables are not hash tables), erts' allocators in `i`.

use std::io::Write;

use girder_runtime::module::{self, Cp};
use girder_runtime::port;
use girder_runtime::process::Process;
use girder_runtime::sched::{self, Inspected};
use girder_term::Term;
use girder_term::atom::Atom;
use girder_term::object as obj;

use crate::display::erts_display;

/// One BREAK menu report (see the module's documentation); `key` is the menu's letter.
pub fn report(key: u8, out: &mut dyn Write, key_reader: &mut dyn FnMut() -> u8) {
    let _ = match key {
        b'p' => processes(out).and_then(|()| ports(out)),
        b'o' => ports(out),
        b'l' => loaded(out),
        b'i' => info(out),
        b'd' => distribution(out),
        b'D' => ets_tables(out),
        b'k' => killer(out, key_reader),
        _ => Ok(()),
    };
}

fn text(t: Term) -> String {
    String::from_utf8_lossy(&erts_display(t)).into_owned()
}

/// `M:F/A + Offset` of a code position, `None` where no loaded function holds it.
fn where_is(cp: Cp) -> Option<String> {
    let code = module::code(cp.code())?;
    let f = code.function_at(cp.offset())?;
    Some(format!(
        "{}:{}/{} + {}",
        text(Term::atom(code.name)),
        text(Term::atom(f.function)),
        f.arity,
        cp.offset().saturating_sub(f.start)
    ))
}

/// What a process looks like, read under its slot's lock.
enum Seen {
    /// The whole block (for a suspended process).
    Block(String),
    /// Running on a scheduler thread: only its number can be shown.
    Running,
    Dead,
}

/// Wait for a process running on another thread to end its time slice (bounded: about
/// 100 ms), then read it.
fn look<R>(id: u64, f: impl Fn(&Process, &str) -> R) -> Option<Option<R>> {
    for _ in 0..20 {
        match sched::inspect(id, |q, seen| f(q, seen.status)) {
            Inspected::Seen(r) => return Some(Some(r)),
            Inspected::Dead => return None,
            Inspected::Busy => std::thread::sleep(std::time::Duration::from_millis(5)),
        }
    }
    Some(None)
}

fn seen_process(id: u64) -> Seen {
    match look(id, process_block) {
        Some(Some(b)) => Seen::Block(b),
        Some(None) => Seen::Running,
        None => Seen::Dead,
    }
}

fn process_block(q: &Process, status: &str) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "=proc:{}", text(Term::pid(q.id)));
    let state = if status == "runnable" {
        "Runnable"
    } else {
        "Waiting"
    };
    let _ = writeln!(s, "State: {state}");
    if let Some(name) = sched::registered_name(q.id) {
        let _ = writeln!(s, "Name: {}", text(Term::atom(name)));
    }
    let (m, f, a) = q.initial_call;
    let _ = writeln!(
        s,
        "Spawned as: {}:{}/{a}",
        text(Term::atom(m)),
        text(Term::atom(f))
    );
    let parent = if q.parent == 0 {
        "[]".to_owned()
    } else {
        text(Term::pid(q.parent))
    };
    let _ = writeln!(s, "Spawned by: {parent}");
    let _ = writeln!(s, "Message queue length: {}", q.msgs.len());
    if !q.msgs.is_empty() {
        let msgs: Vec<String> = q.msgs.iter().map(|m| text(*m)).collect();
        let _ = writeln!(s, "Message queue: [{}]", msgs.join(","));
    }
    let _ = writeln!(s, "Number of heap fragments: {}", q.heap.fragment_count());
    let _ = writeln!(s, "Heap fragment data: {}", q.heap.fragment_words());
    let mut links: Vec<String> = q.links.iter().map(|&l| text(port::ident_term(l))).collect();
    for (r, other, name) in q.monitors.iter() {
        let target = match name {
            Some(n) => format!(
                "{{{},{}}}",
                text(Term::atom(*n)),
                text(Term::atom(obj::this_node().0))
            ),
            None => text(port::ident_term(*other)),
        };
        links.push(format!("{{to,{target},{}}}", text(*r)));
    }
    for (r, watcher) in q.monitored_by.iter() {
        links.push(format!(
            "{{from,{},{}}}",
            text(Term::pid(*watcher)),
            text(*r)
        ));
    }
    if !links.is_empty() {
        let _ = writeln!(s, "Link list: [{}]", links.join(", "));
    }
    let dict = q.dict.entries();
    if !dict.is_empty() {
        let pairs: Vec<String> = dict
            .iter()
            .map(|(k, v)| format!("{{{},{}}}", text(*k), text(*v)))
            .collect();
        let _ = writeln!(s, "Dictionary: [{}]", pairs.join(","));
    }
    let _ = writeln!(s, "Reductions: {}", q.total_reductions);
    let young = q.heap.young_capacity();
    let old = q.heap.old_capacity();
    let old_used = q.heap.old_used_words();
    let young_used = q
        .heap
        .used_words()
        .saturating_sub(old_used + q.heap.fragment_words());
    let _ = writeln!(s, "Stack+heap: {}", young + q.stack.len());
    let _ = writeln!(s, "OldHeap: {old}");
    let _ = writeln!(s, "Heap unused: {}", young.saturating_sub(young_used));
    let _ = writeln!(s, "OldHeap unused: {}", old.saturating_sub(old_used));
    let memory = (young + old + q.heap.fragment_words() + q.stack.capacity()) * 8
        + std::mem::size_of::<Process>();
    let _ = writeln!(s, "Memory: {memory}");
    let _ = writeln!(s, "Stack dump:");
    let _ = writeln!(
        s,
        "Program counter: 0x{:016x} ({})",
        q.resume.0,
        where_is(q.resume).unwrap_or_else(|| "unknown function".to_owned())
    );
    let _ = writeln!(s, "arity = {}", q.live_x);
    stack_dump(&mut s, q);
    let prio = q.priority.atom().name().to_uppercase();
    let _ = writeln!(
        s,
        "Internal State: ACT_PRIO_{prio} | USR_PRIO_{prio} | PRQ_PRIO_{prio}{}",
        if q.trap_exit { " | TRAP_EXIT" } else { "" }
    );
    s
}

/// Each frame from the top: its Y registers, then the continuation pointer it returns
/// to (erts' order), with the address of the stack word holding it.
fn stack_dump(s: &mut String, q: &Process) {
    use std::fmt::Write as _;
    let return_line = |s: &mut String, addr: usize, cp: Cp| {
        let to = if cp == Cp::NONE {
            "<terminate process normally>".to_owned()
        } else {
            where_is(cp).unwrap_or_else(|| "unknown function".to_owned())
        };
        let _ = writeln!(s, "\n0x{addr:016x} Return addr 0x{:016x} ({to})", cp.0);
    };
    if q.cp != Cp::NONE {
        return_line(s, 0, q.cp);
    }
    let words: &[Term] = &q.stack;
    // The words below the frame's continuation pointer (going down) are its Y registers.
    let mut y: Vec<String> = Vec::new();
    let mut frame_cp: Option<(usize, Cp)> = None;
    let flush = |s: &mut String, y: &mut Vec<String>, frame_cp: Option<(usize, Cp)>| {
        for (i, t) in y.drain(..).enumerate() {
            let _ = writeln!(s, "{:<9}{t}", format!("y({i})"));
        }
        if let Some((addr, cp)) = frame_cp {
            return_line(s, addr, cp);
        }
    };
    for (i, &w) in words.iter().enumerate().rev() {
        if w.is_header() {
            flush(s, &mut y, frame_cp);
            frame_cp = Some((words.as_ptr().wrapping_add(i) as usize, Cp::from_term(w)));
        } else if w.is_catch() {
            let payload = w.catch_payload();
            let cp = Cp::new((payload >> 32) as u32, payload as u32);
            let at = where_is(cp).unwrap_or_else(|| "unknown function".to_owned());
            y.push(format!("Catch 0x{:016x} ({at})", cp.0));
        } else {
            y.push(text(w));
        }
    }
    flush(s, &mut y, frame_cp);
}

fn processes(out: &mut dyn Write) -> std::io::Result<()> {
    for id in sched::all_ids() {
        match seen_process(id) {
            Seen::Block(b) => out.write_all(b.as_bytes())?,
            Seen::Running => writeln!(out, "=proc:{}\nState: Running", text(Term::pid(id)))?,
            Seen::Dead => {}
        }
    }
    Ok(())
}

fn ports(out: &mut dyn Write) -> std::io::Result<()> {
    for id in port::ports() {
        let Some(info) = port::info(id) else {
            continue;
        };
        writeln!(out, "=port:{}", text(Term::port(id)))?;
        writeln!(out, "State: CONNECTED")?;
        writeln!(out, "Slot: {}", id)?;
        writeln!(out, "Connected: {}", text(Term::pid(info.connected)))?;
        if !info.links.is_empty() {
            let links: Vec<String> = info
                .links
                .iter()
                .map(|&l| text(port::ident_term(l)))
                .collect();
            writeln!(out, "Links: {}", links.join(", "))?;
        }
        if !info.monitored_by.is_empty() {
            let by: Vec<String> = info
                .monitored_by
                .iter()
                .map(|&l| text(Term::pid(l)))
                .collect();
            writeln!(out, "Monitors: {}", by.join(", "))?;
        }
        let fd = info
            .name
            .split_once('/')
            .is_some_and(|(i, o)| i.parse::<u32>().is_ok() && o.parse::<u32>().is_ok());
        if fd {
            writeln!(out, "Port is UNIX fd not opened by emulator: {}", info.name)?;
        } else if info.os_pid.is_some() {
            writeln!(out, "Port controls external process: {}", info.name)?;
        } else {
            writeln!(out, "Port controls linked-in driver: {}", info.name)?;
        }
        writeln!(out, "Input: {}", info.input)?;
        writeln!(out, "Output: {}", info.output)?;
        writeln!(out, "Queue: 0")?;
    }
    Ok(())
}

/// Bytes of a module version's code, as `erlang:memory(code)` counts them.
fn code_bytes(m: &module::Module) -> usize {
    m.code.len() * std::mem::size_of::<girder_runtime::instr::Instr>()
        + m.literals.used_words() * 8
        + m.strings.len()
        + m.lines.len() * 8
        + m.functions.len() * std::mem::size_of::<module::FunctionRange>()
}

fn loaded(out: &mut dyn Write) -> std::io::Result<()> {
    let mut mods: Vec<(u32, Atom, usize, usize)> = module::loaded_modules()
        .into_iter()
        .map(|name| {
            let cur = module::loaded(name);
            let old = module::old(name);
            let index = cur.or(old).map_or(u32::MAX, |m| m.code_index);
            (
                index,
                name,
                cur.map_or(0, code_bytes),
                old.map_or(0, code_bytes),
            )
        })
        .collect();
    // In the order the modules were first loaded, as erts' module table lists them.
    mods.sort_by_key(|&(i, ..)| i);
    let cur: usize = mods.iter().map(|m| m.2).sum();
    let old: usize = mods.iter().map(|m| m.3).sum();
    writeln!(out, "Current code: {cur}")?;
    writeln!(out, "Old code: {old}")?;
    for (_, name, c, o) in mods {
        if o != 0 {
            writeln!(out, "{} {c} ({o} old)", text(Term::atom(name)))?;
        } else {
            writeln!(out, "{} {c}", text(Term::atom(name)))?;
        }
    }
    Ok(())
}

fn info(out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "=memory")?;
    for (key, bytes) in crate::memory::totals() {
        writeln!(out, "{key}: {bytes}")?;
    }
    let atoms = Atom::count();
    writeln!(out, "=index_table:atom_tab")?;
    writeln!(out, "entries: {atoms}")?;
    let modules = module::loaded_modules().len();
    writeln!(out, "=index_table:module_code")?;
    writeln!(out, "entries: {modules}")?;
    writeln!(out, "=hash_table:process_reg")?;
    writeln!(out, "objs: {}", sched::registered().len())?;
    Ok(())
}

fn distribution(out: &mut dyn Write) -> std::io::Result<()> {
    let (node, _) = obj::this_node();
    writeln!(out, "=node:{}", text(Term::atom(node)))?;
    if node == Atom::NONODE {
        writeln!(out, "=no_distribution")?;
        return Ok(());
    }
    for (name, visible, port_id, creation) in crate::dist::connections() {
        let kind = if visible { "visible" } else { "hidden" };
        writeln!(out, "={kind}_node:{}", name.index())?;
        writeln!(out, "Name: {}", text(Term::atom(name)))?;
        if let Some(p) = port_id {
            writeln!(out, "Controller: {}", text(port::ident_term(p)))?;
        }
        writeln!(out, "Creation: {creation}")?;
    }
    Ok(())
}

fn ets_tables(out: &mut dyn Write) -> std::io::Result<()> {
    let mut scratch = girder_term::heap::Heap::new(0);
    let lines: Vec<String> = {
        let reg = crate::ets::table::registry();
        let mut ids: Vec<&u64> = reg.tables.keys().collect();
        ids.sort_unstable();
        ids.into_iter()
            .map(|id| {
                let t = &reg.tables[id];
                let tab = if t.named {
                    Term::atom(t.name)
                } else {
                    obj::local_ref(&mut scratch, &t.tid)
                };
                let mut s = format!(
                    "=ets:{}\nSlot: {id}\nTable: {}\nName: {}\n",
                    text(Term::pid(t.owner)),
                    text(tab),
                    text(Term::atom(t.name))
                );
                if t.kind == crate::ets::table::Kind::OrderedSet {
                    s += &format!("Ordered set (AVL tree), Elements: {}\n", t.size);
                } else {
                    s += &format!("Fixed: {}\n", !t.fixes.is_empty());
                }
                s += &format!(
                    "Objects: {}\nWords: {}\nType: {}\nProtection: {}\nCompressed: {}\n\
                     Write Concurrency: {}\nRead Concurrency: {}\n",
                    t.size,
                    t.memory(),
                    t.kind.name(),
                    t.access.name(),
                    t.compressed,
                    t.write_concurrency.name() != "false",
                    t.read_concurrency
                );
                s
            })
            .collect()
    };
    for l in lines {
        out.write_all(l.as_bytes())?;
    }
    Ok(())
}

/// erts' process killer: every process from the last, each shown, then `k` kills it (a
/// waiting one only), `n` goes on, anything else returns to the shell.
fn killer(out: &mut dyn Write, key_reader: &mut dyn FnMut() -> u8) -> std::io::Result<()> {
    write!(
        out,
        "\n\nProcess Information\n\n--------------------------------------------------\n"
    )?;
    for id in sched::all_ids().into_iter().rev() {
        let waiting = match seen_process(id) {
            Seen::Block(b) => {
                out.write_all(b.as_bytes())?;
                !b.contains("\nState: Runnable\n")
            }
            Seen::Running => {
                writeln!(out, "=proc:{}\nState: Running", text(Term::pid(id)))?;
                false
            }
            Seen::Dead => continue,
        };
        writeln!(out, "(k)ill (n)ext (r)eturn:")?;
        out.flush()?;
        match key_reader() {
            b'k' => {
                if waiting {
                    sched::kill(id);
                } else {
                    writeln!(out, "Can only kill WAITING processes this way")?;
                }
            }
            b'n' => {}
            _ => return Ok(()),
        }
    }
    Ok(())
}

//! Starting the VM the way `erl` starts: set up the code path, load the preloaded modules,
//! start the standard I/O servers (`user`, `standard_error`), then run the `-s`/`-run`/
//! `-eval` requests in order in the boot process (in Erlang: the preloaded `init:boot/1`),
//! and report a failing one as erl's init does.

use std::io::Write;
use std::path::{Path, PathBuf};

use girder_runtime::{Process, code_server, module, sched};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::erl_args::{ErlArgs, Start, StartCall};

/// OTP's installation root: `GIRDER_OTP_ROOT`, or the one of the `erl` on the `PATH`.
pub fn otp_root() -> Option<PathBuf> {
    if let Some(root) = std::env::var_os("GIRDER_OTP_ROOT") {
        return Some(PathBuf::from(root));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        let erl = dir.join("erl");
        if let Ok(real) = std::fs::canonicalize(&erl) {
            // .../lib/erlang/bin/erl -> .../lib/erlang
            // (An `erl` that is girder itself, through `girder shim`, has no boot files
            // beside it.)
            let root = real.parent()?.parent()?;
            if root.join("lib").is_dir() && root.join("bin").join("start.boot").is_file() {
                return Some(root.to_path_buf());
            }
        }
    }
    None
}

/// The `ebin` directories of the applications in `lib`, sorted.
fn lib_ebins(lib: &Path) -> Vec<PathBuf> {
    let mut ebins: Vec<PathBuf> = std::fs::read_dir(lib)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("ebin"))
        .filter(|p| p.is_dir())
        .collect();
    ebins.sort();
    ebins
}

/// The `ebin` directories an `ERL_LIBS` directory contributes, as OTP 25's code server
/// chooses them: of the entries named `App-Vsn` (`Vsn` numbers and dots) or `App-Vsn.ez`,
/// the highest version of each application (a directory rather than an archive of the
/// same version); then for each, `Entry/ebin`, else inside the archive
/// `App-Vsn.ez/App/ebin` or `App-Vsn.ez/App-Vsn/ebin`. In OTP's order: the reverse of
/// the entries' sorted order.
fn user_lib_ebins(lib: &str) -> Vec<String> {
    let Ok(entries) = girder_runtime::archive::list_dir(lib) else {
        return Vec::new();
    };
    // (name, numeric version, entry), as OTP's create_bundle/2.
    let split_base = |base: &str| -> Option<(String, String)> {
        let tokens: Vec<&str> = base.split('-').filter(|t| !t.is_empty()).collect();
        (tokens.len() >= 2).then(|| {
            (
                tokens[..tokens.len() - 1].join("-"),
                tokens[tokens.len() - 1].to_owned(),
            )
        })
    };
    let mut bundles: Vec<(String, Vec<u64>, String)> = entries
        .into_iter()
        .map(|full| {
            let base = full.strip_suffix(".ez").unwrap_or(&full);
            let numeric = split_base(base).and_then(|(name, vsn)| {
                let parts: Vec<&str> = vsn.split('.').filter(|t| !t.is_empty()).collect();
                parts
                    .iter()
                    .map(|t| {
                        t.bytes()
                            .all(|b| b.is_ascii_digit())
                            .then(|| t.parse::<u64>().ok())
                            .flatten()
                    })
                    .collect::<Option<Vec<u64>>>()
                    .map(|v| (name, v))
            });
            match numeric {
                Some((name, v)) => (name, v, full),
                None => (full.clone(), vec![0], full),
            }
        })
        .collect();
    bundles.sort();
    let mut chosen: Vec<(String, Vec<u64>, String)> = Vec::new();
    for b in bundles.into_iter().rev() {
        match chosen.iter_mut().find(|c| c.0 == b.0) {
            Some(c) if c.1 == b.1 && c.2.ends_with(".ez") => *c = b,
            Some(_) => {}
            None => chosen.insert(0, b),
        }
    }
    let is_dir = |d: &str| girder_runtime::archive::list_dir(d).is_ok();
    let mut out = Vec::new();
    for (_, _, bundle) in chosen {
        let dir = format!("{lib}/{bundle}");
        let ebin = format!("{dir}/ebin");
        if is_dir(&ebin) {
            out.insert(0, ebin);
            continue;
        }
        let base = bundle.strip_suffix(".ez").unwrap_or(&bundle);
        // (OTP joins these names with filename:join/1, which drops repeated separators.)
        let join = |s: String| {
            let mut out = String::with_capacity(s.len());
            for c in s.chars() {
                if !(c == '/' && out.ends_with('/')) {
                    out.push(c);
                }
            }
            out
        };
        let mut tries = Vec::new();
        if let Some((app, _)) = split_base(base) {
            tries.push(join(format!("{lib}/{base}.ez/{app}/ebin")));
        }
        tries.push(join(format!("{lib}/{base}.ez/{base}/ebin")));
        tries.push(dir);
        if let Some(found) = tries.into_iter().find(|d| is_dir(d)) {
            out.insert(0, found);
        }
    }
    // Only directories named ebin.
    out.retain(|d| d.ends_with("/ebin"));
    out
}

/// The code path, in erl's order: `-pa` dirs, the current directory, OTP's kernel and
/// stdlib, the applications of the `ERL_LIBS` directories, OTP's other `lib/*/ebin`
/// (last name first), `-pz` dirs. As OTP 25's code server adds them, each `-pa` directory goes in front of
/// those before it (`-pa a b` searches `b` first), `-pz` ones go last in order, a
/// directory given twice is kept once (where it was added last), and names that are not
/// directories (in the file system or inside an archive) are left out. `.avm` packs are
/// girder's own and keep their order.
pub fn set_code_path(pa: &[PathBuf], pz: &[PathBuf]) {
    let is_dir = |d: &Path| girder_runtime::archive::list_dir(&d.to_string_lossy()).is_ok();
    let is_pack = |d: &Path| d.extension().is_some_and(|e| e == "avm");
    let mut front: Vec<PathBuf> = Vec::new();
    for dir in pa {
        if is_pack(dir) {
            add(dir);
        } else if is_dir(dir) {
            front.retain(|d| d != dir);
            front.insert(0, dir.clone());
        }
    }
    if !front.iter().any(|d| d == Path::new(".")) {
        front.push(PathBuf::from("."));
    }
    let mut back: Vec<PathBuf> = Vec::new();
    for dir in pz {
        if is_pack(dir) {
            add(dir);
        } else if is_dir(dir) {
            front.retain(|d| d != dir);
            back.retain(|d| d != dir);
            back.push(dir.clone());
        }
    }
    for dir in front {
        code_server::add_path_end(dir);
    }
    let otp = otp_root()
        .map(|root| lib_ebins(&root.join("lib")))
        .unwrap_or_default();
    let app = |dir: &PathBuf| {
        let name = dir.parent().and_then(Path::file_name);
        let name = name.map(|n| n.to_string_lossy()).unwrap_or_default();
        name.split('-').next().unwrap_or_default().to_owned()
    };
    let (first, rest): (Vec<PathBuf>, Vec<PathBuf>) = otp
        .into_iter()
        .partition(|d| matches!(app(d).as_str(), "kernel" | "stdlib"));
    for dir in first {
        code_server::add_path_end(dir);
    }
    if let Some(libs) = std::env::var_os("ERL_LIBS") {
        for lib in std::env::split_paths(&libs) {
            for dir in user_lib_ebins(&lib.to_string_lossy()) {
                code_server::add_path_end(PathBuf::from(dir));
            }
        }
    }
    // erl 25's boot path lists OTP's other applications in reverse order of their names.
    for dir in rest.into_iter().rev() {
        code_server::add_path_end(dir);
    }
    for dir in back {
        code_server::add_path_end(dir);
    }
}

fn add(dir: &Path) {
    if dir.extension().is_some_and(|e| e == "avm") {
        if let Err(e) = code_server::add_pack(dir.to_path_buf()) {
            eprintln!("girder: {e}");
        }
    } else {
        code_server::add_path_end(dir.to_path_buf());
    }
}

/// How a call ended.
pub enum CallEnd {
    /// It returned.
    Returned,
    /// It raised; the reason in erl's `do_boot` form (`{Reason, Trace}` for errors).
    Crashed(Term),
    /// `halt` with this status.
    Halt(i32),
    /// The runtime could not continue.
    Fault(String),
}

/// `girder run` stands where OTP's `init` would: a trace that reaches its call ends with
/// the frames erl shows for a start call, within the usual depth of 8. (erl-style boots run
/// the preloaded `init`, whose frames are real.)
fn with_init_frames(p: &mut Process, trace: Term) -> Term {
    let mut frames = obj::list_to_vec(trace).unwrap_or_default();
    let init = Term::atom(Atom::intern("init"));
    for (f, a) in [("start_em", 1), ("do_boot", 3)] {
        let frame = obj::tuple(
            &mut p.heap,
            &[init, Term::atom(Atom::intern(f)), Term::small(a), Term::NIL],
        );
        frames.push(frame);
    }
    frames.truncate(girder_runtime::trace::DEPTH);
    obj::list_from_slice(&mut p.heap, &frames, Term::NIL)
}

fn display(t: Term) -> String {
    crate::erts_display::display_term(t)
}

fn flush() {
    #[cfg(feature = "jit")]
    girder_jit::cache::save();
    jit_stats();
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
}

/// Choose the engine as erl's `-emu_flavor` does: the JIT unless `emu` is asked for, or this
/// build or machine has none (then girder interprets, and `system_info(emu_flavor)` says
/// `emu`).
pub fn select_engine(flavor: Option<&str>, perf_map: bool, perf_dump: bool) {
    if flavor == Some("emu") {
        return;
    }
    let stats = std::env::var_os("GIRDER_JIT_STATS");
    if stats.as_ref().is_some_and(|v| v == "2" || v == "3") {
        use girder_runtime::engine::step_profile;
        use std::sync::atomic::Ordering;
        step_profile::ON.store(true, Ordering::Relaxed);
        step_profile::WHOLE.store(stats.is_some_and(|v| v == "3"), Ordering::Relaxed);
    }
    #[cfg(feature = "jit")]
    {
        // The map first: code made before it (the entry trampoline, at install) would go
        // to memory `perf` cannot name.
        if (perf_map || perf_dump)
            && let Err(e) = girder_jit::perf_map::enable(perf_map, perf_dump)
        {
            eprintln!("girder: +JPperf: {e}");
        }
        girder_jit::install();
    }
    #[cfg(not(feature = "jit"))]
    let _ = (perf_map, perf_dump);
}

/// With `GIRDER_JIT_STATS=1`, what the JIT compiled, on standard error.
fn jit_stats() {
    if std::env::var_os("GIRDER_JIT_STATS").is_none_or(|v| v == "0") {
        return;
    }
    #[cfg(feature = "jit")]
    {
        eprintln!("{}", girder_jit::STATS.summary());
        eprintln!("{}", girder_jit::cache::STATS.summary());
    }
    eprint!("{}", girder_runtime::engine::step_profile::report());
    #[cfg(not(feature = "jit"))]
    eprintln!("girder jit: not built in (interpreted everything)");
}

/// Report a crashed start call as erl's init does, and give the exit status.
fn do_boot_crash(reason: Term) -> i32 {
    let text = display(reason);
    let mut out = std::io::stdout().lock();
    // erl writes this line with a CRLF ending.
    let _ = write!(out, "{{\"init terminating in do_boot\",{text}}}\r\n");
    drop(out);
    let _ = std::io::stdout().flush();
    let slogan = crate::erts_display::slogan_term(reason);
    eprint!("init terminating in do_boot ({slogan})\r\n");
    1
}

/// The arguments of a `-s`/`-run` call as terms.
fn start_args(p: &mut Process, c: &StartCall) -> Vec<Term> {
    if c.args.is_empty() {
        return Vec::new();
    }
    let items: Vec<Term> = c
        .args
        .iter()
        .map(|a| {
            if c.strings {
                let chars: Vec<Term> = a.chars().map(|ch| Term::small(ch as i64)).collect();
                obj::list_from_slice(&mut p.heap, &chars, Term::NIL)
            } else {
                Term::atom(Atom::intern(a))
            }
        })
        .collect();
    vec![obj::list_from_slice(&mut p.heap, &items, Term::NIL)]
}

/// How starting a call in the boot process went: it runs as Erlang code, or it was a BIF
/// (or an undefined function) and has already finished.
enum Started {
    Running,
    Finished(CallEnd),
}

fn start(p: &mut Process, module: &str, function: &str, args: &[Term]) -> Started {
    let export = module::export(
        Atom::intern(module),
        Atom::intern(function),
        args.len() as u32,
    );
    if let Some(bif) = export.bif() {
        return Started::Finished(match bif(p, args) {
            Ok(_) => CallEnd::Returned,
            Err(girder_runtime::bif::BifError::Halt(n)) => CallEnd::Halt(n),
            Err(e) => CallEnd::Fault(format!("{export:?} failed: {e:?}")),
        });
    }
    match p.start_call(export, args) {
        Ok(()) => Started::Running,
        Err(e) if e.starts_with("undefined function") => {
            let args = obj::list_from_slice(&mut p.heap, args, Term::NIL);
            let frame = obj::tuple(
                &mut p.heap,
                &[
                    Term::atom(export.module),
                    Term::atom(export.function),
                    args,
                    Term::NIL,
                ],
            );
            let trace = obj::list_from_slice(&mut p.heap, &[frame], Term::NIL);
            let trace = with_init_frames(p, trace);
            let reason = obj::tuple(&mut p.heap, &[Term::atom(Atom::UNDEF), trace]);
            Started::Finished(CallEnd::Crashed(reason))
        }
        Err(e) => Started::Finished(CallEnd::Fault(e)),
    }
}

/// Load the preloaded modules and start the standard I/O servers: `standard_error`
/// (file descriptor 2) and `user` (1, and standard input), registered under those names;
/// `user` becomes the boot process's group leader (and so every process's it spawns).
fn start_io(boot: &mut Process) -> Result<(), String> {
    crate::preloaded::load().map_err(|e| e.to_string())?;
    sched::set_crash_reporter(report_crash);
    let server = module::export(Atom::intern("girder_user"), Atom::intern("server"), 1);
    for (name, fd) in [("standard_error", 2), ("user", 1)] {
        let mut s = Box::new(Process::new(sched::new_id()));
        s.start_call(server, &[Term::small(fd)])?;
        let id = s.id;
        sched::add(s);
        if !sched::register(boot, Atom::intern(name), id) {
            return Err(format!("cannot register {name}"));
        }
        boot.group_leader = id;
    }
    // erts' code purger (OTP's `erts_code_purger`, registering itself), which
    // `code:purge/1`, `soft_purge/1` and `erlang:purge_module/1` ask to purge old code.
    let purger = module::export(Atom::intern("erts_code_purger"), Atom::intern("start"), 0);
    let mut s = Box::new(Process::new(sched::new_id()));
    s.start_call(purger, &[])?;
    sched::add(s);
    Ok(())
}

/// A process died of an error or throw: print OTP's logger report for it, from a new
/// process running `girder_logger:error_report(Pid, Value)`, as OTP's logger prints it
/// asynchronously.
fn report_crash(p: &mut Process, value: Term) {
    let export = module::export(
        Atom::intern("girder_logger"),
        Atom::intern("error_report"),
        2,
    );
    let pid = p.pid();
    if let Err(e) = sched::spawn(p, export, &[pid, value], sched::SpawnOpts::default()) {
        eprintln!("girder: cannot report the crash of {pid:?}: {e}");
    }
}

/// The boot process's work.
enum Boot {
    /// erl's: run the start requests through `init:boot/1`; the VM stays up afterwards.
    Erl(Vec<Start>),
    /// `girder run`: one call, whose result is printed.
    Run(StartCall),
}

/// The start requests as `init:boot/1` takes them: `{eval, Binary}` or
/// `[Module, Function | Args]`, with `-s` arguments as atoms and `-run`'s as strings.
fn start_list(p: &mut Process, starts: &[Start]) -> Term {
    let items: Vec<Term> = starts
        .iter()
        .map(|s| match s {
            Start::Eval(e) => {
                let bin = obj::binary_from_bytes(&mut p.heap, e.as_bytes());
                obj::tuple(&mut p.heap, &[Term::atom(Atom::intern("eval")), bin])
            }
            Start::Call(c) => {
                let mut words = vec![
                    Term::atom(Atom::intern(&c.module)),
                    Term::atom(Atom::intern(&c.function)),
                ];
                for a in &c.args {
                    words.push(if c.strings {
                        let chars: Vec<Term> = a.chars().map(|ch| Term::small(ch as i64)).collect();
                        obj::list_from_slice(&mut p.heap, &chars, Term::NIL)
                    } else {
                        Term::atom(Atom::intern(a))
                    });
                }
                obj::list_from_slice(&mut p.heap, &words, Term::NIL)
            }
        })
        .collect();
    obj::list_from_slice(&mut p.heap, &items, Term::NIL)
}

/// Run the boot process, with every other process running alongside. The exit status, or
/// `None` when the boot process is done and nothing will ever run again (erl then waits
/// forever).
fn run_boot(work: Boot) -> Option<i32> {
    let mut p = Box::new(Process::new(sched::new_id()));
    // erl runs the -s/-run/-eval calls in a process that traps exits.
    p.trap_exit = true;
    let boot = p.id;
    if let Err(e) = start_io(&mut p) {
        return Some(finish(CallEnd::Fault(e)));
    }
    let print_result = matches!(work, Boot::Run(_));
    let started = match &work {
        Boot::Erl(starts) => {
            let list = start_list(&mut p, starts);
            start(&mut p, "init", "boot", &[list])
        }
        Boot::Run(c) => {
            let args = start_args(&mut p, c);
            start(&mut p, &c.module, &c.function, &args)
        }
    };
    match started {
        Started::Running => {}
        Started::Finished(end) => return Some(finish(end)),
    }
    sched::add(p);
    let result = sched::run(boot, move |p, event| match event {
        sched::BootEvent::Returned(v) if print_result => {
            flush();
            println!("{}", display(v));
            sched::BootControl::Stop(0)
        }
        sched::BootEvent::Returned(_) => sched::BootControl::Done,
        sched::BootEvent::Raised {
            class,
            reason,
            trace,
        } => {
            // init:boot/1's own frames are in the trace already; `girder run` stands where
            // erl's init would.
            let trace = if print_result {
                with_init_frames(p, trace)
            } else {
                trace
            };
            let reason = sched::exit_reason(p, class, reason, trace);
            sched::BootControl::Stop(finish(CallEnd::Crashed(reason)))
        }
    });
    match result {
        Ok(status) => status,
        Err(fault) => {
            flush();
            eprintln!("girder: {fault}");
            Some(1)
        }
    }
}

/// Report how a boot call ended (when it ends the VM) and give the exit status.
fn finish(end: CallEnd) -> i32 {
    flush();
    match end {
        CallEnd::Returned => 0,
        CallEnd::Crashed(reason) => do_boot_crash(reason),
        CallEnd::Halt(n) => n,
        CallEnd::Fault(s) => {
            eprintln!("girder: {s}");
            1
        }
    }
}

/// Run erl-style: returns the exit status (or never returns, like an idle erl).
pub fn run_erl(args: ErlArgs) -> i32 {
    girder_runtime::memory::tune_allocator();
    for (var, value) in &args.env {
        // SAFETY: nothing else runs yet (no thread is started before the boot), so no
        // other thread reads the environment while it changes.
        unsafe { std::env::set_var(var, value) };
    }
    girder_bifs::init::set_printable_unicode(args.printable_unicode);
    girder_bifs::register_all();
    girder_nifs::register_all();
    girder_bifs::init::set_arguments(args.flags.clone(), args.extra.clone(), otp_root());
    set_code_path(&args.pa, &args.pz);
    if let Some(n) = args.schedulers {
        sched::set_schedulers(n);
    }
    select_engine(args.emu_flavor.as_deref(), args.perf_map, args.perf_dump);
    start_epmd(&args.flags);
    let status = run_boot(Boot::Erl(args.starts.clone()));
    flush();
    coverage_report();
    match status {
        Some(status) => status,
        // Like erl -noshell: with nothing left to do the VM waits until something halts it.
        None => loop {
            std::thread::park();
        },
    }
}

/// As erl's launcher: a node named with `-sname` or `-name` starts `epmd -daemon` (which
/// does nothing when an epmd already listens on `ERL_EPMD_PORT`, default 4369), unless
/// `-no_epmd` or `-start_epmd false` says not to. OTP's `epmd` from the OTP installation.
fn start_epmd(flags: &[(String, Vec<String>)]) {
    let has = |name: &str| flags.iter().any(|(f, _)| f == name);
    let start_epmd_false = flags
        .iter()
        .any(|(f, v)| f == "start_epmd" && v.first().map(String::as_str) == Some("false"));
    if !(has("sname") || has("name")) || has("no_epmd") || start_epmd_false {
        return;
    }
    let epmd = otp_root()
        .and_then(|root| {
            let dirs = std::fs::read_dir(&root).ok()?;
            dirs.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("erts-"))
                .map(|e| e.path().join("bin").join("epmd"))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| PathBuf::from("epmd"));
    let _ = std::process::Command::new(epmd)
        .arg("-daemon")
        .stdin(std::process::Stdio::null())
        .status();
}

/// Append the executed opcodes to `GIRDER_OPCODE_COVERAGE`, if set.
pub fn coverage_report() {
    let Some(path) = std::env::var_os("GIRDER_OPCODE_COVERAGE") else {
        return;
    };
    let names: String = girder_runtime::coverage::executed()
        .into_iter()
        .filter_map(girder_format::opcodes::info)
        .map(|o| format!("{}\n", o.name))
        .collect();
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = f.write_all(names.as_bytes());
    }
}

/// `girder run M:F [Args]`: call and print the result, exit 0; 1 on a crash.
pub fn run_function(mfa: &str, args: &[String], pa: &[PathBuf], flavor: Option<&str>) -> i32 {
    girder_bifs::register_all();
    girder_nifs::register_all();
    select_engine(flavor, false, false);
    set_code_path(pa, &[]);
    let Some((m, f)) = mfa.split_once(':') else {
        eprintln!("girder: run takes MODULE:FUNCTION, got {mfa:?}");
        return 2;
    };
    let call = StartCall {
        module: m.into(),
        function: f.into(),
        args: args.to_vec(),
        strings: true,
    };
    let status = run_boot(Boot::Run(call)).unwrap_or(0);
    flush();
    coverage_report();
    status
}

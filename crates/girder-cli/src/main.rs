//! `girder`: the command line of the girder BEAM virtual machine.
//!
//! `girder SUBCOMMAND ...` runs a girder tool (`disasm`, `run`, `bifs`, `shim`); anything
//! else is read as `erl` reads its arguments (`-noshell -pa DIR -s Mod Fun ...`). Started
//! under the name `erl` (the link `girder shim DIR` writes), girder is `erl` only.

mod boot;
mod erl_args;
mod erts_display;
mod preloaded;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use girder_format::{BeamFile, avm, disasm};

#[derive(Parser)]
#[command(
    name = "girder",
    version,
    about = "A BEAM virtual machine",
    after_help = ERL_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const ERL_HELP: &str = "\
Without a subcommand, girder takes erl's arguments: girder alone opens OTP's Erlang shell;
girder -noshell -pa DIR -s Mod Fun [Args] runs a program (also under the name erl: see
`girder shim`). ERL_AFLAGS, ERL_FLAGS, ERL_ZFLAGS and ERL_LIBS
are read as erl reads them.

erl's flags: -noshell, -noinput, -pa/-pz DIR..., -s, -run, -eval, -extra, -boot NAME (a .boot
file, default start; start_clean, start_sasl, no_dot_erlang), -boot_var, -config FILE,
-App Key Value, -env VAR VALUE, -sname/-name/-setcookie/-hidden, -emu_flavor jit|emu;
-mode is accepted and the kernel boots as under -mode minimal; -detached is refused. Other
flags are kept for init:get_argument/1.

Emulator flags applied: +S N[:M] (scheduler threads), +pc latin1|unicode, +JPperf true|map|dump.
Accepted without effect (each with its value): every other + flag, among them +A, +B, +c,
+C, +e, +hms, +hmbs, +hmax, +K, +MMscs and the other +M allocator flags, +P, +Q, +sbt,
+sbtu, +sbwt, +sbwtdcpu, +sbwtdio, +stbt, +sub, +swt, +t, +zdbbl.";

#[derive(Subcommand)]
enum Command {
    /// Print the generic instructions of .beam files (every module of an .avm pack).
    Disasm {
        /// List the chunks with their offsets and sizes instead of the code.
        #[arg(long)]
        chunks: bool,
        /// .beam or .avm files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Call MODULE:FUNCTION with string arguments, print its result, and exit.
    Run {
        /// Directories (or .avm packs) to add to the code path.
        #[arg(long = "pa")]
        pa: Vec<PathBuf>,
        /// The engine: `jit` (the default) or `emu` (the interpreter); also `-emu_flavor`.
        #[arg(long = "emu_flavor", value_parser = ["jit", "emu"])]
        emu_flavor: Option<String>,
        /// MODULE:FUNCTION
        mfa: String,
        /// Arguments, passed as a list of strings (omit for a call with no arguments).
        args: Vec<String>,
    },
    /// Compile modules with the JIT and report what it made (nothing is run).
    #[cfg(feature = "jit")]
    Jit {
        /// Print the report (functions compiled out of the total, any instruction not
        /// compiled, compile time, code size); exit with status 1 unless every function
        /// compiled.
        #[arg(long)]
        report: bool,
        /// Generate code for this target triple instead of the host (aarch64, riscv64gc,
        /// x86_64 with `-unknown-linux-gnu`), code generation only.
        #[arg(long)]
        target: Option<String>,
        /// .beam files, directories of them, or .avm packs.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// The native-code cache: `info` (where it is, what it holds), `verify` (check every
    /// entry), `clear` (empty it).
    #[cfg(feature = "jit")]
    Cache {
        #[arg(value_parser = ["info", "verify", "clear"])]
        action: String,
    },
    /// Compile modules ahead of time into the native-code cache (or into --out DIR), so
    /// that runs loading them compile nothing.
    #[cfg(feature = "jit")]
    Aot {
        /// Write the entries into this directory instead of the cache.
        #[arg(long)]
        out: Option<PathBuf>,
        /// .beam files, directories of them, or .avm packs.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Write a link named `erl` to this girder in DIR: with DIR first on the PATH, OTP's
    /// `erlc` and `escript` (and anything else that runs `erl`) run girder.
    Shim {
        /// The directory (created if missing).
        dir: PathBuf,
    },
    /// List the built-in functions girder implements.
    Bifs {
        /// Instead, list the functions of OTP's `erlang` module (or `--module`) that are
        /// implemented in C in OTP and not yet in girder.
        #[arg(long)]
        missing: bool,
        /// The module to check with --missing.
        #[arg(long, default_value = "erlang")]
        module: String,
    },
}

const SUBCOMMANDS: &[&str] = &[
    "disasm",
    "jit",
    "cache",
    "aot",
    "run",
    "bifs",
    "shim",
    "help",
    "--help",
    "-h",
    "--version",
    "-V",
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let as_erl = std::env::args_os()
        .next()
        .is_some_and(|a| std::path::Path::new(&a).file_name() == Some("erl".as_ref()));
    if as_erl
        || args
            .first()
            .is_none_or(|a| !SUBCOMMANDS.contains(&a.as_str()))
    {
        return match erl_args::parse(&erl_args::with_env_flags(&args)) {
            Ok(erl) => exit(boot::run_erl(erl)),
            Err(e) => {
                eprintln!("girder: {e}");
                ExitCode::from(2)
            }
        };
    }
    // erl spells it with one dash; so may `girder run`.
    let args = std::env::args().map(|a| {
        if a == "-emu_flavor" {
            "--emu_flavor".to_owned()
        } else {
            a
        }
    });
    let cli = Cli::parse_from(args);
    let result = match cli.command {
        Command::Disasm { chunks, files } => disasm_files(&files, chunks),
        Command::Run {
            pa,
            mfa,
            args,
            emu_flavor,
        } => return exit(boot::run_function(&mfa, &args, &pa, emu_flavor.as_deref())),
        #[cfg(feature = "jit")]
        Command::Jit {
            report,
            target,
            paths,
        } => return jit_report(&paths, target.as_deref(), report),
        #[cfg(feature = "jit")]
        Command::Cache { action } => cache_command(&action),
        #[cfg(feature = "jit")]
        Command::Aot { out, paths } => aot(&paths, out.as_deref()),
        Command::Shim { dir } => shim(&dir),
        Command::Bifs { missing: false, .. } => {
            use std::io::Write;
            let mut all = girder_bifs::all();
            all.sort();
            let mut out = std::io::stdout().lock();
            // Written, not printed: a closed pipe (`girder bifs | head`) ends it quietly.
            (|| -> std::io::Result<()> {
                for (m, f, a) in all {
                    writeln!(out, "{m}:{f}/{a}")?;
                }
                out.flush()
            })()
            .map_err(anyhow::Error::from)
        }
        Command::Bifs {
            missing: true,
            module,
        } => missing_bifs(&module),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A closed pipe (`girder disasm x.beam | head`) is not an error worth reporting.
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("girder: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `girder jit --report`: load every module under `paths` and compile each of its
/// functions, without running anything.
#[cfg(feature = "jit")]
fn jit_report(paths: &[PathBuf], target: Option<&str>, print: bool) -> ExitCode {
    girder_bifs::register_all();
    girder_nifs::register_all();
    let isa = match target.map(|t| girder_jit::isa_for(Some(t))).transpose() {
        Ok(isa) => isa,
        Err(e) => {
            eprintln!("girder: {e}");
            return ExitCode::from(2);
        }
    };
    let mut report = girder_jit::Report::default();
    let mut load_errors = Vec::new();
    for (name, bytes) in module_files(paths, &mut load_errors) {
        match girder_runtime::code_server::load_bytes(&name, &bytes) {
            Ok(module) => girder_jit::report_module(module, isa.as_ref(), &mut report),
            Err(e) => load_errors.push(e.to_string()),
        }
    }
    if print {
        let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
        let secs = report.time.as_secs_f64();
        println!("target: {}", target.unwrap_or(target_lexicon_host()));
        println!(
            "modules: {}, functions compiled to native code: {}/{} ({:.1}%)",
            report.modules,
            report.compiled,
            report.functions,
            pct(report.compiled, report.functions)
        );
        println!(
            "BEAM instructions: {} ({:.1}% with an inline fast path, the rest through the step helper)",
            report.instructions,
            pct(report.inline, report.instructions)
        );
        println!(
            "native code: {} bytes ({:.1} bytes per BEAM instruction)",
            report.bytes,
            report.bytes as f64 / report.instructions.max(1) as f64
        );
        println!(
            "compile time: {:.0} ms ({:.0} BEAM instructions per second)",
            secs * 1e3,
            report.instructions as f64 / secs.max(1e-9)
        );
        for (what, why) in &report.failures {
            println!("not compiled: {what}: {why}");
        }
        for e in &load_errors {
            println!("not loaded: {e}");
        }
    }
    if report.failures.is_empty() && load_errors.is_empty() && report.functions > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `girder cache info|verify|clear`.
#[cfg(feature = "jit")]
fn cache_command(action: &str) -> Result<()> {
    let Some(dir) = girder_jit::cache::dir() else {
        println!("the native-code cache is off (GIRDER_CACHE_DIR is empty)");
        return Ok(());
    };
    if !dir.exists() {
        println!("location: {} (empty: not created yet)", dir.display());
        return Ok(());
    }
    match action {
        "clear" => {
            let n = girder_jit::cache::clear(dir)
                .with_context(|| format!("cannot clear {}", dir.display()))?;
            println!("removed {n} entries from {}", dir.display());
            Ok(())
        }
        _ => {
            let r = girder_jit::cache::verify(dir)
                .with_context(|| format!("cannot read {}", dir.display()))?;
            println!("location: {}", dir.display());
            println!(
                "entries: {} ({} bytes, {} functions; bound {} MB)",
                r.entries,
                r.bytes,
                r.functions,
                girder_jit::cache::MAX_BYTES >> 20
            );
            for (file, why) in &r.bad {
                println!("bad entry: {}: {why}", file.display());
            }
            if action == "verify" && !r.bad.is_empty() {
                anyhow::bail!("{} of {} entries do not check out", r.bad.len(), r.entries);
            }
            if action == "verify" {
                println!("every entry checks out");
            }
            Ok(())
        }
    }
}

/// `girder aot PATHS [--out DIR]`: compile every function of every module under `paths`
/// and write cache entries.
#[cfg(feature = "jit")]
fn aot(paths: &[PathBuf], out: Option<&std::path::Path>) -> Result<()> {
    girder_bifs::register_all();
    girder_nifs::register_all();
    let mut errors = Vec::new();
    let (mut modules, mut functions) = (0, 0);
    for (name, bytes) in module_files(paths, &mut errors) {
        match girder_runtime::code_server::load_bytes(&name, &bytes) {
            Ok(module) => match girder_jit::cache::precompile(module, &bytes, out) {
                Ok(n) => {
                    modules += 1;
                    functions += n;
                }
                Err(e) => errors.push(format!("{name}: {e}")),
            },
            Err(e) => errors.push(e.to_string()),
        }
    }
    println!("compiled {functions} functions of {modules} modules");
    for e in &errors {
        eprintln!("girder aot: {e}");
    }
    if errors.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("{} modules not compiled", errors.len())
    }
}

#[cfg(feature = "jit")]
fn target_lexicon_host() -> &'static str {
    if cfg!(target_arch = "x86_64") {
        "host (x86_64)"
    } else if cfg!(target_arch = "aarch64") {
        "host (aarch64)"
    } else {
        "host"
    }
}

/// The modules under `paths`: `.beam` files, directories of them (not recursive), and the
/// modules of `.avm` packs, as (name for errors, bytes).
#[cfg(feature = "jit")]
fn module_files(paths: &[PathBuf], errors: &mut Vec<String>) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for path in paths {
        let mut files = Vec::new();
        if path.is_dir() {
            match std::fs::read_dir(path) {
                Ok(entries) => files.extend(entries.flatten().map(|e| e.path())),
                Err(e) => errors.push(format!("{}: {e}", path.display())),
            }
            files.retain(|f| f.extension().is_some_and(|e| e == "beam"));
            files.sort();
        } else {
            files.push(path.clone());
        }
        for file in files {
            let name = file.display().to_string();
            let bytes = match std::fs::read(&file) {
                Ok(b) => b,
                Err(e) => {
                    errors.push(format!("{name}: {e}"));
                    continue;
                }
            };
            if file.extension().is_some_and(|e| e == "avm") {
                match avm::parse(&bytes) {
                    Ok(pack) => {
                        for section in pack.sections.iter().filter(|s| s.is_beam()) {
                            match section.contents() {
                                Ok(c) => out.push((format!("{name}:{}", section.name), c.to_vec())),
                                Err(e) => errors.push(format!("{name}: {e}")),
                            }
                        }
                    }
                    Err(e) => errors.push(format!("{name}: {e}")),
                }
            } else {
                out.push((name, bytes));
            }
        }
    }
    out
}

/// `girder shim DIR`: the link `DIR/erl` to this executable (replacing an older link).
fn shim(dir: &std::path::Path) -> Result<()> {
    let exe = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .context("cannot find girder's own executable")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let link = dir.join("erl");
    if let Ok(meta) = std::fs::symlink_metadata(&link) {
        anyhow::ensure!(
            meta.file_type().is_symlink(),
            "{} exists and is not a link; not replacing it",
            link.display()
        );
        std::fs::remove_file(&link)
            .with_context(|| format!("cannot replace {}", link.display()))?;
    }
    std::os::unix::fs::symlink(&exe, &link)
        .with_context(|| format!("cannot write {}", link.display()))?;
    println!("{} -> {}", link.display(), exe.display());
    Ok(())
}

fn exit(status: i32) -> ExitCode {
    ExitCode::from((status & 0xff) as u8)
}

/// Print the exported functions of OTP's `module` whose Erlang body is only a stub calling
/// `erlang:nif_error` (OTP implements them in C) and that girder does not implement.
///
/// For `erlang`, also the functions written in Erlang over a stub of `erts_internal` that
/// girder lacks (`erlang:trace/3` calls `erts_internal:trace/3`), each followed by that
/// stub in parentheses.
fn missing_bifs(module: &str) -> Result<()> {
    let root =
        boot::otp_root().context("cannot find OTP (set GIRDER_OTP_ROOT or put erl on the PATH)")?;
    let read = |module: &str| -> Result<BeamFile> {
        let file = std::fs::read_dir(root.join("lib"))?
            .flatten()
            .map(|e| e.path().join("ebin").join(format!("{module}.beam")))
            .find(|p| p.is_file())
            .with_context(|| format!("no {module}.beam under {}", root.display()))?;
        let bytes = std::fs::read(&file)?;
        Ok(BeamFile::parse_file(&bytes, &file.display().to_string())?)
    };
    let missing_stubs = |module: &str, beam: &BeamFile| -> Result<Vec<(String, u32)>> {
        let implemented: std::collections::HashSet<(String, u32)> = girder_bifs::all()
            .into_iter()
            .filter(|(m, _, _)| *m == module)
            .map(|(_, f, a)| (f.to_owned(), a))
            .collect();
        // Some stubs have no C function in erts either: erts runs them, as girder does.
        let erts_runs = |f: &str, a: u32| {
            girder_runtime::loader::STUBS_ERTS_RUNS
                .iter()
                .any(|&(m, g, b)| m == module && g == f && b == a)
        };
        Ok(disasm::nif_stubs(beam)?
            .into_iter()
            .filter(|(f, a)| !implemented.contains(&(f.clone(), *a)) && !erts_runs(f, *a))
            .collect())
    };
    let name = |f: &str| girder_format::Term::Atom(f.to_owned());
    let beam = read(module)?;
    let own = missing_stubs(module, &beam)?;
    let mut missing: Vec<String> = own
        .iter()
        .map(|(f, a)| format!("{module}:{}/{a}", name(f)))
        .collect();
    if module == "erlang" {
        let internal = read("erts_internal")?;
        let lacking = missing_stubs("erts_internal", &internal)?;
        let mut wrappers: Vec<String> = disasm::remote_calls(&beam, "erts_internal")?
            .into_iter()
            .filter(|(_, _, g, b)| lacking.contains(&(g.clone(), *b)))
            .filter(|(f, a, _, _)| !own.contains(&(f.clone(), *a)))
            // girder implements some of the wrappers natively.
            .filter(|(f, a, _, _)| {
                !girder_bifs::all()
                    .into_iter()
                    .any(|(m, g, b)| m == module && g == f && b == *a)
            })
            .map(|(f, a, g, b)| {
                format!("{module}:{}/{a} (erts_internal:{}/{b})", name(&f), name(&g))
            })
            .collect();
        wrappers.sort();
        wrappers.dedup();
        missing.extend(wrappers);
    }
    missing.sort();
    for m in &missing {
        println!("{m}");
    }
    eprintln!(
        "{} functions of {module} implemented in C by OTP are missing from girder",
        missing.len()
    );
    Ok(())
}

/// Disassemble (or list the chunks of) each file in turn; stop at the first bad one.
fn disasm_files(files: &[PathBuf], chunks: bool) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for path in files {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
        if avm::is_avm(&bytes) {
            let pack = avm::parse(&bytes).map_err(|e| e.in_file(&name))?;
            for section in pack.sections.iter().filter(|s| s.is_beam()) {
                let member = format!("{name}({})", section.name);
                let beam = section
                    .contents()
                    .and_then(|b| BeamFile::parse_file(b, &member))?;
                writeln!(out, "== {member}")?;
                print_module(&mut out, &beam, chunks, &member)?;
            }
        } else {
            let beam = BeamFile::parse_file(&bytes, &name)?;
            if files.len() > 1 {
                writeln!(out, "== {name}")?;
            }
            print_module(&mut out, &beam, chunks, &name)?;
        }
    }
    Ok(())
}

fn print_module(out: &mut impl Write, beam: &BeamFile, chunks: bool, name: &str) -> Result<()> {
    if chunks {
        out.write_all(disasm::chunk_listing(beam).as_bytes())?;
    } else {
        let text = disasm::listing(beam).map_err(|e| e.in_file(name))?;
        out.write_all(text.as_bytes())?;
    }
    Ok(())
}

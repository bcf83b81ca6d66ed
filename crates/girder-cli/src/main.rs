//! `girder`: the command line of the girder BEAM virtual machine.
//!
//! `girder SUBCOMMAND ...` runs a girder tool (`disasm`, `run`, `bifs`); anything else is
//! read as `erl` reads its arguments (`-noshell -pa DIR -s Mod Fun ...`).

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
    after_help = "Without a subcommand, girder takes erl's arguments: girder -noshell -pa DIR -s Mod Fun [Args]"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

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
    "run",
    "bifs",
    "help",
    "--help",
    "-h",
    "--version",
    "-V",
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args
        .first()
        .is_none_or(|a| !SUBCOMMANDS.contains(&a.as_str()))
    {
        return match erl_args::parse(&args) {
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
        Command::Bifs { missing: false, .. } => {
            let mut all = girder_bifs::all();
            all.sort();
            for (m, f, a) in all {
                println!("{m}:{f}/{a}");
            }
            Ok(())
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

fn exit(status: i32) -> ExitCode {
    ExitCode::from((status & 0xff) as u8)
}

/// Print the exported functions of OTP's `module` whose Erlang body is only a stub calling
/// `erlang:nif_error` (OTP implements them in C) and that girder does not implement.
fn missing_bifs(module: &str) -> Result<()> {
    let root =
        boot::otp_root().context("cannot find OTP (set GIRDER_OTP_ROOT or put erl on the PATH)")?;
    let file = std::fs::read_dir(root.join("lib"))?
        .flatten()
        .map(|e| e.path().join("ebin").join(format!("{module}.beam")))
        .find(|p| p.is_file())
        .with_context(|| format!("no {module}.beam under {}", root.display()))?;
    let bytes = std::fs::read(&file)?;
    let beam = BeamFile::parse_file(&bytes, &file.display().to_string())?;
    let implemented: std::collections::HashSet<(String, u32)> = girder_bifs::all()
        .into_iter()
        .filter(|(m, _, _)| *m == module)
        .map(|(_, f, a)| (f.to_owned(), a))
        .collect();
    let stubs = disasm::nif_stubs(&beam)?;
    let mut missing: Vec<String> = stubs
        .into_iter()
        .filter(|(f, a)| !implemented.contains(&(f.clone(), *a)))
        .map(|(f, a)| format!("{module}:{}/{a}", girder_format::Term::Atom(f)))
        .collect();
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

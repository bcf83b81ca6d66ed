//! `girder`: the command line of the girder BEAM virtual machine.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use girder_format::{BeamFile, avm, disasm};

#[derive(Parser)]
#[command(name = "girder", version, about = "A BEAM virtual machine")]
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Disasm { chunks, files } => disasm_files(&files, chunks),
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

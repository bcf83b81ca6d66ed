//! `girder-bench`: compile the `bench/*.erl` programs with `erlc`, run each under `erl` and
//! every girder mode, and report the median in-process time, the ratio to erl, the
//! whole-process wall time, the peak RSS and whether girder's answer matches erl's.
//!
//! Each program prints `RESULT <name> <microseconds> <checksum>`; see BENCHMARKS.md.

mod exec;
mod results;
mod scaling;
mod vms;

use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use clap::Parser;

use results::{Run, Summary};
use vms::{Engine, REFERENCE, VMS, Vm};

/// Run the bench/ programs under erl and girder, side by side.
#[derive(Parser, Debug)]
#[command(name = "girder-bench")]
struct Args {
    /// Only these programs (comma-separated module names, e.g. fib,ring).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Small sizes and one repetition: a smoke run, not a measurement.
    #[arg(long)]
    quick: bool,
    /// Runs per program and VM [default: 5, or 1 with --quick].
    #[arg(long)]
    reps: Option<usize>,
    /// The girder binary [default: target/release/girder].
    #[arg(long)]
    girder: Option<PathBuf>,
    /// The erl binary (the reference VM).
    #[arg(long, default_value = "erl")]
    erl: PathBuf,
    /// Where to write results.csv, runs.csv, results.md and the compiled programs
    /// [default: target/bench].
    #[arg(long)]
    out: Option<PathBuf>,
    /// VMs to run, comma-separated (erl, the reference, always runs) [default: erl,girder].
    #[arg(long, value_delimiter = ',')]
    vms: Vec<String>,
    /// Time limit per run in seconds [default: 60, or 20 with --quick].
    #[arg(long)]
    timeout: Option<u64>,
    /// The directory of benchmark programs [default: bench/ in the workspace].
    #[arg(long)]
    bench_dir: Option<PathBuf>,
    /// List the programs and VMs, then exit.
    #[arg(long)]
    list: bool,
    /// Measure growth instead: run the bench/scaling/ programs at sizes N, 4N and 16N, fit
    /// the exponent of time against size for each VM, and fail when girder's exceeds erl's
    /// by more than 0.2 (0.5 with --quick). Writes scaling.csv and scaling.md.
    #[arg(long)]
    scaling: bool,
}

/// The order programs appear in the table: start-up first, then by kind of work. Programs
/// not listed here follow in alphabetical order.
const ORDER: &[&str] = &[
    "hello",
    "fib",
    "tak",
    "ack",
    "nbody",
    "mandelbrot",
    "spectral",
    "factorial",
    "pidigits",
    "nrev",
    "sort",
    "listops",
    "records",
    "mapops",
    "binaries",
    "format",
    "exceptions",
    "spawn",
    "ring",
    "selective",
    "etsops",
    "tcp_echo",
    "dist_msgs",
    "parallel",
];

fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// The module every benchmark uses to time itself and report (not a benchmark).
const HARNESS: &str = "bench_harness";

/// The module names of `dir/*.erl` (but the harness), in table order.
fn discover(dir: &Path) -> Result<Vec<String>> {
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the benchmark directory {}", dir.display()))?
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".erl")
                .filter(|m| *m != HARNESS)
                .map(str::to_owned)
        })
        .collect();
    let rank = |p: &String| ORDER.iter().position(|o| o == p).unwrap_or(ORDER.len());
    found.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
    Ok(found)
}

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("girder-bench: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn real_main() -> Result<ExitCode> {
    let args = Args::parse();
    if args.scaling {
        return scaling_main(&args);
    }
    let bench_dir = args
        .bench_dir
        .clone()
        .unwrap_or_else(|| workspace_root().join("bench"));
    let mut programs = discover(&bench_dir)?;
    let specs = vms::select(&args.vms).map_err(anyhow::Error::msg)?;

    if args.list {
        println!("programs ({}):", bench_dir.display());
        for p in &programs {
            println!("  {p}");
        }
        println!("VMs (* = default):");
        for v in VMS {
            let mark = if v.default { '*' } else { ' ' };
            println!("  {mark} {:<8} {}", v.name, v.about);
        }
        return Ok(ExitCode::SUCCESS);
    }

    if !args.only.is_empty() {
        let unknown: Vec<&String> = args.only.iter().filter(|p| !programs.contains(p)).collect();
        if !unknown.is_empty() {
            bail!(
                "no such program: {unknown:?}; programs: {}",
                programs.join(", ")
            );
        }
        programs.retain(|p| args.only.contains(p));
    }
    if programs.is_empty() {
        bail!("no programs in {}", bench_dir.display());
    }

    let girder_exe = args
        .girder
        .clone()
        .unwrap_or_else(|| target_dir().join("release/girder"));
    let vms: Vec<Vm> = specs
        .into_iter()
        .map(|spec| Vm {
            spec,
            exe: match spec.engine {
                Engine::Erl => args.erl.clone(),
                Engine::Girder => girder_exe.clone(),
            },
        })
        .collect();
    if vms.iter().any(Vm::is_girder) && !girder_exe.is_file() {
        bail!(
            "no girder binary at {}: build it with `cargo build --release -p girder-cli`, \
             or pass --girder PATH",
            girder_exe.display()
        );
    }

    let size = if args.quick { "quick" } else { "full" };
    let reps = args.reps.unwrap_or(if args.quick { 1 } else { 5 }).max(1);
    let timeout = Duration::from_secs(args.timeout.unwrap_or(if args.quick { 20 } else { 60 }));
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| target_dir().join("bench"));
    let ebin = out.join("ebin");
    std::fs::create_dir_all(&ebin).with_context(|| format!("cannot create {}", ebin.display()))?;
    let ebin = ebin.canonicalize()?;

    let machine = Machine::probe(&args.erl);
    compile(&bench_dir, &programs, &ebin)?;

    eprintln!(
        "{} programs x {} VMs x {reps} reps ({size} sizes, {} s limit per run)",
        programs.len(),
        vms.len(),
        timeout.as_secs()
    );
    let runs = run_all(&programs, &vms, &ebin, size, reps, timeout)?;

    let mut rows: Vec<Summary> = Vec::new();
    for p in &programs {
        let reference = results::summarize_runs(p, REFERENCE, &runs, None);
        let others: Vec<Summary> = vms
            .iter()
            .filter(|v| v.name() != REFERENCE)
            .map(|v| results::summarize_runs(p, v.name(), &runs, Some(&reference)))
            .collect();
        rows.push(reference);
        rows.extend(others);
    }

    let table = results::text_table(&rows);
    println!();
    print!("{table}");
    std::fs::write(out.join("results.csv"), results::summary_csv(&rows, size))?;
    std::fs::write(out.join("runs.csv"), results::runs_csv(&runs))?;
    let md = markdown(&machine, &vms, size, reps, &rows);
    std::fs::write(out.join("results.md"), md)?;
    println!(
        "\nwrote {0}/results.csv, {0}/runs.csv, {0}/results.md",
        out.display()
    );

    let reference_failed = rows
        .iter()
        .any(|r| r.vm == REFERENCE && r.status != results::Status::Ok);
    let wrong = rows.iter().any(|r| r.status.is_failure());
    if reference_failed {
        eprintln!("girder-bench: erl (the reference) failed on some programs");
    }
    if wrong {
        eprintln!("girder-bench: some answers differ from erl's");
    }
    Ok(if reference_failed || wrong {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `--scaling`: the bench/scaling/ programs, their growth exponents under every VM.
fn scaling_main(args: &Args) -> Result<ExitCode> {
    let dir = args
        .bench_dir
        .clone()
        .unwrap_or_else(|| workspace_root().join("bench/scaling"));
    let mut programs = scaling::discover(&dir)?;
    let specs = vms::select(&args.vms).map_err(anyhow::Error::msg)?;
    if args.list {
        for p in &programs {
            println!("{p}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !args.only.is_empty() {
        let wanted = |p: &String| {
            args.only
                .iter()
                .any(|o| o == p || p.strip_prefix("sc_") == Some(o.as_str()))
        };
        programs.retain(wanted);
        if programs.is_empty() {
            bail!("no scaling program matches {:?}", args.only);
        }
    }
    let girder_exe = args
        .girder
        .clone()
        .unwrap_or_else(|| target_dir().join("release/girder"));
    let vms: Vec<Vm> = specs
        .into_iter()
        .map(|spec| Vm {
            spec,
            exe: match spec.engine {
                Engine::Erl => args.erl.clone(),
                Engine::Girder => girder_exe.clone(),
            },
        })
        .collect();
    if vms.iter().any(Vm::is_girder) && !girder_exe.is_file() {
        bail!(
            "no girder binary at {}: build it with `cargo build --release -p girder-cli`, \
             or pass --girder PATH",
            girder_exe.display()
        );
    }
    let size = if args.quick { "quick" } else { "full" };
    let threshold = if args.quick {
        scaling::THRESHOLD_QUICK
    } else {
        scaling::THRESHOLD_FULL
    };
    let timeout = Duration::from_secs(args.timeout.unwrap_or(if args.quick { 60 } else { 300 }));
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| target_dir().join("bench"));
    let ebin = out.join("scaling-ebin");
    std::fs::create_dir_all(&ebin).with_context(|| format!("cannot create {}", ebin.display()))?;
    let ebin = ebin.canonicalize()?;
    let machine = Machine::probe(&args.erl);
    eprintln!(
        "{} scaling programs x {} VMs ({size} sizes, exponent threshold erl + {threshold})",
        programs.len(),
        vms.len()
    );
    let measured = scaling::measure(&dir, &programs, &vms, &ebin, size, timeout)?;
    let rows = scaling::judge(&measured, threshold);
    println!();
    print!("{}", scaling::text_table(&rows, threshold));
    std::fs::write(out.join("scaling.csv"), scaling::csv(&rows, size))?;
    let md = format!(
        "# girder scaling results\n\n\
         - date: {}, workspace HEAD {}\n\
         - sizes: {size} (N, 4N, 16N; each the fastest of 3 runs, 5 when quick, in a fresh process)\n\
         - machine: {} CPUs, {}, {} RAM, load average {} at start, {} at end\n\
         - {}\n\n\
         `exp` is the fitted exponent of time against size (1 = linear); `ms @16N` the \
         time at the largest size; a girder exponent over erl's + {threshold} is flagged.\n\n{}",
        machine.date,
        machine.commit,
        machine.cpus,
        machine.cpu_model,
        machine.memory,
        machine.loadavg,
        loadavg(),
        machine.otp,
        scaling::markdown_table(&rows, threshold)
    );
    std::fs::write(out.join("scaling.md"), md)?;
    println!("\nwrote {0}/scaling.csv, {0}/scaling.md", out.display());
    let bad: Vec<&scaling::Row> = rows
        .iter()
        .filter(|r| r.verdict != scaling::Verdict::Ok)
        .collect();
    if bad.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        for r in &bad {
            eprintln!(
                "girder-bench: {} under {}: {:?}",
                r.program, r.vm, r.verdict
            );
        }
        Ok(ExitCode::FAILURE)
    }
}

/// Compile the programs with `erlc` (from the benchmark directory, so file names in
/// stack traces are short); warnings are shown, errors stop the run.
fn compile(bench_dir: &Path, programs: &[String], ebin: &Path) -> Result<()> {
    let sources: Vec<String> = programs
        .iter()
        .chain([&HARNESS.to_owned()])
        .map(|p| format!("{p}.erl"))
        .collect();
    let out = Command::new("erlc")
        .current_dir(bench_dir)
        .arg("-o")
        .arg(ebin)
        .args(&sources)
        .output()
        .context("cannot run erlc: install OTP (`apt-get install -y erlang-nox`)")?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        bail!("erlc failed ({}):\n{text}", out.status);
    }
    if !text.trim().is_empty() {
        eprintln!("erlc:\n{text}");
    }
    Ok(())
}

/// Run every program under every VM `reps` times, interleaving the VMs so that slow drift
/// in the machine's load affects them alike. A program that fails or times out under a VM
/// is not run again under it.
fn run_all(
    programs: &[String],
    vms: &[Vm],
    ebin: &Path,
    size: &str,
    reps: usize,
    timeout: Duration,
) -> Result<Vec<Run>> {
    let total = programs.len() * vms.len() * reps;
    let mut done = 0;
    let mut given_up: HashSet<(String, &'static str)> = HashSet::new();
    let mut runs = Vec::new();
    let width = programs.iter().map(String::len).max().unwrap_or(0);
    for program in programs {
        for rep in 0..reps {
            for vm in vms {
                done += 1;
                if given_up.contains(&(program.clone(), vm.name())) {
                    continue;
                }
                eprint!(
                    "[{done:>3}/{total}] {program:<width$} {:<7} {}/{reps}: ",
                    vm.name(),
                    rep + 1
                );
                let _ = std::io::stderr().flush();
                let mut cmd = vm.command(ebin, program, size);
                let finished = exec::run(&mut cmd, timeout)
                    .with_context(|| format!("running {program} under {}", vm.name()))?;
                let run = Run::new(program, vm.name(), vm.is_girder(), rep, &finished);
                match &run.outcome {
                    results::Outcome::Result(r) => eprintln!(
                        "{:.1} ms (wall {:.0} ms, {:.1} MB)",
                        r.micros as f64 / 1e3,
                        run.wall_ms,
                        run.rss_mib
                    ),
                    results::Outcome::Unsupported { summary, .. } => {
                        eprintln!("unsupported: {summary}")
                    }
                    results::Outcome::Error { summary, .. } => eprintln!("error: {summary}"),
                    results::Outcome::Timeout => eprintln!("timeout"),
                }
                if !run.is_ok() {
                    given_up.insert((program.clone(), vm.name()));
                }
                runs.push(run);
            }
        }
    }
    Ok(runs)
}

/// What the results.md header says about the machine and the software.
struct Machine {
    cpus: usize,
    cpu_model: String,
    memory: String,
    loadavg: String,
    kernel: String,
    otp: String,
    commit: String,
    date: String,
}

impl Machine {
    fn probe(erl: &Path) -> Machine {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        let cpuinfo = read("/proc/cpuinfo");
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
            .map(|(_, m)| m.trim().to_owned())
            .unwrap_or_else(|| "unknown".into());
        let memory = read("/proc/meminfo")
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| format!("{:.1} GiB", kb as f64 / 1024.0 / 1024.0))
            .unwrap_or_else(|| "unknown".into());
        let loadavg = loadavg();
        let otp = Command::new(erl)
            .args([
                "-noshell",
                "-eval",
                "io:format(\"OTP ~s, ERTS ~s, ~p emulator, ~p schedulers\", \
                 [erlang:system_info(otp_release), erlang:system_info(version), \
                 erlang:system_info(emu_flavor), erlang:system_info(schedulers_online)]), \
                 halt().",
            ])
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "unknown".into());
        let commit = Command::new("git")
            .current_dir(workspace_root())
            .args(["rev-parse", "--short", "HEAD"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_else(|| "unknown".into());
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
            memory,
            loadavg,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
            otp,
            commit,
            date: utc_date(secs),
        }
    }
}

/// `YYYY-MM-DD HH:MM UTC` for seconds since the Unix epoch.
fn utc_date(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from a day count (proleptic Gregorian; Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn markdown(machine: &Machine, vms: &[Vm], size: &str, reps: usize, rows: &[Summary]) -> String {
    let vm_list: Vec<String> = vms
        .iter()
        .map(|v| format!("`{}` ({})", v.name(), v.exe.display()))
        .collect();
    format!(
        "# girder benchmark results\n\n\
         - date: {}, workspace HEAD {}\n\
         - sizes: {size}, {reps} run(s) per program and VM; times are medians\n\
         - machine: {} CPUs, {}, {} RAM, Linux {}, load average {} at start, {} at end\n\
         - {}\n\
         - VMs: {}\n\n\
         `in-process ms` is the workload's own time (erlang:monotonic_time around it), \
         `vs erl` that time over erl's, `wall ms` the whole process from spawn to exit \
         (start-up and `init:stop` included), `peak RSS MB` the largest resident set.\n\n\
         {}",
        machine.date,
        machine.commit,
        machine.cpus,
        machine.cpu_model,
        machine.memory,
        machine.kernel,
        machine.loadavg,
        loadavg(),
        machine.otp,
        vm_list.join(", "),
        results::markdown_table(rows)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(utc_date(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_date(951_782_400 + 3_660), "2000-02-29 01:01 UTC");
        assert_eq!(utc_date(1_767_225_599), "2025-12-31 23:59 UTC");
    }

    #[test]
    fn every_ordered_program_exists() {
        let found = discover(&workspace_root().join("bench")).unwrap();
        assert_eq!(
            &found[..ORDER.len()],
            ORDER,
            "ORDER names a missing bench/*.erl"
        );
    }
}

//! `--scaling`: how the cost of one operation grows, under erl and girder side by side.
//!
//! Each `bench/scaling/*.erl` program (but the harness) runs its operation at sizes N, 4N
//! and 16N, each in a fresh process, and prints `SCALE <name> <size> <nanoseconds>
//! <checksum>` per size (see `bench/scaling/scaling_harness.erl`). The runner fits the
//! growth exponent `k` of `time ~ size^k` by least squares on the logarithms, for every VM,
//! and flags a program whose girder exponent exceeds erl's by more than the threshold
//! (0.2; 0.5 in the quick form that CI runs): an operation that OTP does in O(1) and
//! girder in O(N) shows as an exponent one higher, whatever the constant factors.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::exec;
use crate::vms::{REFERENCE, Vm};

/// The harness module every scaling program uses (not a program).
pub const HARNESS: &str = "scaling_harness";

/// Exponent excess over erl's that flags a program.
pub const THRESHOLD_FULL: f64 = 0.2;
/// The same for the quick form: small sizes are noisy, so only a real change of growth
/// (an O(N) step where OTP has O(1), which adds 1) fails.
pub const THRESHOLD_QUICK: f64 = 0.5;

/// One `SCALE` line.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub size: u64,
    pub nanos: u64,
    pub checksum: String,
}

/// The `SCALE` lines of a program's output, in order.
pub fn parse_points(stdout: &str) -> Vec<Point> {
    stdout
        .lines()
        .filter_map(|line| {
            let mut f = line.trim_end().strip_prefix("SCALE ")?.split_whitespace();
            let _name = f.next()?;
            let size = f.next()?.parse().ok()?;
            let nanos = f.next()?.parse().ok()?;
            let checksum = f.next()?.to_owned();
            Some(Point {
                size,
                nanos,
                checksum,
            })
        })
        .collect()
}

/// The least-squares slope of ln(time) against ln(size): the growth exponent. `None` for
/// fewer than two distinct sizes.
pub fn exponent(points: &[Point]) -> Option<f64> {
    let xy: Vec<(f64, f64)> = points
        .iter()
        .map(|p| ((p.size as f64).ln(), (p.nanos.max(1) as f64).ln()))
        .collect();
    let n = xy.len() as f64;
    if xy.len() < 2 {
        return None;
    }
    let mx = xy.iter().map(|p| p.0).sum::<f64>() / n;
    let my = xy.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = xy.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = xy.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// What one program gave under one VM.
#[derive(Debug, Clone)]
pub struct Measured {
    pub program: String,
    pub vm: &'static str,
    /// The points, or why there are none.
    pub points: Result<Vec<Point>, String>,
}

/// A program's verdict for one girder VM against erl.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Ok,
    /// The girder exponent exceeds erl's by more than the threshold.
    Flagged,
    /// Checksums differ from erl's.
    Wrong,
    /// The run failed or timed out.
    Failed(String),
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct Row {
    pub program: String,
    pub vm: &'static str,
    pub sizes: String,
    pub erl_exp: Option<f64>,
    pub exp: Option<f64>,
    pub erl_ms: Option<f64>,
    pub ms: Option<f64>,
    pub verdict: Verdict,
}

/// Compares every girder VM's measurement with erl's.
pub fn judge(measured: &[Measured], threshold: f64) -> Vec<Row> {
    let mut rows = Vec::new();
    for erl in measured.iter().filter(|m| m.vm == REFERENCE) {
        let erl_points = erl.points.as_ref().ok();
        let erl_exp = erl_points.and_then(|p| exponent(p));
        let erl_ms = erl_points
            .and_then(|p| p.last())
            .map(|p| p.nanos as f64 / 1e6);
        let sizes = erl_points
            .map(|p| {
                p.iter()
                    .map(|p| p.size.to_string())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_default();
        for m in measured
            .iter()
            .filter(|m| m.program == erl.program && m.vm != REFERENCE)
        {
            let (exp, ms, verdict) = match (&m.points, erl_points) {
                (Err(e), _) => (None, None, Verdict::Failed(e.clone())),
                (Ok(_), None) => (
                    None,
                    None,
                    Verdict::Failed(format!(
                        "erl failed: {}",
                        erl.points.as_ref().err().cloned().unwrap_or_default()
                    )),
                ),
                (Ok(points), Some(reference)) => {
                    let exp = exponent(points);
                    let ms = points.last().map(|p| p.nanos as f64 / 1e6);
                    let same = points.len() == reference.len()
                        && points
                            .iter()
                            .zip(reference)
                            .all(|(a, b)| a.size == b.size && a.checksum == b.checksum);
                    let verdict = if !same {
                        Verdict::Wrong
                    } else {
                        match (exp, erl_exp) {
                            (Some(g), Some(e)) if g > e + threshold => Verdict::Flagged,
                            (Some(_), Some(_)) => Verdict::Ok,
                            _ => Verdict::Failed("too few sizes to fit".into()),
                        }
                    };
                    (exp, ms, verdict)
                }
            };
            rows.push(Row {
                program: m.program.clone(),
                vm: m.vm,
                sizes: sizes.clone(),
                erl_exp,
                exp,
                erl_ms,
                ms,
                verdict,
            });
        }
    }
    rows
}

fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.digits$}"))
}

fn verdict_text(v: &Verdict, threshold: f64) -> String {
    match v {
        Verdict::Ok => "ok".into(),
        Verdict::Flagged => format!("FLAGGED (> erl + {threshold})"),
        Verdict::Wrong => "WRONG (checksum differs from erl's)".into(),
        Verdict::Failed(e) => format!("FAILED: {e}"),
    }
}

fn cells(r: &Row, threshold: f64) -> [String; 9] {
    let ratio = match (r.ms, r.erl_ms) {
        (Some(g), Some(e)) if e > 0.0 => format!("{:.1}", g / e),
        _ => "-".into(),
    };
    let name = r
        .program
        .strip_prefix("sc_")
        .unwrap_or(&r.program)
        .to_owned();
    [
        name,
        r.vm.to_owned(),
        r.sizes.clone(),
        fmt_opt(r.erl_exp, 2),
        fmt_opt(r.exp, 2),
        fmt_opt(r.erl_ms, 2),
        fmt_opt(r.ms, 2),
        ratio,
        verdict_text(&r.verdict, threshold),
    ]
}

const HEADERS: [&str; 9] = [
    "operation",
    "vm",
    "sizes",
    "erl exp",
    "exp",
    "erl ms @16N",
    "ms @16N",
    "vs erl @16N",
    "verdict",
];

/// The table as plain text.
pub fn text_table(rows: &[Row], threshold: f64) -> String {
    let all: Vec<[String; 9]> = rows.iter().map(|r| cells(r, threshold)).collect();
    let mut widths = HEADERS.map(str::len);
    for c in &all {
        for (w, s) in widths.iter_mut().zip(c) {
            *w = (*w).max(s.len());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, c: &[String]| {
        let parts: Vec<String> = c
            .iter()
            .zip(widths)
            .map(|(s, w)| format!("{s:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", parts.join("  ").trim_end());
    };
    line(&mut out, &HEADERS.map(str::to_owned));
    for c in &all {
        line(&mut out, c);
    }
    out
}

/// The table as markdown.
pub fn markdown_table(rows: &[Row], threshold: f64) -> String {
    let mut out = format!("| {} |\n", HEADERS.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(HEADERS.len()));
    for r in rows {
        let _ = writeln!(out, "| {} |", cells(r, threshold).join(" | "));
    }
    out
}

/// The table as CSV.
pub fn csv(rows: &[Row], mode: &str) -> String {
    let mut out = String::from(
        "program,vm,mode,sizes,erl_exponent,exponent,erl_ms_largest,ms_largest,verdict\n",
    );
    for r in rows {
        let verdict = match &r.verdict {
            Verdict::Ok => "ok".to_owned(),
            Verdict::Flagged => "flagged".to_owned(),
            Verdict::Wrong => "wrong".to_owned(),
            Verdict::Failed(e) => format!("failed: {}", e.replace(['"', '\n'], " ")),
        };
        let _ = writeln!(
            out,
            "{},{},{mode},{},{},{},{},{},\"{verdict}\"",
            r.program,
            r.vm,
            r.sizes,
            fmt_opt(r.erl_exp, 3),
            fmt_opt(r.exp, 3),
            fmt_opt(r.erl_ms, 3),
            fmt_opt(r.ms, 3),
        );
    }
    out
}

/// The module names of `dir/*.erl` but the harness, sorted.
pub fn discover(dir: &Path) -> Result<Vec<String>> {
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".erl")
                .filter(|m| *m != HARNESS)
                .map(str::to_owned)
        })
        .collect();
    found.sort();
    Ok(found)
}

fn compile(dir: &Path, programs: &[String], ebin: &Path) -> Result<()> {
    let sources: Vec<String> = programs
        .iter()
        .map(String::as_str)
        .chain([HARNESS])
        .map(|p| format!("{p}.erl"))
        .collect();
    let out = Command::new("erlc")
        .current_dir(dir)
        .arg("-o")
        .arg(ebin)
        .args(&sources)
        .output()
        .context("cannot run erlc: install OTP (`apt-get install -y erlang-nox`)")?;
    if !out.status.success() {
        bail!(
            "erlc failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// The last line of the output that says something, cut short.
fn summary(text: &str) -> String {
    let line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    if line.chars().count() > 160 {
        format!("{}...", line.chars().take(160).collect::<String>())
    } else {
        line.to_owned()
    }
}

/// Runs every program under every VM (interleaved, one process per program and VM).
pub fn measure(
    dir: &Path,
    programs: &[String],
    vms: &[Vm],
    ebin: &Path,
    size: &str,
    timeout: Duration,
) -> Result<Vec<Measured>> {
    compile(dir, programs, ebin)?;
    let mut all = Vec::new();
    let total = programs.len() * vms.len();
    let mut done = 0;
    for program in programs {
        for vm in vms {
            done += 1;
            eprint!("[{done:>3}/{total}] {program:<18} {:<7} ", vm.name());
            let mut cmd = vm.command(ebin, program, size);
            let f = exec::run(&mut cmd, timeout)
                .with_context(|| format!("running {program} under {}", vm.name()))?;
            let points = parse_points(&f.stdout);
            let result = match f.exit {
                exec::Exit::TimedOut => Err(format!("timed out after {} s", timeout.as_secs())),
                exec::Exit::Code(0) if points.len() >= 2 => Ok(points),
                _ => Err(format!(
                    "{}: {}",
                    f.exit,
                    summary(&format!("{}\n{}", f.stdout, f.stderr))
                )),
            };
            match &result {
                Ok(p) => eprintln!(
                    "{} (exponent {})",
                    p.iter()
                        .map(|p| format!("{:.2} ms", p.nanos as f64 / 1e6))
                        .collect::<Vec<_>>()
                        .join(", "),
                    fmt_opt(exponent(p), 2)
                ),
                Err(e) => eprintln!("{e}"),
            }
            all.push(Measured {
                program: program.clone(),
                vm: vm.name(),
                points: result,
            });
        }
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(v: &[(u64, u64)]) -> Vec<Point> {
        v.iter()
            .map(|&(size, nanos)| Point {
                size,
                nanos,
                checksum: "1".into(),
            })
            .collect()
    }

    #[test]
    fn exponents() {
        let linear = exponent(&pts(&[(1, 100), (4, 400), (16, 1600)])).unwrap();
        assert!((linear - 1.0).abs() < 1e-9);
        let quadratic = exponent(&pts(&[(10, 100), (40, 1600), (160, 25600)])).unwrap();
        assert!((quadratic - 2.0).abs() < 1e-9);
        let flat = exponent(&pts(&[(10, 50), (40, 50), (160, 50)])).unwrap();
        assert!(flat.abs() < 1e-9);
        assert_eq!(exponent(&pts(&[(10, 50)])), None);
    }

    #[test]
    fn parsing() {
        let p = parse_points("hello\nSCALE pdict 100 2500 77\nSCALE pdict 400 9000 78\n");
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].size, 400);
        assert_eq!(p[1].nanos, 9000);
        assert_eq!(p[1].checksum, "78");
    }

    #[test]
    fn verdicts() {
        let m = |vm: &'static str, points: Vec<Point>| Measured {
            program: "sc_x".into(),
            vm,
            points: Ok(points),
        };
        let erl = m(REFERENCE, pts(&[(1, 100), (4, 400), (16, 1600)]));
        let quad = m("girder", pts(&[(1, 100), (4, 1600), (16, 25600)]));
        let rows = judge(&[erl.clone(), quad], THRESHOLD_FULL);
        assert_eq!(rows[0].verdict, Verdict::Flagged);
        let slower = m("girder", pts(&[(1, 300), (4, 1200), (16, 4800)]));
        let rows = judge(&[erl.clone(), slower], THRESHOLD_FULL);
        assert_eq!(rows[0].verdict, Verdict::Ok);
        let mut wrong = pts(&[(1, 100), (4, 400), (16, 1600)]);
        wrong[2].checksum = "2".into();
        let rows = judge(&[erl, m("girder", wrong)], THRESHOLD_FULL);
        assert_eq!(rows[0].verdict, Verdict::Wrong);
    }
}

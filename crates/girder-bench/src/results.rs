//! What the runs produced: one record per run, a summary per program and VM with its
//! status, and the table (plain text, markdown, CSV).

use std::fmt::Write as _;

use crate::exec::{Exit, Finished};

/// The line every benchmark prints: `RESULT <name> <microseconds> <checksum>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultLine {
    pub name: String,
    pub micros: u64,
    pub checksum: String,
}

/// Find the `RESULT` line in a program's standard output.
pub fn parse_result(stdout: &str) -> Option<ResultLine> {
    stdout.lines().find_map(|line| {
        let mut f = line.trim_end().strip_prefix("RESULT ")?.split_whitespace();
        let name = f.next()?.to_owned();
        let micros = f.next()?.parse().ok()?;
        let checksum = f.collect::<Vec<_>>().join(" ");
        (!checksum.is_empty()).then_some(ResultLine {
            name,
            micros,
            checksum,
        })
    })
}

/// How one run ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// It printed its RESULT line and exited normally.
    Result(ResultLine),
    /// The VM cannot run the program yet (an instruction or a BIF it lacks).
    Unsupported {
        summary: String,
        detail: String,
    },
    /// Anything else that went wrong.
    Error {
        summary: String,
        detail: String,
    },
    Timeout,
}

/// One run of one program under one VM.
#[derive(Debug, Clone)]
pub struct Run {
    pub program: String,
    pub vm: &'static str,
    pub rep: usize,
    pub wall_ms: f64,
    pub rss_mib: f64,
    pub exit: Exit,
    pub outcome: Outcome,
}

impl Run {
    pub fn new(program: &str, vm: &'static str, girder: bool, rep: usize, f: &Finished) -> Run {
        let outcome = classify(program, girder, f);
        Run {
            program: program.to_owned(),
            vm,
            rep,
            wall_ms: f.wall.as_secs_f64() * 1e3,
            rss_mib: f.max_rss_kib as f64 / 1024.0,
            exit: f.exit,
            outcome,
        }
    }

    pub fn is_ok(&self) -> bool {
        matches!(self.outcome, Outcome::Result(_))
    }
}

fn classify(program: &str, girder: bool, f: &Finished) -> Outcome {
    if f.exit == Exit::TimedOut {
        return Outcome::Timeout;
    }
    let result = parse_result(&f.stdout);
    match (&result, f.exit) {
        (Some(r), Exit::Code(0)) if r.name == program => {
            return Outcome::Result(result.unwrap());
        }
        (Some(r), Exit::Code(0)) => {
            let detail = format!("RESULT line names {:?}, expected {program:?}", r.name);
            return Outcome::Error {
                summary: detail.clone(),
                detail,
            };
        }
        _ => {}
    }
    let first = |s: &str| {
        s.lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(str::to_owned)
    };
    let detail = first(&f.stderr)
        .or_else(|| first(&f.stdout))
        .unwrap_or_else(|| format!("{} and no RESULT line", f.exit));
    let summary = summarize(&detail);
    if girder && (detail.contains("not implemented") || detail.contains("{undef,[{")) {
        Outcome::Unsupported { summary, detail }
    } else {
        Outcome::Error { summary, detail }
    }
}

/// A short form of a failure's first line for the table: `undef M:F` for a missing
/// function, girder's own message without its `girder: ` prefix, else the line cut short.
pub fn summarize(line: &str) -> String {
    if let Some(i) = line.find("{undef,[{") {
        let rest = &line[i + "{undef,[{".len()..];
        let mut parts = rest.splitn(3, ',');
        if let (Some(m), Some(f)) = (parts.next(), parts.next()) {
            return format!("undef {m}:{f}");
        }
    }
    let line = line.strip_prefix("girder: ").unwrap_or(line);
    const MAX: usize = 90;
    if line.chars().count() > MAX {
        let cut: String = line.chars().take(MAX).collect();
        format!("{cut}...")
    } else {
        line.to_owned()
    }
}

/// The verdict for one program under one VM.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Ok,
    /// The checksum differs from the reference VM's: a wrong answer.
    Mismatch {
        got: String,
        expected: String,
    },
    /// Repetitions disagree with each other.
    Varies,
    Unsupported(String),
    Error(String),
    Timeout,
    /// The reference VM did not produce a checksum to compare with.
    Unchecked,
}

impl Status {
    /// A wrong answer or a reference failure: the runner exits unsuccessfully.
    pub fn is_failure(&self) -> bool {
        matches!(self, Status::Mismatch { .. } | Status::Varies)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Ok => write!(f, "ok"),
            Status::Mismatch { got, expected } => {
                write!(f, "checksum mismatch: {got}, expected {expected}")
            }
            Status::Varies => write!(f, "checksum varies between runs"),
            Status::Unsupported(why) => write!(f, "unsupported: {why}"),
            Status::Error(why) => write!(f, "error: {why}"),
            Status::Timeout => write!(f, "timeout"),
            Status::Unchecked => write!(f, "ok (unchecked: reference failed)"),
        }
    }
}

/// One row of the table: a program under a VM, over its repetitions.
#[derive(Debug, Clone)]
pub struct Summary {
    pub program: String,
    pub vm: &'static str,
    pub runs: usize,
    pub ok_runs: usize,
    pub median_us: Option<f64>,
    pub min_us: Option<u64>,
    /// This VM's median over the reference VM's (not set on the reference's own rows).
    pub ratio: Option<f64>,
    pub median_wall_ms: Option<f64>,
    pub peak_rss_mib: Option<f64>,
    pub checksum: Option<String>,
    pub status: Status,
    /// The first line of the failure, in full.
    pub detail: String,
}

pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

/// Summarise the runs of `program` under `vm`; `reference` is the reference VM's summary
/// of the same program (None when summarising the reference itself).
pub fn summarize_runs(
    program: &str,
    vm: &'static str,
    runs: &[Run],
    reference: Option<&Summary>,
) -> Summary {
    let mine: Vec<&Run> = runs
        .iter()
        .filter(|r| r.program == program && r.vm == vm)
        .collect();
    let results: Vec<&ResultLine> = mine
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Result(res) => Some(res),
            _ => None,
        })
        .collect();
    let ok: Vec<&&Run> = mine.iter().filter(|r| r.is_ok()).collect();
    let median_us = median(&mut results.iter().map(|r| r.micros as f64).collect::<Vec<_>>());
    let min_us = results.iter().map(|r| r.micros).min();
    let median_wall_ms = median(&mut ok.iter().map(|r| r.wall_ms).collect::<Vec<_>>());
    let peak_rss_mib = ok.iter().map(|r| r.rss_mib).reduce(f64::max);
    let checksum = results.first().map(|r| r.checksum.clone());
    let failure = mine.iter().find(|r| !r.is_ok());

    let (status, detail) = match failure.map(|r| &r.outcome) {
        Some(Outcome::Timeout) => (Status::Timeout, String::new()),
        Some(Outcome::Unsupported { summary, detail }) => {
            (Status::Unsupported(summary.clone()), detail.clone())
        }
        Some(Outcome::Error { summary, detail }) => {
            (Status::Error(summary.clone()), detail.clone())
        }
        Some(Outcome::Result(_)) => unreachable!("a failed run has no result"),
        None if results
            .iter()
            .any(|r| Some(&r.checksum) != checksum.as_ref()) =>
        {
            (Status::Varies, String::new())
        }
        None => match (reference, &checksum) {
            (None, _) => (Status::Ok, String::new()),
            (Some(reference), Some(got)) => match &reference.checksum {
                Some(expected) if reference.status == Status::Ok => {
                    if got == expected {
                        (Status::Ok, String::new())
                    } else {
                        let status = Status::Mismatch {
                            got: got.clone(),
                            expected: expected.clone(),
                        };
                        (status, String::new())
                    }
                }
                _ => (Status::Unchecked, String::new()),
            },
            (Some(_), None) => (Status::Error("no runs".into()), String::new()),
        },
    };
    let ratio = match (reference.and_then(|r| r.median_us), median_us) {
        (Some(base), Some(mine)) if base > 0.0 => Some(mine / base),
        _ => None,
    };
    Summary {
        program: program.to_owned(),
        vm,
        runs: mine.len(),
        ok_runs: ok.len(),
        median_us,
        min_us,
        ratio,
        median_wall_ms,
        peak_rss_mib,
        checksum,
        status,
        detail,
    }
}

fn fmt_ms(us: Option<f64>) -> String {
    us.map_or_else(|| "-".into(), |us| fmt_num(us / 1e3))
}

fn fmt_num(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn fmt_ratio(r: Option<f64>) -> String {
    r.map_or_else(String::new, |r| {
        if r >= 10.0 {
            format!("{r:.1}x")
        } else if r >= 0.1 {
            format!("{r:.2}x")
        } else {
            format!("{r:.3}x")
        }
    })
}

const HEADER: [&str; 7] = [
    "program",
    "vm",
    "in-process ms",
    "vs erl",
    "wall ms",
    "peak RSS MB",
    "status",
];

fn cells(s: &Summary) -> [String; 7] {
    [
        s.program.clone(),
        s.vm.to_owned(),
        fmt_ms(s.median_us),
        fmt_ratio(s.ratio),
        s.median_wall_ms.map_or_else(|| "-".into(), fmt_num),
        s.peak_rss_mib
            .map_or_else(|| "-".into(), |m| format!("{m:.1}")),
        s.status.to_string(),
    ]
}

/// The table as aligned plain text (numbers right-aligned, the status last).
pub fn text_table(rows: &[Summary]) -> String {
    let body: Vec<[String; 7]> = rows.iter().map(cells).collect();
    let mut widths = HEADER.map(str::len);
    for row in &body {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |row: &[String]| {
        let mut l = String::new();
        for (i, (c, w)) in row.iter().zip(widths).enumerate() {
            match i {
                0 | 1 => {
                    let _ = write!(l, "{c:<w$}  ");
                }
                6 => l.push_str(c),
                _ => {
                    let _ = write!(l, "{c:>w$}  ");
                }
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&HEADER.map(str::to_owned));
    for row in &body {
        line(row);
    }
    out
}

/// The table in markdown.
pub fn markdown_table(rows: &[Summary]) -> String {
    let mut out = format!("| {} |\n", HEADER.join(" | "));
    out.push_str("| --- | --- | ---: | ---: | ---: | ---: | --- |\n");
    for row in rows {
        let c = cells(row).map(|c| c.replace('|', "\\|"));
        let _ = writeln!(out, "| {} |", c.join(" | "));
    }
    out
}

/// A CSV field, quoted when it needs to be.
fn csv(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(String::new, |v| v.to_string())
}

/// The summary table as CSV: one row per program and VM.
pub fn summary_csv(rows: &[Summary], mode: &str) -> String {
    let mut out = String::from(
        "program,vm,mode,runs,ok_runs,median_us,min_us,ratio_vs_erl,median_wall_ms,\
         peak_rss_mb,checksum,status,detail\n",
    );
    for s in rows {
        let fields = [
            s.program.clone(),
            s.vm.to_owned(),
            mode.to_owned(),
            s.runs.to_string(),
            s.ok_runs.to_string(),
            opt(s.median_us.map(|v| format!("{v:.0}"))),
            opt(s.min_us),
            opt(s.ratio.map(|r| format!("{r:.3}"))),
            opt(s.median_wall_ms.map(|v| format!("{v:.1}"))),
            opt(s.peak_rss_mib.map(|v| format!("{v:.1}"))),
            s.checksum.clone().unwrap_or_default(),
            s.status.to_string(),
            s.detail.clone(),
        ];
        let fields: Vec<String> = fields.iter().map(|f| csv(f)).collect();
        let _ = writeln!(out, "{}", fields.join(","));
    }
    out
}

/// Every run as CSV.
pub fn runs_csv(runs: &[Run]) -> String {
    let mut out = String::from("program,vm,rep,micros,checksum,wall_ms,rss_mb,exit,outcome\n");
    for r in runs {
        let (micros, checksum, outcome) = match &r.outcome {
            Outcome::Result(res) => (res.micros.to_string(), res.checksum.clone(), "ok".into()),
            Outcome::Unsupported { detail, .. } => (
                String::new(),
                String::new(),
                format!("unsupported: {detail}"),
            ),
            Outcome::Error { detail, .. } => {
                (String::new(), String::new(), format!("error: {detail}"))
            }
            Outcome::Timeout => (String::new(), String::new(), "timeout".into()),
        };
        let fields = [
            r.program.clone(),
            r.vm.to_owned(),
            r.rep.to_string(),
            micros,
            checksum,
            format!("{:.1}", r.wall_ms),
            format!("{:.1}", r.rss_mib),
            r.exit.to_string(),
            outcome,
        ];
        let fields: Vec<String> = fields.iter().map(|f| csv(f)).collect();
        let _ = writeln!(out, "{}", fields.join(","));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn finished(exit: Exit, stdout: &str, stderr: &str) -> Finished {
        Finished {
            exit,
            wall: Duration::from_millis(10),
            max_rss_kib: 2048,
            stdout: stdout.into(),
            stderr: stderr.into(),
        }
    }

    #[test]
    fn result_lines() {
        assert_eq!(
            parse_result("hello\nRESULT fib 1234 832040\n"),
            Some(ResultLine {
                name: "fib".into(),
                micros: 1234,
                checksum: "832040".into()
            })
        );
        assert_eq!(parse_result("RESULT fib x 1\n"), None);
        assert_eq!(parse_result("RESULT fib 12\n"), None);
        assert_eq!(parse_result("no result\n"), None);
    }

    #[test]
    fn failures_are_summarised() {
        assert_eq!(
            summarize(
                "init terminating in do_boot ({undef,[{math,sqrt,[1.01],[]},{nbody,pairs,4,[]}]})"
            ),
            "undef math:sqrt"
        );
        assert_eq!(
            summarize("girder: instruction send (in ring) is not implemented by girder yet"),
            "instruction send (in ring) is not implemented by girder yet"
        );
        assert_eq!(summarize(&"x".repeat(200)).len(), 93);
    }

    #[test]
    fn runs_are_classified() {
        let ok = finished(Exit::Code(0), "RESULT fib 10 55\n", "");
        assert!(matches!(
            Run::new("fib", "girder", true, 0, &ok).outcome,
            Outcome::Result(_)
        ));
        let wrong_name = finished(Exit::Code(0), "RESULT tak 10 55\n", "");
        assert!(matches!(
            Run::new("fib", "girder", true, 0, &wrong_name).outcome,
            Outcome::Error { .. }
        ));
        let missing = finished(
            Exit::Code(1),
            "",
            "girder: instruction put_map_assoc (in m) is not implemented by girder yet\nmore\n",
        );
        assert!(matches!(
            Run::new("m", "girder", true, 0, &missing).outcome,
            Outcome::Unsupported { .. }
        ));
        // The same failure from erl is an error, not "unsupported".
        assert!(matches!(
            Run::new("m", "erl", false, 0, &missing).outcome,
            Outcome::Error { .. }
        ));
        let slow = finished(Exit::TimedOut, "", "");
        assert!(matches!(
            Run::new("m", "girder", true, 0, &slow).outcome,
            Outcome::Timeout
        ));
    }

    #[test]
    fn summaries_compare_with_the_reference() {
        let run = |vm, stdout: &str| {
            Run::new(
                "fib",
                vm,
                vm == "girder",
                0,
                &finished(Exit::Code(0), stdout, ""),
            )
        };
        let runs = vec![
            run("erl", "RESULT fib 100 55\n"),
            run("erl", "RESULT fib 300 55\n"),
            run("girder", "RESULT fib 1000 55\n"),
            run("girder", "RESULT fib 2000 55\n"),
            run("bad", "RESULT fib 2000 56\n"),
        ];
        let erl = summarize_runs("fib", "erl", &runs, None);
        assert_eq!(erl.status, Status::Ok);
        assert_eq!(erl.median_us, Some(200.0));
        let girder = summarize_runs("fib", "girder", &runs, Some(&erl));
        assert_eq!(girder.status, Status::Ok);
        assert_eq!(girder.ratio, Some(7.5));
        assert_eq!(girder.peak_rss_mib, Some(2.0));
        let bad = summarize_runs("fib", "bad", &runs, Some(&erl));
        assert!(matches!(bad.status, Status::Mismatch { .. }));
        let table = text_table(&[erl, girder, bad]);
        assert!(table.contains("7.50x"), "{table}");
    }

    #[test]
    fn csv_quotes_fields() {
        assert_eq!(csv("plain"), "plain");
        assert_eq!(csv("a,b"), "\"a,b\"");
        assert_eq!(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}

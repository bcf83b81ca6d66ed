//! The Erlang program corpus (`tests/erlang/*.erl`) run by girder and by OTP's `erl`, the
//! reference: `VM -noshell -pa DIR -s PROG main -s init stop`, both in the directory of the
//! compiled modules with `ERL_CRASH_DUMP_SECONDS=0`.
//!
//! A program matches when girder's standard output is byte-identical to erl's, its exit
//! status is the same and, when erl reports `init terminating in do_boot` on standard
//! error, girder does too; girder must match under both engines (the interpreter,
//! `-emu_flavor emu`, and the JIT with `GIRDER_JIT_THRESHOLD=0`, so that every function the
//! program runs is compiled), each with `+S 1`, `+S 2` and `GIRDER_GC_STRESS=1`, and the
//! interpreter also with its default scheduler threads.
//! Programs in `tests/erlang/pending.txt` must still differ (when one starts to match, it
//! is to be removed from the list); all others must match.
//!
//! `scripts/cross-test` runs the same comparison against another build of girder (see
//! [`girder_command`]): `GIRDER_BIN` is the binary, `GIRDER_RUNNER` a command line that
//! runs it (an emulator: `qemu-aarch64 -L /`), `GIRDER_FLAGS` flags added to every variant
//! (`-emu_flavor jit`), `GIRDER_PROGRAMS` limits the run to the listed programs and
//! `GIRDER_VARIANTS` to the listed variants (see [`VARIANTS`]).

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use girder_testkit::{
    Captured, ErlangCorpus, Exit, erlang_corpus, parallel_map, parse_pending, program_timeout,
    run_captured,
};

/// The programs mostly wait on erl's start and stop, so more threads than cores pay off.
const THREADS: usize = 8;
const ERL_TIMEOUT: Duration = Duration::from_secs(60);
const DO_BOOT: &str = "init terminating in do_boot";

fn corpus() -> &'static ErlangCorpus {
    static CORPUS: OnceLock<ErlangCorpus> = OnceLock::new();
    CORPUS.get_or_init(|| erlang_corpus("erlang-programs"))
}

/// Two erl runs of every program (in `corpus().programs` order): the reference output,
/// and a second run to show that it is deterministic.
fn erl_runs() -> &'static [[Captured; 2]] {
    static RUNS: OnceLock<Vec<[Captured; 2]>> = OnceLock::new();
    RUNS.get_or_init(|| {
        let c = corpus();
        let jobs: Vec<(&str, usize)> = c
            .programs
            .iter()
            .flat_map(|p| [(p.as_str(), 0), (p.as_str(), 1)])
            .collect();
        let mut runs = parallel_map(&jobs, THREADS, |(p, _)| {
            run_captured(&mut c.command(Path::new("erl"), p), ERL_TIMEOUT)
        })
        .into_iter();
        c.programs
            .iter()
            .map(|_| [runs.next().unwrap(), runs.next().unwrap()])
            .collect()
    })
}

/// Environment variables for a run.
type Env = &'static [(&'static str, &'static str)];

/// The ways girder runs each program (flags, environment); each must match erl.
const VARIANTS: &[(&str, &[&str], Env)] = &[
    ("emu", &["-emu_flavor", "emu"], &[]),
    ("emu +S 1", &["-emu_flavor", "emu", "+S", "1"], &[]),
    ("emu +S 2", &["-emu_flavor", "emu", "+S", "2"], &[]),
    (
        "emu +S 2 GIRDER_GC_STRESS=1",
        &["-emu_flavor", "emu", "+S", "2"],
        &[("GIRDER_GC_STRESS", "1")],
    ),
    ("jit +S 1", &["+S", "1"], &[("GIRDER_JIT_THRESHOLD", "0")]),
    ("jit +S 2", &["+S", "2"], &[("GIRDER_JIT_THRESHOLD", "0")]),
    (
        "jit +S 2 GIRDER_GC_STRESS=1",
        &["+S", "2"],
        &[("GIRDER_JIT_THRESHOLD", "0"), ("GIRDER_GC_STRESS", "1")],
    ),
];

/// The variants to run: all, or those named in `GIRDER_VARIANTS` (names separated by
/// commas; each must exist).
fn variants() -> Vec<&'static (&'static str, &'static [&'static str], Env)> {
    let list = std::env::var("GIRDER_VARIANTS").unwrap_or_default();
    if list.trim().is_empty() {
        return VARIANTS.iter().collect();
    }
    list.split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(|w| {
            VARIANTS
                .iter()
                .find(|v| v.0 == w)
                .unwrap_or_else(|| panic!("GIRDER_VARIANTS: no variant {w:?}"))
        })
        .collect()
}

/// The girder under test, as the command's program and its first arguments: this crate's
/// binary, or `GIRDER_BIN` run by `GIRDER_RUNNER` (both split at whitespace), with the
/// `GIRDER_FLAGS`.
fn girder_command() -> Vec<String> {
    let words = |var: &str| -> Vec<String> {
        std::env::var(var)
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    let mut argv = words("GIRDER_RUNNER");
    argv.push(
        std::env::var("GIRDER_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_girder").to_owned()),
    );
    argv.extend(words("GIRDER_FLAGS"));
    argv
}

/// The programs to compare: all of them, or those named in `GIRDER_PROGRAMS` (separated by
/// spaces or commas; each must exist).
fn selected(c: &ErlangCorpus) -> Vec<usize> {
    let list = std::env::var("GIRDER_PROGRAMS").unwrap_or_default();
    if list.trim().is_empty() {
        return (0..c.programs.len()).collect();
    }
    list.split([' ', ',', '\n'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            c.programs
                .iter()
                .position(|p| p == w)
                .unwrap_or_else(|| panic!("GIRDER_PROGRAMS: no program {w} in tests/erlang"))
        })
        .collect()
}

fn girder(program: &str, flags: &[&str], env: &[(&str, &str)]) -> Captured {
    let argv = girder_command();
    let harness = corpus().command(Path::new(&argv[0]), program);
    let mut cmd = Command::new(harness.get_program());
    cmd.args(&argv[1..]).args(harness.get_args()).args(flags);
    if let Some(dir) = harness.get_current_dir() {
        cmd.current_dir(dir);
    }
    for (k, v) in harness.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    cmd.envs(env.iter().copied());
    run_captured(&mut cmd, program_timeout())
}

#[test]
fn programs_match_erl() {
    let c = corpus();
    let reference = erl_runs();
    let indices = selected(c);
    // One JIT run first, alone: it fills the native-code cache with the boot's modules,
    // which every later run then loads instead of each compiling them at once.
    if let (Some((_, flags, env)), Some(&first)) = (
        variants()
            .into_iter()
            .find(|v| v.2.iter().any(|(k, _)| *k == "GIRDER_JIT_THRESHOLD")),
        indices.first(),
    ) {
        girder(&c.programs[first], flags, env);
    }
    let outcomes = parallel_map(&indices, THREADS, |&i| {
        let program = &c.programs[i];
        let erl = &reference[i][0];
        let mut diffs = Vec::new();
        for (name, flags, env) in variants() {
            diffs = differences(erl, &girder(program, flags, env));
            for d in &mut diffs {
                d.insert_str(0, &format!("with {name}: "));
            }
            if !diffs.is_empty() {
                break;
            }
        }
        (program, diffs)
    });

    let mut failures = Vec::new();
    let (mut matching, mut pending) = (0, 0);
    for (program, diffs) in outcomes {
        match (c.pending.get(program), diffs.is_empty()) {
            (None, true) => matching += 1,
            (Some(_), false) => pending += 1,
            (Some(reason), true) => failures.push(format!(
                "{program} now matches erl (pending because: {reason}): \
                 remove {program} from tests/erlang/pending.txt"
            )),
            (None, false) => failures.push(format!(
                "{program} differs from erl (list it in tests/erlang/pending.txt if expected):\n{}",
                diffs.join("\n")
            )),
        }
    }
    println!(
        "{} programs ({}): {matching} match erl, {pending} pending, {} failures",
        indices.len(),
        girder_command().join(" "),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} programs failed:\n\n{}",
        failures.len(),
        indices.len(),
        failures.join("\n\n")
    );
}

/// The corpus itself is sound: every program prints something under erl, the same on every
/// run, finishes in time, and a clean exit leaves standard error empty.
#[test]
fn erl_output_is_deterministic() {
    let c = corpus();
    let mut problems = Vec::new();
    for (program, [first, second]) in c.programs.iter().zip(erl_runs()) {
        if first.stdout.is_empty() {
            problems.push(format!("{program}: erl printed nothing"));
        }
        if matches!(first.exit, Exit::TimedOut | Exit::Signal(_)) {
            problems.push(format!("{program}: erl {}", first.exit));
        }
        if first.exit == Exit::Code(0) && !first.stderr.is_empty() {
            problems.push(format!(
                "{program}: exit status 0 but erl wrote to stderr:\n{}",
                String::from_utf8_lossy(&first.stderr)
            ));
        }
        for (what, a, b) in [
            ("stdout", &first.stdout, &second.stdout),
            ("stderr", &first.stderr, &second.stderr),
        ] {
            if let Some(d) = text_diff(a, b, ["first run", "second run"]) {
                problems.push(format!("{program}: two erl runs differ: {what} {d}"));
            }
        }
        if first.exit != second.exit {
            problems.push(format!(
                "{program}: two erl runs differ: {}, then {}",
                first.exit, second.exit
            ));
        }
    }
    // The comparison's special paths are exercised by the corpus.
    let runs = erl_runs();
    if !runs.iter().any(|[r, _]| contains(&r.stderr, DO_BOOT)) {
        problems.push(format!("no program makes erl report {DO_BOOT:?}"));
    }
    if !runs
        .iter()
        .any(|[r, _]| !matches!(r.exit, Exit::Code(0 | 1)))
    {
        problems.push("no program halts with a status other than 0 or 1".to_owned());
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The comparison itself: what counts as a match, and how differences are reported.
#[test]
fn comparison_reports_precise_differences() {
    let run = |stdout: &str, stderr: &str, exit| Captured {
        stdout: stdout.into(),
        stderr: stderr.into(),
        exit,
    };
    let erl = run("a\nb\nc\nd\n", "", Exit::Code(0));
    assert!(differences(&erl, &run("a\nb\nc\nd\n", "noise", Exit::Code(0))).is_empty());

    let diffs = differences(&erl, &run("a\nb\nX\nd\n", "", Exit::Code(2)));
    assert_eq!(diffs.len(), 2, "{diffs:?}");
    assert!(
        diffs[0].contains("stdout differs at line 3"),
        "{}",
        diffs[0]
    );
    assert!(
        diffs[0].contains("\n  - c\n  - d\n  + X\n  + d\n"),
        "{}",
        diffs[0]
    );
    assert!(diffs[0].contains("    b\n"), "context line: {}", diffs[0]);
    assert!(
        diffs[1].contains("erl exit status 0, girder exit status 2"),
        "{}",
        diffs[1]
    );

    let diffs = differences(&erl, &run("a\nb\n", "", Exit::Code(0)));
    assert!(
        diffs[0].contains("line 3") && diffs[0].contains("  - c\n  - d\n"),
        "{}",
        diffs[0]
    );
    let diffs = differences(&erl, &run("a\nb\nc\nd", "", Exit::Code(0)));
    assert!(
        diffs[0].contains("  + d (no newline at end)"),
        "{}",
        diffs[0]
    );
    let crlf = run("x\r\n", "", Exit::Code(0));
    let diffs = differences(&crlf, &run("x\n", "", Exit::Code(0)));
    assert!(diffs[0].contains("  - x\\r\n  + x"), "{}", diffs[0]);

    let crash = run("", "init terminating in do_boot ({x,[]})\n", Exit::Code(1));
    let diffs = differences(&crash, &run("", "girder: panicked\n", Exit::Code(1)));
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert!(
        diffs[0].contains("girder's does not") && diffs[0].contains("girder: panicked"),
        "{}",
        diffs[0]
    );

    assert!(parse_pending("# only a comment\n\nfoo  # why\n").is_ok());
    assert!(parse_pending("foo\n").is_err(), "a reason is required");
    assert!(parse_pending("foo # a\nfoo # b\n").is_err(), "duplicates");
}

/// How girder's run differs from erl's; empty when it matches.
fn differences(erl: &Captured, girder: &Captured) -> Vec<String> {
    let mut diffs = Vec::new();
    if let Some(d) = text_diff(&erl.stdout, &girder.stdout, ["erl", "girder"]) {
        diffs.push(format!("stdout {d}"));
    }
    if erl.exit != girder.exit {
        diffs.push(format!("erl {}, girder {}", erl.exit, girder.exit));
    }
    if contains(&erl.stderr, DO_BOOT) && !contains(&girder.stderr, DO_BOOT) {
        diffs.push(format!(
            "erl's stderr reports {DO_BOOT:?}, girder's does not\n{}\n{}",
            excerpt("erl stderr", &erl.stderr),
            excerpt("girder stderr", &girder.stderr)
        ));
    } else if !diffs.is_empty() && !girder.stderr.is_empty() {
        diffs.push(excerpt("girder stderr", &girder.stderr));
    }
    diffs
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The first lines of some output, for a failure message.
fn excerpt(label: &str, bytes: &[u8]) -> String {
    const MAX: usize = 15;
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = format!("  {label} ({} lines):", lines.len());
    for l in lines.iter().take(MAX) {
        out.push_str("\n    ");
        out.push_str(&show(l));
    }
    if lines.len() > MAX {
        out.push_str("\n    ...");
    }
    out
}

/// Where two outputs first differ, as a small unified diff: a few lines of common context,
/// then the first's lines (`-`) and the second's (`+`) from that point.
fn text_diff(erl: &[u8], girder: &[u8], names: [&str; 2]) -> Option<String> {
    const CONTEXT: usize = 2;
    const SHOWN: usize = 6;
    if erl == girder {
        return None;
    }
    let (e, g) = (
        String::from_utf8_lossy(erl),
        String::from_utf8_lossy(girder),
    );
    let el: Vec<&str> = e.split_inclusive('\n').collect();
    let gl: Vec<&str> = g.split_inclusive('\n').collect();
    let at = el.iter().zip(&gl).take_while(|(a, b)| a == b).count();
    let mut out = format!(
        "differs at line {} ({a} {} lines, {b} {} lines; - {a}, + {b}):",
        at + 1,
        el.len(),
        gl.len(),
        a = names[0],
        b = names[1],
    );
    for l in &el[at.saturating_sub(CONTEXT)..at] {
        out.push_str(&format!("\n    {}", show(l)));
    }
    for (sign, lines) in [('-', &el), ('+', &gl)] {
        let rest = &lines[at.min(lines.len())..];
        for l in rest.iter().take(SHOWN) {
            out.push_str(&format!("\n  {sign} {}", show(l)));
        }
        if rest.len() > SHOWN {
            out.push_str(&format!("\n  {sign} ... {} more lines", rest.len() - SHOWN));
        }
    }
    out.push('\n');
    Some(out)
}

/// One output line made visible: the newline dropped (or its absence noted), other
/// control characters escaped.
fn show(line: &str) -> String {
    let (body, missing_newline) = match line.strip_suffix('\n') {
        Some(b) => (b, false),
        None => (line, true),
    };
    let mut s = String::new();
    for ch in body.chars() {
        match ch {
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if c.is_control() => s.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => s.push(c),
        }
    }
    if missing_newline {
        s.push_str(" (no newline at end)");
    }
    s
}

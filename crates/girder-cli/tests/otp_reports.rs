//! Reports that OTP's own logger writes for OTP's behaviours (`tests/otp/reports.erl`: a
//! supervised gen_server and proc_lib process crashing and being restarted, then the
//! supervisor giving up): girder boots the kernel as erl does, so the same `=CRASH
//! REPORT====`, `=SUPERVISOR REPORT====` and `=ERROR REPORT====` text reaches standard
//! output through the logger's default handler. Timestamps, pids and the memory and
//! reduction figures of a crashed process are masked; the logger writes reports a little
//! after the events, so their order is not compared.

use std::path::Path;
use std::process::{Command, Output};

use girder_testkit::{erlang_test_file, erlc, scratch_dir};

/// `=KIND REPORT==== 22-Nov-2026::05:15:42.079971 ===` becomes `=KIND REPORT HEADER`
/// (after checking its shape); pids become `PID`; the numbers of `heap_size:`,
/// `stack_size:` and `reductions:` lines become `N`.
fn normalise(out: &[u8]) -> String {
    let text = String::from_utf8_lossy(out);
    let mut lines = Vec::new();
    for line in text.split('\n') {
        if let Some(rest) = line.strip_prefix('=')
            && let Some((kind, stamp)) = rest.split_once(" REPORT==== ")
        {
            let stamp = stamp.strip_suffix(" ===").expect("header ends with ===");
            let (date, time) = stamp.split_once("::").expect("date::time");
            assert_eq!(date.split('-').count(), 3, "bad date in {line:?}");
            assert_eq!(time.len(), 15, "bad time in {line:?}");
            lines.push(format!("={kind} REPORT HEADER"));
            continue;
        }
        let trimmed = line.trim_start();
        if let Some((key, _)) = trimmed.split_once(": ")
            && ["heap_size", "stack_size", "reductions"].contains(&key)
        {
            lines.push(format!("{}{key}: N", &line[..line.len() - trimmed.len()]));
            continue;
        }
        lines.push(girder_testkit::mask_pids(line));
    }
    lines.join("\n")
}

/// The reports (each from its header to the blank line that ends it), sorted, and the
/// other lines in order: the logger writes a report when it gets to it, so reports and the
/// program's own output interleave differently from run to run.
fn reports(text: &str) -> (Vec<String>, Vec<String>) {
    let (mut reports, mut others) = (Vec::new(), Vec::new());
    let mut current: Option<String> = None;
    for line in text.split('\n') {
        match current.as_mut() {
            Some(r) if line.is_empty() => {
                reports.push(std::mem::take(r));
                current = None;
            }
            Some(r) => {
                r.push_str(line);
                r.push('\n');
            }
            None if line.ends_with(" REPORT HEADER") => current = Some(format!("{line}\n")),
            None => others.push(line.to_owned()),
        }
    }
    reports.extend(current);
    reports.sort();
    (reports, others)
}

#[test]
fn supervised_crashes_are_reported_as_erl_reports_them() {
    let dir = scratch_dir("otp-reports");
    erlc(&[&erlang_test_file("otp/reports.erl")], &dir);
    let run = |vm: &Path| -> Output {
        Command::new(vm)
            .args(["-noshell", "-pa", ".", "-s", "reports", "main"])
            .current_dir(&dir)
            .output()
            .expect("run vm")
    };
    let erl = run(Path::new("erl"));
    let ours = run(Path::new(env!("CARGO_BIN_EXE_girder")));
    assert_eq!(ours.status.code(), erl.status.code());
    let (e, g) = (normalise(&erl.stdout), normalise(&ours.stdout));
    for kind in ["=CRASH REPORT", "=SUPERVISOR REPORT", "=ERROR REPORT"] {
        assert!(e.contains(kind), "erl printed no {kind}:\n{e}");
    }
    assert!(e.contains("reached_max_restart_intensity"), "{e}");
    assert!(
        reports(&g) == reports(&e),
        "girder's reports differ from erl's\n--- girder:\n{g}\n--- erl:\n{e}"
    );
}

//! The quick form of `girder-bench --scaling` that CI runs: every `bench/scaling/`
//! operation at small sizes N, 4N and 16N under erl and girder (this test's build of it).
//! It fails when a girder answer differs from erl's, or when girder's growth exponent
//! exceeds erl's by more than 0.5 in two measurements in a row: an operation flagged once
//! is measured again on its own, so that a noisy moment on a shared machine does not fail
//! the suite, while a real change of growth (O(N) where OTP is O(1) adds 1 to the
//! exponent) fails both times. No absolute time is checked.

use std::process::Command;

use girder_testkit::scratch_dir;

mod support;
use support::girder_binary;

/// The runner's output: its exit status, the table it printed and the verdict column of
/// scaling.csv by program.
struct Outcome {
    success: bool,
    report: String,
    verdicts: Vec<(String, String)>,
}

fn run(only: &[String]) -> Outcome {
    let girder = girder_binary();
    let out = scratch_dir("bench-scaling");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_girder-bench"));
    cmd.args(["--scaling", "--quick", "--girder"])
        .arg(&girder)
        .arg("--out")
        .arg(&out);
    if !only.is_empty() {
        cmd.arg("--only").arg(only.join(","));
    }
    let r = cmd
        .output()
        .expect("run girder-bench (erl and erlc must be installed: apt-get install erlang-nox)");
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
    let csv = std::fs::read_to_string(out.join("scaling.csv"))
        .unwrap_or_else(|e| panic!("no scaling.csv ({e}):\n{report}"));
    let verdicts = csv
        .lines()
        .skip(1)
        .filter_map(|l| {
            let program = l.split(',').next()?.to_owned();
            let verdict = l.rsplit_once(",\"")?.1.trim_end_matches('"').to_owned();
            Some((program, verdict))
        })
        .collect();
    Outcome {
        success: r.status.success(),
        report,
        verdicts,
    }
}

#[test]
fn girder_grows_like_erl_on_every_scaling_program() {
    let first = run(&[]);
    assert!(
        first.verdicts.len() >= 3,
        "too few programs measured:\n{}",
        first.report
    );
    let broken: Vec<&(String, String)> = first
        .verdicts
        .iter()
        .filter(|(_, v)| v != "ok" && v != "flagged")
        .collect();
    assert!(broken.is_empty(), "{broken:?}\n{}", first.report);
    let flagged: Vec<String> = first
        .verdicts
        .iter()
        .filter(|(_, v)| v == "flagged")
        .map(|(p, _)| p.clone())
        .collect();
    if flagged.is_empty() {
        assert!(first.success, "{}", first.report);
        return;
    }
    let again = run(&flagged);
    let still: Vec<&(String, String)> = again.verdicts.iter().filter(|(_, v)| v != "ok").collect();
    assert!(
        still.is_empty(),
        "girder's cost grows faster than erl's (twice):\n{still:?}\nfirst run:\n{}\nsecond run:\n{}",
        first.report,
        again.report
    );
}

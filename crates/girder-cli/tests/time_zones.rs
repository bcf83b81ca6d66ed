//! The calendar BIFs under several time zones: the corpus program `system_bifs` (which
//! converts between local time, universal time and POSIX time for fixed dates, daylight
//! saving transitions included) run by girder and by `erl` with `TZ` set, output compared
//! byte for byte. The corpus harness runs it once, in the environment's zone; this runs it
//! where local time is not universal time.

use std::path::Path;
use std::time::Duration;

use girder_testkit::{erlang_corpus, parallel_map, program_timeout, run_captured};

const ZONES: &[&str] = &[
    "UTC",
    "Europe/Stockholm",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "EST5EDT",
    "<+0130>-1:30",
];

#[test]
fn calendar_bifs_match_erl_in_every_zone() {
    let corpus = erlang_corpus("time-zones");
    let jobs: Vec<(&str, bool)> = ZONES
        .iter()
        .flat_map(|z| [(*z, false), (*z, true)])
        .collect();
    let runs = parallel_map(&jobs, 4, |&(zone, girder)| {
        let vm = if girder {
            Path::new(env!("CARGO_BIN_EXE_girder"))
        } else {
            Path::new("erl")
        };
        let mut cmd = corpus.command(vm, "system_bifs");
        cmd.env("TZ", zone);
        let timeout = if girder {
            program_timeout()
        } else {
            Duration::from_secs(60)
        };
        run_captured(&mut cmd, timeout)
    });
    let mut failures = Vec::new();
    for (i, zone) in ZONES.iter().enumerate() {
        let (erl, girder) = (&runs[2 * i], &runs[2 * i + 1]);
        assert!(
            erl.stderr.is_empty(),
            "erl failed with TZ={zone} in {}: {}",
            corpus.beam_dir.display(),
            String::from_utf8_lossy(&erl.stderr)
        );
        if erl.stdout != girder.stdout {
            let (e, g) = (
                String::from_utf8_lossy(&erl.stdout),
                String::from_utf8_lossy(&girder.stdout),
            );
            let first = e
                .lines()
                .zip(g.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(e.lines().count().min(g.lines().count()));
            failures.push(format!(
                "TZ={zone}: line {}:\n  erl:    {}\n  girder: {}",
                first + 1,
                e.lines().nth(first).unwrap_or("<end>"),
                g.lines().nth(first).unwrap_or("<end>")
            ));
        }
    }
    // The zones differ: a test that cannot tell them apart would prove nothing.
    assert_ne!(
        runs[0].stdout, runs[2].stdout,
        "UTC and Stockholm look the same"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

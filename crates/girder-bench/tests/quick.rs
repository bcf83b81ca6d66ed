//! The runner end to end in quick mode on a small subset, against erl and girder's debug
//! binary, so that it cannot rot unnoticed: `girder-bench --only hello,fib --quick`.
//! Nothing here is timed; the figures only have to be there.

use std::collections::BTreeMap;
use std::process::Command;

use girder_testkit::scratch_dir;

mod support;
use support::girder_binary;

/// A small CSV reader: quoted fields may hold commas and doubled quotes.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|line| {
            let mut fields = vec![String::new()];
            let mut quoted = false;
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                match (c, quoted) {
                    ('"', true) if chars.peek() == Some(&'"') => {
                        chars.next();
                        fields.last_mut().unwrap().push('"');
                    }
                    ('"', _) => quoted = !quoted,
                    (',', false) => fields.push(String::new()),
                    _ => fields.last_mut().unwrap().push(c),
                }
            }
            fields
        })
        .collect()
}

#[test]
fn quick_mode_runs_hello_and_fib_on_erl_and_girder() {
    let girder = girder_binary();
    let out = scratch_dir("bench-quick");
    let run = Command::new(env!("CARGO_BIN_EXE_girder-bench"))
        .args(["--only", "hello,fib", "--quick", "--reps", "1", "--girder"])
        .arg(&girder)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run girder-bench (erl and erlc must be installed: apt-get install erlang-nox)");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "girder-bench failed ({}):\n{stdout}\n{stderr}",
        run.status
    );
    assert!(stdout.contains("program"), "no table printed:\n{stdout}");

    let csv = std::fs::read_to_string(out.join("results.csv")).expect("results.csv");
    let mut rows = parse_csv(&csv).into_iter();
    let header = rows.next().expect("CSV header");
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
    };
    let (program, vm, mode, median, checksum, status) = (
        col("program"),
        col("vm"),
        col("mode"),
        col("median_us"),
        col("checksum"),
        col("status"),
    );
    let table: BTreeMap<(String, String), Vec<String>> = rows
        .map(|r| ((r[program].clone(), r[vm].clone()), r))
        .collect();
    let keys: Vec<(&str, &str)> = table
        .keys()
        .map(|(p, v)| (p.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            ("fib", "erl"),
            ("fib", "girder"),
            ("fib", "girder-emu"),
            ("hello", "erl"),
            ("hello", "girder"),
            ("hello", "girder-emu")
        ],
        "{csv}"
    );
    for p in ["hello", "fib"] {
        let erl = &table[&(p.to_owned(), "erl".to_owned())];
        assert_eq!(erl[mode], "quick");
        assert_eq!(erl[status], "ok", "{csv}");
        assert!(
            erl[median].parse::<f64>().is_ok(),
            "erl time for {p}: {csv}"
        );
    }
    let fib = &table[&("fib".to_owned(), "girder".to_owned())];
    assert_eq!(fib[status], "ok", "{csv}");
    assert!(fib[median].parse::<f64>().is_ok(), "{csv}");
    // fib(22), as the quick size computes it on both VMs.
    assert_eq!(fib[checksum], "17711", "{csv}");

    let md = std::fs::read_to_string(out.join("results.md")).expect("results.md");
    assert!(md.contains("| fib | girder |"), "{md}");
    let runs = std::fs::read_to_string(out.join("runs.csv")).expect("runs.csv");
    assert_eq!(runs.lines().count(), 7, "{runs}");
}

//! The opcode coverage report: which generic opcodes OTP 25's compiler emits in the
//! `stdlib`, `kernel` and `compiler` applications, and which of those girder executed while
//! running the Erlang program corpus (`tests/erlang/`, the programs not pending).
//!
//! girder reports what it executed through `GIRDER_OPCODE_COVERAGE=PATH`: at exit it
//! appends the generic names of the opcodes it ran to PATH, one per line.
//!
//! `tests/erlang/uncovered_opcodes.txt` lists the emitted opcodes no program executes; the
//! test fails when that list and the computed set differ in either direction. Run with
//! `GIRDER_BLESS_OPCODES=1` to rewrite the file from the computed set.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use girder_format::{BeamFile, opcodes};
use girder_testkit::{
    erl_eval, erlang_corpus, erlang_test_file, parallel_map, program_timeout, run_captured,
    scratch_dir,
};

const APPS: [&str; 3] = ["stdlib", "kernel", "compiler"];

/// Instruction count per generic opcode over every module of the applications.
fn emitted_by_otp() -> (BTreeMap<&'static str, u64>, usize) {
    let mut counts = BTreeMap::new();
    let mut modules = 0;
    let expr = format!(
        "[io:format(\"~s~n\", [code:lib_dir(A, ebin)]) || A <- [{}]], halt().",
        APPS.join(", ")
    );
    let dirs = String::from_utf8(erl_eval(&[], &expr)).expect("utf-8 paths");
    for dir in dirs.lines() {
        let n = count_opcodes(Path::new(dir), &mut counts);
        assert!(n > 20, "only {n} modules in {dir}");
        modules += n;
    }
    (counts, modules)
}

/// Add the instructions of every `.beam` in `dir` to `counts`; return how many modules.
fn count_opcodes(dir: &Path, counts: &mut BTreeMap<&'static str, u64>) -> usize {
    let mut beams: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "beam"))
        .collect();
    beams.sort();
    for path in &beams {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {name}: {e}"));
        let beam = BeamFile::parse_file(&bytes, &name).unwrap_or_else(|e| panic!("{e}"));
        for ins in &beam.code.instructions {
            *counts.entry(ins.name()).or_insert(0) += 1;
        }
    }
    beams.len()
}

/// The opcodes girder executed running the corpus's non-pending programs, how many
/// programs it ran, and the opcodes in the corpus's own modules.
fn executed_by_girder() -> (BTreeSet<String>, usize, BTreeMap<&'static str, u64>) {
    let corpus = erlang_corpus("opcode-coverage");
    let mut in_corpus = BTreeMap::new();
    count_opcodes(&corpus.beam_dir, &mut in_corpus);
    let programs = corpus.passing();
    let out_dir = scratch_dir("opcode-coverage-out");
    let girder = Path::new(env!("CARGO_BIN_EXE_girder"));
    let files = parallel_map(&programs, 4, |program| {
        let file = out_dir.join(format!("{program}.txt"));
        let mut cmd = corpus.command(girder, program);
        cmd.env("GIRDER_OPCODE_COVERAGE", &file);
        // The interpreter records what it executes; native code (compiled, or installed
        // from the native-code cache the other tests fill) would go uncounted.
        cmd.args(["-emu_flavor", "emu"]);
        run_captured(&mut cmd, program_timeout());
        file
    });
    let mut executed = BTreeSet::new();
    for file in files {
        // A program that executed nothing may leave no file.
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        executed.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from),
        );
    }
    (executed, programs.len(), in_corpus)
}

/// The opcode names of `uncovered_opcodes.txt` (`name  # comment` lines).
fn listed(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

fn uncovered_file(counts: &BTreeMap<&str, u64>, uncovered: &BTreeSet<&str>) -> String {
    let mut rows: Vec<(&str, u64)> = uncovered.iter().map(|&o| (o, counts[o])).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut out = String::from(
        "# Generic opcodes that OTP 25's compiler emits in stdlib, kernel and compiler but\n\
         # that no passing program of tests/erlang executes under girder, most used first\n\
         # (the number is how many times they occur there). Checked, and regenerated with\n\
         # GIRDER_BLESS_OPCODES=1, by crates/girder-cli/tests/opcode_coverage.rs.\n",
    );
    for (op, n) in rows {
        out.push_str(&format!("{op:<24}# {n}\n"));
    }
    out
}

#[test]
fn opcode_coverage_report() {
    let (counts, modules) = emitted_by_otp();
    let (executed, programs, in_corpus) = executed_by_girder();

    let unknown: Vec<&String> = executed
        .iter()
        .filter(|o| opcodes::by_name(o).is_none())
        .collect();
    assert!(
        unknown.is_empty(),
        "GIRDER_OPCODE_COVERAGE files name unknown opcodes: {unknown:?}"
    );

    let total: u64 = counts.values().sum();
    let mut rows: Vec<(&str, u64)> = counts.iter().map(|(&o, &n)| (o, n)).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let covered = rows.iter().filter(|(o, _)| executed.contains(*o)).count();
    let covered_ins: u64 = rows
        .iter()
        .filter(|(o, _)| executed.contains(*o))
        .map(|(_, n)| n)
        .sum();
    let mut report = format!(
        "opcode coverage: {} distinct generic opcodes, {total} instructions, in {modules} \
         modules of {}; {programs} programs run; {covered} opcodes covered \
         ({covered_ins} of the instructions)\n{:<24}{:>10}  covered\n",
        counts.len(),
        APPS.join(", "),
        "opcode",
        "in OTP"
    );
    for (op, n) in &rows {
        let yes = if executed.contains(*op) { "yes" } else { "no" };
        report.push_str(&format!("{op:<24}{n:>10}  {yes}\n"));
    }
    let extra: Vec<&String> = executed
        .iter()
        .filter(|o| !counts.contains_key(o.as_str()))
        .collect();
    if !extra.is_empty() {
        report.push_str(&format!(
            "executed but not emitted in these apps: {extra:?}\n"
        ));
    }
    let absent: Vec<&str> = counts
        .keys()
        .copied()
        .filter(|o| !in_corpus.contains_key(o))
        .collect();
    if !absent.is_empty() {
        report.push_str(&format!(
            "emitted in these apps but in no module of tests/erlang (reachable only through \
             OTP's own code): {}\n",
            absent.join(" ")
        ));
    }
    println!("{report}");
    std::fs::write(
        scratch_dir("opcode-coverage-report").join("report.txt"),
        &report,
    )
    .unwrap();

    let uncovered: BTreeSet<&str> = counts
        .keys()
        .copied()
        .filter(|o| !executed.contains(*o))
        .collect();
    let path = erlang_test_file("erlang/uncovered_opcodes.txt");
    if std::env::var_os("GIRDER_BLESS_OPCODES").is_some() {
        std::fs::write(&path, uncovered_file(&counts, &uncovered)).unwrap();
    }
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let listed = listed(&text);
    let add: Vec<&str> = uncovered
        .iter()
        .copied()
        .filter(|o| !listed.contains(*o))
        .collect();
    let remove: Vec<&str> = listed
        .iter()
        .map(String::as_str)
        .filter(|o| !uncovered.contains(o))
        .collect();
    let mut problems = Vec::new();
    if !add.is_empty() {
        problems.push(format!(
            "add to tests/erlang/uncovered_opcodes.txt (emitted by OTP, executed by no \
             passing program): {}",
            add.join(" ")
        ));
    }
    if !remove.is_empty() {
        problems.push(format!(
            "remove from tests/erlang/uncovered_opcodes.txt (now executed, or not emitted \
             by OTP): {}",
            remove.join(" ")
        ));
    }
    assert!(
        problems.is_empty(),
        "{}\n(or rerun with GIRDER_BLESS_OPCODES=1 to regenerate the file)",
        problems.join("\n")
    );
}

//! The JIT compiles every function of OTP's stdlib, kernel and compiler (`girder jit
//! --report`, 100% or the test fails), and generates code for stdlib on the other ISAs
//! girder targets, aarch64 and riscv64 (code generation only: this machine cannot run
//! those binaries; scripts/cross-test runs girder itself on aarch64 under qemu).

use std::process::Command;

use girder_testkit::erl_eval;

/// `code:lib_dir(App, ebin)` for each application.
fn ebin_dirs(apps: &[&str]) -> Vec<String> {
    let expr = format!(
        "io:put_chars(lists:join($\\n, [code:lib_dir(A, ebin) || A <- [{}]])), halt().",
        apps.join(",")
    );
    let out = erl_eval(&[], &expr);
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Run `girder jit --report [--target T] DIRS`; its report.
fn report(target: Option<&str>, dirs: &[String]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_girder"));
    cmd.args(["jit", "--report"]);
    if let Some(t) = target {
        cmd.args(["--target", t]);
    }
    let out = cmd.args(dirs).output().expect("run girder jit");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "girder jit --report failed ({}):\n{text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn assert_complete(text: &str) {
    let line = text
        .lines()
        .find(|l| l.contains("functions compiled to native code"))
        .unwrap_or_else(|| panic!("no summary in:\n{text}"));
    let counts = line.rsplit(": ").next().unwrap();
    let (done, total) = counts.split_once(' ').unwrap().0.split_once('/').unwrap();
    assert_eq!(done, total, "{line}");
    assert!(total.parse::<usize>().unwrap() > 1000, "{line}");
    assert!(!text.contains("not compiled"), "{text}");
}

#[test]
fn every_function_of_stdlib_kernel_and_compiler_compiles() {
    let text = report(None, &ebin_dirs(&["stdlib", "kernel", "compiler"]));
    eprintln!("{text}");
    assert_complete(&text);
}

#[test]
fn stdlib_compiles_for_aarch64_and_riscv64() {
    let dirs = ebin_dirs(&["stdlib"]);
    for target in ["aarch64-unknown-linux-gnu", "riscv64gc-unknown-linux-gnu"] {
        let text = report(Some(target), &dirs);
        eprintln!("{text}");
        assert!(text.contains(target), "{text}");
        assert_complete(&text);
    }
}

#[test]
fn a_bad_target_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_girder"))
        .args(["jit", "--report", "--target", "nonsense-cpu", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nonsense-cpu"));
}

//! Test support shared by the crates' integration tests: locating the workspace, running
//! OTP's `erl` and `erlc` (the reference every behaviour is compared against), scratch dirs.
//!
//! A missing `erl` is a test failure with a clear message, never a silent skip: CI installs
//! `erlang-nox` first (see `.ci/run`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The workspace root (where `Cargo.toml` and `tests/` live).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// A path under the workspace's `tests/` directory of Erlang programs.
pub fn erlang_test_file(rel: &str) -> PathBuf {
    workspace_root().join("tests").join(rel)
}

/// A fresh, empty directory for one test (under the target directory, so `cargo clean`
/// removes it).
pub fn scratch_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = workspace_root()
        .join("target/test-scratch")
        .join(format!("{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

fn run(mut cmd: Command, what: &str) -> Output {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!(
            "cannot run {what}: {e}. Install OTP (`apt-get install -y erlang-nox`): \
             tests compare girder with erl."
        )
    });
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Compile Erlang sources with `erlc` into `out_dir`.
pub fn erlc(sources: &[&Path], out_dir: &Path) {
    let mut cmd = Command::new("erlc");
    cmd.arg("-o").arg(out_dir).args(sources);
    run(cmd, "erlc");
}

/// Run `erl -noshell -pa DIR... -eval EXPR` (the expression must end by halting) and return
/// its standard output.
pub fn erl_eval(code_path: &[&Path], expr: &str) -> Vec<u8> {
    let mut cmd = Command::new("erl");
    cmd.arg("-noshell");
    for dir in code_path {
        cmd.arg("-pa").arg(dir);
    }
    cmd.arg("-eval").arg(expr);
    run(cmd, "erl").stdout
}

/// The root of the installed OTP (`code:root_dir()`).
pub fn otp_root() -> PathBuf {
    let out = erl_eval(&[], "io:put_chars(code:root_dir()), halt().");
    PathBuf::from(String::from_utf8(out).expect("utf-8 path"))
}

//! What the runner's end-to-end tests share.

use std::path::{Path, PathBuf};
use std::process::Command;

/// girder's binary of the profile this test was built with, next to the test's own
/// `deps/` directory. `cargo test --workspace` has built it already (girder-cli's tests
/// need it); when only this crate's tests were built, build it now.
pub fn girder_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test runs from <target>/<profile>/deps");
    let girder = profile_dir.join("girder");
    if !girder.is_file() {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["build", "-p", "girder-cli", "--bin", "girder"]);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        if let Some(target) = profile_dir.parent() {
            cmd.env("CARGO_TARGET_DIR", target);
        }
        let status = cmd.status().expect("run cargo build -p girder-cli");
        assert!(status.success(), "cargo build -p girder-cli failed");
    }
    assert!(girder.is_file(), "no girder binary at {}", girder.display());
    girder
}

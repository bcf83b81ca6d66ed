//! The virtual machines a benchmark runs under. A new girder mode (`--jit`, a native-code
//! cache) is one more entry in [`VMS`].

use std::path::{Path, PathBuf};
use std::process::Command;

/// Which executable a VM entry runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// OTP's `erl` (the reference: its checksums are the expected ones).
    Erl,
    /// The girder binary.
    Girder,
}

/// One way of running a program.
#[derive(Debug)]
pub struct VmSpec {
    /// The name in tables, CSV and `--vms`.
    pub name: &'static str,
    pub engine: Engine,
    /// Arguments before the erl-compatible ones (`-noshell -pa ... -s ...`).
    pub flags: &'static [&'static str],
    /// Run when `--vms` is not given.
    pub default: bool,
    pub about: &'static str,
}

/// The VM whose checksums are expected and whose times the ratios divide by.
pub const REFERENCE: &str = "erl";

pub const VMS: &[VmSpec] = &[
    VmSpec {
        name: REFERENCE,
        engine: Engine::Erl,
        flags: &[],
        default: true,
        about: "OTP's erl (BEAM with its JIT on x86-64 and arm64), one scheduler per core",
    },
    VmSpec {
        name: "erl-s1",
        engine: Engine::Erl,
        flags: &["+S", "1"],
        default: false,
        about: "erl with a single scheduler: compare with erl for SMP scaling",
    },
    VmSpec {
        name: "girder",
        engine: Engine::Girder,
        flags: &[],
        default: true,
        about: "girder with its JIT (the default engine), one scheduler thread per core",
    },
    VmSpec {
        name: "girder-emu",
        engine: Engine::Girder,
        flags: &["-emu_flavor", "emu"],
        default: true,
        about: "girder's interpreter (-emu_flavor emu), one scheduler thread per core",
    },
    VmSpec {
        name: "girder-s1",
        engine: Engine::Girder,
        flags: &["+S", "1"],
        default: false,
        about: "girder (JIT) with a single scheduler thread: compare with girder for SMP scaling",
    },
    // Later: `girder-cached` once the native-code cache exists.
];

/// A VM entry with the executable it runs.
#[derive(Debug)]
pub struct Vm {
    pub spec: &'static VmSpec,
    pub exe: PathBuf,
}

impl Vm {
    pub fn name(&self) -> &'static str {
        self.spec.name
    }

    pub fn is_girder(&self) -> bool {
        self.spec.engine == Engine::Girder
    }

    /// `EXE FLAGS -noshell -pa EBIN -s MODULE main SIZE -s init stop`, run in `ebin` with
    /// `ERL_CRASH_DUMP_SECONDS=0` so a crashing program leaves no `erl_crash.dump`.
    pub fn command(&self, ebin: &Path, module: &str, size: &str) -> Command {
        let mut cmd = Command::new(&self.exe);
        cmd.args(self.spec.flags)
            .arg("-noshell")
            .arg("-pa")
            .arg(ebin)
            .args(["-s", module, "main", size, "-s", "init", "stop"])
            .current_dir(ebin)
            .env("ERL_CRASH_DUMP_SECONDS", "0");
        cmd
    }
}

/// The entries `--vms` names (or the default ones), with the reference always first.
pub fn select(names: &[String]) -> Result<Vec<&'static VmSpec>, String> {
    for n in names {
        if !VMS.iter().any(|v| v.name == n) {
            let known: Vec<&str> = VMS.iter().map(|v| v.name).collect();
            return Err(format!("unknown VM {n:?}; known: {}", known.join(", ")));
        }
    }
    Ok(VMS
        .iter()
        .filter(|v| {
            v.name == REFERENCE
                || if names.is_empty() {
                    v.default
                } else {
                    names.iter().any(|n| n == v.name)
                }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_keeps_the_reference_first() {
        let names = |v: Vec<&VmSpec>| v.iter().map(|s| s.name).collect::<Vec<_>>();
        assert_eq!(names(select(&[]).unwrap()), ["erl", "girder", "girder-emu"]);
        assert_eq!(
            names(select(&["girder".into()]).unwrap()),
            ["erl", "girder"]
        );
        assert_eq!(
            names(select(&["erl-s1".into(), "erl".into()]).unwrap()),
            ["erl", "erl-s1"]
        );
        assert!(select(&["jvm".into()]).is_err());
    }
}

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
    // Relaxed: only uniqueness matters.
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

/// Compile Erlang sources with `erlc` run from `cwd` into `out_dir`, and return its output.
///
/// Sources named relative to `cwd` are recorded as written, so stack-trace locations read
/// `{file,"prog.erl"}` whatever the checkout's path. Warnings are returned (erlc prints them
/// on standard output and still succeeds); errors fail the test.
pub fn erlc_in(cwd: &Path, sources: &[&Path], out_dir: &Path) -> Output {
    let mut cmd = Command::new("erlc");
    cmd.current_dir(cwd).arg("-o").arg(out_dir).args(sources);
    run(cmd, "erlc")
}

/// How a program run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// It exited with this status.
    Code(i32),
    /// A signal killed it.
    Signal(i32),
    /// It ran past its time limit and was killed.
    TimedOut,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Code(c) => write!(f, "exit status {c}"),
            Exit::Signal(s) => write!(f, "killed by signal {s}"),
            Exit::TimedOut => write!(f, "timed out"),
        }
    }
}

/// Everything a program run produced.
#[derive(Debug, Clone)]
pub struct Captured {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub exit: Exit,
}

/// Run `cmd` with no standard input, capturing its output; kill it after `timeout`.
/// Failing to start it at all fails the test.
pub fn run_captured(cmd: &mut Command, timeout: std::time::Duration) -> Captured {
    use std::io::Read;
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", cmd.get_program()));
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        })
    };
    let out = reader(Box::new(child.stdout.take().unwrap()));
    let err = reader(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + timeout;
    let exit = loop {
        match child.try_wait().expect("wait for child") {
            Some(status) => break exit_of(status),
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break Exit::TimedOut;
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    Captured {
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
        exit,
    }
}

fn exit_of(status: std::process::ExitStatus) -> Exit {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return Exit::Signal(sig);
        }
    }
    Exit::Code(status.code().unwrap_or(-1))
}

/// Apply `f` to every item on up to `threads` threads; results keep the items' order.
pub fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<R>>> =
        items.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, items.len().max(1)) {
            s.spawn(|| {
                loop {
                    // Relaxed: hands out indices; the results are read after the scope
                    // joins the threads.
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    *results[i].lock().unwrap() = Some(f(item));
                }
            });
        }
    });
    results
        .into_iter()
        .map(|r| r.into_inner().unwrap().expect("every item mapped"))
        .collect()
}

/// The Erlang programs of `tests/erlang/`, compiled: each module exports `main/0`, which
/// prints with `io:format` and returns; girder must reproduce erl's output exactly.
#[derive(Debug, Clone)]
pub struct ErlangCorpus {
    /// The directory holding every compiled `.beam` (also the programs' working directory).
    pub beam_dir: PathBuf,
    /// Module names, sorted.
    pub programs: Vec<String>,
    /// `tests/erlang/pending.txt`: the programs girder does not run correctly yet, with why.
    pub pending: std::collections::BTreeMap<String, String>,
}

/// The directory of the Erlang program corpus.
pub fn erlang_corpus_dir() -> PathBuf {
    erlang_test_file("erlang")
}

/// Compile every `tests/erlang/*.erl` into a fresh scratch dir (which must produce no
/// warnings), copy the `*.app` files there, and read `pending.txt`, checking that it names only existing programs, each
/// once and with a reason.
pub fn erlang_corpus(scratch_name: &str) -> ErlangCorpus {
    let src = erlang_corpus_dir();
    let mut programs: Vec<String> = std::fs::read_dir(&src)
        .expect("read tests/erlang")
        .filter_map(|e| {
            let name = e.expect("dir entry").file_name().into_string().ok()?;
            name.strip_suffix(".erl").map(str::to_owned)
        })
        .collect();
    programs.sort();
    assert!(!programs.is_empty(), "no programs in {}", src.display());
    let beam_dir = scratch_dir(scratch_name);
    let sources: Vec<PathBuf> = programs.iter().map(|p| format!("{p}.erl").into()).collect();
    let refs: Vec<&Path> = sources.iter().map(PathBuf::as_path).collect();
    let out = erlc_in(&src, &refs, &beam_dir);
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "tests/erlang must compile without warnings:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Application resource files (`NAME.app`) go next to the modules, where the code path
    // finds them.
    for e in std::fs::read_dir(&src).expect("read tests/erlang") {
        let path = e.expect("dir entry").path();
        if path.extension().is_some_and(|x| x == "app") {
            let name = path.file_name().expect("file name");
            std::fs::copy(&path, beam_dir.join(name)).expect("copy .app file");
        }
    }
    let text = std::fs::read_to_string(src.join("pending.txt")).unwrap_or_default();
    let pending = parse_pending(&text).unwrap_or_else(|e| panic!("tests/erlang/pending.txt: {e}"));
    let unknown: Vec<&String> = pending.keys().filter(|p| !programs.contains(p)).collect();
    assert!(
        unknown.is_empty(),
        "tests/erlang/pending.txt names programs that do not exist: {unknown:?}"
    );
    ErlangCorpus {
        beam_dir,
        programs,
        pending,
    }
}

/// Parse `pending.txt`: `module  # reason` per line; lines that are only a `#` comment, and
/// blank lines, are ignored.
pub fn parse_pending(text: &str) -> Result<std::collections::BTreeMap<String, String>, String> {
    let mut pending = std::collections::BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let (name, reason) = line.split_once('#').unwrap_or((line, ""));
        let (name, reason) = (name.trim(), reason.trim());
        if name.is_empty() {
            continue;
        }
        if name.contains(char::is_whitespace) || reason.is_empty() {
            return Err(format!(
                "line {}: expected `module  # reason`, got {line:?}",
                n + 1
            ));
        }
        if pending.insert(name.to_owned(), reason.to_owned()).is_some() {
            return Err(format!("line {}: {name} listed twice", n + 1));
        }
    }
    Ok(pending)
}

impl ErlangCorpus {
    /// The command that runs `program` the way the harness does, with `vm` being `erl` or
    /// the girder binary: `VM -noshell -pa BEAM_DIR -s PROGRAM main -s init stop`, run in
    /// the beam dir with `ERL_CRASH_DUMP_SECONDS=0` (no `erl_crash.dump` anywhere).
    pub fn command(&self, vm: &Path, program: &str) -> Command {
        let mut cmd = Command::new(vm);
        cmd.arg("-noshell")
            .arg("-pa")
            .arg(&self.beam_dir)
            .args(["-s", program, "main", "-s", "init", "stop"])
            .current_dir(&self.beam_dir)
            .env("ERL_CRASH_DUMP_SECONDS", "0");
        cmd
    }

    /// The programs expected to run correctly under girder.
    pub fn passing(&self) -> Vec<String> {
        self.programs
            .iter()
            .filter(|p| !self.pending.contains_key(*p))
            .cloned()
            .collect()
    }
}

/// How long one program may run under girder (`GIRDER_TEST_TIMEOUT_SECS`, default 120).
pub fn program_timeout() -> std::time::Duration {
    let secs = std::env::var("GIRDER_TEST_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(120);
    std::time::Duration::from_secs(secs)
}

/// Building `.beam` files byte by byte, for chunk shapes and instructions the installed OTP
/// does not produce (newer releases, AtomVM packs, malformed input).
pub mod beam_builder {
    /// Big-endian u32s.
    pub fn u32s(values: &[u32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_be_bytes()).collect()
    }

    /// An IFF `FOR1 … BEAM` form of these chunks (padded to four bytes each).
    pub fn form(chunks: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
        let mut body = b"BEAM".to_vec();
        for (id, data) in chunks {
            body.extend_from_slice(*id);
            body.extend_from_slice(&(data.len() as u32).to_be_bytes());
            body.extend_from_slice(data);
            body.resize(body.len().div_ceil(4) * 4, 0);
        }
        let mut out = b"FOR1".to_vec();
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        out.extend_from_slice(&body);
        out
    }

    /// An `AtU8` chunk (OTP 21-27 layout: count, then one-byte lengths).
    pub fn atoms(names: &[&str]) -> Vec<u8> {
        let mut out = u32s(&[names.len() as u32]);
        for n in names {
            out.push(n.len() as u8);
            out.extend_from_slice(n.as_bytes());
        }
        out
    }

    /// A `Code` chunk header (instruction set 0) followed by `code`.
    pub fn code(max_opcode: u32, labels: u32, functions: u32, code: &[u8]) -> Vec<u8> {
        let mut out = u32s(&[16, 0, max_opcode, labels, functions]);
        out.extend_from_slice(code);
        out
    }
}

/// `line` with every local pid (`<0.N.M>`) replaced by `PID`: pids differ between VMs and
/// runs, so reports are compared without them.
pub fn mask_pids(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find("<0.") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find('>').map_or(rest.len(), |e| i + e + 1);
        out.push_str("PID");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// xorshift64*: a small deterministic generator for test inputs, so that a failing case
/// is named by its seed.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `n` in `d`.
    pub fn chance(&mut self, n: u64, d: u64) -> bool {
        self.below(d) < n
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

//! Running one benchmark process: standard output and error captured, a time limit, the
//! whole-process wall time, and the peak resident set size from `wait4`'s `rusage`.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// How a process ended.
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

/// Everything one run produced.
#[derive(Debug, Clone)]
pub struct Finished {
    pub exit: Exit,
    /// From just before the spawn to the process's exit.
    pub wall: Duration,
    /// Peak resident set size of the process (and of any children it waited for), in KiB.
    pub max_rss_kib: u64,
    pub stdout: String,
    pub stderr: String,
}

/// How long to wait for the output pipes to close once the process is gone (a grandchild
/// that escaped the process group could hold them open).
const PIPE_GRACE: Duration = Duration::from_secs(5);

/// Run `cmd` with no standard input in a process group of its own; after `timeout`, kill
/// the whole group.
pub fn run(cmd: &mut Command, timeout: Duration) -> Result<Finished> {
    use std::os::unix::process::CommandExt;

    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start {:?}", cmd.get_program()))?;
    let pid = libc::pid_t::try_from(child.id()).context("pid out of range")?;
    let out = reader(child.stdout.take().context("stdout pipe")?);
    let err = reader(child.stderr.take().context("stderr pipe")?);

    // The waiter blocks until the child has exited but leaves it a zombie (WNOWAIT), so
    // its pid cannot be reused while this thread may still kill it.
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        wait_exited(pid);
        let _ = tx.send(Instant::now());
    });
    let (end, timed_out) = match rx.recv_timeout(timeout) {
        Ok(end) => (end, false),
        Err(_) => {
            // SAFETY: plain system call; -pid is the child's own process group, and the
            // child has not been reaped yet.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
            (rx.recv().unwrap_or_else(|_| Instant::now()), true)
        }
    };
    let (status, max_rss_kib) = reap(pid)?;
    // The child is reaped by hand: `Child` does not wait on drop, so nothing else will.
    drop(child);

    let exit = if timed_out {
        Exit::TimedOut
    } else if libc::WIFEXITED(status) {
        Exit::Code(libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        Exit::Signal(libc::WTERMSIG(status))
    } else {
        Exit::Code(-1)
    };
    let collect = |rx: mpsc::Receiver<Vec<u8>>| {
        String::from_utf8_lossy(&rx.recv_timeout(PIPE_GRACE).unwrap_or_default()).into_owned()
    };
    Ok(Finished {
        exit,
        wall: end.saturating_duration_since(start),
        max_rss_kib,
        stdout: collect(out),
        stderr: collect(err),
    })
}

fn reader(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        let _ = tx.send(buf);
    });
    rx
}

/// Block until `pid` has exited, without reaping it.
fn wait_exited(pid: libc::pid_t) {
    loop {
        // SAFETY: siginfo_t is plain data; waitid only writes into it.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let id = libc::id_t::try_from(pid).unwrap_or(0);
        // SAFETY: plain system call on our own child.
        let r = unsafe { libc::waitid(libc::P_PID, id, &mut info, libc::WEXITED | libc::WNOWAIT) };
        if r == 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return;
        }
    }
}

/// Reap `pid`: its wait status and peak RSS in KiB.
fn reap(pid: libc::pid_t) -> Result<(libc::c_int, u64)> {
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: rusage is plain data; wait4 only writes into it.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: plain system call on our own child.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            // Linux reports ru_maxrss in KiB.
            return Ok((status, u64::try_from(usage.ru_maxrss).unwrap_or(0)));
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            bail!("wait4({pid}): {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_output_status_and_rss() {
        let f = run(
            Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(f.exit, Exit::Code(3));
        assert_eq!(f.stdout, "out\n");
        assert_eq!(f.stderr, "err\n");
        assert!(f.max_rss_kib > 0);
    }

    #[test]
    fn kills_the_process_group_at_the_time_limit() {
        let start = Instant::now();
        let f = run(
            Command::new("sh").args(["-c", "sleep 30 & sleep 30"]),
            Duration::from_millis(200),
        )
        .unwrap();
        assert_eq!(f.exit, Exit::TimedOut);
        assert!(start.elapsed() < Duration::from_secs(10));
    }
}

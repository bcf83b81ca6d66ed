//! The terminal driver `tty_sl`: what OTP 25's `user_drv` opens with
//! `open_port({spawn, "tty_sl -c -e"}, [eof])` to run the interactive shell.
//!
//! It speaks erts' `ttsl_drv` protocol, so that OTP's `user_drv`, `group`, `edlin`
//! and `shell` run unmodified over it:
//! - **Output** (`port_command`): the first byte is the operation: 0 put characters
//!   (UTF-8) at the cursor, overwriting; 1 move the cursor by a signed 16-bit count of
//!   characters; 2 insert characters at the cursor; 3 delete a signed 16-bit count of
//!   characters after (positive) or before (negative) the cursor; 4 beep; 5 as 0, then
//!   `{Port, ok}` to the connected process once written (`put_chars_sync`).
//! - **Control** (`port_control`, the operation plus `16#18b0900`): 100 the window size (width, height as native 32-bit
//!   words), 101 whether the terminal takes UTF-8, 102 set that (the old state back).
//! - **Input**: `{Port, {data, Bytes}}`, UTF-8 (a latin1 terminal's bytes converted),
//!   a character split between reads held back until it is whole.
//!
//! The driver keeps the current line (as `ttsl_drv` does) to know where the cursor is
//! and to redraw what follows it: one cell per printable character, `^X` for control
//! characters, tabs padded to 8, `\NNN`/`\x{H}` for characters a latin1 terminal cannot
//! show. Cursor motion uses the ANSI sequences every terminal girder targets knows
//! (left: backspace, right `ESC [ C`, up `ESC [ A`, down: line feed; with output
//! post-processing off, as the driver sets it, a line feed moves down only).
//!
//! The terminal: non-canonical, no echo, no CR-to-NL translation, no output
//! post-processing (`-c -e`), signals left on, so Ctrl-C raises SIGINT, which opens
//! the BREAK menu (see [`console_loop`]). The original mode comes back when the port
//! closes, at exit (`atexit`), in a panic, and on the signals that end the VM (SIGTERM,
//! SIGHUP, SIGQUIT, SIGABRT, SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGUSR1, SIGUSR2, SIGALRM,
//! SIGVTALRM, SIGXCPU, SIGXFSZ, SIGSYS: the handler restores it,
//! then lets the signal do what it would have done, Rust's stack-overflow report
//! included).

use std::io::{self, Write};
use std::os::fd::RawFd;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};

const OP_PUTC: u8 = 0;
const OP_MOVE: u8 = 1;
const OP_INSC: u8 = 2;
const OP_DELC: u8 = 3;
const OP_BEEP: u8 = 4;
const OP_PUTC_SYNC: u8 = 5;

/// Control operations carry erts' magic number for this driver (`user_drv` asks
/// `100 + 16#18b0900` for the window size).
const CTRL_MAGIC: u32 = 0x018b_0900;
const CTRL_GET_WINSIZE: u32 = CTRL_MAGIC + 100;
const CTRL_GET_UNICODE_STATE: u32 = CTRL_MAGIC + 101;
const CTRL_SET_UNICODE_STATE: u32 = CTRL_MAGIC + 102;

/// Line-buffer cell tags: a control character (`^X`, two cells, or a tab's padding)
/// and a character shown escaped (`\NNN`), its padding cells holding the tag alone.
const CONTROL_TAG: u32 = 0x1000_0000;
const ESCAPED_TAG: u32 = 0x0100_0000;
const TAG_MASK: u32 = 0xFF00_0000;

const DEF_WIDTH: u32 = 80;
const DEF_HEIGHT: u32 = 24;

/// The terminal's mode before the driver changed it, and the driver's own (for SIGCONT).
static SAVED_MODE: OnceLock<libc::termios> = OnceLock::new();
static RAW_MODE: OnceLock<libc::termios> = OnceLock::new();
/// Whether the terminal is in the driver's mode now (what exit paths must undo).
static RAW_ACTIVE: AtomicBool = AtomicBool::new(false);
/// Set by SIGWINCH: the width is read again before the next cursor arithmetic.
static RESIZED: AtomicBool = AtomicBool::new(false);
/// The write end of the pipe SIGINT's handler wakes the console thread through.
static SIGNAL_PIPE: AtomicI32 = AtomicI32::new(-1);
/// The open `tty_sl` port's number (0: none), for the console thread.
static TTY_PORT: AtomicU64 = AtomicU64::new(0);
static HANDLERS: OnceLock<()> = OnceLock::new();

const IN_FD: RawFd = 0;
const OUT_FD: RawFd = 1;

/// One open terminal driver: the line being edited and the terminal's properties.
pub struct Tty {
    cols: isize,
    /// The terminal takes UTF-8 (else latin1).
    utf8: bool,
    lbuf: Vec<u32>,
    llen: isize,
    lpos: isize,
    out: Vec<u8>,
}

fn is_print(ch: u32) -> bool {
    (0x20..0x7f).contains(&ch)
}

/// Whether the locale says UTF-8, read from the environment as `ttsl_drv` does where
/// it has no `nl_langinfo`: `LC_ALL`, else `LC_CTYPE`, else `LANG`.
fn utf8_locale() -> bool {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .is_some_and(|l| {
            let l = l.to_ascii_uppercase();
            l.contains("UTF-8") || l.contains("UTF8")
        })
}

fn isatty(fd: RawFd) -> bool {
    // SAFETY: isatty only inspects the descriptor.
    unsafe { libc::isatty(fd) == 1 }
}

fn set_mode(mode: &libc::termios) -> bool {
    // SAFETY: tcsetattr reads the termios structure; fd 0 is the VM's standard input.
    unsafe { libc::tcsetattr(IN_FD, libc::TCSANOW, mode) == 0 }
}

/// Put the terminal back as it was (async-signal-safe: atomics and tcsetattr only).
pub fn restore_terminal() {
    if RAW_ACTIVE.swap(false, Ordering::SeqCst)
        && let Some(m) = SAVED_MODE.get()
    {
        set_mode(m);
    }
}

/// Bytes written to the terminal outside the driver (girder's own `standard_error` and
/// crash reports): while the driver has output post-processing off, each line feed
/// needs its carriage return, which the terminal would otherwise have added.
pub fn terminal_newlines(bytes: Vec<u8>) -> Vec<u8> {
    if !RAW_ACTIVE.load(Ordering::SeqCst) || !bytes.contains(&b'\n') {
        return bytes;
    }
    let mut out = Vec::with_capacity(bytes.len() + 16);
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' && (i == 0 || bytes[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

fn enter_raw() {
    if let Some(m) = RAW_MODE.get()
        && set_mode(m)
    {
        RAW_ACTIVE.store(true, Ordering::SeqCst);
    }
}

extern "C" fn restore_at_exit() {
    restore_terminal();
}

extern "C" fn on_fatal_signal(sig: libc::c_int) {
    restore_terminal();
    // SAFETY: resetting the disposition and re-raising are async-signal-safe; the
    // default action then ends the process as it would have without the handler.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

/// The handlers SIGSEGV and SIGBUS had before (Rust's stack-overflow reporter), which
/// [`on_fault`] hands the signal on to.
static PREVIOUS_SEGV: OnceLock<libc::sigaction> = OnceLock::new();
static PREVIOUS_BUS: OnceLock<libc::sigaction> = OnceLock::new();

extern "C" fn on_fault(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    restore_terminal();
    let previous = if sig == libc::SIGSEGV {
        PREVIOUS_SEGV.get()
    } else {
        PREVIOUS_BUS.get()
    };
    match previous {
        Some(old) if old.sa_sigaction != libc::SIG_DFL && old.sa_sigaction != libc::SIG_IGN => {
            if old.sa_flags & libc::SA_SIGINFO != 0 {
                // SAFETY: the previous handler was installed with SA_SIGINFO, so it takes
                // these three arguments, which are the ones the kernel gave us.
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    unsafe { std::mem::transmute(old.sa_sigaction) };
                f(sig, info, ctx);
            } else {
                // SAFETY: a handler installed without SA_SIGINFO takes the signal number.
                let f: extern "C" fn(libc::c_int) =
                    unsafe { std::mem::transmute(old.sa_sigaction) };
                f(sig);
            }
        }
        _ => {
            // SAFETY: back to the default action; returning re-runs the faulting
            // instruction, which then ends the process as it would have.
            unsafe { libc::signal(sig, libc::SIG_DFL) };
        }
    }
}

extern "C" fn on_winch(_: libc::c_int) {
    RESIZED.store(true, Ordering::SeqCst);
}

extern "C" fn on_cont(_: libc::c_int) {
    // Back from a stop (Ctrl-Z, then fg): the shell that resumed us reset the terminal.
    if TTY_PORT.load(Ordering::SeqCst) != 0 {
        enter_raw();
    }
}

extern "C" fn on_interrupt(_: libc::c_int) {
    let fd = SIGNAL_PIPE.load(Ordering::SeqCst);
    if fd >= 0 {
        let b = 1u8;
        // SAFETY: write is async-signal-safe; one byte from a local.
        unsafe { libc::write(fd, (&raw const b).cast(), 1) };
    }
}

fn install(sig: libc::c_int, handler: extern "C" fn(libc::c_int)) {
    // SAFETY: a zeroed sigaction with a handler and an empty mask is valid; the handlers
    // only touch atomics and make async-signal-safe calls.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = handler as usize;
        sa.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(sig, &sa, std::ptr::null_mut());
    }
}

fn install_handlers() -> io::Result<()> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    SIGNAL_PIPE.store(fds[1], Ordering::SeqCst);
    let wake = fds[0];
    std::thread::Builder::new()
        .name("console".into())
        .spawn(move || console_loop(wake))?;
    // SAFETY: registers a plain function to run at exit.
    unsafe { libc::atexit(restore_at_exit) };
    for sig in [
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGQUIT,
        libc::SIGABRT,
        libc::SIGFPE,
        libc::SIGILL,
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGALRM,
        libc::SIGVTALRM,
        libc::SIGXCPU,
        libc::SIGXFSZ,
        libc::SIGSYS,
    ] {
        install(sig, on_fatal_signal);
    }
    for (sig, previous) in [
        (libc::SIGSEGV, &PREVIOUS_SEGV),
        (libc::SIGBUS, &PREVIOUS_BUS),
    ] {
        // SAFETY: a zeroed sigaction is valid; sigaction writes the old one into `old` and
        // installs `sa`, whose handler only restores the terminal and chains (see
        // `on_fault`). SA_ONSTACK: a stack overflow is reported on the alternate stack.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_fault as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut sa.sa_mask);
            if libc::sigaction(sig, &sa, &mut old) == 0 {
                let _ = previous.set(old);
            }
        }
    }
    install(libc::SIGWINCH, on_winch);
    install(libc::SIGCONT, on_cont);
    install(libc::SIGINT, on_interrupt);
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        prev(info);
    }));
    Ok(())
}

/// The window size: width and height, 80x24 when the terminal does not say.
pub fn window_size() -> (u32, u32) {
    // SAFETY: a zeroed winsize is valid; TIOCGWINSZ writes only into it.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: as above; fd 1 is the VM's standard output.
    if unsafe { libc::ioctl(OUT_FD, libc::TIOCGWINSZ, &mut ws) } == 0 {
        let w = if ws.ws_col == 0 {
            DEF_WIDTH
        } else {
            u32::from(ws.ws_col)
        };
        let h = if ws.ws_row == 0 {
            DEF_HEIGHT
        } else {
            u32::from(ws.ws_row)
        };
        return (w, h);
    }
    (DEF_WIDTH, DEF_HEIGHT)
}

impl Tty {
    /// Open the driver for port `id` (`command` is `tty_sl` and its flags). Fails, as
    /// `ttsl_drv` does, unless standard input and output are terminals, or when a
    /// `tty_sl` port is open already.
    pub fn open(id: u64, command: &str) -> io::Result<Tty> {
        if !isatty(IN_FD) || !isatty(OUT_FD) {
            return Err(io::Error::from_raw_os_error(libc::ENOTTY));
        }
        if TTY_PORT
            .compare_exchange(0, id, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            return Err(io::Error::from_raw_os_error(libc::EBUSY));
        }
        let (mut canon, mut echo, mut sig) = (0, 0, 0);
        for arg in command.split(' ').skip(1) {
            let flag = match arg.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => 0,
            };
            match arg.as_bytes().get(1) {
                Some(b'c') if flag != 0 => canon = flag,
                Some(b'e') if flag != 0 => echo = flag,
                Some(b's') if flag != 0 => sig = flag,
                _ => {}
            }
        }
        // SAFETY: a zeroed termios is valid; tcgetattr fills it.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: fd 0 is a terminal (checked above); `saved` is writable.
        if unsafe { libc::tcgetattr(IN_FD, &mut saved) } != 0 {
            TTY_PORT.store(0, Ordering::SeqCst);
            return Err(io::Error::last_os_error());
        }
        let saved = *SAVED_MODE.get_or_init(|| saved);
        let raw = *RAW_MODE.get_or_init(|| raw_mode(saved, canon, echo, sig));
        if HANDLERS.get().is_none() {
            if let Err(e) = install_handlers() {
                TTY_PORT.store(0, Ordering::SeqCst);
                return Err(e);
            }
            let _ = HANDLERS.set(());
        }
        if !set_mode(&raw) {
            TTY_PORT.store(0, Ordering::SeqCst);
            return Err(io::Error::last_os_error());
        }
        RAW_ACTIVE.store(true, Ordering::SeqCst);
        let (w, _) = window_size();
        Ok(Tty {
            cols: w as isize,
            utf8: utf8_locale(),
            lbuf: Vec::new(),
            llen: 0,
            lpos: 0,
            out: Vec::new(),
        })
    }

    /// The port closes: the terminal goes back to its mode.
    pub fn close(&self) {
        restore_terminal();
        TTY_PORT.store(0, Ordering::SeqCst);
    }

    /// Whether the terminal takes UTF-8 (input arrives as it is, else as latin1).
    pub fn utf8(&self) -> bool {
        self.utf8
    }

    /// `port_command`: carry out one operation. True when it asks for the `{Port, ok}`
    /// acknowledgement (`put_chars_sync`).
    pub fn command(&mut self, bytes: &[u8]) -> bool {
        let Some((&op, rest)) = bytes.split_first() else {
            return false;
        };
        if self.lpos > (1 << 16) {
            self.put_chars(b"\n");
        }
        let int16 = || match rest {
            [a, b, ..] => isize::from(i16::from_be_bytes([*a, *b])),
            _ => 0,
        };
        let sync = match op {
            OP_PUTC | OP_PUTC_SYNC => {
                self.put_chars(rest);
                op == OP_PUTC_SYNC
            }
            OP_MOVE => {
                self.move_rel(int16());
                false
            }
            OP_INSC => {
                self.ins_chars(rest);
                false
            }
            OP_DELC => {
                self.del_chars(int16());
                false
            }
            OP_BEEP => {
                self.out.push(7);
                false
            }
            _ => false,
        };
        self.flush();
        sync
    }

    /// `port_control`: the answer, or `None` (badarg) for an unknown operation.
    pub fn control(&mut self, op: u32, data: &[u8]) -> Option<Vec<u8>> {
        match op {
            CTRL_GET_WINSIZE => {
                let (w, h) = window_size();
                let mut r = w.to_ne_bytes().to_vec();
                r.extend_from_slice(&h.to_ne_bytes());
                Some(r)
            }
            CTRL_GET_UNICODE_STATE => Some(vec![u8::from(self.utf8)]),
            CTRL_SET_UNICODE_STATE => {
                let &m = data.first()?;
                let old = self.utf8;
                self.utf8 = m != 0;
                Some(vec![u8::from(old)])
            }
            _ => None,
        }
    }

    fn flush(&mut self) {
        if self.out.is_empty() {
            return;
        }
        // What girder's own output server wrote comes first.
        let _ = io::stdout().flush();
        write_all(OUT_FD, &self.out);
        crate::port::count_io(0, self.out.len() as u64);
        self.out.clear();
    }

    fn update_cols(&mut self) {
        if RESIZED.swap(false, Ordering::SeqCst) {
            self.cols = window_size().0 as isize;
        }
    }

    fn col(&self, l: isize) -> isize {
        l.rem_euclid(self.cols)
    }

    fn line(&self, l: isize) -> isize {
        l.div_euclid(self.cols)
    }

    fn cell(&self, i: isize) -> u32 {
        self.lbuf.get(i as usize).copied().unwrap_or(0)
    }

    fn set_cell(&mut self, i: isize, v: u32) {
        let i = i as usize;
        if i >= self.lbuf.len() {
            self.lbuf.resize(i + 1, 0);
        }
        self.lbuf[i] = v;
    }

    fn put_chars(&mut self, s: &[u8]) {
        let n = self.insert_buf(s);
        if n > 0 {
            self.write_buf(self.lpos - n, n);
        }
        if self.lpos > self.llen {
            self.llen = self.lpos;
        }
    }

    fn move_rel(&mut self, n: isize) {
        let npos = self.step_over_chars(n);
        self.move_cursor(self.lpos, npos);
        self.lpos = npos;
    }

    fn ins_chars(&mut self, s: &[u8]) {
        let tail: Vec<u32> = (self.lpos..self.llen).map(|i| self.cell(i)).collect();
        let n = self.insert_buf(s);
        for (k, &c) in tail.iter().enumerate() {
            self.set_cell(self.lpos + k as isize, c);
        }
        self.llen += n;
        self.write_buf(self.lpos - n, self.llen - (self.lpos - n));
        self.move_cursor(self.llen, self.lpos);
    }

    fn del_chars(&mut self, n: isize) {
        self.update_cols();
        let pos = self.step_over_chars(n);
        let (l, from) = if pos > self.lpos {
            (pos - self.lpos, self.lpos)
        } else if pos < self.lpos {
            let l = self.lpos - pos;
            self.move_cursor(self.lpos, pos);
            (l, pos)
        } else {
            return;
        };
        // Close the gap: the cells after the deleted ones move to `from`.
        let after_start = from + l;
        let tail: Vec<u32> = (after_start..self.llen).map(|i| self.cell(i)).collect();
        for (k, &c) in tail.iter().enumerate() {
            self.set_cell(from + k as isize, c);
        }
        self.lpos = from;
        self.llen -= l;
        self.write_buf(self.lpos, tail.len() as isize);
        self.out.extend(std::iter::repeat_n(b' ', l as usize));
        if self.col(self.llen + l) == 0 {
            // Terminals that wrap late (xn) leave the cursor past the last column.
            self.out.push(b' ');
            self.move_left(1);
        }
        self.move_cursor(self.llen + l, self.lpos);
    }

    fn step_over_chars(&self, mut n: isize) -> isize {
        let (beg, end) = (0, self.llen);
        let mut c = self.lpos;
        let pad = |v: u32| v & TAG_MASK != 0 && v & !TAG_MASK == 0;
        while n > 0 && c < end {
            c += 1;
            while c < end && pad(self.cell(c)) {
                c += 1;
            }
            n -= 1;
        }
        while n < 0 && c > beg {
            c -= 1;
            while c > beg && pad(self.cell(c)) {
                c -= 1;
            }
            n += 1;
        }
        c
    }

    /// Decode `s` (UTF-8; a byte that is not is taken as itself) into the line at the
    /// cursor; a newline, return or escape writes out what came before and starts the
    /// line anew. The number of cells put in the current line.
    fn insert_buf(&mut self, s: &[u8]) -> isize {
        let mut buffpos = self.lpos;
        for ch in decode_lenient(s) {
            if (self.utf8 && (ch >= 128 || is_print(ch))) || (ch <= 255 && is_print(ch)) {
                self.set_cell(self.lpos, ch);
                self.lpos += 1;
            } else if ch >= 128 {
                let nc = escaped_width(ch);
                self.set_cell(self.lpos, ch | ESCAPED_TAG);
                self.lpos += 1;
                for _ in 0..nc {
                    self.set_cell(self.lpos, ESCAPED_TAG);
                    self.lpos += 1;
                }
            } else if ch == u32::from(b'\t') {
                let mut c = ch;
                loop {
                    self.set_cell(self.lpos, CONTROL_TAG | c);
                    self.lpos += 1;
                    c = 0;
                    if self.lpos % 8 == 0 {
                        break;
                    }
                }
            } else if ch == 0x1b || ch == u32::from(b'\n') || ch == u32::from(b'\r') {
                self.write_buf(buffpos, self.lpos - buffpos);
                if ch == 0x1b {
                    self.out.push(0x1b);
                } else {
                    self.out.push(b'\r');
                    if ch == u32::from(b'\n') {
                        self.out.push(b'\n');
                    }
                }
                if self.llen > self.lpos {
                    // As ttsl_drv's `memcpy(lbuf, lbuf + lpos, llen - lpos)`, which counts
                    // bytes of its 32-bit cells: only a quarter of the tail moves to the
                    // line's start (the last cell in part, its low bytes first). Later
                    // inserts redraw what the line then holds, so the screen shows it.
                    let bytes: Vec<u8> = (self.lpos..self.llen)
                        .flat_map(|i| self.cell(i).to_le_bytes())
                        .take((self.llen - self.lpos) as usize)
                        .collect();
                    for (k, part) in bytes.chunks(4).enumerate() {
                        let mut cell = self.cell(k as isize).to_le_bytes();
                        cell[..part.len()].copy_from_slice(part);
                        self.set_cell(k as isize, u32::from_le_bytes(cell));
                    }
                }
                self.llen -= self.lpos;
                self.lpos = 0;
                buffpos = 0;
            } else {
                self.set_cell(self.lpos, ch | CONTROL_TAG);
                self.set_cell(self.lpos + 1, CONTROL_TAG);
                self.lpos += 2;
            }
        }
        self.lpos - buffpos
    }

    /// Write `n` cells of the line from `start`, as the terminal shows them.
    fn write_buf(&mut self, start: isize, n: isize) {
        self.update_cols();
        let mut s = start;
        let mut n = n;
        let mut lastput: Option<u32> = Some(u32::from(b' '));
        while n > 0 {
            let c = self.cell(s);
            if c & TAG_MASK == 0 {
                self.put_char(c);
                lastput = if self.utf8 { None } else { Some(c) };
                n -= 1;
                s += 1;
            } else if c == CONTROL_TAG | u32::from(b'\t') {
                self.out.push(b' ');
                lastput = Some(u32::from(b' '));
                n -= 1;
                s += 1;
                while n > 0 && self.cell(s) == CONTROL_TAG {
                    self.out.push(b' ');
                    n -= 1;
                    s += 1;
                }
            } else if c & CONTROL_TAG != 0 {
                let v = c & !TAG_MASK;
                let shown = if v == 0o177 { b'?' } else { (v as u8) | 0x40 };
                self.out.push(b'^');
                self.out.push(shown);
                lastput = Some(u32::from(shown));
                n -= 2;
                s += 2;
            } else if c & ESCAPED_TAG != 0 {
                let text = escaped_text(c & !TAG_MASK);
                self.out.push(b'\\');
                self.out.extend_from_slice(text.as_bytes());
                lastput = text.bytes().last().map(u32::from);
                n -= text.len() as isize + 1;
                s += text.len() as isize + 1;
            } else {
                // A padding cell where a character should be: skip it.
                n -= 1;
                s += 1;
            }
        }
        // Landed in the first column of a new line: terminals that wrap late (xn) need a
        // character written there to move the cursor down.
        if self.col(s) == 0 && s != 0 {
            if s >= self.llen {
                self.out.push(b' ');
            } else {
                let c = lastput.unwrap_or_else(|| self.cell(s - 1) & !TAG_MASK);
                self.put_char(c);
            }
            self.move_left(1);
        }
    }

    fn put_char(&mut self, c: u32) {
        if self.utf8 {
            if let Some(ch) = char::from_u32(c) {
                let mut b = [0u8; 4];
                self.out
                    .extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
            }
        } else {
            self.out.push(c as u8);
        }
    }

    fn move_cursor(&mut self, from: isize, to: isize) {
        self.update_cols();
        let dc = self.col(to) - self.col(from);
        let dl = self.line(to) - self.line(from);
        for _ in 0..dl.max(0) {
            self.out.push(b'\n');
        }
        for _ in 0..(-dl).max(0) {
            self.out.extend_from_slice(b"\x1b[A");
        }
        for _ in 0..dc.max(0) {
            self.out.extend_from_slice(b"\x1b[C");
        }
        self.move_left(-dc);
    }

    fn move_left(&mut self, n: isize) {
        for _ in 0..n.max(0) {
            self.out.push(8);
        }
    }
}

/// The raw mode `ttsl_drv` sets for its flags (`-c`: not canonical, `-e`: no echo,
/// `-s`: no signals; `+` the opposite; absent: as the terminal was).
fn raw_mode(saved: libc::termios, canon: i32, echo: i32, sig: i32) -> libc::termios {
    let mut m = saved;
    m.c_iflag &= !libc::ISTRIP;
    if canon > 0 {
        m.c_iflag |= libc::ICRNL;
        m.c_lflag |= libc::ICANON;
        m.c_oflag |= libc::OPOST;
    }
    if canon < 0 {
        m.c_iflag &= !libc::ICRNL;
        m.c_lflag &= !libc::ICANON;
        m.c_oflag &= !libc::OPOST;
        m.c_cc[libc::VMIN] = 1;
        m.c_cc[libc::VTIME] = 0;
    }
    if echo > 0 {
        m.c_lflag |= libc::ECHO;
    }
    if echo < 0 {
        m.c_lflag &= !libc::ECHO;
    }
    let sig_iflags = libc::BRKINT | libc::IGNPAR | libc::ICRNL | libc::IXON | libc::IXANY;
    if sig > 0 {
        m.c_iflag |= sig_iflags;
        m.c_lflag |= libc::ISIG | libc::IEXTEN;
    }
    if sig < 0 {
        m.c_iflag &= !sig_iflags;
        m.c_lflag &= !(libc::ISIG | libc::IEXTEN);
    }
    m
}

/// Characters of `s`: UTF-8 where it is valid, else each byte as itself.
fn decode_lenient(s: &[u8]) -> Vec<u32> {
    let mut out = Vec::with_capacity(s.len());
    let mut rest = s;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(text) => {
                out.extend(text.chars().map(u32::from));
                break;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                out.extend(
                    std::str::from_utf8(good)
                        .unwrap_or_default()
                        .chars()
                        .map(u32::from),
                );
                out.push(u32::from(bad[0]));
                rest = &bad[1..];
            }
        }
    }
    out
}

/// The cells after the backslash an escaped character takes: 3 octal digits up to
/// `\777`, else `x{H...}`.
fn escaped_width(ch: u32) -> isize {
    escaped_text(ch).len() as isize
}

fn escaped_text(ch: u32) -> String {
    if ch < 0o1000 {
        format!("{ch:03o}")
    } else {
        format!("x{{{ch:X}}}")
    }
}

fn write_all(fd: RawFd, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: writes from a live slice to a descriptor the VM holds open.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n < 0 {
            if io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return;
        }
        bytes = &bytes[n as usize..];
    }
}

/// Split terminal input into what can be delivered now and an incomplete UTF-8
/// character to keep for the next read. A latin1 terminal's bytes are converted.
pub fn input_chunk(utf8: bool, pending: &mut Vec<u8>, read: &[u8]) -> Vec<u8> {
    pending.extend_from_slice(read);
    if !utf8 {
        let text: String = pending.drain(..).map(char::from).collect();
        return text.into_bytes();
    }
    match std::str::from_utf8(pending) {
        Ok(_) => std::mem::take(pending),
        Err(e) if e.error_len().is_none() => {
            // An incomplete character at the end: keep it.
            let keep = pending.split_off(e.valid_up_to());
            std::mem::replace(pending, keep)
        }
        Err(_) => {
            // Not UTF-8 after all (as ttsl_drv, give up on it): latin1.
            let text: String = pending.drain(..).map(char::from).collect();
            text.into_bytes()
        }
    }
}

/// The console thread: waits for terminal input (handing it to the `tty_sl` port) and
/// for SIGINT, which opens erts' BREAK menu.
fn console_loop(wake: RawFd) {
    let mut pending = Vec::new();
    loop {
        let mut fds = [
            libc::pollfd {
                fd: wake,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: IN_FD,
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // Read the terminal only while a driver is open (else it is someone else's).
        let watch = if TTY_PORT.load(Ordering::SeqCst) != 0 {
            2
        } else {
            1
        };
        // SAFETY: `fds` holds `watch` valid pollfd entries.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), watch, 200) };
        if r <= 0 {
            continue;
        }
        if fds[0].revents != 0 {
            let mut b = [0u8; 64];
            // SAFETY: reads into a local buffer from the signal pipe.
            unsafe { libc::read(wake, b.as_mut_ptr().cast(), b.len()) };
            break_menu();
            continue;
        }
        if watch == 2 && fds[1].revents != 0 {
            let mut buf = [0u8; 1024];
            // SAFETY: reads into a local buffer from standard input.
            let n = unsafe { libc::read(IN_FD, buf.as_mut_ptr().cast(), buf.len()) };
            let id = TTY_PORT.load(Ordering::SeqCst);
            if id == 0 {
                continue;
            }
            if n <= 0 {
                if n < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                    continue;
                }
                crate::port::tty_eof(id);
                // Nothing more will come: wait for signals only.
                TTY_PORT.store(0, Ordering::SeqCst);
                continue;
            }
            crate::port::tty_input(id, &buf[..n as usize], &mut pending);
        }
    }
}

/// The BREAK menu's reports: `p` (processes, then ports), `o` (ports), `i` (memory and
/// tables), `l` (loaded code), `d` (distribution), `D` (ETS tables) and `k` (a walk over the
/// processes, offering to kill each: its answers read with the function given). Written
/// where all of that is known (`girder-bifs`, which registers it at start).
pub type BreakReport = fn(u8, &mut dyn Write, &mut dyn FnMut() -> u8);

static BREAK_REPORT: OnceLock<BreakReport> = OnceLock::new();

/// Register the BREAK menu's reports (once; later calls are ignored).
pub fn set_break_report(report: BreakReport) {
    let _ = BREAK_REPORT.set(report);
}

/// erts' BREAK menu, on SIGINT: the terminal in its own mode while it asks.
fn break_menu() {
    let was_raw = RAW_ACTIVE.load(Ordering::SeqCst);
    restore_terminal();
    let _ = io::stdout().flush();
    let mut out = io::stdout().lock();
    let _ = out.write_all(
        b"\nBREAK: (a)bort (A)bort with dump (c)ontinue (p)roc info (i)nfo\n       \
          (l)oaded (v)ersion (k)ill (D)b-tables (d)istribution\n",
    );
    let _ = out.flush();
    drop(out);
    loop {
        let Some(key) = read_key() else {
            halt(0);
        };
        match key {
            b'q' | b'a' | b'*' => halt(0),
            b'A' => {
                eprintln!("girder: no crash dump (girder does not write erl_crash.dump)");
                halt(1);
            }
            b'c' => break,
            b'v' => {
                println!(
                    "Erlang (girder) emulator version {}",
                    env!("CARGO_PKG_VERSION")
                );
                break;
            }
            b'\n' => continue,
            b'm' => break,
            b'p' | b'i' | b'l' | b'k' | b'D' | b'd' | b'o' => {
                match BREAK_REPORT.get() {
                    Some(report) => {
                        let mut out = io::stdout().lock();
                        report(key, &mut out, &mut || read_key().unwrap_or_else(|| halt(0)));
                        let _ = out.flush();
                    }
                    None => println!("girder: no BREAK reports in this build"),
                }
                break;
            }
            _ => println!("Eh?\n"),
        }
    }
    let _ = io::stdout().flush();
    if was_raw && TTY_PORT.load(Ordering::SeqCst) != 0 {
        enter_raw();
    }
}

/// One line from standard input (canonical mode): its first character.
fn read_key() -> Option<u8> {
    let mut buf = [0u8; 64];
    loop {
        // SAFETY: reads into a local buffer from standard input.
        let n = unsafe { libc::read(IN_FD, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
            continue;
        }
        if n <= 0 {
            return None;
        }
        let first = buf[0];
        if first != b'\n' && buf[n as usize - 1] != b'\n' {
            // Eat the rest of the line.
            loop {
                // SAFETY: as above.
                let m = unsafe { libc::read(IN_FD, buf.as_mut_ptr().cast(), buf.len()) };
                if m <= 0 || buf[m as usize - 1] == b'\n' {
                    break;
                }
            }
        }
        return Some(first);
    }
}

fn halt(status: i32) -> ! {
    let _ = io::stdout().flush();
    restore_terminal();
    std::process::exit(status)
}

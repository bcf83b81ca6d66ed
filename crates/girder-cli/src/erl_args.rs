//! `erl`-compatible command-line arguments for non-interactive use.
//!
//! As erl does: `-pa`/`-pz` take every following argument up to the next one starting with
//! `-` or `+`; `-s Mod [Fun [Args...]]` calls `Mod:Fun(['Arg'...])` (atoms, or `Mod:Fun()`
//! with none; `Fun` defaults to `start`); `-run` is the same with strings; `-eval Expr`
//! evaluates one expression; the three run in command-line order; `-extra` ends
//! option parsing; `-env VAR VALUE` sets an environment variable; `-detached` is refused.
//! Other flags are kept for `init:get_argument/1`, as erl keeps them. `ERL_AFLAGS`,
//! `ERL_FLAGS` and `ERL_ZFLAGS` add arguments as erl's launcher does ([`with_env_flags`]).

use std::path::PathBuf;

/// One `-s` or `-run` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartCall {
    /// Module.
    pub module: String,
    /// Function (`start` when not given).
    pub function: String,
    /// Arguments as given.
    pub args: Vec<String>,
    /// `-run` (strings) rather than `-s` (atoms).
    pub strings: bool,
}

/// One start request, in command-line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// `-s` or `-run`.
    Call(StartCall),
    /// `-eval Expr`.
    Eval(String),
}

/// What the command line asks for.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ErlArgs {
    /// `-noshell` or `-noinput`: no shell (without them, `user_sup` starts OTP's).
    pub noshell: bool,
    /// `-pa` directories, in order.
    pub pa: Vec<PathBuf>,
    /// `-pz` directories, in order.
    pub pz: Vec<PathBuf>,
    /// `-s`, `-run` and `-eval` requests, in order.
    pub starts: Vec<Start>,
    /// Arguments after `-extra`.
    pub extra: Vec<String>,
    /// `+S N`: scheduler threads.
    pub schedulers: Option<usize>,
    /// `-emu_flavor jit|emu`: the engine (as erl's launcher reads it; not reported to
    /// `init`).
    pub emu_flavor: Option<String>,
    /// `+JPperf true|map`: write `/tmp/perf-PID.map` for `perf`.
    pub perf_map: bool,
    /// `+JPperf true|dump`: write `/tmp/jit-PID.dump` (perf's jitdump) too.
    pub perf_dump: bool,
    /// `+pc unicode`: `io:printable_range()` is `unicode`.
    pub printable_unicode: bool,
    /// `-env VAR VALUE`, in order.
    pub env: Vec<(String, String)>,
    /// Every other `-flag value...`, in order, as `init:get_arguments/0` reports them
    /// (`-pa` and `-noshell` included; `-s`, `-run`, `-eval` and `-extra` not).
    pub flags: Vec<(String, Vec<String>)>,
}

/// The arguments erl's launcher runs with: `ERL_AFLAGS`, the command line, `ERL_FLAGS`,
/// then `ERL_ZFLAGS`, each variable split as a shell splits words (quotes and backslashes);
/// what follows an `-extra` in each part is moved to one `-extra` section at the end, in
/// the same order, a variable's part followed by `--` as erl's launcher leaves it.
pub fn with_env_flags(args: &[String]) -> Vec<String> {
    let var = |name: &str| {
        std::env::var(name)
            .map(|v| split_words(&v))
            .unwrap_or_default()
    };
    let parts = [
        (var("ERL_AFLAGS"), true),
        (args.to_vec(), false),
        (var("ERL_FLAGS"), true),
        (var("ERL_ZFLAGS"), true),
    ];
    let (mut out, mut extra) = (Vec::new(), Vec::new());
    for (part, from_env) in parts {
        match part.iter().position(|a| a == "-extra") {
            Some(at) => {
                out.extend_from_slice(&part[..at]);
                extra.extend_from_slice(&part[at + 1..]);
                if from_env {
                    extra.push("--".to_owned());
                }
            }
            None => out.extend(part),
        }
    }
    if !extra.is_empty() {
        out.push("-extra".to_owned());
        out.extend(extra);
    }
    out
}

/// Split an environment variable into words: whitespace separates, `'...'` and `"..."`
/// quote, a backslash escapes the next character.
fn split_words(s: &str) -> Vec<String> {
    let (mut words, mut word, mut in_word) = (Vec::new(), String::new(), false);
    let mut quote = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (Some(q), c) if c == q => quote = None,
            (Some('\''), c) => word.push(c),
            (_, '\\') => {
                word.extend(chars.next());
                in_word = true;
            }
            (_, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

fn is_flag(s: &str) -> bool {
    s.starts_with('-') || s.starts_with('+')
}

/// Parse erl-style arguments (without the program name).
pub fn parse(args: &[String]) -> Result<ErlArgs, String> {
    let mut out = ErlArgs::default();
    let mut i = 0;
    let operands = |i: &mut usize| -> Vec<String> {
        let start = *i;
        while *i < args.len() && !is_flag(&args[*i]) {
            *i += 1;
        }
        args[start..*i].to_vec()
    };
    while i < args.len() {
        let flag = args[i].as_str();
        i += 1;
        match flag {
            "-noshell" | "-noinput" => {
                out.noshell = true;
                out.flags.push((flag[1..].to_owned(), Vec::new()));
            }
            "-pa" | "-pz" => {
                let dirs = operands(&mut i);
                let list = if flag == "-pa" {
                    &mut out.pa
                } else {
                    &mut out.pz
                };
                list.extend(dirs.iter().map(PathBuf::from));
                out.flags.push((flag[1..].to_owned(), dirs));
            }
            "-s" | "-run" => {
                let mut words = operands(&mut i).into_iter();
                let module = words
                    .next()
                    .ok_or_else(|| format!("{flag} needs a module"))?;
                let function = words.next().unwrap_or_else(|| "start".to_owned());
                out.starts.push(Start::Call(StartCall {
                    module,
                    function,
                    args: words.collect(),
                    strings: flag == "-run",
                }));
            }
            "-eval" => {
                let mut exprs = operands(&mut i);
                if exprs.len() != 1 {
                    return Err("-eval takes one expression (quote it)".into());
                }
                out.starts.push(Start::Eval(exprs.remove(0)));
            }
            "-extra" => {
                out.extra = args[i..].to_vec();
                break;
            }
            "-emu_flavor" => {
                let f = args.get(i).ok_or("-emu_flavor needs jit or emu")?;
                if f != "jit" && f != "emu" {
                    return Err(format!("-emu_flavor: unknown flavor {f:?} (jit or emu)"));
                }
                out.emu_flavor = Some(f.clone());
                i += 1;
            }
            "+JPperf" => {
                let v = args
                    .get(i)
                    .ok_or("+JPperf needs true, map, dump or false")?;
                out.perf_map = matches!(v.as_str(), "true" | "map");
                out.perf_dump = matches!(v.as_str(), "true" | "dump");
                i += 1;
            }
            "+S" => {
                let n = args.get(i).ok_or("+S needs a number")?;
                out.schedulers = Some(schedulers(n)?);
                i += 1;
            }
            // `+S1`, `+S2:2` (erlc passes `+S1`).
            _ if flag.starts_with("+S") && flag[2..].starts_with(|c: char| c.is_ascii_digit()) => {
                out.schedulers = Some(schedulers(&flag[2..])?);
            }
            "+pc" => {
                match args.get(i).map(String::as_str) {
                    Some("unicode") => out.printable_unicode = true,
                    Some("latin1") => out.printable_unicode = false,
                    v => return Err(format!("+pc takes latin1 or unicode, got {v:?}")),
                }
                i += 1;
            }
            "-env" => {
                let (Some(var), Some(value)) = (args.get(i), args.get(i + 1)) else {
                    return Err("-env needs a variable and a value".into());
                };
                out.env.push((var.clone(), value.clone()));
                i += 2;
            }
            "-detached" => {
                return Err(
                    "-detached is not supported: girder does not detach from its \
                            terminal; start it in the background from the shell instead \
                            (nohup girder -noshell ... &)"
                        .into(),
                );
            }
            _ if flag.starts_with('+') => {
                // Other emulator flags: accepted, with their values, and not reported.
                let _ = operands(&mut i);
            }
            _ => {
                // Any other flag is kept for init:get_argument/1, as erl keeps it.
                let values = operands(&mut i);
                out.flags
                    .push((flag.trim_start_matches('-').to_owned(), values));
            }
        }
    }
    Ok(out)
}

/// `+S N` or `+S N:M`: N scheduler threads.
fn schedulers(v: &str) -> Result<usize, String> {
    let n = v.split(':').next().unwrap_or(v);
    n.parse().map_err(|_| format!("bad +S value {v:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn erl_conventions() {
        let a = parse(&args(
            "-noshell -pa a b -s m -s m f x y -run m2 g 1 -pz z +S 2 -extra q -s",
        ))
        .unwrap();
        assert!(a.noshell);
        assert_eq!(a.pa, [PathBuf::from("a"), PathBuf::from("b")]);
        assert_eq!(a.pz, [PathBuf::from("z")]);
        let calls: Vec<&StartCall> = a
            .starts
            .iter()
            .map(|s| match s {
                Start::Call(c) => c,
                Start::Eval(e) => panic!("unexpected eval {e}"),
            })
            .collect();
        assert_eq!(calls.len(), 3);
        assert_eq!(calls[0].function, "start");
        assert_eq!(calls[1].args, ["x", "y"]);
        assert!(calls[2].strings);
        assert_eq!(a.schedulers, Some(2));
        assert_eq!(a.extra, ["q", "-s"]);
    }

    #[test]
    fn evals_keep_their_place() {
        let a = parse(&args("-s m -eval 1. -run n f")).unwrap();
        assert!(
            matches!(&a.starts[..], [Start::Call(_), Start::Eval(e), Start::Call(_)] if e == "1.")
        );
        assert!(parse(&args("-eval")).is_err());
    }

    #[test]
    fn launcher_flags() {
        let a = parse(&args(
            "+S1 +sbtu +A0 -noinput -env X 1 +pc unicode -mode minimal",
        ))
        .unwrap();
        assert_eq!(a.schedulers, Some(1));
        assert!(a.noshell && a.printable_unicode);
        assert_eq!(a.env, [("X".to_owned(), "1".to_owned())]);
        assert_eq!(a.flags.last().unwrap().0, "mode");
        assert!(parse(&args("-detached")).is_err());
        assert_eq!(
            split_words(r#" a 'b c' "d\"e" f\ g "#),
            ["a", "b c", "d\"e", "f g"]
        );
    }
}

//! `erl`-compatible command-line arguments for non-interactive use.
//!
//! As erl does: `-pa`/`-pz` take every following argument up to the next one starting with
//! `-` or `+`; `-s Mod [Fun [Args...]]` calls `Mod:Fun(['Arg'...])` (atoms, or `Mod:Fun()`
//! with none; `Fun` defaults to `start`); `-run` is the same with strings; `-eval Expr`
//! evaluates one expression; the three run in command-line order; `-extra` ends
//! option parsing. Other flags are accepted and ignored, as erl keeps unknown flags for
//! `init:get_argument/1`.

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
    /// `-noshell` (girder has no shell yet; without it girder says so).
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
    /// Every other `-flag value...`, in order, as `init:get_arguments/0` reports them
    /// (`-pa` and `-noshell` included; `-s`, `-run`, `-eval` and `-extra` not).
    pub flags: Vec<(String, Vec<String>)>,
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
                i += 1;
            }
            "+S" => {
                let n = args.get(i).ok_or("+S needs a number")?;
                let n = n.split(':').next().unwrap_or(n);
                out.schedulers = Some(n.parse().map_err(|_| format!("bad +S value {n:?}"))?);
                i += 1;
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
}

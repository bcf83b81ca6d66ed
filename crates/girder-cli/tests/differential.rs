//! Differential test of girder's two engines against erl: random Erlang *functions* are
//! generated, compiled with erlc, and each module's `main/0` is run under OTP's `erl`, under
//! girder's interpreter (`-emu_flavor emu`) and under girder's JIT with every function
//! compiled on its first call (`GIRDER_JIT_THRESHOLD=0`); the three outputs must be
//! byte-identical.
//!
//! A module holds a few dozen functions of one to three arguments, each of several clauses
//! matching tuples, lists, maps and binaries in their heads, with guards (type tests,
//! comparisons, `element`/`tuple_size`/`length`/`map_size`/`byte_size`/`map_get`,
//! `andalso`/`orelse`/`not`), bodies of `case`/`if`/`try … catch … after`/`catch`, matches
//! that may fail, bounded local recursion (tail and body recursive loops, calls to earlier
//! functions), arithmetic and bitwise operators on operands around the small/bignum boundary
//! (girder's smalls are 60-bit: ±2^59; also 2^63, 2^64 and floats), mixed integer/float
//! comparisons, list building and `++`, tuple and map building, updates and lookups, and
//! binary construction and matching with sizes, types and utf8. `main/0` calls every
//! function with generated arguments (of the intended types, and now and then of others)
//! and prints `{Call, Result}` or `{Call, {Class, Reason}}` with `~p`: no stack traces.
//!
//! The seeds are fixed so a failure reproduces; `GIRDER_DIFF_SEED=N` (first seed) and
//! `GIRDER_DIFF_COUNT=N` (number of modules) explore others, e.g.
//! `GIRDER_DIFF_SEED=1000 GIRDER_DIFF_COUNT=300 cargo test --release -p girder-cli --test
//! differential`; `GIRDER_DIFF_GC_STRESS=1` adds a JIT run with `GIRDER_GC_STRESS=1`;
//! `GIRDER_DIFF_KEEP=1` keeps the programs that pass too (under `target/test-scratch/`).
//! A failure names the seed, the engine that diverged, the first differing line, and the
//! path and text of the generated program.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use girder_testkit::{Captured, Exit, parallel_map, run_captured, scratch_dir};

/// The seeds run by default: a handful of modules, quick in a debug build.
const DEFAULT_SEED: u64 = 1;
const DEFAULT_COUNT: u64 = 6;
/// Functions per module.
const FUNCTIONS: usize = 30;
/// Each engine's run of one module is killed after this long (the programs take well
/// under a second in erl).
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

use girder_testkit::Rng;

/// The type an expression or pattern is meant to have (the generated code is not
/// type-checked: a value of another type in its place is an error to be raised alike).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Int,
    Float,
    Atom,
    Bool,
    Tuple,
    List,
    Map,
    Bin,
    Any,
}

const KINDS: [Kind; 8] = [
    Kind::Int,
    Kind::Float,
    Kind::Atom,
    Kind::Bool,
    Kind::Tuple,
    Kind::List,
    Kind::Map,
    Kind::Bin,
];

const ATOMS: [&str; 8] = [
    "a",
    "b",
    "ok",
    "error",
    "true",
    "false",
    "undefined",
    "'Q r'",
];
const MAP_KEYS: [&str; 6] = ["a", "b", "k", "1", "2", "1.0"];
const FLOATS: [&str; 16] = [
    "0.0",
    "1.0",
    "-1.0",
    "2.5",
    "-3.75",
    "0.1",
    "1.0e300",
    "-1.0e300",
    "1.0e-300",
    "9007199254740992.0",
    "9007199254740993.0",
    "576460752303423488.0",
    "-576460752303423488.0",
    "1152921504606846976.0",
    "9223372036854775808.0",
    "18446744073709551616.0",
];

/// An integer literal, mostly around the boundaries that matter: 0, 2^27, 2^31, 2^53,
/// 2^59 (girder's smalls end there), 2^60, 2^63, 2^64.
fn int_lit(rng: &mut Rng) -> String {
    let neg = rng.chance(1, 3);
    let v: i128 = match rng.below(7) {
        0 => rng.below(4) as i128,
        1 => rng.below(300) as i128,
        2 | 3 => {
            let bits = *rng.pick(&[27u32, 31, 53, 59, 59, 59, 60, 63, 64]);
            (1i128 << bits) + rng.below(5) as i128 - 2
        }
        4 => (rng.next() >> rng.below(64)) as i128,
        5 => (((rng.next() >> 4) as i128) << 64) | rng.next() as i128,
        _ => rng.below(16) as i128,
    };
    if neg && v != 0 {
        format!("-{v}")
    } else {
        v.to_string()
    }
}

/// A small integer literal that is safe as an operand anywhere (wrapped if negative).
fn paren_int(rng: &mut Rng) -> String {
    let s = int_lit(rng);
    if s.starts_with('-') {
        format!("({s})")
    } else {
        s
    }
}

fn float_lit(rng: &mut Rng) -> String {
    let s = rng.pick(&FLOATS).to_string();
    if s.starts_with('-') {
        format!("({s})")
    } else {
        s
    }
}

struct Var {
    name: String,
    kind: Kind,
}

/// What a function may call: the earlier functions (name and argument kinds) and loops.
struct Callee {
    name: String,
    params: Vec<Kind>,
}

struct Gen {
    rng: Rng,
    vars: usize,
    /// Earlier worker functions (callable, so the call graph has no cycles).
    workers: Vec<Callee>,
    /// Loop functions: (name, accumulator kind); body-recursive ones have `None`.
    loops: Vec<(String, Option<Kind>)>,
    /// Whether the clause being generated may still call a worker (one call per clause
    /// keeps the cost of a call linear in the depth of the call graph).
    may_call: bool,
    /// Whether loops may be called (not inside loop bodies).
    in_loop: bool,
}

impl Gen {
    fn fresh(&mut self) -> String {
        self.vars += 1;
        format!("V{}", self.vars)
    }

    fn kind(&mut self) -> Kind {
        *self.rng.pick(&KINDS)
    }

    /// A variable of `env` of this kind (or of unknown kind, now and then).
    fn var_of(&mut self, env: &[Var], kind: Kind) -> Option<String> {
        let fits: Vec<&Var> = env
            .iter()
            .filter(|v| v.kind == kind || (v.kind == Kind::Any && self.rng.chance(1, 4)))
            .collect();
        if fits.is_empty() {
            None
        } else {
            Some(
                fits[self.rng.below(fits.len() as u64) as usize]
                    .name
                    .clone(),
            )
        }
    }

    /// A literal of this kind (composite ones nested at most `depth` deep).
    fn lit(&mut self, kind: Kind, depth: u32) -> String {
        let kind = if kind == Kind::Any { self.kind() } else { kind };
        let sub = |g: &mut Gen| {
            let k = if depth == 0 {
                *g.rng.pick(&[Kind::Int, Kind::Float, Kind::Atom])
            } else {
                g.kind()
            };
            g.lit(k, depth.saturating_sub(1))
        };
        match kind {
            Kind::Int => int_lit(&mut self.rng),
            Kind::Float => self.rng.pick(&FLOATS).to_string(),
            Kind::Atom => self.rng.pick(&ATOMS).to_string(),
            Kind::Bool => self.rng.pick(&["true", "false"]).to_string(),
            Kind::Tuple => {
                if self.rng.chance(1, 3) {
                    let tag = self.rng.pick(&ATOMS[..4]).to_string();
                    format!("{{{tag}, {}}}", sub(self))
                } else {
                    let n = self.rng.below(4);
                    let items: Vec<String> = (0..n).map(|_| sub(self)).collect();
                    format!("{{{}}}", items.join(", "))
                }
            }
            Kind::List => match self.rng.below(4) {
                0 => format!("\"{}\"", self.rng.pick(&["", "ab", "hello", "\\x{3b1}z"])),
                1 => format!("[{} | {}]", sub(self), sub(self)),
                _ => {
                    let n = self.rng.below(5);
                    let items: Vec<String> = (0..n).map(|_| sub(self)).collect();
                    format!("[{}]", items.join(", "))
                }
            },
            Kind::Map => {
                let n = self.rng.below(4);
                let mut items = Vec::new();
                for _ in 0..n {
                    let k = self.rng.pick(&MAP_KEYS).to_string();
                    let v = sub(self);
                    items.push(format!("{k} => {v}"));
                }
                format!("#{{{}}}", items.join(", "))
            }
            Kind::Bin => match self.rng.below(4) {
                0 => format!("<<\"{}\">>", self.rng.pick(&["", "abc", "\\x{e9}t\\x{e9}"])),
                1 => format!("<<{}:{}>>", self.rng.below(64), 1 + self.rng.below(7)),
                2 => "<<\"\\x{3b1}\\x{1F600}\"/utf8>>".to_string(),
                _ => {
                    let n = self.rng.below(10);
                    let bytes: Vec<String> =
                        (0..n).map(|_| self.rng.below(256).to_string()).collect();
                    format!("<<{}>>", bytes.join(", "))
                }
            },
            Kind::Any => unreachable!(),
        }
    }

    /// A leaf: a variable of this kind or a literal.
    fn leaf(&mut self, kind: Kind, env: &[Var]) -> String {
        if self.rng.chance(2, 3)
            && let Some(v) = self.var_of(env, kind)
        {
            return v;
        }
        match kind {
            Kind::Int => paren_int(&mut self.rng),
            Kind::Float => float_lit(&mut self.rng),
            k => self.lit(k, 1),
        }
    }

    /// A number: an integer or a float expression.
    fn num(&mut self, env: &[Var], depth: u32) -> String {
        if self.rng.chance(3, 4) {
            self.expr(Kind::Int, env, depth)
        } else {
            self.expr(Kind::Float, env, depth)
        }
    }

    /// An expression meant to be of `kind`.
    fn expr(&mut self, kind: Kind, env: &[Var], depth: u32) -> String {
        if depth == 0 || self.rng.chance(1, 4) {
            let kind = if kind == Kind::Any { self.kind() } else { kind };
            return self.leaf(kind, env);
        }
        let d = depth - 1;
        if self.rng.chance(1, 6) {
            return self.control(kind, env, d);
        }
        match kind {
            Kind::Int => match self.rng.below(14) {
                0..=3 => {
                    let op = self.rng.pick(&["+", "-", "*", "+", "-"]).to_string();
                    let (a, b) = (self.num(env, d), self.num(env, d));
                    format!("({a} {op} {b})")
                }
                4 | 5 => {
                    let op = self
                        .rng
                        .pick(&["div", "rem", "band", "bor", "bxor"])
                        .to_string();
                    let (a, b) = (self.expr(Kind::Int, env, d), self.expr(Kind::Int, env, d));
                    format!("({a} {op} {b})")
                }
                6 => {
                    let op = self.rng.pick(&["bsl", "bsr"]).to_string();
                    let a = self.expr(Kind::Int, env, d);
                    let s = self.rng.below(100) as i64 - 8;
                    format!("({a} {op} {s})")
                }
                7 => {
                    let op = self.rng.pick(&["-", "bnot ", "abs", "+"]).to_string();
                    let a = self.expr(Kind::Int, env, d);
                    format!("{op}({a})")
                }
                8 => {
                    let (f, k) = *self.rng.pick(&[
                        ("length", Kind::List),
                        ("tuple_size", Kind::Tuple),
                        ("map_size", Kind::Map),
                        ("byte_size", Kind::Bin),
                        ("bit_size", Kind::Bin),
                        ("hd", Kind::List),
                    ]);
                    format!("{f}({})", self.expr(k, env, d))
                }
                9 => {
                    let f = self
                        .rng
                        .pick(&["trunc", "round", "floor", "ceil"])
                        .to_string();
                    format!("{f}({})", self.num(env, d))
                }
                10 => {
                    let i = 1 + self.rng.below(3);
                    format!("element({i}, {})", self.expr(Kind::Tuple, env, d))
                }
                11 => {
                    let f = self.rng.pick(&["max", "min"]).to_string();
                    format!("{f}({}, {})", self.num(env, d), self.num(env, d))
                }
                12 => {
                    let k = self.rng.pick(&MAP_KEYS).to_string();
                    let dflt = paren_int(&mut self.rng);
                    format!("maps:get({k}, {}, {dflt})", self.expr(Kind::Map, env, d))
                }
                _ => self.leaf(Kind::Int, env),
            },
            Kind::Float => match self.rng.below(5) {
                0 | 1 => format!("({} / {})", self.num(env, d), self.num(env, d)),
                2 => format!("float({})", self.expr(Kind::Int, env, d)),
                3 => {
                    let op = self.rng.pick(&["+", "-", "*"]).to_string();
                    format!(
                        "({} {op} {})",
                        self.expr(Kind::Float, env, d),
                        self.num(env, d)
                    )
                }
                _ => format!("-({})", self.expr(Kind::Float, env, d)),
            },
            Kind::Atom => {
                if self.rng.chance(1, 2) {
                    let k = self.kind();
                    format!("{}({})", self.type_test(), self.expr(k, env, d))
                } else {
                    self.leaf(Kind::Atom, env)
                }
            }
            Kind::Bool => match self.rng.below(6) {
                0..=2 => {
                    let op = self.compare_op();
                    if self.rng.chance(1, 4) {
                        let (ka, kb) = (self.kind(), self.kind());
                        format!("({} {op} {})", self.expr(ka, env, d), self.expr(kb, env, d))
                    } else {
                        format!("({} {op} {})", self.num(env, d), self.num(env, d))
                    }
                }
                3 => {
                    let op = self
                        .rng
                        .pick(&["andalso", "orelse", "and", "or", "xor"])
                        .to_string();
                    let (a, b) = (self.expr(Kind::Bool, env, d), self.expr(Kind::Bool, env, d));
                    format!("({a} {op} {b})")
                }
                4 => format!("(not {})", self.expr(Kind::Bool, env, d)),
                _ => {
                    let k = self.kind();
                    format!("{}({})", self.type_test(), self.expr(k, env, d))
                }
            },
            Kind::Tuple => match self.rng.below(5) {
                0 | 1 => {
                    let n = self.rng.below(4);
                    let items: Vec<String> = (0..n)
                        .map(|_| {
                            let k = self.kind();
                            self.expr(k, env, d)
                        })
                        .collect();
                    format!("{{{}}}", items.join(", "))
                }
                2 => {
                    let i = 1 + self.rng.below(3);
                    let k = self.kind();
                    let t = self.expr(Kind::Tuple, env, d);
                    format!("setelement({i}, {t}, {})", self.expr(k, env, d))
                }
                3 => format!("list_to_tuple({})", self.expr(Kind::List, env, d)),
                _ => {
                    let k = self.kind();
                    let t = self.expr(Kind::Tuple, env, d);
                    format!("erlang:append_element({t}, {})", self.expr(k, env, d))
                }
            },
            Kind::List => match self.rng.below(10) {
                0 | 1 => {
                    let k = self.kind();
                    let h = self.expr(k, env, d);
                    format!("[{h} | {}]", self.expr(Kind::List, env, d))
                }
                2 => format!(
                    "({} ++ {})",
                    self.expr(Kind::List, env, d),
                    self.expr(Kind::List, env, d)
                ),
                3 => format!("lists:reverse({})", self.expr(Kind::List, env, d)),
                4 => format!("tuple_to_list({})", self.expr(Kind::Tuple, env, d)),
                5 => format!("binary_to_list({})", self.expr(Kind::Bin, env, d)),
                6 => format!("lists:seq(1, {} band 7)", self.expr(Kind::Int, env, d)),
                7 | 8 => self.comprehension(env, d),
                _ => {
                    let n = self.rng.below(4);
                    let items: Vec<String> = (0..n)
                        .map(|_| {
                            let k = self.kind();
                            self.expr(k, env, d)
                        })
                        .collect();
                    format!("[{}]", items.join(", "))
                }
            },
            Kind::Map => match self.rng.below(5) {
                0 => {
                    let k = self.rng.pick(&MAP_KEYS).to_string();
                    let vk = self.kind();
                    format!("#{{{k} => {}}}", self.expr(vk, env, d))
                }
                1 | 2 => {
                    let k = self.rng.pick(&MAP_KEYS).to_string();
                    let op = self.rng.pick(&["=>", ":="]).to_string();
                    let m = self.expr(Kind::Map, env, d);
                    let vk = self.kind();
                    format!("({m})#{{{k} {op} {}}}", self.expr(vk, env, d))
                }
                3 => {
                    let k = self.rng.pick(&MAP_KEYS).to_string();
                    format!("maps:remove({k}, {})", self.expr(Kind::Map, env, d))
                }
                _ => {
                    let vk = self.kind();
                    let key = self.expr(Kind::Int, env, d);
                    let v = self.expr(vk, env, d);
                    format!("maps:put({key}, {v}, {})", self.expr(Kind::Map, env, d))
                }
            },
            Kind::Bin => match self.rng.below(4) {
                0 => format!("integer_to_binary({})", self.expr(Kind::Int, env, d)),
                1 => format!("list_to_binary({})", self.expr(Kind::List, env, d)),
                _ => {
                    let n = 1 + self.rng.below(3);
                    let segs: Vec<String> = (0..n).map(|_| self.segment(env, d)).collect();
                    format!("<<{}>>", segs.join(", "))
                }
            },
            Kind::Any => match self.rng.below(12) {
                0 if !self.in_loop && !self.loops.is_empty() => self.loop_call(env, d),
                1 if self.may_call && !self.workers.is_empty() => {
                    self.may_call = false;
                    let i = self.rng.below(self.workers.len() as u64) as usize;
                    let (name, params) =
                        (self.workers[i].name.clone(), self.workers[i].params.clone());
                    let args: Vec<String> = params.iter().map(|&k| self.expr(k, env, d)).collect();
                    format!("{name}({})", args.join(", "))
                }
                2 if self.rng.chance(1, 2) => {
                    let f = self.rng.pick(&["throw", "error", "exit"]).to_string();
                    let k = self.kind();
                    format!("{f}({})", self.expr(k, env, d))
                }
                3..=5 => self.control(Kind::Any, env, d),
                _ => {
                    let k = self.kind();
                    self.expr(k, env, depth)
                }
            },
        }
    }

    fn compare_op(&mut self) -> String {
        self.rng
            .pick(&["<", ">", "=<", ">=", "==", "/=", "=:=", "=/="])
            .to_string()
    }

    fn type_test(&mut self) -> String {
        self.rng
            .pick(&[
                "is_integer",
                "is_float",
                "is_number",
                "is_atom",
                "is_boolean",
                "is_tuple",
                "is_list",
                "is_map",
                "is_binary",
                "is_bitstring",
            ])
            .to_string()
    }

    /// One segment of a binary under construction.
    fn segment(&mut self, env: &[Var], d: u32) -> String {
        match self.rng.below(7) {
            0..=2 => {
                let size = *self.rng.pick(&[8u32, 16, 24, 32, 64, 72, 3, 13, 1]);
                let ty = self
                    .rng
                    .pick(&["", "/little", "/signed", "/big-signed", "/little-unsigned"])
                    .to_string();
                format!("({}):{size}{ty}", self.expr(Kind::Int, env, d))
            }
            3 => {
                let size = self.rng.pick(&["", ":32", ":64"]).to_string();
                format!("({}){size}/float", self.num(env, d))
            }
            4 => format!("({})/binary", self.expr(Kind::Bin, env, d)),
            5 => format!("({})/utf8", self.expr(Kind::Int, env, d)),
            _ => {
                let size = self.rng.below(4);
                format!("({}):{size}/binary", self.expr(Kind::Bin, env, d))
            }
        }
    }

    fn comprehension(&mut self, env: &[Var], d: u32) -> String {
        let v = self.fresh();
        let mut inner: Vec<Var> = env
            .iter()
            .map(|x| Var {
                name: x.name.clone(),
                kind: x.kind,
            })
            .collect();
        inner.push(Var {
            name: v.clone(),
            kind: Kind::Any,
        });
        let was = self.may_call;
        self.may_call = false;
        let text = if self.rng.chance(1, 3) {
            let list = self.expr(Kind::Bin, env, d);
            inner.last_mut().unwrap().kind = Kind::Int;
            let e = self.expr(Kind::Any, &inner, d);
            format!("[{e} || <<{v}:8>> <= {list}]")
        } else {
            let list = self.expr(Kind::List, env, d);
            let filter = self.guard(&inner, 1);
            let e = self.expr(Kind::Any, &inner, d);
            format!("[{e} || {v} <- {list}, {filter}]")
        };
        self.may_call = was;
        text
    }

    fn loop_call(&mut self, env: &[Var], d: u32) -> String {
        let i = self.rng.below(self.loops.len() as u64) as usize;
        let (name, acc) = self.loops[i].clone();
        let n = self.expr(Kind::Int, env, d);
        match acc {
            Some(k) => format!("{name}({n} band 7, {})", self.expr(k, env, d)),
            None => format!("{name}({n} band 7)"),
        }
    }

    /// `case`, `if`, `try`, `catch` or a body with a match, with results of `kind`.
    fn control(&mut self, kind: Kind, env: &[Var], d: u32) -> String {
        match self.rng.below(8) {
            0 | 1 => {
                let sk = self.kind();
                let subject = self.expr(sk, env, d);
                let n = 1 + self.rng.below(3);
                let mut clauses = Vec::new();
                for _ in 0..n {
                    let pk = if self.rng.chance(3, 4) {
                        sk
                    } else {
                        self.kind()
                    };
                    clauses.push(self.clause(&[pk], env, kind, d, false).0);
                }
                if self.rng.chance(2, 3) {
                    clauses.push(format!("_ -> {}", self.expr(kind, env, d)));
                }
                format!(
                    "case {subject} of\n        {}\n    end",
                    clauses.join(";\n        ")
                )
            }
            2 => {
                // A switch on immediates (select_val).
                let subject = if self.rng.chance(1, 2) {
                    self.expr(Kind::Int, env, d)
                } else {
                    self.expr(Kind::Any, env, d)
                };
                let n = 2 + self.rng.below(5);
                let mut seen = Vec::new();
                let mut clauses = Vec::new();
                for _ in 0..n {
                    let lit = match self.rng.below(4) {
                        0 => self.rng.pick(&ATOMS).to_string(),
                        1 => int_lit(&mut self.rng),
                        _ => (self.rng.below(10) as i64 - 2).to_string(),
                    };
                    if seen.contains(&lit) {
                        continue;
                    }
                    seen.push(lit.clone());
                    clauses.push(format!("{lit} -> {}", self.expr(kind, env, d)));
                }
                if self.rng.chance(2, 3) {
                    clauses.push(format!("_ -> {}", self.expr(kind, env, d)));
                }
                format!(
                    "case {subject} of\n        {}\n    end",
                    clauses.join(";\n        ")
                )
            }
            3 => {
                let n = 1 + self.rng.below(3);
                let mut clauses = Vec::new();
                for _ in 0..n {
                    let g = self.guard_seq(env);
                    clauses.push(format!("{g} -> {}", self.body(kind, env, d)));
                }
                if self.rng.chance(2, 3) {
                    clauses.push(format!("true -> {}", self.expr(kind, env, d)));
                }
                format!("if\n        {}\n    end", clauses.join(";\n        "))
            }
            4 | 5 => {
                let body = self.body(Kind::Any, env, d);
                let mut text = format!("try {body}");
                if self.rng.chance(1, 2) {
                    let pk = self.kind();
                    let c = self.clause(&[pk], env, kind, d, false).0;
                    let v = self.fresh();
                    write!(text, " of\n        {c};\n        {v} -> {v}").unwrap();
                }
                let (c, r) = (self.fresh(), self.fresh());
                let mut catches = Vec::new();
                if self.rng.chance(1, 2) {
                    catches.push(format!("throw:{r} -> {{thrown, {r}}}"));
                }
                if self.rng.chance(1, 2) {
                    let what = self
                        .rng
                        .pick(&[
                            "badarith",
                            "{badmatch, _}",
                            "{case_clause, _}",
                            "function_clause",
                            "if_clause",
                            "badarg",
                            "{badkey, _}",
                            "{badmap, _}",
                        ])
                        .to_string();
                    catches.push(format!(
                        "error:{what} -> {{known_error, {}}}",
                        self.expr(kind, env, d)
                    ));
                }
                if catches.is_empty() || self.rng.chance(2, 3) {
                    catches.push(format!("{c}:{r} -> {{caught, {c}, {r}}}"));
                }
                write!(text, "\n    catch\n        {}", catches.join(";\n        ")).unwrap();
                if self.rng.chance(1, 3) {
                    let a = if self.rng.chance(1, 2) {
                        "io:format(\"after~n\")".to_string()
                    } else {
                        self.expr(Kind::Any, env, 1)
                    };
                    write!(text, "\n    after\n        {a}").unwrap();
                }
                text.push_str("\n    end");
                text
            }
            6 => {
                let e = self.expr(Kind::Any, env, d);
                let r = self.fresh();
                let v = self.fresh();
                format!(
                    "case catch {e} of\n        {{'EXIT', {{{r}, _}}}} -> {{exit_caught, {r}}};\n        {v} -> {v}\n    end"
                )
            }
            _ => format!("begin {} end", self.body(kind, env, d)),
        }
    }

    /// A sequence of matches ending with an expression of `kind`.
    fn body(&mut self, kind: Kind, env: &[Var], d: u32) -> String {
        let mut inner: Vec<Var> = env
            .iter()
            .map(|x| Var {
                name: x.name.clone(),
                kind: x.kind,
            })
            .collect();
        let n = self.rng.below(3);
        let mut stmts = Vec::new();
        for _ in 0..n {
            let k = self.kind();
            let e = self.expr(k, &inner, d);
            if self.rng.chance(5, 6) {
                let v = self.fresh();
                stmts.push(format!("{v} = {e}"));
                inner.push(Var { name: v, kind: k });
            } else {
                let mut binds = Vec::new();
                let mut guards = Vec::new();
                let pk = if self.rng.chance(3, 4) {
                    k
                } else {
                    self.kind()
                };
                let (p, _) = self.pattern(pk, &inner, &mut binds, &mut guards, 2);
                stmts.push(format!("{p} = {e}"));
                inner.extend(binds);
            }
        }
        stmts.push(self.expr(kind, &inner, d));
        stmts.join(",\n    ")
    }

    /// A clause `Patterns [when Guard] -> Body` (function or case clause), and arguments
    /// that match its patterns.
    fn clause(
        &mut self,
        kinds: &[Kind],
        env: &[Var],
        kind: Kind,
        d: u32,
        head: bool,
    ) -> (String, Vec<String>) {
        let mut inner: Vec<Var> = env
            .iter()
            .map(|x| Var {
                name: x.name.clone(),
                kind: x.kind,
            })
            .collect();
        let mut guards = Vec::new();
        let mut pats = Vec::new();
        let mut witnesses = Vec::new();
        for &k in kinds {
            // The arguments of a head are matched together: one may not size another's
            // binary segment, so head patterns see only the enclosing variables.
            let mut binds = Vec::new();
            let seen = if head { env } else { &inner[..] };
            let (p, w) = self.pattern(k, seen, &mut binds, &mut guards, 2);
            pats.push(p);
            witnesses.push(w);
            inner.extend(binds);
        }
        if self.rng.chance(1, 3) {
            guards.push(self.guard(&inner, 2));
        }
        let pats = if head {
            format!("({})", pats.join(", "))
        } else {
            pats.join(", ")
        };
        let g = if guards.is_empty() {
            String::new()
        } else if self.rng.chance(1, 5) && guards.len() > 1 {
            // A guard sequence: either conjunction may hold.
            let split = guards.len() / 2;
            format!(
                " when {}; {}",
                guards[..split].join(", "),
                guards[split..].join(", ")
            )
        } else {
            format!(" when {}", guards.join(", "))
        };
        let text = format!("{pats}{g} ->\n    {}", self.body(kind, &inner, d));
        (text, witnesses)
    }

    /// A pattern of `kind` and a witness: a literal expression that matches it (guards
    /// aside), so that calls reach the clauses. Its new variables go to `binds`, type
    /// guards on them to `guards`. Variables of `env` are bound already and may be matched
    /// against.
    fn pattern(
        &mut self,
        kind: Kind,
        env: &[Var],
        binds: &mut Vec<Var>,
        guards: &mut Vec<String>,
        depth: u32,
    ) -> (String, String) {
        let var = |g: &mut Gen, binds: &mut Vec<Var>, guards: &mut Vec<String>, k: Kind| {
            let witness = g.lit(k, 1);
            if g.rng.chance(1, 6) {
                return ("_".to_string(), witness);
            }
            let v = g.fresh();
            if k != Kind::Any && g.rng.chance(1, 3) {
                let test = match k {
                    Kind::Int => "is_integer",
                    Kind::Float => "is_float",
                    Kind::Atom => "is_atom",
                    Kind::Bool => "is_boolean",
                    Kind::Tuple => "is_tuple",
                    Kind::List => "is_list",
                    Kind::Map => "is_map",
                    Kind::Bin => "is_binary",
                    Kind::Any => unreachable!(),
                };
                guards.push(format!("{test}({v})"));
            }
            binds.push(Var {
                name: v.clone(),
                kind: k,
            });
            (v, witness)
        };
        if depth == 0 || self.rng.chance(1, 4) {
            if self.rng.chance(1, 8)
                && let Some(v) = self.var_of(env, kind)
            {
                // An equality test against a bound variable.
                let w = self.lit(kind, 1);
                return (v, w);
            }
            return var(self, binds, guards, kind);
        }
        let d = depth - 1;
        let kind = if kind == Kind::Any { self.kind() } else { kind };
        let sub = |g: &mut Gen, binds: &mut Vec<Var>, guards: &mut Vec<String>| {
            let k = g.kind();
            g.pattern(k, env, binds, guards, d)
        };
        let join = |items: Vec<(String, String)>| -> (Vec<String>, Vec<String>) {
            items.into_iter().unzip()
        };
        match kind {
            // Numbers mostly bound to variables, so arithmetic happens at run time.
            Kind::Int | Kind::Float if self.rng.chance(1, 2) => var(self, binds, guards, kind),
            Kind::Int => {
                let l = int_lit(&mut self.rng);
                (l.clone(), l)
            }
            Kind::Float => {
                let l = self.rng.pick(&FLOATS).to_string();
                (l.clone(), l)
            }
            Kind::Atom | Kind::Bool => {
                let l = self.lit(kind, 0);
                (l.clone(), l)
            }
            Kind::Tuple => {
                if self.rng.chance(1, 3) {
                    let tag = self.rng.pick(&ATOMS[..4]).to_string();
                    let (p, w) = sub(self, binds, guards);
                    (format!("{{{tag}, {p}}}"), format!("{{{tag}, {w}}}"))
                } else {
                    let n = self.rng.below(4);
                    let items = (0..n).map(|_| sub(self, binds, guards)).collect();
                    let (p, w) = join(items);
                    (
                        format!("{{{}}}", p.join(", ")),
                        format!("{{{}}}", w.join(", ")),
                    )
                }
            }
            Kind::List => match self.rng.below(5) {
                0 => ("[]".to_string(), "[]".to_string()),
                1 => {
                    let prefix = self.rng.pick(&["ab", "h", ""]).to_string();
                    let (v, w) = var(self, binds, guards, Kind::List);
                    (
                        format!("\"{prefix}\" ++ {v}"),
                        format!("\"{prefix}\" ++ {w}"),
                    )
                }
                2 => {
                    let (h, hw) = sub(self, binds, guards);
                    let (t, tw) = var(self, binds, guards, Kind::List);
                    (format!("[{h} | {t}]"), format!("[{hw} | {tw}]"))
                }
                _ => {
                    let n = 1 + self.rng.below(3);
                    let items = (0..n).map(|_| sub(self, binds, guards)).collect();
                    let (p, w) = join(items);
                    (format!("[{}]", p.join(", ")), format!("[{}]", w.join(", ")))
                }
            },
            Kind::Map => {
                let n = self.rng.below(3);
                let (mut items, mut witness) = (Vec::new(), Vec::new());
                let mut used = Vec::new();
                for _ in 0..n {
                    let k = self.rng.pick(&MAP_KEYS).to_string();
                    if used.contains(&k) {
                        continue;
                    }
                    used.push(k.clone());
                    let (p, w) = sub(self, binds, guards);
                    items.push(format!("{k} := {p}"));
                    witness.push(format!("{k} => {w}"));
                }
                if self.rng.chance(1, 2) {
                    let k = self.rng.pick(&MAP_KEYS).to_string();
                    if !used.contains(&k) {
                        witness.push(format!("{k} => {}", int_lit(&mut self.rng)));
                    }
                }
                (
                    format!("#{{{}}}", items.join(", ")),
                    format!("#{{{}}}", witness.join(", ")),
                )
            }
            Kind::Bin => {
                let n = self.rng.below(4);
                let (mut segs, mut witness) = (Vec::new(), Vec::new());
                // Sizes: integer variables bound before (value unknown) or earlier in this
                // binary (with the value their witness has).
                let mut size_vars: Vec<(String, Option<u64>)> = env
                    .iter()
                    .filter(|v| v.kind == Kind::Int)
                    .map(|v| (v.name.clone(), None))
                    .collect();
                for _ in 0..n {
                    let v = self.fresh();
                    match self.rng.below(6) {
                        0..=2 => {
                            let (size, value) = if !size_vars.is_empty() && self.rng.chance(1, 4) {
                                let (name, value) = self.rng.pick(&size_vars).clone();
                                (name, value.unwrap_or(8))
                            } else {
                                let s = *self.rng.pick(&[8u64, 16, 3, 32, 64, 1]);
                                (s.to_string(), s)
                            };
                            let ty = self.rng.pick(&["", "/little", "/signed"]).to_string();
                            let w = if self.rng.chance(1, 2) {
                                self.rng.below(5)
                            } else {
                                self.rng.next()
                            };
                            binds.push(Var {
                                name: v.clone(),
                                kind: Kind::Int,
                            });
                            if size == "8" || size == "3" {
                                let shown = w & if size == "8" { 255 } else { 7 };
                                size_vars.push((v.clone(), Some(shown)));
                            }
                            segs.push(format!("{v}:{size}{ty}"));
                            witness.push(format!("{w}:{value}{ty}"));
                        }
                        3 => {
                            binds.push(Var {
                                name: v.clone(),
                                kind: Kind::Float,
                            });
                            let size = self.rng.pick(&["32", "64"]).to_string();
                            segs.push(format!("{v}:{size}/float"));
                            let w = self
                                .rng
                                .pick(&["1.5", "-0.25", "1.0e10", "3.0"])
                                .to_string();
                            witness.push(format!("{w}:{size}/float"));
                        }
                        4 => {
                            binds.push(Var {
                                name: v.clone(),
                                kind: Kind::Int,
                            });
                            segs.push(format!("{v}/utf8"));
                            let w = self
                                .rng
                                .pick(&["97", "233", "945", "128512", "2047"])
                                .to_string();
                            witness.push(format!("{w}/utf8"));
                        }
                        _ => {
                            binds.push(Var {
                                name: v.clone(),
                                kind: Kind::Bin,
                            });
                            let (size, len) = if !size_vars.is_empty() && self.rng.chance(1, 2) {
                                let (name, value) = self.rng.pick(&size_vars).clone();
                                (name, value.unwrap_or(2))
                            } else {
                                let l = self.rng.below(4);
                                (l.to_string(), l)
                            };
                            segs.push(format!("{v}:{size}/binary"));
                            let bytes: Vec<String> =
                                (0..len).map(|_| self.rng.below(256).to_string()).collect();
                            witness.push(format!("<<{}>>/binary", bytes.join(", ")));
                        }
                    }
                }
                // The tail: the rest, anything, or nothing.
                match self.rng.below(3) {
                    0 => {
                        let v = self.fresh();
                        binds.push(Var {
                            name: v.clone(),
                            kind: Kind::Bin,
                        });
                        segs.push(format!("{v}/binary"));
                        witness.push(format!("\"{}\"", self.rng.pick(&["", "xyz", "q"])));
                    }
                    1 => {
                        segs.push("_/bits".to_string());
                        witness.push(self.rng.pick(&["1:3", "7", "\"tail\""]).to_string());
                    }
                    _ => {}
                }
                (
                    format!("<<{}>>", segs.join(", ")),
                    format!("<<{}>>", witness.join(", ")),
                )
            }
            Kind::Any => unreachable!(),
        }
    }

    /// A guard sequence for an `if` clause: guards separated by `;`.
    fn guard_seq(&mut self, env: &[Var]) -> String {
        let n = 1 + self.rng.below(2);
        let gs: Vec<String> = (0..n).map(|_| self.guard(env, 2)).collect();
        gs.join("; ")
    }

    /// A guard expression (boolean).
    fn guard(&mut self, env: &[Var], depth: u32) -> String {
        let d = depth.saturating_sub(1);
        match self.rng.below(if depth == 0 { 4 } else { 8 }) {
            0 => {
                let k = self.kind();
                let v = self.gexpr(k, env, d);
                format!("{}({v})", self.type_test())
            }
            1 | 2 => {
                let op = self.compare_op();
                format!("({} {op} {})", self.gnum(env, d), self.gnum(env, d))
            }
            3 => {
                let (f, k, max) = *self.rng.pick(&[
                    ("tuple_size", Kind::Tuple, 4),
                    ("length", Kind::List, 5),
                    ("map_size", Kind::Map, 4),
                    ("byte_size", Kind::Bin, 10),
                ]);
                let op = self.compare_op();
                let n = self.rng.below(max);
                format!("({f}({}) {op} {n})", self.gexpr(k, env, d))
            }
            4 => {
                let op = self.rng.pick(&["andalso", "orelse"]).to_string();
                format!("({} {op} {})", self.guard(env, d), self.guard(env, d))
            }
            5 => format!("(not {})", self.guard(env, d)),
            6 => {
                let k = self.rng.pick(&MAP_KEYS).to_string();
                let m = self.gexpr(Kind::Map, env, d);
                if self.rng.chance(1, 2) {
                    format!("is_map_key({k}, {m})")
                } else {
                    let op = self.compare_op();
                    format!("(map_get({k}, {m}) {op} {})", self.gnum(env, d))
                }
            }
            _ => {
                let op = self.compare_op();
                let i = 1 + self.rng.below(3);
                let k = self.kind();
                let t = self.gexpr(Kind::Tuple, env, d);
                format!("(element({i}, {t}) {op} {})", self.gexpr(k, env, d))
            }
        }
    }

    fn gnum(&mut self, env: &[Var], depth: u32) -> String {
        if self.rng.chance(3, 4) {
            self.gexpr(Kind::Int, env, depth)
        } else {
            self.gexpr(Kind::Float, env, depth)
        }
    }

    /// An expression allowed in guards, meant to be of `kind`.
    fn gexpr(&mut self, kind: Kind, env: &[Var], depth: u32) -> String {
        if depth == 0 || self.rng.chance(1, 2) {
            return self.leaf(kind, env);
        }
        let d = depth - 1;
        match kind {
            Kind::Int => match self.rng.below(6) {
                0 | 1 => {
                    let op = self
                        .rng
                        .pick(&["+", "-", "*", "div", "rem", "band", "bor", "bxor"])
                        .to_string();
                    format!("({} {op} {})", self.gnum(env, d), self.gnum(env, d))
                }
                2 => {
                    let s = self.rng.below(70);
                    format!("({} bsl {s})", self.gexpr(Kind::Int, env, d))
                }
                3 => format!("abs({})", self.gnum(env, d)),
                4 => format!("length({})", self.gexpr(Kind::List, env, d)),
                _ => format!("hd({})", self.gexpr(Kind::List, env, d)),
            },
            Kind::Float => match self.rng.below(2) {
                0 => format!("float({})", self.gexpr(Kind::Int, env, d)),
                _ => format!("({} / {})", self.gnum(env, d), self.gnum(env, d)),
            },
            Kind::Tuple | Kind::Map | Kind::List | Kind::Any => {
                let i = 1 + self.rng.below(3);
                if self.rng.chance(1, 2) {
                    format!("element({i}, {})", self.gexpr(Kind::Tuple, env, d))
                } else if kind == Kind::List {
                    format!("tl({})", self.gexpr(Kind::List, env, d))
                } else {
                    self.leaf(kind, env)
                }
            }
            _ => self.leaf(kind, env),
        }
    }

    /// A tail-recursive loop over a counter and an accumulator, or a body-recursive one
    /// building a list; the accumulator grows by a bounded amount each turn.
    fn loop_fn(&mut self, name: &str) -> (String, Option<Kind>) {
        self.in_loop = true;
        self.may_call = false;
        let n = Var {
            name: "N".into(),
            kind: Kind::Int,
        };
        let out = if self.rng.chance(1, 4) {
            let e = self.expr(Kind::Any, std::slice::from_ref(&n), 2);
            (
                format!(
                    "{name}(N) when N > 0 ->\n    [{e} | {name}(N - 1)];\n{name}(_) ->\n    []."
                ),
                None,
            )
        } else {
            let acc = *self.rng.pick(&[
                Kind::Int,
                Kind::Float,
                Kind::List,
                Kind::Bin,
                Kind::Map,
                Kind::Tuple,
            ]);
            let ek = if acc == Kind::Bin {
                Kind::Int
            } else {
                self.kind()
            };
            let e = self.expr(ek, std::slice::from_ref(&n), 2);
            let next = match acc {
                Kind::Int => {
                    let op = self.rng.pick(&["+", "-", "*", "bxor", "band"]).to_string();
                    let c = paren_int(&mut self.rng);
                    format!("(Acc {op} {c}) + ({e})")
                }
                Kind::Float => format!("Acc * 1.5 - ({e})"),
                Kind::List => format!("[{e} | Acc]"),
                Kind::Bin => {
                    let size = self.rng.pick(&["8", "16", "3", "64"]).to_string();
                    format!("<<Acc/bits, ({e}):{size}>>")
                }
                Kind::Map => format!("Acc#{{N => {e}}}"),
                _ => format!("setelement(1, Acc, {e})"),
            };
            (
                format!(
                    "{name}(N, Acc) when N > 0 ->\n    {name}(N - 1, {next});\n{name}(_, Acc) ->\n    Acc."
                ),
                Some(acc),
            )
        };
        self.in_loop = false;
        out
    }

    /// A worker function of one to three arguments and one to four clauses.
    /// Its text, argument kinds, and for each clause arguments that match its head.
    fn worker(&mut self, name: &str) -> (String, Vec<Kind>, Vec<Vec<String>>) {
        let arity = 1 + self.rng.below(3) as usize;
        let params: Vec<Kind> = (0..arity)
            .map(|_| {
                if self.rng.chance(1, 6) {
                    Kind::Any
                } else {
                    self.kind()
                }
            })
            .collect();
        let n = 1 + self.rng.below(4);
        let mut clauses = Vec::new();
        let mut witnesses = Vec::new();
        for _ in 0..n {
            self.may_call = true;
            let kinds: Vec<Kind> = params
                .iter()
                .map(|&k| {
                    if self.rng.chance(4, 5) {
                        k
                    } else {
                        self.kind()
                    }
                })
                .collect();
            let (c, w) = self.clause(&kinds, &[], Kind::Any, 3, true);
            clauses.push(format!("{name}{c}"));
            witnesses.push(w);
        }
        if self.rng.chance(1, 2) {
            self.may_call = true;
            let args: Vec<Var> = (0..arity)
                .map(|_| Var {
                    name: self.fresh(),
                    kind: Kind::Any,
                })
                .collect();
            let names: Vec<&str> = args.iter().map(|v| v.name.as_str()).collect();
            let body = self.expr(Kind::Any, &args, 2);
            clauses.push(format!(
                "{name}({}) ->\n    {{fallback, {body}}}",
                names.join(", ")
            ));
        }
        (format!("{}.", clauses.join(";\n")), params, witnesses)
    }
}

/// The Erlang module for `seed`: its name and source text.
fn program(seed: u64) -> (String, String) {
    let mut g = Gen {
        rng: Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1),
        vars: 0,
        workers: Vec::new(),
        loops: Vec::new(),
        may_call: false,
        in_loop: false,
    };
    let module = format!("diff_{seed}");
    let mut functions = Vec::new();
    for i in 0..4 {
        let name = format!("loop{i}");
        let (text, acc) = g.loop_fn(&name);
        functions.push(text);
        g.loops.push((name, acc));
    }
    let mut calls = Vec::new();
    for i in 0..FUNCTIONS {
        let name = format!("f{i}");
        let (text, params, witnesses) = g.worker(&name);
        functions.push(text);
        for _ in 0..(3 + g.rng.below(4)) {
            if g.rng.chance(3, 4) {
                let w = g.rng.pick(&witnesses).join(", ");
                calls.push(format!("fun() -> {name}({w}) end"));
                continue;
            }
            let args: Vec<String> = params
                .iter()
                .map(|&k| {
                    let k = if g.rng.chance(4, 5) && k != Kind::Any {
                        k
                    } else {
                        g.kind()
                    };
                    g.lit(k, 2)
                })
                .collect();
            calls.push(format!("fun() -> {name}({}) end", args.join(", ")));
        }
        g.workers.push(Callee { name, params });
    }
    // Every operator on operands around the boundaries, at run time.
    for _ in 0..12 {
        let a = boundary(&mut g.rng);
        let b = if g.rng.chance(1, 3) {
            g.rng.pick(&["1", "-1", "2", "1.0", "0"]).to_string()
        } else {
            boundary(&mut g.rng)
        };
        calls.push(format!("fun() -> ops({a}, {b}) end"));
    }
    let text = format!(
        "-module({module}).\n-export([main/0]).\n-compile([nowarn_unused_vars, nowarn_unused_function]).\n\n\
         main() ->\n    lists:foreach(fun({{I, F}}) -> show(I, F) end,\n        \
         lists:zip(lists:seq(1, {n}), [\n        {calls}])).\n\n\
         show(I, F) ->\n    R = try F() catch C:E -> {{C, E}} end,\n    io:format(\"~p~n\", [{{I, R}}]).\n\n\
         {OPS}\n\n{functions}\n",
        n = calls.len(),
        calls = calls.join(",\n        "),
        functions = functions.join("\n\n"),
    );
    (module, text)
}

/// An operand for `ops/2`: an integer at a boundary (girder's smalls end at ±2^59), or a
/// float, or now and then not a number.
fn boundary(rng: &mut Rng) -> String {
    match rng.below(8) {
        0..=4 => {
            let bits = *rng.pick(&[59u32, 59, 59, 60, 63, 64, 31, 53]);
            let v = (1i128 << bits) + rng.below(5) as i128 - 2;
            let v = if rng.chance(1, 2) { -v } else { v };
            v.to_string()
        }
        5 => rng.pick(&["0", "1", "-1", "7"]).to_string(),
        6 => rng.pick(&FLOATS).to_string(),
        _ => rng.pick(&["a", "[]", "{1}", "<<1>>"]).to_string(),
    }
}

/// The operators, each of its own function, on the arguments of `ops/2`.
const OPS: &str = "ops(A, B) ->
    [t(fun() -> A + B end), t(fun() -> A - B end), t(fun() -> A * B end),
     t(fun() -> A div B end), t(fun() -> A rem B end), t(fun() -> A / B end),
     t(fun() -> A band B end), t(fun() -> A bor B end), t(fun() -> A bxor B end),
     t(fun() -> -A end), t(fun() -> A + 1 end), t(fun() -> A - 1 end), t(fun() -> 1 - A end),
     t(fun() -> A bsl 1 end), t(fun() -> A bsr 1 end), t(fun() -> A bsl 70 end),
     t(fun() -> X = A + B, Y = X - B, {X, Y, Y =:= A, Y == A} end),
     t(fun() -> max(A, B) end), t(fun() -> abs(A) end),
     A < B, A >= B, A > B, A =< B, A == B, A /= B, A =:= B, A =/= B,
     A < 0, A >= 1, A =:= 1, A == 1, A == 1.0, A > 576460752303423487,
     cmp(A, B), cmp(B, A), sel(A), t(fun() -> <<A:64, B:72/signed>> end)].

t(F) -> try F() catch C:R -> {C, R} end.

cmp(A, B) when A =:= B -> exact;
cmp(A, B) when A == B -> equal;
cmp(A, B) when A < B, is_integer(A) -> less_int;
cmp(A, B) when A < B -> less;
cmp(A, B) when A >= B -> greater;
cmp(_, _) -> none.

sel(576460752303423487) -> max_small;
sel(576460752303423488) -> min_big;
sel(-576460752303423488) -> min_small;
sel(-576460752303423489) -> max_negbig;
sel(1) -> one;
sel(1.0) -> one_float;
sel(0) -> zero;
sel(_) -> other.";

/// One engine's run of `module:main()`.
fn run(engine: &str, dir: &Path, module: &str) -> Captured {
    let mut cmd = if engine == "erl" {
        Command::new("erl")
    } else {
        let mut c = Command::new(env!("CARGO_BIN_EXE_girder"));
        if engine == "girder emu" {
            c.args(["-emu_flavor", "emu"]);
        } else {
            c.env("GIRDER_JIT_THRESHOLD", "0");
        }
        if engine.ends_with("GC stress") {
            c.env("GIRDER_GC_STRESS", "1");
        }
        c
    };
    cmd.arg("-noshell")
        .arg("-pa")
        .arg(dir)
        .args(["-s", module, "main", "-s", "init", "stop"])
        .current_dir(dir)
        .env("ERL_CRASH_DUMP_SECONDS", "0");
    run_captured(&mut cmd, RUN_TIMEOUT)
}

/// Compile and run the module of `seed` under the three engines; a description of the
/// first divergence, if any.
fn check(seed: u64) -> Result<usize, String> {
    let (module, text) = program(seed);
    let dir = scratch_dir(&format!("differential-{seed}"));
    let src = dir.join(format!("{module}.erl"));
    std::fs::write(&src, &text).unwrap();
    // -W0: generated code draws many warnings (clauses that cannot match, say).
    let compiled = Command::new("erlc")
        .arg("-W0")
        .arg("-o")
        .arg(&dir)
        .arg(&src)
        .output()
        .expect("cannot run erlc");
    if !compiled.status.success() {
        return Err(format!(
            "seed {seed}: the generated program does not compile ({}):\n{}\n{}\n--- {} ---\n{text}",
            compiled.status,
            String::from_utf8_lossy(&compiled.stdout),
            String::from_utf8_lossy(&compiled.stderr),
            src.display()
        ));
    }
    let erl = run("erl", &dir, &module);
    let fail = |what: String| format!("seed {seed}: {what}\n--- {} ---\n{text}", src.display());
    if erl.exit != Exit::Code(0) || erl.stdout.is_empty() {
        return Err(fail(format!(
            "erl itself failed ({}): {}",
            erl.exit,
            String::from_utf8_lossy(&erl.stderr)
        )));
    }
    let expected = String::from_utf8_lossy(&erl.stdout).into_owned();
    let mut engines = vec!["girder emu", "girder jit"];
    if std::env::var_os("GIRDER_DIFF_GC_STRESS").is_some() {
        engines.push("girder jit GC stress");
    }
    for engine in engines {
        let got = run(engine, &dir, &module);
        let out = String::from_utf8_lossy(&got.stdout);
        if got.exit == Exit::Code(0) && out == expected {
            continue;
        }
        let mut why = format!("{engine} diverged from erl ({})", got.exit);
        let line = expected
            .lines()
            .zip(out.lines())
            .position(|(e, g)| e != g)
            .unwrap_or(expected.lines().count().min(out.lines().count()));
        write!(
            why,
            ", first at output line {}:\n  erl:    {}\n  {engine}: {}",
            line + 1,
            expected.lines().nth(line).unwrap_or("<end of output>"),
            out.lines().nth(line).unwrap_or("<end of output>"),
        )
        .unwrap();
        let err = String::from_utf8_lossy(&got.stderr);
        if !err.is_empty() {
            let tail: String = err.chars().take(2000).collect();
            write!(why, "\n  {engine} stderr: {tail}").unwrap();
        }
        return Err(fail(why));
    }
    if std::env::var_os("GIRDER_DIFF_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(expected.lines().count())
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|s| s.parse().ok())
}

#[test]
fn generated_functions_agree_under_erl_the_interpreter_and_the_jit() {
    let first = env_u64("GIRDER_DIFF_SEED").unwrap_or(DEFAULT_SEED);
    let count = env_u64("GIRDER_DIFF_COUNT").unwrap_or(DEFAULT_COUNT);
    let seeds: Vec<u64> = (first..first + count).collect();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let results = parallel_map(&seeds, threads, |&seed| check(seed));
    let mut failures = Vec::new();
    let mut lines = 0;
    for r in results {
        match r {
            Ok(n) => lines += n,
            Err(e) => failures.push(e),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} generated modules diverged:\n\n{}",
        failures.len(),
        failures.join("\n\n==========\n\n")
    );
    // Every module printed a result for every call.
    assert!(lines >= seeds.len() * FUNCTIONS * 3);
}

/// A seed names one program.
#[test]
fn the_generator_is_deterministic() {
    assert_eq!(program(7).1, program(7).1);
    assert_ne!(program(7).1, program(8).1);
}

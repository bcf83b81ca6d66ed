//! Match specifications: `[{Head, Guards, Body}]` compiled into patterns and expressions,
//! then run against objects with OTP's semantics: the first clause whose head matches and
//! whose guards are all `true` gives the result; an error in a guard fails the clause; an
//! error in the body makes the result `'EXIT'`.

use std::collections::HashMap;
use std::sync::OnceLock;

use girder_runtime::Process;
use girder_runtime::bif::BifFn;
use girder_term::object as obj;
use girder_term::{Atom, Term, compare};

/// A head pattern.
enum Pat {
    Any,
    /// A variable's slot: binds on first sight, must be equal (`=:=`) after.
    Var(usize),
    Const(Term),
    Tuple(Vec<Pat>),
    Cons(Box<Pat>, Box<Pat>),
    /// Keys (constants) and value patterns; the map may have more keys.
    Map(Vec<(Term, Pat)>),
}

/// A guard or body expression.
enum Expr {
    Var(usize),
    /// `'$_'`: the whole object.
    Object,
    /// `'$$'`: every head variable, in order of number.
    AllVars,
    Const(Term),
    Tuple(Vec<Expr>),
    Cons(Box<Expr>, Box<Expr>),
    Map(Vec<(Expr, Expr)>),
    Call(BifFn, Vec<Expr>),
    AndAlso(Vec<Expr>),
    OrElse(Vec<Expr>),
    /// Variadic `and` / `or`: every operand evaluated, all must be booleans.
    And(Vec<Expr>),
    Or(Vec<Expr>),
    SelfPid,
    Node,
    /// `node/1`.
    NodeOf(Box<Expr>),
    /// The trace dialect's `{return_trace}` (a body action; its value is `true`).
    ReturnTrace,
    /// The trace dialect's `{exception_trace}` (a body action; its value is `true`).
    ExceptionTrace,
    /// The trace dialect's `{message, Expr}` (a body action; its value is `true`).
    Message(Box<Expr>),
}

/// What the trace dialect's body actions asked for.
#[derive(Default, Clone, Copy)]
pub struct Actions {
    /// `{return_trace}`.
    pub return_trace: bool,
    /// `{exception_trace}`.
    pub exception_trace: bool,
    /// `{message, X}`: the last one's `X` (`false`: no trace message at all; `true`: a
    /// message without extra term).
    pub message: Option<Term>,
}

struct Clause {
    head: Pat,
    /// Number of variables (slots).
    vars: usize,
    guards: Vec<Expr>,
    body: Vec<Expr>,
}

/// A compiled match specification. Its constants point into the term it was compiled from,
/// which must outlive it.
pub struct MatchSpec {
    clauses: Vec<Clause>,
}

/// What running a match specification on one term gave.
pub enum Outcome {
    NoMatch,
    /// The body's value (it may point into the object and into the caller's heap).
    Result(Term),
}

/// The variable number of `'$N'`: digits without a leading zero, read as OTP's C code
/// reads them (in a wrapping 32-bit integer).
fn var_number(a: Atom) -> Option<u32> {
    let digits = a.name().strip_prefix('$')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return None;
    }
    Some(digits.bytes().fold(0u32, |n, d| {
        n.wrapping_mul(10).wrapping_add(u32::from(d - b'0'))
    }))
}

/// The guard functions OTP 25 allows in a table match specification, besides `self/0`,
/// `node/0,1` and the boolean operators (which [`Expr`] handles itself).
const ALLOWED: &[(&str, u32)] = &[
    ("is_atom", 1),
    ("is_float", 1),
    ("is_integer", 1),
    ("is_list", 1),
    ("is_number", 1),
    ("is_pid", 1),
    ("is_port", 1),
    ("is_reference", 1),
    ("is_tuple", 1),
    ("is_map", 1),
    ("is_map_key", 2),
    ("is_binary", 1),
    ("is_function", 1),
    ("is_record", 3),
    ("abs", 1),
    ("element", 2),
    ("hd", 1),
    ("tl", 1),
    ("length", 1),
    ("map_get", 2),
    ("map_size", 1),
    ("round", 1),
    ("trunc", 1),
    ("float", 1),
    ("size", 1),
    ("bit_size", 1),
    ("byte_size", 1),
    ("binary_part", 2),
    ("binary_part", 3),
    ("+", 1),
    ("+", 2),
    ("-", 1),
    ("-", 2),
    ("*", 2),
    ("/", 2),
    ("div", 2),
    ("rem", 2),
    ("band", 2),
    ("bor", 2),
    ("bxor", 2),
    ("bnot", 1),
    ("bsl", 2),
    ("bsr", 2),
    (">", 2),
    (">=", 2),
    ("<", 2),
    ("=<", 2),
    ("=:=", 2),
    ("==", 2),
    ("=/=", 2),
    ("/=", 2),
    ("not", 1),
    ("xor", 2),
];

/// The guard functions a match specification may call, with the BIFs that compute them.
fn guard_bifs() -> &'static HashMap<(&'static str, u32), BifFn> {
    static MAP: OnceLock<HashMap<(&'static str, u32), BifFn>> = OnceLock::new();
    MAP.get_or_init(|| {
        crate::TABLES
            .iter()
            .copied()
            .flatten()
            .filter(|&&(m, f, a, _)| m == "erlang" && ALLOWED.contains(&(f, a)))
            .map(|&(_, f, a, bif)| ((f, a), bif))
            .collect()
    })
}

/// Variable numbers to slots, for one clause.
#[derive(Default, Clone)]
struct Vars {
    numbers: Vec<u32>,
    /// Compiling the body of a trace-dialect clause: its actions are allowed.
    actions: bool,
}

impl Vars {
    fn slot(&self, n: u32) -> Option<usize> {
        self.numbers.binary_search(&n).ok()
    }
}

fn collect_vars(t: Term, out: &mut Vec<u32>) {
    let mut stack = vec![t];
    while let Some(t) = stack.pop() {
        if let Some(a) = t.as_atom() {
            if let Some(n) = var_number(a) {
                out.push(n);
            }
        } else if obj::is_tuple(t) {
            stack.extend_from_slice(obj::tuple_elements(t));
        } else if t.is_list() {
            stack.push(obj::head(t));
            stack.push(obj::tail(t));
        } else if obj::is_map(t) {
            stack.extend(obj::map_values(t).iter().copied());
        }
    }
}

/// Deepest head pattern girder compiles (beyond: `badarg`).
const MAX_DEPTH: usize = 10_000;

/// Deepest guard or body expression: OTP's compiler recurses on the C stack and gives
/// `system_limit` beyond a depth that depends on the shape (a list of 3190 elements
/// compiles, 3191 does not; nested tuple constructions stop near 2280); girder uses the
/// list figure.
const EXPR_DEPTH: usize = 3190;

/// Why a match specification does not compile.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Invalid {
    /// Not a valid specification.
    BadArg,
    /// Too deep for OTP's compiler.
    SystemLimit,
}

/// Whether head pattern `t` stands for itself: no variable or `'_'` in it.
fn ground(t: Term) -> bool {
    let mut stack = vec![t];
    while let Some(t) = stack.pop() {
        if let Some(a) = t.as_atom() {
            if var_number(a).is_some() || a.name() == "_" {
                return false;
            }
        } else if t.is_list() {
            stack.push(obj::head(t));
            stack.push(obj::tail(t));
        } else if obj::is_tuple(t) {
            stack.extend_from_slice(obj::tuple_elements(t));
        } else if obj::is_map(t) {
            stack.extend(obj::map_pairs(t).flat_map(|(k, v)| [k, v]));
        }
    }
    true
}

fn pattern(t: Term, vars: &Vars, depth: usize) -> Result<Pat, Invalid> {
    if depth > MAX_DEPTH {
        return Err(Invalid::BadArg);
    }
    if let Some(a) = t.as_atom() {
        if a.name() == "_" {
            return Ok(Pat::Any);
        }
        if let Some(n) = var_number(a) {
            return Ok(Pat::Var(vars.slot(n).ok_or(Invalid::BadArg)?));
        }
        return Ok(Pat::Const(t));
    }
    if obj::is_tuple(t) {
        let elements = obj::tuple_elements(t)
            .iter()
            .map(|&e| pattern(e, vars, depth + 1))
            .collect::<Result<_, _>>()?;
        return Ok(Pat::Tuple(elements));
    }
    if t.is_list() && ground(t) {
        // A constant list, however long, is matched as a whole.
        return Ok(Pat::Const(t));
    }
    if t.is_list() {
        return Ok(Pat::Cons(
            Box::new(pattern(obj::head(t), vars, depth + 1)?),
            Box::new(pattern(obj::tail(t), vars, depth + 1)?),
        ));
    }
    if obj::is_map(t) {
        let mut pairs = Vec::new();
        for (k, v) in obj::map_pairs(t) {
            let mut kv = Vec::new();
            collect_vars(k, &mut kv);
            if !kv.is_empty() || k.as_atom().is_some_and(|a| a.name() == "_") {
                return Err(Invalid::BadArg);
            }
            pairs.push((k, pattern(v, vars, depth + 1)?));
        }
        return Ok(Pat::Map(pairs));
    }
    Ok(Pat::Const(t))
}

fn expr(t: Term, vars: &Vars, depth: usize) -> Result<Expr, Invalid> {
    if depth > EXPR_DEPTH {
        return Err(Invalid::SystemLimit);
    }
    let sub = |t: Term| expr(t, vars, depth + 1);
    if let Some(a) = t.as_atom() {
        return match a.name() {
            "$_" => Ok(Expr::Object),
            "$$" => Ok(Expr::AllVars),
            _ => match var_number(a) {
                Some(n) => Ok(Expr::Var(vars.slot(n).ok_or(Invalid::BadArg)?)),
                None => Ok(Expr::Const(t)),
            },
        };
    }
    if obj::is_tuple(t) {
        let es = obj::tuple_elements(t);
        let Some(&first) = es.first() else {
            return Err(Invalid::BadArg);
        };
        if es.len() == 1 && obj::is_tuple(first) {
            let inner = obj::tuple_elements(first)
                .iter()
                .map(|&e| sub(e))
                .collect::<Result<_, _>>()?;
            return Ok(Expr::Tuple(inner));
        }
        let f = first.as_atom().ok_or(Invalid::BadArg)?;
        let args = &es[1..];
        if f.name() == "const" && args.len() == 1 {
            return Ok(Expr::Const(args[0]));
        }
        if vars.actions {
            match (f.name(), args.len()) {
                ("return_trace", 0) => return Ok(Expr::ReturnTrace),
                ("exception_trace", 0) => return Ok(Expr::ExceptionTrace),
                ("message", 1) => return Ok(Expr::Message(Box::new(sub(args[0])?))),
                _ => {}
            }
        }
        let compiled = || -> Result<Vec<Expr>, Invalid> { args.iter().map(|&e| sub(e)).collect() };
        return match (f.name(), args.len()) {
            ("andalso", n) if n > 0 => Ok(Expr::AndAlso(compiled()?)),
            ("orelse", n) if n > 0 => Ok(Expr::OrElse(compiled()?)),
            ("and", n) if n > 0 => Ok(Expr::And(compiled()?)),
            ("or", n) if n > 0 => Ok(Expr::Or(compiled()?)),
            ("self", 0) => Ok(Expr::SelfPid),
            ("node", 0) => Ok(Expr::Node),
            ("node", 1) => Ok(Expr::NodeOf(Box::new(sub(args[0])?))),
            (name, n) => {
                let bif = *guard_bifs().get(&(name, n as u32)).ok_or(Invalid::BadArg)?;
                Ok(Expr::Call(bif, compiled()?))
            }
        };
    }
    if t.is_list() {
        return Ok(Expr::Cons(
            Box::new(sub(obj::head(t))?),
            Box::new(sub(obj::tail(t))?),
        ));
    }
    if obj::is_map(t) {
        let pairs = obj::map_pairs(t)
            .map(|(k, v)| Ok((sub(k)?, sub(v)?)))
            .collect::<Result<_, Invalid>>()?;
        return Ok(Expr::Map(pairs));
    }
    Ok(Expr::Const(t))
}

impl MatchSpec {
    /// Compile `ms`; `Err` for anything OTP rejects with `badarg`.
    pub fn compile(ms: Term) -> Result<MatchSpec, Invalid> {
        Self::compile_dialect(ms, false)
    }

    /// Compile `ms` in the trace dialect: its bodies may hold `{return_trace}` and
    /// `{message, X}`.
    pub fn compile_trace(ms: Term) -> Result<MatchSpec, Invalid> {
        Self::compile_dialect(ms, true)
    }

    fn compile_dialect(ms: Term, trace: bool) -> Result<MatchSpec, Invalid> {
        let clauses = obj::list_to_vec(ms).ok_or(Invalid::BadArg)?;
        let mut out = Vec::with_capacity(clauses.len());
        for c in clauses {
            if !obj::is_tuple(c) || obj::tuple_arity(c) != 3 {
                return Err(Invalid::BadArg);
            }
            let (head, guards, body) = (
                obj::tuple_element(c, 0),
                obj::tuple_element(c, 1),
                obj::tuple_element(c, 2),
            );
            let mut numbers = Vec::new();
            collect_vars(head, &mut numbers);
            numbers.sort_unstable();
            numbers.dedup();
            let vars = Vars {
                numbers,
                actions: false,
            };
            let head_pat = pattern(head, &vars, 0)?;
            let body_vars = Vars {
                actions: trace,
                ..vars.clone()
            };
            let guards = obj::list_to_vec(guards)
                .ok_or(Invalid::BadArg)?
                .into_iter()
                .map(|g| expr(g, &vars, 0))
                .collect::<Result<_, _>>()?;
            let body: Vec<Expr> = obj::list_to_vec(body)
                .ok_or(Invalid::BadArg)?
                .into_iter()
                .map(|b| expr(b, &body_vars, 0))
                .collect::<Result<_, _>>()?;
            if body.is_empty() {
                return Err(Invalid::BadArg);
            }
            out.push(Clause {
                head: head_pat,
                vars: vars.numbers.len(),
                guards,
                body,
            });
        }
        Ok(MatchSpec { clauses: out })
    }

    /// Run on `object`, building results on `p`'s heap.
    pub fn run(&self, p: &mut Process, object: Term) -> Outcome {
        self.run_actions(p, object).0
    }

    /// Run on `object` (a trace-dialect specification), with the actions its body took.
    pub fn run_actions(&self, p: &mut Process, object: Term) -> (Outcome, Actions) {
        // Bindings on the stack for the usual few variables.
        let mut small = [None; 16];
        let mut big: Vec<Option<Term>> = Vec::new();
        for c in &self.clauses {
            let binds: &mut [Option<Term>] = if c.vars <= small.len() {
                small[..c.vars].fill(None);
                &mut small[..c.vars]
            } else {
                big.clear();
                big.resize(c.vars, None);
                &mut big
            };
            if !matches(&c.head, object, binds) {
                continue;
            }
            let mut env = Env {
                p,
                object,
                binds,
                actions: Actions::default(),
            };
            let ok = c
                .guards
                .iter()
                .all(|g| env.eval(g) == Ok(Term::atom(Atom::TRUE)));
            if !ok {
                continue;
            }
            let mut value = Term::NIL;
            for b in &c.body {
                match env.eval(b) {
                    Ok(v) => value = v,
                    Err(()) => {
                        return (Outcome::Result(Term::atom(Atom::EXIT_UPPER)), env.actions);
                    }
                }
            }
            return (Outcome::Result(value), env.actions);
        }
        (Outcome::NoMatch, Actions::default())
    }
}

fn matches(pat: &Pat, t: Term, binds: &mut [Option<Term>]) -> bool {
    match pat {
        Pat::Any => true,
        Pat::Var(i) => match binds[*i] {
            Some(b) => compare::eq_exact(b, t),
            None => {
                binds[*i] = Some(t);
                true
            }
        },
        Pat::Const(c) => compare::eq_exact(*c, t),
        Pat::Tuple(ps) => {
            obj::is_tuple(t)
                && obj::tuple_arity(t) == ps.len()
                && ps
                    .iter()
                    .zip(obj::tuple_elements(t))
                    .all(|(p, &e)| matches(p, e, binds))
        }
        Pat::Cons(h, tl) => {
            t.is_list() && matches(h, obj::head(t), binds) && matches(tl, obj::tail(t), binds)
        }
        Pat::Map(pairs) => {
            obj::is_map(t)
                && pairs.iter().all(|(k, vp)| match obj::map_get(t, *k) {
                    Some(v) => matches(vp, v, binds),
                    None => false,
                })
        }
    }
}

struct Env<'a> {
    p: &'a mut Process,
    object: Term,
    binds: &'a [Option<Term>],
    actions: Actions,
}

impl Env<'_> {
    fn boolean(&mut self, e: &Expr) -> Result<bool, ()> {
        match self.eval(e)?.as_atom() {
            Some(Atom::TRUE) => Ok(true),
            Some(Atom::FALSE) => Ok(false),
            _ => Err(()),
        }
    }

    fn eval(&mut self, e: &Expr) -> Result<Term, ()> {
        Ok(match e {
            Expr::Var(i) => self.binds[*i].ok_or(())?,
            Expr::Object => self.object,
            Expr::AllVars => {
                let vs: Vec<Term> = self.binds.iter().map(|b| b.unwrap_or(Term::NIL)).collect();
                obj::list_from_slice(&mut self.p.heap, &vs, Term::NIL)
            }
            Expr::Const(t) => *t,
            Expr::Tuple(es) => {
                let vs = es
                    .iter()
                    .map(|e| self.eval(e))
                    .collect::<Result<Vec<_>, _>>()?;
                obj::tuple(&mut self.p.heap, &vs)
            }
            Expr::Cons(h, t) => {
                let h = self.eval(h)?;
                let t = self.eval(t)?;
                obj::cons(&mut self.p.heap, h, t)
            }
            Expr::Map(pairs) => {
                let mut vs = Vec::with_capacity(pairs.len());
                for (k, v) in pairs {
                    vs.push((self.eval(k)?, self.eval(v)?));
                }
                obj::map_from_pairs(&mut self.p.heap, &mut vs)
            }
            Expr::Call(bif, args) => {
                // Guard BIFs take at most three arguments.
                let mut vs = [Term::NIL; 3];
                for (slot, e) in vs.iter_mut().zip(args) {
                    *slot = self.eval(e)?;
                }
                bif(self.p, &vs[..args.len()]).map_err(|_| ())?
            }
            Expr::AndAlso(es) => {
                let (last, init) = es.split_last().ok_or(())?;
                for e in init {
                    if !self.boolean(e)? {
                        return Ok(Term::atom(Atom::FALSE));
                    }
                }
                self.eval(last)?
            }
            Expr::OrElse(es) => {
                let (last, init) = es.split_last().ok_or(())?;
                for e in init {
                    if self.boolean(e)? {
                        return Ok(Term::atom(Atom::TRUE));
                    }
                }
                self.eval(last)?
            }
            Expr::And(es) => {
                let mut all = true;
                for e in es {
                    all &= self.boolean(e)?;
                }
                Term::boolean(all)
            }
            Expr::Or(es) => {
                let mut any = false;
                for e in es {
                    any |= self.boolean(e)?;
                }
                Term::boolean(any)
            }
            Expr::SelfPid => self.p.pid(),
            Expr::Node => Term::atom(Atom::NONODE),
            Expr::NodeOf(e) => {
                let t = self.eval(e)?;
                Term::atom(obj::ident(t).ok_or(())?.node)
            }
            Expr::ReturnTrace => {
                self.actions.return_trace = true;
                Term::atom(Atom::TRUE)
            }
            Expr::ExceptionTrace => {
                self.actions.exception_trace = true;
                Term::atom(Atom::TRUE)
            }
            Expr::Message(e) => {
                let t = self.eval(e)?;
                self.actions.message = Some(t);
                Term::atom(Atom::TRUE)
            }
        })
    }
}

/// Whether a match specification's every result is `true` for `select_count` and
/// `select_delete` to count: they test `Outcome::Result(true)`.
pub fn is_true(o: &Outcome) -> bool {
    matches!(o, Outcome::Result(t) if t.as_atom() == Some(Atom::TRUE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_names() {
        let n = |s: &str| var_number(Atom::intern(s));
        assert_eq!(n("$0"), Some(0));
        assert_eq!(n("$1"), Some(1));
        assert_eq!(n("$123"), Some(123));
        assert_eq!(n("$01"), None);
        assert_eq!(n("$"), None);
        assert_eq!(n("$_"), None);
        assert_eq!(n("$1a"), None);
        assert_eq!(n("x1"), None);
        // Read into 32 bits as OTP's C code does: 2^32 wraps to 0.
        assert_eq!(n("$4294967296"), Some(0));
    }

    #[test]
    fn guard_functions_come_from_the_bif_tables() {
        let g = guard_bifs();
        assert!(g.contains_key(&("element", 2)));
        assert!(g.contains_key(&("=:=", 2)));
        assert!(g.contains_key(&("is_record", 3)));
        assert!(!g.contains_key(&("tuple_size", 1)));
        assert!(!g.contains_key(&("is_function", 2)));
        assert_eq!(
            g.len(),
            ALLOWED.len(),
            "every allowed guard function is a BIF"
        );
    }
}

//! A readable listing of a module: `function NAME/ARITY` before each function, then one line
//! per generic instruction (name, then operands), as `girder disasm` prints it.

use std::fmt::Write as _;

use crate::beam::BeamFile;
use crate::code::Instruction;
use crate::compact::{AllocKind, Operand};
use crate::error::Result;
use crate::opcodes::op;
use crate::term::Term;
use crate::types::TypeInfo;

/// What an operand position means beyond its encoding, so it can be printed resolved.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Plain,
    /// An `ImpT` index (external call or BIF).
    Import,
    /// A `FunT` index.
    Lambda,
    /// A `Line` item index.
    Line,
    /// A string-table offset whose length (in bytes) is another operand.
    StringAt {
        len_arg: usize,
        bits: bool,
    },
}

fn role(opcode: u8, arg: usize) -> Role {
    match (opcode, arg) {
        (op::call_ext | op::call_ext_last | op::call_ext_only, 1) => Role::Import,
        (op::bif0, 0) | (op::bif1 | op::bif2, 1) | (op::gc_bif1 | op::gc_bif2 | op::gc_bif3, 2) => {
            Role::Import
        }
        (op::make_fun2 | op::make_fun3, 0) => Role::Lambda,
        (op::line, 0) => Role::Line,
        (op::bs_put_string, 1) => Role::StringAt {
            len_arg: 0,
            bits: false,
        },
        (op::bs_match_string, 3) => Role::StringAt {
            len_arg: 2,
            bits: true,
        },
        _ => Role::Plain,
    }
}

/// Prints operands of one module, resolving indices through its tables.
pub struct Printer<'a> {
    beam: &'a BeamFile,
}

impl<'a> Printer<'a> {
    /// A printer for `beam`.
    pub fn new(beam: &'a BeamFile) -> Self {
        Printer { beam }
    }

    fn atom(&self, n: u32) -> String {
        match self.beam.atom(n) {
            Some(a) => Term::Atom(a.to_owned()).to_string(),
            None => format!("atom#{n}?"),
        }
    }

    fn import(&self, n: u64) -> String {
        match self.beam.imports.get(n as usize) {
            Some(i) => format!(
                "{}:{}/{}",
                self.atom(i.module),
                self.atom(i.function),
                i.arity
            ),
            None => format!("import#{n}?"),
        }
    }

    fn type_info(&self, t: &TypeInfo) -> String {
        let mut s = if t.types.is_any() {
            "any".to_owned()
        } else {
            t.types.names().join("|")
        };
        if t.min.is_some() || t.max.is_some() {
            let bound = |b: Option<i64>| b.map_or(String::new(), |v| v.to_string());
            write!(s, "({}..{})", bound(t.min), bound(t.max)).unwrap();
        }
        if let Some(unit) = t.unit {
            write!(s, "(unit {unit})").unwrap();
        }
        s
    }

    /// Print one operand.
    pub fn operand(&self, o: &Operand) -> String {
        match o {
            Operand::Unsigned(n) => n.to_string(),
            Operand::Int(n) => n.to_string(),
            Operand::BigInt(n) => n.to_string(),
            Operand::Atom(n) => self.atom(*n),
            Operand::Nil => "[]".to_owned(),
            Operand::X(n) => format!("x{n}"),
            Operand::Y(n) => format!("y{n}"),
            Operand::Label(n) => format!("L{n}"),
            Operand::Char(c) => match char::from_u32(*c) {
                Some(ch) if !ch.is_control() && ch != ' ' => format!("${ch}"),
                _ => format!("${c}"),
            },
            Operand::Float(f) => Term::Float(*f).to_string(),
            Operand::List(items) => {
                let inner: Vec<String> = items.iter().map(|i| self.operand(i)).collect();
                format!("[{}]", inner.join(", "))
            }
            Operand::FloatReg(n) => format!("fr{n}"),
            Operand::AllocList(items) => {
                let inner: Vec<String> = items
                    .iter()
                    .map(|(k, n)| {
                        let k = match k {
                            AllocKind::Words => "words",
                            AllocKind::Floats => "floats",
                            AllocKind::Funs => "funs",
                        };
                        format!("{k}:{n}")
                    })
                    .collect();
                format!("alloc[{}]", inner.join(", "))
            }
            Operand::Literal(n) => match self.beam.literals.get(*n as usize) {
                Some(t) => t.to_string(),
                None => format!("literal#{n}?"),
            },
            Operand::Typed { reg, type_index } => {
                let reg = self.operand(reg);
                match self
                    .beam
                    .types
                    .as_ref()
                    .and_then(|t| t.entries.get(*type_index as usize))
                {
                    Some(t) => format!("{reg}::{}", self.type_info(t)),
                    None => format!("{reg}::type#{type_index}?"),
                }
            }
        }
    }

    fn resolved(&self, ins: &Instruction, i: usize) -> String {
        let arg = &ins.args[i];
        match (role(ins.opcode, i), arg) {
            (Role::Import, Operand::Unsigned(n)) => self.import(*n),
            (Role::Lambda, Operand::Unsigned(n)) => match self.beam.lambdas.get(*n as usize) {
                Some(l) => format!("fun#{n}({}/{})", self.atom(l.function), l.arity),
                None => format!("fun#{n}?"),
            },
            (Role::Line, Operand::Unsigned(n)) => {
                let loc = self
                    .beam
                    .lines
                    .as_ref()
                    .and_then(|t| t.items.get(*n as usize).map(|l| (t, l)));
                match loc {
                    Some((t, l)) => {
                        let file = match t.names.get(l.file as usize) {
                            Some(Some(name)) => name.clone(),
                            _ => format!("{}.erl", self.beam.module_name()),
                        };
                        format!("{}:{}", erl_string(&file), l.line)
                    }
                    None => format!("line#{n}"),
                }
            }
            (Role::StringAt { len_arg, bits }, Operand::Unsigned(off)) => {
                let len = match ins.args.get(len_arg) {
                    Some(Operand::Unsigned(n)) if bits => n.div_ceil(8),
                    Some(Operand::Unsigned(n)) => *n,
                    _ => 0,
                };
                let range = usize::try_from(*off)
                    .ok()
                    .and_then(|o| Some(o..o.checked_add(len as usize)?));
                match range.and_then(|r| self.beam.strings.get(r)) {
                    Some(bytes) => format!("{}", Term::Binary(bytes.to_vec())),
                    None => format!("string#{off}?"),
                }
            }
            _ => self.operand(arg),
        }
    }

    /// Print one instruction: its name, then its operands separated by spaces.
    pub fn instruction(&self, ins: &Instruction) -> String {
        let mut line = ins.name().to_owned();
        for i in 0..ins.args.len() {
            line.push(' ');
            line.push_str(&self.resolved(ins, i));
        }
        line
    }
}

/// `s` as an Erlang string literal.
fn erl_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => write!(out, "\\x{{{:x}}}", c as u32).unwrap(),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The whole listing of a module.
pub fn listing(beam: &BeamFile) -> Result<String> {
    let printer = Printer::new(beam);
    let mut out = String::new();
    writeln!(out, "module {}", printer.atom(1)).unwrap();
    for f in beam.code.functions()? {
        writeln!(out, "function {}/{}", printer.atom(f.name), f.arity).unwrap();
        for ins in &beam.code.instructions[f.start..f.end] {
            writeln!(out, "    {}", printer.instruction(ins)).unwrap();
        }
    }
    Ok(out)
}

/// A listing of the chunks: id, offset of the data, size.
pub fn chunk_listing(beam: &BeamFile) -> String {
    let mut out = String::new();
    writeln!(out, "{:<6} {:>10} {:>10}", "chunk", "offset", "size").unwrap();
    for c in &beam.chunks {
        writeln!(
            out,
            "{:<6} {:>10} {:>10}",
            crate::error::chunk_name(&c.id),
            c.offset,
            c.size
        )
        .unwrap();
    }
    out
}

/// The exported functions of `beam` that call a function of `module` (`call_ext`,
/// `call_ext_last`, `call_ext_only`): `(name, arity, callee name, callee arity)`, one per
/// call site's callee.
pub fn remote_calls(beam: &BeamFile, module: &str) -> Result<Vec<(String, u32, String, u32)>> {
    let exported: std::collections::HashSet<(u32, u32)> =
        beam.exports.iter().map(|e| (e.function, e.arity)).collect();
    let mut calls = Vec::new();
    for f in beam.code.functions()? {
        if !exported.contains(&(f.name, f.arity)) {
            continue;
        }
        for ins in &beam.code.instructions[f.start..f.end] {
            if !matches!(
                ins.opcode,
                op::call_ext | op::call_ext_last | op::call_ext_only
            ) {
                continue;
            }
            let Some(Operand::Unsigned(i)) = ins.args.get(1) else {
                continue;
            };
            let Some(imp) = beam.imports.get(*i as usize) else {
                continue;
            };
            if beam.atom(imp.module) == Some(module) {
                calls.push((
                    beam.atom(f.name).unwrap_or("?").to_owned(),
                    f.arity,
                    beam.atom(imp.function).unwrap_or("?").to_owned(),
                    imp.arity,
                ));
            }
        }
    }
    Ok(calls)
}

/// The exported functions whose body only calls `erlang:nif_error/1,2`: in OTP's own
/// modules, the functions implemented in C.
pub fn nif_stubs(beam: &BeamFile) -> Result<Vec<(String, u32)>> {
    let is_nif_error = |ins: &Instruction| {
        ins.opcode == op::call_ext_only
            && matches!(ins.args.get(1), Some(Operand::Unsigned(i))
            if beam.imports.get(*i as usize).is_some_and(|imp| {
                beam.atom(imp.module) == Some("erlang") && beam.atom(imp.function) == Some("nif_error")
            }))
    };
    let exported: std::collections::HashSet<(u32, u32)> =
        beam.exports.iter().map(|e| (e.function, e.arity)).collect();
    let mut stubs = Vec::new();
    for f in beam.code.functions()? {
        if !exported.contains(&(f.name, f.arity)) {
            continue;
        }
        // The body: what follows `func_info` and the entry label, without line markers.
        let body: Vec<&Instruction> = beam.code.instructions[f.start..f.end]
            .iter()
            .skip_while(|i| i.opcode != op::func_info)
            .skip(1)
            .filter(|i| i.opcode != op::label && i.opcode != op::line)
            .collect();
        let stub = match body.as_slice() {
            [call] => is_nif_error(call),
            [mv, call] => mv.opcode == op::r#move && is_nif_error(call),
            _ => false,
        };
        if stub {
            stubs.push((beam.atom(f.name).unwrap_or("?").to_owned(), f.arity));
        }
    }
    Ok(stubs)
}

//! The loader: a parsed `.beam` file becomes a [`Module`] of internal instructions.
//!
//! Every index in the file is checked here (registers, labels, atoms, literals, imports,
//! funs), so that executing a loaded module can never index outside its own tables: a bad
//! file is a [`LoadError`], never a crash.

use std::collections::HashMap;

use girder_format::BeamFile;
use girder_format::code::Instruction;
use girder_format::compact::{AllocKind, Operand};
use girder_format::opcodes::{self, op};
use girder_term::compare::cmp_exact;
use girder_term::heap::LiteralArea;
use girder_term::object::{self as obj, FunIdentity};
use girder_term::{Atom, Term};

use crate::instr::{
    BsCmd, BsField, CmpOp, Dst, FOp, Instr, Label, NO_LABEL, SegKind, Segment, Src, SrcKind,
    TypeTest,
};
use crate::module::{self, Cp, Export, FunEntry, FunctionRange, Module};

/// Number of X registers.
pub const MAX_X: u32 = 1024;
/// Number of float registers.
pub const MAX_FR: u32 = 1024;
/// Largest Y register number accepted.
pub const MAX_Y: u32 = 1 << 20;

/// Why a module could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {what}")]
pub struct LoadError {
    /// The file (or pack member) being loaded.
    pub file: String,
    /// What is wrong.
    pub what: String,
}

/// Resolves `fun M:F/A` literals to export entries. (Local funs cannot be literals: the
/// compiler builds them with `make_fun3`.)
struct ExportResolver;

impl girder_term::convert::FunResolver for ExportResolver {
    fn fun_entry(&mut self, _fun: &girder_format::Fun) -> Option<*const ()> {
        None
    }
    fn export_entry(&mut self, module: &str, function: &str, arity: u8) -> Option<*const ()> {
        let e = module::export(
            Atom::try_intern(module)?,
            Atom::try_intern(function)?,
            u32::from(arity),
        );
        Some(e as *const Export as *const ())
    }
}

/// Translation state for one module.
struct Loader<'a> {
    beam: &'a BeamFile,
    code_index: u32,
    atoms: Vec<Atom>,
    literals: Vec<Term>,
    area: LiteralArea,
    labels: HashMap<u32, Label>,
    imports: Vec<&'static Export>,
    funs: Vec<&'static FunEntry>,
}

type Res<T> = Result<T, String>;

/// `call_fun`/`call_fun2` then `deallocate N` then `return` become `CallFunLast` (as OTP's
/// loader does it), the two after it left in place: a label may still lead to them.
fn fuse_fun_tail_calls(code: &mut [Instr]) {
    for i in 0..code.len().saturating_sub(2) {
        let (Instr::Deallocate { n }, Instr::Return) = (&code[i + 1], &code[i + 2]) else {
            continue;
        };
        let dealloc = *n;
        let (arity, fun) = match &code[i] {
            Instr::CallFun { arity } => (*arity, Src::x(*arity)),
            Instr::CallFun2 { arity, fun } => (*arity, *fun),
            _ => continue,
        };
        code[i] = Instr::CallFunLast {
            arity,
            fun,
            dealloc,
        };
    }
}

/// Whether a failing BIF shows its own frame in the stack trace. OTP 25 omits it for `+`
/// and `-` with a constant operand and for `/`, whose code it generates inline.
fn bif_frame(export: &Export, args: &[Src]) -> bool {
    if export.module != Atom::ERLANG || export.arity != 2 {
        return true;
    }
    match export.function.name() {
        "/" => false,
        "+" | "-" => !args
            .iter()
            .any(|a| matches!(a.kind(), crate::instr::SrcKind::Term(t) if t.is_small())),
        _ => true,
    }
}

/// Stubs that call `erlang:nif_error/1,2` for which erts has no C function either: erts
/// runs their Erlang body (`erlang:garbage_collect_message_area/0` raises `undefined`),
/// and so does girder.
pub const STUBS_ERTS_RUNS: &[(&str, &str, u32)] = &[("erlang", "garbage_collect_message_area", 0)];

/// Whether the function body at `entry` only calls `erlang:nif_error/1,2`.
fn is_nif_stub(code: &[Instr], entry: Label) -> bool {
    let is_nif_error = |i: &Instr| {
        matches!(i, Instr::CallExtOnly { export, .. }
            if export.module == Atom::ERLANG && export.function == Atom::NIF_ERROR)
    };
    let body = &code[(entry as usize).min(code.len())..];
    match body {
        [Instr::Move { .. }, call, ..] => is_nif_error(call),
        [call, ..] => is_nif_error(call),
        [] => false,
    }
}

/// `bs_put_*`: a segment of an OTP 21-24 binary construction.
fn is_old_put(opcode: u8) -> bool {
    matches!(
        opcode,
        op::bs_put_integer
            | op::bs_put_binary
            | op::bs_put_float
            | op::bs_put_string
            | op::bs_put_utf8
            | op::bs_put_utf16
            | op::bs_put_utf32
    )
}

/// The start of an OTP 21-24 binary construction, whose `bs_put_*` follow.
fn is_old_build(opcode: u8) -> bool {
    matches!(
        opcode,
        op::bs_init2 | op::bs_init_bits | op::bs_append | op::bs_private_append
    )
}

/// Load a parsed module and install it: its exports then point at its code.
pub fn load(beam: &BeamFile, file: &str) -> Result<&'static Module, LoadError> {
    install(prepare(beam, file)?, file)
}

/// Translate a parsed module without installing it (`erlang:prepare_loading/2`).
pub fn prepare(beam: &BeamFile, file: &str) -> Result<Module, LoadError> {
    let err = |what: String| LoadError {
        file: file.to_owned(),
        what,
    };
    let code_index = module::reserve_code_index()
        .ok_or_else(|| err("too many module versions loaded".into()))?;
    let mut loader = Loader::new(beam, code_index).map_err(err)?;
    loader.translate().map_err(err)
}

/// Install a translated module (see [`module::install`]); a module with old code is
/// refused with [`LoadError::NOT_PURGED`].
pub fn install(module: Module, file: &str) -> Result<&'static Module, LoadError> {
    module::install(module).map_err(|module::InstallError::NotPurged| LoadError {
        file: file.to_owned(),
        what: LoadError::NOT_PURGED.to_owned(),
    })
}

impl LoadError {
    /// What a load refused because the module has old code says.
    pub const NOT_PURGED: &'static str = "not_purged";

    /// Whether the module was refused because it has old code.
    pub fn is_not_purged(&self) -> bool {
        self.what == Self::NOT_PURGED
    }
}

impl<'a> Loader<'a> {
    fn new(beam: &'a BeamFile, code_index: u32) -> Res<Self> {
        let mut atoms = Vec::with_capacity(beam.atoms.len());
        for a in &beam.atoms {
            if a.chars().count() > girder_term::atom::MAX_ATOM_CHARS {
                return Err(format!("atom too long: {a:?}"));
            }
            atoms.push(Atom::try_intern(a).ok_or("atom table full")?);
        }
        let mut area = LiteralArea::new();
        let mut literals = Vec::with_capacity(beam.literals.len());
        for (i, lit) in beam.literals.iter().enumerate() {
            let t = girder_term::convert::from_format_with(&mut area, lit, &mut ExportResolver)
                .map_err(|e| format!("literal {i}: {e}"))?;
            literals.push(t);
        }
        let imports = beam
            .imports
            .iter()
            .map(|imp| {
                module::export(
                    atoms[imp.module as usize - 1],
                    atoms[imp.function as usize - 1],
                    imp.arity,
                )
            })
            .collect();
        Ok(Loader {
            beam,
            code_index,
            atoms,
            literals,
            area,
            labels: HashMap::new(),
            imports,
            funs: Vec::new(),
        })
    }

    fn atom(&self, n: u32) -> Res<Atom> {
        n.checked_sub(1)
            .and_then(|i| self.atoms.get(i as usize).copied())
            .ok_or_else(|| format!("atom index {n} out of range"))
    }

    fn label(&self, op: &Operand) -> Res<Label> {
        match op {
            Operand::Label(0) => Ok(NO_LABEL),
            Operand::Label(l) => self
                .labels
                .get(l)
                .copied()
                .ok_or_else(|| format!("undefined label {l}")),
            other => Err(format!("expected a label, got {other:?}")),
        }
    }

    fn unsigned(&self, op: &Operand) -> Res<u32> {
        match op {
            Operand::Unsigned(n) => u32::try_from(*n).map_err(|_| format!("number {n} too large")),
            other => Err(format!("expected a number, got {other:?}")),
        }
    }

    fn term(&mut self, op: &Operand) -> Res<Term> {
        Ok(match op {
            Operand::Atom(n) => Term::atom(self.atom(*n)?),
            Operand::Nil => Term::NIL,
            Operand::Int(n) => {
                let t = girder_term::object::integer_from_i64(&mut self.area, *n);
                self.constant(t)
            }
            Operand::BigInt(n) => {
                let t = girder_term::object::integer_from_big(&mut self.area, n);
                self.constant(t)
            }
            Operand::Unsigned(n) => {
                let t = girder_term::object::integer_from_i128(&mut self.area, i128::from(*n));
                self.constant(t)
            }
            Operand::Char(c) => Term::small(i64::from(*c)),
            Operand::Float(f) => {
                let t = girder_term::object::float(&mut self.area, *f);
                self.constant(t)
            }
            Operand::Literal(i) if (*i as usize) < self.beam.literals.len() => {
                self.literals[*i as usize]
            }
            Operand::Literal(i) => return Err(format!("literal {i} out of range")),
            other => return Err(format!("expected a constant, got {other:?}")),
        })
    }

    /// Record a constant the loader made (a boxed number) after the literals, so that
    /// [`Module::constants`] names every boxed term the code holds.
    fn constant(&mut self, t: Term) -> Term {
        if !t.is_immediate() {
            self.literals.push(t);
        }
        t
    }

    /// `put_map_assoc` of `pairs` on `src` as [`Instr::NewMap`], when `src` is the empty map
    /// and the keys are distinct constants that make a flat map.
    fn new_map(&mut self, src: Src, pairs: &[(Src, Src)], dst: Dst) -> Option<Instr> {
        let SrcKind::Term(m) = src.kind() else {
            return None;
        };
        if !obj::is_map(m)
            || obj::map_size(m) != 0
            || pairs.is_empty()
            || pairs.len() > obj::FLAT_MAX
        {
            return None;
        }
        let mut sorted = Vec::with_capacity(pairs.len());
        for &(k, v) in pairs {
            let SrcKind::Term(k) = k.kind() else {
                return None;
            };
            sorted.push((k, v));
        }
        sorted.sort_by(|a, b| cmp_exact(a.0, b.0));
        if sorted.windows(2).any(|w| cmp_exact(w[0].0, w[1].0).is_eq()) {
            return None;
        }
        let keys: Vec<Term> = sorted.iter().map(|p| p.0).collect();
        let keys = obj::tuple(&mut self.area, &keys);
        let keys = self.constant(keys);
        Some(Instr::NewMap {
            dst,
            keys,
            values: sorted.iter().map(|p| p.1).collect(),
        })
    }

    fn src(&mut self, op: &Operand) -> Res<Src> {
        Ok(match op {
            Operand::X(n) if *n < MAX_X => Src::x(*n),
            Operand::Y(n) if *n < MAX_Y => Src::y(*n),
            Operand::X(n) | Operand::Y(n) => return Err(format!("register {n} out of range")),
            Operand::Typed { reg, type_index } => {
                let src = self.src(reg)?;
                // Kept for the JIT (what it may leave out); the interpreter ignores them.
                match self
                    .beam
                    .types
                    .as_ref()
                    .and_then(|t| t.entries.get(*type_index as usize))
                {
                    Some(info) if !info.types.is_any() => src.with_types(info.types.0),
                    _ => src,
                }
            }
            other => Src::term(self.term(other)?),
        })
    }

    fn dst(&self, op: &Operand) -> Res<Dst> {
        match op {
            Operand::X(n) if *n < MAX_X => Ok(Dst::X(*n)),
            Operand::Y(n) if *n < MAX_Y => Ok(Dst::Y(*n)),
            Operand::Typed { reg, .. } => self.dst(reg),
            other => Err(format!("expected a register, got {other:?}")),
        }
    }

    fn y(&self, op: &Operand) -> Res<u32> {
        match self.dst(op)? {
            Dst::Y(n) => Ok(n),
            Dst::X(_) => Err("expected a Y register".into()),
        }
    }

    fn fr(&self, n: u32) -> Res<u32> {
        if n < MAX_FR {
            Ok(n)
        } else {
            Err(format!("float register {n} out of range"))
        }
    }

    fn fr_operand(&self, op: &Operand) -> Res<u32> {
        match op {
            Operand::FloatReg(n) => self.fr(*n),
            other => Err(format!("expected a float register, got {other:?}")),
        }
    }

    /// A bit-syntax unit (1..=256).
    fn bs_unit(&self, op: &Operand) -> Res<u16> {
        match self.unsigned(op)? {
            u @ 0..=256 => Ok(u as u16),
            u => Err(format!("unit {u} out of range")),
        }
    }

    /// Bit-syntax field flags (a byte of `bits::LITTLE`, `SIGNED`, `NATIVE`...).
    fn bs_flags(&self, op: &Operand) -> Res<u8> {
        u8::try_from(self.unsigned(op)?).map_err(|_| "field flags out of range".into())
    }

    /// A fixed size operand of a `bs_match` command.
    fn size(&mut self, op: &Operand) -> Res<u32> {
        match op {
            Operand::Unsigned(_) => self.unsigned(op),
            Operand::Int(n) => u32::try_from(*n).map_err(|_| format!("bad size {n}")),
            other => Err(format!("expected a size, got {other:?}")),
        }
    }

    /// Decode the flat command list of `bs_match`.
    fn bs_match_commands(&mut self, items: &[Operand]) -> Res<Vec<BsCmd>> {
        let mut cmds = Vec::new();
        let mut i = 0;
        let arg = |i: usize| {
            items
                .get(i)
                .ok_or_else(|| "truncated bs_match command".to_string())
        };
        while i < items.len() {
            let name = self
                .term(&items[i])?
                .as_atom()
                .map(|a| a.name())
                .ok_or("bs_match command is not an atom")?;
            let (cmd, n) = match name {
                "ensure_at_least" => (
                    BsCmd::EnsureAtLeast {
                        stride: self.size(arg(i + 1)?)?,
                        unit: self.size(arg(i + 2)?)?,
                    },
                    3,
                ),
                "ensure_exactly" => (
                    BsCmd::EnsureExactly {
                        stride: self.size(arg(i + 1)?)?,
                    },
                    2,
                ),
                "integer" | "binary" => {
                    // Live, Flags, Size, Unit, Dst
                    let flags = match arg(i + 2)? {
                        Operand::Nil => 0,
                        f => self.segment_flags(f)?,
                    };
                    let bits = self
                        .size(arg(i + 3)?)?
                        .checked_mul(self.size(arg(i + 4)?)?)
                        .ok_or("size overflow")?;
                    let dst = self.dst(arg(i + 5)?)?;
                    let cmd = if name == "integer" {
                        BsCmd::Integer { flags, bits, dst }
                    } else {
                        BsCmd::Binary { bits, dst }
                    };
                    (cmd, 6)
                }
                "=:=" => (
                    BsCmd::Eq {
                        bits: self.size(arg(i + 2)?)?,
                        value: self.term(arg(i + 3)?)?,
                    },
                    4,
                ),
                "skip" => (
                    BsCmd::Skip {
                        bits: self.size(arg(i + 1)?)?,
                    },
                    2,
                ),
                "get_tail" => (
                    BsCmd::GetTail {
                        dst: self.dst(arg(i + 3)?)?,
                    },
                    4,
                ),
                other => return Err(format!("unknown bs_match command {other}")),
            };
            cmds.push(cmd);
            i += n;
        }
        Ok(cmds)
    }

    /// Segment flags from a literal list of atoms (`[little, signed]`...).
    fn segment_flags(&mut self, op: &Operand) -> Res<u32> {
        let t = self.term(op)?;
        let mut flags = 0;
        for f in girder_term::object::list_to_vec(t).ok_or("segment flags are not a list")? {
            flags |= match f.as_atom().map(|a| a.name()) {
                Some("little") => crate::bits::LITTLE,
                Some("native") => crate::bits::NATIVE,
                Some("signed") => crate::bits::SIGNED,
                Some("big" | "unsigned" | "aligned") => 0,
                other => return Err(format!("unknown segment flag {other:?}")),
            };
        }
        Ok(flags)
    }

    fn list<'o>(&self, op: &'o Operand) -> Res<&'o [Operand]> {
        match op {
            Operand::List(items) => Ok(items),
            other => Err(format!("expected a list, got {other:?}")),
        }
    }

    fn import(&self, op: &Operand) -> Res<&'static Export> {
        let i = self.unsigned(op)? as usize;
        self.imports
            .get(i)
            .copied()
            .ok_or_else(|| format!("import {i} out of range"))
    }

    /// Heap need in words from a `u` or an allocation list.
    fn heap_words(&self, op: &Operand) -> Res<u32> {
        match op {
            Operand::AllocList(items) => Ok(items.iter().fold(0u32, |acc, (kind, n)| {
                let per = match kind {
                    AllocKind::Words => 1,
                    AllocKind::Floats => 2,
                    AllocKind::Funs => 8,
                };
                acc.saturating_add(n.saturating_mul(per))
            })),
            other => self.unsigned(other),
        }
    }

    fn translate(&mut self) -> Res<Module> {
        let beam = self.beam;
        let generic = &beam.code.instructions;

        // A module whose NIFs girder provides but which predates `-nifs` (no `nif_start`:
        // OTP's `prim_net`) gets a `nif_start` at the entry of each function its table
        // names, as `-nifs` would have put there.
        let module_atom = self.atom(1)?;
        let implicit: Vec<(&str, u32)> = match crate::nif::registered(module_atom) {
            Some(t) if !generic.iter().any(|i| i.opcode == op::nif_start) => {
                t.functions.iter().map(|f| (f.0, f.1)).collect()
            }
            _ => Vec::new(),
        };
        let implicit_nif = |this: &Self, ins: &Instruction| -> bool {
            if implicit.is_empty() || ins.opcode != op::func_info {
                return false;
            }
            let (Some(Operand::Atom(f)), Some(a)) = (ins.args.get(1), ins.args.get(2)) else {
                return false;
            };
            let name = this.atom(*f).ok();
            let arity = this.unsigned(a).ok();
            implicit
                .iter()
                .any(|(n, ar)| Some(*n) == name.map(|x| x.name()) && Some(*ar) == arity)
        };

        // Pass 1: where each label lands once labels and lines are dropped.
        let mut emitted: Label = 0;
        // The next label is the entry of a function that gets an implicit `nif_start`.
        let mut nif_entry = false;
        // Inside an OTP 21-24 binary construction (`bs_init2` and the `bs_put_*` after it),
        // which pass 2 makes one `bs_create_bin`.
        let mut in_build = false;
        for ins in generic {
            if in_build && is_old_put(ins.opcode) {
                continue;
            }
            if ins.opcode != op::line {
                in_build = is_old_build(ins.opcode);
            }
            match ins.opcode {
                op::label => {
                    let l = self.unsigned(&ins.args[0])?;
                    self.labels.insert(l, emitted);
                    if std::mem::take(&mut nif_entry) {
                        emitted += 1;
                    }
                }
                // `on_load` only marks its function (see pass 2).
                op::line | op::executable_line | op::on_load => {}
                _ => {
                    nif_entry = implicit_nif(self, ins);
                    emitted += 1;
                }
            }
        }

        // Fun entries (their code offsets are known now).
        let module_name = self.atom(1)?;
        for (i, l) in beam.lambdas.iter().enumerate() {
            let entry = self.label(&Operand::Label(l.label))?;
            let fun = FunEntry::new(
                FunIdentity {
                    module: module_name,
                    arity: l
                        .arity
                        .checked_sub(l.num_free)
                        .ok_or("fun arity below its free variables")?,
                    index: i as u32,
                    old_index: l.index,
                    old_uniq: l.old_uniq,
                    uniq: beam.md5,
                },
                self.atom(l.function)?,
                l.num_free,
                Cp::new(self.code_index, entry),
            );
            self.funs.push(Box::leak(Box::new(fun)));
        }

        // Pass 2: translate.
        let mut on_load = None;
        let mut code = Vec::with_capacity(emitted as usize);
        let mut lines = Vec::new();
        let mut functions: Vec<FunctionRange> = Vec::new();
        // An OTP 21-24 construction being gathered: fail label, destination, segments.
        let mut build: Option<(Label, Dst, Vec<Segment>)> = None;
        for ins in generic {
            if let Some((_, _, segments)) = build.as_mut() {
                if is_old_put(ins.opcode) {
                    // Segment 0: OTP 21-24's instructions raise without `error_info`.
                    let seg = self
                        .old_segment(ins, 0)
                        .map_err(|e| format!("{} at byte {}: {e}", ins.name(), ins.offset))?;
                    segments.push(seg);
                    continue;
                }
                if ins.opcode != op::line {
                    let (fail, dst, segments) = build.take().expect("checked");
                    code.push(Instr::BsCreateBin {
                        fail,
                        dst,
                        segments: segments.into(),
                    });
                }
            }
            if is_old_build(ins.opcode) {
                build = Some(
                    self.old_build(ins)
                        .map_err(|e| format!("{} at byte {}: {e}", ins.name(), ins.offset))?,
                );
                continue;
            }
            match ins.opcode {
                op::label => {
                    if std::mem::take(&mut nif_entry) {
                        code.push(Instr::NifStart);
                    }
                    continue;
                }
                op::line => {
                    if let Operand::Unsigned(item) = ins.args[0] {
                        lines.push((code.len() as Label, item as u32));
                    }
                    continue;
                }
                // Coverage markers (OTP 27 `+line_coverage`): nothing to execute.
                op::executable_line => continue,
                // The first instruction of the module's `-on_load` function: girder runs
                // that function before the module becomes callable (see `crate::nif`).
                op::on_load => {
                    on_load = Some(code.len() as Label);
                    continue;
                }
                // A bound NIF replaces its whole function (erts patches the function's
                // entry), but OTP's compiler may put `nif_start` after the function's first
                // instructions (`allocate`): move it to the entry, when no label lies
                // between (so no jump target moves).
                op::nif_start => {
                    let entry = functions.last().map_or(0, |f| f.start + 1);
                    let here = code.len() as Label;
                    let moved =
                        entry < here && !self.labels.values().any(|&l| l > entry && l <= here);
                    if moved {
                        code.insert(entry as usize, Instr::NifStart);
                        for (o, _) in lines.iter_mut() {
                            if *o > entry && *o <= here {
                                *o += 1;
                            }
                        }
                        continue;
                    }
                }
                _ => {}
            }
            nif_entry = implicit_nif(self, ins);
            let translated = self
                .instruction(ins)
                .map_err(|e| format!("{} at byte {}: {e}", ins.name(), ins.offset))?;
            if let Instr::FuncInfo {
                function, arity, ..
            } = translated
            {
                if let Some(prev) = functions.last_mut() {
                    prev.end = code.len() as Label;
                }
                functions.push(FunctionRange {
                    function,
                    arity,
                    start: code.len() as Label,
                    end: Label::MAX,
                });
            }
            code.push(translated);
        }
        if let Some((fail, dst, segments)) = build.take() {
            code.push(Instr::BsCreateBin {
                fail,
                dst,
                segments: segments.into(),
            });
        }
        if let Some(last) = functions.last_mut() {
            last.end = code.len() as Label;
        }
        fuse_fun_tail_calls(&mut code);

        // Functions implemented in C in OTP have Erlang stubs that call
        // `erlang:nif_error/1,2`. A module without `on_load` (not a NIF library) does not
        // export its stubs: calling a BIF girder lacks is then `undef`, as a missing function
        // is in OTP, instead of the stub's misleading error.
        let nif_module = generic
            .iter()
            .any(|i| i.opcode == op::on_load || i.opcode == op::nif_start);
        // OTP's `init` calls the `on_load/0` of the preloaded modules whose NIFs erts links
        // statically (`zlib`); girder loads them on demand, so it runs that function as
        // their `on_load` when it provides their NIFs.
        if on_load.is_none() && crate::nif::runs_on_load_at_boot(module_name) {
            on_load = functions
                .iter()
                .find(|f| f.function.name() == "on_load" && f.arity == 0)
                .map(|f| f.start + 1);
        }
        let mut exports = Vec::with_capacity(beam.exports.len());
        let mut bif_stubs = Vec::new();
        for e in &beam.exports {
            let entry = self.label(&Operand::Label(e.label))?;
            let function = self.atom(e.function)?;
            let erts_runs = STUBS_ERTS_RUNS
                .iter()
                .any(|&(m, f, a)| m == module_name.name() && f == function.name() && a == e.arity);
            if !nif_module && !erts_runs && is_nif_stub(&code, entry) {
                bif_stubs.push((self.atom(e.function)?, e.arity));
                continue;
            }
            exports.push((self.atom(e.function)?, e.arity, entry));
        }

        let native = (0..functions.len())
            .map(|_| std::sync::atomic::AtomicUsize::new(0))
            .collect();
        // Which function each instruction belongs to (native code returning into another
        // function of the module finds its entry with this).
        let mut function_of = vec![u32::MAX; code.len()];
        for (i, f) in functions.iter().enumerate() {
            function_of[f.start as usize..f.end as usize].fill(i as u32);
        }
        let native_calls = (0..functions.len())
            .map(|_| std::sync::atomic::AtomicU32::new(0))
            .collect();
        Ok(Module {
            name: module_name,
            native,
            native_calls,
            function_of: function_of.into_boxed_slice(),
            code_index: self.code_index,
            code: code.into_boxed_slice(),
            literals: std::mem::replace(&mut self.area, LiteralArea::new()),
            constants: std::mem::take(&mut self.literals).into_boxed_slice(),
            functions: functions.into_boxed_slice(),
            lines: lines.into_boxed_slice(),
            line_table: beam.lines.clone(),
            funs: std::mem::take(&mut self.funs).into_boxed_slice(),
            exports: exports.into_boxed_slice(),
            on_load,
            on_load_state: std::sync::atomic::AtomicU8::new(if on_load.is_some() {
                crate::module::ON_LOAD_PENDING
            } else {
                crate::module::ON_LOAD_NONE
            }),
            nifs: std::sync::OnceLock::new(),
            bif_stubs: bif_stubs.into_boxed_slice(),
            strings: beam.strings.clone().into_boxed_slice(),
            attributes: beam.attributes.clone(),
            compile_info: beam.compile_info.clone(),
            md5: beam.md5,
        })
    }

    fn instruction(&mut self, ins: &Instruction) -> Res<Instr> {
        let a = &ins.args;
        Ok(match ins.opcode {
            op::func_info => Instr::FuncInfo {
                module: self
                    .term(&a[0])?
                    .as_atom()
                    .ok_or("func_info module is not an atom")?,
                function: self
                    .term(&a[1])?
                    .as_atom()
                    .ok_or("func_info function is not an atom")?,
                arity: self.unsigned(&a[2])?,
            },
            op::r#move => Instr::Move {
                src: self.src(&a[0])?,
                dst: self.dst(&a[1])?,
            },
            op::swap => Instr::Swap {
                a: self.dst(&a[0])?,
                b: self.dst(&a[1])?,
            },
            op::init_yregs => Instr::InitYregs {
                regs: self
                    .list(&a[0])?
                    .iter()
                    .map(|r| self.y(r))
                    .collect::<Res<_>>()?,
            },

            op::call => Instr::Call {
                arity: self.unsigned(&a[0])?,
                target: self.label(&a[1])?,
            },
            op::call_last => Instr::CallLast {
                arity: self.unsigned(&a[0])?,
                target: self.label(&a[1])?,
                dealloc: self.unsigned(&a[2])?,
            },
            op::call_only => Instr::CallOnly {
                arity: self.unsigned(&a[0])?,
                target: self.label(&a[1])?,
            },
            op::call_ext | op::call_ext_last | op::call_ext_only => {
                let arity = self.unsigned(&a[0])?;
                let export = self.import(&a[1])?;
                let dealloc = if ins.opcode == op::call_ext_last {
                    Some(self.unsigned(&a[2])?)
                } else {
                    None
                };
                let tail = ins.opcode != op::call_ext;
                if export.module == Atom::ERLANG && export.function == Atom::APPLY {
                    match export.arity {
                        3 => return Ok(Instr::ApplyMfa { dealloc, tail }),
                        2 => return Ok(Instr::ApplyFun { dealloc, tail }),
                        _ => {}
                    }
                }
                match (ins.opcode, dealloc) {
                    (op::call_ext, _) => Instr::CallExt { arity, export },
                    (_, Some(dealloc)) => Instr::CallExtLast {
                        arity,
                        export,
                        dealloc,
                    },
                    _ => Instr::CallExtOnly { arity, export },
                }
            }
            op::apply => Instr::Apply {
                arity: self.unsigned(&a[0])?,
                dealloc: None,
                tail: false,
            },
            op::apply_last => Instr::Apply {
                arity: self.unsigned(&a[0])?,
                dealloc: Some(self.unsigned(&a[1])?),
                tail: true,
            },
            op::call_fun => Instr::CallFun {
                arity: self.unsigned(&a[0])?,
            },
            op::call_fun2 => Instr::CallFun2 {
                arity: self.unsigned(&a[1])?,
                fun: self.src(&a[2])?,
            },
            op::r#return => Instr::Return,

            op::allocate => Instr::Allocate {
                stack: self.unsigned(&a[0])?,
                live: self.unsigned(&a[1])?,
            },
            op::allocate_heap => Instr::AllocateHeap {
                stack: self.unsigned(&a[0])?,
                heap: self.heap_words(&a[1])?,
                live: self.unsigned(&a[2])?,
            },
            op::allocate_zero => Instr::Allocate {
                stack: self.unsigned(&a[0])?,
                live: self.unsigned(&a[1])?,
            },
            op::allocate_heap_zero => Instr::AllocateHeap {
                stack: self.unsigned(&a[0])?,
                heap: self.heap_words(&a[1])?,
                live: self.unsigned(&a[2])?,
            },
            op::deallocate => Instr::Deallocate {
                n: self.unsigned(&a[0])?,
            },
            op::trim => Instr::Trim {
                n: self.unsigned(&a[0])?,
                remaining: self.unsigned(&a[1])?,
            },
            op::test_heap => Instr::TestHeap {
                heap: self.heap_words(&a[0])?,
                live: self.unsigned(&a[1])?,
            },
            op::init => Instr::InitYregs {
                regs: Box::new([self.y(&a[0])?]),
            },

            op::is_integer => self.type_test(TypeTest::IsInteger, a)?,
            op::is_float => self.type_test(TypeTest::IsFloat, a)?,
            op::is_number => self.type_test(TypeTest::IsNumber, a)?,
            op::is_atom => self.type_test(TypeTest::IsAtom, a)?,
            op::is_pid => self.type_test(TypeTest::IsPid, a)?,
            op::is_reference => self.type_test(TypeTest::IsReference, a)?,
            op::is_port => self.type_test(TypeTest::IsPort, a)?,
            op::is_nil => self.type_test(TypeTest::IsNil, a)?,
            op::is_binary => self.type_test(TypeTest::IsBinary, a)?,
            op::is_bitstr => self.type_test(TypeTest::IsBitstr, a)?,
            op::is_list => self.type_test(TypeTest::IsList, a)?,
            op::is_nonempty_list => self.type_test(TypeTest::IsNonemptyList, a)?,
            op::is_tuple => self.type_test(TypeTest::IsTuple, a)?,
            op::is_function => self.type_test(TypeTest::IsFunction, a)?,
            op::is_boolean => self.type_test(TypeTest::IsBoolean, a)?,
            op::is_map => self.type_test(TypeTest::IsMap, a)?,
            op::is_lt => self.cmp(CmpOp::Lt, a)?,
            op::is_ge => self.cmp(CmpOp::Ge, a)?,
            op::is_eq => self.cmp(CmpOp::Eq, a)?,
            op::is_ne => self.cmp(CmpOp::Ne, a)?,
            op::is_eq_exact => self.cmp(CmpOp::EqExact, a)?,
            op::is_ne_exact => self.cmp(CmpOp::NeExact, a)?,
            op::test_arity => Instr::TestArity {
                fail: self.label(&a[0])?,
                arg: self.src(&a[1])?,
                arity: self.unsigned(&a[2])?,
            },
            op::is_tagged_tuple => Instr::IsTaggedTuple {
                fail: self.label(&a[0])?,
                arg: self.src(&a[1])?,
                arity: self.unsigned(&a[2])?,
                tag: self.term(&a[3])?,
            },
            op::is_function2 => Instr::IsFunction2 {
                fail: self.label(&a[0])?,
                arg: self.src(&a[1])?,
                arity: self.src(&a[2])?,
            },
            op::select_val => {
                let items = self.list(&a[2])?;
                if items.len() % 2 != 0 {
                    return Err("odd select list".into());
                }
                let mut table = Vec::with_capacity(items.len() / 2);
                for pair in items.chunks(2) {
                    table.push((self.term(&pair[0])?, self.label(&pair[1])?));
                }
                // Immediates compare by word: sorted first for a binary search.
                crate::instr::sort_select_table(&mut table);
                Instr::SelectVal {
                    arg: self.src(&a[0])?,
                    fail: self.label(&a[1])?,
                    table: table.into(),
                }
            }
            op::select_tuple_arity => {
                let items = self.list(&a[2])?;
                if items.len() % 2 != 0 {
                    return Err("odd select list".into());
                }
                let mut table = Vec::with_capacity(items.len() / 2);
                for pair in items.chunks(2) {
                    table.push((self.unsigned(&pair[0])?, self.label(&pair[1])?));
                }
                Instr::SelectTupleArity {
                    arg: self.src(&a[0])?,
                    fail: self.label(&a[1])?,
                    table: table.into(),
                }
            }
            op::jump => Instr::Jump {
                target: self.label(&a[0])?,
            },

            op::put_list => Instr::PutList {
                head: self.src(&a[0])?,
                tail: self.src(&a[1])?,
                dst: self.dst(&a[2])?,
            },
            op::get_list => Instr::GetList {
                src: self.src(&a[0])?,
                head: self.dst(&a[1])?,
                tail: self.dst(&a[2])?,
            },
            op::get_hd => Instr::GetHd {
                src: self.src(&a[0])?,
                dst: self.dst(&a[1])?,
            },
            op::get_tl => Instr::GetTl {
                src: self.src(&a[0])?,
                dst: self.dst(&a[1])?,
            },
            op::put_tuple2 => Instr::PutTuple2 {
                dst: self.dst(&a[0])?,
                elements: self
                    .list(&a[1])?
                    .iter()
                    .map(|e| self.src(e))
                    .collect::<Res<_>>()?,
            },
            op::get_tuple_element => Instr::GetTupleElement {
                src: self.src(&a[0])?,
                index: self.unsigned(&a[1])?,
                dst: self.dst(&a[2])?,
            },
            op::set_tuple_element => Instr::SetTupleElement {
                value: self.src(&a[0])?,
                tuple: self.src(&a[1])?,
                index: self.unsigned(&a[2])?,
            },

            op::bif0 => Instr::Bif {
                export: self.import(&a[0])?,
                fail: NO_LABEL,
                args: Box::new([]),
                dst: self.dst(&a[1])?,
                frame: true,
            },
            op::bif1 | op::bif2 => {
                let n = ins.args.len() - 3;
                let export = self.import(&a[1])?;
                let args: Box<[Src]> = a[2..2 + n]
                    .iter()
                    .map(|x| self.src(x))
                    .collect::<Res<_>>()?;
                Instr::Bif {
                    export,
                    fail: self.label(&a[0])?,
                    frame: bif_frame(export, &args),
                    args,
                    dst: self.dst(&a[2 + n])?,
                }
            }
            op::gc_bif1 | op::gc_bif2 | op::gc_bif3 => {
                let n = ins.args.len() - 4;
                let export = self.import(&a[2])?;
                let args: Box<[Src]> = a[3..3 + n]
                    .iter()
                    .map(|x| self.src(x))
                    .collect::<Res<_>>()?;
                Instr::GcBif {
                    export,
                    fail: self.label(&a[0])?,
                    live: self.unsigned(&a[1])?,
                    frame: bif_frame(export, &args),
                    args,
                    dst: self.dst(&a[3 + n])?,
                }
            }

            op::badmatch => Instr::Badmatch {
                arg: self.src(&a[0])?,
            },
            op::case_end => Instr::CaseEnd {
                arg: self.src(&a[0])?,
            },
            op::if_end => Instr::IfEnd,
            op::try_case_end => Instr::TryCaseEnd {
                arg: self.src(&a[0])?,
            },
            op::badrecord => Instr::Badrecord {
                arg: self.src(&a[0])?,
            },

            op::r#catch => Instr::Catch {
                y: self.y(&a[0])?,
                handler: self.label(&a[1])?,
            },
            op::catch_end => Instr::CatchEnd { y: self.y(&a[0])? },
            op::r#try => Instr::Try {
                y: self.y(&a[0])?,
                handler: self.label(&a[1])?,
            },
            op::try_end => Instr::TryEnd { y: self.y(&a[0])? },
            op::try_case => Instr::TryCase { y: self.y(&a[0])? },
            op::raise => Instr::Raise {
                trace: self.src(&a[0])?,
                value: self.src(&a[1])?,
            },
            op::raw_raise => Instr::RawRaise,
            op::build_stacktrace => Instr::BuildStacktrace,

            op::fmove => match (&a[0], &a[1]) {
                (Operand::FloatReg(s), Operand::FloatReg(d)) => Instr::FMove {
                    src: self.fr(*s)?,
                    dst: self.fr(*d)?,
                },
                (Operand::FloatReg(s), d) => Instr::FStore {
                    src: self.fr(*s)?,
                    dst: self.dst(d)?,
                },
                (s, Operand::FloatReg(d)) => {
                    let src = self.src(s)?;
                    if let crate::instr::SrcKind::Term(t) = src.kind()
                        && !girder_term::object::is_float(t)
                    {
                        return Err("fmove of a constant that is not a float".into());
                    }
                    Instr::FLoad {
                        src,
                        dst: self.fr(*d)?,
                    }
                }
                _ => return Err("fmove without a float register".into()),
            },
            op::fconv => Instr::FConv {
                src: self.src(&a[0])?,
                dst: self.fr_operand(&a[1])?,
            },
            op::fadd | op::fsub | op::fmul | op::fdiv => Instr::FArith {
                op: match ins.opcode {
                    op::fadd => FOp::Add,
                    op::fsub => FOp::Sub,
                    op::fmul => FOp::Mul,
                    _ => FOp::Div,
                },
                a: self.fr_operand(&a[1])?,
                b: self.fr_operand(&a[2])?,
                dst: self.fr_operand(&a[3])?,
            },
            op::fnegate => Instr::FNegate {
                src: self.fr_operand(&a[1])?,
                dst: self.fr_operand(&a[2])?,
            },

            op::loop_rec => Instr::LoopRec {
                fail: self.label(&a[0])?,
                dst: self.dst(&a[1])?,
            },
            op::loop_rec_end => Instr::LoopRecEnd {
                target: self.label(&a[0])?,
            },
            op::remove_message => Instr::RemoveMessage,
            op::wait => Instr::Wait {
                target: self.label(&a[0])?,
            },
            op::wait_timeout => Instr::WaitTimeout {
                target: self.label(&a[0])?,
                timeout: self.src(&a[1])?,
            },
            op::timeout => Instr::Timeout,
            op::send => Instr::Send,
            op::recv_marker_reserve => Instr::RecvMarkerReserve {
                dst: self.dst(&a[0])?,
            },
            op::recv_marker_bind => Instr::RecvMarkerBind {
                marker: self.src(&a[0])?,
                reference: self.src(&a[1])?,
            },
            op::recv_marker_clear => Instr::RecvMarkerClear {
                reference: self.src(&a[0])?,
            },
            op::recv_marker_use => Instr::RecvMarkerUse {
                reference: self.src(&a[0])?,
            },
            op::bs_create_bin => {
                let items = self.list(&a[5])?;
                if items.len() % 6 != 0 {
                    return Err("bs_create_bin segment list is not a multiple of 6".into());
                }
                let mut segments = Vec::with_capacity(items.len() / 6);
                for seg in items.chunks(6) {
                    let kind = match self.term(&seg[0])?.as_atom().map(|a| a.name()) {
                        Some("integer") => SegKind::Integer,
                        Some("float") => SegKind::Float,
                        Some("binary") => SegKind::Binary,
                        Some("utf8") => SegKind::Utf8,
                        Some("utf16") => SegKind::Utf16,
                        Some("utf32") => SegKind::Utf32,
                        Some("string") => SegKind::String,
                        Some("append" | "private_append") => SegKind::Append,
                        other => return Err(format!("unknown segment type {other:?}")),
                    };
                    let unit = self.unsigned(&seg[2])?;
                    let flags = self.segment_flags(&seg[3])?;
                    segments.push(Segment {
                        kind,
                        seg: self.unsigned(&seg[1])?,
                        unit,
                        flags,
                        src: self.src(&seg[4])?,
                        size: self.src(&seg[5])?,
                    });
                }
                Instr::BsCreateBin {
                    fail: self.label(&a[0])?,
                    dst: self.dst(&a[4])?,
                    segments: segments.into(),
                }
            }
            op::bs_start_match3 => Instr::BsStartMatch {
                fail: self.label(&a[0])?,
                src: self.src(&a[1])?,
                dst: self.dst(&a[3])?,
                v4: false,
            },
            op::bs_start_match4 => Instr::BsStartMatch {
                // `no_fail` and `resume` (atoms) mean the match cannot fail.
                fail: match &a[0] {
                    Operand::Label(_) => self.label(&a[0])?,
                    _ => NO_LABEL,
                },
                src: self.src(&a[2])?,
                dst: self.dst(&a[3])?,
                v4: true,
            },
            op::bs_get_position => Instr::BsGetPosition {
                ctx: self.src(&a[0])?,
                dst: self.dst(&a[1])?,
            },
            op::bs_set_position => Instr::BsSetPosition {
                ctx: self.src(&a[0])?,
                pos: self.src(&a[1])?,
            },
            op::bs_get_tail => Instr::BsGetTail {
                ctx: self.src(&a[0])?,
                dst: self.dst(&a[1])?,
            },
            op::bs_get_integer2 | op::bs_get_float2 | op::bs_get_binary2 => Instr::BsGet {
                field: match ins.opcode {
                    op::bs_get_integer2 => BsField::Integer,
                    op::bs_get_float2 => BsField::Float,
                    _ => BsField::Binary,
                },
                fail: self.label(&a[0])?,
                ctx: self.src(&a[1])?,
                size: self.src(&a[3])?,
                unit: self.bs_unit(&a[4])?,
                flags: self.bs_flags(&a[5])?,
                dst: Some(self.dst(&a[6])?),
            },
            op::bs_skip_bits2 => Instr::BsGet {
                field: BsField::Binary,
                fail: self.label(&a[0])?,
                ctx: self.src(&a[1])?,
                size: self.src(&a[2])?,
                unit: self.bs_unit(&a[3])?,
                flags: self.bs_flags(&a[4])?,
                dst: None,
            },
            op::bs_get_utf8 | op::bs_get_utf16 | op::bs_get_utf32 => Instr::BsGet {
                field: match ins.opcode {
                    op::bs_get_utf8 => BsField::Utf8,
                    op::bs_get_utf16 => BsField::Utf16,
                    _ => BsField::Utf32,
                },
                fail: self.label(&a[0])?,
                ctx: self.src(&a[1])?,
                size: Src::term(Term::NIL),
                unit: 1,
                flags: self.bs_flags(&a[3])?,
                dst: Some(self.dst(&a[4])?),
            },
            op::bs_skip_utf8 | op::bs_skip_utf16 | op::bs_skip_utf32 => Instr::BsGet {
                field: match ins.opcode {
                    op::bs_skip_utf8 => BsField::Utf8,
                    op::bs_skip_utf16 => BsField::Utf16,
                    _ => BsField::Utf32,
                },
                fail: self.label(&a[0])?,
                ctx: self.src(&a[1])?,
                size: Src::term(Term::NIL),
                unit: 1,
                flags: self.bs_flags(&a[3])?,
                dst: None,
            },
            op::bs_test_tail2 => Instr::BsTestTail {
                fail: self.label(&a[0])?,
                ctx: self.src(&a[1])?,
                bits: match &a[2] {
                    Operand::Unsigned(n) => *n,
                    Operand::BigInt(_) => u64::MAX,
                    other => return Err(format!("expected a number, got {other:?}")),
                },
            },
            op::bs_test_unit => Instr::BsTestUnit {
                fail: self.label(&a[0])?,
                ctx: self.src(&a[1])?,
                unit: self.unsigned(&a[2])?,
            },
            op::bs_match_string => {
                let bits = self.unsigned(&a[2])?;
                let offset = self.unsigned(&a[3])?;
                if offset as usize + (bits as usize).div_ceil(8) > self.beam.strings.len() {
                    return Err("bs_match_string outside the string table".into());
                }
                Instr::BsMatchString {
                    fail: self.label(&a[0])?,
                    ctx: self.src(&a[1])?,
                    bits,
                    offset,
                }
            }
            op::bs_init_writable => Instr::BsInitWritable,
            op::bs_match => Instr::BsMatch {
                fail: self.label(&a[0])?,
                ctx: self.src(&a[1])?,
                cmds: self.bs_match_commands(self.list(&a[2])?)?.into(),
            },
            op::get_map_elements => {
                let items = self.list(&a[2])?;
                if items.len() % 2 != 0 {
                    return Err("odd map element list".into());
                }
                let mut pairs = Vec::with_capacity(items.len() / 2);
                for pair in items.chunks(2) {
                    pairs.push((self.src(&pair[0])?, self.dst(&pair[1])?));
                }
                Instr::GetMapElements {
                    fail: self.label(&a[0])?,
                    src: self.src(&a[1])?,
                    pairs: pairs.into(),
                }
            }
            op::has_map_fields => Instr::HasMapFields {
                fail: self.label(&a[0])?,
                src: self.src(&a[1])?,
                keys: self
                    .list(&a[2])?
                    .iter()
                    .map(|k| self.src(k))
                    .collect::<Res<_>>()?,
            },
            op::put_map_assoc | op::put_map_exact => {
                let items = self.list(&a[4])?;
                if items.len() % 2 != 0 {
                    return Err("odd map pair list".into());
                }
                let mut pairs = Vec::with_capacity(items.len() / 2);
                for pair in items.chunks(2) {
                    pairs.push((self.src(&pair[0])?, self.src(&pair[1])?));
                }
                let src = self.src(&a[1])?;
                if ins.opcode == op::put_map_assoc
                    && let Some(new) = self.new_map(src, &pairs, self.dst(&a[2])?)
                {
                    new
                } else {
                    Instr::PutMap {
                        exact: ins.opcode == op::put_map_exact,
                        src,
                        dst: self.dst(&a[2])?,
                        pairs: pairs.into(),
                    }
                }
            }
            op::update_record => {
                let items = self.list(&a[4])?;
                if items.len() % 2 != 0 {
                    return Err("odd update list".into());
                }
                let size = self.unsigned(&a[1])?;
                let mut updates = Vec::with_capacity(items.len() / 2);
                for pair in items.chunks(2) {
                    let index = self.unsigned(&pair[0])?;
                    if index == 0 || index > size {
                        return Err(format!("update_record position {index} outside 1..={size}"));
                    }
                    updates.push((index, self.src(&pair[1])?));
                }
                Instr::UpdateRecord {
                    src: self.src(&a[2])?,
                    dst: self.dst(&a[3])?,
                    updates: updates.into(),
                }
            }
            op::make_fun3 => {
                let i = self.unsigned(&a[0])? as usize;
                Instr::MakeFun3 {
                    fun: *self
                        .funs
                        .get(i)
                        .ok_or_else(|| format!("fun {i} out of range"))?,
                    dst: self.dst(&a[1])?,
                    env: self
                        .list(&a[2])?
                        .iter()
                        .map(|e| self.src(e))
                        .collect::<Res<_>>()?,
                }
            }

            // make_fun2 FunIndex (OTP 23 and older; OTP 25's loader still takes it, and
            // Debian's OTP 25 ships modules that use it): the fun's free variables are in
            // x0..x(N-1) and it goes to x0, so it is make_fun3 with those operands.
            op::make_fun2 => {
                let i = self.unsigned(&a[0])? as usize;
                let fun: &'static FunEntry = self
                    .funs
                    .get(i)
                    .copied()
                    .ok_or_else(|| format!("fun {i} out of range"))?;
                if fun.num_free >= MAX_X {
                    return Err(format!("fun {i}: {} free variables", fun.num_free));
                }
                Instr::MakeFun3 {
                    fun,
                    dst: Dst::X(0),
                    env: (0..fun.num_free).map(Src::x).collect(),
                }
            }

            op::nif_start => Instr::NifStart,
            // bs_add Fail Src1 Src2 Unit Dst (OTP 21-24: a construction's size).
            op::bs_add => Instr::BsAdd {
                fail: self.label(&a[0])?,
                a: self.src(&a[1])?,
                b: self.src(&a[2])?,
                unit: self.unsigned(&a[3])?,
                dst: self.dst(&a[4])?,
            },
            // bs_utf8_size/bs_utf16_size Fail Src Dst.
            op::bs_utf8_size | op::bs_utf16_size => Instr::BsUtfSize {
                utf16: ins.opcode == op::bs_utf16_size,
                src: self.src(&a[1])?,
                dst: self.dst(&a[2])?,
            },
            opcode => {
                let info = opcodes::info(opcode).ok_or("unknown opcode")?;
                if info.deprecated {
                    return Err(format!(
                        "obsolete instruction {} (recompile the module)",
                        info.name
                    ));
                }
                Instr::Unsupported { opcode }
            }
        })
    }

    /// The start of an OTP 21-24 construction (`bs_init2`, `bs_init_bits`, `bs_append`,
    /// `bs_private_append`): its fail label, destination, and for an append, the segment
    /// holding the binary appended to.
    fn old_build(&mut self, ins: &Instruction) -> Res<(Label, Dst, Vec<Segment>)> {
        let a = &ins.args;
        match ins.opcode {
            // bs_init2/bs_init_bits Fail Size Words Live Flags Dst: the size is what the
            // segments add up to, which bs_create_bin computes itself.
            op::bs_init2 | op::bs_init_bits => {
                Ok((self.label(&a[0])?, self.dst(&a[5])?, Vec::new()))
            }
            // bs_append Fail Size Extra Live Unit Bin Flags Dst.
            op::bs_append => Ok((
                self.label(&a[0])?,
                self.dst(&a[7])?,
                vec![Segment {
                    kind: SegKind::Append,
                    seg: 0,
                    unit: self.unsigned(&a[4])?,
                    flags: 0,
                    src: self.src(&a[5])?,
                    size: Src::term(Term::atom(Atom::intern("all"))),
                }],
            )),
            // bs_private_append Fail Size Unit Bin Flags Dst.
            _ => Ok((
                self.label(&a[0])?,
                self.dst(&a[5])?,
                vec![Segment {
                    kind: SegKind::Append,
                    seg: 0,
                    unit: self.unsigned(&a[2])?,
                    flags: 0,
                    src: self.src(&a[3])?,
                    size: Src::term(Term::atom(Atom::intern("all"))),
                }],
            )),
        }
    }

    /// One `bs_put_*` of an OTP 21-24 construction as a `bs_create_bin` segment.
    fn old_segment(&mut self, ins: &Instruction, seg: u32) -> Res<Segment> {
        let a = &ins.args;
        // `{field_flags, N}`: beam_asm's bits for little (2), signed (4) and native (16).
        let flags = |l: &mut Self, op: &Operand| -> Res<u32> {
            let n = l.unsigned(op)?;
            let mut f = 0;
            if n & 2 != 0 {
                f |= crate::bits::LITTLE;
            }
            if n & 4 != 0 {
                f |= crate::bits::SIGNED;
            }
            if n & 16 != 0 {
                f |= crate::bits::NATIVE;
            }
            Ok(f)
        };
        Ok(match ins.opcode {
            // bs_put_string Len Offset.
            op::bs_put_string => {
                let (len, offset) = (self.unsigned(&a[0])?, self.unsigned(&a[1])?);
                if offset as usize + len as usize > self.beam.strings.len() {
                    return Err("bs_put_string outside the string table".into());
                }
                Segment {
                    kind: SegKind::String,
                    seg,
                    unit: 8,
                    flags: 0,
                    src: Src::term(Term::small(i64::from(offset))),
                    size: Src::term(Term::small(i64::from(len))),
                }
            }
            // bs_put_utf8/16/32 Fail Flags Src.
            op::bs_put_utf8 | op::bs_put_utf16 | op::bs_put_utf32 => Segment {
                kind: match ins.opcode {
                    op::bs_put_utf8 => SegKind::Utf8,
                    op::bs_put_utf16 => SegKind::Utf16,
                    _ => SegKind::Utf32,
                },
                seg,
                unit: 1,
                flags: flags(self, &a[1])?,
                src: self.src(&a[2])?,
                size: Src::term(Term::NIL),
            },
            // bs_put_integer/binary/float Fail Size Unit Flags Src.
            opcode => Segment {
                kind: match opcode {
                    op::bs_put_integer => SegKind::Integer,
                    op::bs_put_float => SegKind::Float,
                    _ => SegKind::Binary,
                },
                seg,
                unit: self.unsigned(&a[2])?,
                flags: flags(self, &a[3])?,
                src: self.src(&a[4])?,
                size: self.src(&a[1])?,
            },
        })
    }

    fn type_test(&mut self, op: TypeTest, a: &[Operand]) -> Res<Instr> {
        Ok(Instr::Test {
            op,
            fail: self.label(&a[0])?,
            arg: self.src(&a[1])?,
        })
    }

    fn cmp(&mut self, op: CmpOp, a: &[Operand]) -> Res<Instr> {
        Ok(Instr::Cmp {
            op,
            fail: self.label(&a[0])?,
            a: self.src(&a[1])?,
            b: self.src(&a[2])?,
        })
    }
}

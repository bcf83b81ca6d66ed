//! One BEAM function (from its `func_info` to the next function) to one native function.
//!
//! The native function is `extern "C" fn(ctx: *mut NativeCtx, offset: u64) -> u64`: it
//! starts at instruction `offset` of its module (any instruction of the function: a call's
//! entry, a return point, a receive loop, a catch handler...) and returns a
//! [`status`](girder_runtime::engine::status) when control leaves the function.
//!
//! Each BEAM instruction gets one Cranelift block. Simple instructions are emitted inline
//! (moves, type tests, comparisons of immediates, small-integer `+`/`-`, list and tuple
//! construction and matching, `select_val` on immediates, stack frames, heap checks, local
//! calls and returns); each inline sequence checks the cases it handles and otherwise
//! falls back to the instruction's *slow path*: the shared helper
//! [`Helper::Step`](girder_runtime::engine::Helper), which runs that one instruction with the
//! interpreter's code. Every other instruction is only that helper call. Either way, the
//! helper's answer (the next offset, or leave, or stop) decides where control goes.
//!
//! Invariants native code keeps (see ARCHITECTURE.md, "The JIT"):
//! - X and Y registers live in memory (`ctx.x`, the process stack) between instructions, so
//!   every helper call sees the whole state; no term is held in a machine register across a
//!   helper call (a helper may collect garbage).
//! - The stack's pointer and length and the heap's top are read from the process at each use
//!   and written back at once.
//! - Everything the runtime provides is reached through the context's helper table.

use cranelift_codegen::Context;
use cranelift_codegen::FinalizedRelocTarget;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::types::{F64, I8, I16, I32, I64};
use cranelift_codegen::ir::{
    AbiParam, Block, BlockArg, ExternalName, Function, GlobalValue, GlobalValueData, InstBuilder,
    MemFlagsData, SigRef, Signature, UserExternalName, UserFuncName, Value,
};
use cranelift_codegen::isa::{CallConv, TargetIsa};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Switch, Variable};
use girder_runtime::engine::{
    Helper, ctx_offsets, link_offsets, process_offsets as po, status, step,
};
use girder_runtime::instr::{
    BsField, CmpOp, Dst, FOp, Instr, Label, NO_LABEL, Src, SrcKind, TYPE_FLOAT, TypeTest,
};
use girder_runtime::loader::MAX_X;
use girder_runtime::module::{Export, FunEntry, FunctionRange, Module};
use girder_term::compare::cmp_exact;
use girder_term::header;
use girder_term::object::match_offsets;
use girder_term::word::tag;
use girder_term::{Atom, Term};

use crate::reloc::{EXPORT_TARGET_OFFSET, Reloc, Sym};

/// A compiled function: machine code and what it was made of.
pub struct Compiled {
    /// Machine code, position-independent but for the 8-byte slots `relocs` patches.
    pub code: Vec<u8>,
    /// Where `code` needs the values of `syms` (see [`crate::reloc`]).
    pub relocs: Vec<Reloc>,
    /// What the relocations refer to.
    pub syms: Vec<Sym>,
    /// BEAM instructions in the function.
    pub instructions: usize,
    /// Of those, how many have an inline fast path (the rest only call the step helper).
    pub inline: usize,
}

/// Compile function `range` of `module` for `isa`.
pub fn compile(
    isa: &dyn TargetIsa,
    module: &Module,
    range: &FunctionRange,
) -> Result<Compiled, String> {
    let call_conv = isa.default_call_conv();
    let sig = native_signature();
    let mut func = Function::with_name_signature(UserFuncName::user(0, range.start), sig.clone());
    let mut helper_sig = Signature::new(call_conv);
    helper_sig.params.extend([AbiParam::new(I64); 3]);
    helper_sig.returns.push(AbiParam::new(I64));

    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut fctx);
    let helper_sig = b.import_signature(helper_sig);
    let native_sig = b.import_signature(sig);
    let (start, end) = (range.start, range.end);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    let blocks: Vec<Block> = (start..end).map(|_| b.create_block()).collect();
    let dispatch = b.create_block();
    b.append_block_param(dispatch, I64);
    let leave = b.create_block();
    b.append_block_param(leave, I64);
    let result = b.create_block();
    b.append_block_param(result, I64);
    let away = b.create_block();
    b.append_block_param(away, I64);
    let step = b.create_block();
    b.append_block_param(step, I64);
    b.append_block_param(step, I64);

    b.switch_to_block(entry);
    let params = b.block_params(entry).to_vec();
    let ctx = params[0];
    // The process and its X registers are fixed for the whole slice: loaded once here,
    // in the block that dominates every other.
    let p = b.ins().load(I64, F, ctx, ctx_offsets::PROCESS);
    let x = b.ins().load(I64, F, ctx, ctx_offsets::X);
    let cached = CACHED.map(|(offset, written)| (offset, written, b.declare_var(I64)));

    let mut e = Emitter {
        b,
        module,
        start,
        end,
        blocks,
        ctx,
        p,
        x,
        cached,
        helper_sig,
        native_sig,
        dispatch,
        leave,
        result,
        step,
        step_sites: Vec::new(),
        away,
        trampolines: Vec::new(),
        inline: 0,
        reserved: 0,
        stack_known: 0,
        is_entry: {
            let mut v = vec![false; (end - start) as usize];
            for o in entries(module, start, end) {
                v[(o - start) as usize] = true;
            }
            v
        },
        return_frame: return_points_only(module, start, end)
            .into_iter()
            .map(|only| if only { Some(0) } else { None })
            .collect(),
        syms: Vec::new(),
        sym_values: std::collections::HashMap::new(),
        constant_index: None,
        uncacheable: None,
        overflow_ops: has_overflow_ops(isa),
    };
    e.sync_in();
    e.b.ins().jump(e.dispatch, &[BlockArg::Value(params[1])]);
    e.emit_shared_blocks();
    e.emit_away();
    for offset in start..end {
        let block = e.blocks[(offset - start) as usize];
        e.b.switch_to_block(block);
        e.instruction(offset);
    }
    e.fill_trampolines();
    e.fill_step();
    e.b.seal_all_blocks();
    let inline = e.inline;
    let syms = std::mem::take(&mut e.syms);
    if let Some(why) = e.uncacheable {
        return Err(why);
    }
    e.b.finalize(isa.frontend_config());

    let mut cctx = Context::for_function(func);
    let dump = dump_wanted(module, range);
    if dump {
        eprintln!("{}", cctx.func.display());
        cctx.set_disasm(true);
    }
    let names = cctx.func.params.user_named_funcs().clone();
    let compiled = cctx
        .compile(isa, &mut ControlPlane::default())
        .map_err(|e| format!("{:?}", e.inner))?;
    if dump && let Some(text) = &compiled.vcode {
        eprintln!("{text}");
    }
    let mut relocs = Vec::new();
    for r in compiled.buffer.relocs() {
        let FinalizedRelocTarget::ExternalName(ExternalName::User(name)) = r.target else {
            return Err(format!("unexpected relocation target {:?}", r.target));
        };
        if !crate::reloc::supported_kind(r.kind) {
            return Err(format!("unsupported relocation kind {:?}", r.kind));
        }
        let UserExternalName { index, .. } = names[name];
        relocs.push(Reloc {
            offset: r.offset,
            sym: index,
            addend: r.addend,
        });
    }
    Ok(Compiled {
        code: compiled.code_buffer().to_vec(),
        relocs,
        syms,
        instructions: (end - start) as usize,
        inline,
    })
}

/// The signature of every compiled function: `(ctx, offset) -> status` in Cranelift's `tail`
/// calling convention, so that one can end by tail-calling another (the native stack stays
/// flat). Rust enters through [`entry_trampoline`].
pub fn native_signature() -> Signature {
    let mut sig = Signature::new(CallConv::Tail);
    sig.params.push(AbiParam::new(I64));
    sig.params.push(AbiParam::new(I64));
    sig.returns.push(AbiParam::new(I64));
    sig
}

/// `extern "C" fn(ctx, function, offset) -> status`: calls a compiled function (whose
/// convention Rust cannot call directly) and returns what it returns.
pub fn entry_trampoline(isa: &dyn TargetIsa) -> Result<Vec<u8>, String> {
    let mut sig = Signature::new(isa.default_call_conv());
    sig.params.extend([AbiParam::new(I64); 3]);
    sig.returns.push(AbiParam::new(I64));
    let mut func = Function::with_name_signature(UserFuncName::user(1, 0), sig);
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut fctx);
    let native = b.import_signature(native_signature());
    let block = b.create_block();
    b.append_block_params_for_function_params(block);
    b.switch_to_block(block);
    let p = b.block_params(block).to_vec();
    let call = b.ins().call_indirect(native, p[1], &[p[0], p[2]]);
    let r = b.inst_results(call)[0];
    b.ins().return_(&[r]);
    b.seal_all_blocks();
    b.finalize(isa.frontend_config());
    let mut cctx = Context::for_function(func);
    let compiled = cctx
        .compile(isa, &mut ControlPlane::default())
        .map_err(|e| format!("{:?}", e.inner))?;
    Ok(compiled.code_buffer().to_vec())
}

/// `GIRDER_JIT_DUMP=module:function` prints the IR and machine code of those functions
/// (any arity) on standard error, for debugging the code generator.
fn dump_wanted(module: &Module, range: &FunctionRange) -> bool {
    std::env::var("GIRDER_JIT_DUMP")
        .is_ok_and(|v| v == format!("{}:{}", module.name, range.function))
}

struct Emitter<'a> {
    /// The target lowers Cranelift's `s*_overflow` instructions (riscv64 does not yet).
    overflow_ops: bool,
    b: FunctionBuilder<'a>,
    module: &'a Module,
    start: Label,
    end: Label,
    blocks: Vec<Block>,
    /// The context.
    ctx: Value,
    /// The process and X register base, loaded once at entry.
    p: Value,
    x: Value,
    /// Process fields kept in variables (see [`CACHED`]).
    cached: [(i32, bool, Variable); CACHED.len()],
    helper_sig: SigRef,
    /// Native functions' signature, for tail calls between them.
    native_sig: SigRef,
    /// `dispatch(offset)`: jump to an instruction of this function, or leave for it.
    dispatch: Block,
    /// `leave(offset)`: set the resume point to `offset` in this module and return.
    leave: Block,
    /// `result(r)`: act on the step helper's answer.
    result: Block,
    /// `step(offset, site)`: the function's one call of the step helper (see
    /// [`Emitter::generic`]).
    step: Block,
    /// The block each slow-path site continues at when the step helper answers "next".
    step_sites: Vec<Block>,
    /// `away(cp)`: continue at a CP word of another module (see [`Emitter::emit_away`]).
    away: Block,
    /// Parameterless blocks that leave for a label outside the function.
    trampolines: Vec<(Label, Block)>,
    inline: usize,
    /// Words the young heap block is known to have free at the point being emitted: set by
    /// `test_heap` and `allocate_heap`, used up by inline allocations, forgotten at every
    /// instruction control can reach other than by falling through, and after any
    /// instruction that may collect or allocate out of line (see [`reservation_kept`]).
    reserved: u32,
    /// A length the stack is known to have at least at the point being emitted (set by
    /// `allocate`, whose frame every later instruction up to the next entry is in;
    /// forgotten where [`Self::reserved`] is and after anything not [`frame_kept`]): Y
    /// register accesses within it need no test.
    stack_known: u32,
    /// Whether each offset of the function is an entry (see [`entries`]).
    is_entry: Vec<bool>,
    /// For each offset reached from outside straight-line code only as the return point of
    /// the body call before it: the stack length known at that call (`Some(0)` until the
    /// call is emitted). The callee returns with the caller's frame as it was, so Y
    /// registers within it need no test there either. `None` elsewhere.
    return_frame: Vec<Option<u32>>,
    /// The symbols the function refers to (relocation targets), by index.
    syms: Vec<Sym>,
    /// The global value made for each (symbol, addend).
    sym_values: std::collections::HashMap<(u32, i64), GlobalValue>,
    /// Boxed constants' positions in `module.constants`, by term (made on first use).
    constant_index: Option<std::collections::HashMap<u64, u32>>,
    /// Why the function cannot be compiled position-independently, if it cannot.
    uncacheable: Option<String>,
}

const F: MemFlagsData = MemFlagsData::trusted();

/// Byte offsets in a [`FunEntry`]: the fun's arity (`u32`) and its code (a CP word).
const FUN_ARITY: i32 = (std::mem::offset_of!(FunEntry, id)
    + std::mem::offset_of!(girder_term::object::FunIdentity, arity)) as i32;
const FUN_ENTRY: i32 = girder_runtime::module::FUN_TARGET;

/// Process fields native code keeps in variables (machine registers or spill slots) while
/// it runs, with whether it writes them: the ones nearly every instruction touches (each
/// more costs compile time: the stack capacity and the heap block's pointer and length are
/// read from memory where needed). They are loaded on entry and after each helper
/// call ([`Emitter::sync_in`]) and the written ones stored back before each helper call and
/// each exit ([`Emitter::sync_out`]): the helpers and the engine loop see memory only.
const CACHED: [(i32, bool); 6] = [
    (po::REDUCTIONS, true),
    (po::CP, true),
    (po::STACK_LOW, true),
    (po::STACK_LEN, true),
    (po::HEAP_TOP, true),
    (po::STACK_PTR, false),
];

/// How many of a function's own return points a `return` compares its CP with before the
/// general dispatch (see [`Emitter::return_here`]).
const RETURN_CHAIN: usize = 6;

/// The header word of a float object (one payload word).
const FLOAT_HEADER: i64 = (1 << 6) | ((girder_term::header::subtag::FLOAT as i64) << 2);

/// The exponent bits of an IEEE double: all set for infinities and NaNs.
const EXP_MASK: i64 = 0x7ff0_0000_0000_0000;

/// Whether [`Emitter::bif`] has a fast path for `erlang:name/arity`.
fn inline_bif(name: &str, arity: usize) -> bool {
    matches!(
        (name, arity),
        ("element", 2)
            | (
                "tuple_size" | "map_size" | "hd" | "tl" | "not" | "is_atom" | "is_list" | "-",
                1
            )
            | ("and" | "or" | "=:=" | "=/=" | "<" | ">" | "=<" | ">=", 2)
    )
}

/// The Cranelift namespace of girder's relocation symbols (their index is a position in
/// [`Compiled::syms`]).
const RELOC_NAMESPACE: u32 = 1;

/// Longest `select_val` over run-dependent atoms done as a chain of comparisons; longer
/// ones take the step helper (a jump table needs its values when compiling).
const SELECT_CHAIN: usize = 16;

/// The most keys `get_map_elements` and `put_map_*` look up inline (io_lib_format reads
/// eight at once; the lookup reads a flat map's keys once, whatever their number).
const MAP_KEYS_INLINE: usize = 8;

/// A map key the inline lookups take: a constant immediate (compared as one word).
fn is_constant_key(k: Src) -> bool {
    matches!(k.kind(), SrcKind::Term(t) if t.is_immediate())
}

/// The constant of a key [`is_constant_key`] accepted.
fn constant_key(k: Src) -> Term {
    match k.kind() {
        SrcKind::Term(t) => t,
        _ => Term::NIL,
    }
}

/// Constant immediate keys, none repeated (a repeated key's last value wins: the
/// helper's business).
fn distinct_constant_keys(keys: impl Iterator<Item = Src> + Clone) -> bool {
    keys.clone().all(is_constant_key)
        && keys.clone().enumerate().all(|(i, a)| {
            keys.clone()
                .skip(i + 1)
                .all(|b| constant_key(a) != constant_key(b))
        })
}

/// Whether `ins` leaves what a `test_heap` reserved in place for the instructions after it:
/// it neither collects nor allocates except through [`Emitter::alloc`] (which counts what
/// it takes), on its fast path and in the interpreter alike.
fn reservation_kept(ins: &Instr) -> bool {
    match ins {
        Instr::Move { .. }
        | Instr::Swap { .. }
        | Instr::GetList { .. }
        | Instr::GetHd { .. }
        | Instr::GetTl { .. }
        | Instr::GetTupleElement { .. }
        | Instr::SetTupleElement { .. }
        | Instr::Test { .. }
        | Instr::Cmp { .. }
        | Instr::IsTaggedTuple { .. }
        | Instr::TestArity { .. }
        | Instr::InitYregs { .. }
        | Instr::PutList { .. }
        | Instr::PutTuple2 { .. }
        | Instr::FLoad { .. }
        | Instr::FStore { .. }
        | Instr::FMove { .. }
        | Instr::FConv { .. }
        | Instr::FArith { .. }
        | Instr::FNegate { .. }
        | Instr::BsGetPosition { .. }
        | Instr::BsSetPosition { .. }
        | Instr::BsTestTail { .. }
        | Instr::BsTestUnit { .. } => true,
        Instr::Bif { export, args, .. } => {
            export.module == Atom::ERLANG && inline_bif(export.function.name(), args.len())
        }
        _ => false,
    }
}

/// The arity operand of `is_function2` when it is a literal fun arity (0..=255).
fn literal_arity(s: Src) -> Option<i64> {
    match s.kind() {
        SrcKind::Term(t) => t.as_small().filter(|n| (0..256).contains(n)),
        _ => None,
    }
}

/// Whether `ins` leaves the stack's length as it is (the frame instructions, calls and
/// returns do not; nor, to be safe, anything not listed).
fn frame_kept(ins: &Instr) -> bool {
    matches!(
        ins,
        Instr::Move { .. }
            | Instr::Swap { .. }
            | Instr::InitYregs { .. }
            | Instr::TestHeap { .. }
            | Instr::Test { .. }
            | Instr::Cmp { .. }
            | Instr::TestArity { .. }
            | Instr::IsTaggedTuple { .. }
            | Instr::IsFunction2 { .. }
            | Instr::PutList { .. }
            | Instr::GetList { .. }
            | Instr::GetHd { .. }
            | Instr::GetTl { .. }
            | Instr::PutTuple2 { .. }
            | Instr::GetTupleElement { .. }
            | Instr::SetTupleElement { .. }
            | Instr::Bif { .. }
            | Instr::GcBif { .. }
            | Instr::GetMapElements { .. }
            | Instr::HasMapFields { .. }
            | Instr::PutMap { .. }
            | Instr::NewMap { .. }
            | Instr::BsCreateBin { .. }
            | Instr::BsStartMatch { .. }
            | Instr::BsGetPosition { .. }
            | Instr::BsSetPosition { .. }
            | Instr::BsGetTail { .. }
            | Instr::BsGet { .. }
            | Instr::BsTestTail { .. }
            | Instr::BsTestUnit { .. }
            | Instr::BsMatchString { .. }
            | Instr::UpdateRecord { .. }
            | Instr::FLoad { .. }
            | Instr::FStore { .. }
            | Instr::FMove { .. }
            | Instr::FConv { .. }
            | Instr::FArith { .. }
            | Instr::FNegate { .. }
            | Instr::MakeFun3 { .. }
    )
}

/// The size in bits of a bit-syntax field whose size operand is the literal `size` (in
/// units of `unit` bits), when it is one.
fn literal_bits(size: Src, unit: u16) -> Option<u64> {
    match size.kind() {
        SrcKind::Term(t) => {
            let units = u64::try_from(t.as_small()?).ok()?;
            units.checked_mul(u64::from(unit)).filter(|&n| n < 1 << 32)
        }
        _ => None,
    }
}

/// Whether the operand `s` may hold a float: a float constant, or a register the `Type`
/// chunk says nothing about or allows a float in.
fn may_be_float(s: Src) -> bool {
    match s.kind() {
        SrcKind::Term(t) => !t.is_immediate(),
        _ => s.types().is_none_or(|t| t & TYPE_FLOAT != 0),
    }
}

/// Whether the term `t` is the same word in every run of this build (so native code may
/// hold it as an immediate): small integers, `[]`, and the predefined atoms.
fn stable(t: Term) -> bool {
    match t.as_atom() {
        Some(a) => a.is_predefined(),
        None => t.is_small() || t == Term::NIL,
    }
}

/// Whether Cranelift lowers `sadd_overflow`/`ssub_overflow`/`smul_overflow` for `isa`.
fn has_overflow_ops(isa: &dyn TargetIsa) -> bool {
    use target_lexicon::Architecture;
    matches!(
        isa.triple().architecture,
        Architecture::X86_64 | Architecture::Aarch64(_)
    )
}

impl Emitter<'_> {
    /// `a + b` and a flag, non-zero when the signed 64-bit sum overflowed.
    fn add_overflow(&mut self, a: Value, b: Value) -> (Value, Value) {
        if self.overflow_ops {
            return self.b.ins().sadd_overflow(a, b);
        }
        // Overflow iff both operands differ in sign from the result.
        let r = self.b.ins().iadd(a, b);
        let ra = self.b.ins().bxor(a, r);
        let rb = self.b.ins().bxor(b, r);
        let both = self.b.ins().band(ra, rb);
        (r, self.b.ins().icmp_imm_s(IntCC::SignedLessThan, both, 0))
    }

    /// `a - b` and a flag, non-zero when the signed 64-bit difference overflowed.
    fn sub_overflow(&mut self, a: Value, b: Value) -> (Value, Value) {
        if self.overflow_ops {
            return self.b.ins().ssub_overflow(a, b);
        }
        // Overflow iff the operands differ in sign and the result's sign differs from `a`.
        let r = self.b.ins().isub(a, b);
        let ab = self.b.ins().bxor(a, b);
        let ar = self.b.ins().bxor(a, r);
        let both = self.b.ins().band(ab, ar);
        (r, self.b.ins().icmp_imm_s(IntCC::SignedLessThan, both, 0))
    }

    /// `a * b` and a flag, non-zero when the signed 64-bit product overflowed.
    fn mul_overflow(&mut self, a: Value, b: Value) -> (Value, Value) {
        if self.overflow_ops {
            return self.b.ins().smul_overflow(a, b);
        }
        // The 128-bit product fits in 64 bits iff its high half is the low half's sign.
        let lo = self.b.ins().imul(a, b);
        let hi = self.b.ins().smulhi(a, b);
        let sign = self.b.ins().sshr_imm_s(lo, 63);
        (lo, self.b.ins().icmp(IntCC::NotEqual, hi, sign))
    }

    fn emit_shared_blocks(&mut self) {
        self.forget();
        // dispatch(pc): the entries are the instructions control can come back to from
        // outside straight-line code (see `entries`); any other offset is interpreted.
        self.b.switch_to_block(self.dispatch);
        let pc = self.b.block_params(self.dispatch)[0];
        let mut sw = Switch::new();
        for o in entries(self.module, self.start, self.end) {
            sw.set_entry(u128::from(o), self.blocks[(o - self.start) as usize]);
        }
        let elsewhere = self.b.create_block();
        sw.emit(&mut self.b, pc, elsewhere);
        self.b.switch_to_block(elsewhere);
        let inside = self
            .b
            .ins()
            .icmp_imm_s(IntCC::UnsignedLessThan, pc, i64::from(self.end));
        let at_least =
            self.b
                .ins()
                .icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, pc, i64::from(self.start));
        let mine = self.b.ins().band(inside, at_least);
        let not_entry = self.b.create_block();
        self.b
            .ins()
            .brif(mine, not_entry, &[], self.leave, &[BlockArg::Value(pc)]);
        // An offset of this function that is not an entry: interpret from there.
        self.b.switch_to_block(not_entry);
        self.store_resume(pc);
        let interpret = self.b.ins().iconst(I64, status::INTERPRET as i64);
        self.exit(interpret);

        // leave(pc): another function of this module. Tail-call its native code if it has
        // some, else return to the engine loop with the resume point set.
        self.forget();
        self.b.switch_to_block(self.leave);
        let pc = self.b.block_params(self.leave)[0];
        let n = self.module.code.len() as i64;
        let in_code = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, pc, n);
        let look = self.b.create_block();
        let back = self.b.create_block();
        self.b.ins().brif(in_code, look, &[], back, &[]);
        self.b.switch_to_block(look);
        let table = self.sym_value(Sym::FunctionOf, 0);
        let off4 = self.b.ins().ishl_imm_s(pc, 2);
        let at = self.b.ins().iadd(table, off4);
        let fi = self.b.ins().uload32(F, at, 0);
        let valid = self.b.ins().icmp_imm_s(
            IntCC::UnsignedLessThan,
            fi,
            self.module.functions.len() as i64,
        );
        let find = self.b.create_block();
        self.b.ins().brif(valid, find, &[], back, &[]);
        self.b.switch_to_block(find);
        let natives = self.sym_value(Sym::Natives, 0);
        let entry = self.native_entry_or(natives, fi, back);
        self.sync_out();
        self.b
            .ins()
            .return_call_indirect(self.native_sig, entry, &[self.ctx, pc]);
        self.b.switch_to_block(back);
        self.store_resume(pc);
        let left = self.b.ins().iconst(I64, status::LEFT as i64);
        self.exit(left);

        // result(r)
        self.b.switch_to_block(self.result);
        let r = self.b.block_params(self.result)[0];
        let go_on = self
            .b
            .ins()
            .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, r, 0);
        let negative = self.b.create_block();
        self.b
            .ins()
            .brif(go_on, self.dispatch, &[BlockArg::Value(r)], negative, &[]);
        self.b.switch_to_block(negative);
        let is_left = self.b.ins().icmp_imm_s(IntCC::Equal, r, step::LEFT);
        let left = self.b.ins().iconst(I64, status::LEFT as i64);
        let stop = self.b.ins().iconst(I64, status::STOP as i64);
        let s = self.b.ins().select(is_left, left, stop);
        self.exit(s);
    }

    /// Call the local fun `f` with `arity` arguments in X registers, as the interpreter's
    /// `call_fun` does: its free variables go after the arguments. Export funs, a wrong
    /// arity and anything that is not a fun are the slow path's.
    fn call_local_fun(
        &mut self,
        offset: Label,
        arity: u32,
        f: Value,
        dealloc: Option<u32>,
        slow: Block,
    ) {
        self.boxed_with_subtag(f, girder_term::header::subtag::FUN, slow);
        let payload = |i: i32| 8 * (i + 1) - tag::BOXED as i32;
        let entry = self.b.ins().load(I64, F, f, payload(0));
        // The code, checked first: a fun whose code was purged (0) is the slow path's
        // (`badfun`, or the error handler's `undefined_lambda`).
        let target = self.b.ins().load(I64, F, entry, FUN_ENTRY);
        let live_code = self.b.ins().icmp_imm_s(IntCC::NotEqual, target, 0);
        self.guard(live_code, slow);
        let fun_arity = self.b.ins().uload32(F, entry, FUN_ARITY);
        let same = self
            .b
            .ins()
            .icmp_imm_s(IntCC::Equal, fun_arity, i64::from(arity));
        self.guard(same, slow);
        let n = self.b.ins().load(I64, F, f, payload(2));
        let n = self.b.ins().sshr_imm_s(n, 4);
        let room =
            self.b
                .ins()
                .icmp_imm_s(IntCC::UnsignedLessThanOrEqual, n, i64::from(MAX_X - arity));
        self.guard(room, slow);
        // Copy the free variables to x[arity..arity + n].
        let x = self.x();
        let src = self.b.ins().iadd_imm_s(f, i64::from(payload(3)));
        let dst = self.b.ins().iadd_imm_s(x, i64::from(arity) * 8);
        self.copy_words(src, dst, n);
        match dealloc {
            // A tail call: the frame goes (its guard comes before any change the slow
            // path would repeat; the free variables copied above are only X registers).
            Some(n) => self.deallocate(n, slow),
            None => {
                let cp = self.cp_word(offset + 1);
                self.store_p(cp, po::CP);
            }
        }
        let live = self.b.ins().iadd_imm_s(n, i64::from(arity));
        let live = self.b.ins().ireduce(I32, live);
        self.reduce_live(live, Resume::Cp(target));
        self.enter_cp(target);
    }

    /// The current target of `export` (read at each call, so that hot code loading takes
    /// effect); none yet is the slow path's (`undef`). Called before the instruction
    /// changes anything, as the slow path redoes it whole.
    fn export_target(&mut self, export: &Export, slow: Block) -> Value {
        let name = Sym::Export(
            export.module.name().to_owned(),
            export.function.name().to_owned(),
            export.arity,
        );
        let at = self.sym_value(name, EXPORT_TARGET_OFFSET);
        let target = self.b.ins().load(I64, F, at, 0);
        let loaded = self.b.ins().icmp_imm_s(IntCC::NotEqual, target, 0);
        self.guard(loaded, slow);
        target
    }

    /// Jump straight to the return point `cp` names when it is one of this function's
    /// (the first [`RETURN_CHAIN`] of them), with one subtraction and a compare each,
    /// before the general [`Self::enter_cp`]: a recursive function mostly returns into
    /// itself, and the chain spares it the dispatch's decoding and search.
    fn return_here(&mut self, cp: Value) {
        let module = self.module;
        let points: Vec<Label> = (self.start..self.end)
            .filter(|&o| module.code[o as usize].resumes().1 && o + 1 < self.end)
            .map(|o| o + 1)
            .take(RETURN_CHAIN)
            .collect();
        if points.is_empty() {
            return;
        }
        let base = self.sym_value(Sym::CodeWord, 0);
        let d = self.b.ins().isub(cp, base);
        for site in points {
            let hit = self
                .b
                .ins()
                .icmp_imm_s(IntCC::Equal, d, i64::from(site) << 2);
            let there = self.blocks[(site - self.start) as usize];
            let next = self.b.create_block();
            self.b.ins().brif(hit, there, &[], next, &[]);
            self.b.switch_to_block(next);
        }
    }

    /// Continue at the CP word `cp`: in this module through `dispatch`; in another by a
    /// tail call to its native code when it has some; else back to the engine loop.
    fn enter_cp(&mut self, cp: Value) {
        let cp_code = self.b.ins().ushr_imm_s(cp, 34);
        let off = self.b.ins().ushr_imm_s(cp, 2);
        let off = self.b.ins().band_imm_s(off, 0xffff_ffff);
        let code_index = self.sym_value(Sym::CodeIndex, 0);
        let here = self.b.ins().icmp(IntCC::Equal, cp_code, code_index);
        self.b.ins().brif(
            here,
            self.dispatch,
            &[BlockArg::Value(off)],
            self.away,
            &[BlockArg::Value(cp)],
        );
    }

    /// Fill `away(cp)`: enter another module's native code at `cp` by a tail call, or
    /// return to the engine loop (one copy per function; every call through an export
    /// and every return to another module jumps here).
    fn emit_away(&mut self) {
        self.b.switch_to_block(self.away);
        let cp = self.b.block_params(self.away)[0];
        let back = self.b.create_block();
        let cp_code = self.b.ins().ushr_imm_s(cp, 34);
        let off = self.b.ins().ushr_imm_s(cp, 2);
        let off = self.b.ins().band_imm_s(off, 0xffff_ffff);
        let links = self.sym_value(Sym::Links, 0);
        let row = self.b.ins().imul_imm_s(cp_code, link_offsets::SIZE);
        let row = self.b.ins().iadd(links, row);
        let fo = self.b.ins().load(I64, F, row, link_offsets::FUNCTION_OF);
        let linked = self.b.ins().icmp_imm_s(IntCC::NotEqual, fo, 0);
        self.guard(linked, back);
        let len = self.b.ins().load(I64, F, row, link_offsets::CODE_LEN);
        let inside = self.b.ins().icmp(IntCC::UnsignedLessThan, off, len);
        self.guard(inside, back);
        let off4 = self.b.ins().ishl_imm_s(off, 2);
        let at = self.b.ins().iadd(fo, off4);
        let fi = self.b.ins().uload32(F, at, 0);
        let count = self.b.ins().load(I64, F, row, link_offsets::FUNCTIONS);
        let valid = self.b.ins().icmp(IntCC::UnsignedLessThan, fi, count);
        self.guard(valid, back);
        let natives = self.b.ins().load(I64, F, row, link_offsets::NATIVE);
        let entry = self.native_entry_or(natives, fi, back);
        let m = self.b.ins().load(I64, F, row, link_offsets::MODULE);
        self.b.ins().store(F, m, self.ctx, ctx_offsets::MODULE);
        self.sync_out();
        self.b
            .ins()
            .return_call_indirect(self.native_sig, entry, &[self.ctx, off]);
        self.b.switch_to_block(back);
        self.store_p(cp, po::RESUME);
        let left = self.b.ins().iconst(I64, status::LEFT as i64);
        self.exit(left);
    }

    /// The native entry of function `fi` in the `natives` table (a module's
    /// `Module::native`), continuing in a new block when it is compiled, else at `back`.
    fn native_entry_or(&mut self, natives: Value, fi: Value, back: Block) -> Value {
        let off8 = self.b.ins().ishl_imm_s(fi, 3);
        let at = self.b.ins().iadd(natives, off8);
        // Acquire is implied on the targets girder supports for an aligned load that
        // feeds an indirect jump only through a data dependency; the entry was published
        // with Release after the code was written and the caches cleaned (on aarch64 the
        // membarrier in `memory::install` makes every core's instruction fetch see it).
        let entry = self.b.ins().load(I64, F, at, 0);
        let compiled = self.b.ins().icmp_imm_s(
            IntCC::UnsignedGreaterThanOrEqual,
            entry,
            girder_runtime::engine::NATIVE_MIN as i64,
        );
        self.guard(compiled, back);
        entry
    }

    /// The value of `sym` plus `addend` (patched in when the code is installed).
    fn sym_value(&mut self, sym: Sym, addend: i64) -> Value {
        let index = match self.syms.iter().position(|s| *s == sym) {
            Some(i) => i as u32,
            None => {
                self.syms.push(sym);
                (self.syms.len() - 1) as u32
            }
        };
        let gv = match self.sym_values.get(&(index, addend)) {
            Some(&gv) => gv,
            None => {
                let name = self
                    .b
                    .func
                    .declare_imported_user_function(UserExternalName::new(RELOC_NAMESPACE, index));
                let gv = self.b.create_global_value(GlobalValueData::Symbol {
                    name: ExternalName::user(name),
                    offset: addend.into(),
                    colocated: false,
                    tls: false,
                });
                self.sym_values.insert((index, addend), gv);
                gv
            }
        };
        self.b.ins().symbol_value(I64, gv)
    }

    /// The continuation-pointer word for `offset` in this module.
    fn cp_word(&mut self, offset: Label) -> Value {
        self.sym_value(Sym::CodeWord, i64::from(offset) << 2)
    }

    /// The constant term `t`: an immediate when it is [`stable`], else relocated (an atom
    /// by name, a boxed term by its position in the module's constants).
    fn term_const(&mut self, t: Term) -> Value {
        if stable(t) {
            return self.b.ins().iconst(I64, t.0 as i64);
        }
        if let Some(a) = t.as_atom() {
            return self.sym_value(Sym::Atom(a.name().to_owned()), 0);
        }
        let module = self.module;
        let index = self.constant_index.get_or_insert_with(|| {
            let mut m = std::collections::HashMap::new();
            for (i, c) in module.constants.iter().enumerate() {
                m.entry(c.0).or_insert(i as u32);
            }
            m
        });
        match index.get(&t.0) {
            Some(&i) => self.sym_value(Sym::Constant(i), 0),
            None => {
                self.uncacheable.get_or_insert_with(|| {
                    format!("constant {:#x} is not one of the module's", t.0)
                });
                self.b.ins().iconst(I64, t.0 as i64)
            }
        }
    }

    /// `Process::resume = Cp(this module, pc)`.
    fn store_resume(&mut self, pc: Value) {
        let shifted = self.b.ins().ishl_imm_s(pc, 2);
        let base = self.sym_value(Sym::CodeWord, 0);
        let cp = self.b.ins().bor(shifted, base);
        let p = self.p();
        self.b.ins().store(F, cp, p, po::RESUME);
    }

    /// A parameterless block that continues at `label`.
    fn target(&mut self, label: Label) -> Block {
        if label >= self.start && label < self.end {
            return self.blocks[(label - self.start) as usize];
        }
        if let Some(&(_, bl)) = self.trampolines.iter().find(|(l, _)| *l == label) {
            return bl;
        }
        // Filled at the end (a block being filled must be finished before another starts).
        let bl = self.b.create_block();
        self.trampolines.push((label, bl));
        bl
    }

    /// Continue at `label`: a jump within the function, else through `leave` (a tail call
    /// when the other function is compiled).
    fn transfer(&mut self, label: Label) {
        if label >= self.start && label < self.end {
            return self.goto(label);
        }
        let pc = self.b.ins().iconst(I64, i64::from(label));
        self.b.ins().jump(self.leave, &[BlockArg::Value(pc)]);
    }

    fn goto(&mut self, label: Label) {
        let t = self.target(label);
        self.b.ins().jump(t, &[]);
    }

    /// Branch to the next instruction if `ok`, else to `fail` (the slow path when the
    /// instruction has no fail label).
    fn branch(&mut self, offset: Label, ok: Value, fail: Label, slow: Block) {
        let next = self.target(offset + 1);
        let fail = if fail == NO_LABEL {
            slow
        } else {
            self.target(fail)
        };
        self.b.ins().brif(ok, next, &[], fail, &[]);
    }

    fn call_helper(&mut self, h: Helper, a: Value, bv: Value) -> Value {
        self.sync_out();
        let helpers = self.b.ins().load(I64, F, self.ctx, ctx_offsets::HELPERS);
        let fp = self.b.ins().load(I64, F, helpers, (h as u32 * 8) as i32);
        let call = self
            .b
            .ins()
            .call_indirect(self.helper_sig, fp, &[self.ctx, a, bv]);
        let r = self.b.inst_results(call)[0];
        self.sync_in();
        r
    }

    /// The slow path of the instruction at `offset`: run it with the step helper, through
    /// the function's one call site for it (`step(offset, site)`, filled by
    /// [`Self::fill_step`]): one helper call per function instead of one per instruction
    /// keeps the code small and quick to compile (each call site costs the spills and
    /// reloads around it).
    fn generic(&mut self, offset: Label) {
        let next = self.target(offset + 1);
        let site = self.step_sites.len();
        self.step_sites.push(next);
        let o = self.b.ins().iconst(I64, i64::from(offset));
        let s = self.b.ins().iconst(I64, site as i64);
        self.b
            .ins()
            .jump(self.step, &[BlockArg::Value(o), BlockArg::Value(s)]);
    }

    /// Fill `step(offset, site)`: the step helper at `offset`; its usual answer, the next
    /// instruction, continues at the block of slow-path `site`, anything else goes to
    /// `result`.
    fn fill_step(&mut self) {
        self.forget();
        self.b.switch_to_block(self.step);
        let params = self.b.block_params(self.step).to_vec();
        let (offset, site) = (params[0], params[1]);
        let zero = self.b.ins().iconst(I64, 0);
        let r = self.call_helper(Helper::Step, offset, zero);
        let next = self.b.ins().iadd_imm_s(offset, 1);
        let is_next = self.b.ins().icmp(IntCC::Equal, r, next);
        let back = self.b.create_block();
        self.b
            .ins()
            .brif(is_next, back, &[], self.result, &[BlockArg::Value(r)]);
        self.b.switch_to_block(back);
        let mut sw = Switch::new();
        for (i, &bl) in self.step_sites.iter().enumerate() {
            sw.set_entry(i as u128, bl);
        }
        let none = self.b.create_block();
        sw.emit(&mut self.b, site, none);
        // No site has this number: cannot happen; leave through the answer anyway.
        self.b.switch_to_block(none);
        self.b.ins().jump(self.result, &[BlockArg::Value(r)]);
    }

    /// Fill the parameterless blocks that leave for labels outside the function.
    fn fill_trampolines(&mut self) {
        self.forget();
        for (label, bl) in std::mem::take(&mut self.trampolines) {
            self.b.switch_to_block(bl);
            let pc = self.b.ins().iconst(I64, i64::from(label));
            self.b.ins().jump(self.leave, &[BlockArg::Value(pc)]);
        }
    }

    /// Continue in a new block when `ok`, else go to `slow`.
    /// Go on when `bad` is false; else to `slow`.
    fn guard_not(&mut self, bad: Value, slow: Block) {
        let cont = self.b.create_block();
        self.b.ins().brif(bad, slow, &[], cont, &[]);
        self.b.switch_to_block(cont);
    }

    /// Whether `v` is a small integer.
    fn is_small(&mut self, v: Value) -> Value {
        let t = self.b.ins().band_imm_s(v, tag::IMMED1_MASK as i64);
        self.b.ins().icmp_imm_s(IntCC::Equal, t, tag::SMALL as i64)
    }

    /// Whether `v` is an atom.
    fn is_atom(&mut self, v: Value) -> Value {
        let t = self.b.ins().band_imm_s(v, tag::IMMED2_MASK as i64);
        self.b.ins().icmp_imm_s(IntCC::Equal, t, tag::ATOM as i64)
    }

    fn guard(&mut self, ok: Value, slow: Block) {
        let cont = self.b.create_block();
        self.b.ins().brif(ok, cont, &[], slow, &[]);
        self.b.switch_to_block(cont);
    }

    /// The process pointer.
    fn p(&mut self) -> Value {
        self.p
    }

    /// The X register base.
    fn x(&mut self) -> Value {
        self.x
    }

    fn cached_var(&self, offset: i32) -> Option<(bool, Variable)> {
        self.cached
            .iter()
            .find(|(o, _, _)| *o == offset)
            .map(|&(_, w, v)| (w, v))
    }

    /// A word field of the process (from its variable when cached).
    fn load_p(&mut self, offset: i32) -> Value {
        if let Some((_, var)) = self.cached_var(offset) {
            return self.b.use_var(var);
        }
        let p = self.p();
        self.b.ins().load(I64, F, p, offset)
    }

    /// Set a word field of the process (its variable when cached).
    fn store_p(&mut self, v: Value, offset: i32) {
        match self.cached_var(offset) {
            Some((true, var)) => self.b.def_var(var, v),
            Some((false, _)) => unreachable!("native code never writes process field {offset}"),
            None => {
                let p = self.p();
                self.b.ins().store(F, v, p, offset);
            }
        }
    }

    /// Load the cached process fields from memory.
    fn sync_in(&mut self) {
        for (offset, _, var) in self.cached {
            let v = self.b.ins().load(I64, F, self.p, offset);
            self.b.def_var(var, v);
        }
    }

    /// Store the written cached fields to memory (before a helper call or an exit).
    fn sync_out(&mut self) {
        for (offset, written, var) in self.cached {
            if written {
                let v = self.b.use_var(var);
                self.b.ins().store(F, v, self.p, offset);
            }
        }
    }

    /// Return `status` to the engine loop, with the process state in memory.
    fn exit(&mut self, status: Value) {
        self.sync_out();
        self.b.ins().return_(&[status]);
    }

    /// The address of Y register `n`, checking it is inside the current frame.
    fn y_addr(&mut self, n: u32, slow: Block) -> (Value, Value) {
        let len = self.load_p(po::STACK_LEN);
        self.stack_at_least(len, n + 2, slow);
        let ptr = self.load_p(po::STACK_PTR);
        let idx = self.b.ins().iadd_imm_s(len, -(i64::from(n) + 2));
        let off = self.b.ins().ishl_imm_s(idx, 3);
        (self.b.ins().iadd(ptr, off), idx)
    }

    fn read(&mut self, s: Src, slow: Block) -> Value {
        match s.kind() {
            SrcKind::X(n) => {
                let x = self.x();
                self.b.ins().load(I64, F, x, (n * 8) as i32)
            }
            SrcKind::Y(n) => {
                let (addr, _) = self.y_addr(n, slow);
                self.b.ins().load(I64, F, addr, 0)
            }
            SrcKind::Term(t) => self.term_const(t),
        }
    }

    fn write(&mut self, d: Dst, v: Value, slow: Block) {
        match d {
            Dst::X(n) => {
                let x = self.x();
                self.b.ins().store(F, v, x, (n * 8) as i32);
            }
            Dst::Y(n) => {
                let (addr, idx) = self.y_addr(n, slow);
                self.b.ins().store(F, v, addr, 0);
                // Keep `stack_low` below every slot written since the last collection.
                let low = self.load_p(po::STACK_LOW);
                let new_low = self.b.ins().umin(low, idx);
                self.store_p(new_low, po::STACK_LOW);
            }
        }
    }

    /// Count a reduction; when the slice is used up, yield with `live` X registers, to
    /// resume at `resume` (a constant offset or a CP word).
    fn reduce(&mut self, live: u32, resume: Resume) {
        let live = self.b.ins().iconst(I32, i64::from(live));
        self.reduce_live(live, resume);
    }

    /// [`Self::reduce`] with the live register count an `i32` value.
    fn reduce_live(&mut self, live: Value, resume: Resume) {
        let r = self.load_p(po::REDUCTIONS);
        let r = self.b.ins().iadd_imm_s(r, -1);
        self.store_p(r, po::REDUCTIONS);
        let more = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThan, r, 0);
        let cp = match resume {
            Resume::Offset(o) => self.cp_word(o),
            Resume::Cp(v) => v,
        };
        let cont = self.b.create_block();
        let out = self.b.create_block();
        self.b.ins().brif(more, cont, &[], out, &[]);
        self.b.switch_to_block(out);
        let p = self.p();
        self.b.ins().store(F, live, p, po::LIVE_X);
        self.store_p(cp, po::RESUME);
        let y = self.b.ins().iconst(I64, status::YIELD as i64);
        self.exit(y);
        self.b.switch_to_block(cont);
    }

    /// Go on when the stack holds at least `words` words (`len` is its length), else to
    /// `slow`: a test only when not already proven on every way here (see
    /// [`Emitter::stack_known`]). A test proves nothing for later code: an instruction's
    /// fast path may branch, and a test on one branch says nothing of the other.
    fn stack_at_least(&mut self, len: Value, words: u32, slow: Block) {
        if self.stack_known >= words {
            return;
        }
        let ok = self
            .b
            .ins()
            .icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, len, i64::from(words));
        self.guard(ok, slow);
    }

    /// Pop a frame of `n` Y registers, restoring CP (the interpreter's `deallocate`).
    fn deallocate(&mut self, n: u32, slow: Block) {
        let len = self.load_p(po::STACK_LEN);
        self.stack_at_least(len, n + 1, slow);
        let ptr = self.load_p(po::STACK_PTR);
        let off = self.b.ins().ishl_imm_s(len, 3);
        let top = self.b.ins().iadd(ptr, off);
        let cp = self.b.ins().load(I64, F, top, -8);
        self.store_p(cp, po::CP);
        let new_len = self.b.ins().iadd_imm_s(len, -(i64::from(n) + 1));
        self.store_p(new_len, po::STACK_LEN);
        let low = self.load_p(po::STACK_LOW);
        let new_low = self.b.ins().umin(low, new_len);
        self.store_p(new_low, po::STACK_LOW);
    }

    /// Whether `words` fit in the young heap block with no collection due (as
    /// `Heap::has_room` for the common case; anything else takes the slow path, which
    /// decides exactly).
    fn heap_room(&mut self, words: u32) -> Value {
        let top = self.load_p(po::HEAP_TOP);
        let len = self.load_p(po::HEAP_LEN);
        let want = self.b.ins().iadd_imm_s(top, i64::from(words));
        let fits = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, want, len);
        if !girder_runtime::process::gc_stress() {
            // Processes never collect under stress in this VM (and the cache keys code by
            // the setting).
            return fits;
        }
        let p = self.p();
        let stress = self.b.ins().load(I8, F, p, po::GC_STRESS);
        let calm = self.b.ins().icmp_imm_s(IntCC::Equal, stress, 0);
        self.b.ins().band(calm, fits)
    }

    /// Allocate `words` on the heap: the address (the slow path when the young block is
    /// full, which then redoes the whole instruction).
    fn alloc(&mut self, words: u32, slow: Block) -> Value {
        let top = self.load_p(po::HEAP_TOP);
        let want = self.b.ins().iadd_imm_s(top, i64::from(words));
        if self.reserved >= words {
            // A `test_heap` before this found the room.
            self.reserved -= words;
        } else {
            self.reserved = 0;
            let len = self.load_p(po::HEAP_LEN);
            let fits = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, want, len);
            self.guard(fits, slow);
        }
        let base = self.load_p(po::HEAP_PTR);
        let off = self.b.ins().ishl_imm_s(top, 3);
        let addr = self.b.ins().iadd(base, off);
        self.store_p(want, po::HEAP_TOP);
        addr
    }

    /// [`Self::alloc`] of a number of words known only when running.
    fn alloc_dynamic(&mut self, words: Value, slow: Block) -> Value {
        self.reserved = 0;
        let top = self.load_p(po::HEAP_TOP);
        let want = self.b.ins().iadd(top, words);
        let len = self.load_p(po::HEAP_LEN);
        let fits = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, want, len);
        self.guard(fits, slow);
        let base = self.load_p(po::HEAP_PTR);
        let off = self.b.ins().ishl_imm_s(top, 3);
        let addr = self.b.ins().iadd(base, off);
        self.store_p(want, po::HEAP_TOP);
        addr
    }

    /// Copy `n` words from `from` to `to` (which do not overlap).
    fn copy_words(&mut self, from: Value, to: Value, n: Value) {
        let head = self.b.create_block();
        self.b.append_block_param(head, I64);
        let body = self.b.create_block();
        let done = self.b.create_block();
        let zero = self.b.ins().iconst(I64, 0);
        self.b.ins().jump(head, &[BlockArg::Value(zero)]);
        self.b.switch_to_block(head);
        let i = self.b.block_params(head)[0];
        let more = self.b.ins().icmp(IntCC::UnsignedLessThan, i, n);
        self.b.ins().brif(more, body, &[], done, &[]);
        self.b.switch_to_block(body);
        let off = self.b.ins().ishl_imm_s(i, 3);
        let src = self.b.ins().iadd(from, off);
        let v = self.b.ins().load(I64, F, src, 0);
        let dst = self.b.ins().iadd(to, off);
        self.b.ins().store(F, v, dst, 0);
        let next = self.b.ins().iadd_imm_s(i, 1);
        self.b.ins().jump(head, &[BlockArg::Value(next)]);
        self.b.switch_to_block(done);
    }

    fn is_primary(&mut self, v: Value, primary: u64) -> Value {
        let t = self.b.ins().band_imm_s(v, tag::PRIMARY_MASK as i64);
        self.b.ins().icmp_imm_s(IntCC::Equal, t, primary as i64)
    }

    fn both_small(&mut self, a: Value, bv: Value) -> Value {
        let both = self.b.ins().band(a, bv);
        let t = self.b.ins().band_imm_s(both, tag::IMMED1_MASK as i64);
        self.b.ins().icmp_imm_s(IntCC::Equal, t, tag::SMALL as i64)
    }

    /// Continue when `v` is a boxed term whose header has `subtag`, else go to `slow`.
    fn boxed_with_subtag(&mut self, v: Value, subtag: u64, slow: Block) {
        let boxed = self.is_primary(v, tag::BOXED);
        self.guard(boxed, slow);
        let h = self.header(v);
        let sub = self.b.ins().band_imm_s(h, 0x3c);
        let ok = self
            .b
            .ins()
            .icmp_imm_s(IntCC::Equal, sub, (subtag << 2) as i64);
        self.guard(ok, slow);
    }

    /// The header word of the boxed term `v`.
    fn header(&mut self, v: Value) -> Value {
        self.b.ins().load(I64, F, v, -(tag::BOXED as i32))
    }

    fn instruction(&mut self, offset: Label) {
        let module = self.module;
        let ins = &module.code[offset as usize];
        let at = (offset - self.start) as usize;
        if self.is_entry[at] {
            // Reached from elsewhere too: nothing is known of the heap or the stack, except
            // at a return point: the frame of the call before it.
            self.reserved = 0;
            self.stack_known = self.return_frame[at].unwrap_or(0);
        }
        if ins.resumes().1
            && let Some(Some(known)) = self.return_frame.get_mut(at + 1)
        {
            *known = self.stack_known;
        }
        // The slow path: filled after the fast path (blocks are filled one at a time).
        let slow = self.b.create_block();
        if self.inline_instruction(offset, ins, slow) {
            self.inline += 1;
        } else {
            // Only the helper: the slow block is the whole instruction.
            self.b.ins().jump(slow, &[]);
        }
        // What the next instruction may count on, on both ways here (this instruction's
        // fast path and its slow path, which runs it in the interpreter and then goes on
        // there too, allocating the same words or collecting to make room for them).
        self.reserved = match ins {
            Instr::TestHeap { heap, .. } | Instr::AllocateHeap { heap, .. } => *heap,
            _ if reservation_kept(ins) => self.reserved,
            _ => 0,
        };
        // The same for the stack (`allocate`'s slow path makes the same frame).
        self.stack_known = match ins {
            Instr::Allocate { stack, .. } | Instr::AllocateHeap { stack, .. } => *stack + 1,
            // Trim's slow path makes the same frame.
            Instr::Trim { n, .. } if self.stack_known > *n => self.stack_known - *n,
            _ if frame_kept(ins) => self.stack_known,
            _ => 0,
        };
        self.b.switch_to_block(slow);
        self.generic(offset);
    }

    /// Forget per-instruction values (before emitting a block not dominated by the current
    /// instruction's first block).
    fn forget(&mut self) {}

    /// Emit `ins` inline if this engine does it inline; `false` leaves the block empty.
    fn inline_instruction(&mut self, offset: Label, ins: &Instr, slow: Block) -> bool {
        match ins {
            Instr::Move { src, dst } => {
                let v = self.read(*src, slow);
                self.write(*dst, v, slow);
                self.goto(offset + 1);
            }
            Instr::Jump { target } => self.goto(*target),
            Instr::Swap { a, b } => {
                let src = |d: &Dst| match *d {
                    Dst::X(n) => Src::x(n),
                    Dst::Y(n) => Src::y(n),
                };
                let va = self.read(src(a), slow);
                let vb = self.read(src(b), slow);
                self.write(*a, vb, slow);
                self.write(*b, va, slow);
                self.goto(offset + 1);
            }
            Instr::Call { arity, target } => {
                let cp = self.cp_word(offset + 1);
                self.store_p(cp, po::CP);
                self.reduce(*arity, Resume::Offset(*target));
                self.transfer(*target);
            }
            Instr::CallLast {
                arity,
                target,
                dealloc,
            } => {
                self.deallocate(*dealloc, slow);
                self.reduce(*arity, Resume::Offset(*target));
                self.transfer(*target);
            }
            Instr::CallOnly { arity, target } => {
                self.reduce(*arity, Resume::Offset(*target));
                self.transfer(*target);
            }
            Instr::Return => {
                let cp = self.load_p(po::CP);
                let some = self.b.ins().icmp_imm_s(IntCC::NotEqual, cp, 0);
                self.guard(some, slow);
                let zero = self.b.ins().iconst(I64, 0);
                self.store_p(zero, po::CP);
                self.reduce(1, Resume::Cp(cp));
                self.return_here(cp);
                self.enter_cp(cp);
            }
            Instr::CallFun { arity } if *arity < MAX_X => {
                let f = self.read(Src::x(*arity), slow);
                self.call_local_fun(offset, *arity, f, None, slow);
            }
            Instr::CallFun2 { arity, fun } if *arity < MAX_X => {
                let f = self.read(*fun, slow);
                self.call_local_fun(offset, *arity, f, None, slow);
            }
            Instr::CallFunLast {
                arity,
                fun,
                dealloc,
            } if *arity < MAX_X => {
                let f = self.read(*fun, slow);
                self.call_local_fun(offset, *arity, f, Some(*dealloc), slow);
            }
            Instr::CallExt { export, .. }
                if export.arity == 1
                    && export.module.name() == "math"
                    && export.function.name() == "sqrt" =>
            {
                // A non-negative number's root; anything else (a bignum, a negative
                // number: `badarith`, not a number: `badarg`) is the BIF's.
                let v = self.read(Src::x(0), slow);
                let f = self.number_f64(v, false, slow);
                let zero = self.b.ins().f64const(0.0);
                let ok = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, f, zero);
                self.guard(ok, slow);
                let r = self.b.ins().sqrt(f);
                let t = self.box_float(r, slow);
                self.write(Dst::X(0), t, slow);
                self.goto(offset + 1);
            }
            Instr::CallExt { export, .. }
                if export.arity == 3
                    && export.module == Atom::ERLANG
                    && export.function.name() == "setelement" =>
            {
                // A copy of the tuple with one element replaced, on the young block;
                // anything else (a bad index, not a tuple, no room) is the BIF's.
                let idx = self.read(Src::x(0), slow);
                let tuple = self.read(Src::x(1), slow);
                let value = self.read(Src::x(2), slow);
                let small = self.is_small(idx);
                self.guard(small, slow);
                let arity = self.tuple_arity(tuple, slow);
                let i = self.b.ins().sshr_imm_s(idx, 4);
                let i0 = self.b.ins().iadd_imm_s(i, -1);
                let inside = self.b.ins().icmp(IntCC::UnsignedLessThan, i0, arity);
                self.guard(inside, slow);
                let words = self.b.ins().iadd_imm_s(arity, 1);
                let to = self.alloc_dynamic(words, slow);
                let from = self.b.ins().iadd_imm_s(tuple, -(tag::BOXED as i64));
                self.copy_words(from, to, words);
                let off = self.b.ins().ishl_imm_s(i, 3);
                let at = self.b.ins().iadd(to, off);
                self.b.ins().store(F, value, at, 0);
                let t = self.b.ins().bor_imm_s(to, tag::BOXED as i64);
                self.write(Dst::X(0), t, slow);
                self.goto(offset + 1);
            }
            Instr::CallExt { arity, export } if export.bif().is_none() => {
                let target = self.export_target(export, slow);
                let cp = self.cp_word(offset + 1);
                self.store_p(cp, po::CP);
                self.reduce(*arity, Resume::Cp(target));
                self.enter_cp(target);
            }
            Instr::CallExtLast {
                arity,
                export,
                dealloc,
            } if export.bif().is_none() => {
                let target = self.export_target(export, slow);
                self.deallocate(*dealloc, slow);
                self.reduce(*arity, Resume::Cp(target));
                self.enter_cp(target);
            }
            Instr::CallExtOnly { arity, export } if export.bif().is_none() => {
                let target = self.export_target(export, slow);
                self.reduce(*arity, Resume::Cp(target));
                self.enter_cp(target);
            }
            Instr::Allocate { stack, .. } if *stack <= 64 => {
                let n = *stack;
                let len = self.load_p(po::STACK_LEN);
                let cap = self.load_p(po::STACK_CAP);
                let want = self.b.ins().iadd_imm_s(len, i64::from(n) + 1);
                let ok = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, want, cap);
                self.guard(ok, slow);
                self.push_frame(len, n, want);
                self.goto(offset + 1);
            }
            Instr::AllocateHeap { stack, heap, .. } if *stack <= 64 => {
                let n = *stack;
                let room = self.heap_room(*heap);
                self.guard(room, slow);
                let len = self.load_p(po::STACK_LEN);
                let cap = self.load_p(po::STACK_CAP);
                let want = self.b.ins().iadd_imm_s(len, i64::from(n) + 1);
                let ok = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, want, cap);
                self.guard(ok, slow);
                self.push_frame(len, n, want);
                self.goto(offset + 1);
            }
            Instr::Deallocate { n } => {
                self.deallocate(*n, slow);
                self.goto(offset + 1);
            }
            Instr::LoopRec { fail, dst } if *fail != NO_LABEL => {
                // The message through its own helper (cheaper than the step helper's
                // decoding); a Y destination outside the frame redoes it all in the slow
                // path, which peeks again (no side effect to repeat).
                let zero = self.b.ins().iconst(I64, 0);
                let m = self.call_helper(Helper::PeekMessage, zero, zero);
                let some = self.b.ins().icmp_imm_s(IntCC::NotEqual, m, 0);
                let none = self.target(*fail);
                let got = self.b.create_block();
                self.b.ins().brif(some, got, &[], none, &[]);
                self.b.switch_to_block(got);
                self.write(*dst, m, slow);
                self.goto(offset + 1);
            }
            Instr::GetMapElements { fail, src, pairs }
                if *fail != NO_LABEL
                    && pairs.len() <= MAP_KEYS_INLINE
                    && distinct_constant_keys(pairs.iter().map(|(k, _)| *k))
                    && pairs.iter().all(|(_, d)| matches!(d, Dst::X(_))) =>
            {
                self.get_map_elements(offset, *fail, *src, pairs, slow);
            }
            Instr::NewMap { dst, keys, values } => {
                // Header, size, the loader's sorted keys tuple (a literal), the values.
                let vals: Vec<Value> = values.iter().map(|v| self.read(*v, slow)).collect();
                let n = vals.len() as u32;
                let to = self.alloc(n + 3, slow);
                let h = (u64::from(n + 2) << 6) | (header::subtag::MAP << 2);
                let h = self.b.ins().iconst(I64, h as i64);
                self.b.ins().store(F, h, to, 0);
                let size = self.b.ins().iconst(I64, Term::small(i64::from(n)).0 as i64);
                self.b.ins().store(F, size, to, 8);
                let k = self.term_const(*keys);
                self.b.ins().store(F, k, to, 16);
                for (i, v) in vals.into_iter().enumerate() {
                    self.b.ins().store(F, v, to, 24 + 8 * i as i32);
                }
                let t = self.b.ins().bor_imm_s(to, tag::BOXED as i64);
                self.write(*dst, t, slow);
                self.goto(offset + 1);
            }
            Instr::PutMap {
                src, dst, pairs, ..
            } if !pairs.is_empty()
                && pairs.len() <= MAP_KEYS_INLINE
                && distinct_constant_keys(pairs.iter().map(|(k, _)| *k)) =>
            {
                self.put_map_existing(offset, *src, *dst, pairs, slow);
            }
            Instr::LoopRecEnd { target } => {
                let p = self.p();
                let pos = self.b.ins().load(I64, F, p, po::RECV_POS);
                let next = self.b.ins().iadd_imm_s(pos, 1);
                self.b.ins().store(F, next, p, po::RECV_POS);
                self.transfer(*target);
            }
            Instr::InitYregs { regs } if !regs.is_empty() => {
                // One frame check for the deepest register, then plain stores.
                let deepest = regs.iter().copied().max().unwrap_or(0);
                let (_, low_idx) = self.y_addr(deepest, slow);
                let len = self.load_p(po::STACK_LEN);
                let ptr = self.load_p(po::STACK_PTR);
                let top = self.b.ins().ishl_imm_s(len, 3);
                let top = self.b.ins().iadd(ptr, top);
                let nil = self.b.ins().iconst(I64, Term::NIL.0 as i64);
                for &y in regs.iter() {
                    self.b.ins().store(F, nil, top, -8 * (y as i32 + 2));
                }
                let low = self.load_p(po::STACK_LOW);
                let new_low = self.b.ins().umin(low, low_idx);
                self.store_p(new_low, po::STACK_LOW);
                self.goto(offset + 1);
            }
            Instr::Trim { n, .. } => {
                // Drop the `n` youngest Y registers: CP moves down over them.
                let len = self.load_p(po::STACK_LEN);
                self.stack_at_least(len, *n + 1, slow);
                let n = i64::from(*n);
                let ptr = self.load_p(po::STACK_PTR);
                let top = self.b.ins().ishl_imm_s(len, 3);
                let top = self.b.ins().iadd(ptr, top);
                let cp = self.b.ins().load(I64, F, top, -8);
                self.b.ins().store(F, cp, top, -8 * (n as i32 + 1));
                let new_len = self.b.ins().iadd_imm_s(len, -n);
                self.store_p(new_len, po::STACK_LEN);
                let cp_idx = self.b.ins().iadd_imm_s(new_len, -1);
                let low = self.load_p(po::STACK_LOW);
                let new_low = self.b.ins().umin(low, cp_idx);
                self.store_p(new_low, po::STACK_LOW);
                self.goto(offset + 1);
            }
            Instr::TestHeap { heap, .. } => {
                let room = self.heap_room(*heap);
                let next = self.target(offset + 1);
                self.b.ins().brif(room, next, &[], slow, &[]);
            }
            Instr::Test { op, fail, arg } => return self.type_test(offset, *op, *fail, *arg, slow),
            Instr::Cmp { op, fail, a, b } => {
                let floats = may_be_float(*a) || may_be_float(*b);
                let (a, bv) = (self.read(*a, slow), self.read(*b, slow));
                self.compare(offset, *op, *fail, (a, bv), floats, slow);
            }
            Instr::IsTaggedTuple {
                fail,
                arg,
                arity,
                tag: t,
            } if *arity > 0 => {
                let v = self.read(*arg, slow);
                let failb = self.target(*fail);
                let boxed = self.is_primary(v, tag::BOXED);
                self.guard(boxed, failb);
                let h = self.header(v);
                let ok = self
                    .b
                    .ins()
                    .icmp_imm_s(IntCC::Equal, h, (u64::from(*arity) << 6) as i64);
                self.guard(ok, failb);
                let first = self.b.ins().load(I64, F, v, 8 - tag::BOXED as i32);
                let want = self.term_const(*t);
                let ok = self.b.ins().icmp(IntCC::Equal, first, want);
                self.branch(offset, ok, *fail, slow);
            }
            Instr::Try { y, handler } | Instr::Catch { y, handler } => {
                let marker = self.sym_value(
                    Sym::CatchBase,
                    (i64::from(*handler) << 6) | tag::CATCH as i64,
                );
                self.write(Dst::Y(*y), marker, slow);
                self.goto(offset + 1);
            }
            Instr::CatchEnd { y } => {
                // The catch's normal end inline; an exception caught (x0 the non-value) is
                // turned into the catch's value by the helper.
                let x = self.x();
                let x0 = self.b.ins().load(I64, F, x, 0);
                let normal = self
                    .b
                    .ins()
                    .icmp_imm_s(IntCC::NotEqual, x0, Term::NON_VALUE.0 as i64);
                self.guard(normal, slow);
                let nil = self.b.ins().iconst(I64, Term::NIL.0 as i64);
                self.write(Dst::Y(*y), nil, slow);
                self.goto(offset + 1);
            }
            Instr::TryEnd { y } => {
                let nil = self.b.ins().iconst(I64, Term::NIL.0 as i64);
                self.write(Dst::Y(*y), nil, slow);
                self.goto(offset + 1);
            }
            Instr::TryCase { y } => {
                let nil = self.b.ins().iconst(I64, Term::NIL.0 as i64);
                self.write(Dst::Y(*y), nil, slow);
                let x = self.x();
                for i in 0..3 {
                    let v = self.b.ins().load(I64, F, x, 8 * (i + 1));
                    self.b.ins().store(F, v, x, 8 * i);
                }
                self.goto(offset + 1);
            }
            Instr::Bif {
                export, args, dst, ..
            }
            | Instr::GcBif {
                export, args, dst, ..
            } if export.module == Atom::ERLANG
                && inline_bif(export.function.name(), args.len()) =>
            {
                let vals: Vec<Value> = args.iter().map(|a| self.read(*a, slow)).collect();
                let r = self.bif(export.function.name(), &vals, slow);
                self.write(*dst, r, slow);
                self.goto(offset + 1);
            }
            Instr::IsFunction2 { fail, arg, arity }
                if *fail != NO_LABEL && literal_arity(*arity).is_some() =>
            {
                // A closure of that arity; anything not boxed fails; other boxed terms
                // (export funs among them) are the slow path's.
                let n = literal_arity(*arity).unwrap_or(0);
                let v = self.read(*arg, slow);
                let failb = self.target(*fail);
                let boxed = self.is_primary(v, tag::BOXED);
                self.guard(boxed, failb);
                self.boxed_with_subtag(v, girder_term::header::subtag::FUN, slow);
                let payload = |i: i32| 8 * (i + 1) - tag::BOXED as i32;
                let entry = self.b.ins().load(I64, F, v, payload(0));
                let fun_arity = self.b.ins().uload32(F, entry, FUN_ARITY);
                let same = self.b.ins().icmp_imm_s(IntCC::Equal, fun_arity, n);
                self.branch(offset, same, *fail, slow);
            }
            Instr::TestArity { fail, arg, arity } if *fail != NO_LABEL => {
                let v = self.read(*arg, slow);
                let failb = self.target(*fail);
                let boxed = self.is_primary(v, tag::BOXED);
                self.guard(boxed, failb);
                let h = self.header(v);
                let ok = self
                    .b
                    .ins()
                    .icmp_imm_s(IntCC::Equal, h, (u64::from(*arity) << 6) as i64);
                self.branch(offset, ok, *fail, slow);
            }
            Instr::SelectVal { arg, fail, table }
                if !table.is_empty()
                    && table.iter().all(|(t, _)| t.is_immediate())
                    && !table.iter().all(|(t, _)| stable(*t))
                    && table.len() <= SELECT_CHAIN =>
            {
                // Atoms whose value this run decides: compare one by one with the
                // relocated values (a jump table needs values known when compiling).
                let v = self.read(*arg, slow);
                for &(t, l) in table.iter() {
                    let want = self.term_const(t);
                    let hit = self.b.ins().icmp(IntCC::Equal, v, want);
                    let bl = self.target(l);
                    let next = self.b.create_block();
                    self.b.ins().brif(hit, bl, &[], next, &[]);
                    self.b.switch_to_block(next);
                }
                self.goto(*fail);
            }
            Instr::SelectVal { arg, fail, table }
                if !table.is_empty() && table.iter().all(|(t, _)| stable(*t)) =>
            {
                let v = self.read(*arg, slow);
                let mut sw = Switch::new();
                for &(t, l) in table.iter() {
                    let bl = self.target(l);
                    sw.set_entry(u128::from(t.0), bl);
                }
                let otherwise = self.target(*fail);
                sw.emit(&mut self.b, v, otherwise);
            }
            Instr::GetList { src, head, tail } => {
                let l = self.read(*src, slow);
                let is_list = self.is_primary(l, tag::LIST);
                self.guard(is_list, slow);
                let h = self.b.ins().load(I64, F, l, -1);
                let t = self.b.ins().load(I64, F, l, 7);
                self.write(*head, h, slow);
                self.write(*tail, t, slow);
                self.goto(offset + 1);
            }
            Instr::GetHd { src, dst } | Instr::GetTl { src, dst } => {
                let l = self.read(*src, slow);
                let is_list = self.is_primary(l, tag::LIST);
                self.guard(is_list, slow);
                let at = if matches!(ins, Instr::GetHd { .. }) {
                    -1
                } else {
                    7
                };
                let v = self.b.ins().load(I64, F, l, at);
                self.write(*dst, v, slow);
                self.goto(offset + 1);
            }
            Instr::SetTupleElement {
                value,
                tuple,
                index,
            } => {
                // Only a tuple in the young block, below its top (the one `setelement` just
                // built, as the compiler guarantees); anything else, a literal above all,
                // is the helper's to refuse.
                let t = self.read(*tuple, slow);
                let arity = self.tuple_arity(t, slow);
                let inside =
                    self.b
                        .ins()
                        .icmp_imm_s(IntCC::UnsignedGreaterThan, arity, i64::from(*index));
                self.guard(inside, slow);
                let base = self.load_p(po::HEAP_PTR);
                let top = self.load_p(po::HEAP_TOP);
                let top = self.b.ins().ishl_imm_s(top, 3);
                let top = self.b.ins().iadd(base, top);
                let addr = self.b.ins().iadd_imm_s(t, -(tag::BOXED as i64));
                let above = self
                    .b
                    .ins()
                    .icmp(IntCC::UnsignedGreaterThanOrEqual, addr, base);
                self.guard(above, slow);
                let below = self.b.ins().icmp(IntCC::UnsignedLessThan, addr, top);
                self.guard(below, slow);
                let v = self.read(*value, slow);
                self.b
                    .ins()
                    .store(F, v, t, (8 * (*index as i32 + 1)) - tag::BOXED as i32);
                self.goto(offset + 1);
            }
            Instr::GetTupleElement { src, index, dst } => {
                let t = self.read(*src, slow);
                let boxed = self.is_primary(t, tag::BOXED);
                self.guard(boxed, slow);
                let h = self.header(t);
                let sub = self.b.ins().band_imm_s(h, 0x3f);
                let is_tuple = self.b.ins().icmp_imm_s(IntCC::Equal, sub, 0);
                self.guard(is_tuple, slow);
                let arity = self.b.ins().ushr_imm_s(h, 6);
                let inside =
                    self.b
                        .ins()
                        .icmp_imm_s(IntCC::UnsignedGreaterThan, arity, i64::from(*index));
                self.guard(inside, slow);
                let v = self
                    .b
                    .ins()
                    .load(I64, F, t, (8 * (*index as i32 + 1)) - tag::BOXED as i32);
                self.write(*dst, v, slow);
                self.goto(offset + 1);
            }
            Instr::PutList { head, tail, dst } => {
                let h = self.read(*head, slow);
                let t = self.read(*tail, slow);
                let addr = self.alloc(2, slow);
                self.b.ins().store(F, h, addr, 0);
                self.b.ins().store(F, t, addr, 8);
                let l = self.b.ins().bor_imm_s(addr, tag::LIST as i64);
                self.write(*dst, l, slow);
                self.goto(offset + 1);
            }
            Instr::PutTuple2 { dst, elements } if elements.len() <= 64 => {
                let values: Vec<Value> = elements.iter().map(|e| self.read(*e, slow)).collect();
                let addr = self.alloc(values.len() as u32 + 1, slow);
                let header = self.b.ins().iconst(I64, (values.len() as i64) << 6);
                self.b.ins().store(F, header, addr, 0);
                for (i, v) in values.into_iter().enumerate() {
                    self.b.ins().store(F, v, addr, 8 * (i as i32 + 1));
                }
                let t = self.b.ins().bor_imm_s(addr, tag::BOXED as i64);
                self.write(*dst, t, slow);
                self.goto(offset + 1);
            }
            Instr::Bif {
                export, args, dst, ..
            }
            | Instr::GcBif {
                export, args, dst, ..
            } if args.len() == 2
                && export.module == Atom::ERLANG
                && matches!(export.function, Atom::PLUS | Atom::MINUS | Atom::TIMES) =>
            {
                let a = self.read(args[0], slow);
                let bv = self.read(args[1], slow);
                let small = self.both_small(a, bv);
                // A float path only where the `Type` chunk allows a float: code for integers
                // stays as small as it was (the extra path costs registers, not just bytes).
                let float_path = if args.iter().any(|&s| may_be_float(s)) {
                    let int_path = self.b.create_block();
                    let float_path = self.b.create_block();
                    self.b.ins().brif(small, int_path, &[], float_path, &[]);
                    // The integer path first: blocks are laid out in the order they are
                    // filled, and the common case should fall through.
                    self.b.switch_to_block(int_path);
                    Some(float_path)
                } else {
                    self.guard(small, slow);
                    None
                };
                let (r, overflow) = match export.function {
                    Atom::PLUS => {
                        let a0 = self.b.ins().iadd_imm_s(a, -(tag::SMALL as i64));
                        self.add_overflow(a0, bv)
                    }
                    Atom::MINUS => {
                        let (d, o) = self.sub_overflow(a, bv);
                        (self.b.ins().iadd_imm_s(d, tag::SMALL as i64), o)
                    }
                    _ => {
                        // (a) * (b << 4) is the product shifted into place; it overflows
                        // 64 bits exactly when the product is not a small integer.
                        let av = self.b.ins().sshr_imm_s(a, 4);
                        let b0 = self.b.ins().iadd_imm_s(bv, -(tag::SMALL as i64));
                        let (prod, o) = self.mul_overflow(av, b0);
                        (self.b.ins().iadd_imm_s(prod, tag::SMALL as i64), o)
                    }
                };
                let fine = self.b.ins().icmp_imm_s(IntCC::Equal, overflow, 0);
                self.guard(fine, slow);
                self.write(*dst, r, slow);
                self.goto(offset + 1);
                if let Some(float_path) = float_path {
                    self.b.switch_to_block(float_path);
                    let op = match export.function {
                        Atom::PLUS => FOp::Add,
                        Atom::MINUS => FOp::Sub,
                        _ => FOp::Mul,
                    };
                    self.float_arith(op, a, bv, *dst, offset, slow);
                }
            }
            Instr::Bif {
                export, args, dst, ..
            }
            | Instr::GcBif {
                export, args, dst, ..
            } if args.len() == 2
                && export.module == Atom::ERLANG
                && export.function.name() == "/" =>
            {
                let a = self.read(args[0], slow);
                let bv = self.read(args[1], slow);
                self.float_arith(FOp::Div, a, bv, *dst, offset, slow);
            }
            Instr::Bif {
                export, args, dst, ..
            }
            | Instr::GcBif {
                export, args, dst, ..
            } if args.len() == 2
                && export.module == Atom::ERLANG
                && matches!(
                    export.function.name(),
                    "rem" | "div" | "band" | "bor" | "bxor" | "bsr" | "bsl"
                ) =>
            {
                // Small integers only; anything else (bignums, a zero divisor, a shift
                // that leaves the small range) is the slow path's.
                let a = self.read(args[0], slow);
                let bv = self.read(args[1], slow);
                let small = self.both_small(a, bv);
                self.guard(small, slow);
                let t = tag::SMALL as i64;
                let r = match export.function.name() {
                    "band" => self.b.ins().band(a, bv),
                    "bor" => self.b.ins().bor(a, bv),
                    "bxor" => {
                        let x = self.b.ins().bxor(a, bv);
                        self.b.ins().bor_imm_s(x, t)
                    }
                    name => {
                        let av = self.b.ins().sshr_imm_s(a, 4);
                        let n = self.b.ins().sshr_imm_s(bv, 4);
                        let v = match name {
                            "rem" | "div" => {
                                let nonzero = self.b.ins().icmp_imm_s(IntCC::NotEqual, n, 0);
                                self.guard(nonzero, slow);
                                if name == "rem" {
                                    self.b.ins().srem(av, n)
                                } else {
                                    self.b.ins().sdiv(av, n)
                                }
                            }
                            "bsr" => {
                                let ok =
                                    self.b
                                        .ins()
                                        .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, n, 0);
                                self.guard(ok, slow);
                                let max = self.b.ins().iconst(I64, 63);
                                let n = self.b.ins().umin(n, max);
                                self.b.ins().sshr(av, n)
                            }
                            _ => {
                                // bsl: a shift that loses no bits.
                                let ok = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, n, 60);
                                self.guard(ok, slow);
                                let v = self.b.ins().ishl(av, n);
                                let back = self.b.ins().sshr(v, n);
                                let same = self.b.ins().icmp(IntCC::Equal, back, av);
                                self.guard(same, slow);
                                v
                            }
                        };
                        // The result must be a small integer (div of the smallest by -1,
                        // a wide bsl are not).
                        let tagged = self.b.ins().ishl_imm_s(v, 4);
                        let back = self.b.ins().sshr_imm_s(tagged, 4);
                        let fits = self.b.ins().icmp(IntCC::Equal, back, v);
                        self.guard(fits, slow);
                        self.b.ins().bor_imm_s(tagged, t)
                    }
                };
                self.write(*dst, r, slow);
                self.goto(offset + 1);
            }
            Instr::BsGetPosition { ctx, dst } => {
                let ms = self.match_state(*ctx, slow);
                let pos = self.b.ins().load(I64, F, ms, match_offsets::POSITION);
                // A bit position is far below 2^59: always a small integer.
                let t = self.b.ins().ishl_imm_s(pos, 4);
                let t = self.b.ins().bor_imm_s(t, tag::SMALL as i64);
                self.write(*dst, t, slow);
                self.goto(offset + 1);
            }
            Instr::BsSetPosition { ctx, pos } => {
                let ms = self.match_state(*ctx, slow);
                let v = self.read(*pos, slow);
                let small = self.is_small(v);
                self.guard(small, slow);
                let n = self.b.ins().sshr_imm_s(v, 4);
                let end = self.b.ins().load(I64, F, ms, match_offsets::END);
                // Unsigned: a negative position is past any end.
                let inside = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, n, end);
                self.guard(inside, slow);
                self.b.ins().store(F, n, ms, match_offsets::POSITION);
                self.goto(offset + 1);
            }
            Instr::BsStartMatch { src, dst, .. } => {
                // Only a match state passed on (a loop over a binary): making one is the
                // helper's.
                let t = self.read(*src, slow);
                self.boxed_with_subtag(t, girder_term::header::subtag::BIN_MATCHSTATE, slow);
                self.write(*dst, t, slow);
                self.goto(offset + 1);
            }
            Instr::BsGet {
                field: field @ (BsField::Integer | BsField::Binary),
                flags,
                unit,
                fail,
                ctx,
                size,
                dst,
            } if *fail != NO_LABEL => {
                let Some(n) = literal_bits(*size, *unit) else {
                    return false;
                };
                let little = girder_runtime::bits::little(u32::from(*flags));
                let read = match dst {
                    None => None,
                    Some(d)
                        if *field == BsField::Integer
                            && (1..=32).contains(&n)
                            && (!little || matches!(n, 8 | 16 | 32)) =>
                    {
                        Some(*d)
                    }
                    Some(_) => return false,
                };
                let ms = self.match_state(*ctx, slow);
                let pos = self.b.ins().load(I64, F, ms, match_offsets::POSITION);
                let end = self.b.ins().load(I64, F, ms, match_offsets::END);
                let left = self.b.ins().isub(end, pos);
                let fits =
                    self.b
                        .ins()
                        .icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, left, n as i64);
                let cont = self.b.create_block();
                let failed = self.target(*fail);
                self.b.ins().brif(fits, cont, &[], failed, &[]);
                self.b.switch_to_block(cont);
                if let Some(d) = read {
                    let v = if little {
                        // Byte-aligned little-endian fields only; the rest is the helper's.
                        let low = self.b.ins().band_imm_s(pos, 7);
                        let aligned = self.b.ins().icmp_imm_s(IntCC::Equal, low, 0);
                        self.guard(aligned, slow);
                        self.read_field(ms, pos, n, u32::from(*flags))
                    } else {
                        self.read_bits(ms, pos, n, u32::from(*flags))
                    };
                    let t = self.b.ins().ishl_imm_s(v, 4);
                    let t = self.b.ins().bor_imm_s(t, tag::SMALL as i64);
                    self.write(d, t, slow);
                }
                let moved = self.b.ins().iadd_imm_s(pos, n as i64);
                self.b.ins().store(F, moved, ms, match_offsets::POSITION);
                self.goto(offset + 1);
            }
            Instr::BsTestTail { fail, ctx, bits } => {
                let left = self.match_left(*ctx, slow);
                let ok = self.b.ins().icmp_imm_s(IntCC::Equal, left, *bits as i64);
                self.branch(offset, ok, *fail, slow);
            }
            Instr::BsTestUnit { fail, ctx, unit } if *unit != 0 => {
                let left = self.match_left(*ctx, slow);
                let unit = u64::from(*unit);
                let rest = if unit.is_power_of_two() {
                    self.b.ins().band_imm_s(left, (unit - 1) as i64)
                } else {
                    self.b.ins().urem_imm_s(left, unit as i64)
                };
                let ok = self.b.ins().icmp_imm_s(IntCC::Equal, rest, 0);
                self.branch(offset, ok, *fail, slow);
            }
            Instr::FLoad { src, dst } => {
                let t = self.read(*src, slow);
                let f = self.unbox_float(t, slow);
                self.store_fr(*dst, f);
                self.goto(offset + 1);
            }
            Instr::FStore { src, dst } => {
                let f = self.load_fr(*src);
                let t = self.box_float(f, slow);
                self.write(*dst, t, slow);
                self.goto(offset + 1);
            }
            Instr::FMove { src, dst } => {
                let f = self.load_fr(*src);
                self.store_fr(*dst, f);
                self.goto(offset + 1);
            }
            Instr::FNegate { src, dst } => {
                // As OTP: 0.0 - X (so negating 0.0 gives 0.0, not -0.0).
                let f = self.load_fr(*src);
                let zero = self.b.ins().f64const(0.0);
                let n = self.b.ins().fsub(zero, f);
                self.store_fr(*dst, n);
                self.goto(offset + 1);
            }
            Instr::FArith { op, a, b, dst } => {
                let x = self.load_fr(*a);
                let y = self.load_fr(*b);
                let r = match op {
                    FOp::Add => self.b.ins().fadd(x, y),
                    FOp::Sub => self.b.ins().fsub(x, y),
                    FOp::Mul => self.b.ins().fmul(x, y),
                    FOp::Div => self.b.ins().fdiv(x, y),
                };
                // Not finite (an infinity or NaN): the slow path raises `badarith`.
                let bits = self.b.ins().bitcast(I64, MemFlagsData::new(), r);
                let exp = self.b.ins().band_imm_s(bits, EXP_MASK);
                let finite = self.b.ins().icmp_imm_s(IntCC::NotEqual, exp, EXP_MASK);
                self.guard(finite, slow);
                self.store_fr(*dst, r);
                self.goto(offset + 1);
            }
            Instr::FConv { src, dst } => {
                let t = self.read(*src, slow);
                let small = self.is_small(t);
                let from_int = self.b.create_block();
                let not_int = self.b.create_block();
                let done = self.target(offset + 1);
                self.b.ins().brif(small, from_int, &[], not_int, &[]);
                self.b.switch_to_block(from_int);
                let n = self.b.ins().sshr_imm_s(t, 4);
                let f = self.b.ins().fcvt_from_sint(F64, n);
                self.store_fr(*dst, f);
                self.b.ins().jump(done, &[]);
                self.b.switch_to_block(not_int);
                let f = self.unbox_float(t, slow);
                self.store_fr(*dst, f);
                self.b.ins().jump(done, &[]);
            }
            _ => return false,
        }
        true
    }

    /// The value of the float term `t` (the slow path for anything else).
    fn unbox_float(&mut self, t: Value, slow: Block) -> Value {
        let boxed = self.is_primary(t, tag::BOXED);
        self.guard(boxed, slow);
        let h = self.header(t);
        let is_float = self.b.ins().icmp_imm_s(IntCC::Equal, h, FLOAT_HEADER);
        self.guard(is_float, slow);
        self.b.ins().load(F64, F, t, 8 - tag::BOXED as i32)
    }

    /// The match state in `ctx` (anything else is the slow path's, which faults as the
    /// interpreter does).
    fn match_state(&mut self, ctx: Src, slow: Block) -> Value {
        let ms = self.read(ctx, slow);
        self.boxed_with_subtag(ms, girder_term::header::subtag::BIN_MATCHSTATE, slow);
        ms
    }

    /// The address of the first byte of the binary matched by the match state `ms` (which
    /// has bits left, so the binary has a data word).
    fn match_data(&mut self, ms: Value) -> Value {
        use girder_term::header::subtag;
        let boxed = tag::BOXED as i32;
        let bin = self.b.ins().load(I64, F, ms, 8 - boxed);
        let h = self.header(bin);
        let sub = self.b.ins().band_imm_s(h, 0x3c);
        let on_heap = self
            .b
            .ins()
            .icmp_imm_s(IntCC::Equal, sub, (subtag::HEAP_BIN << 2) as i64);
        // A heap binary's bytes follow its size word; a refc binary's are behind the
        // pointer in that place.
        let here = self.b.ins().iadd_imm_s(bin, i64::from(16 - boxed));
        let behind = self.b.ins().load(I64, F, bin, 16 - boxed);
        self.b.ins().select(on_heap, here, behind)
    }

    /// The big-endian `n`-bit (1 to 32) integer at any bit position `pos` of the match
    /// state `ms`, which has that many bits left: the whole bytes the field touches are
    /// read one by one (never a byte past the field's last), then shifted into place.
    fn read_bits(&mut self, ms: Value, pos: Value, n: u64, flags: u32) -> Value {
        let data = self.match_data(ms);
        let byte = self.b.ins().ushr_imm_s(pos, 3);
        let addr = self.b.ins().iadd(data, byte);
        let shift = self.b.ins().band_imm_s(pos, 7);
        let mem = MemFlagsData::new().with_notrap();
        // The first ceil(n/8) bytes always belong to the field; one more only when the
        // field starts far enough into its first byte.
        let k = n.div_ceil(8);
        let mut acc = self.b.ins().iconst(I64, 0);
        for i in 0..k {
            let b = self.b.ins().uload8(I64, mem, addr, i as i32);
            let hi = self.b.ins().ishl_imm_s(acc, 8);
            acc = self.b.ins().bor(hi, b);
        }
        let more = self.b.create_block();
        let done = self.b.create_block();
        self.b.append_block_param(done, I64);
        self.b.append_block_param(done, I64);
        let short = self.b.ins().iconst(I64, (8 * k) as i64);
        let reach = self.b.ins().iadd_imm_s(shift, n as i64);
        let spill = self
            .b
            .ins()
            .icmp_imm_s(IntCC::UnsignedGreaterThan, reach, (8 * k) as i64);
        self.b.ins().brif(
            spill,
            more,
            &[],
            done,
            &[BlockArg::Value(acc), BlockArg::Value(short)],
        );
        self.b.switch_to_block(more);
        let b = self.b.ins().uload8(I64, mem, addr, k as i32);
        let hi = self.b.ins().ishl_imm_s(acc, 8);
        let wide = self.b.ins().bor(hi, b);
        let long = self.b.ins().iconst(I64, (8 * k + 8) as i64);
        self.b
            .ins()
            .jump(done, &[BlockArg::Value(wide), BlockArg::Value(long)]);
        self.b.switch_to_block(done);
        let params = self.b.block_params(done).to_vec();
        let (acc, total) = (params[0], params[1]);
        // The field's last bit is at `total - shift - n` from the right.
        let used = self.b.ins().isub(total, reach);
        let v = self.b.ins().ushr(acc, used);
        // Keep the field's n bits, sign-extended when signed.
        let up = self.b.ins().ishl_imm_s(v, (64 - n) as i64);
        if flags & girder_runtime::bits::SIGNED != 0 {
            self.b.ins().sshr_imm_s(up, (64 - n) as i64)
        } else {
            self.b.ins().ushr_imm_s(up, (64 - n) as i64)
        }
    }

    /// The `n`-bit (8, 16 or 32) integer at the byte-aligned bit position `pos` of the match
    /// state `ms`, which has that many bits left; `flags` say its byte order and sign.
    fn read_field(&mut self, ms: Value, pos: Value, n: u64, flags: u32) -> Value {
        let data = self.match_data(ms);
        let byte = self.b.ins().ushr_imm_s(pos, 3);
        let addr = self.b.ins().iadd(data, byte);
        // Fields are not word-aligned: no `aligned` flag.
        let mem = MemFlagsData::new().with_notrap();
        let ty = match n {
            8 => I8,
            16 => I16,
            _ => I32,
        };
        let raw = self.b.ins().load(ty, mem, addr, 0);
        let raw = if n > 8 && !girder_runtime::bits::little(flags) {
            self.b.ins().bswap(raw)
        } else {
            raw
        };
        if flags & girder_runtime::bits::SIGNED != 0 {
            self.b.ins().sextend(I64, raw)
        } else {
            self.b.ins().uextend(I64, raw)
        }
    }

    /// The bits left to match in the match state in `ctx`.
    fn match_left(&mut self, ctx: Src, slow: Block) -> Value {
        let ms = self.match_state(ctx, slow);
        let pos = self.b.ins().load(I64, F, ms, match_offsets::POSITION);
        let end = self.b.ins().load(I64, F, ms, match_offsets::END);
        self.b.ins().isub(end, pos)
    }

    /// The number `t` as a double: a small integer converted, a float unboxed; anything
    /// else (a bignum, not a number) goes to `slow`. With `exact`, a small integer beyond
    /// 2^53 in magnitude goes to `slow` too (its conversion could round, and comparisons
    /// between integers and floats are exact).
    fn number_f64(&mut self, t: Value, exact: bool, slow: Block) -> Value {
        let small = self.is_small(t);
        let from_int = self.b.create_block();
        let not_int = self.b.create_block();
        let join = self.b.create_block();
        self.b.append_block_param(join, F64);
        self.b.ins().brif(small, from_int, &[], not_int, &[]);
        self.b.switch_to_block(from_int);
        let n = self.b.ins().sshr_imm_s(t, 4);
        if exact {
            // |n| <= 2^53: n + 2^53 in 0..=2^54 (unsigned).
            let biased = self.b.ins().iadd_imm_s(n, 1 << 53);
            let ok = self
                .b
                .ins()
                .icmp_imm_s(IntCC::UnsignedLessThanOrEqual, biased, 1 << 54);
            self.guard(ok, slow);
        }
        let f = self.b.ins().fcvt_from_sint(F64, n);
        self.b.ins().jump(join, &[BlockArg::Value(f)]);
        self.b.switch_to_block(not_int);
        let f = self.unbox_float(t, slow);
        self.b.ins().jump(join, &[BlockArg::Value(f)]);
        self.b.switch_to_block(join);
        self.b.block_params(join)[0]
    }

    /// A new float object holding `f` (the slow path when the young block is full).
    fn box_float(&mut self, f: Value, slow: Block) -> Value {
        let addr = self.alloc(2, slow);
        let h = self.b.ins().iconst(I64, FLOAT_HEADER);
        self.b.ins().store(F, h, addr, 0);
        self.b.ins().store(F, f, addr, 8);
        self.b.ins().bor_imm_s(addr, tag::BOXED as i64)
    }

    /// `erlang:'+'/'-'/'*'/'/'` on two numbers at least one of which is a float (or any
    /// two for `/`), into `dst`, then on to the next instruction: bignums, a zero divisor
    /// and a result that is not finite are the slow path's (which raises `badarith`).
    fn float_arith(&mut self, op: FOp, a: Value, bv: Value, dst: Dst, offset: Label, slow: Block) {
        let x = self.number_f64(a, false, slow);
        let y = self.number_f64(bv, false, slow);
        let r = match op {
            FOp::Add => self.b.ins().fadd(x, y),
            FOp::Sub => self.b.ins().fsub(x, y),
            FOp::Mul => self.b.ins().fmul(x, y),
            FOp::Div => {
                let zero = self.b.ins().f64const(0.0);
                let nonzero = self.b.ins().fcmp(FloatCC::NotEqual, y, zero);
                self.guard(nonzero, slow);
                self.b.ins().fdiv(x, y)
            }
        };
        let bits = self.b.ins().bitcast(I64, MemFlagsData::new(), r);
        let exp = self.b.ins().band_imm_s(bits, EXP_MASK);
        let finite = self.b.ins().icmp_imm_s(IntCC::NotEqual, exp, EXP_MASK);
        self.guard(finite, slow);
        let t = self.box_float(r, slow);
        self.write(dst, t, slow);
        self.goto(offset + 1);
    }

    /// The float register base.
    fn fr(&mut self) -> Value {
        self.b.ins().load(I64, F, self.ctx, ctx_offsets::FR)
    }

    fn load_fr(&mut self, n: u32) -> Value {
        let fr = self.fr();
        self.b.ins().load(F64, F, fr, (n * 8) as i32)
    }

    fn store_fr(&mut self, n: u32, v: Value) {
        let fr = self.fr();
        self.b.ins().store(F, v, fr, (n * 8) as i32);
    }

    /// Push a frame of `n` Y registers (set to `[]`) and the CP register, as `allocate`.
    fn push_frame(&mut self, len: Value, n: u32, new_len: Value) {
        let ptr = self.load_p(po::STACK_PTR);
        let off = self.b.ins().ishl_imm_s(len, 3);
        let base = self.b.ins().iadd(ptr, off);
        let nil = self.b.ins().iconst(I64, Term::NIL.0 as i64);
        for i in 0..n {
            self.b.ins().store(F, nil, base, (8 * i) as i32);
        }
        let cp = self.load_p(po::CP);
        self.b.ins().store(F, cp, base, (8 * n) as i32);
        let zero = self.b.ins().iconst(I64, 0);
        self.store_p(zero, po::CP);
        self.store_p(new_len, po::STACK_LEN);
    }

    /// `true` or `false` as `cond` says.
    fn boolean(&mut self, cond: Value) -> Value {
        let t = self.b.ins().iconst(I64, Term::atom(Atom::TRUE).0 as i64);
        let f = self.b.ins().iconst(I64, Term::atom(Atom::FALSE).0 as i64);
        self.b.ins().select(cond, t, f)
    }

    /// Whether `v` is `true` or `false`.
    fn is_boolean(&mut self, v: Value) -> Value {
        let t = self
            .b
            .ins()
            .icmp_imm_s(IntCC::Equal, v, Term::atom(Atom::TRUE).0 as i64);
        let f = self
            .b
            .ins()
            .icmp_imm_s(IntCC::Equal, v, Term::atom(Atom::FALSE).0 as i64);
        self.b.ins().bor(t, f)
    }

    /// The boxed term `t`'s tuple arity, after checking it is a tuple (else `slow`).
    fn tuple_arity(&mut self, t: Value, slow: Block) -> Value {
        let boxed = self.is_primary(t, tag::BOXED);
        self.guard(boxed, slow);
        let h = self.header(t);
        let sub = self.b.ins().band_imm_s(h, 0x3f);
        let tuple = self.b.ins().icmp_imm_s(IntCC::Equal, sub, 0);
        self.guard(tuple, slow);
        self.b.ins().ushr_imm_s(h, 6)
    }

    /// `get_map_elements` on a flat map with immediate constant keys (atoms, small
    /// integers) into X registers: each key by a scan of the keys tuple's words, as
    /// `map_get` compares immediates. Every value is read before any register is written
    /// (a destination may be the source), and X writes cannot fail, so the slow path (a
    /// trie, or anything but a map) never runs after a write.
    fn get_map_elements(
        &mut self,
        offset: Label,
        fail: Label,
        src: Src,
        pairs: &[(Src, Dst)],
        slow: Block,
    ) {
        let m = self.read(src, slow);
        let missing = self.target(fail);
        let keys: Vec<Src> = pairs.iter().map(|(k, _)| *k).collect();
        let at = self.find_flat_keys(m, &keys, missing, slow);
        let payload = |i: i32| 8 * (i + 1) - tag::BOXED as i32;
        let mut found = Vec::with_capacity(pairs.len());
        for off in at {
            let vat = self.b.ins().iadd(m, off);
            found.push(self.b.ins().load(I64, F, vat, payload(2)));
        }
        for ((_, d), v) in pairs.iter().zip(found) {
            self.write(*d, v, slow);
        }
        self.goto(offset + 1);
    }

    /// `put_map_assoc`/`put_map_exact` of constant immediate keys that are all in the flat
    /// map `src` already: a copy of the map (sharing its keys tuple) with those values
    /// replaced. A missing key (added, or `badkey`), another kind of map, or no room on the
    /// young block is the slow path's.
    fn put_map_existing(
        &mut self,
        offset: Label,
        src: Src,
        dst: Dst,
        pairs: &[(Src, Src)],
        slow: Block,
    ) {
        let m = self.read(src, slow);
        let keys: Vec<Src> = pairs.iter().map(|(k, _)| *k).collect();
        let at = self.find_flat_keys(m, &keys, slow, slow);
        let values: Vec<Value> = pairs.iter().map(|(_, v)| self.read(*v, slow)).collect();
        // Header, size, keys tuple, then one word per value.
        let h = self.header(m);
        let arity = self.b.ins().ushr_imm_s(h, 6);
        let words = self.b.ins().iadd_imm_s(arity, 1);
        let to = self.alloc_dynamic(words, slow);
        let from = self.b.ins().iadd_imm_s(m, -(tag::BOXED as i64));
        self.copy_words(from, to, words);
        for (off, v) in at.into_iter().zip(values) {
            let slot = self.b.ins().iadd(to, off);
            self.b.ins().store(F, v, slot, 24);
        }
        let t = self.b.ins().bor_imm_s(to, tag::BOXED as i64);
        self.write(dst, t, slow);
        self.goto(offset + 1);
    }

    /// Where the constant immediate `keys` are in the flat map `m`: for each key, in order,
    /// its index times 8 (the byte offset of its value from the first value). A key not in
    /// the map goes to `missing`; a term that is not a flat map goes to `slow`. The keys
    /// are looked for in the map's own order (term order), each search going on from the
    /// last key found, so the whole lookup reads the map's keys at most once.
    fn find_flat_keys(
        &mut self,
        m: Value,
        keys: &[Src],
        missing: Block,
        slow: Block,
    ) -> Vec<Value> {
        self.boxed_with_subtag(m, girder_term::header::subtag::MAP, slow);
        let payload = |i: i32| 8 * (i + 1) - tag::BOXED as i32;
        let size = self.b.ins().load(I64, F, m, payload(0));
        let flat = self.is_small(size);
        self.guard(flat, slow);
        let n = self.b.ins().sshr_imm_s(size, 4);
        let key_words = self.load_keys(m, payload(1));
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_by(|&a, &b| cmp_exact(constant_key(keys[a]), constant_key(keys[b])));
        let mut at = vec![None; keys.len()];
        let mut from = self.b.ins().iconst(I64, 0);
        for &j in &order {
            let key = self.read(keys[j], slow);
            let head = self.b.create_block();
            self.b.append_block_param(head, I64);
            let test = self.b.create_block();
            let next = self.b.create_block();
            let hit = self.b.create_block();
            self.b.ins().jump(head, &[BlockArg::Value(from)]);
            self.b.switch_to_block(head);
            let i = self.b.block_params(head)[0];
            let more = self.b.ins().icmp(IntCC::SignedLessThan, i, n);
            self.b.ins().brif(more, test, &[], missing, &[]);
            self.b.switch_to_block(test);
            let off = self.b.ins().ishl_imm_s(i, 3);
            let word_at = self.b.ins().iadd(key_words, off);
            let word = self.b.ins().load(I64, F, word_at, 0);
            let same = self.b.ins().icmp(IntCC::Equal, word, key);
            self.b.ins().brif(same, hit, &[], next, &[]);
            self.b.switch_to_block(next);
            let i1 = self.b.ins().iadd_imm_s(i, 1);
            self.b.ins().jump(head, &[BlockArg::Value(i1)]);
            self.b.switch_to_block(hit);
            at[j] = Some(off);
            from = self.b.ins().iadd_imm_s(i, 1);
        }
        at.into_iter().flatten().collect()
    }

    /// The address of the first element of the tuple in the word at `m + at`.
    fn load_keys(&mut self, m: Value, at: i32) -> Value {
        let kt = self.b.ins().load(I64, F, m, at);
        self.b.ins().iadd_imm_s(kt, 8 - tag::BOXED as i64)
    }

    /// The inline fast path of the `erlang` BIF `name` (one of [`inline_bif`]'s) on `args`:
    /// its result; every case it does not decide goes to `slow`, which runs the BIF.
    fn bif(&mut self, name: &str, args: &[Value], slow: Block) -> Value {
        match (name, args) {
            ("element", &[n, t]) => {
                let ok = self.is_small(n);
                self.guard(ok, slow);
                let arity = self.tuple_arity(t, slow);
                let i = self.b.ins().sshr_imm_s(n, 4);
                let i0 = self.b.ins().iadd_imm_s(i, -1);
                let inside = self.b.ins().icmp(IntCC::UnsignedLessThan, i0, arity);
                self.guard(inside, slow);
                let off = self.b.ins().ishl_imm_s(i, 3);
                let at = self.b.ins().iadd(t, off);
                self.b.ins().load(I64, F, at, -(tag::BOXED as i32))
            }
            ("tuple_size", &[t]) => {
                let arity = self.tuple_arity(t, slow);
                let shifted = self.b.ins().ishl_imm_s(arity, 4);
                self.b.ins().bor_imm_s(shifted, tag::SMALL as i64)
            }
            ("map_size", &[m]) => {
                // A flat map's first payload word is its size; a hash-trie map's second.
                self.boxed_with_subtag(m, girder_term::header::subtag::MAP, slow);
                let payload = |i: i32| 8 * (i + 1) - tag::BOXED as i32;
                let w0 = self.b.ins().load(I64, F, m, payload(0));
                let w1 = self.b.ins().load(I64, F, m, payload(1));
                let flat = self.is_small(w0);
                self.b.ins().select(flat, w0, w1)
            }
            ("hd" | "tl", &[l]) => {
                let list = self.is_primary(l, tag::LIST);
                self.guard(list, slow);
                let off = if name == "hd" { -1 } else { 7 };
                self.b.ins().load(I64, F, l, off)
            }
            ("not", &[v]) => {
                let ok = self.is_boolean(v);
                self.guard(ok, slow);
                let t = self
                    .b
                    .ins()
                    .icmp_imm_s(IntCC::Equal, v, Term::atom(Atom::TRUE).0 as i64);
                let f = self.b.ins().icmp_imm_s(IntCC::Equal, t, 0);
                self.boolean(f)
            }
            ("and" | "or", &[a, bv]) => {
                let oka = self.is_boolean(a);
                let okb = self.is_boolean(bv);
                let ok = self.b.ins().band(oka, okb);
                self.guard(ok, slow);
                let t = Term::atom(Atom::TRUE).0 as i64;
                let ta = self.b.ins().icmp_imm_s(IntCC::Equal, a, t);
                let tb = self.b.ins().icmp_imm_s(IntCC::Equal, bv, t);
                let r = if name == "and" {
                    self.b.ins().band(ta, tb)
                } else {
                    self.b.ins().bor(ta, tb)
                };
                self.boolean(r)
            }
            ("=:=" | "=/=", &[a, bv]) => {
                // Equal words are exactly equal; different words with an immediate among
                // them are not; two boxed or list terms are the slow path's.
                let same = self.b.ins().icmp(IntCC::Equal, a, bv);
                let ia = self.is_primary(a, tag::IMMED1);
                let ib = self.is_primary(bv, tag::IMMED1);
                let imm = self.b.ins().bor(ia, ib);
                let decided = self.b.ins().bor(same, imm);
                self.guard(decided, slow);
                let r = if name == "=:=" {
                    same
                } else {
                    self.b.ins().icmp_imm_s(IntCC::Equal, same, 0)
                };
                self.boolean(r)
            }
            ("<" | ">" | "=<" | ">=", &[a, bv]) => {
                let both = self.both_small(a, bv);
                self.guard(both, slow);
                let cc = match name {
                    "<" => IntCC::SignedLessThan,
                    ">" => IntCC::SignedGreaterThan,
                    "=<" => IntCC::SignedLessThanOrEqual,
                    _ => IntCC::SignedGreaterThanOrEqual,
                };
                let r = self.b.ins().icmp(cc, a, bv);
                self.boolean(r)
            }
            ("is_atom", &[v]) => {
                let t = self.b.ins().band_imm_s(v, tag::IMMED2_MASK as i64);
                let r = self.b.ins().icmp_imm_s(IntCC::Equal, t, tag::ATOM as i64);
                self.boolean(r)
            }
            ("is_list", &[v]) => {
                let l = self.is_primary(v, tag::LIST);
                let n = self.b.ins().icmp_imm_s(IntCC::Equal, v, Term::NIL.0 as i64);
                let r = self.b.ins().bor(l, n);
                self.boolean(r)
            }
            ("-", &[v]) => {
                let ok = self.is_small(v);
                self.guard(ok, slow);
                // -(n<<4 | 15) + 30 = (-n)<<4 | 15.
                let zero = self.b.ins().iconst(I64, 2 * tag::SMALL as i64);
                let (r, overflow) = self.sub_overflow(zero, v);
                let fine = self.b.ins().icmp_imm_s(IntCC::Equal, overflow, 0);
                self.guard(fine, slow);
                r
            }
            _ => unreachable!("inline_bif admits only the cases above"),
        }
    }

    fn type_test(
        &mut self,
        offset: Label,
        op: TypeTest,
        fail: Label,
        arg: Src,
        slow: Block,
    ) -> bool {
        use TypeTest::*;
        use girder_term::header::subtag as st;
        let inline = !matches!(op, IsPort);
        if fail == NO_LABEL || !inline {
            return false;
        }
        let imm = |t: Term| t.0 as i64;
        let v = self.read(arg, slow);
        let ok = match op {
            TypeTest::IsNil => self.b.ins().icmp_imm_s(IntCC::Equal, v, imm(Term::NIL)),
            TypeTest::IsNonemptyList => self.is_primary(v, tag::LIST),
            TypeTest::IsList => {
                let l = self.is_primary(v, tag::LIST);
                let n = self.b.ins().icmp_imm_s(IntCC::Equal, v, imm(Term::NIL));
                self.b.ins().bor(l, n)
            }
            TypeTest::IsAtom => {
                let t = self.b.ins().band_imm_s(v, tag::IMMED2_MASK as i64);
                self.b.ins().icmp_imm_s(IntCC::Equal, t, tag::ATOM as i64)
            }
            TypeTest::IsBoolean => {
                let t = self
                    .b
                    .ins()
                    .icmp_imm_s(IntCC::Equal, v, imm(Term::atom(Atom::TRUE)));
                let f = self
                    .b
                    .ins()
                    .icmp_imm_s(IntCC::Equal, v, imm(Term::atom(Atom::FALSE)));
                self.b.ins().bor(t, f)
            }
            TypeTest::IsTuple => {
                let failb = self.target(fail);
                let boxed = self.is_primary(v, tag::BOXED);
                self.guard(boxed, failb);
                let h = self.header(v);
                let sub = self.b.ins().band_imm_s(h, 0x3f);
                self.b.ins().icmp_imm_s(IntCC::Equal, sub, 0)
            }
            TypeTest::IsInteger | TypeTest::IsPid => {
                // Immediates decide here; a boxed term (bignum, external pid) is the slow
                // path's to judge.
                let want = if op == TypeTest::IsInteger {
                    tag::SMALL
                } else {
                    tag::PID
                };
                let t = self.b.ins().band_imm_s(v, tag::IMMED1_MASK as i64);
                let yes = self.b.ins().icmp_imm_s(IntCC::Equal, t, want as i64);
                let decided = self.b.create_block();
                let next = self.target(offset + 1);
                self.b.ins().brif(yes, next, &[], decided, &[]);
                self.b.switch_to_block(decided);
                let boxed = self.is_primary(v, tag::BOXED);
                let failb = self.target(fail);
                self.b.ins().brif(boxed, slow, &[], failb, &[]);
                return true;
            }
            IsFloat | IsMap | IsFunction | IsReference | IsBitstr | IsBinary | IsNumber => {
                // A boxed term whose header's subtag is one of `kinds`.
                let kinds: &[u64] = match op {
                    IsFloat => &[st::FLOAT],
                    IsMap => &[st::MAP],
                    IsFunction => &[st::FUN, st::EXPORT],
                    IsReference => &[st::REF, st::EXTERNAL_REF],
                    IsNumber => &[st::POS_BIG, st::NEG_BIG, st::FLOAT],
                    _ => &[st::HEAP_BIN, st::REFC_BIN, st::SUB_BIN],
                };
                let failb = self.target(fail);
                if op == IsNumber {
                    let small = self.is_small(v);
                    let other = self.b.create_block();
                    let next = self.target(offset + 1);
                    self.b.ins().brif(small, next, &[], other, &[]);
                    self.b.switch_to_block(other);
                }
                let boxed = self.is_primary(v, tag::BOXED);
                self.guard(boxed, failb);
                let h = self.header(v);
                let sub = self.b.ins().ushr_imm_s(h, 2);
                let sub = self.b.ins().band_imm_s(sub, 0xf);
                let set: i64 = kinds.iter().map(|k| 1i64 << k).sum();
                let bits = self.b.ins().iconst(I64, set);
                let bit = self.b.ins().ushr(bits, sub);
                let bit = self.b.ins().band_imm_s(bit, 1);
                let ok = self.b.ins().icmp_imm_s(IntCC::NotEqual, bit, 0);
                if op != IsBinary {
                    ok
                } else {
                    // A binary is a bitstring of whole bytes (its first payload word is
                    // its size in bits).
                    self.guard(ok, failb);
                    let size = self.b.ins().load(I64, F, v, 8 - tag::BOXED as i32);
                    let rem = self.b.ins().band_imm_s(size, 7);
                    self.b.ins().icmp_imm_s(IntCC::Equal, rem, 0)
                }
            }
            _ => unreachable!("checked above"),
        };
        self.branch(offset, ok, fail, slow);
        true
    }

    /// `op` on `a` and `bv`, with an inline path for floats when `floats` (an operand may
    /// be one).
    fn compare(
        &mut self,
        offset: Label,
        op: CmpOp,
        fail: Label,
        (a, bv): (Value, Value),
        floats: bool,
        slow: Block,
    ) {
        let next = self.target(offset + 1);
        let failb = if fail == NO_LABEL {
            slow
        } else {
            self.target(fail)
        };
        let (yes, no) = match op {
            CmpOp::Eq | CmpOp::EqExact | CmpOp::Lt => (next, failb),
            CmpOp::Ne | CmpOp::NeExact | CmpOp::Ge => (failb, next),
        };
        // `yes`: the relation (==, =:=, <) holds; `no`: it does not.
        match op {
            CmpOp::Eq | CmpOp::Ne | CmpOp::EqExact | CmpOp::NeExact => {
                let same = self.b.ins().icmp(IntCC::Equal, a, bv);
                let differ = self.b.create_block();
                self.b.ins().brif(same, yes, &[], differ, &[]);
                self.b.switch_to_block(differ);
                // Different words: unequal when either is an immediate (a number that is
                // not an immediate is a float or a bignum, never equal to an immediate
                // except `1.0 == 1`, so `==` needs both immediate).
                let ia = self.is_primary(a, tag::IMMED1);
                let ib = self.is_primary(bv, tag::IMMED1);
                let exact = matches!(op, CmpOp::EqExact | CmpOp::NeExact);
                let decided = if exact {
                    self.b.ins().bor(ia, ib)
                } else {
                    self.b.ins().band(ia, ib)
                };
                let more = self.b.create_block();
                self.b.ins().brif(decided, no, &[], more, &[]);
                self.b.switch_to_block(more);
                if !exact {
                    // `1 == 1.0`: one immediate is the helper's (numbers of two kinds).
                    let either = self.b.ins().bor(ia, ib);
                    self.guard_not(either, slow);
                }
                // Neither is an immediate (or `=:=`, where an immediate never equals a
                // boxed term): a list and a boxed term differ, and a tuple differs from
                // anything whose header is not its own (what else, even `==` on numbers,
                // needs the helper).
                let ta = self.b.ins().band_imm_s(a, tag::PRIMARY_MASK as i64);
                let tb = self.b.ins().band_imm_s(bv, tag::PRIMARY_MASK as i64);
                let kinds = self.b.ins().icmp(IntCC::NotEqual, ta, tb);
                let same_kind = self.b.create_block();
                self.b.ins().brif(kinds, no, &[], same_kind, &[]);
                self.b.switch_to_block(same_kind);
                let boxed = self.is_primary(a, tag::BOXED);
                self.guard(boxed, slow);
                let (ha, hb) = (self.header(a), self.header(bv));
                let diff = self.b.ins().icmp(IntCC::NotEqual, ha, hb);
                self.guard(diff, slow);
                let sa = self.b.ins().band_imm_s(ha, 0x3c);
                let sb = self.b.ins().band_imm_s(hb, 0x3c);
                let tuple = (header::subtag::TUPLE << 2) as i64;
                let a_tuple = self.b.ins().icmp_imm_s(IntCC::Equal, sa, tuple);
                let b_tuple = self.b.ins().icmp_imm_s(IntCC::Equal, sb, tuple);
                let some_tuple = self.b.ins().bor(a_tuple, b_tuple);
                self.b.ins().brif(some_tuple, no, &[], slow, &[]);
            }
            CmpOp::Lt | CmpOp::Ge => {
                let small = self.both_small(a, bv);
                let fast = self.b.create_block();
                let mixed = self.b.create_block();
                let other = if floats { self.b.create_block() } else { slow };
                self.b.ins().brif(small, fast, &[], mixed, &[]);
                self.b.switch_to_block(fast);
                let lt = self.b.ins().icmp(IntCC::SignedLessThan, a, bv);
                self.b.ins().brif(lt, yes, &[], no, &[]);
                // A small integer and an atom (`none < 0`): numbers sort before atoms.
                self.b.switch_to_block(mixed);
                let sa = self.is_small(a);
                let ab = self.is_atom(bv);
                let below = self.b.ins().band(sa, ab);
                let not_below = self.b.create_block();
                self.b.ins().brif(below, yes, &[], not_below, &[]);
                self.b.switch_to_block(not_below);
                let aa = self.is_atom(a);
                let sb = self.is_small(bv);
                let above = self.b.ins().band(aa, sb);
                self.b.ins().brif(above, no, &[], other, &[]);
                if !floats {
                    return;
                }
                // Two numbers, at least one a float (no NaN in Erlang; -0.0 == 0.0).
                self.b.switch_to_block(other);
                let x = self.number_f64(a, true, slow);
                let y = self.number_f64(bv, true, slow);
                let lt = self.b.ins().fcmp(FloatCC::LessThan, x, y);
                self.b.ins().brif(lt, yes, &[], no, &[]);
            }
        }
    }
}

/// The offsets of function `start..end` that control may enter from outside straight-line
/// code: the `func_info` and the entry after it, every label any instruction names, the
/// instruction after each body call (its return point) and each call that may be retried.
fn entries(module: &Module, start: Label, end: Label) -> Vec<Label> {
    let mut e = vec![start, start + 1];
    for (o, ins) in module.code[start as usize..end as usize].iter().enumerate() {
        let o = start + o as Label;
        e.extend(ins.labels());
        let (again, after) = ins.resumes();
        if again {
            e.push(o);
        }
        if after {
            e.push(o + 1);
        }
    }
    e.retain(|&o| o >= start && o < end);
    e.sort_unstable();
    e.dedup();
    e
}

/// For each offset of function `start..end`: whether it is an entry (see [`entries`]) only
/// as the return point of the body call just before it (no label names it, and no call
/// is retried there).
fn return_points_only(module: &Module, start: Label, end: Label) -> Vec<bool> {
    let len = (end - start) as usize;
    let mut only = vec![false; len];
    let mut other = vec![false; len];
    other[0] = true;
    if len > 1 {
        other[1] = true;
    }
    for (o, ins) in module.code[start as usize..end as usize].iter().enumerate() {
        for l in ins.labels() {
            if l >= start && l < end {
                other[(l - start) as usize] = true;
            }
        }
        let (again, after) = ins.resumes();
        if again {
            other[o] = true;
        }
        if after && o + 1 < len {
            only[o + 1] = true;
        }
    }
    only.iter().zip(&other).map(|(a, b)| *a && !*b).collect()
}

enum Resume {
    Offset(Label),
    Cp(Value),
}

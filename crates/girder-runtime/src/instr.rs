//! The internal instruction form: what the loader turns generic instructions into, and what
//! the interpreter (and later the JIT) executes.
//!
//! Operands are resolved once at load time: labels become instruction indices in the
//! module's code, imports become `&'static Export` entries, literals become terms in the
//! module's literal area, BIFs become function pointers. `label` and `line` instructions are
//! dropped from the stream (lines go to a side table for stack traces).

use girder_term::{Atom, Term};

use crate::module::{Export, FunEntry};

/// An instruction index within one module's code.
pub type Label = u32;

/// "No label": a failing test raises instead of jumping (generic label 0).
pub const NO_LABEL: Label = u32::MAX;

/// Order a `select_val` table for [`select_val_target`]: the immediates first, sorted by
/// word for a binary search, then the boxed values (bignums, floats), in any order.
pub fn sort_select_table(table: &mut [(Term, Label)]) {
    table.sort_by_key(|(t, _)| (!t.is_immediate(), t.raw()));
}

/// Where `select_val` on `v` goes in a table ordered by [`sort_select_table`] (`None`: the
/// fail label). An immediate equals no boxed value (boxed numbers are never in the small
/// range), so it is looked up among the immediates only; a boxed value among the others.
pub fn select_val_target(table: &[(Term, Label)], v: Term) -> Option<Label> {
    let immediates = table.partition_point(|(t, _)| t.is_immediate());
    if v.is_immediate() {
        let table = &table[..immediates];
        table
            .binary_search_by_key(&v.raw(), |(t, _)| t.raw())
            .ok()
            .map(|i| table[i].1)
    } else {
        table[immediates..]
            .iter()
            .find(|(t, _)| girder_term::compare::eq_exact(*t, v))
            .map(|(_, l)| *l)
    }
}

/// A source operand packed in one word: an X or Y register, or a term.
///
/// Terms never have primary tag `00`, so that pattern marks registers: bit 2 says Y, the
/// register number is in bits 3 and up.
#[derive(Clone, Copy)]
pub struct Src(u64);

/// The float bit of [`Src::types`].
pub const TYPE_FLOAT: u16 = girder_format::types::TypeSet::FLOAT;

/// Where a register operand keeps the types the `Type` chunk gave it (see
/// [`Src::with_types`]): the type bits from here, and a flag bit above them.
const TYPES_SHIFT: u32 = 40;
const TYPED: u64 = 1 << 56;

impl PartialEq for Src {
    /// The same operand, whatever types were proved about it.
    fn eq(&self, other: &Src) -> bool {
        self.operand() == other.operand()
    }
}

impl Eq for Src {}

impl Src {
    /// X register `n`.
    pub const fn x(n: u32) -> Src {
        Src((n as u64) << 3)
    }
    /// Y register `n`.
    pub const fn y(n: u32) -> Src {
        Src(((n as u64) << 3) | 0b100)
    }
    /// A term (immediate or literal).
    pub const fn term(t: Term) -> Src {
        Src(t.0)
    }
    /// A register operand known to hold only the types `types` (the `Type` chunk's bits,
    /// `girder_format::types::TypeSet`); a constant is returned as it is.
    pub const fn with_types(self, types: u16) -> Src {
        if self.0 & 0b11 != 0 {
            return self;
        }
        Src(self.operand() | ((types as u64) << TYPES_SHIFT) | TYPED)
    }

    /// The types the compiler proved for a register operand, if it gave any.
    pub const fn types(self) -> Option<u16> {
        if self.0 & 0b11 == 0 && self.0 & TYPED != 0 {
            Some((self.0 >> TYPES_SHIFT) as u16)
        } else {
            None
        }
    }

    /// The operand without its types.
    const fn operand(self) -> u64 {
        if self.0 & 0b11 != 0 {
            self.0
        } else {
            self.0 & ((1 << TYPES_SHIFT) - 1)
        }
    }

    /// Decoded form.
    #[inline]
    pub const fn kind(self) -> SrcKind {
        if self.0 & 0b11 != 0 {
            SrcKind::Term(Term(self.0))
        } else if self.0 & 0b100 == 0 {
            SrcKind::X((self.0 >> 3) as u32)
        } else {
            SrcKind::Y((self.0 >> 3) as u32)
        }
    }
}

/// What a [`Src`] holds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SrcKind {
    /// X register.
    X(u32),
    /// Y register.
    Y(u32),
    /// A constant term.
    Term(Term),
}

impl std::fmt::Debug for Src {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind() {
            SrcKind::X(n) => write!(f, "x{n}"),
            SrcKind::Y(n) => write!(f, "y{n}"),
            SrcKind::Term(t) => write!(f, "{t:?}"),
        }
    }
}

/// A destination register.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dst {
    /// X register.
    X(u32),
    /// Y register.
    Y(u32),
}

/// Type tests that take one operand and a fail label.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TypeTest {
    IsInteger,
    IsFloat,
    IsNumber,
    IsAtom,
    IsPid,
    IsReference,
    IsPort,
    IsNil,
    IsBinary,
    IsBitstr,
    IsList,
    IsNonemptyList,
    IsTuple,
    IsFunction,
    IsBoolean,
    IsMap,
}

/// Comparison tests.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CmpOp {
    /// `<`
    Lt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `/=`
    Ne,
    /// `=:=`
    EqExact,
    /// `=/=`
    NeExact,
}

/// What a `bs_create_bin` segment holds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SegKind {
    Integer,
    Float,
    Binary,
    Utf8,
    Utf16,
    Utf32,
    /// Bytes of the module's string table (`src` offset, `size` length in bytes).
    String,
    /// The bitstring to extend (`append`, `private_append`).
    Append,
}

/// One segment of `bs_create_bin`.
#[derive(Clone, Copy, Debug)]
pub struct Segment {
    pub kind: SegKind,
    /// The segment's number in the source expression (1-based), as `error_info` reports it.
    pub seg: u32,
    pub unit: u32,
    pub flags: u32,
    pub src: Src,
    /// A size in units, or the atom `all`.
    pub size: Src,
}

/// One command of `bs_match` (OTP 26+), all on the match state's position.
#[derive(Clone, Debug)]
pub enum BsCmd {
    /// At least `stride` bits left, and the rest after them a multiple of `unit`.
    EnsureAtLeast { stride: u32, unit: u32 },
    /// Exactly `stride` bits left.
    EnsureExactly { stride: u32 },
    /// An integer of `bits` bits into `dst`.
    Integer { flags: u32, bits: u32, dst: Dst },
    /// A sub-binary of `bits` bits into `dst`.
    Binary { bits: u32, dst: Dst },
    /// The next `bits` bits, read as an unsigned integer, must equal `value`.
    Eq { bits: u32, value: Term },
    /// Skip `bits` bits.
    Skip { bits: u32 },
    /// The rest as a sub-binary into `dst`.
    GetTail { dst: Dst },
}

/// What a `bs_get_*`/`bs_skip_*` instruction reads.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BsField {
    Integer,
    Float,
    Binary,
    Utf8,
    Utf16,
    Utf32,
}

/// Float arithmetic operations.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// One internal instruction.
#[derive(Clone, Debug)]
#[allow(missing_docs)]
pub enum Instr {
    /// Entered when no clause matched: raises `function_clause` for `module:function/arity`.
    FuncInfo {
        module: Atom,
        function: Atom,
        arity: u32,
    },

    Move {
        src: Src,
        dst: Dst,
    },
    Swap {
        a: Dst,
        b: Dst,
    },
    InitYregs {
        regs: Box<[u32]>,
    },

    Call {
        arity: u32,
        target: Label,
    },
    CallLast {
        arity: u32,
        target: Label,
        dealloc: u32,
    },
    CallOnly {
        arity: u32,
        target: Label,
    },
    CallExt {
        arity: u32,
        export: &'static Export,
    },
    CallExtLast {
        arity: u32,
        export: &'static Export,
        dealloc: u32,
    },
    CallExtOnly {
        arity: u32,
        export: &'static Export,
    },
    /// The `apply N` instruction: arguments in x0.., module in xN, function in xN+1.
    Apply {
        arity: u32,
        dealloc: Option<u32>,
        tail: bool,
    },
    /// `erlang:apply/3` through an import: module, function and argument list in x0..x2.
    ApplyMfa {
        dealloc: Option<u32>,
        tail: bool,
    },
    /// `apply/2` (fun and argument list in x0, x1).
    ApplyFun {
        dealloc: Option<u32>,
        tail: bool,
    },
    CallFun {
        arity: u32,
    },
    CallFun2 {
        arity: u32,
        fun: Src,
    },
    /// `call_fun`/`call_fun2` followed by `deallocate` and `return`, made one tail call as
    /// OTP's loader makes it (the frame goes before the call: stack traces and stack depth
    /// are erl's). The `deallocate` and `return` stay in the code, unreachable from here.
    CallFunLast {
        arity: u32,
        fun: Src,
        dealloc: u32,
    },
    Return,

    Allocate {
        stack: u32,
        live: u32,
    },
    AllocateHeap {
        stack: u32,
        heap: u32,
        live: u32,
    },
    Deallocate {
        n: u32,
    },
    Trim {
        n: u32,
        remaining: u32,
    },
    TestHeap {
        heap: u32,
        live: u32,
    },

    Test {
        op: TypeTest,
        fail: Label,
        arg: Src,
    },
    Cmp {
        op: CmpOp,
        fail: Label,
        a: Src,
        b: Src,
    },
    TestArity {
        fail: Label,
        arg: Src,
        arity: u32,
    },
    IsTaggedTuple {
        fail: Label,
        arg: Src,
        arity: u32,
        tag: Term,
    },
    IsFunction2 {
        fail: Label,
        arg: Src,
        arity: Src,
    },
    SelectVal {
        arg: Src,
        fail: Label,
        table: Box<[(Term, Label)]>,
    },
    SelectTupleArity {
        arg: Src,
        fail: Label,
        table: Box<[(u32, Label)]>,
    },
    Jump {
        target: Label,
    },

    PutList {
        head: Src,
        tail: Src,
        dst: Dst,
    },
    GetList {
        src: Src,
        head: Dst,
        tail: Dst,
    },
    GetHd {
        src: Src,
        dst: Dst,
    },
    GetTl {
        src: Src,
        dst: Dst,
    },
    PutTuple2 {
        dst: Dst,
        elements: Box<[Src]>,
    },
    GetTupleElement {
        src: Src,
        index: u32,
        dst: Dst,
    },
    SetTupleElement {
        value: Src,
        tuple: Src,
        index: u32,
    },

    /// A guard or body BIF (its export entry holds the function); `fail == NO_LABEL`
    /// raises on error.
    Bif {
        export: &'static Export,
        fail: Label,
        args: Box<[Src]>,
        dst: Dst,
        /// Whether a failure shows the BIF's own frame in the stack trace.
        frame: bool,
    },
    /// A BIF that may allocate. The BIF itself never collects (what does not fit in the
    /// young heap goes to a heap fragment); when it left fragments, the heap is collected
    /// after it, keeping X registers `0..live` and the result.
    GcBif {
        export: &'static Export,
        fail: Label,
        live: u32,
        args: Box<[Src]>,
        dst: Dst,
        /// As for `Bif`.
        frame: bool,
    },

    Badmatch {
        arg: Src,
    },
    CaseEnd {
        arg: Src,
    },
    IfEnd,
    TryCaseEnd {
        arg: Src,
    },
    Badrecord {
        arg: Src,
    },

    Catch {
        y: u32,
        handler: Label,
    },
    CatchEnd {
        y: u32,
    },
    Try {
        y: u32,
        handler: Label,
    },
    TryEnd {
        y: u32,
    },
    TryCase {
        y: u32,
    },
    /// The generic `raise` instruction: raise with the stack trace in `trace`, value `value`.
    Raise {
        trace: Src,
        value: Src,
    },
    /// `raw_raise`: class, reason and stack trace in x0, x1, x2.
    RawRaise,
    BuildStacktrace,

    /// `get_map_elements`: each present key's value into its register, else jump.
    GetMapElements {
        fail: Label,
        src: Src,
        pairs: Box<[(Src, Dst)]>,
    },
    /// `has_map_fields`: jump unless every key is present.
    HasMapFields {
        fail: Label,
        src: Src,
        keys: Box<[Src]>,
    },
    /// `put_map_assoc` (`exact: false`) and `put_map_exact` (`exact: true`: every key must
    /// exist, else `{badkey, K}`).
    PutMap {
        exact: bool,
        src: Src,
        dst: Dst,
        pairs: Box<[(Src, Src)]>,
    },
    /// `put_map_assoc` on the empty map with constant keys, none repeated, at most
    /// [`FLAT_MAX`](girder_term::object::FLAT_MAX) (the usual `#{k1 => V1, ...}`): the
    /// loader sorted the keys into the constant tuple `keys`, and `values` are in their
    /// order, so the map is built without sorting or comparing at run time.
    NewMap {
        dst: Dst,
        keys: Term,
        values: Box<[Src]>,
    },
    /// `loop_rec`: the message at the receive position into `dst`, or jump when there is none.
    LoopRec {
        fail: Label,
        dst: Dst,
    },
    /// `loop_rec_end`: step past the current message and jump back.
    LoopRecEnd {
        target: Label,
    },
    /// `remove_message`: take the current message out of the queue.
    RemoveMessage,
    /// `wait`: sleep until a message arrives, then continue at `target`.
    Wait {
        target: Label,
    },
    /// `wait_timeout`: as `wait`, or fall through once `timeout` ms have passed.
    WaitTimeout {
        target: Label,
        timeout: Src,
    },
    /// `timeout`: the receive timed out; reset the receive position.
    Timeout,
    /// `send`: x0 ! x1.
    Send,
    /// `recv_marker_reserve`: a mark at the end of the message queue into `dst` (see
    /// [`crate::receive`]).
    RecvMarkerReserve {
        dst: Dst,
    },
    /// `recv_marker_bind`: ties the mark in `marker` to the reference in `reference`.
    RecvMarkerBind {
        marker: Src,
        reference: Src,
    },
    /// `recv_marker_clear`: drops the mark bound to `reference`.
    RecvMarkerClear {
        reference: Src,
    },
    /// `recv_marker_use`: the receive that follows starts at the mark bound to `reference`.
    RecvMarkerUse {
        reference: Src,
    },
    /// `bs_create_bin`.
    BsCreateBin {
        fail: Label,
        dst: Dst,
        segments: Box<[Segment]>,
    },
    /// `bs_start_match3/4`: a match state over `src` (reused if it already is one).
    BsStartMatch {
        fail: Label,
        src: Src,
        dst: Dst,
        /// Came from `bs_start_match4` (for the coverage report).
        v4: bool,
    },
    BsGetPosition {
        ctx: Src,
        dst: Dst,
    },
    BsSetPosition {
        ctx: Src,
        pos: Src,
    },
    BsGetTail {
        ctx: Src,
        dst: Dst,
    },
    /// `bs_get_integer2`, `bs_get_float2`, `bs_get_binary2`, `bs_get_utf*`, and the
    /// skipping forms (`dst: None`).
    BsGet {
        field: BsField,
        /// Segment flags (`bits::LITTLE`...), which fit a byte.
        flags: u8,
        /// The unit (at most 256).
        unit: u16,
        fail: Label,
        ctx: Src,
        /// Size in units (the atom `all` for the rest); unused for UTF fields.
        size: Src,
        dst: Option<Dst>,
    },
    BsTestTail {
        fail: Label,
        ctx: Src,
        /// `u64::MAX` for a size past 64 bits, which no binary has.
        bits: u64,
    },
    BsTestUnit {
        fail: Label,
        ctx: Src,
        unit: u32,
    },
    BsMatchString {
        fail: Label,
        ctx: Src,
        bits: u32,
        offset: u32,
    },
    /// `bs_match` (OTP 26+): a sequence of commands; any failure jumps to `fail`.
    BsMatch {
        fail: Label,
        ctx: Src,
        cmds: Box<[BsCmd]>,
    },
    /// `bs_init_writable`: x0 becomes an empty binary to append to.
    BsInitWritable,
    /// `update_record` (OTP 26+): a copy of the tuple in `src` with the given 1-based
    /// positions replaced.
    UpdateRecord {
        src: Src,
        dst: Dst,
        updates: Box<[(u32, Src)]>,
    },
    /// A float term into a float register.
    FLoad {
        src: Src,
        dst: u32,
    },
    /// A float register into a register, as a float term.
    FStore {
        src: u32,
        dst: Dst,
    },
    /// Float register to float register.
    FMove {
        src: u32,
        dst: u32,
    },
    /// `fconv`: any number into a float register (`badarith` if not a number).
    FConv {
        src: Src,
        dst: u32,
    },
    /// `fadd`/`fsub`/`fmul`/`fdiv` (`badarith` on a non-finite result).
    FArith {
        op: FOp,
        a: u32,
        b: u32,
        dst: u32,
    },
    /// `fnegate`.
    FNegate {
        src: u32,
        dst: u32,
    },

    MakeFun3 {
        fun: &'static FunEntry,
        dst: Dst,
        env: Box<[Src]>,
    },

    /// `nif_start`, the first instruction of a function OTP 25+ compiled as a NIF (`-nifs`):
    /// calls the function's NIF when `erlang:load_nif/2` bound one (see
    /// [`crate::nif`]), else nothing (the Erlang body follows).
    NifStart,

    /// `bs_add` (OTP 21-24): `dst = a + b * unit`, both non-negative integers.
    BsAdd {
        fail: Label,
        a: Src,
        b: Src,
        unit: u32,
        dst: Dst,
    },
    /// `bs_utf8_size`, `bs_utf16_size` (OTP 21-24): the bytes a code point takes.
    BsUtfSize {
        utf16: bool,
        src: Src,
        dst: Dst,
    },

    /// An instruction this runtime does not execute yet: raises an error naming it.
    Unsupported {
        opcode: u8,
    },
}

impl Instr {
    /// Every label this instruction may continue at, besides the next instruction (fail
    /// labels, jump and call targets, handlers, receive loops). Exhaustive on purpose: a new
    /// instruction must say where it goes.
    pub fn labels(&self) -> Vec<Label> {
        use Instr::*;
        let one = |l: &Label| if *l == NO_LABEL { vec![] } else { vec![*l] };
        match self {
            Call { target, .. } | CallLast { target, .. } | CallOnly { target, .. } => {
                vec![*target]
            }
            Jump { target } | LoopRecEnd { target } | Wait { target } => vec![*target],
            WaitTimeout { target, .. } => vec![*target],
            Catch { handler, .. } | Try { handler, .. } => vec![*handler],
            SelectVal { fail, table, .. } => {
                let mut v: Vec<Label> = table.iter().map(|(_, l)| *l).collect();
                v.extend(one(fail));
                v
            }
            SelectTupleArity { fail, table, .. } => {
                let mut v: Vec<Label> = table.iter().map(|(_, l)| *l).collect();
                v.extend(one(fail));
                v
            }
            Test { fail, .. }
            | Cmp { fail, .. }
            | TestArity { fail, .. }
            | IsTaggedTuple { fail, .. }
            | IsFunction2 { fail, .. }
            | Bif { fail, .. }
            | GcBif { fail, .. }
            | GetMapElements { fail, .. }
            | HasMapFields { fail, .. }
            | LoopRec { fail, .. }
            | BsCreateBin { fail, .. }
            | BsAdd { fail, .. }
            | BsStartMatch { fail, .. }
            | BsGet { fail, .. }
            | BsTestTail { fail, .. }
            | BsTestUnit { fail, .. }
            | BsMatchString { fail, .. }
            | BsMatch { fail, .. } => one(fail),
            FuncInfo { .. }
            | Move { .. }
            | Swap { .. }
            | InitYregs { .. }
            | CallExt { .. }
            | CallExtLast { .. }
            | CallExtOnly { .. }
            | Apply { .. }
            | ApplyMfa { .. }
            | ApplyFun { .. }
            | CallFun { .. }
            | CallFun2 { .. }
            | CallFunLast { .. }
            | Return
            | Allocate { .. }
            | AllocateHeap { .. }
            | Deallocate { .. }
            | Trim { .. }
            | TestHeap { .. }
            | PutList { .. }
            | GetList { .. }
            | GetHd { .. }
            | GetTl { .. }
            | PutTuple2 { .. }
            | GetTupleElement { .. }
            | SetTupleElement { .. }
            | Badmatch { .. }
            | CaseEnd { .. }
            | IfEnd
            | TryCaseEnd { .. }
            | Badrecord { .. }
            | CatchEnd { .. }
            | TryEnd { .. }
            | TryCase { .. }
            | Raise { .. }
            | RawRaise
            | BuildStacktrace
            | PutMap { .. }
            | NewMap { .. }
            | RemoveMessage
            | Timeout
            | Send
            | RecvMarkerReserve { .. }
            | RecvMarkerBind { .. }
            | RecvMarkerClear { .. }
            | RecvMarkerUse { .. }
            | BsGetPosition { .. }
            | BsSetPosition { .. }
            | BsGetTail { .. }
            | BsInitWritable
            | UpdateRecord { .. }
            | FLoad { .. }
            | FStore { .. }
            | FMove { .. }
            | FConv { .. }
            | FArith { .. }
            | FNegate { .. }
            | MakeFun3 { .. }
            | NifStart
            | BsUtfSize { .. }
            | Unsupported { .. } => vec![],
        }
    }

    /// Whether execution may come back to this very instruction after leaving it (a call
    /// of a BIF that asked to be retried), or resume right after it (a body call, which
    /// sets the continuation pointer to the next instruction).
    pub fn resumes(&self) -> (bool, bool) {
        use Instr::*;
        match self {
            CallExt { .. } | CallExtLast { .. } | CallExtOnly { .. } => (true, true),
            Call { .. } | CallFun { .. } | CallFun2 { .. } => (false, true),
            Apply { .. } | ApplyMfa { .. } | ApplyFun { .. } => (true, true),
            _ => (false, false),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn instructions_stay_small() {
        // The interpreter walks arrays of these: keep them small (big, cold operands go in
        // boxes). 40 bytes today; 32 is the goal once BIF arguments move to a side table.
        assert!(
            std::mem::size_of::<super::Instr>() <= 48,
            "{}",
            std::mem::size_of::<super::Instr>()
        );
    }

    #[test]
    fn typed_operands_keep_their_register() {
        use super::{Src, SrcKind, TYPE_FLOAT};
        let x = Src::x(1023).with_types(TYPE_FLOAT);
        assert_eq!(x.kind(), SrcKind::X(1023));
        assert_eq!(x.types(), Some(TYPE_FLOAT));
        assert_eq!(x, Src::x(1023));
        assert_eq!(Src::x(1023).types(), None);
        let y = Src::y((1 << 20) - 1).with_types(0x1fff);
        assert_eq!(y.kind(), SrcKind::Y((1 << 20) - 1));
        assert_eq!(y.types(), Some(0x1fff));
        let t = Src::term(girder_term::Term::small(5));
        assert_eq!(t.with_types(TYPE_FLOAT).types(), None);
        assert_eq!(t.with_types(TYPE_FLOAT).kind(), t.kind());
    }
}

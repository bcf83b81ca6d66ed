//! Which generic opcodes executed, for the opcode coverage report
//! (`GIRDER_OPCODE_COVERAGE=FILE`).

use std::sync::LazyLock;
use std::sync::atomic::{AtomicBool, Ordering};

use girder_format::opcodes::op;

use crate::instr::{BsField, CmpOp, FOp, Instr, TypeTest};

/// Whether coverage recording is on (`GIRDER_OPCODE_COVERAGE` is set).
pub static ON: LazyLock<bool> =
    LazyLock::new(|| std::env::var_os("GIRDER_OPCODE_COVERAGE").is_some());

static HITS: [AtomicBool; 256] = [const { AtomicBool::new(false) }; 256];

/// Record that an instruction from `ins`'s generic opcode executed.
#[inline]
pub fn record(ins: &Instr) {
    // Relaxed: independent flags; `executed` runs after the scheduler threads stopped.
    HITS[generic_opcode(ins) as usize].store(true, Ordering::Relaxed);
}

/// The generic opcodes executed so far, by any process.
pub fn executed() -> Vec<u8> {
    (0..=255u8)
        // Relaxed: see `record`. (A flag set by another thread in its very last slice
        // could in principle be missed; this is a diagnostic, not a result.)
        .filter(|&o| HITS[o as usize].load(Ordering::Relaxed))
        .collect()
}

/// The generic opcode an internal instruction came from (for merged forms, the usual one).
pub fn generic_opcode(ins: &Instr) -> u8 {
    match ins {
        Instr::FuncInfo { .. } => op::func_info,
        Instr::Move { .. } => op::r#move,
        Instr::Swap { .. } => op::swap,
        Instr::InitYregs { .. } => op::init_yregs,
        Instr::Call { .. } => op::call,
        Instr::CallLast { .. } => op::call_last,
        Instr::CallOnly { .. } => op::call_only,
        Instr::CallExt { .. } => op::call_ext,
        Instr::CallExtLast { .. } => op::call_ext_last,
        Instr::CallExtOnly { .. } => op::call_ext_only,
        Instr::Apply { tail: false, .. } => op::apply,
        Instr::Apply { tail: true, .. } => op::apply_last,
        Instr::ApplyMfa { tail: false, .. } | Instr::ApplyFun { tail: false, .. } => op::call_ext,
        Instr::ApplyMfa {
            dealloc: Some(_), ..
        }
        | Instr::ApplyFun {
            dealloc: Some(_), ..
        } => op::call_ext_last,
        Instr::ApplyMfa { .. } | Instr::ApplyFun { .. } => op::call_ext_only,
        Instr::CallFun { .. } => op::call_fun,
        Instr::CallFun2 { .. } => op::call_fun2,
        Instr::CallFunLast { .. } => op::call_fun,
        Instr::Return => op::r#return,
        Instr::Allocate { .. } => op::allocate,
        Instr::AllocateHeap { .. } => op::allocate_heap,
        Instr::Deallocate { .. } => op::deallocate,
        Instr::Trim { .. } => op::trim,
        Instr::TestHeap { .. } => op::test_heap,
        Instr::Test { op: t, .. } => match t {
            TypeTest::IsInteger => op::is_integer,
            TypeTest::IsFloat => op::is_float,
            TypeTest::IsNumber => op::is_number,
            TypeTest::IsAtom => op::is_atom,
            TypeTest::IsPid => op::is_pid,
            TypeTest::IsReference => op::is_reference,
            TypeTest::IsPort => op::is_port,
            TypeTest::IsNil => op::is_nil,
            TypeTest::IsBinary => op::is_binary,
            TypeTest::IsBitstr => op::is_bitstr,
            TypeTest::IsList => op::is_list,
            TypeTest::IsNonemptyList => op::is_nonempty_list,
            TypeTest::IsTuple => op::is_tuple,
            TypeTest::IsFunction => op::is_function,
            TypeTest::IsBoolean => op::is_boolean,
            TypeTest::IsMap => op::is_map,
        },
        Instr::Cmp { op: c, .. } => match c {
            CmpOp::Lt => op::is_lt,
            CmpOp::Ge => op::is_ge,
            CmpOp::Eq => op::is_eq,
            CmpOp::Ne => op::is_ne,
            CmpOp::EqExact => op::is_eq_exact,
            CmpOp::NeExact => op::is_ne_exact,
        },
        Instr::TestArity { .. } => op::test_arity,
        Instr::IsTaggedTuple { .. } => op::is_tagged_tuple,
        Instr::IsFunction2 { .. } => op::is_function2,
        Instr::SelectVal { .. } => op::select_val,
        Instr::SelectTupleArity { .. } => op::select_tuple_arity,
        Instr::Jump { .. } => op::jump,
        Instr::PutList { .. } => op::put_list,
        Instr::GetList { .. } => op::get_list,
        Instr::GetHd { .. } => op::get_hd,
        Instr::GetTl { .. } => op::get_tl,
        Instr::PutTuple2 { .. } => op::put_tuple2,
        Instr::GetTupleElement { .. } => op::get_tuple_element,
        Instr::SetTupleElement { .. } => op::set_tuple_element,
        Instr::Bif { args, .. } => match args.len() {
            0 => op::bif0,
            1 => op::bif1,
            _ => op::bif2,
        },
        Instr::GcBif { args, .. } => match args.len() {
            1 => op::gc_bif1,
            2 => op::gc_bif2,
            _ => op::gc_bif3,
        },
        Instr::Badmatch { .. } => op::badmatch,
        Instr::CaseEnd { .. } => op::case_end,
        Instr::IfEnd => op::if_end,
        Instr::TryCaseEnd { .. } => op::try_case_end,
        Instr::Badrecord { .. } => op::badrecord,
        Instr::Catch { .. } => op::r#catch,
        Instr::CatchEnd { .. } => op::catch_end,
        Instr::Try { .. } => op::r#try,
        Instr::TryEnd { .. } => op::try_end,
        Instr::TryCase { .. } => op::try_case,
        Instr::Raise { .. } => op::raise,
        Instr::RawRaise => op::raw_raise,
        Instr::BuildStacktrace => op::build_stacktrace,
        Instr::MakeFun3 { .. } => op::make_fun3,
        Instr::FLoad { .. } | Instr::FStore { .. } | Instr::FMove { .. } => op::fmove,
        Instr::FConv { .. } => op::fconv,
        Instr::UpdateRecord { .. } => op::update_record,
        Instr::BsCreateBin { .. } => op::bs_create_bin,
        Instr::BsStartMatch { v4: false, .. } => op::bs_start_match3,
        Instr::BsStartMatch { v4: true, .. } => op::bs_start_match4,
        Instr::BsGetPosition { .. } => op::bs_get_position,
        Instr::BsSetPosition { .. } => op::bs_set_position,
        Instr::BsGetTail { .. } => op::bs_get_tail,
        Instr::BsGet { field, dst, .. } => match (field, dst.is_some()) {
            (BsField::Integer, _) => op::bs_get_integer2,
            (BsField::Float, _) => op::bs_get_float2,
            (BsField::Binary, true) => op::bs_get_binary2,
            (BsField::Binary, false) => op::bs_skip_bits2,
            (BsField::Utf8, true) => op::bs_get_utf8,
            (BsField::Utf8, false) => op::bs_skip_utf8,
            (BsField::Utf16, true) => op::bs_get_utf16,
            (BsField::Utf16, false) => op::bs_skip_utf16,
            (BsField::Utf32, true) => op::bs_get_utf32,
            (BsField::Utf32, false) => op::bs_skip_utf32,
        },
        Instr::BsTestTail { .. } => op::bs_test_tail2,
        Instr::BsTestUnit { .. } => op::bs_test_unit,
        Instr::BsMatchString { .. } => op::bs_match_string,
        Instr::BsInitWritable => op::bs_init_writable,
        Instr::BsMatch { .. } => op::bs_match,
        Instr::LoopRec { .. } => op::loop_rec,
        Instr::LoopRecEnd { .. } => op::loop_rec_end,
        Instr::RemoveMessage => op::remove_message,
        Instr::Wait { .. } => op::wait,
        Instr::WaitTimeout { .. } => op::wait_timeout,
        Instr::Timeout => op::timeout,
        Instr::Send => op::send,
        Instr::RecvMarkerReserve { .. } => op::recv_marker_reserve,
        Instr::RecvMarkerBind { .. } => op::recv_marker_bind,
        Instr::RecvMarkerClear { .. } => op::recv_marker_clear,
        Instr::RecvMarkerUse { .. } => op::recv_marker_use,
        Instr::GetMapElements { .. } => op::get_map_elements,
        Instr::HasMapFields { .. } => op::has_map_fields,
        Instr::PutMap { exact: false, .. } | Instr::NewMap { .. } => op::put_map_assoc,
        Instr::PutMap { exact: true, .. } => op::put_map_exact,
        Instr::FArith { op: f, .. } => match f {
            FOp::Add => op::fadd,
            FOp::Sub => op::fsub,
            FOp::Mul => op::fmul,
            FOp::Div => op::fdiv,
        },
        Instr::FNegate { .. } => op::fnegate,
        Instr::NifStart => op::nif_start,
        Instr::BsAdd { .. } => op::bs_add,
        Instr::BsUtfSize { utf16: false, .. } => op::bs_utf8_size,
        Instr::BsUtfSize { utf16: true, .. } => op::bs_utf16_size,
        Instr::Unsupported { opcode } => *opcode,
    }
}

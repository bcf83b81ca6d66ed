//! The `Code` chunk: its header and the generic instruction stream.

use crate::compact::{self, Operand};
use crate::error::{Error, Result};
use crate::opcodes::{self, op};
use crate::reader::Reader;

/// The instruction-set version every OTP since R5 writes.
pub const FORMAT_NUMBER: u32 = 0;

/// One generic instruction.
#[derive(Debug, Clone, PartialEq)]
pub struct Instruction {
    /// The generic opcode number (see [`crate::opcodes`]).
    pub opcode: u8,
    /// Its operands; as many as the opcode's arity.
    pub args: Vec<Operand>,
    /// Absolute byte offset of the opcode in the file.
    pub offset: usize,
}

impl Instruction {
    /// The generic name of this instruction.
    pub fn name(&self) -> &'static str {
        opcodes::info(self.opcode).map_or("?", |o| o.name)
    }
}

/// A function: its name and arity, and the range of [`Code::instructions`] it spans.
///
/// As in `beam_disasm`, the labels and `line` instructions just before a `func_info` belong
/// to that function; the function's code runs until the next such group or `int_code_end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function {
    /// Atom index of the name.
    pub name: u32,
    /// Arity.
    pub arity: u32,
    /// The label after `func_info`, where calls enter.
    pub entry: u32,
    /// Index of the first instruction (a label or `line` before `func_info`).
    pub start: usize,
    /// Index one past the last instruction.
    pub end: usize,
}

/// The decoded `Code` chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct Code {
    /// Highest opcode the compiler used.
    pub max_opcode: u32,
    /// Number of labels (label numbers are below this).
    pub label_count: u32,
    /// Number of functions.
    pub function_count: u32,
    /// Every instruction up to, not including, `int_code_end`.
    pub instructions: Vec<Instruction>,
}

/// Read the code chunk.
pub fn read_code(r: &mut Reader<'_>) -> Result<Code> {
    let head_at = r.offset();
    let head_size = r.u32("code header size")? as usize;
    let mut head = r.sub(head_size, "code header").map_err(|_| {
        Error::new(
            head_at,
            format!("code header size {head_size} exceeds the chunk"),
        )
    })?;
    let version = head.u32("instruction set version")?;
    if version != FORMAT_NUMBER {
        return Err(Error::new(
            head_at + 4,
            format!("unknown instruction set version {version}"),
        ));
    }
    let max_opcode = head.u32("max opcode")?;
    let label_count = head.u32("label count")?;
    let function_count = head.u32("function count")?;

    let mut instructions = Vec::new();
    loop {
        let at = r.offset();
        if r.is_empty() {
            return Err(Error::new(at, "code ends without int_code_end"));
        }
        let opcode = r.u8("opcode")?;
        let info = opcodes::info(opcode).ok_or_else(|| {
            Error::new(
                at,
                format!(
                    "unknown opcode {opcode} (this reader knows 1..={})",
                    opcodes::MAX_OPCODE
                ),
            )
        })?;
        if opcode == op::int_code_end {
            break;
        }
        let mut args = Vec::with_capacity(usize::from(info.arity));
        for _ in 0..info.arity {
            args.push(compact::read_operand(r).map_err(|mut e| {
                e.what = format!("{} operand: {}", info.name, e.what);
                e
            })?);
        }
        instructions.push(Instruction {
            opcode,
            args,
            offset: at,
        });
    }
    Ok(Code {
        max_opcode,
        label_count,
        function_count,
        instructions,
    })
}

impl Code {
    /// Split the instructions into functions. Fails if an instruction other than a label or
    /// `line` stands before the first `func_info`, or if a `func_info` is malformed.
    pub fn functions(&self) -> Result<Vec<Function>> {
        let is = &self.instructions;
        let mut funcs: Vec<Function> = Vec::new();
        let mut pending_start = None;
        for (i, ins) in is.iter().enumerate() {
            match ins.opcode {
                op::label | op::line => {
                    pending_start.get_or_insert(i);
                }
                op::func_info => {
                    let (name, arity) = match ins.args.as_slice() {
                        [Operand::Atom(_), Operand::Atom(n), Operand::Unsigned(a)] => {
                            (*n, u32::try_from(*a).unwrap_or(u32::MAX))
                        }
                        _ => return Err(Error::new(ins.offset, "malformed func_info")),
                    };
                    let entry = match is.get(i + 1) {
                        Some(Instruction {
                            opcode: op::label,
                            args,
                            ..
                        }) => match args.as_slice() {
                            [Operand::Unsigned(l)] => *l as u32,
                            _ => return Err(Error::new(is[i + 1].offset, "malformed label")),
                        },
                        _ => {
                            return Err(Error::new(
                                ins.offset,
                                "func_info is not followed by a label",
                            ));
                        }
                    };
                    let start = pending_start.unwrap_or(i);
                    if let Some(prev) = funcs.last_mut() {
                        prev.end = start;
                    } else if start != 0 {
                        return Err(Error::new(is[0].offset, "instruction outside any function"));
                    }
                    funcs.push(Function {
                        name,
                        arity,
                        entry,
                        start,
                        end: is.len(),
                    });
                    pending_start = None;
                }
                _ => pending_start = None,
            }
        }
        if funcs.is_empty() && !is.is_empty() {
            return Err(Error::new(is[0].offset, "code has no func_info"));
        }
        Ok(funcs)
    }
}

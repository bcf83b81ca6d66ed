//! The compact term encoding of instruction operands in the `Code` chunk (and of line items
//! in the `Line` chunk).
//!
//! Each operand starts with a byte whose low three bits are a tag:
//! `u`=0 (unsigned), `i`=1 (integer), `a`=2 (atom index, 0 meaning `[]`), `x`=3, `y`=4,
//! `f`=5 (label), `h`=6 (character), `z`=7 (extended). The value follows in one of three
//! forms: 4 bits in the high nibble; 11 bits across this and the next byte; or 2..=8 bytes
//! big-endian (length in the top three bits), or longer with the length itself encoded as a
//! `u` operand. `z` operands carry a sub-tag in the high nibble: 0 float, 1 list, 2 float
//! register, 3 allocation list, 4 literal, 5 typed register.

use num_bigint::{BigInt, Sign};

use crate::error::Result;
use crate::reader::Reader;

/// Longest integer operand accepted, in bytes: a bignum literal up to 2^16 bits is far more
/// than any compiler emits, and the bound keeps hostile lengths harmless.
const MAX_INT_BYTES: usize = 8192;

/// Deepest nesting of `z` operands (a typed register inside a list is 2).
const MAX_NESTING: u32 = 4;

/// The operand tag (low three bits of the first byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// Unsigned literal.
    U,
    /// Integer literal.
    I,
    /// Atom (index into the atom table, 1-based; 0 is `[]`).
    A,
    /// X register.
    X,
    /// Y register.
    Y,
    /// Label.
    F,
    /// Character.
    H,
    /// Extended.
    Z,
}

impl Tag {
    fn from_bits(bits: u8) -> Tag {
        match bits & 7 {
            0 => Tag::U,
            1 => Tag::I,
            2 => Tag::A,
            3 => Tag::X,
            4 => Tag::Y,
            5 => Tag::F,
            6 => Tag::H,
            _ => Tag::Z,
        }
    }
}

/// What an allocation-list entry reserves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllocKind {
    /// Heap words.
    Words,
    /// Floats.
    Floats,
    /// Funs.
    Funs,
}

/// One decoded operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// `u`: an unsigned number (arities, counts, flags, indices).
    Unsigned(u64),
    /// `i`: an integer that fits in an `i64`.
    Int(i64),
    /// `i`: an integer outside the `i64` range.
    BigInt(BigInt),
    /// `a`: an atom by index into the atom table (never 0).
    Atom(u32),
    /// `a` with index 0: the empty list.
    Nil,
    /// `x`: an X register.
    X(u32),
    /// `y`: a Y register.
    Y(u32),
    /// `f`: a label (0 means "no label": raise instead of jumping).
    Label(u32),
    /// `h`: a character.
    Char(u32),
    /// `z0`: an inline float (only very old compilers).
    Float(f64),
    /// `z1`: a list of operands (select lists, tuple elements, bit-syntax segments...).
    List(Vec<Operand>),
    /// `z2`: a float register.
    FloatReg(u32),
    /// `z3`: an allocation list.
    AllocList(Vec<(AllocKind, u32)>),
    /// `z4`: a literal by index into the literal table.
    Literal(u32),
    /// `z5`: an X or Y register with a type from the `Type` chunk.
    Typed {
        /// The register (`X` or `Y`).
        reg: Box<Operand>,
        /// Index into the type table.
        type_index: u32,
    },
}

/// The raw value part of one operand, before it is given meaning by its tag.
enum Value {
    Small(u64),
    /// Big-endian bytes of a value of 9 or more bytes, or 8 bytes that do not fit.
    Bytes(Vec<u8>),
}

/// Read the tag byte and raw value of the next operand.
fn read_tagged(r: &mut Reader<'_>) -> Result<(Tag, u8, Value)> {
    let first = r.u8("operand")?;
    let tag = Tag::from_bits(first);
    if tag == Tag::Z {
        // Extended tags keep their sub-tag in the high nibble; the value is decoded by the caller.
        return Ok((tag, first, Value::Small(0)));
    }
    if first & 0x08 == 0 {
        return Ok((tag, first, Value::Small(u64::from(first >> 4))));
    }
    if first & 0x10 == 0 {
        let next = r.u8("operand value")?;
        return Ok((
            tag,
            first,
            Value::Small((u64::from(first >> 5) << 8) | u64::from(next)),
        ));
    }
    let code = first >> 5;
    let len = if code < 7 {
        usize::from(code) + 2
    } else {
        let at = r.offset();
        match read_tagged(r)? {
            (Tag::U, _, Value::Small(n)) if (n as usize) <= MAX_INT_BYTES => n as usize + 9,
            (Tag::U, ..) => return Err(crate::Error::new(at, "operand length too large")),
            _ => return Err(crate::Error::new(at, "operand length is not a `u` value")),
        }
    };
    let bytes = r.bytes(len, "operand value")?;
    if len <= 8 && (tag != Tag::I || len < 8) {
        let v = bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        if tag == Tag::I {
            // Sign-extend from `len` bytes.
            let shift = 64 - 8 * len as u32;
            return Ok((
                tag,
                first,
                Value::Small((((v << shift) as i64) >> shift) as u64),
            ));
        }
        return Ok((tag, first, Value::Small(v)));
    }
    Ok((tag, first, Value::Bytes(bytes.to_vec())))
}

fn small_u32(at: usize, v: Value, what: &str) -> Result<u32> {
    match v {
        Value::Small(n) if n <= u64::from(u32::MAX) => Ok(n as u32),
        _ => Err(crate::Error::new(at, format!("{what} out of range"))),
    }
}

/// Read an operand that must be a `u` value fitting in `u32`.
pub fn read_u32(r: &mut Reader<'_>, what: &str) -> Result<u32> {
    let at = r.offset();
    match read_tagged(r)? {
        (Tag::U, _, v) => small_u32(at, v, what),
        (t, ..) => Err(crate::Error::new(
            at,
            format!("{what}: expected a `u` operand, got {t:?}"),
        )),
    }
}

/// Decode one operand.
pub fn read_operand(r: &mut Reader<'_>) -> Result<Operand> {
    read_nested(r, 0)
}

fn read_nested(r: &mut Reader<'_>, depth: u32) -> Result<Operand> {
    let at = r.offset();
    let (tag, first, value) = read_tagged(r)?;
    Ok(match tag {
        Tag::U => match value {
            Value::Small(n) => Operand::Unsigned(n),
            // Wider than 64 bits: OTP's compiler folds a huge constant size into
            // `bs_test_tail2`, say. Kept as the (non-negative) big integer it is.
            Value::Bytes(b) => Operand::BigInt(BigInt::from_bytes_be(Sign::Plus, &b)),
        },
        Tag::I => match value {
            Value::Small(n) => Operand::Int(n as i64),
            Value::Bytes(b) => {
                let n = BigInt::from_signed_bytes_be(&b);
                match i64::try_from(&n) {
                    Ok(small) => Operand::Int(small),
                    Err(_) => Operand::BigInt(n),
                }
            }
        },
        Tag::A => match small_u32(at, value, "atom index")? {
            0 => Operand::Nil,
            n => Operand::Atom(n),
        },
        Tag::X => Operand::X(small_u32(at, value, "x register")?),
        Tag::Y => Operand::Y(small_u32(at, value, "y register")?),
        Tag::F => Operand::Label(small_u32(at, value, "label")?),
        Tag::H => Operand::Char(small_u32(at, value, "character")?),
        Tag::Z => read_extended(r, first, at, depth)?,
    })
}

fn read_extended(r: &mut Reader<'_>, first: u8, at: usize, depth: u32) -> Result<Operand> {
    if first & 0x08 != 0 {
        return Err(crate::Error::new(
            at,
            format!("bad extended operand byte 0x{first:02x}"),
        ));
    }
    if depth >= MAX_NESTING {
        return Err(crate::Error::new(at, "extended operands nested too deeply"));
    }
    Ok(match first >> 4 {
        0 => Operand::Float(f64::from_be_bytes(
            r.bytes(8, "float operand")?.try_into().expect("8 bytes"),
        )),
        1 => {
            let n = read_u32(r, "list length")? as usize;
            // Every element takes at least one byte: a hostile length fails here.
            r.check_count(n, 1, "list length", at)?;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                items.push(read_nested(r, depth + 1)?);
            }
            Operand::List(items)
        }
        2 => Operand::FloatReg(read_u32(r, "float register")?),
        3 => {
            let n = read_u32(r, "allocation list length")? as usize;
            r.check_count(n, 2, "allocation list length", at)?;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                let kind_at = r.offset();
                let kind = match read_u32(r, "allocation kind")? {
                    0 => AllocKind::Words,
                    1 => AllocKind::Floats,
                    2 => AllocKind::Funs,
                    k => {
                        return Err(crate::Error::new(
                            kind_at,
                            format!("bad allocation kind {k}"),
                        ));
                    }
                };
                items.push((kind, read_u32(r, "allocation count")?));
            }
            Operand::AllocList(items)
        }
        4 => Operand::Literal(read_u32(r, "literal index")?),
        5 => {
            let reg_at = r.offset();
            let reg = read_nested(r, depth + 1)?;
            if !matches!(reg, Operand::X(_) | Operand::Y(_)) {
                return Err(crate::Error::new(reg_at, "typed operand is not a register"));
            }
            let type_index = read_u32(r, "type index")?;
            Operand::Typed {
                reg: Box::new(reg),
                type_index,
            }
        }
        n => {
            return Err(crate::Error::new(
                at,
                format!("unknown extended operand tag {n}"),
            ));
        }
    })
}

/// A line-table item: either a line number or a switch of file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineItem {
    /// `i`: a line number in the current file.
    Line(u32),
    /// `a`: the file-name index that following lines belong to (0 = the module's own file).
    File(u32),
}

/// Decode one item of the `Line` chunk's item list.
pub fn read_line_item(r: &mut Reader<'_>) -> Result<LineItem> {
    let at = r.offset();
    match read_tagged(r)? {
        (Tag::I, _, Value::Small(n)) if n <= u64::from(u32::MAX) => Ok(LineItem::Line(n as u32)),
        (Tag::A, _, Value::Small(n)) if n <= u64::from(u32::MAX) => Ok(LineItem::File(n as u32)),
        (Tag::I | Tag::A, ..) => Err(crate::Error::new(at, "line item out of range")),
        (t, ..) => Err(crate::Error::new(at, format!("bad line item tag {t:?}"))),
    }
}

/// Encode a value in the compact form (used by tests and later by code writers).
pub fn encode(tag: Tag, value: &BigInt, out: &mut Vec<u8>) {
    let tag_bits = tag as u8;
    if value.sign() != Sign::Minus && value.bits() <= 4 {
        let v = u8::try_from(value).expect("4 bits");
        out.push((v << 4) | tag_bits);
        return;
    }
    if value.sign() != Sign::Minus && value.bits() <= 11 {
        let v = u16::try_from(value).expect("11 bits");
        out.push((((v >> 8) as u8) << 5) | 0x08 | tag_bits);
        out.push(v as u8);
        return;
    }
    let mut bytes = if tag == Tag::I {
        value.to_signed_bytes_be()
    } else {
        value.to_bytes_be().1
    };
    if bytes.len() < 2 {
        // A one-byte value that did not fit the short forms (e.g. negative) takes two bytes.
        let fill = if value.sign() == Sign::Minus { 0xff } else { 0 };
        bytes.insert(0, fill);
    }
    let n = bytes.len();
    if n <= 8 {
        out.push((((n - 2) as u8) << 5) | 0x18 | tag_bits);
    } else {
        out.push(0xf8 | tag_bits);
        encode(Tag::U, &BigInt::from(n - 9), out);
    }
    out.extend_from_slice(&bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip_int(n: BigInt) {
        let mut buf = Vec::new();
        encode(Tag::I, &n, &mut buf);
        let op = read_operand(&mut Reader::new(&buf, 0)).unwrap();
        let back = match op {
            Operand::Int(i) => BigInt::from(i),
            Operand::BigInt(b) => b,
            other => panic!("{other:?}"),
        };
        assert_eq!(back, n);
    }

    #[test]
    fn integers_roundtrip() {
        for n in [
            0i64,
            1,
            15,
            16,
            2047,
            2048,
            -1,
            -128,
            -129,
            i64::MAX,
            i64::MIN,
            1 << 40,
        ] {
            roundtrip_int(BigInt::from(n));
        }
        roundtrip_int(BigInt::from(10).pow(100));
        roundtrip_int(-BigInt::from(10).pow(100));
    }

    #[test]
    fn known_encodings() {
        // {x,0} {y,1} {atom index 2} {f,3}
        let bytes = [0x03, 0x14, 0x22, 0x35];
        let mut r = Reader::new(&bytes, 0);
        assert_eq!(read_operand(&mut r).unwrap(), Operand::X(0));
        assert_eq!(read_operand(&mut r).unwrap(), Operand::Y(1));
        assert_eq!(read_operand(&mut r).unwrap(), Operand::Atom(2));
        assert_eq!(read_operand(&mut r).unwrap(), Operand::Label(3));
        // Extended list of two u operands.
        let bytes = [0x17, 0x20, 0x00, 0x10];
        let op = read_operand(&mut Reader::new(&bytes, 0)).unwrap();
        assert_eq!(
            op,
            Operand::List(vec![Operand::Unsigned(0), Operand::Unsigned(1)])
        );
        // Typed register: z5, x1, type 2.
        let bytes = [0x57, 0x13, 0x20];
        let op = read_operand(&mut Reader::new(&bytes, 0)).unwrap();
        assert_eq!(
            op,
            Operand::Typed {
                reg: Box::new(Operand::X(1)),
                type_index: 2
            }
        );
    }

    #[test]
    fn hostile_list_length_fails_cleanly() {
        // z1 with a length of 2^32-1 (five-byte `u`) and nothing after it.
        let bytes = [0x17, 0x68, 0xff, 0xff, 0xff, 0xff];
        assert!(read_operand(&mut Reader::new(&bytes, 0)).is_err());
        // Nested lists beyond the depth bound.
        let bytes = [
            0x17, 0x10, 0x17, 0x10, 0x17, 0x10, 0x17, 0x10, 0x17, 0x10, 0x00,
        ];
        assert!(read_operand(&mut Reader::new(&bytes, 0)).is_err());
    }
}

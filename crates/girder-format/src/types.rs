//! The `Type` chunk: what the compiler proved about typed-register operands.
//!
//! Three encodings exist. Version 1 (OTP 25): fixed 18-byte entries, 16 type bits then a
//! signed 64-bit min and max (min > max: no range). Version 2 (OTP 26): 16 bits of which 13
//! are types and the top three say whether a lower bound, upper bound (8 bytes each) and a
//! bitstring unit (1 byte, unit − 1) follow. Version 3 (OTP 27): as 2, but the match-state bit
//! is gone (the bitstring bit covers match states), so the type bits are 12 and the flags sit
//! one bit lower. Entries are normalised
//! here to the version-1/2 bit layout ([`TypeSet`]).

use crate::error::{Error, Result};
use crate::reader::Reader;

/// A union of basic types, one bit each, in the OTP 25/26 layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TypeSet(pub u16);

impl TypeSet {
    /// Atoms.
    pub const ATOM: u16 = 1 << 0;
    /// Bitstrings and binaries.
    pub const BITSTRING: u16 = 1 << 1;
    /// Binary match states.
    pub const BS_MATCHSTATE: u16 = 1 << 2;
    /// Non-empty lists.
    pub const CONS: u16 = 1 << 3;
    /// Floats.
    pub const FLOAT: u16 = 1 << 4;
    /// Funs.
    pub const FUN: u16 = 1 << 5;
    /// Integers.
    pub const INTEGER: u16 = 1 << 6;
    /// Maps.
    pub const MAP: u16 = 1 << 7;
    /// The empty list.
    pub const NIL: u16 = 1 << 8;
    /// Pids.
    pub const PID: u16 = 1 << 9;
    /// Ports.
    pub const PORT: u16 = 1 << 10;
    /// References.
    pub const REFERENCE: u16 = 1 << 11;
    /// Tuples.
    pub const TUPLE: u16 = 1 << 12;
    /// Every type.
    pub const ANY: u16 = (1 << 13) - 1;

    const NAMES: [&'static str; 13] = [
        "atom",
        "bitstring",
        "bs_matchstate",
        "cons",
        "float",
        "fun",
        "integer",
        "map",
        "nil",
        "pid",
        "port",
        "reference",
        "tuple",
    ];

    /// True if every type is possible.
    pub fn is_any(self) -> bool {
        self.0 & Self::ANY == Self::ANY
    }

    /// The names of the member types, e.g. `["integer", "float"]`.
    pub fn names(self) -> Vec<&'static str> {
        (0..13)
            .filter(|b| self.0 & (1 << b) != 0)
            .map(|b| Self::NAMES[b])
            .collect()
    }
}

/// What is known about one typed operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeInfo {
    /// The possible types.
    pub types: TypeSet,
    /// Inclusive lower bound, for integers (and in version 2+, floats).
    pub min: Option<i64>,
    /// Inclusive upper bound.
    pub max: Option<i64>,
    /// The unit a bitstring's size is a multiple of.
    pub unit: Option<u8>,
}

/// The decoded `Type` chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeTable {
    /// Format version (1, 2 or 3).
    pub version: u32,
    /// Entries, indexed by the typed-register operands.
    pub entries: Vec<TypeInfo>,
}

impl TypeTable {
    /// Read the chunk. Unknown versions are an error naming the version.
    pub fn read(r: &mut Reader<'_>) -> Result<TypeTable> {
        let version_at = r.offset();
        let version = r.u32("type table version")?;
        let count_at = r.offset();
        let count = r.u32("type count")? as usize;
        let min_entry = if version == 1 { 18 } else { 2 };
        r.check_count(count, min_entry, "type count", count_at)?;
        let mut entries = Vec::with_capacity(count);
        for _ in 0..count {
            let at = r.offset();
            let entry = match version {
                1 => {
                    let bits = r.u16("type bits")?;
                    let (min, max) = (r.i64("type min")?, r.i64("type max")?);
                    let (min, max) = if min > max {
                        (None, None)
                    } else {
                        (Some(min), Some(max))
                    };
                    TypeInfo {
                        types: TypeSet(bits & TypeSet::ANY),
                        min,
                        max,
                        unit: None,
                    }
                }
                2 | 3 => {
                    let raw = r.u16("type bits")?;
                    let (types, flag_shift) = if version == 2 {
                        (raw & TypeSet::ANY, 13)
                    } else {
                        // Reinsert the absent match-state bit to reach the common layout.
                        // Version 3's bitstring bit means "matchable": a bitstring or a match
                        // state, so it sets both.
                        let t = raw & 0x0fff;
                        let mut types = (t & 0b11) | ((t >> 2) << 3);
                        if types & TypeSet::BITSTRING != 0 {
                            types |= TypeSet::BS_MATCHSTATE;
                        }
                        (types, 12)
                    };
                    let flags = raw >> flag_shift;
                    if types == 0 {
                        return Err(Error::new(at, "type entry with no types"));
                    }
                    let min = if flags & 1 != 0 {
                        Some(r.i64("type lower bound")?)
                    } else {
                        None
                    };
                    let max = if flags & 2 != 0 {
                        Some(r.i64("type upper bound")?)
                    } else {
                        None
                    };
                    let unit = if flags & 4 != 0 {
                        Some(r.u8("type unit")?.wrapping_add(1))
                    } else {
                        None
                    };
                    if flags & 8 != 0 {
                        return Err(Error::new(at, "type entry with unknown flag bits"));
                    }
                    TypeInfo {
                        types: TypeSet(types),
                        min,
                        max,
                        unit,
                    }
                }
                v => {
                    return Err(Error::new(
                        version_at,
                        format!("unknown type table version {v}"),
                    ));
                }
            };
            entries.push(entry);
        }
        Ok(TypeTable { version, entries })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_3_layout_is_normalised() {
        // One entry: integer (v3 bit 5) with lower and upper bounds.
        let mut bytes = vec![0, 0, 0, 3, 0, 0, 0, 1];
        bytes.extend_from_slice(&((1u16 << 5) | (0b011 << 12)).to_be_bytes());
        bytes.extend_from_slice(&0i64.to_be_bytes());
        bytes.extend_from_slice(&255i64.to_be_bytes());
        let t = TypeTable::read(&mut Reader::new(&bytes, 0)).unwrap();
        assert_eq!(t.entries[0].types, TypeSet(TypeSet::INTEGER));
        assert_eq!((t.entries[0].min, t.entries[0].max), (Some(0), Some(255)));
    }

    #[test]
    fn version_2_unit() {
        let mut bytes = vec![0, 0, 0, 2, 0, 0, 0, 1];
        bytes.extend_from_slice(&(TypeSet::BITSTRING | (0b100 << 13)).to_be_bytes());
        bytes.push(7);
        let t = TypeTable::read(&mut Reader::new(&bytes, 0)).unwrap();
        assert_eq!(t.entries[0].unit, Some(8));
    }
}

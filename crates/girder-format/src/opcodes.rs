//! The generic BEAM instruction set: numbers, names, operand counts.
//!
//! Generated at build time from `genop.tsv` (OTP 27 numbering; OTP 25 uses 1..=180).

/// One generic instruction's static description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpInfo {
    /// The opcode number as it appears in the `Code` chunk.
    pub number: u8,
    /// The generic name, as `beam_opcodes` and `genop.tab` spell it.
    pub name: &'static str,
    /// How many operands follow the opcode byte.
    pub arity: u8,
    /// Whether current compilers no longer emit it.
    pub deprecated: bool,
}

include!(concat!(env!("OUT_DIR"), "/opcodes.rs"));

/// The description of opcode `number`, if it is a known generic opcode.
pub fn info(number: u8) -> Option<&'static OpInfo> {
    if number == 0 {
        None
    } else {
        OPCODES.get(number as usize)
    }
}

/// The opcode with this generic name.
pub fn by_name(name: &str) -> Option<&'static OpInfo> {
    OPCODES[1..].iter().find(|o| o.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_known_numbers() {
        assert_eq!(info(op::label).unwrap().name, "label");
        assert_eq!(info(1).unwrap().arity, 1);
        assert_eq!(by_name("call_ext").unwrap().number, 7);
        assert_eq!(by_name("bs_match").unwrap().arity, 3);
        assert_eq!(info(MAX_OPCODE).unwrap().name, "executable_line");
        assert!(info(0).is_none());
        assert!(info(MAX_OPCODE + 1).is_none());
    }
}

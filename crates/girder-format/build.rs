//! Generates the opcode table from `genop.tsv`, the generic BEAM instruction list, so that
//! opcode numbers, names and arities are data rather than hand-copied code.

use std::{env, fmt::Write as _, fs, path::Path};

fn main() {
    let src = Path::new("genop.tsv");
    println!("cargo::rerun-if-changed={}", src.display());
    let text = fs::read_to_string(src).expect("read genop.tsv");

    let mut rows = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(cols.len() >= 4, "genop.tsv: bad line {line:?}");
        let number: u8 = cols[0].parse().expect("opcode number");
        let arity: u8 = cols[2].parse().expect("arity");
        rows.push((number, cols[1].to_string(), arity, cols[3] == "yes"));
    }
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(
            row.0 as usize,
            i + 1,
            "genop.tsv must list opcodes 1.. in order"
        );
    }

    let mut out = String::new();
    writeln!(out, "/// Highest generic opcode number known.").unwrap();
    writeln!(out, "pub const MAX_OPCODE: u8 = {};", rows.len()).unwrap();
    writeln!(out, "/// Generic opcodes by number (index 0 is unused).").unwrap();
    writeln!(out, "pub static OPCODES: [OpInfo; {}] = [", rows.len() + 1).unwrap();
    writeln!(
        out,
        "    OpInfo {{ number: 0, name: \"\", arity: 0, deprecated: true }},"
    )
    .unwrap();
    for (number, name, arity, deprecated) in &rows {
        writeln!(
            out,
            "    OpInfo {{ number: {number}, name: \"{name}\", arity: {arity}, deprecated: {deprecated} }},"
        )
        .unwrap();
    }
    writeln!(out, "];").unwrap();

    writeln!(out, "/// Named opcode numbers.").unwrap();
    writeln!(out, "#[allow(non_upper_case_globals, missing_docs)]").unwrap();
    writeln!(out, "pub mod op {{").unwrap();
    for (number, name, _, _) in &rows {
        // Raw identifiers: some opcode names (`return`, `move`, `try`) are Rust keywords.
        writeln!(out, "    pub const r#{name}: u8 = {number};").unwrap();
    }
    writeln!(out, "}}").unwrap();

    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join("opcodes.rs");
    fs::write(dest, out).unwrap();
}

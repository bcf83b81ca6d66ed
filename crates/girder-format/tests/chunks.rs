//! Chunk shapes the installed OTP 25 does not write, built here byte by byte: what OTP 26-28
//! compilers and AtomVM's packer produce.

use std::io::Read;

use girder_format::BeamFile;
use girder_format::beam::read_chunks;
use girder_format::compact::{Tag, encode};
use girder_format::opcodes::op;
use girder_format::types::TypeSet;
use girder_testkit::beam_builder::{form, u32s};
use girder_testkit::{erlang_test_file, erlc, scratch_dir};
use num_bigint::BigInt;

/// Operand builders.
fn arg(tag: Tag, v: i64, out: &mut Vec<u8>) {
    encode(tag, &BigInt::from(v), out);
}

/// A module `m` with one function `f/1` using OTP 26/27 instructions and a version-3 type
/// table, with 28's negated atom count and compact atom lengths.
fn otp27_module() -> Vec<u8> {
    let mut atoms = (-2i32).to_be_bytes().to_vec();
    for a in ["m", "f"] {
        arg(Tag::U, a.len() as i64, &mut atoms);
        atoms.extend_from_slice(a.as_bytes());
    }

    let mut code = u32s(&[16, 0, u32::from(op::executable_line), 3, 1]);
    let ins = |code: &mut Vec<u8>, opcode: u8| code.push(opcode);
    ins(&mut code, op::label);
    arg(Tag::U, 1, &mut code);
    ins(&mut code, op::func_info);
    arg(Tag::A, 1, &mut code);
    arg(Tag::A, 2, &mut code);
    arg(Tag::U, 1, &mut code);
    ins(&mut code, op::label);
    arg(Tag::U, 2, &mut code);
    // executable_line Location Index
    ins(&mut code, op::executable_line);
    arg(Tag::U, 1, &mut code);
    arg(Tag::U, 0, &mut code);
    // bs_match Fail Ctx {commands}: a list with an atom and integers.
    ins(&mut code, op::bs_match);
    arg(Tag::F, 1, &mut code);
    code.extend_from_slice(&[0x57]); // z5: typed register
    arg(Tag::X, 0, &mut code);
    arg(Tag::U, 1, &mut code);
    code.push(0x17); // z1: list
    arg(Tag::U, 3, &mut code);
    arg(Tag::A, 2, &mut code);
    arg(Tag::X, 1, &mut code);
    arg(Tag::I, -5, &mut code);
    // update_record Hint Size Src Dst {Updates}
    ins(&mut code, op::update_record);
    arg(Tag::A, 2, &mut code);
    arg(Tag::U, 3, &mut code);
    arg(Tag::X, 0, &mut code);
    arg(Tag::X, 0, &mut code);
    code.push(0x17);
    arg(Tag::U, 2, &mut code);
    arg(Tag::U, 2, &mut code);
    code.push(0x47); // z4: literal
    arg(Tag::U, 0, &mut code);
    ins(&mut code, op::r#return);
    ins(&mut code, op::int_code_end);

    // Type v3: entry 0 any (all 12 type bits), entry 1 a bitstring of unit 8.
    let mut types = u32s(&[3, 2]);
    types.extend_from_slice(&0x0fffu16.to_be_bytes());
    types.extend_from_slice(&((1u16 << 1) | (0b100 << 12)).to_be_bytes());
    types.push(7);

    // LitT in OTP 28's uncompressed form: a zero size word, then the plain table.
    let lit = [131, 100, 0, 2, b'o', b'k']; // ATOM_EXT "ok"
    let mut litt = u32s(&[0, 1, lit.len() as u32]);
    litt.extend_from_slice(&lit);

    form(&[
        (b"AtU8", atoms),
        (b"Code", code),
        (b"ImpT", u32s(&[0])),
        (b"ExpT", u32s(&[1, 2, 1, 2])),
        (b"LitT", litt),
        (b"Type", types),
        (b"Dbgi", b"opaque debug info".to_vec()),
    ])
}

#[test]
fn newer_otp_shapes_read_and_list() {
    let beam = BeamFile::parse(&otp27_module()).unwrap();
    assert_eq!(beam.atoms, ["m", "f"]);
    let types = beam.types.as_ref().unwrap();
    assert_eq!(types.version, 3);
    assert!(types.entries[0].types.is_any());
    assert_eq!(
        types.entries[1].types,
        TypeSet(TypeSet::BITSTRING | TypeSet::BS_MATCHSTATE)
    );
    assert_eq!(types.entries[1].unit, Some(8));
    assert_eq!(
        beam.other_chunks,
        vec![(*b"Dbgi", b"opaque debug info".to_vec())]
    );

    let listing = girder_format::disasm::listing(&beam).unwrap();
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(
        lines,
        [
            "module m",
            "function f/1",
            "    label 1",
            "    func_info m f 1",
            "    label 2",
            "    executable_line 1 0",
            "    bs_match L1 x0::bitstring|bs_matchstate(unit 8) [f, x1, -5]",
            "    update_record f 3 x0 x0 [2, ok]",
            "    return",
        ]
    );
}

#[test]
fn litu_reads_like_litt() {
    let dir = scratch_dir("litu");
    erlc(&[&erlang_test_file("disasm/sample.erl")], &dir);
    let good = std::fs::read(dir.join("sample.beam")).unwrap();
    let chunks = read_chunks(&good).unwrap();

    // AtomVM's packer stores the inflated LitT payload as LitU.
    let mut rebuilt = Vec::new();
    for c in &chunks {
        let data = &good[c.offset..c.offset + c.size];
        if &c.id == b"LitT" {
            let mut payload = Vec::new();
            flate2::read::ZlibDecoder::new(&data[4..])
                .read_to_end(&mut payload)
                .unwrap();
            rebuilt.push((b"LitU", payload));
        } else {
            rebuilt.push((&c.id, data.to_vec()));
        }
    }
    let with_litu = form(&rebuilt);
    let a = BeamFile::parse(&good).unwrap();
    let b = BeamFile::parse(&with_litu).unwrap();
    assert!(!a.literals.is_empty());
    assert_eq!(a.literals, b.literals);
    assert_eq!(a.code, b.code);
}

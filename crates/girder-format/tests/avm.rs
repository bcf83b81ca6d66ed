//! AtomVM `.avm` packs: round trips through `write` and `parse` with modules compiled by
//! `erlc`, a layout from AtomVM's format document, and hostile input.

use std::path::Path;

use girder_testkit::{erlc, scratch_dir};

use girder_format::avm::{
    self, AvmSection, BEAM_CODE, BEAM_START, HEADER, NORMAL_FILE, is_avm, normal_file_data, parse,
    write,
};

const MOD_A: &str = r#"-module(avm_test_a).
-export([start/0]).
start() -> avm_test_b:greet({hello, [1, 2, 3], <<"bin">>, 3.5}).
"#;

const MOD_B: &str = r#"-module(avm_test_b).
-export([greet/1]).
greet(X) -> {ok, X, "a string literal", #{key => [value]}}.
"#;

/// Compile Erlang sources with `erlc` and return each module's `.beam` bytes.
fn compile(dir: &Path, sources: &[(&str, &str)]) -> Vec<Vec<u8>> {
    sources
        .iter()
        .map(|(module, source)| {
            let src = dir.join(format!("{module}.erl"));
            std::fs::write(&src, source).expect("write Erlang source");
            erlc(&[&src], dir);
            std::fs::read(dir.join(format!("{module}.beam"))).expect("read .beam")
        })
        .collect()
}

fn beams() -> (Vec<u8>, Vec<u8>) {
    let dir = scratch_dir("avm-beams");
    let mut b = compile(&dir, &[("avm_test_a", MOD_A), ("avm_test_b", MOD_B)]);
    let _ = std::fs::remove_dir_all(&dir);
    let second = b.pop().unwrap();
    (b.pop().unwrap(), second)
}

/// A pack of the two modules and a plain file, the first module with the start flag.
fn sample_pack() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let (a, b) = beams();
    let priv_file = normal_file_data(b"hello, priv"); // 11 bytes: padding needed
    let pack = write(&[
        ("avm_test_a.beam", BEAM_CODE | BEAM_START, &a),
        ("avm_test_b.beam", BEAM_CODE, &b),
        ("myapp/priv/greeting.txt", NORMAL_FILE, &priv_file),
    ]);
    (pack, a, b)
}

fn be32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap())
}

#[test]
fn header_is_the_documented_24_bytes() {
    assert_eq!(HEADER.len(), 24);
    assert_eq!(&HEADER[..22], b"#!/usr/bin/env AtomVM\n");
    assert_eq!(&HEADER[22..], &[0, 0]);
    assert!(is_avm(&write(&[])));
    assert!(!is_avm(b"#!/usr/bin/env AtomVM\n"));
    assert!(!is_avm(b"FOR1\0\0\0\0BEAM"));
}

#[test]
fn round_trip_of_erlc_modules() {
    let (pack, a, b) = sample_pack();
    assert!(is_avm(&pack));
    assert_eq!(pack.len() % 4, 0);
    // The pack ends with packbeam's 16-byte end marker.
    assert_eq!(&pack[pack.len() - 16..], b"\0\0\0\0\0\0\0\0\0\0\0\0end\0");

    let parsed = parse(&pack).expect("parse our own pack");
    assert_eq!(parsed.len, pack.len());
    let names: Vec<&str> = parsed.sections.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "avm_test_a.beam",
            "avm_test_b.beam",
            "myapp/priv/greeting.txt"
        ]
    );

    let [sa, sb, sp] = &parsed.sections[..] else {
        panic!("three sections")
    };
    assert_eq!(sa.flags, 3);
    assert_eq!(sb.flags, 2);
    assert_eq!(sp.flags, 4);
    assert!(sa.is_beam() && sa.is_start());
    assert!(sb.is_beam() && !sb.is_start());
    assert!(!sp.is_beam() && !sp.is_start());
    assert_eq!(sa.module_name(), "avm_test_a");
    assert_eq!(sb.module_name(), "avm_test_b");
    assert_eq!(sp.module_name(), "myapp/priv/greeting.txt");

    // .beam files are a multiple of 4 long, so their data comes back unpadded.
    assert_eq!(a.len() % 4, 0);
    assert_eq!(sa.data, a);
    assert_eq!(sb.data, b);
    assert_eq!(sa.contents().unwrap(), &a[..]);
    assert_eq!(sb.contents().unwrap(), &b[..]);
    assert_eq!(
        sp.data.len(),
        16,
        "4-byte length + 11 bytes + 1 byte of padding"
    );
    assert_eq!(sp.contents().unwrap(), b"hello, priv");

    // Offsets are absolute and every section starts on a 4-byte boundary.
    for s in &parsed.sections {
        assert_eq!(s.offset % 4, 0, "{}", s.name);
        assert_eq!(&pack[s.offset..s.offset + s.data.len()], &s.data[..]);
    }
    assert_eq!(
        sa.offset,
        24 + 12 + 16,
        "\"avm_test_a.beam\\0\" is 16 bytes"
    );

    assert_eq!(
        parsed.start_section().map(|s| s.name.as_str()),
        Some("avm_test_a.beam")
    );
    assert_eq!(
        parsed.module("avm_test_b").map(|s| s.offset),
        Some(sb.offset)
    );
    assert!(parsed.section("myapp/priv/greeting.txt").is_some());
    assert!(parsed.module("greeting").is_none());
}

#[test]
fn section_layout_matches_packbeam() {
    let (a, _) = beams();
    let data = [1u8, 2, 3, 4, 5];
    let pack = write(&[
        ("m.beam", BEAM_CODE | BEAM_START, &a),
        ("x/priv/f", NORMAL_FILE, &data),
    ]);
    // First section: size counts the whole section, header included.
    let size = be32(&pack, 24) as usize;
    assert_eq!(size, 12 + 8 + a.len(), "\"m.beam\\0\" + 1 pad byte");
    assert_eq!(be32(&pack, 28), 3);
    assert_eq!(be32(&pack, 32), 0, "reserved");
    assert_eq!(&pack[36..44], b"m.beam\0\0");
    assert_eq!(&pack[44..48], b"FOR1");
    // Second section follows at offset + size; 5 data bytes padded to 8.
    let at = 24 + size;
    assert_eq!(
        be32(&pack, at) as usize,
        12 + 12 + 8,
        "\"x/priv/f\\0\" padded to 12"
    );
    assert_eq!(be32(&pack, at + 4), NORMAL_FILE);
    assert_eq!(&pack[at + 24..at + 32], &[1, 2, 3, 4, 5, 0, 0, 0]);
    assert_eq!(pack.len(), at + 32 + 16);
}

#[test]
fn empty_pack_is_header_and_end_marker() {
    let pack = write(&[]);
    assert_eq!(pack.len(), 40);
    let parsed = parse(&pack).unwrap();
    assert!(parsed.sections.is_empty());
    assert!(parsed.start_section().is_none());
}

/// The example header in AtomVM's `doc/src/packbeam-format.md` ("mylib.beam", 308 bytes,
/// flags 3, one byte of name padding) and its example `end` header, byte for byte.
#[test]
fn layout_from_atomvm_documentation() {
    let section_header = [
        0x00, 0x00, 0x01, 0x34, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x6D, 0x79, 0x6C,
        0x69, 0x62, 0x2E, 0x62, 0x65, 0x61, 0x6D, 0x00, 0x00,
    ];
    let end = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x65, 0x6E, 0x64, 0x00];
    let mut pack = HEADER.to_vec();
    pack.extend_from_slice(&section_header);
    pack.extend((0..308 - 24).map(|i| i as u8));
    pack.extend_from_slice(&end);

    let parsed = parse(&pack).expect("the documented layout parses");
    assert_eq!(parsed.sections.len(), 1);
    let s = &parsed.sections[0];
    assert_eq!(s.name, "mylib.beam");
    assert_eq!(s.module_name(), "mylib");
    assert_eq!(s.flags, BEAM_CODE | BEAM_START);
    assert_eq!(s.offset, 48);
    assert_eq!(s.data.len(), 308 - 24);
    assert_eq!(parsed.len, pack.len());

    // Our writer produces the same header bytes for the same section.
    let written = write(&[("mylib.beam", 3, &pack[48..48 + 284])]);
    assert_eq!(written, pack);
}

#[test]
fn end_marker_variants() {
    let mut pack = write(&[("a", NORMAL_FILE, &normal_file_data(b"x"))]);
    // Bytes after the end marker (erased flash) are ignored.
    let len = pack.len();
    pack.extend_from_slice(&[0xFF; 64]);
    assert_eq!(parse(&pack).unwrap().len, len);
    pack.truncate(len);

    // AtomVM's JIT cache renames the marker to "END".
    pack[len - 4..len - 1].copy_from_slice(b"END");
    assert_eq!(parse(&pack).unwrap().sections.len(), 1);

    // A marker sized as its own header (as in AtomVM's JIT tests) is accepted too.
    pack[len - 16..len - 12].copy_from_slice(&16u32.to_be_bytes());
    assert!(parse(&pack).is_ok());

    // Any other size on a flags-0 section is not.
    pack[len - 16..len - 12].copy_from_slice(&20u32.to_be_bytes());
    assert!(parse(&pack).is_err());

    // Size 0 with non-zero flags would make AtomVM loop forever.
    pack[len - 16..len - 12].copy_from_slice(&0u32.to_be_bytes());
    pack[len - 12..len - 8].copy_from_slice(&2u32.to_be_bytes());
    let e = parse(&pack).unwrap_err();
    assert_eq!(e.offset, len - 16);
    assert!(e.what.contains("size 0"), "{e}");

    // Size 0, flags 0, but another name.
    pack[len - 12..len - 8].copy_from_slice(&0u32.to_be_bytes());
    pack[len - 4..len - 1].copy_from_slice(b"eof");
    let e = parse(&pack).unwrap_err();
    assert!(e.what.contains("end"), "{e}");
}

#[test]
fn every_truncation_is_an_error() {
    let (pack, _, _) = sample_pack();
    for n in 0..pack.len() {
        let r = std::panic::catch_unwind(|| parse(&pack[..n]));
        match r {
            Ok(Err(e)) => assert!(
                e.offset <= n,
                "prefix {n}: offset {} past the input",
                e.offset
            ),
            Ok(Ok(_)) => panic!("prefix of {n} of {} bytes parsed", pack.len()),
            Err(_) => panic!("prefix of {n} bytes panicked"),
        }
    }
    assert!(parse(&pack).is_ok());
}

#[test]
fn missing_end_section() {
    let pack = write(&[("a.beam", BEAM_CODE, &[0; 8])]);
    let cut = &pack[..pack.len() - 16];
    let e = parse(cut).unwrap_err();
    assert_eq!(e.offset, cut.len());
    assert!(e.what.contains("missing end"), "{e}");
    assert!(e.chunk.is_none());
    // Also for a pack that is only the header.
    assert!(parse(&HEADER).unwrap_err().what.contains("missing end"));
}

#[test]
fn garbage_header() {
    for bad in [
        &b""[..],
        b"#!/usr/bin/env AtomVM\n\0",
        b"#!/usr/bin/env AtomVM\n\0\x01\0\0\0\0\0\0\0\0\0\0\0\0end\0",
        b"#!/usr/bin/env atomvm\n\0\0\0\0\0\0\0\0\0\0\0\0\0\0end\0",
        b"FOR1\0\0\0\x10BEAMAtU8\0\0\0\0",
    ] {
        let e = parse(bad).unwrap_err();
        assert_eq!(e.offset, 0);
        assert!(e.what.contains("not an AtomVM pack"), "{e}");
    }
}

/// Overwrite the size word of the first section of a one-section pack.
fn with_first_size(size: u32) -> Vec<u8> {
    let mut pack = write(&[("abc.beam", BEAM_CODE, &[7; 40])]);
    pack[24..28].copy_from_slice(&size.to_be_bytes());
    pack
}

#[test]
fn huge_section_size() {
    let e = parse(&with_first_size(0xFFFF_FFFF)).unwrap_err();
    assert_eq!(e.offset, 24);
    assert!(e.what.contains("past the end"), "{e}");
    let e = parse(&with_first_size(0x7FFF_FFFC)).unwrap_err();
    assert!(e.what.contains("past the end"), "{e}");
}

#[test]
fn section_size_smaller_than_header() {
    // "abc.beam\0" pads to 12, so the header is 24 bytes.
    for size in [4, 12, 15, 20] {
        let e = parse(&with_first_size(size)).unwrap_err();
        assert_eq!(e.offset, 24, "size {size}");
        assert!(e.what.contains("smaller"), "size {size}: {e}");
    }
    // Exactly the header: an empty member, then the next bytes are read as a section.
    let e = parse(&with_first_size(24)).unwrap_err();
    assert!(e.offset >= 48, "{e}");
}

#[test]
fn unaligned_section_size() {
    let e = parse(&with_first_size(24 + 40 - 2)).unwrap_err();
    assert!(e.what.contains("multiple of 4"), "{e}");
}

#[test]
fn name_without_nul() {
    let mut pack = write(&[("abc.beam", BEAM_CODE, &[7; 40])]);
    // Fill the name's NUL, its padding and all of the data with non-NUL bytes.
    for b in &mut pack[44..24 + 64] {
        *b = b'x';
    }
    // The next NUL is in the end marker, past the section: the size is too small.
    let e = parse(&pack).unwrap_err();
    assert_eq!(e.offset, 24);
    assert!(e.what.contains("NUL"), "{e}");
    // With nothing after it, there is no NUL at all.
    let e = parse(&pack[..24 + 64]).unwrap_err();
    assert_eq!(e.offset, 36);
    assert!(e.what.contains("no NUL"), "{e}");
}

#[test]
fn non_utf8_name() {
    let mut pack = write(&[("abc.beam", BEAM_CODE, &[7; 40])]);
    pack[37] = 0xFF;
    let e = parse(&pack).unwrap_err();
    assert_eq!(e.offset, 37);
    assert!(e.what.contains("UTF-8"), "{e}");
}

#[test]
fn flags_zero_before_the_end() {
    let mut pack = write(&[("abc.beam", BEAM_CODE, &[7; 40])]);
    pack[28..32].copy_from_slice(&0u32.to_be_bytes());
    let e = parse(&pack).unwrap_err();
    assert_eq!(e.offset, 24);
    assert!(e.what.contains("flags 0"), "{e}");
}

#[test]
fn contents_checks_lengths() {
    let s = AvmSection {
        name: "p/priv/x".into(),
        flags: NORMAL_FILE,
        offset: 100,
        data: vec![0, 0, 0, 9, 1, 2],
    };
    let e = s.contents().unwrap_err();
    assert_eq!(e.offset, 100);
    assert_eq!(e.file.as_deref(), Some("p/priv/x"));
    let s = AvmSection {
        data: vec![0, 0],
        ..s
    };
    assert!(s.contents().is_err());
    let s = AvmSection {
        name: "m.beam".into(),
        flags: BEAM_CODE,
        offset: 0,
        data: b"FOR1\xff\xff\xff\xffBEAM".to_vec(),
    };
    assert!(s.is_beam());
    assert_eq!(s.contents().unwrap_err().offset, 4);
    // A FOR1 header is recognised without the code flag.
    let s = AvmSection {
        flags: NORMAL_FILE,
        data: b"FOR1\0\0\0\x04BEAM".to_vec(),
        ..s
    };
    assert!(s.is_beam());
    assert_eq!(s.contents().unwrap(), b"FOR1\0\0\0\x04BEAM");
}

#[test]
fn arbitrary_bytes_after_the_header_never_panic() {
    // A cheap deterministic fuzz: mutate single bytes of a valid pack.
    let (pack, _, _) = sample_pack();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..4000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let at = 24 + (state as usize) % (pack.len() - 24);
        let mut p = pack.clone();
        p[at] = (state >> 32) as u8;
        if let Ok(parsed) = parse(&p) {
            let total: usize = parsed.sections.iter().map(|s| s.data.len()).sum();
            assert!(total <= p.len());
            for s in &parsed.sections {
                let _ = s.contents();
            }
        }
    }
}

/// The fact documented under "LitU" in `avm.rs`: `LitT` is a u32 uncompressed size and a
/// zlib stream whose inflated bytes (which packbeam stores as `LitU`) are a u32 count and
/// that many (u32 size, external term format starting with 131) entries.
#[test]
fn litu_is_inflated_litt_without_its_size_word() {
    use std::io::Read;
    let (_, b) = beams();
    assert_eq!(&b[..4], b"FOR1");
    assert_eq!(&b[8..12], b"BEAM");
    let mut at = 12;
    let mut lit_t = None;
    while at + 8 <= b.len() {
        let size = be32(&b, at + 4) as usize;
        if &b[at..at + 4] == b"LitT" {
            lit_t = Some(&b[at + 8..at + 8 + size]);
        }
        at += 8 + size.div_ceil(4) * 4;
    }
    let lit_t = lit_t.expect("erlc writes a LitT chunk for a module with literals");
    let uncompressed_size = be32(lit_t, 0) as usize;
    let mut lit_u = Vec::new();
    flate2::read::ZlibDecoder::new(&lit_t[4..])
        .read_to_end(&mut lit_u)
        .expect("zlib stream");
    assert_eq!(lit_u.len(), uncompressed_size);

    let count = be32(&lit_u, 0);
    assert!(count >= 2);
    let mut at = 4;
    for _ in 0..count {
        let size = be32(&lit_u, at) as usize;
        assert_eq!(
            lit_u[at + 4],
            131,
            "each literal is a full term_to_binary encoding"
        );
        at += 4 + size;
    }
    assert_eq!(at, lit_u.len(), "count and entries fill LitU exactly");
}

#[test]
fn writer_rejects_nul_in_names() {
    let r = std::panic::catch_unwind(|| write(&[("a\0b", BEAM_CODE, &[])]));
    assert!(r.is_err());
    let r = std::panic::catch_unwind(|| write(&[("a", avm::END, &[])]));
    assert!(r.is_err());
}

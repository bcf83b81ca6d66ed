//! Malformed `.beam` input: every failure is an `Err` naming chunk and offset, never a
//! panic or an unbounded allocation.

use std::io::Write;

use girder_format::BeamFile;
use girder_format::beam::read_chunks;
use girder_testkit::{erlang_test_file, erlc, scratch_dir};

fn sample() -> Vec<u8> {
    let dir = scratch_dir("hostile");
    erlc(&[&erlang_test_file("disasm/sample.erl")], &dir);
    std::fs::read(dir.join("sample.beam")).unwrap()
}

/// Rebuild a module with one chunk's data replaced.
fn replace_chunk(beam: &[u8], id: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut body = b"BEAM".to_vec();
    for c in read_chunks(beam).unwrap() {
        let bytes = if &c.id == id {
            data
        } else {
            &beam[c.offset..c.offset + c.size]
        };
        body.extend_from_slice(&c.id);
        body.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        body.extend_from_slice(bytes);
        body.resize(body.len().div_ceil(4) * 4, 0);
    }
    let mut out = b"FOR1".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(data).unwrap();
    z.finish().unwrap()
}

#[test]
fn the_sample_reads_and_rebuilds() {
    let good = sample();
    let beam = BeamFile::parse(&good).unwrap();
    assert_eq!(beam.module_name(), "sample");
    // Rebuilding with identical chunks gives an equal module.
    let again = replace_chunk(&good, b"none", b"");
    assert_eq!(BeamFile::parse(&again).unwrap().code, beam.code);
}

#[test]
fn every_truncation_is_an_error() {
    let good = sample();
    for len in 0..good.len() {
        let r = BeamFile::parse(&good[..len]);
        assert!(r.is_err(), "prefix of {len} bytes parsed");
    }
}

#[test]
fn byte_corruption_never_panics() {
    let good = sample();
    let mut bad = good.clone();
    for i in 0..good.len() {
        for v in [0x00, 0xff, good[i] ^ 0x08, good[i].wrapping_add(1)] {
            bad[i] = v;
            let _ = BeamFile::parse(&bad).map(|b| girder_format::disasm::listing(&b));
        }
        bad[i] = good[i];
    }
}

#[test]
fn literal_table_bombs_are_refused() {
    let good = sample();
    let err_for = |lit: &[u8]| BeamFile::parse(&replace_chunk(&good, b"LitT", lit)).unwrap_err();

    // A declared size far beyond the limit.
    let mut huge = u32::MAX.to_be_bytes().to_vec();
    huge.extend_from_slice(&zlib(&[0; 16]));
    let e = err_for(&huge);
    assert_eq!(e.chunk, Some(*b"LitT"));
    assert!(e.what.contains("too large"), "{e}");

    // Data that inflates to more than declared: stopped at the declared size.
    let mut bomb = 64u32.to_be_bytes().to_vec();
    bomb.extend_from_slice(&zlib(&vec![0; 10 << 20]));
    let e = err_for(&bomb);
    assert!(e.what.contains("64 declared"), "{e}");

    // Garbage instead of zlib data.
    let mut garbage = 100u32.to_be_bytes().to_vec();
    garbage.extend_from_slice(b"not zlib at all");
    let e = err_for(&garbage);
    assert!(e.what.contains("zlib"), "{e}");

    // A literal count larger than the inflated bytes allow.
    let mut payload = u32::MAX.to_be_bytes().to_vec();
    payload.extend_from_slice(&[0; 8]);
    let mut lit = (payload.len() as u32).to_be_bytes().to_vec();
    lit.extend_from_slice(&zlib(&payload));
    let e = err_for(&lit);
    assert!(e.what.contains("inflated table"), "{e}");
}

#[test]
fn table_counts_beyond_the_chunk_are_refused() {
    let good = sample();
    for id in [b"AtU8", b"ImpT", b"ExpT", b"LocT", b"FunT"] {
        // (Not 0xFFFFFFFF: a negative atom count means compact atom lengths, OTP 28.)
        let mut data = 0x7fff_ffffu32.to_be_bytes().to_vec();
        data.extend_from_slice(&[0; 12]);
        let e = BeamFile::parse(&replace_chunk(&good, id, &data)).unwrap_err();
        assert_eq!(e.chunk, Some(*id), "{e}");
    }
}

#[test]
fn atom_indices_are_checked() {
    let good = sample();
    // One import naming atom 9999.
    let mut imp = 1u32.to_be_bytes().to_vec();
    for v in [9999u32, 1, 0] {
        imp.extend_from_slice(&v.to_be_bytes());
    }
    let e = BeamFile::parse(&replace_chunk(&good, b"ImpT", &imp)).unwrap_err();
    assert!(e.what.contains("atom index 9999"), "{e}");
}

#[test]
fn obsolete_atom_chunk_is_named() {
    let good = sample();
    let atu8 = read_chunks(&good)
        .unwrap()
        .into_iter()
        .find(|c| &c.id == b"AtU8")
        .unwrap();
    let mut old = good.clone();
    old[atu8.offset - 8..atu8.offset - 4].copy_from_slice(b"Atom");
    let e = BeamFile::parse(&old).unwrap_err();
    assert!(e.what.contains("OTP 21"), "{e}");
}

#[test]
fn gzip_compressed_modules_read() {
    let good = sample();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&good).unwrap();
    let gz = gz.finish().unwrap();
    assert_eq!(
        BeamFile::parse(&gz).unwrap(),
        BeamFile::parse(&good).unwrap()
    );
}

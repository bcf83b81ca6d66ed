//! Damaged modules through the loader and the JIT: real OTP modules with a few bytes of
//! their code changed. The loader may refuse one with an error and the code generator may
//! refuse a function, but neither may panic or crash the process (a cheap, deterministic
//! cousin of the fuzz targets, run in every `cargo test`).

use girder_format::BeamFile;

use girder_testkit::Rng;

/// The byte range of the `Code` chunk's instructions (after its 16-byte header).
fn code_range(bytes: &[u8]) -> Option<std::ops::Range<usize>> {
    let at = bytes.windows(4).position(|w| w == b"Code")?;
    let size = u32::from_be_bytes(bytes.get(at + 4..at + 8)?.try_into().ok()?) as usize;
    let start = at + 8 + 16;
    let end = (at + 8 + size).min(bytes.len());
    (start < end).then_some(start..end)
}

#[test]
fn damaged_modules_are_refused_or_compiled_never_crash() {
    let ebin = girder_testkit::otp_root().join("lib");
    let stdlib = std::fs::read_dir(&ebin)
        .expect("OTP lib dir")
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("stdlib-"))
        })
        .expect("stdlib in OTP")
        .join("ebin");
    let mut loaded = 0;
    let mut refused = 0;
    for name in [
        "lists",
        "maps",
        "string",
        "binary",
        "io_lib_format",
        "gen_server",
    ] {
        let path = stdlib.join(format!("{name}.beam"));
        let original = std::fs::read(&path).expect("stdlib module");
        let range = code_range(&original).expect("a Code chunk");
        for seed in 1..=25u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ name.len() as u64);
            let mut bytes = original.clone();
            for _ in 0..1 + rng.below(4) as usize {
                let at = range.start + rng.below(range.len() as u64) as usize;
                bytes[at] = rng.next() as u8;
            }
            let case = format!("{name} seed {seed}");
            let Ok(beam) = BeamFile::parse_file(&bytes, &case) else {
                refused += 1;
                continue;
            };
            let module = match girder_runtime::loader::load(&beam, &case) {
                Ok(m) => m,
                Err(_) => {
                    refused += 1;
                    continue;
                }
            };
            loaded += 1;
            let mut report = girder_jit::Report::default();
            girder_jit::report_module(module, None, &mut report);
            for (function, why) in &report.failures {
                assert!(
                    !why.contains("panicked"),
                    "{case}: the code generator panicked on {function}: {why}"
                );
            }
        }
    }
    // Both outcomes must occur, or the test no longer tests what it says.
    assert!(
        loaded > 0 && refused > 0,
        "loaded {loaded}, refused {refused}"
    );
}

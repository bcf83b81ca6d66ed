//! Any bytes the `.beam` reader and the loader accept, pushed through the JIT's code
//! generator: a module or function refused with an error, never a panic or a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(beam) = girder_format::BeamFile::parse(data) else {
        return;
    };
    let Ok(module) = girder_runtime::loader::load(&beam, "fuzz.beam") else {
        return;
    };
    let mut report = girder_jit::Report::default();
    girder_jit::report_module(module, None, &mut report);
    assert!(
        report.failures.iter().all(|(_, why)| !why.contains("panicked")),
        "{:?}",
        report.failures
    );
});

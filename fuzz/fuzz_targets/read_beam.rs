//! Any bytes given to the `.beam` reader and the disassembler: an error or a listing,
//! never a panic, a hang or an unbounded allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(beam) = girder_format::BeamFile::parse(data) {
        let _ = girder_format::disasm::listing(&beam);
        let _ = girder_format::disasm::chunk_listing(&beam);
    }
});

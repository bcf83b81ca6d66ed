//! Any bytes given to the `.avm` pack reader, and every module found in it to the `.beam`
//! reader.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(pack) = girder_format::avm::parse(data) {
        for section in &pack.sections {
            if let Ok(bytes) = section.contents() {
                let _ = girder_format::BeamFile::parse(bytes);
            }
        }
    }
});

//! Any bytes given to the external term format decoder; whatever decodes must re-encode
//! and decode to the same term.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(term) = girder_format::etf::decode(data) {
        let again = girder_format::etf::decode(&girder_format::etf::encode(&term))
            .expect("re-encoded term decodes");
        assert_eq!(again, term);
        let _ = term.to_string();
    }
});

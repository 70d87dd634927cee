//! Arbitrary text as a module catalog file (`--catalog DIR`, `catalog_dirs`) through
//! `Catalog::add_text`, then lookups. Asserted: no panic; an error names its source; a
//! catalog that loads answers lookups for exact, wildcard and unknown modules.
#![no_main]

use bplint::live::Catalog;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut catalog = Catalog::default();
    if let Err(e) = catalog.add_text(text, "fuzz.toml") {
        assert!(e.starts_with("fuzz.toml"), "the error names no file: {e}");
        return;
    }
    for module in [
        "slack:CreateMessage",
        "google-sheets:addRow",
        "http:ActionSendData",
        "nocolon",
        ":",
        "",
    ] {
        let info = catalog.lookup(module);
        for need in &info.scopes {
            let _ = need.display();
            let _ = need.is_met_by(&need.any_of);
        }
    }
});

//! Arbitrary text as a remap map file (`remap --map-file`) through `remap::parse_map_text`,
//! which `load_map_file` calls on the file's text (a JSON object or `OLD=NEW` lines), and as
//! `--map` entries through `remap::parse_pairs`. Asserted: no panic; an error names its
//! source; a map that loads has positive ids only, and written back in either form loads as
//! the same map.
#![no_main]

use bplint::remap::{IdMap, parse_map_text, parse_pairs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut from_file = IdMap::new();
    check(
        parse_map_text(text, "fuzz.map", &mut from_file),
        "fuzz.map",
        &from_file,
    );
    let mut from_flag = IdMap::new();
    check(
        parse_pairs(text, "--map", &mut from_flag),
        "--map",
        &from_flag,
    );
});

fn check(result: Result<(), String>, source: &str, map: &IdMap) {
    if let Err(e) = result {
        assert!(e.starts_with(source), "the error names no source: {e}");
        return;
    }
    assert!(map.iter().all(|(old, new)| *old > 0 && *new > 0), "{map:?}");
    let lines: String = map
        .iter()
        .map(|(old, new)| format!("{old}={new}\n"))
        .collect();
    let mut back = IdMap::new();
    parse_map_text(&lines, "lines", &mut back).expect("written lines load");
    assert_eq!(&back, map);
    let object: serde_json::Map<String, serde_json::Value> = map
        .iter()
        .map(|(old, new)| (old.to_string(), (*new).into()))
        .collect();
    let json = serde_json::Value::Object(object).to_string();
    let mut back = IdMap::new();
    parse_map_text(&json, "json", &mut back).expect("written JSON loads");
    assert_eq!(&back, map);
}

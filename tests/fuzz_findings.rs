//! What the fuzz targets in `fuzz/` found, through the real binary: each a clear error and
//! exit 2, never an empty message or a panic.

mod support;

use support::bin::run_in;

#[test]
fn a_config_with_a_control_character_outside_a_string_names_it_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    // fuzz/fuzz_targets/config.rs: toml gives no message for this; the error had none.
    std::fs::write(dir.path().join("bplint.toml"), "#\0").unwrap();
    let r = run_in(dir.path(), &["check", "."]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("invalid TOML: control character U+0000 is not allowed here"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("bplint.toml:1:2"), "{}", r.stderr);
}

#[test]
fn a_rule_file_error_inside_a_multibyte_character_is_shown_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    // fuzz/fuzz_targets/rule_file.rs: the JSONPath error's position cut U+0489 in half.
    std::fs::write(
        dir.path().join("rules/bad.toml"),
        "[[rule]]\ncode = \"T001\"\nname = \"bad\"\ngiven = \"$[?@\u{489}apper]\"\n\
         message = \"m\"\nthen = { function = \"defined\" }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("a.json"), r#"{"name": "n", "flow": []}"#).unwrap();
    let r = run_in(dir.path(), &["check", "a.json", "--rules", "rules"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("invalid JSONPath in `given`") && r.stderr.contains("bad.toml"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

//! `bplint config schema` and docs/bplint.schema.json: the schema accepts exactly the keys,
//! values and required keys the config parser does (asked of the parser itself, so a key added
//! to `config.rs` without the schema fails here), the README's example validates, and a
//! misspelled key does not.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use bplint::config::Config;
use bplint::rules::RuleSet;
use serde_json::Value;
use support::bin::run;

fn schema() -> Value {
    serde_json::from_str(bplint::commands::config::SCHEMA).expect("the schema is JSON")
}

fn validator() -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema())
        .expect("a usable JSON Schema")
}

/// A TOML text as the JSON value the schema sees (what taplo validates too).
fn as_json(toml_text: &str) -> Value {
    toml::from_str(toml_text).expect("valid TOML")
}

fn parse(text: &str) -> Result<Config, String> {
    Config::parse(text, Path::new("bplint.toml"), &RuleSet::builtin()).map_err(|e| e.to_string())
}

/// The names serde lists after "expected one of" / "expected" in an error message.
fn listed_names(message: &str) -> BTreeSet<String> {
    let (_, list) = message
        .split_once("expected")
        .unwrap_or_else(|| panic!("no list of names in {message:?}"));
    list.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The keys the parser accepts in the table `header` opens (`""` for the top level), read
/// from the error it gives for an unknown one.
fn parser_keys(header: &str) -> BTreeSet<String> {
    let text = format!("{header}\nzz_not_a_key = 1\n");
    let message = parse(&text).expect_err("an unknown key is refused");
    assert!(message.contains("unknown field"), "{message}");
    listed_names(&message)
}

/// The keys the parser requires in the table `header` opens, one "missing field" at a time.
fn parser_required(header: &str) -> BTreeSet<String> {
    let mut required = BTreeSet::new();
    let mut text = format!("{header}\n");
    loop {
        match parse(&text) {
            Err(m) if m.starts_with("missing field") => {
                let name = m.split('`').nth(1).unwrap().to_string();
                // Any value of the right type: each required key here is a list or a table.
                let value = match name.as_str() {
                    "paths" => "[\"x/**\"]",
                    "rules" => "{}",
                    _ => "\"x\"",
                };
                text.push_str(&format!("{name} = {value}\n"));
                required.insert(name);
            }
            _ => return required,
        }
    }
}

fn names(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn list(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

#[test]
fn the_schema_has_exactly_the_keys_the_parser_accepts() {
    let schema = schema();
    let top = &schema["properties"];
    assert_eq!(names(top), parser_keys(""), "top-level keys");
    assert_eq!(schema["additionalProperties"], false);
    for (key, header) in [
        ("teams", "[[teams]]"),
        ("overrides", "[[overrides]]"),
        ("ignore", "[[ignore]]"),
    ] {
        let item = &top[key]["items"];
        assert_eq!(names(&item["properties"]), parser_keys(header), "[[{key}]]");
        assert_eq!(item["additionalProperties"], false, "[[{key}]]");
        assert_eq!(
            list(&item["required"]),
            parser_required(header),
            "[[{key}]] required"
        );
    }
    assert!(parser_required("").is_empty());
}

#[test]
fn the_schema_has_exactly_the_values_the_parser_accepts() {
    let schema = schema();
    let level = parse("[rules]\nBP011 = \"zz\"\n").unwrap_err();
    assert_eq!(
        list(&schema["definitions"]["level"]["enum"]),
        listed_names(&level)
    );
    let fail_on = parse("fail_on = \"zz\"\n").unwrap_err();
    assert_eq!(
        list(&schema["properties"]["fail_on"]["enum"]),
        listed_names(&fail_on)
    );
}

/// The README's example `bplint.toml` (the first TOML block after its "Configuration" heading).
fn readme_example() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let (_, section) = readme
        .split_once("## Configuration (`bplint.toml`)")
        .expect("the README documents the config");
    let (_, block) = section.split_once("```toml\n").unwrap();
    block.split_once("```").unwrap().0.to_string()
}

#[test]
fn the_readme_example_validates_and_parses() {
    let example = readme_example();
    assert!(example.contains("[[ignore]]"), "{example}");
    let v = validator();
    let doc = as_json(&example);
    let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    parse(&example).expect("the parser takes it too");
}

#[test]
fn misspelled_keys_and_bad_values_fail_both() {
    let v = validator();
    let example = readme_example();
    let cases = [
        example.replace("expiry_warning_days", "expiry_warn_days"),
        example.replace("reason =", "reasons ="),
        example.replace("[[overrides]]", "[[override]]"),
        example.replace("fail_on = \"warning\"", "fail_on = \"warnings\""),
        example.replace("BP102 = \"off\"", "BP102 = \"of\""),
        example.replace("team = 123", "team = \"123\""),
        "[[teams]]\npaths = [\"a/**\"]\n".to_string(),
        "[[ignore]]\nrule = \"BP020\"\nreason = \" \"\n".to_string(),
    ];
    for text in &cases {
        assert_ne!(text, &example);
        assert!(!v.is_valid(&as_json(text)), "the schema accepts:\n{text}");
        assert!(parse(text).is_err(), "the parser accepts:\n{text}");
    }
}

#[test]
fn config_schema_prints_the_schema_even_beside_a_broken_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bplint.toml"), "tema = 5\n").unwrap();
    let r = support::bin::run_in(dir.path(), &["config", "schema"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json(), schema());
    assert_eq!(r.stdout, bplint::commands::config::SCHEMA);

    let r = run(&["config"]);
    assert_eq!(r.code, 2, "a subcommand is needed");
    assert!(r.stderr.contains("schema"), "{}", r.stderr);
}

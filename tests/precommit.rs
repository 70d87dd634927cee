//! .pre-commit-hooks.yaml: both hooks run the same check, and the system hook's `entry`, run
//! as pre-commit runs it (entry words, then the staged file names), fails on a placeholder
//! connection and passes a clean file, with the built binary as the installed `bplint`.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use support::bin::run_cmd;

/// The hooks, id -> their `key: value` lines (the file is a flat list of flat mappings).
fn hooks() -> BTreeMap<String, BTreeMap<String, String>> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let mut hooks = BTreeMap::new();
    let mut current: Option<(String, BTreeMap<String, String>)> = None;
    for line in text.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (start, body) = match line.strip_prefix("- ") {
            Some(rest) => (true, rest),
            None => (false, line.strip_prefix("  ").expect("two-space indent")),
        };
        if start {
            if let Some((id, h)) = current.take() {
                hooks.insert(id, h);
            }
        }
        let (key, value) = body.split_once(": ").expect("key: value");
        let entry = current.get_or_insert_with(|| (String::new(), BTreeMap::new()));
        if key == "id" {
            entry.0 = value.to_string();
        }
        entry.1.insert(key.to_string(), value.to_string());
    }
    if let Some((id, h)) = current {
        hooks.insert(id, h);
    }
    hooks
}

#[test]
fn both_hooks_run_the_same_check_and_one_needs_no_compiler() {
    let hooks = hooks();
    let rust = &hooks["bplint"];
    let system = &hooks["bplint-system"];
    assert_eq!(rust["language"], "rust");
    assert_eq!(system["language"], "system");
    for key in ["entry", "files", "pass_filenames"] {
        assert_eq!(rust[key], system[key], "`{key}` differs");
    }
    for h in [rust, system] {
        assert!(h["description"].len() > 20);
    }
    let files = regex::Regex::new(&system["files"]).unwrap();
    for (name, wanted) in [
        ("scenarios/a.json", true),
        ("b.blueprint", true),
        ("lead-router.blueprint.json", true),
        ("bplint.toml", false),
        ("a.json.bak", false),
        (".pre-commit-config.yaml", false),
    ] {
        assert_eq!(files.is_match(name), wanted, "{name}");
    }
}

#[test]
fn the_system_hook_entry_fails_a_placeholder_and_passes_a_clean_file() {
    let hooks = hooks();
    let entry: Vec<&str> = hooks["bplint-system"]["entry"].split_whitespace().collect();
    assert_eq!(entry[0], "bplint", "the installed binary, by name");

    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(
        root.join("fixtures/cases/clean/ok.json"),
        dir.path().join("clean.json"),
    )
    .unwrap();
    let bp = r#"{"name":"p","flow":[{"id":1,"module":"slack:CreateMessage","version":4,
        "parameters":{"__IMTCONN__":"<CONN_01>"},"mapper":{"channel":"C024BE91L","text":"hi"}}],
        "metadata":{"version":1}}"#;
    std::fs::write(dir.path().join("placeholder.json"), bp).unwrap();

    // pre-commit runs: entry words, then the file names, from the repository root.
    let hook = |files: &[&str]| {
        // pre-commit runs bplint with its shipped declarative rules.
        let cmd = support::bin::with_shipped_rules(support::bin::bplint_in(dir.path()));
        let mut args: Vec<&str> = entry[1..].to_vec();
        args.extend(files);
        run_cmd(cmd, &args)
    };
    let r = hook(&["placeholder.json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("BP011"), "{}", r.stdout);
    assert!(r.stdout.contains("placeholder.json"), "{}", r.stdout);

    let r = hook(&["clean.json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // Several staged files: any finding fails the commit.
    let r = hook(&["clean.json", "placeholder.json"]);
    assert_eq!(r.code, 1);
}

//! `bplint init`: the bplint.toml it writes for a repository (guessed zone, team, include and
//! exclude), that it never overwrites one unasked, and the snippets it prints.

mod support;

use std::path::Path;

use serde_json::Value;
use support::bin::run_in;

fn copy(from: &str, dir: &Path, to: &str) {
    let to = dir.join(to);
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join(from), to).unwrap();
}

/// A repository as teams keep them: blueprints in a folder, a snapshot beside them, templates
/// that are not valid JSON, and unrelated JSON at the top.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    copy(
        "fixtures/demo/weekly-digest.json",
        d,
        "scenarios/weekly-digest.json",
    );
    copy(
        "fixtures/demo/lead-router.blueprint.json",
        d,
        "scenarios/sales/lead-router.blueprint.json",
    );
    copy(
        "fixtures/demo/connections.json",
        d,
        "scenarios/connections.json",
    );
    copy(
        "fixtures/cases/template-invalid.json",
        d,
        "templates/slack.json",
    );
    std::fs::write(
        d.join("package.json"),
        r#"{"name": "x", "version": "1.0.0"}"#,
    )
    .unwrap();
    dir
}

fn schema_validates(toml_text: &str) -> Vec<String> {
    let schema: Value = serde_json::from_str(bplint::commands::config::SCHEMA).unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let doc: Value = toml::from_str(toml_text).unwrap();
    v.iter_errors(&doc).map(|e| e.to_string()).collect()
}

#[test]
fn init_writes_a_config_guessed_from_the_repository() {
    let dir = repository();
    let r = run_in(dir.path(), &["init"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(dir.path().join("bplint.toml")).unwrap();
    for line in [
        "zone = \"eu1\"\n",
        "team = 100\n",
        "include = [\"scenarios/**\"]\n",
        "exclude = [\"templates/**\"]\n",
        "#:schema https://raw.githubusercontent.com/bplint/bplint/main/docs/bplint.schema.json\n",
    ] {
        assert!(text.contains(line), "no {line:?} in\n{text}");
    }
    assert!(
        text.lines().filter(|l| l.starts_with('#')).count() > 20,
        "commented"
    );
    assert!(
        schema_validates(&text).is_empty(),
        "{:?}",
        schema_validates(&text)
    );
    assert!(
        r.stderr.contains("wrote bplint.toml: 2 blueprint(s)"),
        "{}",
        r.stderr
    );

    // The snippets: both on stdout, for this repository's folders and snapshot.
    let version = env!("CARGO_PKG_VERSION");
    for part in [
        "# .pre-commit-config.yaml\n",
        "  - repo: https://github.com/bplint/bplint\n",
        &format!("    rev: v{version}\n"),
        "      - id: bplint-system\n",
        "        files: \"^(scenarios)/.*\\\\.(json|blueprint)$\"\n",
        "        exclude: \"^scenarios/connections\\\\.json$\"\n",
        "# .github/workflows/bplint.yml\n",
        &format!("      - uses: bplint/bplint@v{version}\n"),
        "          paths: \"scenarios\"\n",
        "          connections: \"scenarios/connections.json\"\n",
        "          upload-sarif: true\n",
        "  security-events: write",
    ] {
        assert!(r.stdout.contains(part), "no {part:?} in\n{}", r.stdout);
    }

    // The config is what the next check uses: only the blueprint folder is walked (no BP001
    // for the templates), with the guessed zone and team.
    let r = run_in(
        dir.path(),
        &[
            "check",
            "--connections",
            "scenarios/connections.json",
            "--format",
            "json",
            "--now",
            "2026-03-01",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["summary"]["blueprints"], 2);
    let files: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert!(
        files.iter().all(|f| f.starts_with("scenarios/")),
        "{files:?}"
    );
    assert!(!files.is_empty());
}

#[test]
fn init_never_overwrites_unasked() {
    let dir = repository();
    let config = dir.path().join("bplint.toml");
    // A broken config stops neither the refusal nor --force (it is what --force is for).
    std::fs::write(&config, "tema = 5\n").unwrap();
    let r = run_in(dir.path(), &["init"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("bplint.toml already exists; `bplint init --force` overwrites it"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&config).unwrap(), "tema = 5\n");

    let r = run_in(dir.path(), &["init", "--force"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        std::fs::read_to_string(&config)
            .unwrap()
            .contains("zone = \"eu1\"")
    );
}

#[test]
fn init_in_an_empty_folder_writes_every_key_commented() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(dir.path(), &["init"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(dir.path().join("bplint.toml")).unwrap();
    for line in [
        "# zone = \"eu1\"\n",
        "# team = 123\n",
        "# include = [\"scenarios/**\"]\n",
    ] {
        assert!(text.contains(line), "no {line:?} in\n{text}");
    }
    assert!(schema_validates(&text).is_empty());
    assert!(
        r.stdout.contains("          paths: \".\"\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("MAKE_API_TOKEN: ${{ secrets.MAKE_API_TOKEN }}")
    );
    let r = run_in(dir.path(), &["check"]);
    assert_eq!(r.code, 0, "the written config loads: {}", r.stderr);
}

//! One test per command: `bplint.toml` applies to it, and a flag beats the file. The settings
//! are resolved once for every command (flags > environment > bplint.toml > defaults).

mod support;

use std::path::Path;

use serde_json::Value;
use support::bin::{Run, codes, ids, run_in};

const NOW: &str = "2026-03-01T00:00:00Z";

/// A fresh folder (removed when dropped) holding the demo blueprints under `bp/`, their
/// snapshot, and `config` as bplint.toml. `name` says which test it is for, in the folder name.
fn project(name: &str, config: &str) -> tempfile::TempDir {
    let tmp = tempfile::Builder::new().prefix(name).tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("bp")).unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    for f in ["lead-router.blueprint.json", "weekly-digest.json"] {
        std::fs::copy(demo.join(f), dir.join("bp").join(f)).unwrap();
    }
    std::fs::copy(demo.join("connections.json"), dir.join("connections.json")).unwrap();
    std::fs::write(dir.join("bplint.toml"), config).unwrap();
    tmp
}

fn json_of(run: &Run) -> Value {
    run.json()
}

fn ref_files(v: &Value) -> Vec<String> {
    let mut files: Vec<String> = v["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["file"].as_str().unwrap().to_string())
        .collect();
    files.dedup();
    files
}

#[test]
fn check_takes_fail_on_and_max_file_size_from_the_config_and_flags_win() {
    let dir = project("check", "fail_on = \"never\"\n");
    let run = run_in(dir.path(), &["check", "bp", "--format", "json"]);
    assert_eq!(run.code, 0, "fail_on = never: {}", run.stderr);
    assert!(!codes(&run.json()).is_empty(), "the demo has findings");
    let run = run_in(
        dir.path(),
        &["check", "bp", "--format", "json", "--fail-on", "warning"],
    );
    assert_eq!(run.code, 1, "--fail-on beats the config: {}", run.stderr);

    let dir = project("check-size", "max_file_size = 10\n");
    let run = run_in(dir.path(), &["check", "bp", "--format", "json"]);
    assert!(
        codes(&run.json()).iter().all(|c| c == "BP007"),
        "{}",
        run.stdout
    );
    let run = run_in(
        dir.path(),
        &[
            "check",
            "bp",
            "--format",
            "json",
            "--max-file-size",
            "1000000",
        ],
    );
    assert!(!codes(&run.json()).contains(&"BP007".to_string()));
}

#[test]
fn baseline_reads_the_same_settings_as_check() {
    let dir = project("baseline", "exclude = [\"bp/weekly-digest.json\"]\n");
    let args = [
        "baseline",
        "bp",
        "--connections",
        "connections.json",
        "--now",
        NOW,
        "--output",
        "base.json",
    ];
    let run = run_in(dir.path(), &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(dir.path().join("base.json")).unwrap();
    assert!(text.contains("lead-router"), "{text}");
    assert!(
        !text.contains("weekly-digest"),
        "excluded by the config: {text}"
    );
}

#[test]
fn refs_applies_exclude_and_max_file_size_and_the_flag_wins() {
    let dir = project("refs", "exclude = [\"bp/weekly-digest.json\"]\n");
    let v = json_of(&run_in(dir.path(), &["refs", "bp", "--format", "json"]));
    assert_eq!(ref_files(&v), vec!["bp/lead-router.blueprint.json"]);

    let dir = project("refs-size", "max_file_size = 10\n");
    let run = run_in(dir.path(), &["refs", "bp", "--format", "json"]);
    let v = json_of(&run);
    assert!(ref_files(&v).is_empty(), "too large for the config: {v}");
    assert_eq!(v["problems"].as_array().unwrap().len(), 2, "{v}");
    let run = run_in(
        dir.path(),
        &[
            "refs",
            "bp",
            "--format",
            "json",
            "--max-file-size",
            "1000000",
        ],
    );
    assert_eq!(ref_files(&json_of(&run)).len(), 2);
}

#[test]
fn inventory_applies_expiry_warning_days_and_exclude_and_the_flag_wins() {
    let config = "expiry_warning_days = 3\nexclude = [\"bp/weekly-digest.json\"]\n";
    let dir = project("inventory", config);
    let base = [
        "inventory",
        "bp",
        "--team",
        "100",
        "--connections",
        "connections.json",
        "--now",
        NOW,
        "--format",
        "json",
    ];
    let v = json_of(&run_in(dir.path(), &base));
    assert_eq!(
        ids(&v, "expiring"),
        Vec::<u64>::new(),
        "1006 expires in 7 days: {v}"
    );
    let used: Vec<u64> = v["connections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["used_by"].as_array().unwrap().is_empty())
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    assert!(!used.is_empty());
    let mut args = base.to_vec();
    args.extend(["--expiry-warning-days", "14"]);
    let v = json_of(&run_in(dir.path(), &args));
    assert_eq!(ids(&v, "expiring"), vec![1006], "the flag wins");

    // Without the exclude the weekly digest's connections count as used too.
    let all = project("inventory-all", "");
    let everything = json_of(&run_in(all.path(), &base));
    assert!(
        ids(&everything, "unused").len() < ids(&v, "unused").len(),
        "{v}"
    );
}

/// The API commands take the zone from bplint.toml: a bad one is named as the config's; a
/// `--zone` beats it (and the run then stops at the missing token, before any request).
fn assert_zone_applies(name: &str, args: &[&str]) {
    let dir = project(name, "zone = \"nowhere\"\n");
    let run = run_in(dir.path(), args);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("bplint.toml `zone`"),
        "{name}: {}",
        run.stderr
    );
    let mut with_flag = args.to_vec();
    with_flag.extend(["--zone", "eu1"]);
    let run = run_in(dir.path(), &with_flag);
    assert_eq!(run.code, 2);
    assert!(
        !run.stderr.contains("bplint.toml"),
        "{name}: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("MAKE_API_TOKEN"),
        "{name}: {}",
        run.stderr
    );
}

#[test]
fn remap_takes_the_zone_from_the_config_and_the_flag_wins() {
    assert_zone_applies(
        "remap",
        &["remap", "bp", "--map", "1001=2001", "--online", "--dry-run"],
    );
}

#[test]
fn pull_takes_the_zone_from_the_config_and_the_flag_wins() {
    assert_zone_applies("pull", &["pull", "--team", "100", "--out", "pulled"]);
}

#[test]
fn connections_export_takes_the_zone_from_the_config_and_the_flag_wins() {
    assert_zone_applies("export", &["connections", "export", "--team", "100"]);
}

#[test]
fn rules_and_explain_take_rule_folders_from_the_config() {
    let packs = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rule-files/team/acme.toml");
    let config = format!("rules_dirs = [{:?}]\n", packs.display().to_string());
    let dir = project("rules", &config);
    let run = run_in(dir.path(), &["rules", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = run.json();
    let pack: Vec<&Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["origin"].as_str().is_some_and(|o| o != "builtin"))
        .collect();
    assert!(
        !pack.is_empty(),
        "the config's rule folder is loaded: {rows}"
    );
    let code = pack[0]["code"].as_str().unwrap();
    let run = run_in(dir.path(), &["explain", code]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(code));
}

#[test]
fn completions_run_whatever_the_config_says() {
    let dir = project("completions", "zone = \"nowhere\"\nfail_on = \"never\"\n");
    let run = run_in(dir.path(), &["completions", "bash"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("bplint"));
}

#[test]
fn the_harness_scrubs_the_test_runners_environment() {
    // A developer's own settings must not reach the binary: every other run in this file would
    // see this zone if the harness let it through.
    // SAFETY: the other tests of this binary only read the environment through the harness,
    // which removes exactly this variable from what it starts.
    unsafe { std::env::set_var("BPLINT_ZONE", "nowhere") };
    let dir = project("scrubbed", "");
    let run = run_in(dir.path(), &["connections", "export", "--team", "100"]);
    assert_eq!(run.code, 2);
    assert!(!run.stderr.contains("BPLINT_ZONE"), "{}", run.stderr);
    assert!(run.stderr.contains("needs --zone"), "{}", run.stderr);
}

#[test]
fn bind_takes_the_zone_from_the_config_and_the_flag_wins() {
    assert_zone_applies("bind", &["bind", "--team", "100", "--online", "bp"]);
}

#[test]
fn catalog_takes_catalog_folders_and_the_zone_from_the_config() {
    let dir = project("catalog", "catalog_dirs = [\"more\"]\n");
    std::fs::create_dir_all(dir.path().join("more")).unwrap();
    std::fs::write(
        dir.path().join("more/acme.toml"),
        "[[module]]\nmatch = \"acme:*\"\ntypes = [\"acme2\"]\nscopes = [\"contacts:write\"]\n",
    )
    .unwrap();
    let run = run_in(dir.path(), &["catalog", "acme:CreateContact"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("acme2"), "{}", run.stdout);
    assert!(run.stdout.contains("contacts:write"), "{}", run.stdout);
    // Without the config's folder the module is unknown.
    let bare = project("catalog-bare", "");
    let run = run_in(bare.path(), &["catalog", "acme:CreateContact"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("acme2"), "{}", run.stdout);
    assert_zone_applies("catalog", &["catalog", "acme:CreateContact", "--online"]);
}

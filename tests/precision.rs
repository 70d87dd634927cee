//! The precision corpus (fixtures/precision/README.md): every blueprint there states exactly
//! the findings it must produce, and every one under `ok/` must produce none. One run of the
//! real binary per file, with the shipped rules and no configuration.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use support::bin::{Run, run_cmd, with_shipped_rules};

mod support;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const CORPUS: &str = "fixtures/precision";
/// Every secret value in the corpus contains this marker (case aside).
const SECRET_MARKER: &str = "leakme";

/// The binary as users run it: shipped rules on, no token, no colors, no config but the
/// corpus's own (there is none).
fn bplint() -> Command {
    with_shipped_rules(support::bin::bplint_in(Path::new(ROOT)))
}

fn run(args: &[&str]) -> Run {
    run_cmd(bplint(), args)
}

fn json_of(file: &str) -> (i32, Value) {
    let r = run(&["check", file, "--format", "json"]);
    let v = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{file}: not JSON ({e}): {}\n{}", r.stdout, r.stderr));
    (r.code, v)
}

/// `CODE line:col severity` of each finding, sorted.
fn findings(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{} {}:{} {}",
                f["code"].as_str().unwrap_or_default(),
                f["start"]["line"],
                f["start"]["column"],
                f["severity"].as_str().unwrap_or_default()
            )
        })
        .collect();
    out.sort();
    out
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn relative(path: &Path) -> String {
    path.strip_prefix(ROOT)
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/")
}

#[test]
fn every_file_produces_exactly_the_findings_it_states() {
    let dir = Path::new(ROOT).join(CORPUS);
    let files = json_files(&dir);
    assert!(files.len() >= 10, "{files:?}");
    let mut failures = Vec::new();
    for path in files {
        let file = relative(&path);
        let expect_path = path.with_extension("expect");
        let text = std::fs::read_to_string(&expect_path)
            .unwrap_or_else(|e| panic!("{file} states no findings ({e})"));
        let mut expected: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        expected.sort();
        let (code, v) = json_of(&file);
        assert_eq!(v["errors"].as_array().map(Vec::len), Some(0), "{file}: {v}");
        let got = findings(&v);
        if got != expected {
            failures.push(format!(
                "{file}\n  expected: {expected:?}\n  got:      {got:?}"
            ));
        }
        let fails = expected
            .iter()
            .any(|l| l.ends_with(" error") || l.ends_with(" warning"));
        assert_eq!(code, i32::from(fails), "{file}: exit code");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_expect_file_has_its_blueprint() {
    let dir = Path::new(ROOT).join(CORPUS);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "expect") {
            assert!(
                path.with_extension("json").is_file(),
                "{} has no blueprint",
                path.display()
            );
        }
    }
}

#[test]
fn ok_files_produce_no_finding_at_all() {
    let dir = Path::new(ROOT).join(CORPUS).join("ok");
    let files = json_files(&dir);
    assert!(files.len() >= 4, "{files:?}");
    for path in files {
        let file = relative(&path);
        let (code, v) = json_of(&file);
        assert_eq!(findings(&v), Vec::<String>::new(), "{file}");
        assert_eq!(code, 0, "{file}");
    }
}

#[test]
fn no_secret_of_the_corpus_reaches_any_output() {
    for format in ["human", "compact", "json", "sarif", "github", "junit"] {
        let r = run(&["check", CORPUS, "--format", format]);
        assert_eq!(r.code, 1, "{format}: {}", r.stderr);
        for (stream, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
            assert!(
                !text.to_ascii_lowercase().contains(SECRET_MARKER),
                "{format} {stream} shows a secret:\n{text}"
            );
        }
    }
    let r = run(&["refs", CORPUS, "--format", "json"]);
    assert!(!r.stdout.to_ascii_lowercase().contains(SECRET_MARKER));
}

/// The message of the only finding with `code` in `file`.
fn message(file: &str, code: &str) -> String {
    let (_, v) = json_of(&format!("{CORPUS}/{file}"));
    let hits: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .collect();
    assert_eq!(hits.len(), 1, "{file} {code}: {v}");
    hits[0]["message"].as_str().unwrap().to_string()
}

#[test]
fn messages_say_what_an_expert_needs() {
    let bp200 = message("error-handlers-dlq-off.json", "BP200");
    assert!(
        bp200.starts_with(
            "3 of 4 modules that call outside services have no error handler: 2, 6, 8 (or store incomplete executions here"
        ),
        "{bp200}"
    );
    assert_eq!(
        message("disabled-routes.json", "BP022"),
        "2 routes are disabled (route 2 of module 2 (builtin:BasicRouter), route 3 of module 2 (builtin:BasicRouter)): their 4 module(s) never run and are left out of the checks of the scenario's flow"
    );
    let (_, v) = json_of(&format!("{CORPUS}/filter-label-only.json"));
    let first = &v["findings"][0];
    assert_eq!(
        first["message"],
        "the filter \"Approved only\" on module 4 (util:SetVariable2) has no conditions: every bundle passes"
    );
    assert!(
        !first["message"].as_str().unwrap().contains("fewer than"),
        "no schema jargon"
    );
    assert!(first["help"].as_str().unwrap().contains("fallback route"));
    let (_, v) = json_of(&format!("{CORPUS}/editor-messages.json"));
    assert_eq!(
        v["findings"][1]["message"],
        "Make's editor says (setup) about module 2 (email:ActionSendEmail): Value must not be empty. (2 times)"
    );
    let (_, v) = json_of(&format!("{CORPUS}/connection-type-not-allowed.json"));
    assert_eq!(
        v["findings"][0]["pointer"],
        "/flow/2/metadata/restore/parameters/__IMTCONN__/data/connection",
        "the pointer names the place the span is"
    );
}

#[test]
fn refs_lists_data_structures_sub_scenarios_and_agent_tool_connections() {
    let file = format!("{CORPUS}/data-structures-and-subscenarios.json");
    let r = run(&["refs", &file, "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let rows: Vec<(String, String, String)> = v["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["kind"].as_str().unwrap().to_string(),
                row["key"].as_str().unwrap().to_string(),
                row["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = |kind: &str, key: &str, value: &str| {
        assert!(
            rows.contains(&(kind.into(), key.into(), value.into())),
            "{kind} {key} {value} missing from {rows:?}"
        );
    };
    want("data-structure", "type", "403260");
    want("data-structure", "type", "<DATASTRUCT_01>");
    want("scenario", "scenario", "4711");
    want("connection", "accountId", "5521");
    want("connection", "connectionId", "<CONN_03>");

    for (kind, count) in [("data-structure", 3), ("scenario", 1)] {
        let r = run(&["refs", &file, "--kind", kind, "--format", "json"]);
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        let rows = v["references"].as_array().unwrap();
        assert_eq!(rows.len(), count, "--kind {kind}: {rows:?}");
        assert!(rows.iter().all(|row| row["kind"] == kind));
    }
}

#[test]
fn remap_rewrites_data_structure_and_scenario_ids_by_kind() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.json");
    std::fs::copy(
        Path::new(ROOT)
            .join(CORPUS)
            .join("data-structures-and-subscenarios.json"),
        &file,
    )
    .unwrap();
    let before = std::fs::read(&file).unwrap();
    let path = file.to_str().unwrap();
    for (kind, map, old, new) in [
        (
            "data-structure",
            "403260=999",
            "\"type\": 403260",
            "\"type\": 999",
        ),
        (
            "scenario",
            "4711=12",
            "\"scenario\": 4711",
            "\"scenario\": 12",
        ),
    ] {
        let r = run(&["remap", "--kind", kind, "--map", map, "--dry-run", path]);
        assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        assert!(
            r.stdout.contains(&format!("-{}", " ".repeat(16) + old)),
            "{kind}: {}",
            r.stdout
        );
        assert!(
            r.stdout.contains(&format!("+{}", " ".repeat(16) + new)),
            "{kind}: {}",
            r.stdout
        );
    }
    // Ids of one kind are not another's: a connection map leaves the data structure alone.
    let r = run(&["remap", "--map", "403260=999", "--dry-run", path]);
    assert!(!r.stdout.contains("999"), "{}", r.stdout);
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "a dry run writes nothing"
    );
}

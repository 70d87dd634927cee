//! The config file, ignores, severity settings and the baseline, end to end.

use std::path::Path;

use serde_json::Value;

mod support;

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let r = support::bin::run_in(dir, args);
    (r.code, r.stdout, r.stderr)
}

fn codes(stdout: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    support::bin::codes(&v)
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name),
    )
    .unwrap()
}

#[test]
fn severities_ignores_and_unused_ignores() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("legacy")).unwrap();
    std::fs::write(d.join("a.json"), fixture("cases/wrapper.json")).unwrap();
    std::fs::write(d.join("legacy/b.json"), fixture("cases/wrapper.json")).unwrap();
    std::fs::write(d.join("c.json"), fixture("demo/weekly-digest.json")).unwrap();
    std::fs::write(
        d.join("bplint.toml"),
        r#"
[rules]
connection-placeholder = "error"
BP012 = "off"

[[overrides]]
paths = ["legacy/**"]
rules = { BP011 = "off" }

[[ignore]]
rule = "BP020"
paths = ["c.json"]
reason = "sample header in a demo"

[[ignore]]
rule = "BP003"
reason = "stale"
"#,
    )
    .unwrap();
    let (code, out, _) = run(d, &["check", ".", "--format", "json"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    let found: Vec<(String, String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().into(),
                f["code"].as_str().unwrap().into(),
                f["severity"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        found.contains(&("a.json".into(), "BP011".into(), "error".into())),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|(f, c, _)| f.starts_with("legacy") && c == "BP011"),
        "override turns it off: {found:?}"
    );
    assert!(
        !found.iter().any(|(_, c, _)| c == "BP020" || c == "BP012"),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(f, c, s)| f == "bplint.toml" && c == "BP009" && s == "info"),
        "unused ignore reported: {found:?}"
    );
}

#[test]
fn config_errors_point_into_the_file_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("bplint.toml"),
        "zone = \"eu1\"\n\n[rules]\nBP011 = \"loud\"\n",
    )
    .unwrap();
    let (code, _, err) = run(d, &["check", "."]);
    assert_eq!(code, 2);
    insta::assert_snapshot!("config_bad_level", err);
    std::fs::write(d.join("bplint.toml"), "tema = 5\n").unwrap();
    let (code, _, err) = run(d, &["check", "."]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown field `tema`") && err.contains("bplint.toml:1:1"),
        "{err}"
    );
    std::fs::write(d.join("other.toml"), "[rules]\nBP999 = \"off\"\n").unwrap();
    let (code, _, err) = run(d, &["--config", "other.toml", "check", "."]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown rule `BP999`") && err.contains("other.toml:2:1"),
        "{err}"
    );
}

#[test]
fn config_is_found_in_a_parent_folder() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("sub/deeper")).unwrap();
    std::fs::write(d.join("bplint.toml"), "[rules]\nBP011 = \"off\"\n").unwrap();
    std::fs::write(d.join("sub/deeper/a.json"), fixture("cases/wrapper.json")).unwrap();
    let (code, out, _) = run(&d.join("sub/deeper"), &["check", ".", "--format", "json"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn baseline_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.json"), fixture("demo/weekly-digest.json")).unwrap();
    let (code, _, err) = run(d, &["baseline", ".", "--output", "baseline.json"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = run(
        d,
        &[
            "check",
            "a.json",
            "--baseline",
            "baseline.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "everything known: {out}");
    assert!(codes(&out).is_empty());

    // A new problem: exactly that one is reported.
    let text = fixture("demo/weekly-digest.json")
        .replace("\"__IMTCONN__\": 1007", "\"__IMTCONN__\": \"<NEW>\"");
    std::fs::write(d.join("a.json"), &text).unwrap();
    let (code, out, err) = run(
        d,
        &[
            "check",
            "a.json",
            "--baseline",
            "baseline.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(codes(&out), ["BP011"]);
    assert!(err.contains("0 baseline entr"), "{err}");

    // Lines move: still clean.
    let moved = format!(
        "\n\n\n{}",
        fixture("demo/weekly-digest.json").replace("    ", "      ")
    );
    std::fs::write(d.join("a.json"), moved).unwrap();
    let (code, out, _) = run(
        d,
        &[
            "check",
            "a.json",
            "--baseline",
            "baseline.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{out}");

    // A fixed problem is counted.
    let fixed = fixture("demo/weekly-digest.json").replace("<CONN_NOTION>", "4242");
    std::fs::write(d.join("a.json"), fixed).unwrap();
    let (_, _, err) = run(d, &["check", "a.json", "--baseline", "baseline.json"]);
    assert!(err.contains("1 baseline entr"), "{err}");
}

#[test]
fn every_error_of_the_config_is_reported_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.json"), fixture("cases/wrapper.json")).unwrap();
    std::fs::write(
        d.join("bplint.toml"),
        "tema = 5\n\n[rules]\nBP999 = \"off\"\nBP011 = \"loud\"\n",
    )
    .unwrap();
    let (code, out, err) = run(d, &["check", "."]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "nothing is checked: {out}");
    insta::assert_snapshot!("config_three_errors", err);
}

/// A config whose second `[[ignore]]` matches nothing, over a file with a BP020 finding.
fn unused_ignore_run(format: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("c.json"), fixture("demo/weekly-digest.json")).unwrap();
    std::fs::write(
        d.join("bplint.toml"),
        "[rules]\nBP011 = \"off\"\n\n[[ignore]]\nrule = \"BP020\"\nreason = \"sample header\"\n\n\
         [[ignore]]\nrule = \"BP003\"\nreason = \"stale\"\n",
    )
    .unwrap();
    let (code, out, _) = run(
        d,
        &["check", ".", "--format", format, "--min-severity", "info"],
    );
    (code, out)
}

#[test]
fn an_unused_ignore_points_at_its_entry_in_the_config() {
    let (_, json) = unused_ignore_run("json");
    let v: Value = serde_json::from_str(&json).unwrap();
    let bp009 = support::bin::findings_with(&v, "BP009");
    insta::assert_json_snapshot!("unused_ignore_json", bp009);
    let (_, human) = unused_ignore_run("human");
    let at = human
        .find("BP009")
        .unwrap_or_else(|| panic!("no BP009: {human}"));
    let end = human[at..]
        .find("╰────")
        .map_or(human.len(), |i| at + i + "╰────".len());
    insta::assert_snapshot!("unused_ignore_human", &human[at..end]);
    let (_, sarif) = unused_ignore_run("sarif");
    let v: Value = serde_json::from_str(&sarif).unwrap();
    let result = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "BP009")
        .unwrap_or_else(|| panic!("no BP009: {v}"));
    let place = &result["locations"][0]["physicalLocation"];
    assert_eq!(place["artifactLocation"]["uri"], "bplint.toml", "{place}");
    assert_eq!(place["region"]["startLine"], 8, "{place}");
    assert_eq!(place["region"]["endLine"], 10, "{place}");
    let (_, github) = unused_ignore_run("github");
    assert!(
        github.contains("::notice file=bplint.toml,line=8,endLine=10,title=BP009 unused-ignore::"),
        "{github}"
    );
}

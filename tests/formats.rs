//! End-to-end tests of the CI formats (`sarif`, `github`, `junit`): run the real binary on the
//! demo, snapshot the output, validate SARIF against the SARIF 2.1.0 schema, parse the JUnit XML.

mod support;

use std::path::Path;

use serde_json::Value;
use support::bin::{DEMO, Run, bplint, run, run_cmd, with_shipped_rules};

/// The secret hardcoded in fixtures/demo/weekly-digest.json.
const DEMO_SECRET: &str = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";

fn demo(format: &str) -> Run {
    let mut args = DEMO.to_vec();
    args.extend(["--format", format]);
    run(&args)
}

/// The SARIF log as snapshotted: the tool version (which changes with every release) redacted,
/// and the rule descriptors and `ruleIndex`es left out: they change whenever a rule is added or
/// its docs edited, and `demo_sarif_is_valid_...` checks them against `bplint rules`.
fn sarif_for_snapshot(r: &Run) -> String {
    let mut doc = sarif_json(r);
    let run = &mut doc["runs"][0];
    let driver = &mut run["tool"]["driver"];
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    driver["version"] = "[version]".into();
    driver["rules"] = "[every rule]".into();
    for result in run["results"].as_array_mut().unwrap() {
        assert!(result["ruleIndex"].is_u64());
        result["ruleIndex"] = "[index]".into();
    }
    serde_json::to_string_pretty(&doc).unwrap() + "\n"
}

fn sarif_json(r: &Run) -> Value {
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr))
}

/// The draft-07 copy's `language` pattern has a stray `]` (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`)
/// that a strict ECMA-262 parser rejects, so the meta-schema refuses the whole schema. Errata 01
/// fixed it; the same fix is applied here, in memory, so the shipped file stays the official one.
const BAD_LANGUAGE_PATTERN: &str = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
const ERRATA_LANGUAGE_PATTERN: &str = r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#;

fn schema_validator(file: &str) -> jsonschema::Validator {
    let path = format!("{}/tests/schemas/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replace(BAD_LANGUAGE_PATTERN, ERRATA_LANGUAGE_PATTERN);
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{path} is not a usable schema: {e}"))
}

/// Both copies of the SARIF 2.1.0 schema: the draft-07 one GitHub and SchemaStore use, and the
/// OASIS errata 01 one (draft-04, a little stricter).
const SCHEMAS: &[&str] = &["sarif-2.1.0.json", "sarif-2.1.0-errata01.json"];

fn schema_errors(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for file in SCHEMAS {
        let v = schema_validator(file);
        out.extend(
            v.iter_errors(doc)
                .map(|e| format!("{file}: {} at {}", e, e.instance_path())),
        );
    }
    out
}

#[test]
fn demo_exit_code_does_not_depend_on_the_format() {
    for format in ["human", "compact", "json", "sarif", "github", "junit"] {
        let r = demo(format);
        assert_eq!(r.code, 1, "--format {format}: {}", r.stderr);
    }
}

#[test]
fn demo_secret_appears_in_no_format() {
    let fixture = std::fs::read_to_string("fixtures/demo/weekly-digest.json").unwrap();
    assert!(
        fixture.contains(DEMO_SECRET),
        "the demo still holds the secret"
    );
    for format in ["human", "compact", "json", "sarif", "github", "junit"] {
        let r = demo(format);
        for part in [DEMO_SECRET, &DEMO_SECRET[..8], &DEMO_SECRET[24..]] {
            assert!(
                !r.stdout.contains(part) && !r.stderr.contains(part),
                "--format {format} leaks (part of) the secret"
            );
        }
    }
}

#[test]
fn demo_sarif_is_stable() {
    let r = demo("sarif");
    assert_eq!(r.code, 1);
    assert!(
        !r.stdout.contains(env!("CARGO_MANIFEST_DIR")),
        "paths are relative"
    );
    insta::assert_snapshot!("demo_sarif", sarif_for_snapshot(&r));
}

#[test]
fn demo_sarif_is_valid_against_the_sarif_2_1_0_schema() {
    let r = demo("sarif");
    let doc = sarif_json(&r);
    let errors = schema_errors(&doc);
    assert!(errors.is_empty(), "{errors:#?}");
    let listed = run(&["rules", "--format", "json"]).stdout;

    let run = &doc["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(run["tool"]["driver"]["name"], "bplint");
    assert_eq!(run["tool"]["driver"]["version"], env!("CARGO_PKG_VERSION"));
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let listed: Value = serde_json::from_str(&listed).unwrap();
    let listed: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["code"])
        .collect();
    let ids: Vec<&Value> = rules.iter().map(|r| &r["id"]).collect();
    assert_eq!(
        ids, listed,
        "every rule is described, in `bplint rules` order"
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 13);
    for res in results {
        let rule = &rules[res["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], res["ruleId"]);
        assert!(rule["help"]["markdown"].as_str().unwrap().contains("## "));
        assert_eq!(rule["help"]["text"], rule["help"]["markdown"]);
        assert!(
            !rule["shortDescription"]["text"]
                .as_str()
                .unwrap()
                .is_empty()
        );
        assert!(
            !rule["fullDescription"]["text"]
                .as_str()
                .unwrap()
                .contains("##")
        );
        assert!(
            ["error", "warning", "note"]
                .contains(&rule["defaultConfiguration"]["level"].as_str().unwrap())
        );
        let region = &res["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1);
        assert!(region["byteLength"].as_u64().is_some());
        let fp = res["partialFingerprints"]["bplintFingerprint/v1"]
            .as_str()
            .unwrap();
        assert_eq!(fp.len(), 16);
        assert!(fp.chars().all(|c| c.is_ascii_hexdigit()));
    }
    let mut fps: Vec<&str> = results
        .iter()
        .map(|r| {
            r["partialFingerprints"]["bplintFingerprint/v1"]
                .as_str()
                .unwrap()
        })
        .collect();
    fps.sort();
    fps.dedup();
    assert_eq!(fps.len(), results.len(), "fingerprints are distinct");
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn schema_validation_rejects_broken_sarif() {
    let doc = sarif_json(&demo("sarif"));
    type Breaking = fn(&mut Value);
    let breakages: [(&str, Breaking); 5] = [
        ("level fatal", |d| {
            d["runs"][0]["results"][0]["level"] = "fatal".into()
        }),
        ("no version", |d| {
            d.as_object_mut().unwrap().remove("version");
        }),
        ("line 0", |d| {
            d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
                0.into()
        }),
        ("unknown property", |d| {
            d["runs"][0]["results"][0]["severity"] = "high".into()
        }),
        ("bad column kind", |d| {
            d["runs"][0]["columnKind"] = "bytes".into()
        }),
    ];
    for (what, breaking) in breakages {
        let mut broken = doc.clone();
        breaking(&mut broken);
        for file in SCHEMAS {
            assert!(
                !schema_validator(file).is_valid(&broken),
                "{file} accepts a document with {what}"
            );
        }
    }
    // Draft-04 has no `uri-reference` format: only the draft-07 copy checks URIs.
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
        "my dir/a.json".into();
    assert!(
        !schema_validator(SCHEMAS[0]).is_valid(&broken),
        "a space in a URI"
    );
}

#[test]
fn sarif_uris_are_relative_and_percent_encoded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("my dir")).unwrap();
    std::fs::copy(
        "fixtures/cases/wrapper.json",
        dir.path().join("my dir").join("a b#1.json"),
    )
    .unwrap();
    let mut cmd = bplint();
    cmd.current_dir(dir.path());
    let r = run_cmd(cmd, &["check", "my dir", "--format", "sarif"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!r.stdout.contains(dir.path().to_str().unwrap()));
    let doc = sarif_json(&r);
    let uri = &doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"];
    assert_eq!(uri, "my%20dir/a%20b%231.json");
    let errors = schema_errors(&doc);
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn demo_github_is_stable_and_only_commands() {
    let r = demo("github");
    assert_eq!(r.code, 1);
    for line in r.stdout.lines() {
        assert!(
            line.starts_with("::error ")
                || line.starts_with("::warning ")
                || line.starts_with("::notice "),
            "not a workflow command: {line}"
        );
    }
    assert_eq!(r.stdout.lines().count(), 13);
    insta::assert_snapshot!("demo_github", r.stdout);
}

#[test]
fn demo_junit_is_stable_and_counts_findings() {
    let r = demo("junit");
    assert_eq!(r.code, 1);
    let report = quick_junit::Report::deserialize_from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JUnit XML ({e}): {}", r.stdout));
    assert_eq!(report.test_suites.len(), 1);
    let suite = &report.test_suites[0];
    assert_eq!(suite.name.as_str(), "bplint");
    assert_eq!(suite.tests, 13, "one test case per finding");
    assert_eq!(suite.failures, 10, "errors and warnings fail, info passes");
    assert_eq!(suite.errors, 0);
    insta::assert_snapshot!("demo_junit", r.stdout);
}

#[test]
fn junit_clean_run_has_passing_tests() {
    let r = run(&["check", "fixtures/cases/clean", "--format", "junit"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report = quick_junit::Report::deserialize_from_str(&r.stdout).unwrap();
    let suite = &report.test_suites[0];
    assert_eq!(suite.tests, 1, "{}", r.stdout);
    assert_eq!(suite.failures, 0);
    let case = &suite.test_cases[0];
    assert_eq!(
        case.classname.as_ref().map(|c| c.as_str()),
        Some("fixtures/cases/clean/ok.json")
    );
}

#[test]
fn run_level_errors_reach_every_ci_format() {
    // No request allowed: every id is unchecked, the run exits 2 whatever the format.
    let online = [
        "check",
        "fixtures/demo",
        "--online",
        "--team",
        "100",
        "--api-url",
        "http://127.0.0.1:9",
        "--max-requests",
        "0",
        "--format",
    ];
    let with = |format: &str| {
        let mut cmd = bplint();
        cmd.env("MAKE_API_TOKEN", "test-token");
        let mut args = online.to_vec();
        args.push(format);
        run_cmd(cmd, &args)
    };

    let r = with("sarif");
    assert_eq!(r.code, 2, "{}", r.stderr);
    let doc = sarif_json(&r);
    let inv = &doc["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert!(!notes.is_empty());
    assert_eq!(notes[0]["level"], "error");
    assert!(schema_errors(&doc).is_empty());

    let r = with("github");
    assert_eq!(r.code, 2);
    assert!(
        r.stdout.lines().any(|l| l.starts_with("::error::")),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("test-token"));

    let r = with("junit");
    assert_eq!(r.code, 2);
    let report = quick_junit::Report::deserialize_from_str(&r.stdout).unwrap();
    assert!(report.test_suites[0].errors >= 1, "{}", r.stdout);
}

/// The binary with the shipped declarative rules on (the helpers leave them out).
fn with_declarative(args: &[&str]) -> Run {
    run_cmd(with_shipped_rules(bplint()), args)
}

#[test]
fn sarif_describes_the_run_rules_declarative_and_team_packs_included() {
    let team = ["--rules", "fixtures/rule-files/team"];
    let mut args = vec![
        "check",
        "fixtures/demo",
        "fixtures/rule-files/team-blueprint.json",
        "--format",
        "sarif",
    ];
    args.extend(team);
    let r = with_declarative(&args);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = sarif_json(&r);
    let errors = schema_errors(&doc);
    assert!(errors.is_empty(), "{errors:#?}");

    let mut list = vec!["rules", "--format", "json"];
    list.extend(team);
    let listed: Value = serde_json::from_str(&with_declarative(&list).stdout).unwrap();
    let listed: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, listed, "the run's rules, in `bplint rules` order");
    for code in ["BP200", "BP208", "ACME001", "ACME002"] {
        assert!(ids.contains(&code), "{code} is described");
    }

    let results = doc["runs"][0]["results"].as_array().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for res in results {
        let index = res["ruleIndex"]
            .as_u64()
            .unwrap_or_else(|| panic!("no ruleIndex: {res}"));
        assert_eq!(rules[index as usize]["id"], res["ruleId"]);
        seen.insert(res["ruleId"].as_str().unwrap());
    }
    for code in [
        "BP200", "BP204", "BP205", "BP206", "ACME001", "ACME002", "BP011",
    ] {
        assert!(seen.contains(code), "{code} has results: {seen:?}");
    }

    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        let markdown = rule["help"]["markdown"].as_str().unwrap_or_default();
        assert!(!markdown.is_empty(), "{id} has help.markdown");
        if !id.starts_with("ACME") {
            assert!(markdown.contains("## What it does"), "{id}: {markdown}");
        }
        let explained = with_declarative(&[&["explain", id][..], &team[..]].concat()).stdout;
        assert!(
            explained.contains(markdown),
            "{id}: help is what `explain` prints"
        );
        // The team's BP206 extends the shipped one under its code and name: same page.
        match rule.get("helpUri") {
            _ if id.starts_with("ACME") => {
                assert!(
                    rule.get("helpUri").is_none(),
                    "{id}: a team rule has no page of ours"
                )
            }
            Some(uri) => {
                let uri = uri.as_str().unwrap();
                let anchor = format!("#{}-{}", id.to_lowercase(), rule["name"].as_str().unwrap());
                assert_eq!(
                    uri,
                    format!("https://github.com/bplint/bplint/blob/main/docs/rules.md{anchor}")
                );
            }
            None => panic!("{id} has no helpUri"),
        }
    }
}

#[test]
fn sarif_keeps_baselined_findings_as_suppressed_results() {
    let dir = tempfile::tempdir().unwrap();
    let copy = |from: &str, to: &str| {
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(from),
            dir.path().join(to),
        )
        .unwrap();
    };
    copy("fixtures/demo/weekly-digest.json", "old.json");
    let at = |args: &[&str]| {
        let mut cmd = bplint();
        cmd.current_dir(dir.path());
        run_cmd(cmd, args)
    };
    let r = at(&["baseline", ".", "--output", "base.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let known = at(&["check", ".", "--format", "json"]).json()["findings"]
        .as_array()
        .unwrap()
        .len();
    assert!(known >= 3);

    // Every finding is in the baseline: all suppressed, none counts, the run passes.
    let r = at(&["check", ".", "--baseline", "base.json", "--format", "sarif"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc = sarif_json(&r);
    assert!(schema_errors(&doc).is_empty(), "{:#?}", schema_errors(&doc));
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), known, "baselined findings stay in the log");
    for res in results {
        assert_eq!(
            res["suppressions"],
            serde_json::json!([{"kind": "external", "justification": "in baseline base.json"}]),
            "{res}"
        );
        assert!(res["ruleIndex"].is_u64());
        assert!(res["partialFingerprints"]["bplintFingerprint/v1"].is_string());
    }

    // A new file's findings are the only unsuppressed results, and make the run fail.
    copy("fixtures/cases/wrapper.json", "new.json");
    let r = at(&["check", ".", "--baseline", "base.json", "--format", "sarif"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = sarif_json(&r);
    assert!(schema_errors(&doc).is_empty());
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let (suppressed, new): (Vec<&Value>, Vec<&Value>) = results
        .iter()
        .partition(|r| r.get("suppressions").is_some());
    assert_eq!(suppressed.len(), known);
    assert!(!new.is_empty());
    for res in &new {
        assert_eq!(
            res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "new.json"
        );
    }

    // Other formats still leave baselined findings out.
    let r = at(&["check", ".", "--baseline", "base.json", "--format", "json"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["findings"].as_array().unwrap().len(), new.len());
    let r = at(&[
        "check",
        ".",
        "--baseline",
        "base.json",
        "--format",
        "compact",
    ]);
    assert!(!r.stdout.contains("old.json"), "{}", r.stdout);
}

//! Declarative rules end to end: every shipped rule against its fixtures, a team's rule
//! folder through the binary, and a spanned error for each kind of bad rule file.

mod support;

use std::path::Path;

use assert_cmd::Command;
use bplint::pipeline::{self, Options};
use bplint::rules::RuleSet;
use bplint::rules::declarative::{self, BUILTIN};
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn bplint() -> Command {
    // These tests are about the shipped declarative rules: they stay on.
    support::bin::with_shipped_rules(support::bin::bplint_in(std::path::Path::new(ROOT)))
}

fn run(args: &[&str]) -> (i32, String, String) {
    let r = support::bin::run_cmd(bplint(), args);
    (r.code, r.stdout, r.stderr)
}

/// The shipped rule codes, from the embedded files' names (`BP200-...toml`).
fn shipped_codes() -> Vec<String> {
    BUILTIN
        .iter()
        .map(|(name, _)| {
            let file = name.rsplit('/').next().unwrap();
            file.split('-').next().unwrap().to_string()
        })
        .collect()
}

/// Shipped rules, with the ones that are off by default turned on (they are tested too).
fn all_shipped_enabled() -> RuleSet {
    let enable: Vec<(String, String)> = shipped_codes()
        .iter()
        .map(|c| {
            (
                format!("enable-{c}.toml"),
                format!("[[rule]]\nextends = \"{c}\"\nenabled = true\n"),
            )
        })
        .collect();
    let mut files: Vec<(String, String)> = BUILTIN
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    files.extend(enable);
    declarative::load_texts(RuleSet::builtin(), files).expect("shipped rules load")
}

#[test]
fn every_shipped_rule_fires_on_its_fire_fixtures_and_never_on_its_quiet_ones() {
    let opts = Options {
        rules: all_shipped_enabled(),
        ..Options::default()
    };
    let codes = shipped_codes();
    assert!(codes.len() >= 7, "{codes:?}");
    for code in &codes {
        assert!(
            code.starts_with("BP2") && code.len() == 5,
            "shipped declarative rules use BP200-BP299: {code}"
        );
        let dir = Path::new(ROOT).join("fixtures/rules").join(code);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{code} has no fixtures in {}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let (mut fire, mut quiet) = (0, 0);
        for path in files {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).unwrap();
            let result = pipeline::check_bytes(&name, true, &bytes, &opts);
            let src = String::from_utf8(bytes).unwrap();
            let hits: Vec<_> = result
                .diagnostics
                .iter()
                .filter(|d| d.code() == code.as_str())
                .collect();
            if name.starts_with("fire") {
                fire += 1;
                assert!(!hits.is_empty(), "{code} does not fire on {name}");
                for d in hits {
                    let span = d.location.as_ref().expect("a located finding").span;
                    assert!(span.end as usize <= src.len() && span.start < span.end);
                }
            } else if name.starts_with("quiet") {
                quiet += 1;
                let found: Vec<_> = hits.iter().map(|d| &d.message).collect();
                assert!(found.is_empty(), "{code} fires on {name}: {found:?}");
            }
        }
        assert!(
            fire > 0 && quiet > 0,
            "{code} needs fire and quiet fixtures"
        );
    }
}

#[test]
fn shipped_rules_are_documented_like_the_built_in_ones() {
    let set = declarative::load(RuleSet::builtin(), &[], true).unwrap();
    for code in shipped_codes() {
        let (meta, origin) = set.find(&code).unwrap();
        assert!(origin.starts_with("rules/builtin/"), "{origin}");
        let docs = meta.docs_markdown();
        for section in ["## What it does", "## Why is this bad?", "## Example"] {
            assert!(docs.contains(section), "{code} lacks `{section}`");
        }
    }
}

#[test]
fn a_team_rule_folder_adds_rules_and_turns_on_a_shipped_one() {
    let (code, out, err) = run(&[
        "check",
        "fixtures/rule-files/team-blueprint.json",
        "--rules",
        "fixtures/rule-files/team",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let src =
        std::fs::read_to_string(Path::new(ROOT).join("fixtures/rule-files/team-blueprint.json"))
            .unwrap();
    let found: Vec<(String, String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let (s, e) = (
                f["span"]["start"].as_u64().unwrap() as usize,
                f["span"]["end"].as_u64().unwrap() as usize,
            );
            (
                f["code"].as_str().unwrap().to_string(),
                src[s..e].to_string(),
                f["pointer"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("BP206".into(), "\"Lead router\"".into(), "/name".into()),
            (
                "ACME001".into(),
                "\"#sales\"".into(),
                "/flow/1/routes/0/flow/0/mapper/channel".into()
            ),
            (
                "ACME002".into(),
                "\"slack:CreateMessage\"".into(),
                "/metadata/designer/orphans/0/module".into()
            ),
        ]
    );
    let acme = &v["findings"][1];
    assert_eq!(
        acme["message"],
        "slack:CreateMessage (module 3) posts to \"#sales\"; use the channel id"
    );
    assert_eq!(acme["severity"], "error");
    assert_eq!(
        v["findings"][0]["severity"], "error",
        "the extending rule's own severity"
    );

    // Without the folder: BP206 stays off and the team's rules are unknown.
    let (code, out, _) = run(&[
        "check",
        "fixtures/rule-files/team-blueprint.json",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    assert!(!out.contains("ACME") && !out.contains("BP206"), "{out}");
}

#[test]
fn rules_and_explain_use_the_same_rule_set_as_check() {
    let (code, out, _) = run(&["rules", "--rules", "fixtures/rule-files/team"]);
    assert_eq!(code, 0);
    let line = |c: &str| {
        out.lines()
            .find(|l| l.starts_with(c))
            .unwrap_or_else(|| panic!("no {c} in\n{out}"))
            .to_string()
    };
    assert!(line("ACME001").contains("fixtures/rule-files/team/acme.toml"));
    assert!(line("BP206").contains("fixtures/rule-files/team/naming.toml"));
    assert!(line("BP201").contains("rules/builtin/BP201-"));
    assert!(line("BP011").contains("built-in"));

    let (_, out, _) = run(&["rules"]);
    assert!(
        out.lines()
            .any(|l| l.starts_with("BP206") && l.contains("(disabled)"))
    );
    assert!(!out.contains("ACME001"));

    let (code, out, _) = run(&["explain", "ACME001", "--rules", "fixtures/rule-files/team"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("# ACME001 slack-channel-by-name"), "{out}");
    assert!(out.contains("Origin: fixtures/rule-files/team/acme.toml"));
    assert!(out.contains("Channels get renamed; ids stay."));
    let (code, out, _) = run(&["explain", "BP201"]);
    assert_eq!(code, 0);
    assert!(out.contains("## Use instead"), "{out}");
    assert_eq!(run(&["explain", "ACME001"]).0, 2);
}

#[test]
fn bad_rule_files_stop_the_run_with_a_spanned_error() {
    let dir = Path::new(ROOT).join("fixtures/rule-files/bad");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 6);
    for path in files {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let rel = format!("fixtures/rule-files/bad/{stem}.toml");
        let (code, out, err) = run(&["check", "--rules", &rel, "fixtures/cases/clean"]);
        assert_eq!(code, 2, "{stem}: {err}");
        assert!(out.is_empty(), "{stem}: no blueprint is checked: {out}");
        assert!(err.contains(&format!("[{rel}:")), "{stem}: {err}");
        insta::assert_snapshot!(format!("bad_rule_{stem}"), err);
        // `rules` and `explain` load the same files and fail the same way.
        assert_eq!(run(&["rules", "--rules", &rel]).0, 2, "{stem}");
    }
}

#[test]
fn the_documented_example_and_the_benchmark_rules_compile() {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("rules/README.md")).unwrap();
    let start = readme.find("````toml\n").expect("the full example") + 8;
    let len = readme[start..].find("\n````").unwrap();
    let example = readme[start..start + len].to_string();
    let set = declarative::load_texts(RuleSet::builtin(), vec![("example.toml".into(), example)])
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(set.find("ACME001").is_some());
    let benches = Path::new(ROOT).join("benches/declarative");
    for name in ["dynamic-1.toml", "dynamic-3.toml", "descendant.toml"] {
        declarative::load(RuleSet::builtin(), &[benches.join(name)], true)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn a_missing_rule_folder_is_a_usage_error() {
    let (code, _, err) = run(&[
        "check",
        "--rules",
        "fixtures/no-such-folder",
        "fixtures/cases/clean",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("rule folder fixtures/no-such-folder"), "{err}");
}

#[test]
fn the_hidden_switch_leaves_out_only_the_shipped_rules() {
    let args = [
        "check",
        "fixtures/rules/BP205/fire.json",
        "--format",
        "json",
        "--no-declarative",
    ];
    let (_, out, _) = run(&args);
    assert!(!out.contains("BP205"), "{out}");
    let (_, out, _) = run(&args[..4]);
    assert!(out.contains("BP205"), "{out}");
}

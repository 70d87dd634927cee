//! What the screen shows: errors before infos in each file, counts per rule, a display threshold
//! apart from --fail-on, and narrow spans for findings about whole containers.

mod support;

use support::bin::{DEMO, run};

#[test]
fn errors_come_before_warnings_and_infos_in_each_file() {
    let mut args = DEMO.to_vec();
    args.extend(["--format", "json"]);
    let v = run(&args).json();
    let rank = |s: &str| match s {
        "error" => 0,
        "warning" => 1,
        _ => 2,
    };
    let rows: Vec<(String, i32)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                rank(f["severity"].as_str().unwrap()),
            )
        })
        .collect();
    let mut sorted = rows.clone();
    sorted.sort();
    assert_eq!(rows, sorted, "findings grouped by file, then severity");
    assert!(rows.iter().any(|r| r.1 == 2) && rows.iter().any(|r| r.1 == 0));
}

#[test]
fn the_summary_counts_findings_per_rule() {
    let mut args = DEMO.to_vec();
    args.extend(["--format", "json"]);
    let v = run(&args).json();
    let by_rule = v["summary"]["by_rule"].as_object().expect("by_rule");
    let total: u64 = by_rule.values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(total as usize, v["findings"].as_array().unwrap().len());
    assert_eq!(by_rule["BP100"], 1);
    let human = run(DEMO);
    let line = human
        .stdout
        .lines()
        .find(|l| l.starts_with("by rule: "))
        .expect("a per-rule line");
    // The worst rules first.
    assert!(
        line.find("error").unwrap() < line.find("info").unwrap(),
        "{line}"
    );
}

#[test]
fn min_severity_hides_without_changing_counts_or_the_exit_code() {
    let mut all = DEMO.to_vec();
    all.extend(["--format", "json"]);
    let everything = run(&all);
    let mut errors_only = all.clone();
    errors_only.extend(["--min-severity", "error"]);
    let shown = run(&errors_only);
    assert_eq!(shown.code, everything.code);
    let (a, b) = (everything.json(), shown.json());
    assert!(
        b["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] == "error")
    );
    assert_eq!(a["summary"]["infos"], b["summary"]["infos"]);
    let hidden = a["findings"].as_array().unwrap().len() - b["findings"].as_array().unwrap().len();
    assert!(hidden > 0);
    assert_eq!(b["summary"]["hidden"], hidden);
    // Below the display threshold still fails the run with --fail-on info.
    let mut infos = errors_only.clone();
    infos.extend(["--fail-on", "info"]);
    assert_eq!(run(&infos).code, 1);
}

#[test]
fn a_finding_about_a_whole_flow_points_at_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let modules: Vec<String> = (1..=51)
        .map(|i| {
            format!("\n    {{\"id\": {i}, \"module\": \"util:SetVariable2\", \"version\": 1}}")
        })
        .collect();
    std::fs::write(
        dir.path().join("big.json"),
        format!(
            "{{\"name\": \"big\", \"flow\": [{}\n  ],\n  \"metadata\": {{\"version\": 1, \"scenario\": {{\"dlq\": true}}}}}}\n",
            modules.join(",")
        ),
    )
    .unwrap();
    let cmd = support::bin::with_shipped_rules(support::bin::bplint_in(dir.path()));
    let r = support::bin::run_cmd(cmd, &["check", "big.json", "--format", "json"]);
    let v = r.json();
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "BP207")
        .unwrap_or_else(|| panic!("no BP207: {}", r.stdout));
    // `"flow"`: one line, not the 53 lines of the array.
    assert_eq!(f["start"]["line"], f["end"]["line"], "{f}");
    assert_eq!(
        f["end"]["column"].as_u64().unwrap() - f["start"]["column"].as_u64().unwrap(),
        6
    );
}

/// The streaming formats print each file's findings as the file is done: in input order
/// (folders sorted by name), errors first within a file, then the findings about the
/// configuration. A report written to `--output` sorts the same findings by file name; where
/// both orders agree (every file name sorts before `bplint.toml`), it is the same text.
#[test]
fn streamed_findings_come_file_by_file_in_input_order_with_the_config_last() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = |name: &str| std::fs::read_to_string(format!("fixtures/demo/{name}")).unwrap();
    for (name, fixture) in [
        ("b.json", "weekly-digest.json"),
        ("a.json", "lead-router.blueprint.json"),
    ] {
        std::fs::write(d.join(name), demo(fixture)).unwrap();
    }
    std::fs::write(
        d.join("bplint.toml"),
        "[[ignore]]\nrule = \"BP003\"\nreason = \"stale\"\n",
    )
    .unwrap();
    for format in ["compact", "github", "human"] {
        let streamed = support::bin::run_cmd(
            support::bin::bplint_in(d),
            &["check", ".", "--format", format],
        );
        let report = d.join(format!("report.{format}"));
        let written = support::bin::run_cmd(
            support::bin::bplint_in(d),
            &[
                "check",
                ".",
                "--format",
                format,
                "--output",
                report.to_str().unwrap(),
            ],
        );
        assert_eq!((streamed.code, written.code), (1, 1), "{}", streamed.stderr);
        assert_eq!(
            streamed.stdout,
            std::fs::read_to_string(&report).unwrap(),
            "{format}"
        );
        std::fs::remove_file(report).unwrap();
    }
    std::fs::write(d.join("c.json"), demo("weekly-digest.json")).unwrap();
    let compact = support::bin::run_cmd(
        support::bin::bplint_in(d),
        &["check", ".", "--format", "compact"],
    )
    .stdout;
    let rank = |sev: &str| ["error", "warning", "info"].iter().position(|s| *s == sev);
    let rows: Vec<(&str, usize)> = compact
        .lines()
        .map(|l| {
            let file = l.split(':').next().unwrap();
            let sev = l.split(": ").nth(1).unwrap().split(' ').next().unwrap();
            (file, rank(sev).unwrap())
        })
        .collect();
    let files: Vec<&str> = rows.iter().map(|r| r.0).collect();
    let mut grouped = files.clone();
    grouped.dedup();
    assert_eq!(
        grouped,
        ["a.json", "b.json", "c.json", "bplint.toml"],
        "{compact}"
    );
    for file in ["a.json", "b.json", "c.json"] {
        let sevs: Vec<usize> = rows.iter().filter(|r| r.0 == file).map(|r| r.1).collect();
        assert!(sevs.windows(2).all(|w| w[0] <= w[1]), "{file}: {compact}");
    }
}

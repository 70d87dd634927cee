//! End-to-end tests: run the real binary on fixtures and check exit codes and output.

mod support;

use std::path::Path;

use serde_json::Value;
use support::bin::{DEMO, bplint, codes, run};

fn json(args: &[&str]) -> (i32, Value) {
    let r = run(args);
    let v = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr));
    (r.code, v)
}

#[test]
fn demo_fires_every_live_rule_with_spans() {
    let mut args = DEMO.to_vec();
    args.extend(["--format", "json"]);
    let (code, v) = json(&args);
    assert_eq!(code, 1);
    let codes = codes(&v);
    for want in [
        "BP100", "BP101", "BP102", "BP103", "BP104", "BP105", "BP106", "BP011", "BP012", "BP013",
        "BP020",
    ] {
        assert!(
            codes.iter().any(|c| c == want),
            "{want} missing from {codes:?}"
        );
    }
    for f in v["findings"].as_array().unwrap() {
        let file = f["file"].as_str().unwrap();
        let src =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
        let (s, e) = (
            f["span"]["start"].as_u64().unwrap() as usize,
            f["span"]["end"].as_u64().unwrap() as usize,
        );
        if f["code"].as_str().unwrap().starts_with("BP1") {
            let text = &src[s..e];
            assert!(
                text.parse::<u64>().is_ok() || text.starts_with("\"{{"),
                "live finding points at the id, got {text:?}"
            );
        }
    }
    assert_eq!(v["summary"]["unchecked"].as_array().unwrap().len(), 0);
}

#[test]
fn demo_compact_output_is_stable() {
    let mut args = DEMO.to_vec();
    args.extend(["--format", "compact"]);
    let r = run(&args);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("demo_compact", r.stdout);
}

#[test]
fn human_output_shows_labelled_snippets() {
    let r = run(&[
        "check",
        "fixtures/cases/structure.json",
        "fixtures/cases/wrapper.json",
        "--color",
        "never",
    ]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("structure_human", r.stdout);
}

#[test]
fn invalid_json_is_reported_at_its_position_and_the_run_goes_on() {
    let (code, v) = json(&[
        "check",
        "fixtures/cases/template-invalid.json",
        "fixtures/cases/clean",
        "--format",
        "json",
    ]);
    assert_eq!(
        code, 1,
        "an invalid file is a finding, not a failure to check"
    );
    let f = &v["findings"][0];
    assert_eq!(f["code"], "BP001");
    assert_eq!(f["start"]["line"], 8);
    assert_eq!(
        f["start"]["column"], 31,
        "at the inner brace where a key was expected"
    );
    assert_eq!(
        v["summary"]["blueprints"], 1,
        "the other file was still checked"
    );
}

#[test]
fn non_blueprints_are_skipped_when_walked_and_reported_when_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        "fixtures/cases/other-tool.json",
        dir.path().join("other.json"),
    )
    .unwrap();
    std::fs::copy("fixtures/cases/clean/ok.json", dir.path().join("ok.json")).unwrap();
    let d = dir.path().to_str().unwrap();
    let (code, v) = json(&["check", d, "--format", "json"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["summary"]["skipped"], 1);
    let named = dir.path().join("other.json");
    let (code, v) = json(&["check", named.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(codes(&v), ["BP002"]);
}

#[test]
fn clean_folder_exits_zero() {
    let r = run(&["check", "fixtures/cases/clean"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("1 blueprint(s)"));
}

#[test]
fn stdin_is_read_with_a_dash() {
    let out = bplint()
        .args(["check", "-", "--format", "json"])
        .write_stdin(std::fs::read("fixtures/cases/wrapper.json").unwrap())
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(codes(&v), ["BP011"]);
    assert_eq!(v["findings"][0]["file"], "<stdin>");
    assert_eq!(
        v["findings"][0]["pointer"],
        "/response/blueprint/flow/0/parameters/__IMTCONN__"
    );
}

#[test]
fn wrapper_spans_point_into_the_inner_blueprint() {
    let (_, v) = json(&["check", "fixtures/cases/wrapper.json", "--format", "json"]);
    let src = std::fs::read_to_string("fixtures/cases/wrapper.json").unwrap();
    let f = &v["findings"][0];
    let (s, e) = (
        f["span"]["start"].as_u64().unwrap() as usize,
        f["span"]["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&src[s..e], "\"CONNECTION_PLACEHOLDER\"");
    assert_eq!(f["start"]["line"], 7);
}

/// Counts references with serde_json alone, independently of bplint's model.
fn independent_reference_count(v: &Value) -> usize {
    fn flow(list: &Value, n: &mut usize) {
        for m in list.as_array().into_iter().flatten() {
            if let Some(p) = m["parameters"].as_object() {
                let echo: Vec<(&str, &str)> = m["metadata"]["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|e| Some((e["name"].as_str()?, e["type"].as_str()?)))
                    .collect();
                for k in p.keys() {
                    let by_key = [
                        "__IMTCONN__",
                        "account",
                        "makeConnectionId",
                        "connection",
                        "__IMTHOOK__",
                        "hook",
                        "datastore",
                    ]
                    .contains(&k.as_str());
                    let by_echo = echo.iter().any(|(n, t)| {
                        n == k
                            && ["account", "hook", "keychain", "datastore"]
                                .iter()
                                .any(|p| t.starts_with(p))
                    });
                    if by_key || by_echo {
                        *n += 1;
                    }
                }
            }
            for r in m["routes"].as_array().into_iter().flatten() {
                flow(&r["flow"], n);
            }
            flow(&m["onerror"], n);
            for b in m["branches"].as_array().into_iter().flatten() {
                flow(&b["flow"], n);
            }
            for t in m["tools"].as_array().into_iter().flatten() {
                flow(&t["flow"], n);
            }
        }
    }
    let mut n = 0;
    flow(&v["flow"], &mut n);
    for group in v["metadata"]["designer"]["orphans"]
        .as_array()
        .into_iter()
        .flatten()
    {
        flow(group, &mut n);
    }
    n
}

#[test]
fn refs_reports_every_reference_in_every_nesting_form() {
    let (code, v) = json(&["refs", "fixtures/cases/nesting.json", "--format", "json"]);
    assert_eq!(code, 0);
    let refs = v["references"].as_array().unwrap();
    let src: Value =
        serde_json::from_str(&std::fs::read_to_string("fixtures/cases/nesting.json").unwrap())
            .unwrap();
    assert_eq!(refs.len(), independent_reference_count(&src));
    let ids: Vec<u64> = refs
        .iter()
        .filter_map(|r| r["resolved_id"].as_u64())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(sorted, [11, 12, 13, 14, 15, 16, 501, 601, 701]);
    let disabled: Vec<_> = refs
        .iter()
        .filter(|r| r["disabled"] == true)
        .map(|r| r["resolved_id"].clone())
        .collect();
    assert_eq!(disabled, [13]);
    let orphan: Vec<_> = refs
        .iter()
        .filter(|r| r["orphan"] == true)
        .map(|r| r["resolved_id"].clone())
        .collect();
    assert_eq!(orphan, [16]);
    let kinds: Vec<&str> = refs.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    for k in ["connection", "hook", "keychain", "data-store"] {
        assert!(kinds.contains(&k), "{k}");
    }
}

#[test]
fn refs_table_lists_locations() {
    let r = run(&["refs", "fixtures/cases/nesting.json"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.contains("fixtures/cases/nesting.json:7:96"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("9 reference(s)"));
}

#[test]
fn secrets_are_masked_in_every_format() {
    let secret = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";
    for format in ["human", "compact", "json"] {
        let r = run(&[
            "check",
            "fixtures/demo/weekly-digest.json",
            "--format",
            format,
        ]);
        assert!(r.stdout.contains("BP020"), "{format}: {}", r.stdout);
        assert!(
            !r.stdout.contains(secret) && !r.stderr.contains(secret),
            "{format} leaks the secret"
        );
    }
    let r = run(&[
        "check",
        "fixtures/demo/weekly-digest.json",
        "--format",
        "human",
    ]);
    assert!(
        r.stdout.contains("\"value\": \"*****"),
        "the snippet shows the masked value: {}",
        r.stdout
    );
}

#[test]
fn deep_nesting_invalid_utf8_empty_and_large_files_are_findings() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    std::fs::write(p("deep.json"), "[".repeat(100_000) + &"]".repeat(100_000)).unwrap();
    std::fs::write(p("latin1.json"), b"{\"name\": \"caf\xe9\", \"flow\": []}").unwrap();
    std::fs::write(p("empty.json"), "").unwrap();
    std::fs::write(
        p("big.json"),
        format!("{{\"flow\": [], \"pad\": \"{}\"}}", "x".repeat(400_000)),
    )
    .unwrap();
    std::fs::copy("fixtures/cases/clean/ok.json", p("ok.json")).unwrap();
    let (code, v) = json(&[
        "check",
        dir.path().to_str().unwrap(),
        "--format",
        "json",
        "--max-file-size",
        "300000",
    ]);
    assert_eq!(code, 1);
    let by_file: Vec<(String, String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap();
            (
                Path::new(file)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                f["code"].as_str().unwrap().into(),
                f["message"].as_str().unwrap().into(),
            )
        })
        .collect();
    let find = |name: &str| {
        by_file
            .iter()
            .find(|(f, _, _)| f == name)
            .unwrap_or_else(|| panic!("{name}: {by_file:?}"))
    };
    assert_eq!(find("deep.json").1, "BP001");
    assert!(find("deep.json").2.contains("nesting deeper than 512"));
    assert!(find("latin1.json").2.contains("not UTF-8"));
    assert!(find("empty.json").2.contains("empty"));
    assert_eq!(find("big.json").1, "BP007");
    assert_eq!(v["summary"]["blueprints"], 1);
}

#[cfg(unix)]
#[test]
fn unreadable_files_exit_2_and_symlink_loops_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy("fixtures/cases/clean/ok.json", dir.path().join("ok.json")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    let r = run(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "a loop misses no file: {}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("symbolic link loop"), "{}", r.stderr);

    let gone = dir.path().join("gone.json");
    std::os::unix::fs::symlink(dir.path().join("nowhere.json"), &gone).unwrap();
    let (code, v) = json(&[
        "check",
        gone.to_str().unwrap(),
        dir.path().join("ok.json").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 2, "a named file that cannot be read fails the run");
    assert_eq!(codes(&v), ["BP008"]);
    assert_eq!(v["summary"]["blueprints"], 1);
}

#[test]
fn fail_on_sets_the_threshold_and_format_does_not_change_exit_codes() {
    let file = "fixtures/cases/wrapper.json"; // one warning
    assert_eq!(run(&["check", file]).code, 1);
    assert_eq!(run(&["check", file, "--format", "json"]).code, 1);
    assert_eq!(run(&["check", file, "--format", "compact"]).code, 1);
    assert_eq!(run(&["check", file, "--fail-on", "error"]).code, 0);
    assert_eq!(run(&["check", file, "--fail-on", "never"]).code, 0);
}

#[test]
fn missing_paths_and_bad_usage_exit_2() {
    let r = run(&["check", "does/not/exist.json"]);
    assert_eq!(r.code, 2);
    assert_eq!(run(&["check", "--format", "nope"]).code, 2);
    let r = run(&[
        "check",
        "fixtures/demo",
        "--online",
        "--team",
        "1",
        "--api-url",
        "http://127.0.0.1:9",
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("MAKE_API_TOKEN"), "{}", r.stderr);
}

#[test]
fn explain_and_rules_document_every_rule() {
    let r = run(&["explain", "BP011"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.contains("connection-placeholder") && r.stdout.contains("## Why is this bad?")
    );
    assert_eq!(run(&["explain", "connection-expired"]).code, 0);
    assert_eq!(run(&["explain", "BP999"]).code, 2);
    let (code, v) = json(&["rules", "--format", "json"]);
    assert_eq!(code, 0);
    let listed: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    for code in [
        "BP001", "BP002", "BP003", "BP004", "BP010", "BP011", "BP012", "BP013", "BP014", "BP015",
        "BP020", "BP030", "BP100", "BP106",
    ] {
        assert!(listed.contains(&code), "{code}");
        assert_eq!(run(&["explain", code]).code, 0);
    }
}

#[test]
fn zone_mismatch_fires_with_a_target_zone() {
    let (_, v) = json(&[
        "check",
        "fixtures/cases/clean/ok.json",
        "--zone",
        "us2",
        "--format",
        "json",
    ]);
    assert_eq!(codes(&v), ["BP030"]);
    let (code, _) = json(&[
        "check",
        "fixtures/cases/clean/ok.json",
        "--zone",
        "eu1",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
}

#[test]
fn walking_honours_gitignore_and_skips_dependency_folders() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad = std::fs::read("fixtures/cases/wrapper.json").unwrap();
    for sub in ["node_modules/pkg", "target/debug", "ignored", "kept"] {
        std::fs::create_dir_all(d.join(sub)).unwrap();
        std::fs::write(d.join(sub).join("a.json"), &bad).unwrap();
    }
    std::fs::write(d.join("kept/b.blueprint"), &bad).unwrap();
    std::fs::write(d.join("kept/c.txt"), &bad).unwrap();
    std::fs::write(d.join(".gitignore"), "ignored/\n").unwrap();
    let (_, v) = json(&["check", d.to_str().unwrap(), "--format", "json"]);
    let mut files: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["file"]
                .as_str()
                .unwrap()
                .rsplit(['/', '\\'])
                .take(2)
                .collect::<Vec<_>>()
                .join("<")
        })
        .collect();
    files.sort();
    assert_eq!(files, ["a.json<kept", "b.blueprint<kept"]);
    // A file named on the command line is always read, ignored or not.
    let (_, v) = json(&[
        "check",
        d.join("ignored/a.json").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(codes(&v), ["BP011"]);
}

#[test]
fn remap_round_trip_is_byte_exact_and_refusals_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for f in ["lead-router.blueprint.json", "weekly-digest.json"] {
        std::fs::copy(Path::new("fixtures/demo").join(f), d.join(f)).unwrap();
    }
    let before: Vec<Vec<u8>> = ["lead-router.blueprint.json", "weekly-digest.json"]
        .iter()
        .map(|f| std::fs::read(d.join(f)).unwrap())
        .collect();
    let dir_arg = d.to_str().unwrap();

    let r = run(&[
        "remap",
        dir_arg,
        "--map",
        "1001=2001,1999=2999",
        "--dry-run",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("-                                \"__IMTCONN__\": 1001")
            && r.stdout
                .contains("+                                \"__IMTCONN__\": 2001"),
        "{}",
        r.stdout
    );
    assert_eq!(
        std::fs::read(d.join("lead-router.blueprint.json")).unwrap(),
        before[0],
        "dry run changes nothing"
    );

    let r = run(&["remap", dir_arg, "--map", "1001=2001,1001=2002"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("ambiguous"), "{}", r.stderr);
    assert_eq!(
        std::fs::read(d.join("lead-router.blueprint.json")).unwrap(),
        before[0]
    );

    let r = run(&["remap", dir_arg, "--map", "1001=2001,1999=2999,1006=2006"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let changed = std::fs::read_to_string(d.join("lead-router.blueprint.json")).unwrap();
    assert!(changed.contains("\"__IMTCONN__\": 2001") && changed.contains("\"__IMTCONN__\": 2999"));
    assert_eq!(
        changed.len(),
        before[0].len(),
        "same-width ids: only the tokens changed"
    );
    let (code, v) = json(&["refs", dir_arg, "--format", "json", "--kind", "connection"]);
    assert_eq!(code, 0);
    let ids: Vec<u64> = v["references"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["resolved_id"].as_u64())
        .collect();
    assert!(ids.contains(&2001) && !ids.contains(&1001));

    std::fs::write(d.join("back.map"), "# back to dev\n2001=1001\n2999=1999\n").unwrap();
    let r = run(&[
        "remap",
        dir_arg,
        "--map-file",
        d.join("back.map").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        std::fs::read(d.join("lead-router.blueprint.json")).unwrap(),
        before[0],
        "A->B->A gives the original bytes"
    );
}

#[test]
fn demo_json_output_is_stable() {
    let mut args = DEMO.to_vec();
    args.extend(["--format", "json"]);
    let r = run(&args);
    assert_eq!(r.code, 1);
    let stable = r.stdout.replace(env!("CARGO_PKG_VERSION"), "[version]");
    insta::assert_snapshot!("demo_json", stable);
}

#[test]
fn remap_checks_new_ids_against_the_target_team_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lead-router.blueprint.json");
    std::fs::copy("fixtures/demo/lead-router.blueprint.json", &file).unwrap();
    let before = std::fs::read(&file).unwrap();
    let f = file.to_str().unwrap();
    let snap = "fixtures/demo/connections.json";

    // 1005 is an Airtable connection of team 200: wrong team and wrong type for a Slack module.
    let r = run(&["remap", f, "--map", "1001=1005", "--connections", snap]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("belongs to team 200, not 100")
            && r.stderr.contains("of type `airtable3`"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(&file).unwrap(), before, "nothing written");

    let r = run(&["remap", f, "--map", "1001=4242", "--connections", snap]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("new connection 4242 does not exist"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(&file).unwrap(), before);

    // 1004 is a Slack connection of team 100: accepted.
    let r = run(&["remap", f, "--map", "1001=1004", "--connections", snap]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("\"__IMTCONN__\": 1004")
    );
}

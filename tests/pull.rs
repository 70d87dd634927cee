//! `bplint pull` and `check --team-scenarios` end to end against the Make API test server.

mod support;

use serde_json::{Value, json};
use support::bin::codes;
use support::make_server::{MakeServer, TOKEN, real_row};

fn blueprint(name: &str, conn: u64) -> Value {
    json!({
        "name": name,
        "flow": [{"id": 1, "module": "slack:CreateMessage", "version": 1,
                  "parameters": {"__IMTCONN__": conn}, "mapper": {"text": "hi"}}],
        "metadata": {"version": 1, "instant": false}
    })
}

/// Team 7 with five scenarios (three pages of two), scenario 3's blueprint answering 500.
fn server() -> MakeServer {
    let mut b = MakeServer::builder().fail_path("/scenarios/3/blueprint", 500);
    for (id, name) in [
        (1, "Lead router"),
        (2, "Weekly digest (EU)"),
        (3, "Broken"),
        (4, "Invoices"),
        (5, "Zapier import"),
    ] {
        b = b.scenario(7, id, name, blueprint(name, 1000 + id));
    }
    b.scenario(8, 99, "Other team", blueprint("Other team", 1))
        .start()
}

fn bplint(args: &[&str]) -> (i32, String, String) {
    let r = support::bin::run_with(support::bin::bplint().env("MAKE_API_TOKEN", TOKEN), args);
    (r.code, r.stdout, r.stderr)
}

#[test]
fn pull_saves_every_blueprint_and_reports_the_one_that_failed() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("blueprints");
    let (code, stdout, err) = bplint(&[
        "pull",
        "--team",
        "7",
        "--out",
        out.to_str().unwrap(),
        "--api-url",
        server.base_url(),
        "--page-size",
        "2",
        "--max-retries",
        "1",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(stdout.is_empty());
    assert!(err.contains("error: scenario 3 (Broken)"), "{err}");
    assert!(err.contains("HTTP 500"), "{err}");
    assert!(err.contains("saved 4 of 5 blueprint(s) of team 7"), "{err}");

    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "1-lead-router.json",
            "2-weekly-digest-eu.json",
            "4-invoices.json",
            "5-zapier-import.json"
        ]
    );
    // The inner blueprint, pretty-printed, keys in the order the API sent them.
    let text = std::fs::read_to_string(out.join("1-lead-router.json")).unwrap();
    assert!(text.starts_with("{\n  \"flow\": [\n"), "{text}");
    let mut saved: Value = serde_json::from_str(&text).unwrap();
    // The answer's `scheduling` is put back beside the blueprint, as in real exports.
    let scheduling = saved.as_object_mut().unwrap().remove("scheduling");
    assert_eq!(
        scheduling,
        Some(json!({"type": "indefinitely", "interval": 900}))
    );
    assert_eq!(saved, blueprint("Lead router", 1001));

    // Pages of 2, 2 and 1; one blueprint each, the failing one tried twice.
    let lists: Vec<(String, String)> = server
        .requests()
        .iter()
        .filter(|r| r.is("GET", "/scenarios"))
        .map(|r| {
            (
                r.param("teamId").unwrap().to_string(),
                r.param("pg[offset]").unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        lists,
        [
            ("7".into(), "0".into()),
            ("7".into(), "2".into()),
            ("7".into(), "4".into())
        ]
    );
    for id in [1, 2, 4, 5] {
        assert_eq!(
            server.count_of("GET", &format!("/scenarios/{id}/blueprint")),
            1
        );
    }
    assert_eq!(server.count_of("GET", "/scenarios/3/blueprint"), 2);
    assert_eq!(server.count(), 3 + 4 + 2);
}

#[test]
fn pull_exits_2_when_the_list_fails() {
    let server = MakeServer::builder().fail_first(10, 503).start();
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = bplint(&[
        "pull",
        "--team",
        "7",
        "--out",
        dir.path().to_str().unwrap(),
        "--api-url",
        server.base_url(),
        "--max-retries",
        "0",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("could not list the scenarios of team 7"),
        "{err}"
    );
    assert_eq!(server.count(), 1);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn check_team_scenarios_audits_fetched_blueprints_without_writing() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, err) = support::bin::bplint_in(dir.path())
        .env("MAKE_API_TOKEN", TOKEN)
        .args([
            "check",
            "--team-scenarios",
            "7",
            "--api-url",
            server.base_url(),
            "--max-retries",
            "0",
            "--format",
            "json",
        ])
        .output()
        .map(|o| {
            (
                o.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&o.stdout).into_owned(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        })
        .unwrap();
    // The blueprint that could not be fetched makes the run exit 2.
    assert_eq!(code, 2, "{stdout}{err}");
    assert!(
        err.contains("scenario:3-broken: could not fetch the blueprint"),
        "{err}"
    );
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["summary"]["files"], 4, "{v}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    assert_eq!(server.count(), 1 + 5);
}

fn pull_into(server: &MakeServer, out: &std::path::Path, extra: &[&str]) -> (i32, String) {
    let mut args = vec![
        "pull",
        "--team",
        "7",
        "--out",
        out.to_str().unwrap(),
        "--api-url",
        server.base_url(),
        "--max-retries",
        "0",
    ];
    args.extend(extra);
    let (code, stdout, err) = bplint(&args);
    assert!(stdout.is_empty(), "{stdout}");
    (code, err)
}

fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[cfg(unix)]
#[test]
fn pull_saves_files_with_the_umask_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let server = MakeServer::builder()
        .scenario(7, 1, "Lead router", blueprint("Lead router", 1001))
        .start();
    let dir = tempfile::tempdir().unwrap();
    // What `File::create` (0666 under the umask) gives: 0644 under the usual umask 022.
    let probe = dir.path().join("probe");
    std::fs::File::create(&probe).unwrap();
    let expected = std::fs::metadata(&probe).unwrap().permissions().mode() & 0o777;
    std::fs::remove_file(&probe).unwrap();
    let (code, err) = pull_into(&server, dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    let saved = dir.path().join("1-lead-router.json");
    let mode = std::fs::metadata(&saved).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, expected, "{mode:o} vs {expected:o}");
}

#[test]
fn pull_notes_files_left_under_a_scenarios_old_name_and_prune_deletes_them() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for f in [
        "1-lead-router-old.json", // scenario 1, renamed since
        "1-lead-router.json",     // overwritten
        "3-broken-old.json",      // scenario 3 could not be fetched: nothing is known
        "12-other.json",          // not a pulled id
        "01-zero.json",           // not how ids are written
        "1-notes.txt",
    ] {
        std::fs::write(d.join(f), "{}").unwrap();
    }
    let (code, err) = pull_into(&server, d, &[]);
    assert_eq!(code, 2, "scenario 3 fails: {err}");
    assert!(
        err.contains(
            "note: 1-lead-router-old.json is left from an earlier pull: scenario 1 is now saved as \
             1-lead-router.json (--prune deletes such files)"
        ),
        "{err}"
    );
    assert_eq!(err.matches("note: ").count(), 1, "{err}");
    assert!(
        d.join("1-lead-router-old.json").exists(),
        "kept without --prune"
    );

    let (code, err) = pull_into(&server, d, &["--prune"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "note: deleted 1-lead-router-old.json: scenario 1 is now saved as 1-lead-router.json"
        ),
        "{err}"
    );
    assert_eq!(
        names_in(d),
        [
            "01-zero.json",
            "1-lead-router.json",
            "1-notes.txt",
            "12-other.json",
            "2-weekly-digest-eu.json",
            "3-broken-old.json",
            "4-invoices.json",
            "5-zapier-import.json"
        ]
    );
}

#[test]
fn pull_refuses_answers_that_are_not_blueprints_and_saves_the_others() {
    let server = MakeServer::builder()
        .scenario(7, 1, "Good", blueprint("Good", 1001))
        .scenario(
            7,
            2,
            "Evil\u{1b}[2J\u{7}name",
            json!("<html>maintenance</html>"),
        )
        .scenario(7, 3, "Other tool", json!({"modules": []}))
        .scenario(7, 4, "Flow object", json!({"flow": {}}))
        .scenario(7, 5, "No blueprint", blueprint("x", 1))
        .answer("/scenarios/5/blueprint", r#"{"code":"OK","response":{}}"#)
        .scenario(7, 6, "Not JSON", blueprint("x", 1))
        .malformed("/scenarios/6/blueprint")
        .start();
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = pull_into(&server, dir.path(), &[]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(names_in(dir.path()), ["1-good.json"]);
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    for expected in [
        "error: scenario 2 (Evil\\u{1b}[2J\\u{7}name): the answer's `response.blueprint` is a JSON \
         string, not a blueprint object",
        "error: scenario 3 (Other tool): the answer's `response.blueprint` has no `flow` array",
        "error: scenario 4 (Flow object): the answer's `response.blueprint` has a `flow` that is a \
         JSON object",
        "error: scenario 5 (No blueprint): could not fetch the blueprint",
        "error: scenario 6 (Not JSON): could not fetch the blueprint",
    ] {
        assert!(err.contains(expected), "{expected}\n{err}");
    }
    assert!(err.contains("saved 1 of 6 blueprint(s) of team 7"), "{err}");
}

/// A scenario whose Slack connection is a scenario input: the blueprint says
/// `{{var.input.slackConn}}`, and the default id is only in the answer's `response.metadata`.
fn input_server() -> MakeServer {
    let bp = json!({
        "name": "Inputs",
        "flow": [{"id": 1, "module": "slack:CreateMessage", "version": 1,
                  "parameters": {"__IMTCONN__": "{{var.input.slackConn}}"}}],
        "metadata": {"version": 1}
    });
    MakeServer::builder()
        .team(7, vec![real_row(1001, "Slack", "slack2", 7, &["chat:write"])])
        .scenario(7, 21, "Inputs", bp)
        .scenario_io(
            21,
            json!([{"name": "slackConn", "type": "account:slack2", "required": true, "default": 1999}]),
            json!([{"name": "ok", "type": "boolean"}]),
        )
        .start()
}

#[test]
fn pull_keeps_the_scenario_inputs_outputs_and_scheduling_as_real_exports_do() {
    let server = input_server();
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = bplint(&[
        "pull",
        "--team",
        "7",
        "--out",
        dir.path().to_str().unwrap(),
        "--api-url",
        server.base_url(),
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(dir.path().join("21-inputs.json")).unwrap();
    let saved: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(saved["io"]["input_spec"][0]["default"], 1999, "{text}");
    assert_eq!(saved["io"]["output_spec"][0]["name"], "ok");
    assert_eq!(saved["scheduling"]["interval"], 900);
    // Beside `flow`, after the blueprint's own members, in the order Make sent them.
    let at = |key: &str| text.find(&format!("\n  \"{key}\"")).unwrap();
    assert!(
        at("flow") < at("metadata") && at("metadata") < at("io") && at("io") < at("scheduling")
    );
    assert_eq!(server.count(), 2);

    // The saved file checks like the API's answer: the input's default is looked up.
    let (code, stdout, err) = bplint(&[
        "check",
        dir.path().to_str().unwrap(),
        "--online",
        "--team",
        "7",
        "--api-url",
        server.base_url(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert!(codes(&v).iter().any(|c| c == "BP100"), "{v}");
}

#[test]
fn check_team_scenarios_resolves_a_connection_input_to_its_default() {
    let server = input_server();
    let (code, stdout, err) = bplint(&[
        "check",
        "--team-scenarios",
        "7",
        "--online",
        "--team",
        "7",
        "--api-url",
        server.base_url(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{stdout}{err}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let not_found = support::bin::findings_with(&v, "BP100");
    assert_eq!(not_found.len(), 1, "{v}");
    assert_eq!(not_found[0]["file"], "scenario:21-inputs");
    assert!(
        not_found[0]["message"].as_str().unwrap().contains("1999"),
        "{v}"
    );
    // Scenario list and blueprint; Make's requirements of the module's app; the connection
    // list and the default's lookup by id.
    assert_eq!(server.count(), 5, "{:?}", server.requests());
    assert_eq!(
        server.count_where(|r| r.path.starts_with("/credential-requests/")),
        1
    );
    assert_eq!(server.by_id_calls(), [1999]);
}

#[test]
fn a_refused_token_names_the_scope_pull_needs() {
    let server = MakeServer::builder().token("another-key").start();
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = bplint(&[
        "pull",
        "--team",
        "7",
        "--out",
        dir.path().to_str().unwrap(),
        "--api-url",
        server.base_url(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("refused the token (401 on GET /api/v2/scenarios")
            && err.contains("lacks the `scenarios:read` scope"),
        "{err}"
    );
    assert!(!err.contains(TOKEN));
    assert_eq!(server.count(), 1);
}

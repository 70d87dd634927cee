//! Webhooks, data stores and keychains checked like connections (BP110-BP115), against the
//! Make API test server and a snapshot.

mod support;

use serde_json::{Value, json};
use support::make_server::{MakeServer, TOKEN};

const FIXTURE: &str = "fixtures/audit/stored-objects.json";

fn bplint(args: &[&str], token: bool) -> (i32, Value, String) {
    let mut cmd = support::bin::bplint();
    if token {
        cmd.env("MAKE_API_TOKEN", TOKEN);
    }
    let out = cmd.args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_str(&stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (code, line) of every live finding.
fn live(v: &Value) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = v["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings: {v}"))
        .iter()
        .filter(|f| f["code"].as_str().is_some_and(|c| c.starts_with("BP11")))
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn row(id: u64, team: u64) -> Value {
    json!({"id": id, "name": format!("object {id}"), "teamId": team})
}

fn server() -> MakeServer {
    MakeServer::builder()
        .hooks(7, vec![row(52001, 7)])
        .data_stores(7, vec![row(801, 7)])
        .keys(7, vec![row(901, 7)])
        .start()
}

#[test]
fn ids_missing_from_the_team_lists_are_reported_with_one_request_per_kind() {
    let server = server();
    let (code, v, err) = bplint(
        &[
            "check",
            FIXTURE,
            "--online",
            "--api-url",
            server.base_url(),
            "--team",
            "7",
            "--format",
            "json",
        ],
        true,
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        live(&v),
        [
            ("BP110".to_string(), 5),
            ("BP112".to_string(), 7),
            ("BP114".to_string(), 10)
        ]
    );
    // No connection is referenced: no connection request; each kind listed once.
    assert_eq!(server.count(), 3, "{:?}", server.requests());
    for path in ["/hooks", "/data-stores", "/keys"] {
        assert_eq!(server.count_of("GET", path), 1, "{path}");
    }
}

#[test]
fn only_referenced_kinds_are_listed() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hook.json");
    std::fs::write(
        &file,
        r#"{"name":"h","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"parameters":{"hook":52001}}],"metadata":{}}"#,
    )
    .unwrap();
    let (code, v, err) = bplint(
        &[
            "check",
            file.to_str().unwrap(),
            "--online",
            "--api-url",
            server.base_url(),
            "--team",
            "7",
            "--format",
            "json",
        ],
        true,
    );
    assert_eq!(code, 0, "{err}");
    assert!(live(&v).is_empty());
    assert_eq!(server.count(), 1);
    assert_eq!(server.count_of("GET", "/hooks"), 1);
}

#[test]
fn a_list_that_fails_exits_2_and_is_never_called_not_found() {
    let server = MakeServer::builder()
        .hooks(7, vec![row(52001, 7)])
        .data_stores(7, vec![row(801, 7)])
        .fail_path("/keys", 500)
        .start();
    let (code, v, err) = bplint(
        &[
            "check",
            FIXTURE,
            "--online",
            "--api-url",
            server.base_url(),
            "--team",
            "7",
            "--max-retries",
            "0",
            "--format",
            "json",
        ],
        true,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("could not list the keys of team 7"), "{err}");
    assert!(!live(&v).iter().any(|(c, _)| c == "BP114"), "{v}");
}

#[test]
fn a_snapshot_with_object_lists_reports_other_teams_and_missing_ids() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap.json");
    let doc = json!({
        "teamId": 7,
        "connections": [],
        "hooks": [row(52001, 7), row(52002, 9)],
        "dataStores": [row(801, 7)],
        // A row without `teamId` belongs to the snapshot's team.
        "keys": [{"id": 901, "name": "API key"}, row(902, 8)],
    });
    std::fs::write(&snap, doc.to_string()).unwrap();
    let (code, v, err) = bplint(
        &[
            "check",
            FIXTURE,
            "--connections",
            snap.to_str().unwrap(),
            "--format",
            "json",
        ],
        false,
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        live(&v),
        [
            ("BP111".to_string(), 5),
            ("BP112".to_string(), 7),
            ("BP115".to_string(), 10)
        ]
    );
}

#[test]
fn a_snapshot_without_object_lists_checks_only_connections() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap.json");
    std::fs::write(&snap, r#"{"teamId": 7, "connections": []}"#).unwrap();
    let (code, v, err) = bplint(
        &[
            "--verbose",
            "check",
            FIXTURE,
            "--connections",
            snap.to_str().unwrap(),
            "--format",
            "json",
        ],
        false,
    );
    assert_eq!(code, 0, "{err}");
    assert!(live(&v).is_empty());
    assert!(
        err.contains("holds no `hooks` list: 2 hook reference(s) not checked"),
        "{err}"
    );
}

#[test]
fn without_a_team_nothing_is_listed_and_verbose_says_why() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bplint.toml"),
        "[[teams]]\npaths = [\"other/**\"]\nteams = [7]\n",
    )
    .unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    let out = support::bin::bplint_in(dir.path())
        .env("MAKE_API_TOKEN", TOKEN)
        .args(["--verbose", "check"])
        .arg(&fixture)
        .args([
            "--online",
            "--api-url",
            server.base_url(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("2 hook reference(s) not checked: the Make API lists hooks per team"),
        "{err}"
    );
    assert_eq!(server.count(), 0);
}

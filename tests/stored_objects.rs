//! Webhooks, data stores and keychains checked like connections (BP110-BP115), against the
//! Make API test server and a snapshot.

mod support;

use serde_json::{Value, json};
use support::bin::codes;
use support::make_server::{MakeServer, TOKEN, real_row};

const FIXTURE: &str = "fixtures/audit/stored-objects.json";

fn bplint(args: &[&str], token: bool) -> (i32, Value, String) {
    support::bin::run_json(support::bin::bplint(), args, token.then_some(TOKEN))
}

/// `check FILE --online` against `server` for team 7, as JSON, with `extra` arguments.
fn check_online(server: &MakeServer, file: &str, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec![
        "check",
        file,
        "--online",
        "--api-url",
        server.base_url(),
        "--team",
        "7",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    bplint(&args, true)
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

/// The message of every finding, in report order.
fn messages(v: &Value) -> Vec<&str> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect()
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
fn ids_missing_from_the_team_lists_are_asked_by_id_once_then_reported() {
    let server = server();
    let (code, v, err) = check_online(&server, FIXTURE, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        live(&v),
        [
            ("BP110".to_string(), 5),
            ("BP112".to_string(), 7),
            ("BP114".to_string(), 10)
        ]
    );
    // No connection is referenced: no connection request; each kind listed once, then each id
    // its list lacks asked by id once (404: it exists nowhere the token can see).
    assert_eq!(server.count(), 6, "{:?}", server.requests());
    for path in [
        "/hooks",
        "/data-stores",
        "/keys",
        "/hooks/52002",
        "/data-stores/802",
        "/keys/902",
    ] {
        assert_eq!(server.count_of("GET", path), 1, "{path}");
    }
}

#[test]
fn another_teams_webhook_data_store_and_keychain_are_wrong_team_not_missing() {
    let server = MakeServer::builder()
        .hooks(7, vec![row(52001, 7)])
        .hooks(9, vec![row(52002, 9)])
        .data_stores(7, vec![row(801, 7)])
        .data_stores(9, vec![row(802, 9)])
        .keys(7, vec![row(901, 7)])
        .keys(8, vec![row(902, 8)])
        .start();
    let (code, v, err) = check_online(&server, FIXTURE, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        live(&v),
        [
            ("BP111".to_string(), 5),
            ("BP113".to_string(), 7),
            ("BP115".to_string(), 10)
        ]
    );
    let messages = messages(&v);
    assert!(
        messages.contains(&"webhook 52002 \"object 52002\" (team 9) belongs to team 9, not team 7"),
        "{messages:?}"
    );
    assert_eq!(server.count(), 6, "{:?}", server.requests());
    assert_eq!(v["summary"]["requests"], 6);
}

#[test]
fn a_token_without_hooks_read_keeps_the_other_findings_and_exits_2_naming_the_scope() {
    let server = MakeServer::builder()
        .team(
            7,
            vec![real_row(1001, "Slack", "slack2", 7, &["chat:write"])],
        )
        .refuse("/hooks*", 401)
        .data_stores(7, vec![row(801, 7)])
        .keys(7, vec![row(901, 7)])
        .start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mixed.json");
    std::fs::write(
        &file,
        r#"{"name": "mixed", "flow": [
  {"id": 1, "module": "slack:CreateMessage", "version": 1, "parameters": {"__IMTCONN__": 1001}},
  {"id": 2, "module": "slack:CreateMessage", "version": 1, "parameters": {"__IMTCONN__": 1999}},
  {"id": 3, "module": "gateway:CustomWebHook", "version": 1, "parameters": {"hook": 52001}},
  {"id": 4, "module": "datastore:AddRecord", "version": 1, "parameters": {"datastore": 802}}
], "metadata": {"version": 1}}"#,
    )
    .unwrap();
    let (code, v, err) = check_online(&server, file.to_str().unwrap(), &[]);
    assert_eq!(code, 2, "{err}");
    // The connection and data store findings stand; no webhook finding is made up.
    let codes = codes(&v);
    // BP200 (no error handler, once per scenario, info: after the errors) stands too.
    assert_eq!(codes, ["BP100", "BP112", "BP200"], "{v}");
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = errors[0].as_str().unwrap();
    assert!(
        e.contains("could not list the hooks of team 7, 1 hook(s) unchecked")
            && e.contains("the token lacks the `hooks:read` scope"),
        "{e}"
    );
    // The refused list is not followed by lookups by id.
    assert_eq!(server.count_where(|r| r.path.starts_with("/hooks/")), 0);
    // Make's requirements of slack version 1, connections list, 1999 by id, 1001's scope
    // group, hooks, data stores, 802 by id.
    assert_eq!(server.count(), 7, "{:?}", server.requests());
}

#[test]
fn a_401_on_the_first_request_refuses_the_token_and_names_that_endpoint_scope() {
    let server = MakeServer::builder().refuse("/hooks*", 401).start();
    let (code, v, err) = check_online(&server, FIXTURE, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(live(&v).is_empty());
    let e = v["errors"][0].as_str().unwrap();
    assert!(
        e.contains("refused the token (401 on GET /api/v2/hooks")
            && e.contains("lacks the `hooks:read` scope"),
        "{e}"
    );
    assert_eq!(
        server.count(),
        1,
        "nothing is sent after the token is refused"
    );
    assert!(!err.contains(TOKEN) && !v.to_string().contains(TOKEN));
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
    let (code, v, err) = check_online(&server, file.to_str().unwrap(), &[]);
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
    let (code, v, err) = check_online(&server, FIXTURE, &["--max-retries", "0"]);
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
fn without_a_team_each_object_is_asked_by_id_for_existence_only() {
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
        .args(["check"])
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
    assert_eq!(out.status.code(), Some(1), "{err}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // No team to compare with: what exists passes, what does not is reported.
    assert_eq!(
        live(&v),
        [
            ("BP110".to_string(), 5),
            ("BP112".to_string(), 7),
            ("BP114".to_string(), 10)
        ]
    );
    let messages = messages(&v);
    assert!(
        messages.contains(&"webhook 52002 does not exist"),
        "{messages:?}"
    );
    // No list (lists are per team); one request per referenced id.
    assert_eq!(server.count(), 6, "{:?}", server.requests());
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.path.matches('/').count() == 2)
    );
}

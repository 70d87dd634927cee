//! `bplint bind --online` against the Make API test server.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::bin::{Run, bplint_in, run_cmd};
use crate::support::make_server::{MakeServer, TOKEN, app_module, real_row};
use crate::{SECOND, SHEETS_READONLY, SHEETS_SCOPE, TEMPLATE, copy_templates, one_module, read};

fn online(server: &MakeServer, dir: &Path, extra: &[&str]) -> Run {
    let mut cmd = bplint_in(dir);
    cmd.env("MAKE_API_TOKEN", TOKEN);
    let mut args = vec![
        "bind",
        "--team",
        "100",
        "--online",
        "--api-url",
        server.base_url(),
    ];
    args.extend_from_slice(extra);
    run_cmd(cmd, &args)
}

fn team_rows() -> Vec<Value> {
    vec![
        real_row(4101, "Sheets ops", "google", 100, &[SHEETS_SCOPE]),
        real_row(4102, "Sheets readonly", "google", 100, &[SHEETS_READONLY]),
        real_row(4105, "Gmail ops", "google-email", 100, &[SHEETS_SCOPE]),
        real_row(
            4201,
            "Slack main",
            "slack2",
            100,
            &["chat:write", "channels:read"],
        ),
        real_row(4202, "Slack reader", "slack2", 100, &["channels:read"]),
        real_row(
            4301,
            "Drive uploads",
            "google-restricted",
            100,
            &["https://www.googleapis.com/auth/drive.file"],
        ),
        real_row(
            4401,
            "HubSpot EU",
            "hubspotcrm",
            100,
            &["crm.objects.contacts.write"],
        ),
        real_row(
            4402,
            "HubSpot US",
            "hubspotcrm",
            100,
            &["crm.objects.contacts.write"],
        ),
    ]
}

#[test]
fn online_binds_connections_with_the_scopes_asked_economically() {
    let server = MakeServer::builder()
        .team(100, team_rows())
        .hooks(
            100,
            vec![
                json!({"id": 5101, "name": "Lead intake hook", "typeName": "gateway-webhook", "teamId": 100}),
                json!({"id": 5102, "name": "Mail hook", "typeName": "gateway-mailhook", "teamId": 100}),
            ],
        )
        .data_stores(100, vec![json!({"id": 5201, "name": "Leads", "teamId": 100})])
        .start();
    let d = tempfile::tempdir().unwrap();
    copy_templates(d.path());
    let r = online(&server, d.path(), &[TEMPLATE, SECOND]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    // The list rows carry no scopes; the scope filters tell 4101 from 4102 and 4201 from 4202.
    // The webhook and the data store bind from the team's lists as from a snapshot.
    assert_eq!(
        read(d.path(), TEMPLATE),
        read(d.path(), "template.bound.json")
    );
    assert_eq!(read(d.path(), SECOND), read(d.path(), "second.bound.json"));
    assert!(
        r.stderr
            .contains("candidate 4401 \"HubSpot EU\" (hubspotcrm)"),
        "{}",
        r.stderr
    );
    // One listing for the candidates; then the scope check: one more listing, one filtered
    // listing per (type, scopes) group, and a record by id only for a connection that fails
    // its group's first alternative (4301 holds `drive.file`, not `drive`): never a request
    // per connection.
    let lists = server.list_calls();
    let plain = lists
        .iter()
        .filter(|l| l.params("type[]").is_empty())
        .count();
    let filtered: Vec<Vec<&str>> = lists
        .iter()
        .map(|l| l.params("type[]"))
        .filter(|t| !t.is_empty())
        .collect();
    assert_eq!(plain, 2, "{:?}", server.requests());
    assert_eq!(
        filtered.len(),
        4,
        "google, slack2, google-restricted, hubspotcrm: {filtered:?}"
    );
    assert_eq!(server.by_id_calls(), [4301]);
    // One list each of the team's hooks and data stores, and Make's requirements once per
    // app of the references to bind (google-sheets, slack, google-drive, hubspotcrm; the test
    // server knows none, so the catalog answers).
    let requirement_calls = server
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/credential-requests/"))
        .count();
    assert_eq!(requirement_calls, 4, "{:?}", server.requests());
    assert_eq!(server.count(), 7 + 2 + 4, "{:?}", server.requests());
}

/// `bind --online` over the templates while Make answers 500 at `path` (no retries): exit 2,
/// and the template is left as it was.
fn online_failing_at(path: &str) -> (MakeServer, Run) {
    let server = MakeServer::builder()
        .team(100, team_rows())
        .fail_path(path, 500)
        .start();
    let d = tempfile::tempdir().unwrap();
    copy_templates(d.path());
    let before = read(d.path(), TEMPLATE);
    let r = online(&server, d.path(), &[TEMPLATE, "--max-retries", "0"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(read(d.path(), TEMPLATE), before);
    (server, r)
}

#[test]
fn online_trouble_is_exit_2_and_writes_nothing() {
    let (server, r) = online_failing_at("/connections");
    assert!(
        r.stderr
            .contains("could not list the connections of team 100"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(TOKEN) && !r.stdout.contains(TOKEN));
    assert_eq!(server.count(), 1);
}

#[test]
fn online_nothing_to_bind_is_one_listing_and_exit_0() {
    let server = MakeServer::builder().team(100, team_rows()).start();
    let d = tempfile::tempdir().unwrap();
    let text = one_module("slack:CreateMessage", json!(4201));
    std::fs::write(d.path().join("a.json"), &text).unwrap();
    let r = online(&server, d.path(), &["a.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("nothing to bind"), "{}", r.stderr);
    assert_eq!(server.count(), 1);
    assert_eq!(
        std::fs::read_to_string(d.path().join("a.json")).unwrap(),
        text
    );
}

#[test]
fn online_a_failed_scope_check_is_exit_2_and_writes_nothing() {
    let (_server, r) = online_failing_at("/connections?type[]=slack2");
    assert!(r.stderr.contains("could not be checked"), "{}", r.stderr);
}

#[test]
fn online_make_requirements_decide_types_and_scopes_of_an_app_the_catalog_lacks() {
    // The catalog knows nothing of `acme-crm`; Make says CreateContact accepts `acme2` and
    // needs `contacts:write`. Of three connections only 7003 is of that type with that scope:
    // without Make's answer all three would be candidates.
    let server = MakeServer::builder()
        .team(
            100,
            vec![
                real_row(7001, "Acme old", "acme1", 100, &["contacts:write"]),
                real_row(7002, "Acme reader", "acme2", 100, &["contacts:read"]),
                real_row(7003, "Acme writer", "acme2", 100, &["contacts:write"]),
            ],
        )
        .app_requirements(
            "acme-crm",
            "1",
            vec![app_module(
                "CreateContact",
                "account:acme2",
                Some(&["contacts:write"]),
            )],
        )
        .start();
    let d = tempfile::tempdir().unwrap();
    let text = one_module("acme-crm:CreateContact", json!("<ACME>"));
    std::fs::write(d.path().join("a.json"), &text).unwrap();
    let r = online(&server, d.path(), &["a.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(d.path().join("a.json")).unwrap(),
        text.replace("\"<ACME>\"", "7003")
    );
    let asked = server
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/credential-requests/apps/acme-crm/1/"))
        .count();
    assert_eq!(asked, 1, "{:?}", server.requests());
}

#[test]
fn online_a_data_structure_binds_from_the_teams_list() {
    let server = MakeServer::builder()
        .team(100, Vec::new())
        .data_structures(100, vec![json!({"id": 61, "name": "Lead", "teamId": 100})])
        .start();
    let d = tempfile::tempdir().unwrap();
    let text = "{\"flow\": [{\"id\": 1, \"module\": \"json:CreateJSON\", \"parameters\": {\"type\": \"<UDT_01>\"}}]}";
    std::fs::write(d.path().join("a.json"), text).unwrap();
    let r = online(&server, d.path(), &["a.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(d.path().join("a.json")).unwrap(),
        text.replace("\"<UDT_01>\"", "61")
    );
    // The connections list and the data structures list: nothing else.
    let paths: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/connections", "/data-structures"], "{paths:?}");
}

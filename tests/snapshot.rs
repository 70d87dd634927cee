//! Snapshot files as a connection source.

use std::io::Write;

use bplint::live::snapshot::Snapshot;
use bplint::live::{ConnectionSource, ResolveRequest};

fn ask(team: Option<u64>, ids: &[u64]) -> ResolveRequest {
    ResolveRequest {
        team,
        ids: ids.iter().copied().collect(),
        ..ResolveRequest::default()
    }
}

const REAL_PAGE: &str = r#"{
  "connections": [
    {"id": 5, "name": "Slack", "accountName": "slack2", "accountLabel": "acme",
     "accountType": "oauth", "teamId": 7, "expire": "2026-12-01T00:00:00.000Z", "scopesCnt": 2},
    {"id": 6, "name": "Sheets", "accountName": "google", "accountType": "oauth", "teamId": 8,
     "expire": null, "scopes": [{"id": "drive", "name": "drive", "account": 6}]}
  ],
  "pg": {"limit": 500, "offset": 0, "total": 2}
}"#;

#[test]
fn a_page_object_resolves_found_and_missing() {
    let snap = Snapshot::from_str(REAL_PAGE, "conns.json").unwrap();
    assert_eq!(snap.len(), 2);
    assert_eq!(snap.describe(), "snapshot conns.json");

    let res = snap.resolve(&ask(Some(7), &[5, 6, 99]));
    assert_eq!(res.found.len(), 2);
    assert_eq!(res.not_found.iter().copied().collect::<Vec<_>>(), [99]);
    assert!(res.unchecked.is_empty() && res.errors.is_empty() && res.notes.is_empty());
    assert_eq!(res.requests, 0);

    let slack = &res.found[&5];
    assert_eq!(slack.connection_type.as_deref(), Some("slack2"));
    assert_eq!(slack.team_id, Some(7));
    assert!(slack.expire.is_some());
    assert_eq!(slack.scopes, None);
    // Another team's connection is still found: the rules judge team_id.
    assert_eq!(res.found[&6].team_id, Some(8));
    assert_eq!(res.found[&6].scopes.clone().unwrap(), ["drive"]);
}

#[test]
fn concatenated_pages_and_plain_arrays_are_accepted() {
    let pages = r#"[
      {"connections": [{"id": 1, "name": "a", "accountName": "google", "accountType": "oauth"}],
       "pg": {"limit": 1, "offset": 0, "total": 2}},
      {"connections": [{"id": 2, "name": "b", "accountName": "slack2", "accountType": "oauth"},
                       {"id": 1, "name": "a again"}],
       "pg": {"limit": 1, "offset": 1, "total": 2}}
    ]"#;
    let snap = Snapshot::from_str(pages, "pages.json").unwrap();
    assert_eq!(snap.len(), 2);
    assert_eq!(
        snap.get(1).unwrap().name,
        "a",
        "the first copy of a repeated row stands"
    );

    let plain = r#"[
      {"id": 123456, "name": "My Slack", "accountName": "workspace@company.com",
       "accountType": "slack", "teamId": 5891096, "expire": null,
       "scopes": ["chat:write", "channels:read"]},
      {"id": "77", "name": "string id", "accountName": "google", "accountType": "oauth"}
    ]"#;
    let snap = Snapshot::from_str(plain, "plain.json").unwrap();
    let seed = snap.get(123456).unwrap();
    assert_eq!(seed.connection_type.as_deref(), Some("slack"));
    assert_eq!(seed.account_label.as_deref(), Some("workspace@company.com"));
    assert_eq!(
        seed.scopes.clone().unwrap(),
        ["chat:write", "channels:read"]
    );
    assert!(snap.get(77).is_some());
}

#[test]
fn invalid_json_names_file_line_and_column() {
    let e = Snapshot::from_str(
        "{\n  \"connections\": [\n    {\"id\": 1,}\n  ]\n}",
        "bad.json",
    )
    .unwrap_err();
    assert!(e.starts_with("bad.json:3:"), "{e}");
    assert!(e.contains("invalid JSON"), "{e}");
}

#[test]
fn a_row_without_id_is_named_by_its_index() {
    let e = Snapshot::from_str(
        r#"{"connections": [{"id": 1}, {"name": "no id"}]}"#,
        "c.json",
    )
    .unwrap_err();
    assert!(e.contains("c.json") && e.contains(".connections[1]"), "{e}");
    assert!(e.contains("id"), "{e}");

    let e = Snapshot::from_str(
        r#"[{"connections": []}, {"connections": [{"id": "x"}]}]"#,
        "p.json",
    )
    .unwrap_err();
    assert!(e.contains("[1].connections[0]"), "{e}");

    let e = Snapshot::from_str(r#"[{"id": 1}, {"id": null}]"#, "a.json").unwrap_err();
    assert!(e.contains("[1]"), "{e}");
}

#[test]
fn other_json_is_not_a_snapshot() {
    for text in [
        r#"{"blueprint": {}}"#,
        "42",
        r#"{"connections": 3}"#,
        "[1, 2]",
    ] {
        let e = Snapshot::from_str(text, "x.json").unwrap_err();
        assert!(e.starts_with("x.json:"), "{text}: {e}");
    }
}

const RECORDED: &str = r#"{
  "teamId": 100,
  "connections": [
    {"id": 1001, "name": "Slack", "accountName": "slack2", "accountType": "oauth", "teamId": 100},
    {"id": 1007, "name": "Calendar", "accountName": "google", "accountType": "oauth", "teamId": 100,
     "verified": false, "verifyError": "invalid_grant: token has been revoked"},
    {"id": 1008, "name": "Drive", "accountName": "google", "accountType": "oauth", "teamId": 100,
     "verified": true}
  ]
}"#;

#[test]
fn a_top_level_team_id_is_the_default_team() {
    let snap = Snapshot::from_str(RECORDED, "demo.json").unwrap();
    assert_eq!(snap.default_team(), Some(100));
    assert_eq!(snap.team(), Some(100));
    assert_eq!(
        Snapshot::from_str(REAL_PAGE, "c.json")
            .unwrap()
            .default_team(),
        None
    );

    let same = r#"[{"teamId": 3, "connections": [{"id": 1}]}, {"teamId": "3", "connections": []}]"#;
    assert_eq!(
        Snapshot::from_str(same, "p.json").unwrap().default_team(),
        Some(3)
    );
    let mixed = r#"[{"teamId": 3, "connections": [{"id": 1}]}, {"teamId": 4, "connections": []}]"#;
    assert_eq!(
        Snapshot::from_str(mixed, "p.json").unwrap().default_team(),
        None
    );
}

#[test]
fn verify_reports_recorded_results_only() {
    let snap = Snapshot::from_str(RECORDED, "demo.json").unwrap();
    let res = snap.resolve(&ask(None, &[1001, 1007, 1008]));
    assert!(
        res.verification.is_empty(),
        "recorded results only with --verify"
    );
    assert!(res.notes.is_empty());

    let mut req = ask(None, &[1001, 1007, 1008, 5]);
    req.verify = true;
    let res = snap.resolve(&req);
    assert_eq!(res.verification.len(), 2);
    assert!(!res.verification[&1007].verified);
    assert_eq!(
        res.verification[&1007].error.as_deref(),
        Some("invalid_grant: token has been revoked")
    );
    assert!(res.verification[&1008].verified);
    assert_eq!(res.notes.len(), 1, "{:?}", res.notes);
    assert!(res.notes[0].contains("1 connection(s)"), "{:?}", res.notes);
    assert!(res.unchecked.is_empty() && res.errors.is_empty());
    assert_eq!(res.requests, 0);
}

#[test]
fn load_reads_files_with_a_bom() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all("\u{feff}".as_bytes()).unwrap();
    file.write_all(REAL_PAGE.as_bytes()).unwrap();
    let snap = Snapshot::load(file.path()).unwrap();
    assert_eq!(snap.len(), 2);
    assert!(snap.describe().contains(&file.path().display().to_string()));

    let e = Snapshot::load(std::path::Path::new("/nonexistent/conns.json")).unwrap_err();
    assert!(e.contains("/nonexistent/conns.json"), "{e}");

    let mut bad = tempfile::NamedTempFile::new().unwrap();
    bad.write_all(b"{\"connections\": [\xff]}").unwrap();
    let e = Snapshot::load(bad.path()).unwrap_err();
    assert!(e.contains("UTF-8"), "{e}");
}

#[test]
fn an_empty_snapshot_finds_nothing() {
    let snap = Snapshot::from_str(r#"{"connections": []}"#, "empty.json").unwrap();
    assert!(snap.is_empty());
    let res = snap.resolve(&ask(Some(1), &[1, 2]));
    assert_eq!(res.not_found.len(), 2);
}

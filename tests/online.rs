//! `check --online` end to end: the binary against the Make API test server on 127.0.0.1.

mod support;

use serde_json::{Value, json};
use support::bin::{bplint, run_json, with_shipped_rules};
use support::make_server::{Builder, MakeServer, OAUTH_TOKEN, TOKEN, demo_rows};

const NOW: &str = "2026-03-01T00:00:00Z";

/// The demo's connections served as the API serves them: team 100 lists its own, the
/// other-team connection is found only by id.
fn demo_server() -> MakeServer {
    demo_server_with(|b| b)
}

/// [`demo_server`], configured further (faults, another token).
fn demo_server_with(tweak: impl FnOnce(Builder) -> Builder) -> MakeServer {
    let rows = demo_rows();
    let mut b = tweak(MakeServer::builder());
    for team in [100u64, 200] {
        let own: Vec<Value> = rows
            .iter()
            .filter(|r| r["teamId"] == team)
            .cloned()
            .collect();
        b = b.team(team, own);
    }
    for r in &rows {
        if let Some(v) = r["verified"].as_bool() {
            b = b.verification(r["id"].as_u64().unwrap(), v, r["verifyError"].as_str());
        }
    }
    // A scenario for `pull` and `check --team-scenarios`; connection lookups never ask for it.
    let digest: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/demo/weekly-digest.json"
        ))
        .unwrap(),
    )
    .unwrap();
    b.scenario(100, 1, "Weekly digest", digest)
        .hooks(
            100,
            vec![
                json!({"id": 52001, "name": "Leads in", "teamId": 100, "type": "web",
                        "packageName": null, "enabled": true, "gone": false}),
            ],
        )
        .start()
}

fn check(args: &[&str], token: Option<&str>) -> (i32, Value, String) {
    // These runs include the shipped declarative rules.
    run_json(with_shipped_rules(bplint()), args, token)
}

fn findings(v: &Value) -> Vec<(String, String, u64)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().into(),
                f["code"].as_str().unwrap().into(),
                f["span"]["start"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn online_gives_the_same_findings_as_the_snapshot() {
    let server = demo_server();
    let (code, offline, _) = check(
        &[
            "check",
            "fixtures/demo",
            "--connections",
            "fixtures/demo/connections.json",
            "--now",
            NOW,
            "--verify",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(code, 1);
    let (code, online, err) = check(
        &[
            "check",
            "fixtures/demo",
            "--online",
            "--api-url",
            server.base_url(),
            "--team",
            "100",
            "--now",
            NOW,
            "--verify",
            "--format",
            "json",
        ],
        Some(TOKEN),
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(findings(&online), findings(&offline));
    // One list page for team 100, one by-id lookup each for the other-team and the missing id,
    // one verification per found connection. The connection whose (slack2, chat:write) filter
    // answer says it lacks its one scope is not asked by id: that answer names the scope.
    let mut by_id = server.by_id_calls();
    by_id.sort_unstable();
    assert_eq!(by_id, [1005, 1999]);
    assert!(online["summary"]["requests"].as_u64().unwrap() >= 3);
}

#[test]
fn a_closed_port_exits_2_and_names_the_ids() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/api/v2");
    let (code, v, err) = check(
        &[
            "check",
            "fixtures/demo",
            "--online",
            "--api-url",
            &url,
            "--team",
            "100",
            "--format",
            "json",
            "--max-retries",
            "1",
        ],
        Some(TOKEN),
    );
    assert_eq!(code, 2, "{err}");
    let unchecked = v["summary"]["unchecked"].as_array().unwrap();
    assert!(unchecked.len() >= 7, "{unchecked:?}");
    let errors = v["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e.as_str().unwrap().contains("could not be checked")),
        "{errors:?}"
    );
    assert!(!err.contains(TOKEN) && !v.to_string().contains(TOKEN));
}

#[test]
fn a_wrong_token_exits_2_with_the_scope_hint_and_never_prints_the_token() {
    let server = demo_server();
    let secret = "wrong-token-5d41402abc4b2a76";
    let (code, v, err) = check(
        &[
            "check",
            "fixtures/demo",
            "--online",
            "--api-url",
            server.base_url(),
            "--team",
            "100",
            "--verbose",
        ],
        Some(secret),
    );
    assert_eq!(code, 2);
    assert!(!err.contains(secret) && !v.to_string().contains(secret));
    assert!(!err.contains(secret));
    let (code, out, err) = {
        let (c, v, e) = check(
            &[
                "check",
                "fixtures/demo",
                "--online",
                "--api-url",
                server.base_url(),
                "--team",
                "100",
                "--format",
                "json",
            ],
            Some(secret),
        );
        (c, v.to_string(), e)
    };
    assert_eq!(code, 2);
    assert!(out.contains("connections:read"), "{out}");
    assert!(!out.contains(secret) && !err.contains(secret));
}

#[test]
fn export_writes_a_snapshot_that_checks_the_same() {
    let server = demo_server();
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap.json");
    let mut cmd = with_shipped_rules(bplint());
    let out = cmd
        .env("MAKE_API_TOKEN", TOKEN)
        .args([
            "connections",
            "export",
            "--api-url",
            server.base_url(),
            "--team",
            "100",
            "--output",
            snap.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&snap).unwrap()).unwrap();
    assert_eq!(written["teamId"], 100);
    assert_eq!(written["connections"].as_array().unwrap().len(), 6);
    let (code, v, _) = check(
        &[
            "check",
            "fixtures/demo",
            "--connections",
            snap.to_str().unwrap(),
            "--now",
            NOW,
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(code, 1);
    let codes: Vec<String> = findings(&v).into_iter().map(|(_, c, _)| c).collect();
    assert!(
        codes.contains(&"BP100".to_string()),
        "the other team's connection is not in this team's export: {codes:?}"
    );
}

#[test]
fn the_token_appears_in_no_output_of_any_subcommand() {
    let server = demo_server();
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap.json");
    let pulled = dir.path().join("pulled");
    let url = server.base_url().to_string();
    let runs: Vec<Vec<&str>> = vec![
        vec![
            "--verbose",
            "check",
            "fixtures/demo",
            "--online",
            "--api-url",
            &url,
            "--team",
            "100",
            "--verify",
        ],
        vec![
            "--verbose",
            "check",
            "fixtures/demo",
            "--online",
            "--api-url",
            &url,
            "--team",
            "100",
            "--format",
            "sarif",
        ],
        vec![
            "--verbose",
            "check",
            "fixtures/demo",
            "--online",
            "--api-url",
            &url,
            "--team",
            "100",
            "--format",
            "github",
        ],
        vec![
            "--verbose",
            "check",
            "fixtures/demo",
            "--online",
            "--api-url",
            &url,
            "--team",
            "100",
            "--format",
            "junit",
        ],
        vec![
            "--verbose",
            "check",
            "fixtures/demo",
            "--online",
            "--api-url",
            "http://127.0.0.1:9/api/v2",
            "--team",
            "100",
            "--max-retries",
            "0",
        ],
        vec![
            "--verbose",
            "connections",
            "export",
            "--api-url",
            &url,
            "--team",
            "100",
            "--output",
            snap.to_str().unwrap(),
        ],
        vec![
            "--verbose",
            "inventory",
            "fixtures/demo",
            "--api-url",
            &url,
            "--team",
            "100",
            "--format",
            "csv",
        ],
        vec![
            "--verbose",
            "inventory",
            "fixtures/demo",
            "--api-url",
            "http://127.0.0.1:9/api/v2",
            "--team",
            "100",
            "--max-retries",
            "0",
        ],
        vec![
            "--verbose",
            "pull",
            "--api-url",
            &url,
            "--team",
            "100",
            "--out",
            pulled.to_str().unwrap(),
        ],
        vec![
            "--verbose",
            "check",
            "--team-scenarios",
            "100",
            "--api-url",
            &url,
            "--online",
            "--team",
            "100",
        ],
        vec![
            "--verbose",
            "pull",
            "--api-url",
            "http://127.0.0.1:9/api/v2",
            "--team",
            "100",
            "--max-retries",
            "0",
            "--out",
            pulled.to_str().unwrap(),
        ],
        vec!["--verbose", "refs", "fixtures/demo"],
        vec!["--verbose", "rules"],
        vec!["--verbose", "explain", "BP100"],
        vec![
            "--verbose",
            "baseline",
            "fixtures/demo",
            "--online",
            "--api-url",
            &url,
            "--team",
            "100",
            "--output",
            snap.to_str().unwrap(),
        ],
    ];
    for args in runs {
        let out = with_shipped_rules(bplint())
            .env("MAKE_API_TOKEN", TOKEN)
            .env("RUST_LOG", "trace")
            .env("RUST_BACKTRACE", "1")
            .args(&args)
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains(TOKEN), "{args:?} printed the token");
        assert!(!all.contains("panicked"), "{args:?} panicked: {all}");
    }
    let written = std::fs::read_to_string(&snap).unwrap();
    assert!(!written.contains(TOKEN));
}

fn demo_online(server: &MakeServer, extra: &[&str], token: &str) -> (i32, Value, String) {
    let mut args = vec![
        "check",
        "fixtures/demo",
        "--online",
        "--api-url",
        server.base_url(),
        "--team",
        "100",
        "--now",
        NOW,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    check(&args, Some(token))
}

fn demo_snapshot_findings(verify: bool) -> Vec<(String, String, u64)> {
    let mut args = vec![
        "check",
        "fixtures/demo",
        "--connections",
        "fixtures/demo/connections.json",
        "--now",
        NOW,
        "--format",
        "json",
    ];
    if verify {
        args.push("--verify");
    }
    findings(&check(&args, None).1)
}

#[test]
fn verify_refused_for_lack_of_connections_write_keeps_every_other_finding_and_exits_2() {
    for status in [403u16, 401] {
        let server = demo_server_with(|b| b.refuse("/connections/*/test", status));
        let (code, v, err) = demo_online(&server, &["--verify"], TOKEN);
        assert_eq!(code, 2, "{status}: {err}");
        // Every finding of the run without --verify; BP106 needs the refused endpoint.
        assert_eq!(findings(&v), demo_snapshot_findings(false), "{status}");
        let errors = v["errors"].to_string();
        assert!(
            errors.contains("connections were not verified")
                && errors.contains("the token lacks the `connections:write` scope"),
            "{status}: {errors}"
        );
        // One refused test; the other verifications are not sent.
        assert_eq!(
            server.count_where(|r| r.method == "POST"),
            1,
            "{status}: {:?}",
            server.requests()
        );
    }
}

#[test]
fn an_oauth_access_token_is_sent_as_bearer_and_auth_scheme_forces_a_scheme() {
    let server = demo_server_with(|b| b.token(OAUTH_TOKEN).bearer());
    let (code, online, err) = demo_online(&server, &["--verify"], OAUTH_TOKEN);
    assert_eq!(code, 1, "{err}");
    assert_eq!(findings(&online), demo_snapshot_findings(true));
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.scheme.as_deref() == Some("Bearer"))
    );
    let sent = server.count();
    let (code, v, err) = demo_online(&server, &["--auth-scheme", "bearer"], OAUTH_TOKEN);
    assert_eq!(code, 1, "{err}");
    assert!(v["errors"].as_array().unwrap().is_empty());

    // Forced to `token`, the OAuth token is refused: exit 2, the message says how it was sent.
    let before = server.count();
    let (code, v, err) = demo_online(&server, &["--auth-scheme", "token"], OAUTH_TOKEN);
    assert_eq!(code, 2, "{err}");
    let errors = v["errors"].to_string();
    assert!(
        errors.contains("refused the token (401") && errors.contains("--auth-scheme bearer"),
        "{errors}"
    );
    // The first requirements question (refused as a scope: `apps:read` is optional, and the
    // other apps are not asked), then the connection list, refused as the token.
    assert_eq!(server.count(), before + 2);
    assert_eq!(
        server.requests().last().unwrap().scheme.as_deref(),
        Some("Token")
    );
    assert!(sent > 1);
    for text in [v.to_string(), err] {
        assert!(!text.contains(OAUTH_TOKEN), "{text}");
    }

    // An API key (UUID v4) forced to `bearer` is refused by a server that wants `Token`.
    let server = demo_server();
    let (code, _, err) = demo_online(&server, &["--auth-scheme", "bearer"], TOKEN);
    assert_eq!(code, 2, "{err}");
    assert_eq!(server.requests()[0].scheme.as_deref(), Some("Bearer"));
    let (code, _, err) = demo_online(&server, &["--auth-scheme", "nonsense"], TOKEN);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--auth-scheme"), "{err}");
}

#[test]
fn no_scope_question_for_a_connection_the_module_refuses_by_type_or_that_is_not_oauth() {
    let server = MakeServer::builder()
        .team(
            7,
            vec![
                support::make_server::real_row(1, "Sheets", "google", 7, &[]),
                support::make_server::real_row(2, "Bot", "slack2", 7, &["channels:read"]),
                support::make_server::basic_row(3, "Token", "airtable3", 7),
            ],
        )
        .start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("types.json");
    std::fs::write(
        &file,
        r#"{"name": "types", "flow": [
  {"id": 1, "module": "slack:CreateMessage", "version": 1, "parameters": {"__IMTCONN__": 1}},
  {"id": 2, "module": "slack:CreateMessage", "version": 1, "parameters": {"__IMTCONN__": 2}},
  {"id": 3, "module": "airtable:ActionCreateRecord", "version": 1, "parameters": {"__IMTCONN__": 3}}
], "metadata": {"version": 1}}"#,
    )
    .unwrap();
    let (code, v, err) = check(
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
        Some(TOKEN),
    );
    assert_eq!(code, 1, "{err}");
    let got: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"].as_str().unwrap().starts_with("BP1"))
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["module_id"].to_string(),
            )
        })
        .collect();
    // The Google connection on a Slack module: BP105 only; the Slack one lacking chat:write:
    // BP104; the Airtable API key: nothing (it holds no scopes, none are asked).
    assert_eq!(
        got,
        [
            ("BP105".to_string(), "1".to_string()),
            ("BP104".to_string(), "2".to_string())
        ]
    );
    // Make's requirements of slack and airtable version 1 (unknown to this server: the
    // catalog answers), the listing and the one (slack2, chat:write) group; nothing by id.
    let lists = server.list_calls();
    assert_eq!(server.count(), 4, "{:?}", server.requests());
    assert_eq!(
        server.count_where(|r| r.path.starts_with("/credential-requests/")),
        2
    );
    assert_eq!(lists[1].params("type[]"), ["slack2"]);
    assert!(server.by_id_calls().is_empty());
}

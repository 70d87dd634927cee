//! Module requirements (accepted types, required scopes) from Make itself, the SDK Apps API for
//! custom apps, snapshots that check exactly like the API, and `bplint catalog`: the binary
//! against the Make API test server on 127.0.0.1.

mod support;

use support::bin::run;

#[test]
fn catalog_command_shows_the_built_in_catalog_and_its_sources_offline() {
    let r = run(&[
        "catalog",
        "google-email:sendAnEmail@2",
        "google-drive:uploadAFile",
        "acme:DoThing",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("google-email:sendAnEmail (version 2)"),
        "{}",
        r.stdout
    );
    // Real Gmail exports declare either type: the catalog accepts both, and says why.
    assert!(
        r.stdout.contains(
            "accepted types:  google-email, google-restricted  [catalog: rules/catalog/google.toml]"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("real exports declare"), "{}", r.stdout);
    assert!(
        r.stdout.contains("acme:DoThing (version latest)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("unknown (no scope check)  [no source knows]"),
        "{}",
        r.stdout
    );

    let r = run(&["catalog", "slack:CreateMessage", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v[0]["module"], "slack:CreateMessage");
    assert_eq!(v[0]["scopes"][0][0], "chat:write");
    assert_eq!(v[0]["scopes_source"]["source"], "catalog");

    for bad in ["slack", "slack:CreateMessage@x"] {
        let r = run(&["catalog", bad]);
        assert_eq!(r.code, 2, "{bad}");
        assert!(r.stderr.contains(bad), "{}", r.stderr);
    }
}

use serde_json::Value;
use support::make_server::{Builder, MakeServer, TOKEN, app_module, basic_row, real_row};

const TEAM: &str = "100";

/// The team, another team's connection and webhook, Make's requirements of `acme-crm` (an app
/// the built-in catalog does not know) and `airtable`, and the custom app `app#acme-x1`, whose
/// credential-requests answer is missing (404): its modules come from the SDK Apps API.
fn server_with(tweak: impl FnOnce(Builder) -> Builder) -> MakeServer {
    let b = MakeServer::builder()
        .team(
            100,
            vec![
                real_row(3001, "Acme CRM", "acme-crm", 100, &["deals:read"]),
                real_row(3002, "Other flavour", "acme-other", 100, &[]),
                real_row(3003, "X1 OAuth", "acme-x1-oauth", 100, &["read"]),
                basic_row(3004, "Airtable token", "airtable3", 100),
            ],
        )
        .team(
            200,
            vec![real_row(
                3005,
                "Elsewhere",
                "acme-crm",
                200,
                &["deals:read", "deals:write"],
            )],
        )
        .hooks(
            200,
            vec![serde_json::json!({"id": 5201, "name": "Items in", "teamId": 200})],
        )
        .app_requirements(
            "acme-crm",
            "2",
            vec![app_module(
                "CreateDeal",
                "account:acme-crm",
                Some(&["deals:read", "deals:write"]),
            )],
        )
        .app_requirements(
            "airtable",
            "latest",
            vec![app_module(
                "ActionCreateRecord",
                "account:airtable2,airtable3",
                Some(&["data.records:write"]),
            )],
        )
        .sdk_module(
            "acme-x1",
            "1",
            "pushThing",
            Some("acme-x1-oauth"),
            None,
            &["items:write"],
        )
        .sdk_module(
            "acme-x1",
            "1",
            "pullThing",
            Some("acme-x1-oauth"),
            Some("acme-x1-key"),
            &[],
        )
        .sdk_connection("acme-x1-oauth", "oauth", &["read", "write"])
        .sdk_connection("acme-x1-key", "apikey", &[]);
    tweak(b).start()
}

fn bplint(args: &[&str]) -> support::bin::Run {
    let mut cmd = support::bin::bplint();
    cmd.env("MAKE_API_TOKEN", TOKEN);
    support::bin::run_cmd(cmd, args)
}

fn online(server: &MakeServer, paths: &[&str], extra: &[&str]) -> support::bin::Run {
    let mut args = vec!["check"];
    args.extend(paths);
    args.extend(["--online", "--api-url", server.base_url(), "--team", TEAM]);
    args.extend(["--format", "json"]);
    args.extend(extra);
    bplint(&args)
}

/// (code, file, pointer, message) of every finding, in report order.
fn findings(v: &Value) -> Vec<(String, String, String, String)> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("code"), s("file"), s("pointer"), s("message"))
        })
        .collect()
}

fn live(v: &Value) -> Vec<(String, String, String, String)> {
    findings(v)
        .into_iter()
        .filter(|f| f.0.starts_with("BP1"))
        .collect()
}

fn with_code<'a>(
    all: &'a [(String, String, String, String)],
    code: &str,
) -> Vec<&'a (String, String, String, String)> {
    all.iter().filter(|f| f.0 == code).collect()
}

const FILES: &[&str] = &[
    "fixtures/requirements/acme-crm.json",
    "fixtures/requirements/custom-app.json",
];

fn is_requirements(path: &str) -> bool {
    path.starts_with("/credential-requests/")
}

#[test]
fn make_requirements_check_an_app_the_catalog_lacks_and_custom_apps_and_a_snapshot_checks_the_same()
{
    let server = server_with(|b| b);
    let run = online(&server, FILES, &[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let v = run.json();
    let all = live(&v);

    // An app the built-in catalog does not know: Make's scopes.
    let bp104 = with_code(&all, "BP104");
    assert!(
        bp104.iter().any(|f| f.2 == "/flow/1/parameters/__IMTCONN__"
            && f.3.contains("connection 3001")
            && f.3
                .contains("lacks scope(s) deals:write needed by acme-crm:CreateDeal")),
        "{bp104:#?}"
    );
    // A custom-app module whose connection lacks a default scope of its OAuth connection.
    assert!(
        bp104.iter().any(|f| f.3.contains("connection 3003")
            && f.3
                .contains("lacks scope(s) write needed by app#acme-x1:pullThing")),
        "{bp104:#?}"
    );
    // The basic-auth Airtable connection holds no scopes: no BP104 for it.
    assert!(!bp104.iter().any(|f| f.3.contains("3004")), "{bp104:#?}");
    assert_eq!(bp104.len(), 2, "{bp104:#?}");
    // A custom-app module with a connection of the wrong type.
    let bp105 = with_code(&all, "BP105");
    assert_eq!(bp105.len(), 1, "{bp105:#?}");
    assert!(
        bp105[0].3.contains("connection 3002")
            && bp105[0].3.contains(
                "app#acme-x1:pushThing accepts acme-x1-oauth (per Make's requirements of \
                 app#acme-x1 version 1)"
            ),
        "{bp105:#?}"
    );
    assert_eq!(with_code(&all, "BP103").len(), 1, "{all:#?}");
    assert_eq!(with_code(&all, "BP100").len(), 1, "{all:#?}");
    assert_eq!(with_code(&all, "BP111").len(), 1, "{all:#?}");

    // One requirements request per (app, version); the custom app's modules through the SDK
    // (module and scope of each, its two connections, the OAuth one's default scope), never
    // `.../common`.
    let log = server.requests();
    let paths: Vec<&str> = log.iter().map(|l| l.path.as_str()).collect();
    assert_eq!(
        paths.iter().filter(|p| is_requirements(p)).count(),
        3,
        "{paths:#?}"
    );
    assert_eq!(
        server.count_of(
            "GET",
            "/credential-requests/apps/app%23acme-x1/1/modules-with-credentials"
        ),
        1
    );
    assert_eq!(
        paths.iter().filter(|p| p.starts_with("/sdk/")).count(),
        7,
        "{paths:#?}"
    );
    assert_eq!(
        server.count_of("GET", "/sdk/apps/connections/acme-x1-oauth/scope"),
        1
    );
    assert_eq!(
        server.count_of("GET", "/sdk/apps/connections/acme-x1-key/scope"),
        0
    );
    assert!(!paths.iter().any(|p| p.ends_with("/common")), "{paths:#?}");
    // Connections: one list page, by id the other team's and the missing one, one scope
    // filter per (type, scope set) group and the record of each that fails it; the basic
    // connection and the wrong-type one get no scope question. Hooks: the list and by id.
    let connection_calls = paths
        .iter()
        .filter(|p| p.starts_with("/connections"))
        .count();
    assert_eq!(connection_calls, 7, "{paths:#?}");
    assert_eq!(paths.iter().filter(|p| p.starts_with("/hooks")).count(), 2);
    assert_eq!(v["summary"]["requests"].as_u64(), Some(log.len() as u64));
    assert_eq!(log.len(), 19);
    assert_eq!(
        v["summary"]["modules_without_scope_check"], 0,
        "{}",
        v["summary"]
    );

    // The same check from a snapshot exported for these files.
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap.json");
    let snap = snap.to_str().unwrap();
    let mut args = vec![
        "connections",
        "export",
        "--team",
        TEAM,
        "--api-url",
        server.base_url(),
    ];
    args.extend(FILES);
    args.extend(["--output", snap]);
    let before = server.count();
    let export = bplint(&args);
    assert_eq!(export.code, 0, "{}", export.stderr);
    // The check's requests, and the team's list once more for the full list of connections.
    assert_eq!(server.count() - before, 20);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(snap).unwrap()).unwrap();
    assert_eq!(doc["bplintSnapshot"], 2);
    assert_eq!(doc["teamId"], 100);
    assert!(
        doc["requirements"].as_array().unwrap().len() >= 3,
        "{doc:#}"
    );
    assert!(!std::fs::read_to_string(snap).unwrap().contains(TOKEN));

    let mut args = vec!["check"];
    args.extend(FILES);
    args.extend(["--connections", snap, "--format", "json"]);
    let offline = support::bin::run(&args);
    assert_eq!(offline.code, 1, "{}", offline.stderr);
    let offline = offline.json();
    assert_eq!(findings(&offline), findings(&v));
    assert_eq!(offline["summary"]["requests"], 0);
    assert_eq!(server.count(), before + 20, "a snapshot check asks nothing");

    // `bplint catalog` shows where each requirement came from.
    let shown = bplint(&[
        "catalog",
        "acme-crm:CreateDeal@2",
        "app#acme-x1:pullThing@1",
        "--online",
        "--api-url",
        server.base_url(),
    ]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(
        shown
            .stdout
            .contains("required scopes: deals:read, deals:write  [Make API: acme-crm version 2]"),
        "{}",
        shown.stdout
    );
    assert!(
        shown.stdout.contains(
            "accepted types:  acme-x1-key, acme-x1-oauth  [Make API: app#acme-x1 version 1]"
        ),
        "{}",
        shown.stdout
    );
    let shown = support::bin::run(&["catalog", "acme-crm:CreateDeal@2", "--connections", snap]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(
        shown.stdout.contains("[snapshot: acme-crm version 2]"),
        "{}",
        shown.stdout
    );
}

#[test]
fn a_token_without_apps_read_is_a_note_and_the_catalog_answers() {
    // 401 on the first request of the run: about the scope of that endpoint, not the token.
    let server = server_with(|b| b.refuse("/credential-requests*", 401));
    let run = online(
        &server,
        &["fixtures/requirements/acme-crm.json"],
        &["--concurrency", "1"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("the token lacks `apps:read`")
            && run.stderr.contains(
                "the built-in catalog is used for: acme-crm version 2, airtable version latest"
            ),
        "{}",
        run.stderr
    );
    let v = run.json();
    // The refusal is not sent again, and the connections were still listed and checked.
    assert_eq!(server.count_where(|l| is_requirements(&l.path)), 1);
    assert_eq!(server.count_where(|l| l.path == "/connections"), 1);
    assert!(live(&v).is_empty(), "{:#?}", live(&v));
    // The catalog knows Airtable's scopes, not acme-crm's.
    assert_eq!(v["summary"]["modules_without_scope_check"], 1);
    assert_eq!(
        v["summary"]["requests"].as_u64(),
        Some(server.count() as u64)
    );
}

#[test]
fn an_app_make_does_not_know_is_a_note() {
    let server = MakeServer::builder()
        .team(
            100,
            vec![
                real_row(3001, "Acme CRM", "acme-crm", 100, &["deals:read"]),
                basic_row(3004, "Airtable token", "airtable3", 100),
            ],
        )
        .start();
    let run = online(&server, &["fixtures/requirements/acme-crm.json"], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("Make knows no app acme-crm version 2 (HTTP 404 on its requirements)"),
        "{}",
        run.stderr
    );
    assert_eq!(server.count_where(|l| is_requirements(&l.path)), 2);
    let v = run.json();
    assert!(
        v["summary"]["modules_without_scope_check"] == 1,
        "{}",
        v["summary"]
    );
    // The human summary says it too; --verbose names the module.
    let human = bplint(&[
        "--verbose",
        "check",
        "fixtures/requirements/acme-crm.json",
        "--online",
        "--api-url",
        server.base_url(),
        "--team",
        TEAM,
    ]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert!(
        human.stdout.contains("; 1 module(s) without a scope check"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stderr
            .contains("nor the catalog give the scopes of acme-crm:CreateDeal"),
        "{}",
        human.stderr
    );
    // Each (app, version) once per run.
    assert_eq!(server.count_where(|l| is_requirements(&l.path)), 4);
}

#[test]
fn explain_says_where_requirements_come_from() {
    for code in ["BP104", "BP105"] {
        let r = support::bin::run(&["explain", code]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stdout.contains("Make's published requirements"),
            "{code}: {}",
            r.stdout
        );
    }
    let r = support::bin::run(&["explain", "BP104"]);
    assert!(r.stdout.contains("credential-requests"), "{}", r.stdout);
    assert!(r.stdout.contains("not OAuth"), "{}", r.stdout);
}

#[test]
fn make_not_answering_its_requirements_is_never_silence() {
    let server = server_with(|b| b.status("/credential-requests/apps/acme-crm/*", 503));
    let run = online(
        &server,
        &["fixtures/requirements/acme-crm.json"],
        &["--max-retries", "0"],
    );
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("Make's requirements of acme-crm version 2 could not be had"),
        "{}",
        run.stderr
    );
    // The connections are still checked.
    assert_eq!(server.count_where(|l| l.path == "/connections"), 1);
}

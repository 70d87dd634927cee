//! Numbers from users, files and the API meeting arithmetic: day windows, timestamps at the
//! ends of the calendar, ids too large for their type, timeouts. Each must be an error naming
//! the flag or key with its accepted range (exit 2), or a finding; never a panic (exit 101).

mod support;

use std::path::Path;

use serde_json::{Value, json};
use support::bin::{Run, codes, run, run_cmd, run_in};
use support::make_server::{MakeServer, TOKEN, real_row};

const NOW: &str = "2026-03-01T00:00:00Z";
const HUGE_DAYS: &str = "999999999999";

/// One module using connection 501.
const BLUEPRINT: &str = r#"{"name":"n","flow":[{"id":1,"module":"slack:CreateMessage","parameters":{"__IMTCONN__":501}}],"metadata":{"version":1}}"#;

fn no_panic(r: &Run) {
    assert_ne!(r.code, 101, "panicked: {}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

/// A folder with the blueprint and a snapshot holding connection 501 with `expire`.
fn with_snapshot(expire: Value) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.json"), BLUEPRINT).unwrap();
    let row = json!({"id": 501, "name": "Slack", "accountName": "slack2", "teamId": 7,
                     "expire": expire});
    std::fs::write(
        dir.path().join("conns.json"),
        json!({"teamId": 7, "connections": [row]}).to_string(),
    )
    .unwrap();
    dir
}

/// The live connection findings (BP1xx) of a `--format json` run.
fn live_codes(r: &Run) -> Vec<String> {
    codes(&r.json())
        .into_iter()
        .filter(|c| c.starts_with("BP1"))
        .collect()
}

fn check_snapshot(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "check",
        "a.json",
        "--connections",
        "conns.json",
        "--now",
        NOW,
        "--format",
        "json",
    ];
    args.extend(extra);
    run_in(dir, &args)
}

/// `check a.json --online --team 7` of the blueprint, in a folder of its own, against `server`.
fn check_online(server: &MakeServer, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.json"), BLUEPRINT).unwrap();
    let mut cmd = support::bin::bplint_in(dir.path());
    cmd.env("MAKE_API_TOKEN", TOKEN);
    let mut args = vec![
        "check",
        "a.json",
        "--online",
        "--team",
        "7",
        "--api-url",
        server.base_url(),
    ];
    args.extend(extra);
    run_cmd(cmd, &args)
}

#[test]
fn a_huge_expiry_warning_days_flag_is_a_usage_error_naming_the_range() {
    let r = run(&[
        "check",
        "fixtures/demo",
        "--connections",
        "fixtures/demo/connections.json",
        "--now",
        NOW,
        "--expiry-warning-days",
        HUGE_DAYS,
    ]);
    no_panic(&r);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--expiry-warning-days"), "{}", r.stderr);
    assert!(r.stderr.contains("0..=36500"), "{}", r.stderr);

    let r = run(&[
        "inventory",
        "fixtures/demo",
        "--team",
        "100",
        "--connections",
        "fixtures/demo/connections.json",
        "--expiry-warning-days",
        HUGE_DAYS,
    ]);
    no_panic(&r);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("0..=36500"), "{}", r.stderr);

    let r = run(&["check", "fixtures/demo", "--expiry-warning-days", "-1"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn a_huge_expiry_warning_days_in_the_config_is_an_error_pointing_at_it() {
    let dir = with_snapshot(json!("2026-03-05T00:00:00Z"));
    std::fs::write(
        dir.path().join("bplint.toml"),
        format!("expiry_warning_days = {HUGE_DAYS}\n"),
    )
    .unwrap();
    let r = check_snapshot(dir.path(), &[]);
    no_panic(&r);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "`expiry_warning_days = 999999999999` is out of range: accepted 0 to 36500 days"
        ),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("bplint.toml"), "{}", r.stderr);

    // The largest accepted window works, and finds the expiry four days out.
    std::fs::write(
        dir.path().join("bplint.toml"),
        "expiry_warning_days = 36500\n",
    )
    .unwrap();
    let r = check_snapshot(dir.path(), &[]);
    no_panic(&r);
    assert_eq!(live_codes(&r), ["BP102"], "{}", r.stderr);
}

#[test]
fn expire_at_the_ends_of_the_calendar_in_a_snapshot_never_panics() {
    // Year 9999: valid, a century beyond even the widest window.
    let dir = with_snapshot(json!("9999-12-31T23:59:59Z"));
    let r = check_snapshot(dir.path(), &["--expiry-warning-days", "36500"]);
    no_panic(&r);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run_in(
        dir.path(),
        &[
            "inventory",
            "a.json",
            "--team",
            "7",
            "--connections",
            "conns.json",
            "--now",
            NOW,
            "--expiry-warning-days",
            "36500",
            "--format",
            "json",
        ],
    );
    no_panic(&r);
    assert_eq!(r.code, 0, "{}", r.stderr);

    // Year -9999 as epoch seconds: long expired.
    let dir = with_snapshot(json!(-377_705_116_800i64));
    let r = check_snapshot(dir.path(), &[]);
    no_panic(&r);
    assert_eq!(live_codes(&r), ["BP101"], "{}", r.stderr);

    // Unreadable: an error naming the file and the row, not "never expires".
    for bad in [
        json!("-9999-01-01T00:00:00Z"),
        json!("not a date"),
        json!(i64::MAX),
        json!(99999999999999999999.0),
    ] {
        let dir = with_snapshot(bad.clone());
        let r = check_snapshot(dir.path(), &[]);
        no_panic(&r);
        assert_eq!(r.code, 2, "{bad}: {}", r.stderr);
        assert!(
            r.stderr
                .contains("conns.json: connection .connections[0]: `expire`"),
            "{bad}: {}",
            r.stderr
        );
        assert!(r.stderr.contains("is not a time"), "{bad}: {}", r.stderr);
    }
}

#[test]
fn an_unreadable_expire_from_the_api_leaves_the_connection_unchecked() {
    let mut row = real_row(501, "Slack", "slack2", 7, &["chat:write"]);
    row["expire"] = json!("someday");
    let server = MakeServer::builder().team(7, vec![row]).start();
    let r = check_online(&server, &["--now", NOW, "--format", "json"]);
    no_panic(&r);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("`expire` \"someday\" is not a time"),
        "{}",
        r.stderr
    );
    assert_eq!(
        r.json()["summary"]["unchecked"],
        json!([501]),
        "{}",
        r.stdout
    );
}

#[test]
fn ids_too_large_for_their_type_are_out_of_range_findings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.json"),
        r#"{"name":"n","flow":[{"id":99999999999999999999,"module":"slack:CreateMessage","parameters":{"__IMTCONN__":99999999999999999999}}],"metadata":{"version":1}}"#,
    )
    .unwrap();
    let r = run_in(dir.path(), &["check", "a.json", "--format", "json"]);
    no_panic(&r);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = r.json();
    let message_of = |code: &str| -> String {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code)
            .unwrap_or_else(|| panic!("no {code}: {v}"))["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let bp005 = message_of("BP005");
    assert!(bp005.contains("out of range"), "{bp005}");
    assert!(!bp005.contains("positive"), "{bp005}");
    let bp014 = message_of("BP014");
    assert!(bp014.contains("out of range"), "{bp014}");
    assert!(!bp014.contains("non-positive"), "{bp014}");
}

#[test]
fn a_huge_timeout_is_a_usage_error_and_the_largest_accepted_one_works() {
    let r = run(&[
        "check",
        "fixtures/demo",
        "--online",
        "--team",
        "100",
        "--api-url",
        "http://127.0.0.1:9",
        "--timeout",
        "18446744073709551615",
    ]);
    no_panic(&r);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("--timeout") && r.stderr.contains("1..=86400"),
        "{}",
        r.stderr
    );

    let server = MakeServer::builder()
        .team(
            7,
            vec![real_row(501, "Slack", "slack2", 7, &["chat:write"])],
        )
        .start();
    let r = check_online(
        &server,
        &[
            "--timeout",
            "86400",
            "--max-requests",
            "18446744073709551615",
            "--max-retries",
            "4294967295",
            "--format",
            "json",
        ],
    );
    no_panic(&r);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

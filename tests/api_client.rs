//! The Make API client against a real HTTP server on 127.0.0.1: findings and exact request counts.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use bplint::live::api::{ApiConfig, AuthScheme, MakeApi, Token, parse_api_url};
use bplint::live::snapshot::Snapshot;
use bplint::live::{ConnectionSource, Resolution, ResolveRequest, ScopeDemand};
use bplint::model::RefKind;
use serde_json::{Value, json};
use support::make_server::{Auth, MakeServer, OAUTH_TOKEN, TOKEN, basic_row, real_row, seed_row};
use url::Url;

const TEAM: u64 = 7;
const OTHER_TEAM: u64 = 8;

fn config(url: Url) -> ApiConfig {
    let mut cfg = ApiConfig::new(url, Token::new(TOKEN).unwrap());
    cfg.page_size = 10;
    cfg.timeout = Duration::from_secs(5);
    cfg.max_retries = 2;
    cfg.backoff_base = Duration::from_millis(10);
    cfg.max_backoff = Duration::from_millis(50);
    cfg
}

fn api(server: &MakeServer) -> MakeApi {
    MakeApi::new(config(server.url())).unwrap()
}

fn api_with(server: &MakeServer, tweak: impl FnOnce(&mut ApiConfig)) -> MakeApi {
    let mut cfg = config(server.url());
    tweak(&mut cfg);
    MakeApi::new(cfg).unwrap()
}

/// Team 7: ids 1..=n named `conn 01`.. so that list order is id order.
fn team_rows(n: u64) -> Vec<Value> {
    (1..=n)
        .map(|i| real_row(i, &format!("conn {i:02}"), "slack2", TEAM, &["chat:write"]))
        .collect()
}

fn ask(team: Option<u64>, ids: &[u64]) -> ResolveRequest {
    ResolveRequest {
        team,
        ids: ids.iter().copied().collect(),
        ..ResolveRequest::default()
    }
}

fn ids<'a>(it: impl IntoIterator<Item = &'a u64>) -> Vec<u64> {
    let mut v: Vec<u64> = it.into_iter().copied().collect();
    v.sort_unstable();
    v
}

fn unchecked_ids(res: &Resolution) -> Vec<u64> {
    ids(res.unchecked.keys())
}

/// Every text the client produced, for leak checks.
fn all_text(res: &Resolution) -> String {
    format!("{res:?}")
}

// ---------------------------------------------------------------------------------------------
// Paging and lookups

#[test]
fn lists_several_pages_then_stops_on_the_short_one() {
    let server = MakeServer::builder().team(TEAM, team_rows(25)).start();
    let res = api(&server).resolve(&ask(Some(TEAM), &[3, 14, 25]));

    assert_eq!(ids(res.found.keys()), [3, 14, 25]);
    assert!(res.not_found.is_empty() && res.unchecked.is_empty() && res.errors.is_empty());
    assert_eq!(res.found[&25].team_id, Some(TEAM));
    assert_eq!(res.found[&25].connection_type.as_deref(), Some("slack2"));
    assert_eq!(
        res.found[&25].scopes, None,
        "real list rows carry no scopes"
    );

    let lists = server.list_calls();
    assert_eq!(lists.len(), 3);
    let offsets: Vec<_> = lists
        .iter()
        .map(|r| r.param("pg[offset]").unwrap())
        .collect();
    assert_eq!(offsets, ["0", "10", "20"]);
    assert!(lists.iter().all(|r| r.param("pg[limit]") == Some("10")));
    assert!(lists.iter().all(|r| r.param("teamId") == Some("7")));
    assert_eq!(server.count(), 3);
    assert_eq!(res.requests, 3);
    assert!(server.requests().iter().all(|r| r.auth == Auth::Correct));
}

#[test]
fn stops_when_pg_total_is_reached() {
    let server = MakeServer::builder().team(TEAM, team_rows(20)).start();
    let res = api(&server).resolve(&ask(Some(TEAM), &[20]));
    assert_eq!(ids(res.found.keys()), [20]);
    // Two full pages; pg.total = 20 says there is no third.
    assert_eq!(server.count(), 2);
    assert_eq!(res.requests, 2);
}

#[test]
fn server_ignoring_paging_terminates_with_correct_answer() {
    let server = MakeServer::builder()
        .team(TEAM, team_rows(25))
        .ignore_paging()
        .start();
    let res = api(&server).resolve(&ask(Some(TEAM), &[1, 25, 99]));
    assert_eq!(ids(res.found.keys()), [1, 25]);
    assert_eq!(ids(&res.not_found), [99]);
    // One page with every row (longer than the 10 asked: the server ignored `pg[]`, so there
    // is nothing more to ask), one by-id for 99.
    assert_eq!(server.list_calls().len(), 1);
    assert_eq!(server.by_id_calls(), [99]);
    assert_eq!(res.requests, 2);

    // Exactly a page of rows: the next page repeats them (no new id), and paging stops there.
    let server = MakeServer::builder()
        .team(TEAM, team_rows(10))
        .ignore_paging()
        .start();
    let res = api(&server).resolve(&ask(Some(TEAM), &[10]));
    assert_eq!(ids(res.found.keys()), [10]);
    assert_eq!(server.list_calls().len(), 2);
    assert_eq!(res.requests, 2);
}

#[test]
fn ids_outside_the_list_are_asked_by_id_once() {
    let server = MakeServer::builder()
        .team(TEAM, team_rows(5))
        .team(
            OTHER_TEAM,
            vec![real_row(801, "elsewhere", "google", OTHER_TEAM, &[])],
        )
        .start();
    let res = api(&server).resolve(&ask(Some(TEAM), &[2, 801, 999]));

    assert_eq!(ids(res.found.keys()), [2, 801]);
    assert_eq!(res.found[&2].team_id, Some(TEAM));
    assert_eq!(res.found[&801].team_id, Some(OTHER_TEAM));
    assert_eq!(ids(&res.not_found), [999]);
    assert!(res.unchecked.is_empty() && res.errors.is_empty());
    assert_eq!(server.list_calls().len(), 1);
    let mut by_id = server.by_id_calls();
    by_id.sort_unstable();
    assert_eq!(by_id, [801, 999]);
    assert_eq!(res.requests, 3);
}

#[test]
fn without_a_team_only_asks_by_id() {
    let server = MakeServer::builder()
        .team(TEAM, team_rows(5))
        .team(
            OTHER_TEAM,
            vec![real_row(801, "elsewhere", "google", OTHER_TEAM, &["a"])],
        )
        .start();
    let res = api(&server).resolve(&ask(None, &[1, 801, 999]));
    assert_eq!(ids(res.found.keys()), [1, 801]);
    assert_eq!(ids(&res.not_found), [999]);
    assert_eq!(server.list_calls().len(), 0);
    assert_eq!(server.count(), 3);
    assert_eq!(res.requests, 3);
    // By-id answers carry scopes.
    assert_eq!(
        res.found[&801].scopes.as_deref(),
        Some(&["a".to_string()][..])
    );
}

#[test]
fn expiry_is_parsed() {
    let mut expired = real_row(1, "old", "google", TEAM, &[]);
    expired["expire"] = json!("2020-01-01T00:00:00.000Z");
    let mut soon = real_row(2, "soon", "google", TEAM, &[]);
    soon["expire"] = json!("2026-12-01T10:30:00.000Z");
    let forever = real_row(3, "forever", "google", TEAM, &[]);
    let server = MakeServer::builder()
        .team(TEAM, vec![expired, soon, forever])
        .start();
    let res = api(&server).resolve(&ask(Some(TEAM), &[1, 2, 3]));
    let exp = |id| res.found[&id].expire.map(|e| e.to_rfc3339());
    assert_eq!(exp(1).as_deref(), Some("2020-01-01T00:00:00+00:00"));
    assert_eq!(exp(2).as_deref(), Some("2026-12-01T10:30:00+00:00"));
    assert_eq!(exp(3), None);
    assert_eq!(res.requests, 1);
}

#[test]
fn runs_lookups_concurrently_within_the_limit() {
    let server = MakeServer::builder()
        .team(TEAM, team_rows(8))
        .latency(Duration::from_millis(150))
        .start();
    let client = api_with(&server, |c| c.concurrency = 4);
    let started = Instant::now();
    let res = client.resolve(&ask(None, &[1, 2, 3, 4, 5, 6, 7, 8]));
    let took = started.elapsed();
    assert_eq!(res.found.len(), 8);
    assert_eq!(server.count(), 8);
    assert!(server.max_in_flight() <= 4, "{}", server.max_in_flight());
    assert!(server.max_in_flight() >= 2, "lookups ran one by one");
    assert!(took < Duration::from_millis(8 * 150), "took {took:?}");
}

// ---------------------------------------------------------------------------------------------
// Scopes

/// Each id needs these scopes (no alternatives), whatever its type.
fn scope_needs(pairs: &[(u64, &[&str])]) -> HashMap<u64, Vec<ScopeDemand>> {
    pairs
        .iter()
        .map(|(id, s)| (*id, vec![ScopeDemand::any_type(s)]))
        .collect()
}

#[test]
fn seed_shape_rows_bring_their_scopes() {
    let server = MakeServer::builder()
        .team(
            TEAM,
            vec![seed_row(
                123456,
                "My Slack",
                "slack",
                TEAM,
                &["chat:write", "channels:read"],
            )],
        )
        .seed_shape()
        .start();
    let mut req = ask(Some(TEAM), &[123456]);
    req.required_scopes = scope_needs(&[(123456, &["chat:write", "users:read"])]);
    let res = api(&server).resolve(&req);
    let c = &res.found[&123456];
    assert_eq!(c.connection_type.as_deref(), Some("slack"));
    assert_eq!(c.account_label.as_deref(), Some("workspace@company.com"));
    assert_eq!(c.scopes.clone().unwrap(), ["chat:write", "channels:read"]);
    assert_eq!(
        res.requests, 1,
        "scopes were in the list: no further request"
    );
}

#[test]
fn scoped_filter_asks_once_per_type_and_scope_set() {
    let rows = vec![
        real_row(1, "g1", "google", TEAM, &["a", "b", "c"]),
        real_row(2, "g2", "google", TEAM, &["a"]),
        real_row(3, "g3", "google", TEAM, &["c"]),
        real_row(4, "s4", "slack2", TEAM, &["chat:write"]),
        real_row(5, "s5", "slack2", TEAM, &["channels:read"]),
        real_row(6, "s6", "slack2", TEAM, &[]),
    ];
    let server = MakeServer::builder().team(TEAM, rows).start();
    let mut req = ask(Some(TEAM), &[1, 2, 3, 4, 5, 6]);
    req.required_scopes = scope_needs(&[
        (1, &["a", "b"]),
        (2, &["a", "b"]),
        (3, &["c"]),
        (4, &["chat:write"]),
        (5, &["chat:write"]),
        (6, &[]),
    ]);
    let res = api(&server).resolve(&req);
    assert!(res.unchecked.is_empty(), "{:?}", res.unchecked);
    assert_eq!(res.found.len(), 6);

    // Held: the flag alone answers, scopes stay unknown.
    for id in [1, 3, 4] {
        assert_eq!(res.found[&id].scoped, Some(true), "{id}");
        assert_eq!(res.found[&id].scopes, None, "{id}");
    }
    // Not held, two scopes asked: one record by id (cheaper than a listing per scope) says
    // what it has.
    assert_eq!(res.found[&2].scoped, Some(false));
    assert_eq!(res.found[&2].scopes.clone().unwrap(), ["a"]);
    // Not held, one scope asked: the group's answer already names the missing scope.
    assert_eq!(res.found[&5].scoped, Some(false));
    assert_eq!(res.found[&5].scopes.clone().unwrap(), Vec::<String>::new());

    let lists = server.list_calls();
    assert_eq!(
        lists.len(),
        4,
        "one plain listing and three (type, scope set) groups"
    );
    let mut groups: Vec<(String, Vec<String>)> = lists
        .iter()
        .filter_map(|r| {
            let kind = r.param("type[]")?.to_string();
            let scopes = r
                .params(&format!("{kind}[]"))
                .iter()
                .map(|s| s.to_string())
                .collect();
            Some((kind, scopes))
        })
        .collect();
    groups.sort();
    assert_eq!(
        groups,
        [
            ("google".to_string(), vec!["a".to_string(), "b".to_string()]),
            ("google".to_string(), vec!["c".to_string()]),
            ("slack2".to_string(), vec!["chat:write".to_string()]),
        ]
    );
    assert_eq!(server.by_id_calls(), [2]);
    assert_eq!(res.requests, 5);
    assert_eq!(server.count(), 5);
}

#[test]
fn a_failed_scope_check_keeps_the_connection_but_names_it_in_errors() {
    let rows = vec![
        real_row(1, "g1", "google", TEAM, &["a"]),
        real_row(2, "g2", "google", TEAM, &["a", "b"]),
        real_row(3, "s3", "slack2", TEAM, &[]),
    ];
    let server = MakeServer::builder()
        .team(TEAM, rows)
        .malformed("/connections?type[]=google")
        .start();
    let mut req = ask(Some(TEAM), &[1, 2, 3]);
    req.required_scopes = scope_needs(&[(1, &["a", "b"]), (2, &["a", "b"]), (3, &["chat:write"])]);
    let res = api(&server).resolve(&req);
    assert_eq!(ids(res.found.keys()), [1, 2, 3]);
    assert_eq!(res.found[&1].scoped, None);
    assert_eq!(unchecked_ids(&res), [1, 2]);
    assert!(
        res.unchecked[&1].contains("could not check its scopes"),
        "{:?}",
        res.unchecked
    );
    assert_eq!(res.errors.len(), 1, "{:?}", res.errors);
    assert!(
        res.errors[0].contains("connection(s) 1, 2"),
        "{:?}",
        res.errors
    );
    assert_eq!(res.found[&3].scoped, Some(false));
    assert_eq!(res.found[&3].scopes.as_deref(), Some(&[][..]));
    // Listing and two groups (the broken one is not retried); 3's single-scope group named
    // what it lacks, so nothing is asked by id.
    assert!(server.by_id_calls().is_empty());
    assert_eq!(res.requests, 3);
}

// ---------------------------------------------------------------------------------------------
// Retries and faults

#[test]
fn waits_for_retry_after_then_succeeds() {
    let server = MakeServer::builder()
        .team(TEAM, team_rows(3))
        .rate_limit_first(1, Some("1"))
        .start();
    let started = Instant::now();
    let res = api(&server).resolve(&ask(Some(TEAM), &[1, 2]));
    let took = started.elapsed();
    assert_eq!(ids(res.found.keys()), [1, 2]);
    assert!(res.errors.is_empty() && res.unchecked.is_empty());
    assert_eq!(res.requests, 2);
    let log = server.requests();
    let gap = log[1].at - log[0].at;
    assert!(gap >= Duration::from_millis(900), "retried after {gap:?}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn rate_limit_without_retry_after_backs_off_and_every_kth_is_survived() {
    let server = MakeServer::builder()
        .team(TEAM, team_rows(30))
        .rate_limit_every(2, None)
        .start();
    let res = api(&server).resolve(&ask(Some(TEAM), &[5, 15, 25, 40]));
    assert_eq!(ids(res.found.keys()), [5, 15, 25]);
    assert_eq!(ids(&res.not_found), [40]);
    assert!(res.unchecked.is_empty(), "{:?}", res.unchecked);
    // Requests 2, 4 and 6 were refused: 4 answered ones (3 pages, 1 by id) need 7 in all.
    assert_eq!(res.requests, 7);
    assert_eq!(server.count(), 7);
}

#[test]
fn retries_server_errors_then_succeeds() {
    let server = MakeServer::builder()
        .team(TEAM, team_rows(3))
        .fail_first(2, 503)
        .start();
    let res = api(&server).resolve(&ask(Some(TEAM), &[1, 2, 3]));
    assert_eq!(ids(res.found.keys()), [1, 2, 3]);
    assert!(res.errors.is_empty());
    assert_eq!(res.requests, 3);
    assert_eq!(server.count(), 3);
}

#[test]
fn server_errors_past_the_retry_budget_leave_ids_unchecked() {
    let server = MakeServer::builder()
        .team(TEAM, team_rows(3))
        .fail_first(100, 502)
        .start();
    let res = api(&server).resolve(&ask(Some(TEAM), &[1, 2]));
    assert!(res.found.is_empty() && res.not_found.is_empty());
    assert_eq!(unchecked_ids(&res), [1, 2]);
    let reason = &res.unchecked[&1];
    assert!(
        reason.contains("team 7") && reason.contains("502"),
        "{reason}"
    );
    assert!(reason.contains("GET /api/v2/connections"), "{reason}");
    assert!(reason.contains("3 attempts"), "{reason}");
    assert_eq!(res.errors.len(), 1);
    assert_eq!(res.requests, 3);
}

#[test]
fn every_5xx_is_retried_then_succeeds_or_leaves_ids_unchecked() {
    for status in [500, 502, 503, 504] {
        // Two failures fit the budget of two retries: three requests in all, all ids found.
        let server = MakeServer::builder()
            .team(TEAM, team_rows(3))
            .fail_first(2, status)
            .start();
        let res = api(&server).resolve(&ask(Some(TEAM), &[1, 2]));
        assert_eq!(ids(res.found.keys()), [1, 2], "{status}");
        assert!(
            res.errors.is_empty() && res.unchecked.is_empty(),
            "{status}"
        );
        assert_eq!(res.requests, 3, "{status}");

        // Past the budget the listing fails closed: nothing found, nothing called missing.
        let server = MakeServer::builder()
            .team(TEAM, team_rows(3))
            .fail_first(100, status)
            .start();
        let res = api(&server).resolve(&ask(Some(TEAM), &[1, 2]));
        assert!(res.found.is_empty() && res.not_found.is_empty(), "{status}");
        assert_eq!(unchecked_ids(&res), [1, 2], "{status}");
        let reason = &res.unchecked[&1];
        assert!(
            reason.contains(&format!("HTTP {status}")) && reason.contains("3 attempts"),
            "{reason}"
        );
        assert_eq!(res.requests, 3, "{status}");
        assert_eq!(server.count(), 3, "{status}");
    }
}

#[test]
fn rate_limited_past_its_budget_is_unchecked_not_an_endless_wait() {
    // `Retry-After: 0` keeps the test fast; the budget (10 waits) is what ends it.
    let server = MakeServer::builder()
        .team(TEAM, team_rows(3))
        .rate_limit_first(1000, Some("0"))
        .start();
    let res = api(&server).resolve(&ask(Some(TEAM), &[1]));
    assert!(res.found.is_empty() && res.not_found.is_empty());
    assert_eq!(unchecked_ids(&res), [1]);
    let reason = &res.unchecked[&1];
    assert!(
        reason.contains("429") && reason.contains("still rate-limited after 10 waits"),
        "{reason}"
    );
    assert_eq!(res.requests, 11);
    assert_eq!(server.count(), 11);
}

#[test]
fn a_by_id_403_is_unchecked_not_missing() {
    let server = MakeServer::builder()
        .team(TEAM, team_rows(3))
        .team(
            OTHER_TEAM,
            vec![real_row(801, "elsewhere", "google", OTHER_TEAM, &[])],
        )
        .status("/connections/801", 403)
        .start();
    let res = api(&server).resolve(&ask(Some(TEAM), &[1, 801]));
    assert_eq!(ids(res.found.keys()), [1]);
    assert!(res.not_found.is_empty());
    assert_eq!(unchecked_ids(&res), [801]);
    let reason = &res.unchecked[&801];
    assert!(
        reason.contains("refused access to connection 801")
            && reason.contains("HTTP 403")
            && reason.contains("another zone"),
        "{reason}"
    );
    assert_eq!(res.requests, 2, "a 403 is not retried");
}

#[test]
fn an_error_message_cannot_drive_the_terminal() {
    // Make's `message` is quoted in the reason, which is printed: its control characters
    // (here clear-screen, a C1 CSI and a forged second line) are escaped, not sent.
    let server = MakeServer::builder()
        .team(TEAM, team_rows(3))
        .status_message(
            "/connections/801",
            403,
            "Denied\u{1b}[2J\u{9b}31m\r\nerror: all clear",
        )
        .start();
    let res = api(&server).resolve(&ask(Some(TEAM), &[1, 801]));
    let reason = &res.unchecked[&801];
    assert!(
        reason.contains(r"(Denied\u{1b}[2J\u{9b}31m\r\nerror: all clear"),
        "{reason}"
    );
    for text in res.unchecked.values().chain(&res.errors) {
        assert!(!text.chars().any(char::is_control), "{text:?}");
    }
}

#[test]
fn answers_of_the_wrong_shape_are_unchecked() {
    // A list whose `connections` is not an array proves nothing about the team.
    let server = MakeServer::builder()
        .team(TEAM, team_rows(3))
        .answer("/connections", r#"{"connections": {"id": 1}}"#)
        .start();
    let res = api(&server).resolve(&ask(Some(TEAM), &[1, 99]));
    assert!(res.found.is_empty() && res.not_found.is_empty());
    assert_eq!(unchecked_ids(&res), [1, 99]);
    assert!(
        res.unchecked[&99].contains("no `connections` list"),
        "{}",
        res.unchecked[&99]
    );

    // A by-id answer about another connection is not taken for the one asked.
    let server = MakeServer::builder()
        .team(TEAM, team_rows(3))
        .answer(
            "/connections/2",
            r#"{"connection": {"id": 3, "name": "x"}}"#,
        )
        .start();
    let res = api(&server).resolve(&ask(None, &[1, 2]));
    assert_eq!(ids(res.found.keys()), [1]);
    assert_eq!(unchecked_ids(&res), [2]);
    assert!(
        res.unchecked[&2].contains("describes connection 3 instead"),
        "{}",
        res.unchecked[&2]
    );

    // An id of the wrong type holds no connection.
    let server = MakeServer::builder()
        .team(TEAM, team_rows(3))
        .answer("/connections/2", r#"{"connection": {"id": "two"}}"#)
        .start();
    let res = api(&server).resolve(&ask(None, &[2]));
    assert_eq!(unchecked_ids(&res), [2]);
    assert!(
        res.unchecked[&2].contains("no connection with an id"),
        "{}",
        res.unchecked[&2]
    );
}

#[test]
fn a_hanging_request_times_out_and_is_unchecked() {
    let server = MakeServer::builder()
        .team(TEAM, team_rows(3))
        .hang("/connections/2", Duration::from_secs(5))
        .start();
    let client = api_with(&server, |c| {
        c.timeout = Duration::from_millis(300);
        c.max_retries = 1;
    });
    let started = Instant::now();
    let res = client.resolve(&ask(None, &[1, 2, 3]));
    let took = started.elapsed();
    assert_eq!(ids(res.found.keys()), [1, 3]);
    assert_eq!(unchecked_ids(&res), [2]);
    let reason = &res.unchecked[&2];
    assert!(reason.contains("GET /api/v2/connections/2"), "{reason}");
    assert!(
        reason.contains("300 ms") && reason.contains("2 attempts"),
        "{reason}"
    );
    assert_eq!(res.errors.len(), 1, "{:?}", res.errors);
    assert!(
        res.errors[0].contains("/connections/{id}"),
        "{:?}",
        res.errors
    );
    assert_eq!(server.count_of("GET", "/connections/2"), 2);
    assert_eq!(res.requests, 4);
    assert!(
        took >= Duration::from_millis(600) && took < Duration::from_secs(4),
        "{took:?}"
    );
}

#[test]
fn malformed_json_fails_closed() {
    let server = MakeServer::builder()
        .team(TEAM, team_rows(3))
        .malformed("/connections")
        .start();
    let res = api(&server).resolve(&ask(Some(TEAM), &[1, 99]));
    assert!(
        res.found.is_empty() && res.not_found.is_empty(),
        "a failed listing proves nothing"
    );
    assert_eq!(unchecked_ids(&res), [1, 99]);
    assert!(
        res.unchecked[&99].contains("not valid JSON"),
        "{}",
        res.unchecked[&99]
    );
    assert!(!res.errors.is_empty());
    assert_eq!(res.requests, 1, "a malformed answer is not retried");
}

#[test]
fn html_instead_of_json_is_unchecked() {
    let server = MakeServer::builder()
        .team(TEAM, team_rows(3))
        .html("/connections/*")
        .start();
    let res = api(&server).resolve(&ask(None, &[1]));
    assert_eq!(unchecked_ids(&res), [1]);
    assert!(
        res.unchecked[&1].contains("text/html"),
        "{}",
        res.unchecked[&1]
    );
    assert_eq!(res.requests, 1);
}

#[test]
fn oversized_answers_are_refused_without_buffering_them() {
    let server = MakeServer::builder()
        .team(TEAM, team_rows(3))
        .oversized("/connections", 2 << 20)
        .start();
    let client = api_with(&server, |c| c.max_body_bytes = 256 << 10);
    let res = client.resolve(&ask(Some(TEAM), &[1]));
    assert_eq!(unchecked_ids(&res), [1]);
    assert!(
        res.unchecked[&1].contains("larger than"),
        "{}",
        res.unchecked[&1]
    );
    assert_eq!(res.requests, 1);
}

#[test]
fn a_page_that_breaks_off_is_retried_then_unchecked() {
    let server = MakeServer::builder()
        .team(TEAM, team_rows(3))
        .break_off("/connections")
        .start();
    let res = api(&server).resolve(&ask(Some(TEAM), &[1, 2]));
    assert_eq!(unchecked_ids(&res), [1, 2]);
    let reason = &res.unchecked[&1];
    assert!(
        reason.contains("broke off") && reason.contains("3 attempts"),
        "{reason}"
    );
    assert_eq!(res.requests, 3);
    assert_eq!(server.count(), 3);
}

#[test]
fn closed_port_is_unchecked() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = parse_api_url(&format!("http://127.0.0.1:{port}/api/v2")).unwrap();
    let client = MakeApi::new(config(url)).unwrap();
    let res = client.resolve(&ask(Some(TEAM), &[1, 2]));
    assert_eq!(unchecked_ids(&res), [1, 2]);
    assert!(
        res.unchecked[&1].contains("could not connect"),
        "{}",
        res.unchecked[&1]
    );
    assert_eq!(res.requests, 3);
    assert!(client.describe().contains("127.0.0.1"));
}

// ---------------------------------------------------------------------------------------------
// Authorization and limits

#[test]
fn a_refused_token_leaves_every_id_unchecked() {
    let server = MakeServer::builder()
        .token("the-right-one")
        .team(TEAM, team_rows(3))
        .start();
    let res = api(&server).resolve(&ask(Some(TEAM), &[1, 2, 99]));
    assert!(res.found.is_empty() && res.not_found.is_empty());
    assert_eq!(unchecked_ids(&res), [1, 2, 99]);
    assert_eq!(res.errors.len(), 1);
    assert!(res.errors[0].contains("401") && res.errors[0].contains("`connections:read`"));
    assert!(res.unchecked[&99].contains("connections:read"));
    assert_eq!(res.requests, 1);
    assert!(server.requests().iter().all(|r| r.auth == Auth::Wrong));
}

#[test]
fn a_refused_token_stops_by_id_lookups_early() {
    let server = MakeServer::builder().token("the-right-one").start();
    let client = api_with(&server, |c| c.concurrency = 1);
    let res = client.resolve(&ask(None, &[1, 2, 3, 4]));
    assert_eq!(unchecked_ids(&res), [1, 2, 3, 4]);
    assert_eq!(res.requests, 1, "after one 401 the rest are not sent");
}

#[test]
fn a_team_the_token_cannot_read_is_unchecked_not_missing() {
    let server = MakeServer::builder().team(TEAM, team_rows(3)).start();
    let res = api(&server).resolve(&ask(Some(42), &[1]));
    assert!(res.not_found.is_empty());
    assert_eq!(unchecked_ids(&res), [1]);
    let reason = &res.unchecked[&1];
    assert!(
        reason.contains("403") && reason.contains("team 42"),
        "{reason}"
    );
    assert!(
        reason.contains("Access denied"),
        "quotes Make's message: {reason}"
    );
    assert_eq!(res.requests, 1);
}

#[test]
fn request_cap_leaves_the_rest_unchecked() {
    let server = MakeServer::builder().team(TEAM, team_rows(5)).start();
    let client = api_with(&server, |c| {
        c.concurrency = 1;
        c.max_requests = Some(3);
    });
    let res = client.resolve(&ask(None, &[1, 2, 3, 4, 5]));
    assert_eq!(res.found.len(), 3);
    assert_eq!(res.unchecked.len(), 2);
    for reason in res.unchecked.values() {
        assert_eq!(reason, "request cap (--max-requests 3) reached");
    }
    assert_eq!(res.requests, 3);
    assert_eq!(server.count(), 3);
    assert!(res.errors.iter().any(|e| e.contains("--max-requests 3")));
}

#[test]
fn request_cap_during_a_listing_fails_closed() {
    let server = MakeServer::builder().team(TEAM, team_rows(25)).start();
    let client = api_with(&server, |c| c.max_requests = Some(2));
    let res = client.resolve(&ask(Some(TEAM), &[1, 25]));
    assert!(res.found.is_empty() && res.not_found.is_empty());
    assert_eq!(unchecked_ids(&res), [1, 25]);
    assert_eq!(res.requests, 2);
    assert_eq!(server.count(), 2);
}

// ---------------------------------------------------------------------------------------------
// Verification

#[test]
fn verify_uses_test_endpoint() {
    let server = MakeServer::builder()
        .team(TEAM, team_rows(3))
        .verification(2, false, Some("Invalid credentials"))
        .start();
    let mut req = ask(Some(TEAM), &[1, 2, 99]);
    req.verify = true;
    let res = api(&server).resolve(&req);
    assert!(res.verification[&1].verified);
    assert!(!res.verification[&2].verified);
    assert_eq!(
        res.verification[&2].error.as_deref(),
        Some("Invalid credentials")
    );
    assert!(!res.verification.contains_key(&99));
    assert_eq!(
        server.count_where(|r| r.method == "POST" && r.path.ends_with("/test")),
        2
    );
    assert_eq!(server.count_where(|r| r.path.ends_with("/verify")), 0);
    assert_eq!(res.requests, 1 + 1 + 2);
}

#[test]
fn verify_falls_back_to_the_seed_endpoint() {
    let server = MakeServer::builder()
        .team(TEAM, team_rows(3))
        .without_test_endpoint()
        .verification(1, false, Some("Invalid credentials"))
        .start();
    let mut req = ask(Some(TEAM), &[1, 3]);
    req.verify = true;
    let res = api(&server).resolve(&req);
    assert_eq!(res.verification.len(), 2);
    assert!(!res.verification[&1].verified);
    assert!(res.verification[&3].verified);
    assert!(res.unchecked.is_empty() && res.errors.is_empty());
    assert_eq!(server.count_of("POST", "/connections/1/test"), 1);
    assert_eq!(server.count_of("POST", "/connections/1/verify"), 1);
    assert_eq!(res.requests, 1 + 4);
}

#[test]
fn verify_refused_for_a_token_without_connections_write_is_unchecked_not_a_finding() {
    // 403 as for a read-only token, and 401 (Make does not document which it sends).
    for status in [403u16, 401] {
        let mut builder = MakeServer::builder().team(TEAM, team_rows(3));
        builder = if status == 403 {
            builder.forbid_verify()
        } else {
            builder
                .refuse("/connections/1/test", 401)
                .refuse("/connections/2/test", 401)
        };
        let server = builder.start();
        let mut req = ask(Some(TEAM), &[1, 2]);
        req.verify = true;
        // Default concurrency: the first test goes alone, so the refusal costs one request.
        let res = api(&server).resolve(&req);
        // Every other answer stands: the connections are found, with their team.
        assert_eq!(ids(res.found.keys()), [1, 2], "{status}");
        assert_eq!(res.found[&1].team_id, Some(TEAM));
        assert!(res.verification.is_empty(), "no verification was made up");
        assert_eq!(unchecked_ids(&res), [1, 2], "{status}");
        assert!(
            res.unchecked[&2].contains("not verified"),
            "{:?}",
            res.unchecked
        );
        assert_eq!(res.errors.len(), 1, "{:?}", res.errors);
        let e = &res.errors[0];
        assert!(
            e.contains("the token lacks the `connections:write` scope")
                && e.contains(&format!("HTTP {status}")),
            "{e}"
        );
        // The listing, one refused test; the second is not sent.
        assert_eq!(res.requests, 2, "{status}");
        assert_eq!(server.count(), 2, "{status}");
    }
}

#[test]
fn a_verification_that_fails_to_run_is_named_in_errors() {
    let server = MakeServer::builder()
        .team(TEAM, team_rows(3))
        .malformed("/connections/2/test")
        .start();
    let mut req = ask(Some(TEAM), &[1, 2]);
    req.verify = true;
    let res = api(&server).resolve(&req);
    assert_eq!(ids(res.found.keys()), [1, 2]);
    assert!(res.verification[&1].verified);
    assert!(!res.verification.contains_key(&2));
    assert_eq!(unchecked_ids(&res), [2]);
    assert!(
        res.unchecked[&2].contains("could not verify"),
        "{:?}",
        res.unchecked
    );
    assert!(
        res.errors.iter().any(|e| e.contains("connection 2")),
        "{:?}",
        res.errors
    );
    assert_eq!(res.requests, 3);
}

// ---------------------------------------------------------------------------------------------
// The token

#[test]
fn the_token_never_leaks() {
    let secret = "zz-SECRET-9f8e7d6c-token";
    let server = MakeServer::builder()
        .token("another-token")
        .team(TEAM, team_rows(3))
        .echo_auth_in_errors()
        .start();
    let mut texts = Vec::new();

    let cfg = |url: Url| {
        let mut c = config(url);
        c.token = Token::new(secret).unwrap();
        c
    };
    // 401, whose body quotes the header back.
    let client = MakeApi::new(cfg(server.url())).unwrap();
    texts.push(format!("{client:?}"));
    texts.push(format!("{:?}", cfg(server.url())));
    texts.push(format!("{:?}", Token::new(secret).unwrap()));
    texts.push(all_text(&client.resolve(&ask(Some(TEAM), &[1]))));
    let error = client.export_connections(TEAM).unwrap_err();
    // The typed error's fields, not only its text, hold no token.
    texts.push(format!("{error} {error:?}"));

    // 403 on verification, whose message quotes the header back. The secret is no UUID, so it
    // travels as a bearer token.
    let server = MakeServer::builder()
        .token(secret)
        .bearer()
        .team(TEAM, team_rows(3))
        .forbid_verify()
        .echo_auth_in_errors()
        .start();
    let client = MakeApi::new(cfg(server.url())).unwrap();
    let mut req = ask(Some(TEAM), &[1, 42]);
    req.verify = true;
    let res = client.resolve(&req);
    assert!(
        res.errors.iter().any(|n| n.contains("connections:write")),
        "{:?}",
        res.errors
    );
    texts.push(all_text(&res));
    // 403 on a team listing, whose message quotes it too.
    let res = client.resolve(&ask(Some(99), &[1]));
    assert!(
        res.unchecked[&1].contains("***"),
        "scrubbed, not dropped: {:?}",
        res.unchecked
    );
    texts.push(all_text(&res));
    let error = client.export_connections(99).unwrap_err();
    // The typed error's fields, not only its text, hold no token.
    texts.push(format!("{error} {error:?}"));

    // Transport failures.
    let dead = parse_api_url("http://127.0.0.1:1/api/v2").unwrap();
    let client = MakeApi::new(cfg(dead)).unwrap();
    texts.push(all_text(&client.resolve(&ask(None, &[1]))));

    for text in &texts {
        assert!(!text.contains(secret), "token leaked: {text}");
        assert!(!text.contains("SECRET"), "token leaked: {text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Export, runtimes, and the server's other endpoints

#[test]
fn export_returns_the_raw_rows_and_loads_as_a_snapshot() {
    let server = MakeServer::builder()
        .team(TEAM, team_rows(25))
        .team(
            OTHER_TEAM,
            vec![real_row(801, "elsewhere", "google", OTHER_TEAM, &[])],
        )
        .start();
    let exported = api(&server).export_connections(TEAM).unwrap();
    assert_eq!(exported["teamId"], TEAM);
    let rows = exported["connections"].as_array().unwrap();
    assert_eq!(rows.len(), 25);
    assert_eq!(rows[0]["name"], "conn 01");
    assert!(rows[0].get("scopesCnt").is_some() && rows[0].get("scopes").is_none());
    assert_eq!(server.count(), 3);

    let snapshot = Snapshot::from_str(&exported.to_string(), "export.json").unwrap();
    assert_eq!(snapshot.default_team(), Some(TEAM));
    let res = snapshot.resolve(&ask(Some(TEAM), &[1, 25, 801]));
    assert_eq!(ids(res.found.keys()), [1, 25]);
    assert_eq!(ids(&res.not_found), [801]);
}

#[tokio::test]
async fn resolve_works_when_called_inside_a_runtime() {
    let server = MakeServer::builder().team(TEAM, team_rows(3)).start();
    let res = api(&server).resolve(&ask(Some(TEAM), &[2]));
    assert_eq!(ids(res.found.keys()), [2]);
}

#[tokio::test]
async fn scenario_endpoints_answer() {
    let bp = json!({"name": "Flow", "flow": [], "metadata": {"version": 1}});
    let server = MakeServer::builder()
        .scenario(TEAM, 11, "Flow", bp.clone())
        .scenario(TEAM, 12, "Other", json!({"name": "Other", "flow": []}))
        .start();
    let client = reqwest::Client::new();
    let get = |path: &str| {
        client
            .get(format!("{}{path}", server.base_url()))
            .header("Authorization", format!("Token {TOKEN}"))
            .send()
    };
    let list: Value = get("/scenarios?teamId=7&pg[limit]=1")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["scenarios"].as_array().unwrap().len(), 1);
    assert_eq!(list["pg"]["total"], 2);
    let wrapped: Value = get("/scenarios/11/blueprint")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(wrapped["code"], "OK");
    assert_eq!(wrapped["response"]["blueprint"], bp);
    assert_eq!(get("/scenarios/13/blueprint").await.unwrap().status(), 404);
    assert_eq!(server.count(), 3);
}

// ---------------------------------------------------------------------------------------------
// The API as Make really answers: token scopes per endpoint, stored objects by id, OAuth
// tokens, list rows without scopes, error texts

fn object_row(id: u64, team: u64) -> Value {
    json!({"id": id, "name": format!("object {id}"), "teamId": team})
}

fn objects(pairs: &[(RefKind, &[u64])]) -> BTreeMap<RefKind, BTreeSet<u64>> {
    pairs
        .iter()
        .map(|(k, ids)| (*k, ids.iter().copied().collect()))
        .collect()
}

#[test]
fn a_token_refused_on_one_endpoint_keeps_every_other_answer() {
    // The token reads connections and keys, but not hooks (401) or data stores (403).
    let server = MakeServer::builder()
        .team(TEAM, team_rows(3))
        .hooks(TEAM, vec![object_row(52001, TEAM)])
        .keys(TEAM, vec![object_row(901, TEAM)])
        .refuse("/hooks*", 401)
        .refuse("/data-stores*", 403)
        .start();
    let mut req = ask(Some(TEAM), &[1, 2, 99]);
    req.objects = objects(&[
        (RefKind::Hook, &[52001, 52002]),
        (RefKind::DataStore, &[801]),
        (RefKind::Keychain, &[901]),
    ]);
    let res = api(&server).resolve(&req);

    assert_eq!(ids(res.found.keys()), [1, 2]);
    assert_eq!(ids(&res.not_found), [99]);
    assert!(res.unchecked.is_empty(), "{:?}", res.unchecked);
    assert!(res.objects.contains_key(&(RefKind::Keychain, 901)));
    let unchecked: Vec<(RefKind, u64)> = res.objects_unchecked.keys().copied().collect();
    assert_eq!(
        unchecked,
        [
            (RefKind::Hook, 52001),
            (RefKind::Hook, 52002),
            (RefKind::DataStore, 801)
        ]
    );
    assert!(res.objects_not_found.is_empty(), "never called missing");
    assert_eq!(res.errors.len(), 2, "{:?}", res.errors);
    for (scope, status, path) in [
        ("hooks:read", 401, "/hooks"),
        ("datastores:read", 403, "/data-stores"),
    ] {
        let e = res
            .errors
            .iter()
            .find(|e| e.contains(scope))
            .unwrap_or_else(|| panic!("no error names {scope}: {:?}", res.errors));
        assert!(
            e.contains(&format!("the token lacks the `{scope}` scope"))
                && e.contains(&format!("HTTP {status}"))
                && e.contains(path),
            "{e}"
        );
    }
    // Listing, 99 by id, one request per object list; nothing asked by id behind a refusal.
    assert_eq!(res.requests, 5, "{:?}", server.requests());
    assert_eq!(server.count(), 5);
    assert_eq!(server.count_where(|r| r.path.starts_with("/hooks/")), 0);
}

#[test]
fn a_401_on_the_first_request_is_the_token_and_names_that_endpoint_scope() {
    let server = MakeServer::builder()
        .keys(TEAM, vec![object_row(901, TEAM)])
        .refuse("/hooks*", 401)
        .start();
    let mut req = ask(Some(TEAM), &[]);
    req.objects = objects(&[(RefKind::Hook, &[52001]), (RefKind::Keychain, &[901])]);
    let res = api(&server).resolve(&req);
    assert!(res.objects.is_empty() && res.objects_not_found.is_empty());
    assert_eq!(res.errors.len(), 1, "{:?}", res.errors);
    let e = &res.errors[0];
    assert!(
        e.contains("refused the token (401 on GET /api/v2/hooks")
            && e.contains("missing, wrong, or lacks the `hooks:read` scope")
            && e.contains("sent as an API key (`Authorization: Token`)"),
        "{e}"
    );
    assert_eq!(
        res.requests, 1,
        "after the token is refused nothing is sent"
    );
}

#[test]
fn stored_objects_absent_from_the_team_list_are_asked_by_id_once() {
    let server = MakeServer::builder()
        .hooks(TEAM, vec![object_row(52001, TEAM)])
        .hooks(OTHER_TEAM, vec![object_row(52002, OTHER_TEAM)])
        .data_stores(OTHER_TEAM, vec![object_row(802, OTHER_TEAM)])
        .start();
    let mut req = ask(Some(TEAM), &[]);
    req.objects = objects(&[
        (RefKind::Hook, &[52001, 52002, 52003]),
        (RefKind::DataStore, &[801, 802]),
        (RefKind::Keychain, &[903]),
    ]);
    let res = api(&server).resolve(&req);
    assert!(res.errors.is_empty(), "{:?}", res.errors);
    assert_eq!(res.objects[&(RefKind::Hook, 52001)].team_id, Some(TEAM));
    assert_eq!(
        res.objects[&(RefKind::Hook, 52002)].team_id,
        Some(OTHER_TEAM)
    );
    assert_eq!(
        res.objects[&(RefKind::DataStore, 802)].team_id,
        Some(OTHER_TEAM)
    );
    let missing: Vec<(RefKind, u64)> = res.objects_not_found.iter().copied().collect();
    assert_eq!(
        missing,
        [
            (RefKind::Hook, 52003),
            (RefKind::Keychain, 903),
            (RefKind::DataStore, 801)
        ]
    );
    // Three lists, then one by id for each id its list lacks, never for a listed one.
    for path in ["/hooks", "/data-stores", "/keys"] {
        assert_eq!(server.count_of("GET", path), 1, "{path}");
    }
    for path in [
        "/hooks/52002",
        "/hooks/52003",
        "/data-stores/801",
        "/data-stores/802",
        "/keys/903",
    ] {
        assert_eq!(server.count_of("GET", path), 1, "{path}");
    }
    assert_eq!(server.count_of("GET", "/hooks/52001"), 0);
    assert_eq!(res.requests, 8);
}

#[test]
fn without_a_team_stored_objects_are_asked_by_id_and_a_by_id_403_is_unchecked() {
    let server = MakeServer::builder()
        .hooks(OTHER_TEAM, vec![object_row(52002, OTHER_TEAM)])
        .status("/hooks/52001", 403)
        .error_body(
            "/keys/903",
            403,
            r#"{"message": "Forbidden", "detail": "Access denied to key 903.", "code": "SC403"}"#,
        )
        .start();
    let mut req = ask(None, &[]);
    req.objects = objects(&[
        (RefKind::Hook, &[52001, 52002, 52003]),
        (RefKind::Keychain, &[903]),
    ]);
    // One at a time: 52001's refusal comes first and must not stop the other lookups.
    let res = api_with(&server, |c| c.concurrency = 1).resolve(&req);
    assert!(res.objects_unchecked.contains_key(&(RefKind::Hook, 52001)));
    assert_eq!(
        res.objects[&(RefKind::Hook, 52002)].team_id,
        Some(OTHER_TEAM)
    );
    assert!(res.objects_not_found.contains(&(RefKind::Hook, 52003)));
    // Not proof that the token lacks `keys:read`: one object's refusal names every reason.
    let reason = &res.objects_unchecked[&(RefKind::Keychain, 903)];
    assert!(
        reason.contains("HTTP 403")
            && reason.contains("another zone")
            && reason.contains("lacks `keys:read`")
            && reason.contains("Forbidden: Access denied to key 903. [SC403]"),
        "{reason}"
    );
    assert_eq!(res.errors.len(), 2, "{:?}", res.errors);
    assert!(
        res.errors
            .iter()
            .any(|e| e.starts_with("keychain 903 could not be checked")),
        "{:?}",
        res.errors
    );
    assert_eq!(
        server.count(),
        4,
        "one request per id, no list without a team"
    );
}

#[test]
fn an_oauth_access_token_is_sent_as_bearer_and_either_scheme_can_be_forced() {
    let server = MakeServer::builder()
        .token(OAUTH_TOKEN)
        .bearer()
        .team(TEAM, team_rows(2))
        .start();
    let oauth = |scheme: Option<AuthScheme>| {
        api_with(&server, |c| {
            c.token = Token::new(OAUTH_TOKEN).unwrap();
            c.auth_scheme = scheme;
        })
    };
    let res = oauth(None).resolve(&ask(Some(TEAM), &[1, 2]));
    assert!(res.errors.is_empty(), "{:?}", res.errors);
    assert_eq!(ids(res.found.keys()), [1, 2]);
    let res = oauth(Some(AuthScheme::Bearer)).resolve(&ask(Some(TEAM), &[1]));
    assert_eq!(ids(res.found.keys()), [1]);
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.scheme.as_deref() == Some("Bearer") && r.auth == Auth::Correct)
    );
    // Forced to `Token`, the server refuses it; the message says how it was sent.
    let res = oauth(Some(AuthScheme::Token)).resolve(&ask(Some(TEAM), &[1]));
    assert_eq!(unchecked_ids(&res), [1]);
    assert!(
        res.errors[0].contains("401") && res.errors[0].contains("--auth-scheme bearer"),
        "{:?}",
        res.errors
    );
    assert!(!all_text(&res).contains(OAUTH_TOKEN));
    assert_eq!(
        server.requests().last().unwrap().scheme.as_deref(),
        Some("Token")
    );
    assert_eq!(server.count(), 3);

    // An API key (UUID v4) goes as `Token` by default.
    let server = MakeServer::builder().team(TEAM, team_rows(1)).start();
    let res = api(&server).resolve(&ask(Some(TEAM), &[1]));
    assert_eq!(ids(res.found.keys()), [1]);
    assert_eq!(server.requests()[0].scheme.as_deref(), Some("Token"));
}

/// One team of real list rows (no scopes, `scopesCnt`): Slack OAuth connections, a Google one,
/// a basic (API key) Airtable one.
fn mixed_team() -> Vec<Value> {
    vec![
        real_row(1, "s1", "slack2", TEAM, &["chat:write"]),
        real_row(2, "s2", "slack2", TEAM, &["channels:read"]),
        real_row(3, "g3", "google", TEAM, &[]),
        basic_row(4, "a4", "airtable3", TEAM),
    ]
}

fn demand(types: &[&str], needs: &[&[&str]]) -> ScopeDemand {
    ScopeDemand {
        accepted_types: Some(types.iter().map(|t| t.to_string()).collect()),
        needs: needs
            .iter()
            .map(|n| n.iter().map(|s| s.to_string()).collect())
            .collect(),
    }
}

#[test]
fn no_scope_question_for_a_type_the_module_refuses_or_a_connection_that_is_not_oauth() {
    let server = MakeServer::builder().team(TEAM, mixed_team()).start();
    let mut req = ask(Some(TEAM), &[1, 2, 3, 4]);
    let slack = demand(&["slack2", "slack3"], &[&["chat:write"]]);
    req.required_scopes = HashMap::from([
        (1, vec![slack.clone()]),
        (2, vec![slack.clone()]),
        // A Slack module given a Google connection: BP105, no scope question.
        (3, vec![slack]),
        // Airtable scopes of a connection that is an API key: it holds none, none are asked.
        (
            4,
            vec![demand(
                &["airtable2", "airtable3"],
                &[&["data.records:write"]],
            )],
        ),
    ]);
    let res = api(&server).resolve(&req);
    assert!(res.unchecked.is_empty() && res.errors.is_empty());
    assert_eq!(res.found[&1].scoped, Some(true));
    assert_eq!(res.found[&2].scopes.clone().unwrap(), Vec::<String>::new());
    assert_eq!(res.found[&3].scopes, None);
    assert_eq!(res.found[&3].scoped, None);
    assert_eq!(res.found[&4].scopes, None);
    // The listing and one (slack2, chat:write) group: 2's missing scope is the group's one.
    let lists = server.list_calls();
    assert_eq!(lists.len(), 2);
    assert_eq!(lists[1].params("type[]"), ["slack2"]);
    assert_eq!(lists[1].params("slack2[]"), ["chat:write"]);
    assert!(server.by_id_calls().is_empty());
    assert_eq!(res.requests, 2);
}

#[test]
fn failing_connections_are_named_by_per_scope_listings_when_cheaper_than_records() {
    // Five Google connections fail a two-scope need; one listing per scope (2) costs less than
    // one record each (5). The list ignores `pg[]`, as Make's may.
    let rows = vec![
        real_row(1, "g1", "google", TEAM, &["a"]),
        real_row(2, "g2", "google", TEAM, &["b"]),
        real_row(3, "g3", "google", TEAM, &[]),
        real_row(4, "g4", "google", TEAM, &["a"]),
        real_row(5, "g5", "google", TEAM, &["x"]),
        real_row(6, "g6", "google", TEAM, &["a", "b"]),
    ];
    let server = MakeServer::builder()
        .team(TEAM, rows)
        .ignore_paging()
        .start();
    let mut req = ask(Some(TEAM), &[1, 2, 3, 4, 5, 6]);
    let need = demand(&["google"], &[&["a"], &["b"]]);
    req.required_scopes = (1..=6).map(|id| (id, vec![need.clone()])).collect();
    let res = api(&server).resolve(&req);
    assert!(res.unchecked.is_empty(), "{:?}", res.unchecked);
    let scopes = |id: u64| res.found[&id].scopes.clone();
    assert_eq!(scopes(1).unwrap(), ["a"]);
    assert_eq!(scopes(2).unwrap(), ["b"]);
    assert_eq!(scopes(3).unwrap(), Vec::<String>::new());
    assert_eq!(scopes(5).unwrap(), Vec::<String>::new());
    assert_eq!(scopes(6), None, "it holds both: the group answered");
    assert_eq!(res.found[&6].scoped, Some(true));
    let mut probes: Vec<Vec<String>> = server
        .list_calls()
        .iter()
        .skip(2)
        .map(|r| r.params("google[]").iter().map(|s| s.to_string()).collect())
        .collect();
    probes.sort();
    assert_eq!(probes, [["a"], ["b"]]);
    assert!(server.by_id_calls().is_empty());
    // Listing, group, two per-scope listings.
    assert_eq!(res.requests, 4);

    // Two failing connections: one record each (2) beats a listing per scope (2 needs, and
    // the alternative: 3).
    let rows = vec![
        real_row(1, "g1", "google", TEAM, &["a"]),
        real_row(2, "g2", "google", TEAM, &["x"]),
    ];
    let server = MakeServer::builder().team(TEAM, rows).start();
    let mut req = ask(Some(TEAM), &[1, 2]);
    let need = demand(&["google"], &[&["a", "x"], &["b"]]);
    req.required_scopes = (1..=2).map(|id| (id, vec![need.clone()])).collect();
    let res = api(&server).resolve(&req);
    assert_eq!(res.found[&1].scopes.clone().unwrap(), ["a"]);
    assert_eq!(res.found[&2].scopes.clone().unwrap(), ["x"]);
    let mut by_id = server.by_id_calls();
    by_id.sort_unstable();
    assert_eq!(by_id, [1, 2]);
    assert_eq!(res.requests, 4);
}

#[test]
fn a_single_need_with_alternatives_probes_only_the_other_alternatives() {
    // Need `a|x`: the group asks `a`; the three failing connections are asked about `x` in one
    // listing, not by id.
    let rows = vec![
        real_row(1, "g1", "google", TEAM, &["x"]),
        real_row(2, "g2", "google", TEAM, &[]),
        real_row(3, "g3", "google", TEAM, &["x", "y"]),
    ];
    let server = MakeServer::builder().team(TEAM, rows).start();
    let mut req = ask(Some(TEAM), &[1, 2, 3]);
    let need = demand(&["google"], &[&["a", "x"]]);
    req.required_scopes = (1..=3).map(|id| (id, vec![need.clone()])).collect();
    let res = api(&server).resolve(&req);
    assert_eq!(res.found[&1].scopes.clone().unwrap(), ["x"]);
    assert_eq!(res.found[&2].scopes.clone().unwrap(), Vec::<String>::new());
    assert_eq!(res.found[&3].scopes.clone().unwrap(), ["x"]);
    let lists = server.list_calls();
    assert_eq!(lists[1].params("google[]"), ["a"]);
    assert_eq!(lists[2].params("google[]"), ["x"]);
    assert_eq!(res.requests, 3);
}

#[test]
fn make_error_texts_show_detail_code_suberrors_and_the_zone_hint() {
    let server = MakeServer::builder()
        .team(TEAM, team_rows(1))
        .error_body(
            "/connections/801",
            403,
            r#"{"message": "Forbidden", "detail": "Access denied.", "code": "SC403",
                "suberrors": [{"message": "Connection 801", "detail": "belongs to organization 5"}]}"#,
        )
        .error_body(
            "/connections/802",
            400,
            r#"{"message": "Validation failed", "code": "IM003",
                "suberrors": [{"message": "connectionId must be a number"}]}"#,
        )
        .start();
    let res = api(&server).resolve(&ask(Some(TEAM), &[1, 801, 802]));
    let forbidden = &res.unchecked[&801];
    assert!(
        forbidden.contains(
            "Forbidden: Access denied. [SC403]; suberrors: Connection 801: belongs to organization 5"
        ) && forbidden.contains("or to another zone"),
        "{forbidden}"
    );
    let invalid = &res.unchecked[&802];
    assert!(
        invalid.contains("Validation failed [IM003]; suberrors: connectionId must be a number"),
        "{invalid}"
    );
    assert_eq!(res.requests, 3);
}

#[test]
fn real_rows_take_the_type_from_account_name_whatever_account_type_says() {
    let mut odd = real_row(5, "odd", "slack2", TEAM, &["chat:write"]);
    odd["accountType"] = json!("slack");
    let server = MakeServer::builder()
        .team(TEAM, vec![odd, basic_row(6, "key", "airtable3", TEAM)])
        .start();
    let mut req = ask(Some(TEAM), &[5, 6]);
    req.required_scopes = HashMap::from([(5, vec![demand(&["slack2"], &[&["chat:write"]])])]);
    let res = api(&server).resolve(&req);
    assert_eq!(res.found[&5].connection_type.as_deref(), Some("slack2"));
    assert_eq!(res.found[&5].account_label.as_deref(), Some("odd account"));
    assert_eq!(res.found[&6].connection_type.as_deref(), Some("airtable3"));
    // Its filter asked for type `slack2`, the accountName.
    assert_eq!(server.list_calls()[1].params("type[]"), ["slack2"]);
    assert_eq!(res.found[&5].scoped, Some(true));
}

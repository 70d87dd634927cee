//! Paging and lookups: pages, `pg.total`, servers that ignore paging, ids asked by id, concurrency.

use std::time::{Duration, Instant};

use bplint::live::ConnectionSource;
use serde_json::json;

use crate::support::make_server::{Auth, MakeServer, real_row};
use crate::{OTHER_TEAM, TEAM, api, api_with, ask, ids, team_rows};

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

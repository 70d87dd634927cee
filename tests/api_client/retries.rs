//! Retries and rate limits: `Retry-After`, backoff, 5xx, and what is left unchecked past the budget.

use std::time::{Duration, Instant};

use bplint::live::ConnectionSource;

use crate::support::make_server::MakeServer;
use crate::{TEAM, api, ask, ids, team_rows, unchecked_ids};

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

//! Verification: `/test`, the seed server's `/verify`, refusals and failures.

use bplint::live::ConnectionSource;

use crate::support::make_server::MakeServer;
use crate::{TEAM, api, ask, ids, team_rows, unchecked_ids};

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

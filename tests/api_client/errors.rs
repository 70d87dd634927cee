//! Faults and error answers: refusals by id, error texts, wrong shapes, hangs, broken, HTML and oversized bodies, a closed port.

use std::time::{Duration, Instant};

use bplint::live::ConnectionSource;
use bplint::live::api::{MakeApi, parse_api_url};

use crate::support::make_server::{MakeServer, real_row};
use crate::{OTHER_TEAM, TEAM, api, api_with, ask, config, ids, team_rows, unchecked_ids};

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

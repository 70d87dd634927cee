//! The token: refused tokens, teams it cannot read, the request cap, that it never leaks, OAuth bearer tokens.

use bplint::live::ConnectionSource;
use bplint::live::api::{AuthScheme, MakeApi, Token, parse_api_url};
use url::Url;

use crate::support::make_server::{Auth, MakeServer, OAUTH_TOKEN};
use crate::{TEAM, all_text, api, api_with, ask, config, ids, team_rows, unchecked_ids};

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

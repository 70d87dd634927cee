//! Stored objects (hooks, data stores, keychains) by team and by id, and the token scope each of their endpoints needs.

use std::collections::{BTreeMap, BTreeSet};

use bplint::live::ConnectionSource;
use bplint::model::RefKind;
use serde_json::{Value, json};

use crate::support::make_server::MakeServer;
use crate::{OTHER_TEAM, TEAM, api, api_with, ask, ids, team_rows};

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

//! Scopes: seed-shaped rows, the scoped filter per type and scope set, per-scope listings, list rows without scopes.

use std::collections::HashMap;

use bplint::live::{ConnectionSource, ScopeDemand};
use serde_json::{Value, json};

use crate::support::make_server::{MakeServer, basic_row, real_row, seed_row};
use crate::{TEAM, api, ask, ids, unchecked_ids};

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

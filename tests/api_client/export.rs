//! Export, runtimes, and the server's other endpoints.

use bplint::live::ConnectionSource;
use bplint::live::snapshot::Snapshot;
use serde_json::{Value, json};

use crate::support::make_server::{MakeServer, TOKEN, real_row};
use crate::{OTHER_TEAM, TEAM, api, ask, ids, team_rows};

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

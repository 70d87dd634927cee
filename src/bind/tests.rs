use std::path::Path;

use serde_json::json;

use super::*;
use crate::live::Connection;

fn file(text: &str) -> BlueprintFile {
    let path = Path::new("t.json");
    let bytes = text.as_bytes().to_vec();
    let scenario = remap::scenario_of(path, &bytes).unwrap().unwrap();
    BlueprintFile {
        path: path.to_path_buf(),
        bytes,
        scenario,
    }
}

fn connection(id: u64, kind: &str, scopes: &[&str]) -> Connection {
    Connection::from_json(
        &json!({"id": id, "name": format!("c{id}"), "accountName": "x",
        "accountType": kind, "teamId": 100, "scopes": scopes}),
    )
    .unwrap()
}

fn lists(connections: Vec<Connection>) -> TeamLists {
    TeamLists {
        team: 100,
        source: "test".into(),
        connections,
        ..TeamLists::default()
    }
}

const DRIVE: &str = "https://www.googleapis.com/auth/drive.file";
const SEND: &str = "https://www.googleapis.com/auth/gmail.send";

fn decided(text: &str, team: &TeamLists, choices: &Choices) -> Vec<Decision> {
    let files = [file(text)];
    let (sites, _) = sites(&files, team, &Requirements::default(), &Catalog::builtin()).unwrap();
    decide(&sites, team, choices)
}

#[test]
fn modules_sharing_a_placeholder_get_the_intersection_of_their_candidates() {
    // Drive accepts `google-restricted`; Gmail accepts `google-email` and `google-restricted`:
    // only a `google-restricted` connection holding both modules' scopes fits both.
    let text = r#"{"flow": [
        {"id": 1, "module": "google-drive:uploadAFile", "parameters": {"__IMTCONN__": "<G>"}},
        {"id": 2, "module": "google-email:sendAnEmail", "parameters": {"__IMTCONN__": "<G>"}}
    ]}"#;
    let team = lists(vec![
        connection(1, "google-restricted", &[DRIVE]),
        connection(2, "google-email", &[DRIVE, SEND]),
        connection(3, "google-restricted", &[DRIVE, SEND]),
    ]);
    let d = decided(text, &team, &Choices::default());
    assert_eq!(d.len(), 1, "one decision for the placeholder");
    assert_eq!(d[0].sites.len(), 2);
    let ids: Vec<u64> = d[0].candidates.iter().map(|c| c.id).collect();
    assert_eq!(ids, [3]);
    assert_eq!(
        d[0].outcome,
        Outcome::Bound {
            id: 3,
            by: Choice::Unique
        }
    );
}

#[test]
fn ids_of_the_team_are_left_and_others_bound_once_per_kind_and_id() {
    let text = r#"{"flow": [
        {"id": 1, "module": "slack:CreateMessage", "parameters": {"__IMTCONN__": 7}},
        {"id": 2, "module": "slack:CreateMessage", "parameters": {"__IMTCONN__": "9"}},
        {"id": 3, "module": "slack:CreateMessage", "parameters": {"__IMTCONN__": 9}},
        {"id": 4, "module": "slack:CreateMessage", "parameters": {"__IMTCONN__": "{{var.input.C}}"}}
    ]}"#;
    let team = lists(vec![
        connection(7, "slack2", &["chat:write"]),
        connection(8, "slack3", &["chat:write"]),
    ]);
    let d = decided(text, &team, &Choices::default());
    assert_eq!(
        d.len(),
        1,
        "7 is the team's; an expression is not bound: {d:?}"
    );
    assert_eq!(d[0].key, MapKey::Id(9));
    assert_eq!(d[0].sites.len(), 2);
    // 7 and 8 both fit: ambiguous, and a map file chooses.
    assert!(matches!(d[0].outcome, Outcome::Unbound { .. }));
    let choices = Choices {
        map: KeyMap::from([(MapKey::Id(9), 8)]),
        ..Choices::default()
    };
    let d = decided(text, &team, &choices);
    assert_eq!(d[0].bound_to(), Some(8));
}

#[test]
fn plans_rewrite_only_the_bound_values() {
    let text = "{\"flow\": [{\"id\": 1, \"module\": \"slack:CreateMessage\", \"parameters\": {\"__IMTCONN__\": \"<S>\"}}, {\"id\": 2, \"module\": \"hubspotcrm:createContact\", \"parameters\": {\"__IMTCONN__\": \"<H>\"}}]}";
    let team = lists(vec![connection(5, "slack2", &["chat:write"])]);
    let files = vec![file(text)];
    let (sites, _) = sites(&files, &team, &Requirements::default(), &Catalog::builtin()).unwrap();
    let decisions = decide(&sites, &team, &Choices::default());
    let plans = plans(files, &sites, &decisions);
    assert_eq!(
        String::from_utf8(plans[0].rewritten()).unwrap(),
        text.replace("\"<S>\"", "5")
    );
}

#[test]
fn the_scope_request_asks_only_about_connections_of_accepted_types_with_unknown_scopes() {
    let text = r#"{"flow": [{"id": 1, "module": "slack:CreateMessage", "parameters": {"__IMTCONN__": "<S>"}}]}"#;
    let mut unknown = connection(1, "slack2", &[]);
    unknown.scopes = None;
    let mut other_type = connection(2, "google", &[]);
    other_type.scopes = None;
    let team = lists(vec![
        unknown,
        other_type,
        connection(3, "slack2", &["chat:write"]),
    ]);
    let files = [file(text)];
    let (sites, _) = sites(&files, &team, &Requirements::default(), &Catalog::builtin()).unwrap();
    let request = scope_request(&sites, &team).unwrap();
    assert_eq!(request.ids.into_iter().collect::<Vec<_>>(), [1]);
    assert_eq!(request.team, Some(100));
    assert_eq!(
        request.required_scopes[&1][0].needs,
        [vec!["chat:write".to_string()]]
    );
}

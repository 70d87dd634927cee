//! Rows and answers as Make's API writes them: connections (OAuth, basic, the seed document's
//! shape) and the `appModules` rows of a requirements answer.

use serde_json::{Value, json};

/// A connection as the real API describes it in `GET /connections/{id}` (lists drop `scopes`
/// and keep `scopesCnt`). Scopes are `{id, name, account}` as in Make's SDK test data: `id` the
/// scope, `name` a description (absent for some), `account` the connection type.
pub fn real_row(id: u64, name: &str, kind: &str, team: u64, scopes: &[&str]) -> Value {
    json!({
        "id": id, "name": name, "accountName": kind, "accountLabel": format!("{name} account"),
        "accountType": "oauth", "packageName": kind, "expire": null, "metadata": {},
        "teamId": team, "upgradeable": false, "scopesCnt": scopes.len(), "scoped": true,
        "editable": true, "uid": null, "connectedSystemId": null, "organizationId": 1,
        "scopes": scopes.iter().map(|s| real_scope(s, kind)).collect::<Vec<_>>(),
    })
}

/// `{"id": "chat:write", "name": "Send messages", "account": "slack2"}`.
fn real_scope(scope: &str, kind: &str) -> Value {
    let described = [
        ("chat:write", "Send messages"),
        (
            "channels:read",
            "View basic information about public channels",
        ),
        ("users:read", "View people in a workspace"),
    ];
    match described.iter().find(|(s, _)| *s == scope) {
        Some((_, name)) => json!({"id": scope, "name": name, "account": kind}),
        None => json!({"id": scope, "account": kind}),
    }
}

/// One `appModules` row of Make's requirements answer: `type` as the echo writes it
/// (`account:slack2,slack3`), `scope` the scopes (absent when `None`).
pub fn app_module(name: &str, kind: &str, scopes: Option<&[&str]>) -> Value {
    let mut row = json!({"id": name, "name": name, "label": name, "type": kind, "hook": false});
    if let Some(scopes) = scopes {
        row["scope"] = json!(scopes);
    }
    row
}

/// A connection that is not OAuth (API key, basic auth): `accountType: basic`, no scopes.
pub fn basic_row(id: u64, name: &str, kind: &str, team: u64) -> Value {
    let mut row = real_row(id, name, kind, team, &[]);
    row["accountType"] = json!("basic");
    row
}

/// The seed document's shape: type in `accountType`, scopes as plain strings.
pub fn seed_row(id: u64, name: &str, kind: &str, team: u64, scopes: &[&str]) -> Value {
    json!({
        "id": id, "name": name, "accountName": "workspace@company.com", "accountType": kind,
        "packageName": kind, "expire": null, "metadata": {}, "teamId": team,
        "upgradeable": false, "scoped": true, "scopes": scopes,
    })
}

/// The demo's connections (`fixtures/demo/connections.json`), as rows to serve.
pub fn demo_rows() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/demo/connections.json"
    ))
    .unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["connections"].as_array().unwrap().clone()
}

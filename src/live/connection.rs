//! One connection as the API (real or seed shape) or a snapshot describes it.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// A connection, normalized from either field shape.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Connection {
    pub id: u64,
    pub name: String,
    /// The connection type (`slack2`, `google`): `accountName` in the real API; in the seed shape
    /// `accountType` holds it unless that is `oauth`/`basic`.
    pub connection_type: Option<String>,
    /// The account's label (`accountLabel`), when given.
    pub account_label: Option<String>,
    pub package_name: Option<String>,
    pub team_id: Option<u64>,
    /// `None` for connections that never expire.
    pub expire: Option<DateTime<Utc>>,
    /// Granted scopes when the source listed them; `None` when unknown (real list rows).
    pub scopes: Option<Vec<String>>,
    /// The API's `scoped` flag for the scope set asked with the `type[]`/`<type>[]` filter.
    pub scoped: Option<bool>,
}

impl Connection {
    /// Reads a connection object of either shape; `None` when it has no usable id.
    pub fn from_json(v: &Value) -> Option<Connection> {
        let id = match v.get("id")? {
            Value::Number(n) => n.as_u64()?,
            Value::String(s) => s.trim().parse().ok()?,
            _ => return None,
        };
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let account_type = text("accountType");
        let account_name = text("accountName");
        // Real API: accountName = type, accountType = oauth|basic. Seed: accountType = type,
        // accountName = the account's e-mail or workspace.
        let (connection_type, account_label) = match account_type.as_deref() {
            Some("oauth") | Some("basic") | None => (account_name, text("accountLabel")),
            Some(_) => (account_type, text("accountLabel").or(account_name)),
        };
        let scopes = v.get("scopes").and_then(Value::as_array).map(|list| {
            list.iter()
                .filter_map(|s| match s {
                    Value::String(s) => Some(s.clone()),
                    Value::Object(o) => o
                        .get("id")
                        .or_else(|| o.get("name"))
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    _ => None,
                })
                .collect()
        });
        Some(Connection {
            id,
            name: text("name").unwrap_or_default(),
            connection_type,
            account_label,
            package_name: text("packageName"),
            team_id: v.get("teamId").and_then(|t| match t {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => s.parse().ok(),
                _ => None,
            }),
            expire: v.get("expire").and_then(parse_time),
            scopes,
            scoped: v.get("scoped").and_then(Value::as_bool),
        })
    }

    /// `12345 "Slack (acme)" (slack2, team 7, no expiry)`: id, name, type, team and expiry.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(t) = &self.connection_type {
            parts.push(t.clone());
        }
        if let Some(team) = self.team_id {
            parts.push(format!("team {team}"));
        }
        parts.push(match self.expire {
            Some(e) => format!("expires {}", e.format("%Y-%m-%d %H:%M UTC")),
            None => "no expiry".into(),
        });
        let mut s = format!("{} \"{}\"", self.id, self.name);
        if !parts.is_empty() {
            s.push_str(&format!(" ({})", parts.join(", ")));
        }
        s
    }
}

/// Parses an `expire` value: RFC 3339 text, or epoch seconds/milliseconds.
pub fn parse_time(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::String(s) => DateTime::parse_from_rfc3339(s.trim())
            .ok()
            .map(|d| d.with_timezone(&Utc))
            .or_else(|| {
                chrono::NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S")
                    .ok()
                    .map(|n| n.and_utc())
            }),
        Value::Number(n) => {
            let n = n.as_i64()?;
            if n > 100_000_000_000 {
                DateTime::from_timestamp_millis(n)
            } else {
                DateTime::from_timestamp(n, 0)
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn real_api_shape() {
        let c = Connection::from_json(&json!({
            "id": 5, "name": "Slack", "accountName": "slack2", "accountLabel": "acme",
            "accountType": "oauth", "teamId": 9, "expire": "2026-12-01T00:00:00.000Z",
            "scopes": [{"id": "chat:write", "name": "chat:write", "account": 5}]
        }))
        .unwrap();
        assert_eq!(c.connection_type.as_deref(), Some("slack2"));
        assert_eq!(c.account_label.as_deref(), Some("acme"));
        assert_eq!(c.scopes.unwrap(), ["chat:write"]);
        assert_eq!(c.team_id, Some(9));
        assert!(c.expire.is_some());
    }

    #[test]
    fn seed_shape() {
        let c = Connection::from_json(&json!({
            "id": 123456, "name": "My Slack", "accountName": "workspace@company.com",
            "accountType": "slack", "teamId": 5891096, "expire": null,
            "scopes": ["chat:write", "channels:read"]
        }))
        .unwrap();
        assert_eq!(c.connection_type.as_deref(), Some("slack"));
        assert_eq!(c.account_label.as_deref(), Some("workspace@company.com"));
        assert_eq!(c.expire, None);
        assert_eq!(c.scopes.unwrap().len(), 2);
    }

    #[test]
    fn rows_without_scopes_leave_them_unknown() {
        let c = Connection::from_json(&json!({"id": 1, "accountName": "google", "scopesCnt": 3}))
            .unwrap();
        assert_eq!(c.scopes, None);
        assert!(Connection::from_json(&json!({"name": "no id"})).is_none());
    }
}

//! One connection as the API (real or seed shape) or a snapshot describes it.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// A connection, normalized from either field shape.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Connection {
    pub id: u64,
    pub name: String,
    /// The connection type (`slack2`, `google`): `accountName` in the real API; `accountType`
    /// only in rows of the seed document's shape (see [`is_seed_shape`]).
    pub connection_type: Option<String>,
    /// The account's label (`accountLabel`), when given.
    pub account_label: Option<String>,
    pub package_name: Option<String>,
    pub team_id: Option<u64>,
    /// `None` for connections that never expire.
    pub expire: Option<DateTime<Utc>>,
    /// Granted scopes when known: the connection's own record, or (after per-scope filtered
    /// list calls) those of the asked scopes it holds. `None` when unknown (real list rows).
    pub scopes: Option<Vec<String>>,
    /// The API's `scoped` flag for the scope set asked with the `type[]`/`<type>[]` filter.
    pub scoped: Option<bool>,
    /// OAuth or not, from the real API's `accountType` (`oauth`/`basic`); `None` when the row
    /// does not say (seed shape). Only OAuth connections hold scopes.
    #[serde(skip)]
    pub auth: Option<AccountAuth>,
}

/// How a connection authenticates, as the real API's `accountType` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAuth {
    OAuth,
    /// Not OAuth (basic auth, API keys, tokens): no scopes (`scopesCnt: 0`).
    Basic,
}

impl AccountAuth {
    /// Reads `accountType`: `oauth` (and `oauth-refresh`, `oauth2`...) is OAuth; `basic`,
    /// `apikey` and the other non-OAuth kinds Make's SDK names are not. Anything else (the seed
    /// shape puts the connection type there) says nothing.
    pub fn parse(account_type: &str) -> Option<AccountAuth> {
        let t = account_type.trim().to_ascii_lowercase();
        if t.starts_with("oauth") {
            return Some(AccountAuth::OAuth);
        }
        match t.as_str() {
            "basic" | "apikey" | "api-key" | "api_key" | "key" | "token" | "other" | "none" => {
                Some(AccountAuth::Basic)
            }
            _ => None,
        }
    }

    /// Whether a connection of this kind can hold scopes at all.
    pub fn holds_scopes(self) -> bool {
        self == AccountAuth::OAuth
    }
}

/// Whether a connection row is in the seed document's shape: `accountType` holds the type and
/// `accountName` the account (`workspace@company.com`), scopes are plain strings. Make's real
/// answers always carry `accountLabel` and `scopesCnt` and give scopes as `{id, name, account}`
/// objects, so a row with any of those is in the real shape, whatever its `accountType` says.
pub fn is_seed_shape(row: &Value) -> bool {
    let real_scopes = row
        .get("scopes")
        .and_then(Value::as_array)
        .is_some_and(|list| list.iter().any(Value::is_object));
    row.get("accountLabel").is_none() && row.get("scopesCnt").is_none() && !real_scopes
}

impl Connection {
    /// Reads a row of team `team`'s connection list: the list is the team's own, whether or not
    /// its rows say so, and a row's `scoped` flag answers no question of ours (only a listing
    /// with a scope filter does).
    pub fn from_team_row(v: &Value, team: u64) -> Option<Connection> {
        let mut c = Connection::from_json(v)?;
        c.team_id.get_or_insert(team);
        c.scoped = None;
        Some(c)
    }

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
        let auth = account_type.as_deref().and_then(AccountAuth::parse);
        // Real API: accountName = type, accountType = oauth|basic (any other value there is
        // not a type). Seed: accountType = type, accountName = the account's e-mail or
        // workspace.
        let seed_type = account_type.filter(|_| auth.is_none() && is_seed_shape(v));
        let (connection_type, account_label) = match seed_type {
            Some(t) => (Some(t), text("accountLabel").or(account_name)),
            None => (account_name, text("accountLabel")),
        };
        let scopes = v.get("scopes").and_then(Value::as_array).map(|list| {
            list.iter()
                .filter_map(|s| match s {
                    Value::String(s) => Some(s.clone()),
                    // `{id, name, account}`: `id` is the scope; `name` describes it
                    // ("Send messages") and is never a scope.
                    Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_string),
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
            auth,
        })
    }

    /// The connection as a row of the real API's shape (what a snapshot holds), with what was
    /// learnt of its scopes: `scopes` when known, `scoped` when a scope filter answered it.
    pub fn to_row(&self) -> Value {
        let mut row = serde_json::json!({
            "id": self.id,
            "name": self.name,
            "accountName": self.connection_type,
            // Present (even null), so the row reads in the real shape, never the seed's.
            "accountLabel": self.account_label,
            "accountType": match self.auth {
                Some(AccountAuth::OAuth) => Some("oauth"),
                Some(AccountAuth::Basic) => Some("basic"),
                None => None,
            },
            "packageName": self.package_name,
            "teamId": self.team_id,
            "expire": self
                .expire
                .map(|e| e.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
        });
        if let Some(scopes) = &self.scopes {
            row["scopes"] = serde_json::json!(scopes);
        }
        if let Some(scoped) = self.scoped {
            row["scoped"] = Value::Bool(scoped);
        }
        row
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

/// Why a connection row's `expire` cannot be read, when it is set: a value that is neither
/// null nor a time [`parse_time`] reads (a typo, a year beyond 9999 in text, epoch seconds
/// past chrono's calendar). Read as "never expires", it would pass an expired connection.
pub fn unreadable_expire(row: &Value) -> Option<String> {
    let v = row.get("expire").filter(|v| !v.is_null())?;
    if parse_time(v).is_some() {
        return None;
    }
    // JSON text escapes control characters: safe to print from an untrusted file.
    let mut shown = v.to_string();
    if shown.len() > 60 {
        let cut = (0..=57)
            .rev()
            .find(|&i| shown.is_char_boundary(i))
            .unwrap_or(0);
        shown.truncate(cut);
        shown.push_str("...");
    }
    Some(format!(
        "`expire` {shown} is not a time (expected RFC 3339 text such as \
         2026-12-01T00:00:00Z, or epoch seconds or milliseconds)"
    ))
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
        // As Make's SDK test data records `GET /connections/{id}`.
        let c = Connection::from_json(&json!({
            "id": 5, "name": "Slack", "accountName": "slack2", "accountLabel": "acme",
            "packageName": null, "expire": "2026-12-01T00:00:00.000Z", "metadata": {},
            "teamId": 9, "upgradeable": false, "scopesCnt": 2, "scoped": true,
            "accountType": "oauth", "editable": true, "uid": null,
            "scopes": [
                {"id": "chat:write", "name": "Send messages", "account": "slack2"},
                {"id": "channels:read", "account": "slack2"}
            ]
        }))
        .unwrap();
        assert_eq!(c.connection_type.as_deref(), Some("slack2"));
        assert_eq!(c.account_label.as_deref(), Some("acme"));
        // `name` describes a scope; it is never taken for one.
        assert_eq!(c.scopes.unwrap(), ["chat:write", "channels:read"]);
        assert_eq!(c.team_id, Some(9));
        assert_eq!(c.auth, Some(AccountAuth::OAuth));
        assert!(c.expire.is_some());
    }

    #[test]
    fn the_type_is_account_name_unless_the_row_is_in_the_seed_shape() {
        // A real row (it has `accountLabel`/`scopesCnt`) whose `accountType` is neither
        // `oauth` nor `basic`: still `accountName` is the type.
        for row in [
            json!({"id": 1, "accountName": "google", "scopesCnt": 0, "accountType": "google"}),
            json!({"id": 1, "accountName": "google", "accountType": "slack",
                   "scopes": [{"id": "s", "account": "google"}]}),
        ] {
            let c = Connection::from_json(&row).unwrap();
            assert_eq!(c.connection_type.as_deref(), Some("google"), "{row}");
            assert_eq!(c.auth, None, "{row}");
        }
        let c = Connection::from_json(&json!({"id": 1, "accountName": "google",
            "accountLabel": "me@x", "accountType": "oauth2"}))
        .unwrap();
        assert_eq!(c.connection_type.as_deref(), Some("google"));
        assert_eq!(c.auth, Some(AccountAuth::OAuth));
        // An API-key connection is not OAuth either.
        let c = Connection::from_json(&json!({"id": 4, "accountName": "airtable3",
            "accountLabel": "pat", "accountType": "apikey", "scopesCnt": 0}))
        .unwrap();
        assert_eq!(c.auth, Some(AccountAuth::Basic));
        assert!(!AccountAuth::Basic.holds_scopes());
        // A real list row of a basic connection.
        let c = Connection::from_json(&json!({"id": 2, "accountName": "airtable3",
            "accountLabel": "token", "accountType": "basic", "scopesCnt": 0}))
        .unwrap();
        assert_eq!(c.connection_type.as_deref(), Some("airtable3"));
        assert_eq!(c.auth, Some(AccountAuth::Basic));
        assert_eq!(c.scopes, None, "a list row says nothing of scopes");
        // The seed's shape: no label, no count, plain-string scopes.
        assert!(is_seed_shape(
            &json!({"accountType": "slack", "scopes": ["a"]})
        ));
        assert!(!is_seed_shape(
            &json!({"accountType": "slack", "scopesCnt": 1})
        ));
        // `oauth`/`basic` are never a type, in either shape.
        let c = Connection::from_json(
            &json!({"id": 3, "accountName": "slack2", "accountType": "oauth"}),
        )
        .unwrap();
        assert_eq!(c.connection_type.as_deref(), Some("slack2"));
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
        assert_eq!(c.auth, None);
        assert_eq!(c.expire, None);
        assert_eq!(c.scopes.unwrap().len(), 2);
    }

    #[test]
    fn expire_at_the_ends_of_the_calendar_is_read_or_refused_never_a_panic() {
        let at = |v: Value| {
            let row = json!({"id": 1, "expire": v});
            (
                Connection::from_json(&row).unwrap().expire,
                unreadable_expire(&row),
            )
        };
        let (far, problem) = at(json!("9999-12-31T23:59:59Z"));
        assert_eq!(far.unwrap().format("%Y").to_string(), "9999");
        assert_eq!(problem, None);
        // Epoch seconds of year -9999; chrono's calendar reaches it.
        let (past, problem) = at(json!(-377_705_116_800i64));
        assert_eq!(past.unwrap().format("%Y").to_string(), "-9999");
        assert_eq!(problem, None);
        for bad in [
            json!("-9999-01-01T00:00:00Z"),
            json!("+275760-01-01T00:00:00Z"),
            json!("soon"),
            json!(i64::MAX),
            json!(u64::MAX),
            json!(1.5e300),
            json!(true),
            json!({"at": 1}),
        ] {
            let (expire, problem) = at(bad.clone());
            assert_eq!(expire, None, "{bad}");
            assert!(
                problem.is_some_and(|p| p.contains("is not a time")),
                "{bad}"
            );
        }
        assert_eq!(at(Value::Null), (None, None));
        assert_eq!(unreadable_expire(&json!({"id": 1})), None);
    }

    #[test]
    fn a_row_written_reads_back_as_the_same_connection() {
        for row in [
            json!({"id": 5, "name": "Acme", "accountName": "acme2", "accountLabel": "a@b",
                   "accountType": "oauth", "teamId": 7, "expire": "2026-04-01T10:00:00.250Z",
                   "scopes": [{"id": "read", "account": "acme2"}], "scoped": false}),
            json!({"id": 6, "name": "Key", "accountName": "airtable3", "accountLabel": null,
                   "accountType": "basic", "scopesCnt": 0, "expire": null}),
            json!({"id": 7, "name": "Seed", "accountName": "x@y", "accountType": "slack"}),
        ] {
            let c = Connection::from_json(&row).unwrap();
            assert_eq!(Connection::from_json(&c.to_row()).unwrap(), c, "{row}");
        }
    }

    #[test]
    fn rows_without_scopes_leave_them_unknown() {
        let c = Connection::from_json(&json!({"id": 1, "accountName": "google", "scopesCnt": 3}))
            .unwrap();
        assert_eq!(c.scopes, None);
        assert!(Connection::from_json(&json!({"name": "no id"})).is_none());
    }
}

//! What the Make API's answers mean: pure functions from an answer's body to list pages,
//! connections, verifications, blueprints and error messages. Kept apart from the client's
//! I/O (`api/`) so that they can be fed anything a server might send
//! (`fuzz/fuzz_targets/api_answers.rs`).

use serde_json::Value;

use super::{Connection, Verification};

/// Why an answer's body is not the answer asked for. The text follows the request in
/// messages: `GET /api/v2/connections/5: the answer holds no connection with an id`.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("the answer is not valid JSON ({0})")]
    NotJson(serde_json::Error),
    #[error("the answer has no `{key}` list")]
    NoList { key: String },
    #[error("the answer describes connection {found} instead")]
    OtherConnection { found: u64 },
    #[error("the answer holds no connection with an id")]
    NoConnection,
    #[error("the answer holds no `response.blueprint` ({0})")]
    NoBlueprint(serde_json::Error),
    #[error("the answer has no `verified` flag")]
    NoVerifiedFlag,
    #[error("the answer's {0}")]
    UnreadableExpire(String),
}

/// A body as JSON.
pub fn json(body: &[u8]) -> Result<Value, DecodeError> {
    serde_json::from_slice(body).map_err(DecodeError::NotJson)
}

/// One page of a paged list (`GET /connections`, `/scenarios`, `/hooks`...).
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// The rows of the `key` list, as sent.
    pub rows: &'a [Value],
    /// `pg.total`, when the answer says how many rows the whole list has.
    pub total: Option<u64>,
}

/// The `key` list of a page answer (`{"connections": [...], "pg": {...}}`).
pub fn page<'a>(answer: &'a Value, key: &str) -> Result<Page<'a>, DecodeError> {
    let rows = answer
        .get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| DecodeError::NoList {
            key: key.to_string(),
        })?;
    Ok(Page {
        rows,
        total: answer.pointer("/pg/total").and_then(Value::as_u64),
    })
}

/// The id of a list row: a number, or a digit string.
pub fn row_id(row: &Value) -> Option<u64> {
    match row.get("id")? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The answer to `GET /connections/{id}`: `{"connection": {...}}`, or the bare object.
pub fn connection(answer: &Value, id: u64) -> Result<Connection, DecodeError> {
    let row = answer.get("connection").unwrap_or(answer);
    if let Some(problem) = super::connection::unreadable_expire(row) {
        return Err(DecodeError::UnreadableExpire(problem));
    }
    match Connection::from_json(row) {
        Some(c) if c.id == id => Ok(c),
        Some(c) => Err(DecodeError::OtherConnection { found: c.id }),
        None => Err(DecodeError::NoConnection),
    }
}

/// The answer to `POST /connections/{id}/test` (or the seed's `/verify`).
pub fn verification(answer: &Value) -> Result<Verification, DecodeError> {
    let verified = answer
        .get("verified")
        .and_then(Value::as_bool)
        .ok_or(DecodeError::NoVerifiedFlag)?;
    Ok(Verification {
        verified,
        error: answer.get("error").and_then(|e| match e {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }),
    })
}

/// The blueprint in the answer to `GET /scenarios/{id}/blueprint`, as the JSON text the API
/// sent (key order and spacing kept), with what the answer holds beside it put back as real
/// exports have it: the scenario's inputs and outputs (`response.metadata.input_spec` /
/// `output_spec`) as `io`, and `scheduling`. Without the inputs a connection given as a
/// scenario input could not be resolved.
pub fn blueprint(body: &[u8]) -> Result<String, DecodeError> {
    use serde_json::value::RawValue;
    #[derive(serde::Deserialize)]
    struct Answer<'a> {
        #[serde(borrow)]
        response: Response<'a>,
    }
    #[derive(serde::Deserialize)]
    struct Response<'a> {
        #[serde(borrow)]
        blueprint: &'a RawValue,
        #[serde(borrow, default)]
        scheduling: Option<&'a RawValue>,
        #[serde(borrow, default)]
        metadata: Option<&'a RawValue>,
    }
    let r = serde_json::from_slice::<Answer<'_>>(body)
        .map_err(DecodeError::NoBlueprint)?
        .response;
    let io = r.metadata.and_then(|m| scenario_io(m.get()));
    let scheduling = r.scheduling.map(RawValue::get).filter(|s| *s != "null");
    Ok(crate::pull::with_scenario_parts(
        r.blueprint.get(),
        io.as_deref(),
        scheduling,
    ))
}

/// `{"input_spec": [...], "output_spec": [...]}` from a blueprint answer's `response.metadata`,
/// each as Make sent it; `None` when the metadata holds neither, or only empty ones.
fn scenario_io(metadata: &str) -> Option<String> {
    use serde_json::value::RawValue;
    let fields: std::collections::BTreeMap<String, &RawValue> =
        serde_json::from_str(metadata).ok()?;
    let parts: Vec<String> = ["input_spec", "output_spec"]
        .iter()
        .filter_map(|key| {
            let raw = fields.get(*key)?.get();
            Some(format!("\"{key}\":{raw}"))
        })
        .collect();
    let empty = ["input_spec", "output_spec"].iter().all(|key| {
        fields.get(*key).is_none_or(|raw| {
            raw.get()
                .trim_start_matches('[')
                .trim_start()
                .starts_with(']')
        })
    });
    (!parts.is_empty() && !empty).then(|| format!("{{{}}}", parts.join(",")))
}

/// Longest error text quoted from an error answer, in characters (a longer one ends in `...`).
pub const MAX_MESSAGE_CHARS: usize = 400;

/// ` (<message>: <detail> [code]; suberrors: ...)` from the body of an error answer, or nothing
/// when it has none: masked before it is cut (cutting first could leave all of a token but its
/// last bytes), at most [`MAX_MESSAGE_CHARS`] characters, control characters escaped, since
/// the text is the server's and goes to a terminal.
pub fn error_message(body: &[u8]) -> String {
    let Ok(answer) = serde_json::from_slice::<Value>(body) else {
        return String::new();
    };
    let said = error_text(&answer);
    if said.is_empty() {
        return String::new();
    }
    let said = crate::redact::mask(&said);
    let mut shown: String = said.chars().take(MAX_MESSAGE_CHARS).collect();
    if shown.len() < said.len() {
        shown.push_str("...");
    }
    format!(" ({})", crate::redact::neutralize(&shown))
}

/// Make's error shape, `{"message", "detail", "code", "suberrors": [...]}`, as one line:
/// `Validation failed: Invalid team [IM003]; suberrors: teamId: must be a number`. Make's SDK
/// shows `detail` first: it often says what `message` only names.
fn error_text(answer: &Value) -> String {
    let text = |v: &Value, key: &str| {
        v.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let one = |v: &Value| -> String {
        match (text(v, "message"), text(v, "detail")) {
            (Some(m), Some(d)) if m != d => format!("{m}: {d}"),
            (Some(m), _) => m,
            (None, Some(d)) => d,
            (None, None) => String::new(),
        }
    };
    let mut said = one(answer);
    if let Some(code) = text(answer, "code") {
        if !said.is_empty() {
            said.push_str(&format!(" [{code}]"));
        }
    }
    let subs: Vec<String> = answer
        .get("suberrors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|sub| match sub {
            Value::String(s) => s.trim().to_string(),
            other => one(other),
        })
        .filter(|s| !s.is_empty())
        .collect();
    if !subs.is_empty() {
        if !said.is_empty() {
            said.push_str("; ");
        }
        said.push_str(&format!("suberrors: {}", subs.join("; ")));
    }
    said
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pages_rows_and_connections() {
        let answer =
            json!({"connections": [{"id": 5}, {"id": " 6 "}, {"id": -1}], "pg": {"total": 9}});
        let p = page(&answer, "connections").unwrap();
        assert_eq!(p.total, Some(9));
        let ids: Vec<Option<u64>> = p.rows.iter().map(row_id).collect();
        assert_eq!(ids, [Some(5), Some(6), None]);
        let e = page(&answer, "hooks").unwrap_err().to_string();
        assert_eq!(e, "the answer has no `hooks` list");
        assert!(page(&json!([{"id": 1}]), "hooks").is_err());

        let bare = json!({"id": 5, "name": "Slack"});
        assert_eq!(connection(&bare, 5).unwrap().name, "Slack");
        let wrapped = json!({"connection": {"id": "5"}});
        assert_eq!(connection(&wrapped, 5).unwrap().id, 5);
        assert_eq!(
            connection(&wrapped, 4).unwrap_err().to_string(),
            "the answer describes connection 5 instead"
        );
        assert!(matches!(
            connection(&json!({"connection": null}), 4),
            Err(DecodeError::NoConnection)
        ));
    }

    #[test]
    fn verifications_blueprints_and_bodies() {
        let v = verification(&json!({"verified": false, "error": {"code": 3}})).unwrap();
        assert_eq!(
            (v.verified, v.error.as_deref()),
            (false, Some("{\"code\":3}"))
        );
        assert!(matches!(
            verification(&json!({"verified": "yes"})),
            Err(DecodeError::NoVerifiedFlag)
        ));
        let text = br#"{"response": {"blueprint": {"b": 1,  "a": [2]}}}"#;
        assert_eq!(blueprint(text).unwrap(), r#"{"b": 1,  "a": [2]}"#);
        let e = blueprint(br#"{"response": {}}"#).unwrap_err().to_string();
        assert!(
            e.starts_with("the answer holds no `response.blueprint` ("),
            "{e}"
        );
        let e = json(b"<html>").unwrap_err().to_string();
        assert!(e.starts_with("the answer is not valid JSON ("), "{e}");
    }

    #[test]
    fn error_messages_are_short_and_escape_control_characters() {
        assert_eq!(
            error_message(br#"{"message": "Access denied."}"#),
            " (Access denied.)"
        );
        assert_eq!(error_message(br#"{"message": 3}"#), "");
        assert_eq!(error_message(b"not json"), "");
        // An answer must not be able to drive the terminal (colours, cursor, title).
        let hostile = br#"{"message": "a\u001b[2J\u009b31mb\r\nc"}"#;
        assert_eq!(error_message(hostile), r" (a\u{1b}[2J\u{9b}31mb\r\nc)");
        let long = format!(r#"{{"message": "{}"}}"#, "é".repeat(500));
        assert_eq!(
            error_message(long.as_bytes()),
            format!(" ({}...)", "é".repeat(MAX_MESSAGE_CHARS))
        );
    }

    #[test]
    fn error_texts_show_detail_code_and_suberrors() {
        assert_eq!(
            error_text(
                &json!({"message": "Forbidden", "detail": "Permission denied.", "code": "SC403"})
            ),
            "Forbidden: Permission denied. [SC403]"
        );
        assert_eq!(
            error_text(&json!({
                "message": "Validation failed", "code": "IM003",
                "suberrors": [{"message": "teamId", "detail": "must be a number"}, "pg[limit] too large"]
            })),
            "Validation failed [IM003]; suberrors: teamId: must be a number; pg[limit] too large"
        );
        assert_eq!(error_text(&json!({"detail": "Only detail"})), "Only detail");
        assert_eq!(error_text(&json!({"code": "X"})), "");
        assert_eq!(error_text(&json!([1])), "");
    }

    #[test]
    fn a_blueprint_gets_its_inputs_and_scheduling_back() {
        let body = br#"{"response": {"blueprint": {"flow": []}, "scheduling": {"type": "once"},
            "metadata": {"input_spec": [{"name": "c"}], "output_spec": []}}}"#;
        assert_eq!(
            blueprint(body).unwrap(),
            r#"{"flow": [],"io":{"input_spec":[{"name": "c"}],"output_spec":[]},"scheduling":{"type": "once"}}"#
        );
        let body = br#"{"response": {"blueprint": {"flow": []}, "scheduling": null}}"#;
        assert_eq!(blueprint(body).unwrap(), r#"{"flow": []}"#);
    }

    #[test]
    fn scenario_io_keeps_the_specs_as_sent_and_skips_empty_ones() {
        assert_eq!(
            scenario_io(
                r#"{"input_spec": [{"name": "c", "default": 5}], "output_spec": [], "x": 1}"#
            )
            .as_deref(),
            Some(r#"{"input_spec":[{"name": "c", "default": 5}],"output_spec":[]}"#)
        );
        assert_eq!(
            scenario_io(r#"{"input_spec": [], "output_spec": [ ]}"#),
            None
        );
        assert_eq!(scenario_io(r#"{"other": 1}"#), None);
        assert_eq!(scenario_io("[1]"), None);
    }
}

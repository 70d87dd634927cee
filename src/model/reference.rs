//! References from modules to things stored in Make: connections, webhooks, keychains, data
//! stores, data structures and scenarios (sub-scenarios). Every one of them belongs to a team,
//! so a blueprint moved to another team needs each of them remapped.

use crate::json::{Kind, Span, Value};

/// What a reference points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefKind {
    Connection,
    Hook,
    Keychain,
    DataStore,
    /// A data structure (echo type `udt`), e.g. `parameters.type` of `json:CreateJSON`.
    DataStructure,
    /// Another scenario (echo type `scenario`), e.g. `parameters.scenario` of
    /// `scenario-service:CallSubscenario`.
    Scenario,
}

impl RefKind {
    pub fn name(self) -> &'static str {
        match self {
            RefKind::Connection => "connection",
            RefKind::Hook => "hook",
            RefKind::Keychain => "keychain",
            RefKind::DataStore => "data-store",
            RefKind::DataStructure => "data-structure",
            RefKind::Scenario => "scenario",
        }
    }

    /// Whether a parameter of this kind found by its key alone (no echo) is one the module
    /// cannot run without. A data structure is optional on parser modules (`json:ParseJSON`
    /// runs without one), so only the echo can say it is required.
    pub fn needed_without_echo(self) -> bool {
        self != RefKind::DataStructure
    }

    /// The kind a `metadata.parameters` echo type declares (`account:slack2`, `hook:gateway-webhook`,
    /// `keychain:apikey`, `datastore`, `udt`, `scenario`).
    pub fn from_echo_type(ty: &str) -> Option<RefKind> {
        let head = ty.split(':').next().unwrap_or("");
        match head {
            "account" => Some(RefKind::Connection),
            "hook" => Some(RefKind::Hook),
            "keychain" => Some(RefKind::Keychain),
            "datastore" => Some(RefKind::DataStore),
            "udt" => Some(RefKind::DataStructure),
            "scenario" => Some(RefKind::Scenario),
            _ => None,
        }
    }

    /// The kind a parameter key implies when the module carries no echo for it. `app` is the
    /// module's app (`json`, `scenario-service`): some keys name a reference only on some apps
    /// (`type` is a data structure on JSON modules, and a plain option elsewhere). Inside an AI
    /// agent's tools, modules also name their connection `accountId` or `connectionId`.
    pub fn from_key(key: &str, app: &str, in_agent_tool: bool) -> Option<RefKind> {
        match key {
            "__IMTCONN__" | "account" | "makeConnectionId" | "connection" => {
                Some(RefKind::Connection)
            }
            "accountId" | "connectionId" if in_agent_tool => Some(RefKind::Connection),
            "__IMTHOOK__" | "hook" => Some(RefKind::Hook),
            "datastore" => Some(RefKind::DataStore),
            "udt" => Some(RefKind::DataStructure),
            "type" if app == "json" => Some(RefKind::DataStructure),
            "scenario" if app == "scenario-service" => Some(RefKind::Scenario),
            _ => None,
        }
    }
}

/// The value a reference holds, classified.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RefValue {
    /// A positive integer id (`quoted` when written as a digit string).
    Id {
        id: u64,
        quoted: bool,
    },
    /// A string that can never be an id: `<CONN_02>`, `CONNECTION_PLACEHOLDER`, `{{YOUR_X}}`.
    Placeholder {
        text: String,
    },
    /// An IML expression such as `{{var.input.SlackConnection}}`; `resolved` is the default id
    /// from `io.input_spec` when the expression names a scenario input that has one.
    Expression {
        text: String,
        variable: Option<String>,
        resolved: Option<u64>,
    },
    Null,
    /// An empty string.
    Empty,
    /// The echo declares the parameter, but `parameters` does not hold it.
    Missing,
    /// Any other JSON value: float, zero, negative, bool, object, array.
    Invalid {
        json: &'static str,
        raw: String,
    },
}

impl RefValue {
    pub fn kind_name(&self) -> &'static str {
        match self {
            RefValue::Id { quoted: false, .. } => "id",
            RefValue::Id { quoted: true, .. } => "id-string",
            RefValue::Placeholder { .. } => "placeholder",
            RefValue::Expression { .. } => "expression",
            RefValue::Null => "null",
            RefValue::Empty => "empty",
            RefValue::Missing => "missing",
            RefValue::Invalid { .. } => "invalid",
        }
    }

    /// The id to look up: a literal id, or an expression's resolved default.
    pub fn effective_id(&self) -> Option<u64> {
        match self {
            RefValue::Id { id, .. } => Some(*id),
            RefValue::Expression { resolved, .. } => *resolved,
            _ => None,
        }
    }

    /// A short display of the value (never more than 80 characters).
    pub fn display(&self) -> String {
        let s = match self {
            RefValue::Id { id, .. } => id.to_string(),
            RefValue::Placeholder { text } | RefValue::Expression { text, .. } => text.clone(),
            RefValue::Null => "null".into(),
            RefValue::Empty => "\"\"".into(),
            RefValue::Missing => "(absent)".into(),
            RefValue::Invalid { raw, .. } => raw.clone(),
        };
        truncate(&s, 80)
    }
}

pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// One reference from a module parameter to a stored object.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Reference {
    /// Index of the owning module in `Scenario::modules`.
    pub module: usize,
    pub kind: RefKind,
    /// The parameter key (`__IMTCONN__`, `account`, ...).
    pub key: String,
    pub value: RefValue,
    /// The value's span; for a missing value, the span of `parameters` (or of the module).
    pub span: Span,
    /// Pointer to the value (or to where it would be).
    pub pointer: String,
    /// Whether the module's `metadata.parameters` echo declares this parameter.
    pub declared: bool,
    pub required: bool,
    /// Connection types the echo allows (`account:slack2,slack3`); empty when unknown.
    pub allowed_types: Vec<String>,
    /// The type chosen in the editor (`metadata.restore...data.connection`), when it names
    /// one: `"undefined"` (a stringified JavaScript undefined), `""` and `null` say nothing.
    pub chosen_type: Option<String>,
    pub chosen_type_span: Option<Span>,
    /// Pointer to the chosen type in `metadata.restore`.
    pub chosen_type_pointer: Option<String>,
    /// The label the editor shows (`metadata.restore...label`).
    pub label: Option<String>,
}

/// [`RefValue::Invalid`] `json` of an integer too large for an id (above `u64::MAX`).
pub const OUT_OF_RANGE_NUMBER: &str = "number out of range";
/// [`RefValue::Invalid`] `json` of a digit string too large for an id.
pub const OUT_OF_RANGE_DIGIT_STRING: &str = "digit string out of range";

/// Classifies a parameter value. `input_default` resolves `var.input.<name>` to its default id.
/// A positive integer id written as text (surrounding whitespace allowed): the one parser of
/// ids, for blueprint values, input defaults, `--map` pairs and map files.
pub fn positive_id(text: &str) -> Option<u64> {
    text.trim().parse::<u64>().ok().filter(|id| *id > 0)
}

pub(crate) fn classify_value(
    v: Value<'_>,
    input_default: &dyn Fn(&str) -> Option<u64>,
) -> RefValue {
    match v.kind() {
        Kind::Null => RefValue::Null,
        Kind::Number => match positive_id(v.raw()) {
            Some(id) => RefValue::Id { id, quoted: false },
            None => RefValue::Invalid {
                json: if v.raw().contains(['.', 'e', 'E']) {
                    "float"
                } else if v.raw().starts_with('-') || v.raw() == "0" {
                    "non-positive number"
                } else {
                    // Digits that parse as no u64: too large, not "non-positive".
                    OUT_OF_RANGE_NUMBER
                },
                raw: truncate(v.raw(), 80),
            },
        },
        Kind::String => classify_string(&v.as_str().unwrap_or_default(), input_default),
        Kind::Bool => RefValue::Invalid {
            json: "boolean",
            raw: v.raw().to_string(),
        },
        Kind::Array | Kind::Object => RefValue::Invalid {
            json: v.kind().name(),
            raw: truncate(v.raw(), 80),
        },
    }
}

/// Classifies a string parameter value: a digit string id, an IML expression, or a placeholder.
pub fn classify_string(s: &str, input_default: &dyn Fn(&str) -> Option<u64>) -> RefValue {
    let t = s.trim();
    if t.is_empty() {
        return RefValue::Empty;
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        match t.parse::<u64>() {
            Ok(id) if id > 0 => return RefValue::Id { id, quoted: true },
            Ok(_) => {}
            // Only digits, yet no u64: an id out of range, not a placeholder.
            Err(_) => {
                return RefValue::Invalid {
                    json: OUT_OF_RANGE_DIGIT_STRING,
                    raw: truncate(t, 80),
                };
            }
        }
    }
    if let Some(expr) = iml_expression(t) {
        let variable = expr
            .strip_prefix("var.input.")
            .filter(|n| {
                !n.is_empty()
                    && n.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            })
            .map(str::to_string);
        let resolved = variable.as_deref().and_then(input_default);
        return RefValue::Expression {
            text: truncate(s, 200),
            variable,
            resolved,
        };
    }
    RefValue::Placeholder {
        text: truncate(s, 200),
    }
}

/// The inside of the first `{{...}}` when it reads as IML (a path with a dot or a function call),
/// not as a template placeholder such as `{{YOUR_CONNECTION}}`.
fn iml_expression(s: &str) -> Option<&str> {
    let open = s.find("{{")?;
    let close = s[open..].find("}}")? + open;
    let inner = s[open + 2..close].trim();
    (inner.contains('.') || inner.contains('(')).then_some(inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive_integers_only() {
        assert_eq!(positive_id(" 42 "), Some(42));
        for bad in ["0", "-3", "1.5", "", "abc", "99999999999999999999"] {
            assert_eq!(positive_id(bad), None, "{bad}");
        }
    }

    fn no_input(_: &str) -> Option<u64> {
        None
    }

    #[test]
    fn strings_are_classified() {
        let c = |s| classify_string(s, &no_input);
        assert_eq!(c("<CONN_02>").kind_name(), "placeholder");
        assert_eq!(c("CONNECTION_PLACEHOLDER").kind_name(), "placeholder");
        assert_eq!(c("{{YOUR_POSTGRES_CONNECTION}}").kind_name(), "placeholder");
        assert_eq!(c("{{var.input.Slack}}").kind_name(), "expression");
        assert_eq!(c("{{ifempty(1.a; 2)}}").kind_name(), "expression");
        assert_eq!(c("  ").kind_name(), "empty");
        assert_eq!(
            c("123"),
            RefValue::Id {
                id: 123,
                quoted: true
            }
        );
        assert_eq!(c("0").kind_name(), "placeholder");
        assert_eq!(
            c("18446744073709551615"),
            RefValue::Id {
                id: u64::MAX,
                quoted: true
            }
        );
        assert_eq!(
            c("18446744073709551616"),
            RefValue::Invalid {
                json: OUT_OF_RANGE_DIGIT_STRING,
                raw: "18446744073709551616".into()
            }
        );
    }

    #[test]
    fn numbers_are_ids_up_to_u64_max_and_out_of_range_beyond() {
        let classify = |raw: &str| {
            let doc = crate::json::parse(raw).unwrap();
            classify_value(doc.root(), &no_input)
        };
        assert_eq!(
            classify("9223372036854775808"),
            RefValue::Id {
                id: 1 << 63,
                quoted: false
            },
            "above i64::MAX is still a u64 id"
        );
        let json_of = |raw: &str| match classify(raw) {
            RefValue::Invalid { json, .. } => json,
            other => panic!("{raw}: {other:?}"),
        };
        assert_eq!(json_of("99999999999999999999"), OUT_OF_RANGE_NUMBER);
        assert_eq!(json_of("-99999999999999999999"), "non-positive number");
        assert_eq!(json_of("0"), "non-positive number");
        assert_eq!(json_of("-3"), "non-positive number");
        assert_eq!(json_of("1e30"), "float");
    }

    #[test]
    fn input_defaults_resolve_expressions() {
        let inputs = |n: &str| (n == "CanvasLMSConnection").then_some(6611389);
        let v = classify_string("{{var.input.CanvasLMSConnection}}", &inputs);
        assert_eq!(v.effective_id(), Some(6611389));
        let v = classify_string("{{var.input.Other}}", &inputs);
        assert_eq!(v.effective_id(), None);
    }
}

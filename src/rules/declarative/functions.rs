//! The `then` functions: each looks at one value (or its absence) and says what is wrong.
//!
//! They read the tape directly rather than a `serde_json` copy: every problem then carries the
//! node it is about, hence its span, and the common static `given` paths need no copy at all.

use std::ops::Range;

use regex::Regex;
use toml::Spanned;

use super::file::RawThen;
use super::path::Seg;
use super::schema::{self, Schema};
use crate::json::{Kind, Value};

/// A JSON type name as JSON Schema spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    Null,
    Boolean,
    Number,
    Integer,
    String,
    Array,
    Object,
}

impl JsonType {
    pub const NAMES: &'static str = "null, boolean, number, integer, string, array, object";

    pub fn parse(s: &str) -> Option<JsonType> {
        Some(match s {
            "null" => JsonType::Null,
            "boolean" => JsonType::Boolean,
            "number" => JsonType::Number,
            "integer" => JsonType::Integer,
            "string" => JsonType::String,
            "array" => JsonType::Array,
            "object" => JsonType::Object,
            _ => return None,
        })
    }

    pub fn holds(self, v: Value<'_>) -> bool {
        match (self, v.kind()) {
            (JsonType::Null, Kind::Null)
            | (JsonType::Boolean, Kind::Bool)
            | (JsonType::Number, Kind::Number)
            | (JsonType::String, Kind::String)
            | (JsonType::Array, Kind::Array)
            | (JsonType::Object, Kind::Object) => true,
            // JSON Schema counts 1.0 as an integer too.
            (JsonType::Integer, Kind::Number) => v.as_f64().is_some_and(|f| f.fract() == 0.0),
            _ => false,
        }
    }
}

/// What a value is, for messages: `integer` when it is one, else the JSON kind.
pub fn type_name(v: Value<'_>) -> &'static str {
    if JsonType::Integer.holds(v) {
        "integer"
    } else {
        v.kind().name()
    }
}

#[derive(Debug)]
pub enum Function {
    Truthy,
    Falsy,
    Defined,
    Undefined,
    Pattern {
        must: Option<Regex>,
        must_not: Option<Regex>,
    },
    Enum(Vec<serde_json::Value>),
    Length {
        min: Option<usize>,
        max: Option<usize>,
    },
    Type(Vec<JsonType>),
    Schema(Box<Schema>),
    ModuleCount {
        min: Option<usize>,
        max: Option<usize>,
    },
}

/// A complaint about part of the checked value.
#[derive(Debug)]
pub struct Problem<'d> {
    /// The node at fault; `None` when the checked value itself is missing.
    pub node: Option<Value<'d>>,
    /// Its path from the checked value (schema errors point inside it).
    pub at: Vec<Seg>,
    pub detail: String,
}

/// A rule file mistake inside a `then`, located by span in its file.
#[derive(Debug)]
pub struct ThenError {
    pub span: Range<usize>,
    pub message: String,
    pub label: String,
}

const FUNCTIONS: &str =
    "truthy, falsy, defined, undefined, pattern, enum, length, type, schema, module_count";

impl Function {
    /// Builds the function a `then` names, checking that its options fit it. `whole` is the
    /// span of the `then` table, for complaints about what is missing.
    pub fn compile(raw: &RawThen, whole: Range<usize>) -> Result<Function, ThenError> {
        let Some(name) = &raw.function else {
            return Err(ThenError {
                span: whole,
                message: "a `then` needs a `function`".into(),
                label: format!("add `function = ...` here (one of {FUNCTIONS})"),
            });
        };
        let allowed: &[&str] = match name.get_ref().as_str() {
            "truthy" | "falsy" | "defined" | "undefined" => &[],
            "pattern" => &["match", "not_match"],
            "enum" => &["values"],
            "length" | "module_count" => &["min", "max"],
            "type" => &["type"],
            "schema" => &["schema"],
            other => {
                return Err(ThenError {
                    span: name.span(),
                    message: format!("unknown function `{other}`"),
                    label: format!("expected one of {FUNCTIONS}"),
                });
            }
        };
        for (key, span) in raw.options() {
            if !allowed.contains(&key) {
                return Err(ThenError {
                    span,
                    message: format!("`{key}` is not an option of `{}`", name.get_ref()),
                    label: if allowed.is_empty() {
                        format!("`{}` takes no options", name.get_ref())
                    } else {
                        format!("`{}` takes {}", name.get_ref(), allowed.join(", "))
                    },
                });
            }
        }
        let need = |what: &str| ThenError {
            span: name.span(),
            message: format!("`{}` needs {what}", name.get_ref()),
            label: "this function".into(),
        };
        Ok(match name.get_ref().as_str() {
            "truthy" => Function::Truthy,
            "falsy" => Function::Falsy,
            "defined" => Function::Defined,
            "undefined" => Function::Undefined,
            "pattern" => {
                if raw.match_.is_none() && raw.not_match.is_none() {
                    return Err(need("`match` or `not_match`"));
                }
                Function::Pattern {
                    must: raw.match_.as_ref().map(regex).transpose()?,
                    must_not: raw.not_match.as_ref().map(regex).transpose()?,
                }
            }
            "enum" => {
                let values = raw.values.as_ref().ok_or_else(|| need("`values`"))?;
                Function::Enum(values.get_ref().iter().map(schema::toml_to_json).collect())
            }
            "length" | "module_count" => {
                if raw.min.is_none() && raw.max.is_none() {
                    return Err(need("`min` or `max`"));
                }
                let (min, max) = (count(raw.min.as_ref())?, count(raw.max.as_ref())?);
                if name.get_ref() == "length" {
                    Function::Length { min, max }
                } else {
                    Function::ModuleCount { min, max }
                }
            }
            "type" => {
                let t = raw.types.as_ref().ok_or_else(|| need("`type`"))?;
                let json = schema::toml_to_json(t.get_ref());
                Function::Type(schema::types(&json).map_err(|m| ThenError {
                    span: t.span(),
                    message: m,
                    label: format!("expected one of {} (or a list)", JsonType::NAMES),
                })?)
            }
            _ => {
                let s = raw.schema.as_ref().ok_or_else(|| need("`schema`"))?;
                let json = schema::toml_to_json(s.get_ref());
                Function::Schema(Box::new(Schema::compile(&json, "schema").map_err(|m| {
                    ThenError {
                        span: s.span(),
                        message: m,
                        label: "in this schema".into(),
                    }
                })?))
            }
        })
    }

    /// Whether the function has something to say about a missing value: the others check
    /// only values that exist (pair them with `defined` to require one).
    pub fn checks_missing(&self) -> bool {
        matches!(self, Function::Truthy | Function::Defined)
    }

    /// Checks `value` (`None`: missing). `modules_under` counts the modules inside the value,
    /// for `module_count`.
    pub fn check<'d>(
        &self,
        value: Option<Value<'d>>,
        modules_under: &dyn Fn() -> usize,
    ) -> Vec<Problem<'d>> {
        let Some(v) = value else {
            return match self {
                Function::Truthy | Function::Defined => vec![Problem {
                    node: None,
                    at: Vec::new(),
                    detail: "missing".into(),
                }],
                _ => Vec::new(),
            };
        };
        let here = |detail: String| {
            vec![Problem {
                node: Some(v),
                at: Vec::new(),
                detail,
            }]
        };
        match self {
            Function::Truthy if !is_truthy(v) => here(format!("`{}` is falsy", v.raw())),
            Function::Falsy if is_truthy(v) => here("expected a falsy value".into()),
            Function::Undefined => here("expected nothing here".into()),
            Function::Pattern { must, must_not } => {
                let Some(s) = v.as_str() else {
                    return Vec::new();
                };
                if let Some(re) = must.as_ref().filter(|re| !re.is_match(&s)) {
                    return here(format!("does not match `{}`", re.as_str()));
                }
                match must_not.as_ref().filter(|re| re.is_match(&s)) {
                    Some(re) => here(format!("matches `{}`", re.as_str())),
                    None => Vec::new(),
                }
            }
            Function::Enum(values) if !values.iter().any(|e| equals(v, e)) => {
                let list: Vec<String> = values.iter().map(|e| e.to_string()).collect();
                here(format!("not one of {}", list.join(", ")))
            }
            Function::Length { min, max } => {
                let (n, unit) = match v.kind() {
                    Kind::String => (v.as_str().map_or(0, |s| s.chars().count()), "characters"),
                    Kind::Array => (v.elements().count(), "items"),
                    Kind::Object => (v.members().count(), "members"),
                    _ => return Vec::new(),
                };
                bounds(n, *min, *max, unit).map_or_else(Vec::new, here)
            }
            Function::Type(types) if !types.iter().any(|t| t.holds(v)) => {
                let want: Vec<&str> = types.iter().map(|t| t.name()).collect();
                here(format!("{}, not {}", type_name(v), want.join(" or ")))
            }
            Function::Schema(s) => {
                let mut out = Vec::new();
                s.validate(v, &mut Vec::new(), &mut out);
                out
            }
            Function::ModuleCount { min, max } => {
                bounds(modules_under(), *min, *max, "modules").map_or_else(Vec::new, here)
            }
            _ => Vec::new(),
        }
    }
}

impl JsonType {
    pub fn name(self) -> &'static str {
        match self {
            JsonType::Null => "null",
            JsonType::Boolean => "boolean",
            JsonType::Number => "number",
            JsonType::Integer => "integer",
            JsonType::String => "string",
            JsonType::Array => "array",
            JsonType::Object => "object",
        }
    }
}

/// `false`, `null`, `0` and `""` are falsy (as in JavaScript, and so in Spectral); empty
/// arrays and objects are not.
fn is_truthy(v: Value<'_>) -> bool {
    match v.kind() {
        Kind::Null => false,
        Kind::Bool => v.as_bool() == Some(true),
        Kind::Number => v.as_f64().is_some_and(|f| f != 0.0),
        Kind::String => v.span().len() > 2,
        Kind::Array | Kind::Object => true,
    }
}

/// Says how `n` misses `[min, max]`, if it does.
pub fn bounds(n: usize, min: Option<usize>, max: Option<usize>, unit: &str) -> Option<String> {
    if let Some(m) = min.filter(|m| n < *m) {
        return Some(format!("{n} {unit}, fewer than {m}"));
    }
    max.filter(|m| n > *m)
        .map(|m| format!("{n} {unit}, more than {m}"))
}

/// JSON equality between a tape value and a `serde_json` one (numbers by value).
pub fn equals(v: Value<'_>, e: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (v.kind(), e) {
        (Kind::Null, J::Null) => true,
        (Kind::Bool, J::Bool(b)) => v.as_bool() == Some(*b),
        (Kind::Number, J::Number(n)) => match (v.as_i64(), n.as_i64()) {
            (Some(a), Some(b)) => a == b,
            _ => v.as_f64().is_some() && v.as_f64() == n.as_f64(),
        },
        (Kind::String, J::String(s)) => v.as_str().is_some_and(|x| x == s.as_str()),
        (Kind::Array, J::Array(items)) => {
            v.elements().count() == items.len()
                && v.elements().zip(items).all(|(a, b)| equals(a, b))
        }
        (Kind::Object, J::Object(map)) => {
            v.members().count() == map.len()
                && v.members().all(|m| {
                    map.get(m.key_str().as_ref())
                        .is_some_and(|b| equals(m.value, b))
                })
        }
        _ => false,
    }
}

fn regex(s: &Spanned<String>) -> Result<Regex, ThenError> {
    Regex::new(s.get_ref()).map_err(|e| ThenError {
        span: s.span(),
        message: "invalid regular expression".into(),
        label: regex_error(&e),
    })
}

/// The regex crate's message is several lines drawn for a terminal; keep its last line.
pub fn regex_error(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("invalid")
        .trim()
        .trim_start_matches("error: ")
        .to_string()
}

fn count(v: Option<&Spanned<i64>>) -> Result<Option<usize>, ThenError> {
    v.map(|n| {
        usize::try_from(*n.get_ref()).map_err(|_| ThenError {
            span: n.span(),
            message: "a count cannot be negative".into(),
            label: "expected 0 or more".into(),
        })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(f: &Function, src: &str) -> Vec<String> {
        let doc = crate::json::parse(src).unwrap();
        f.check(Some(doc.root()), &|| 3)
            .into_iter()
            .map(|p| p.detail)
            .collect()
    }

    #[test]
    fn truthiness_follows_javascript() {
        for (src, truthy) in [
            ("false", false),
            ("null", false),
            ("0", false),
            ("0.0", false),
            ("\"\"", false),
            ("true", true),
            ("1", true),
            ("\"0\"", true),
            ("[]", true),
            ("{}", true),
        ] {
            assert_eq!(check(&Function::Truthy, src).is_empty(), truthy, "{src}");
            assert_eq!(check(&Function::Falsy, src).is_empty(), !truthy, "{src}");
        }
        let none = Function::Truthy.check(None, &|| 0);
        assert_eq!(none[0].detail, "missing");
        assert!(Function::Falsy.check(None, &|| 0).is_empty());
        assert!(Function::Undefined.check(None, &|| 0).is_empty());
        assert_eq!(Function::Defined.check(None, &|| 0).len(), 1);
    }

    #[test]
    fn functions_check_only_what_they_understand() {
        let p = Function::Pattern {
            must: Some(Regex::new("^https://").unwrap()),
            must_not: None,
        };
        assert_eq!(check(&p, r#""http://x""#), ["does not match `^https://`"]);
        assert!(check(&p, "12").is_empty(), "pattern skips non-strings");
        let l = Function::Length {
            min: Some(1),
            max: Some(2),
        };
        assert_eq!(check(&l, "[]"), ["0 items, fewer than 1"]);
        assert_eq!(check(&l, r#""abé""#), ["3 characters, more than 2"]);
        assert!(check(&l, "true").is_empty());
        let t = Function::Type(vec![JsonType::Integer, JsonType::Null]);
        assert!(check(&t, "2.0").is_empty());
        assert_eq!(check(&t, "2.5"), ["number, not integer or null"]);
        let e = Function::Enum(vec![serde_json::json!(1), serde_json::json!({"a": [true]})]);
        assert!(check(&e, "1.0").is_empty());
        assert!(check(&e, r#"{"a":[true]}"#).is_empty());
        assert_eq!(check(&e, r#"{"a":[false]}"#).len(), 1);
        let m = Function::ModuleCount {
            min: None,
            max: Some(2),
        };
        assert_eq!(check(&m, "{}"), ["3 modules, more than 2"]);
    }
}

//! A small JSON Schema subset, evaluated on the tape so every error has its node's span.
//!
//! Keywords: `type`, `enum`, `const`, `required`, `properties`, `items`, `minimum`, `maximum`,
//! `minLength`, `maxLength`, `pattern`, `minItems`, `maxItems`, `not`. As in JSON Schema, a keyword
//! about one kind of value ignores the others (`required` passes a string), and a schema
//! stops at its first failing keyword per value. Anything else is refused when the rule is
//! compiled, rather than silently ignored.

use regex::Regex;

use super::functions::{JsonType, Problem, bounds, equals, regex_error, type_name};
use super::path::{Seg, step};
use crate::json::{Kind, Value};

#[derive(Debug, Default)]
pub struct Schema {
    types: Option<Vec<JsonType>>,
    one_of_values: Option<Vec<serde_json::Value>>,
    required: Vec<String>,
    properties: Vec<(String, Schema)>,
    items: Option<Box<Schema>>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    min_length: Option<usize>,
    max_length: Option<usize>,
    pattern: Option<Regex>,
    min_items: Option<usize>,
    max_items: Option<usize>,
    not: Option<Box<Schema>>,
}

impl Schema {
    /// Compiles a schema; errors name the keyword's path inside the schema (`at`).
    pub fn compile(v: &serde_json::Value, at: &str) -> Result<Schema, String> {
        let obj = v
            .as_object()
            .ok_or_else(|| format!("`{at}` must be a table (a JSON Schema object)"))?;
        let mut s = Schema::default();
        for (key, val) in obj {
            let here = format!("{at}.{key}");
            match key.as_str() {
                "type" => s.types = Some(types(val).map_err(|m| format!("`{here}`: {m}"))?),
                "enum" => {
                    let list = val
                        .as_array()
                        .ok_or_else(|| format!("`{here}` must be an array"))?;
                    s.one_of_values = Some(list.clone());
                }
                "const" => s.one_of_values = Some(vec![val.clone()]),
                "required" => {
                    s.required = val
                        .as_array()
                        .and_then(|a| a.iter().map(|x| x.as_str().map(String::from)).collect())
                        .ok_or_else(|| format!("`{here}` must be an array of strings"))?;
                }
                "properties" => {
                    let props = val
                        .as_object()
                        .ok_or_else(|| format!("`{here}` must be a table"))?;
                    for (name, sub) in props {
                        let sub = Schema::compile(sub, &format!("{here}.{name}"))?;
                        s.properties.push((name.clone(), sub));
                    }
                }
                "items" => s.items = Some(Box::new(Schema::compile(val, &here)?)),
                "not" => s.not = Some(Box::new(Schema::compile(val, &here)?)),
                "minimum" | "maximum" => {
                    let n = val
                        .as_f64()
                        .ok_or_else(|| format!("`{here}` must be a number"))?;
                    if key == "minimum" {
                        s.minimum = Some(n);
                    } else {
                        s.maximum = Some(n);
                    }
                }
                "minLength" | "maxLength" | "minItems" | "maxItems" => {
                    let n = val
                        .as_u64()
                        .and_then(|n| usize::try_from(n).ok())
                        .ok_or_else(|| format!("`{here}` must be a non-negative integer"))?;
                    match key.as_str() {
                        "minLength" => s.min_length = Some(n),
                        "maxLength" => s.max_length = Some(n),
                        "minItems" => s.min_items = Some(n),
                        _ => s.max_items = Some(n),
                    }
                }
                "pattern" => {
                    let p = val
                        .as_str()
                        .ok_or_else(|| format!("`{here}` must be a string"))?;
                    s.pattern = Some(Regex::new(p).map_err(|e| {
                        format!(
                            "`{here}` is not a valid regular expression: {}",
                            regex_error(&e)
                        )
                    })?);
                }
                "description" | "title" | "$comment" => {}
                _ => {
                    return Err(format!(
                        "`{here}`: unsupported keyword `{key}` (supported: type, enum, const, \
                         required, properties, items, minimum, maximum, minLength, maxLength, \
                         pattern, minItems, maxItems, not)"
                    ));
                }
            }
        }
        Ok(s)
    }

    /// Appends a problem for each value under `v` that fails its part of the schema.
    pub fn validate<'d>(&self, v: Value<'d>, at: &mut Vec<Seg>, out: &mut Vec<Problem<'d>>) {
        if let Some(detail) = self.first_failure(v) {
            out.push(Problem {
                node: Some(v),
                at: at.clone(),
                detail,
            });
            return;
        }
        match v.kind() {
            Kind::Object => {
                for (name, sub) in &self.properties {
                    let seg = Seg::Name(name.clone());
                    if let Some(child) = step(v, &seg) {
                        at.push(seg);
                        sub.validate(child, at, out);
                        at.pop();
                    }
                }
            }
            Kind::Array => {
                if let Some(items) = &self.items {
                    for (i, child) in v.elements().enumerate() {
                        at.push(Seg::Index(i));
                        items.validate(child, at, out);
                        at.pop();
                    }
                }
            }
            _ => {}
        }
    }

    /// Whether `v` and everything under it passes.
    fn passes(&self, v: Value<'_>) -> bool {
        let mut out = Vec::new();
        self.validate(v, &mut Vec::new(), &mut out);
        out.is_empty()
    }

    /// The first keyword `v` itself fails, described.
    fn first_failure(&self, v: Value<'_>) -> Option<String> {
        if self.not.as_ref().is_some_and(|n| n.passes(v)) {
            return Some("matches the schema under `not`".into());
        }
        if let Some(types) = &self.types {
            if !types.iter().any(|t| t.holds(v)) {
                let want: Vec<&str> = types.iter().map(|t| t.name()).collect();
                return Some(format!("{}, not {}", type_name(v), want.join(" or ")));
            }
        }
        if let Some(values) = &self.one_of_values {
            if !values.iter().any(|e| equals(v, e)) {
                let list: Vec<String> = values.iter().map(|e| e.to_string()).collect();
                return Some(format!("not one of {}", list.join(", ")));
            }
        }
        match v.kind() {
            Kind::Object => {
                let missing: Vec<&str> = self
                    .required
                    .iter()
                    .filter(|r| step(v, &Seg::Name((*r).clone())).is_none())
                    .map(String::as_str)
                    .collect();
                if !missing.is_empty() {
                    return Some(format!("`{}` missing", missing.join("`, `")));
                }
            }
            Kind::Array => {
                let n = v.elements().count();
                if let Some(d) = bounds(n, self.min_items, self.max_items, "items") {
                    return Some(d);
                }
            }
            Kind::String => {
                let s = v.as_str().unwrap_or_default();
                let n = s.chars().count();
                if let Some(d) = bounds(n, self.min_length, self.max_length, "characters") {
                    return Some(d);
                }
                if let Some(re) = self.pattern.as_ref().filter(|re| !re.is_match(&s)) {
                    return Some(format!("does not match `{}`", re.as_str()));
                }
            }
            Kind::Number => {
                let n = v.as_f64().unwrap_or(f64::NAN);
                if let Some(m) = self.minimum.filter(|m| n < *m) {
                    return Some(format!("{} is less than {m}", v.raw()));
                }
                if let Some(m) = self.maximum.filter(|m| n > *m) {
                    return Some(format!("{} is more than {m}", v.raw()));
                }
            }
            _ => {}
        }
        None
    }
}

/// `"string"` or `["string", "null"]`.
pub fn types(v: &serde_json::Value) -> Result<Vec<JsonType>, String> {
    let names: Vec<&serde_json::Value> = match v {
        serde_json::Value::Array(a) => a.iter().collect(),
        one => vec![one],
    };
    names
        .into_iter()
        .map(|n| {
            n.as_str()
                .and_then(JsonType::parse)
                .ok_or_else(|| format!("unknown type {n} (expected one of {})", JsonType::NAMES))
        })
        .collect()
}

/// TOML has no null; everything else maps one to one (dates become strings).
pub fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        toml::Value::String(s) => J::String(s.clone()),
        toml::Value::Integer(i) => J::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        toml::Value::Boolean(b) => J::Bool(*b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(a) => J::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => J::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::declarative::path::normalized;
    use serde_json::json;

    fn errors(schema: serde_json::Value, src: &str) -> Vec<(String, String, String)> {
        let s = Schema::compile(&schema, "schema").unwrap();
        let doc = crate::json::parse(src).unwrap();
        let mut out = Vec::new();
        s.validate(doc.root(), &mut Vec::new(), &mut out);
        out.into_iter()
            .map(|p| {
                (
                    normalized(&p.at),
                    p.node.unwrap().raw().to_string(),
                    p.detail,
                )
            })
            .collect()
    }

    #[test]
    fn reports_each_failing_value_with_its_node() {
        let filter = json!({
            "type": ["object", "null"],
            "required": ["conditions"],
            "properties": {"conditions": {"type": "array", "minItems": 1,
                "items": {"type": "array", "minItems": 1}}}
        });
        assert!(errors(filter.clone(), "null").is_empty());
        assert!(errors(filter.clone(), r#"{"conditions":[[{"a":1}]]}"#).is_empty());
        assert_eq!(
            errors(filter.clone(), r#"{"name":"x"}"#),
            [(
                "$".into(),
                r#"{"name":"x"}"#.into(),
                "`conditions` missing".into()
            )]
        );
        assert_eq!(
            errors(filter.clone(), r#"{"conditions":[[{"a":1}],[]]}"#),
            [(
                "$['conditions'][1]".into(),
                "[]".into(),
                "0 items, fewer than 1".into()
            )]
        );
        assert_eq!(errors(filter, "3")[0].2, "integer, not object or null");
    }

    #[test]
    fn not_fails_what_its_schema_accepts() {
        let unfiltered_ignore = json!({"not": {
            "required": ["module"],
            "properties": {"module": {"const": "builtin:Ignore"}, "filter": {"type": "null"}}
        }});
        for (src, fails) in [
            (r#"{"module":"builtin:Ignore"}"#, true),
            (r#"{"module":"builtin:Ignore","filter":null}"#, true),
            (
                r#"{"module":"builtin:Ignore","filter":{"name":"x"}}"#,
                false,
            ),
            (r#"{"module":"slack:CreateMessage"}"#, false),
            (r#"{"id":1}"#, false),
        ] {
            assert_eq!(
                !errors(unfiltered_ignore.clone(), src).is_empty(),
                fails,
                "{src}"
            );
        }
    }

    #[test]
    fn scalar_keywords() {
        let s = json!({"properties": {
            "n": {"minimum": 1, "maximum": 2},
            "s": {"minLength": 2, "pattern": "^a"},
            "e": {"enum": ["x", 1]},
            "c": {"const": true}
        }});
        let e = errors(s, r#"{"n":3,"s":"b","e":"y","c":false}"#);
        let details: Vec<&str> = e.iter().map(|x| x.2.as_str()).collect();
        assert_eq!(
            details,
            // Properties in key order (the compiled schema's order).
            [
                "not one of true",
                r#"not one of "x", 1"#,
                "3 is more than 2",
                "1 characters, fewer than 2",
            ]
        );
    }

    #[test]
    fn unknown_keywords_are_refused_with_their_path() {
        let err =
            Schema::compile(&json!({"properties": {"a": {"minLenght": 1}}}), "schema").unwrap_err();
        assert!(err.starts_with("`schema.properties.a.minLenght`"), "{err}");
        let err = Schema::compile(&json!({"not": {"maximun": 1}}), "schema").unwrap_err();
        assert!(err.starts_with("`schema.not.maximun`"), "{err}");
        let err = Schema::compile(&json!({"pattern": "("}), "schema").unwrap_err();
        assert!(err.contains("not a valid regular expression"), "{err}");
    }
}

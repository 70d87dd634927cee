//! The rule file format as written: every key optional and spanned, so that `extends` can
//! inherit what a rule leaves out and every complaint can point at the offending text.
//! Meaning is given by `compile` in `mod.rs`; `rules/README.md` documents the format.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    #[serde(default)]
    pub rule: Vec<Spanned<RawRule>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub code: Option<Spanned<String>>,
    pub name: Option<Spanned<String>>,
    pub extends: Option<Spanned<String>>,
    pub enabled: Option<Spanned<bool>>,
    pub severity: Option<Spanned<String>>,
    pub summary: Option<Spanned<String>>,
    pub message: Option<Spanned<String>>,
    pub label: Option<Spanned<String>>,
    pub help: Option<Spanned<String>>,
    pub docs: Option<Spanned<String>>,
    pub scope: Option<Spanned<String>>,
    pub given: Option<Spanned<String>>,
    pub modules: Option<Spanned<Vec<Spanned<String>>>>,
    pub exclude_modules: Option<Spanned<Vec<Spanned<String>>>>,
    pub skip: Option<Spanned<Vec<Spanned<String>>>>,
    pub then: Option<Spanned<OneOrMany<RawThen>>>,
}

/// One check. Function options sit beside `function` (flat, like the function's keyword
/// arguments); `compile` rejects options the chosen function does not take.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThen {
    pub field: Option<Spanned<String>>,
    pub function: Option<Spanned<String>>,
    #[serde(rename = "match")]
    pub match_: Option<Spanned<String>>,
    pub not_match: Option<Spanned<String>>,
    pub values: Option<Spanned<Vec<toml::Value>>>,
    pub min: Option<Spanned<i64>>,
    pub max: Option<Spanned<i64>>,
    #[serde(rename = "type")]
    pub types: Option<Spanned<toml::Value>>,
    pub schema: Option<Spanned<toml::Value>>,
}

impl RawThen {
    /// The options present, by key, with their spans.
    pub fn options(&self) -> Vec<(&'static str, Range<usize>)> {
        let mut out = Vec::new();
        let mut put = |key: &'static str, span: Option<Range<usize>>| {
            if let Some(s) = span {
                out.push((key, s));
            }
        };
        put("match", self.match_.as_ref().map(Spanned::span));
        put("not_match", self.not_match.as_ref().map(Spanned::span));
        put("values", self.values.as_ref().map(Spanned::span));
        put("min", self.min.as_ref().map(Spanned::span));
        put("max", self.max.as_ref().map(Spanned::span));
        put("type", self.types.as_ref().map(Spanned::span));
        put("schema", self.schema.as_ref().map(Spanned::span));
        out
    }
}

/// `then = { ... }` or `[[rule.then]]` tables: one check or several.
///
/// Written by hand because `#[serde(untagged)]` buffers the input, which loses both the spans
/// of the inner `Spanned` fields and toml's precise error positions.
#[derive(Debug, Clone)]
pub struct OneOrMany<T>(pub Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table or an array of tables")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|t| OneOrMany(vec![t]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(t) = seq.next_element()? {
                    out.push(t);
                }
                Ok(OneOrMany(out))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

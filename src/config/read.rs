//! Reading a `bplint.toml`: the file's shape as serde reads it, each value on its own, and the
//! checker that turns every problem into a [`ConfigError`] pointing into the file.

use std::collections::BTreeMap;

use globset::{Glob, GlobSetBuilder};
use miette::{NamedSource, SourceSpan};
use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, FailOn, Level, MAX_EXPIRY_WARNING_DAYS, PathSet};
use crate::redact;
use crate::rules::RuleSet;

/// A value read on its own: one of the wrong shape becomes an error to report, and the rest of
/// the file is still read, so that one run shows every mistake of a config.
#[derive(Debug)]
pub(super) enum Field<T> {
    Ok(T),
    Bad(String),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Field<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match T::deserialize(d) {
            Ok(v) => Field::Ok(v),
            Err(e) => Field::Bad(de_message(&e.to_string())),
        })
    }
}

/// A value of the file with its span, checked on its own.
pub(super) type Checked<T> = Spanned<Field<T>>;

/// toml's text for an error inside a value: the message, then ``in `key` `` when it is about a
/// key of a table inside; on one line.
pub(super) fn de_message(text: &str) -> String {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let message = lines.next().unwrap_or("invalid value").to_string();
    match lines.next() {
        Some(within) => format!("{message} ({within})"),
        None => message,
    }
}

/// The keys of the file's top level, in the order of [`RawConfig`] (unknown keys are reported
/// with this list, as serde words it).
pub(super) const FIELDS: &[&str] = &[
    "zone",
    "api_url",
    "team",
    "expiry_warning_days",
    "fail_on",
    "max_file_size",
    "rules_dirs",
    "catalog_dirs",
    "include",
    "exclude",
    "rules",
    "teams",
    "overrides",
    "ignore",
];

/// The file as read: every key known to [`FIELDS`]; an unknown one is reported apart.
#[derive(Debug, Deserialize, Default)]
pub(super) struct RawConfig {
    pub(super) zone: Option<Checked<String>>,
    pub(super) api_url: Option<Checked<String>>,
    pub(super) team: Option<Checked<u64>>,
    pub(super) expiry_warning_days: Option<Checked<i64>>,
    pub(super) fail_on: Option<Checked<FailOn>>,
    pub(super) max_file_size: Option<Checked<u64>>,
    pub(super) rules_dirs: Option<Checked<Vec<String>>>,
    pub(super) catalog_dirs: Option<Checked<Vec<String>>>,
    pub(super) include: Option<Checked<Vec<Spanned<String>>>>,
    pub(super) exclude: Option<Checked<Vec<Spanned<String>>>>,
    pub(super) rules: Option<Checked<RuleLevels>>,
    pub(super) teams: Option<Checked<Vec<Checked<RawTeams>>>>,
    pub(super) overrides: Option<Checked<Vec<Checked<RawOverride>>>>,
    pub(super) ignore: Option<Checked<Vec<Checked<RawIgnore>>>>,
}

/// `[rules]` and an override's `rules`: rule code or name -> level, each level checked alone.
pub(super) type RuleLevels = BTreeMap<Spanned<String>, Checked<Level>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTeams {
    pub(super) paths: Vec<Spanned<String>>,
    pub(super) team: Option<u64>,
    #[serde(default)]
    pub(super) teams: Vec<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOverride {
    pub(super) paths: Vec<Spanned<String>>,
    pub(super) rules: RuleLevels,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIgnore {
    pub(super) rule: Spanned<String>,
    #[serde(default)]
    pub(super) paths: Vec<Spanned<String>>,
    pub(super) module: Option<i64>,
    pub(super) reason: String,
}

/// Checks a file's values, collecting every error instead of stopping at the first.
pub(super) struct Checker<'a> {
    pub(super) name: String,
    pub(super) text: &'a str,
    pub(super) errors: Vec<ConfigError>,
}

impl Checker<'_> {
    pub(super) fn error(
        &self,
        message: impl Into<String>,
        span: Option<std::ops::Range<usize>>,
        label: &str,
        help: Option<String>,
    ) -> ConfigError {
        ConfigError {
            message: redact::clean(&message.into()),
            src: NamedSource::new(redact::clean(&self.name), redact::safe_source(self.text)),
            span: span.map(|r| SourceSpan::new(r.start.into(), r.end - r.start)),
            label: redact::clean(label),
            help: redact::clean_opt(help),
        }
    }

    pub(super) fn report(
        &mut self,
        message: impl Into<String>,
        span: Option<std::ops::Range<usize>>,
        label: &str,
        help: Option<String>,
    ) {
        let e = self.error(message, span, label, help);
        self.errors.push(e);
    }

    /// The value, or `None` with its error reported.
    pub(super) fn value<T>(&mut self, field: Checked<T>) -> Option<(T, std::ops::Range<usize>)> {
        let span = field.span();
        match field.into_inner() {
            Field::Ok(v) => Some((v, span)),
            Field::Bad(message) => {
                let help = message
                    .contains("unknown field")
                    .then(|| "check the spelling; see the README's configuration section".into());
                self.report(message, Some(span), "here", help);
                None
            }
        }
    }

    pub(super) fn scalar<T>(&mut self, field: Option<Checked<T>>) -> Option<T> {
        field.and_then(|f| self.value(f)).map(|(v, _)| v)
    }

    pub(super) fn list<T>(&mut self, field: Option<Checked<Vec<T>>>) -> Vec<T> {
        self.scalar(field).unwrap_or_default()
    }

    /// The entries of an array of tables that are well-formed, each with its span.
    pub(super) fn entries<T>(
        &mut self,
        field: Option<Checked<Vec<Checked<T>>>>,
    ) -> Vec<(T, std::ops::Range<usize>)> {
        let all = self.list(field);
        all.into_iter().filter_map(|e| self.value(e)).collect()
    }

    /// Every top-level key that is not a setting.
    pub(super) fn unknown_keys(&mut self, text: &str) {
        let Ok(keys) = toml::from_str::<BTreeMap<Spanned<String>, serde::de::IgnoredAny>>(text)
        else {
            return;
        };
        for key in keys
            .keys()
            .filter(|k| !FIELDS.contains(&k.get_ref().as_str()))
        {
            let message =
                <serde::de::value::Error as serde::de::Error>::unknown_field(key.get_ref(), FIELDS)
                    .to_string();
            self.report(
                message,
                Some(key.span()),
                "here",
                Some("check the spelling; see the README's configuration section".into()),
            );
        }
    }

    pub(super) fn globs(&mut self, patterns: &[Spanned<String>]) -> Option<PathSet> {
        let mut b = GlobSetBuilder::new();
        let mut ok = true;
        for p in patterns {
            match Glob::new(p.get_ref()) {
                Ok(glob) => {
                    b.add(glob);
                }
                Err(e) => {
                    self.report(
                        format!("bad glob: {e}"),
                        Some(p.span()),
                        "this pattern",
                        None,
                    );
                    ok = false;
                }
            }
        }
        match b.build() {
            Ok(set) if ok => Some(PathSet { set }),
            Ok(_) => None,
            Err(e) => {
                self.report(format!("bad globs: {e}"), None, "", None);
                None
            }
        }
    }

    pub(super) fn expiry_warning_days(&mut self, field: Option<Checked<i64>>) -> Option<i64> {
        let (n, span) = self.value(field?)?;
        if (0..=MAX_EXPIRY_WARNING_DAYS).contains(&n) {
            return Some(n);
        }
        self.report(
            format!(
                "`expiry_warning_days = {n}` is out of range: accepted 0 to \
                 {MAX_EXPIRY_WARNING_DAYS} days"
            ),
            Some(span),
            "out of range",
            None,
        );
        None
    }

    pub(super) fn rule_code(&mut self, rules: &RuleSet, key: &Spanned<String>) -> Option<String> {
        match rules.find(key.get_ref()) {
            Some((m, _)) => Some(m.code.to_string()),
            None => {
                self.report(
                    format!("unknown rule `{}`", key.get_ref()),
                    Some(key.span()),
                    "not a rule code or name",
                    Some("`bplint rules` lists every rule".into()),
                );
                None
            }
        }
    }

    /// Rule code -> level, the unknown codes and bad levels reported.
    pub(super) fn levels(&mut self, rules: &RuleSet, levels: RuleLevels) -> Vec<(String, Level)> {
        let mut out = Vec::new();
        for (key, level) in levels {
            let code = self.rule_code(rules, &key);
            if let (Some(code), Some((level, _))) = (code, self.value(level)) {
                out.push((code, level));
            }
        }
        out
    }
}

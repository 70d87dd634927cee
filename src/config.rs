//! `bplint.toml`: found by walking up from the working folder, or named with `--config`.
//!
//! Every key is checked: an unknown key, a wrong type, an unknown rule code or a bad glob is an
//! error pointing into the file, because a typo silently ignored is a check silently skipped.
//! The API token is never read from here.

// Config errors happen once per run and carry their source for rendering; boxing them buys nothing.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use miette::{Diagnostic, NamedSource, SourceSpan};

use crate::redact;
use serde::Deserialize;
use toml::Spanned;

use crate::finding::Severity;
use crate::finding::location::{Location, SourceIndex};
use crate::json::Span;
use crate::rules::RuleSet;
use crate::side_file::{SideFileKind, read_side_file};

pub const FILE_NAME: &str = "bplint.toml";

/// The longest expiry warning window, in days (`expiry_warning_days`, `--expiry-warning-days`):
/// a century, beyond which the date arithmetic would leave chrono's range for no purpose.
pub const MAX_EXPIRY_WARNING_DAYS: i64 = 36_500;

/// A severity setting: a severity, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Off,
    Info,
    Warning,
    Error,
}

impl Level {
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Off => None,
            Level::Info => Some(Severity::Info),
            Level::Warning => Some(Severity::Warning),
            Level::Error => Some(Severity::Error),
        }
    }
}

/// The lowest severity that fails a run: the one enum of `--fail-on` and `fail_on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    /// The lowest severity that fails a run; `None` for `never`.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

/// A value read on its own: one of the wrong shape becomes an error to report, and the rest of
/// the file is still read, so that one run shows every mistake of a config.
#[derive(Debug)]
enum Field<T> {
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
type Checked<T> = Spanned<Field<T>>;

/// toml's text for an error inside a value: the message, then ``in `key` `` when it is about a
/// key of a table inside; on one line.
fn de_message(text: &str) -> String {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let message = lines.next().unwrap_or("invalid value").to_string();
    match lines.next() {
        Some(within) => format!("{message} ({within})"),
        None => message,
    }
}

/// The keys of the file's top level, in the order of [`RawConfig`] (unknown keys are reported
/// with this list, as serde words it).
const FIELDS: &[&str] = &[
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
struct RawConfig {
    zone: Option<Checked<String>>,
    api_url: Option<Checked<String>>,
    team: Option<Checked<u64>>,
    expiry_warning_days: Option<Checked<i64>>,
    fail_on: Option<Checked<FailOn>>,
    max_file_size: Option<Checked<u64>>,
    rules_dirs: Option<Checked<Vec<String>>>,
    catalog_dirs: Option<Checked<Vec<String>>>,
    include: Option<Checked<Vec<Spanned<String>>>>,
    exclude: Option<Checked<Vec<Spanned<String>>>>,
    rules: Option<Checked<RuleLevels>>,
    teams: Option<Checked<Vec<Checked<RawTeams>>>>,
    overrides: Option<Checked<Vec<Checked<RawOverride>>>>,
    ignore: Option<Checked<Vec<Checked<RawIgnore>>>>,
}

/// `[rules]` and an override's `rules`: rule code or name -> level, each level checked alone.
type RuleLevels = BTreeMap<Spanned<String>, Checked<Level>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTeams {
    paths: Vec<Spanned<String>>,
    team: Option<u64>,
    #[serde(default)]
    teams: Vec<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverride {
    paths: Vec<Spanned<String>>,
    rules: RuleLevels,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    rule: Spanned<String>,
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    module: Option<i64>,
    reason: String,
}

/// A config error, rendered by miette with a label in the file.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(code(bplint::config))]
pub struct ConfigError {
    pub message: String,
    #[source_code]
    pub src: NamedSource<String>,
    #[label("{label}")]
    pub span: Option<SourceSpan>,
    pub label: String,
    #[help]
    pub help: Option<String>,
}

/// Every error of one config file (never none): checking goes on after the first.
#[derive(Debug, thiserror::Error)]
#[error("{}", .errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; "))]
pub struct ConfigErrors {
    pub errors: Vec<ConfigError>,
}

impl ConfigErrors {
    /// Each error drawn with its snippet, then how many there were when more than one.
    pub fn render(&self, color: bool, width: usize) -> String {
        let mut out: String = self
            .errors
            .iter()
            .filter_map(|e| crate::draw::render(e, color, width))
            .collect();
        if let [first, _, ..] = self.errors.as_slice() {
            out.push_str(&format!(
                "{}: {} errors\n",
                first.src.name(),
                self.errors.len()
            ));
        }
        out
    }
}

/// Paths matched against a file's path relative to the config's folder.
#[derive(Debug, Clone)]
pub struct PathSet {
    set: GlobSet,
}

impl PathSet {
    pub fn is_match(&self, rel: &Path) -> bool {
        self.set.is_match(rel)
    }
}

#[derive(Debug, Clone)]
pub struct TeamEntry {
    pub paths: PathSet,
    pub teams: Vec<u64>,
}

#[derive(Debug, Clone)]
pub struct Override {
    pub paths: PathSet,
    pub rules: Vec<(String, Level)>,
}

#[derive(Debug, Clone)]
pub struct Ignore {
    pub rule: String,
    pub paths: Option<PathSet>,
    pub module: Option<i64>,
    pub reason: String,
    /// The line of its `rule`, which the "matched nothing" note names.
    pub line: usize,
    /// The entry in the config file, where the "matched nothing" note points.
    pub location: Location,
}

/// The validated config.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub path: Option<PathBuf>,
    /// The folder paths in the config are relative to.
    pub root: PathBuf,
    pub zone: Option<String>,
    pub api_url: Option<String>,
    pub team: Option<u64>,
    pub expiry_warning_days: Option<i64>,
    pub fail_on: Option<FailOn>,
    pub max_file_size: Option<u64>,
    pub rules_dirs: Vec<PathBuf>,
    pub catalog_dirs: Vec<PathBuf>,
    pub include: Option<PathSet>,
    pub exclude: Option<PathSet>,
    /// Rule code -> level, from `[rules]`.
    pub rules: Vec<(String, Level)>,
    pub teams: Vec<TeamEntry>,
    pub overrides: Vec<Override>,
    pub ignores: Vec<Ignore>,
}

/// `path` relative to the working folder when it is inside it, for messages.
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The `rules_dirs` of a config file, read leniently (before the rule set exists, since the
/// full validation needs it); any problem with the file is reported by [`Config::load`].
pub fn peek_rules_dirs(path: &Path) -> Vec<PathBuf> {
    let Ok(text) = read_side_file(path, SideFileKind::Config) else {
        return Vec::new();
    };
    let Ok(value) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
    value
        .get("rules_dirs")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|d| d.as_str())
                .map(|d| root.join(d))
                .collect()
        })
        .unwrap_or_default()
}

/// toml's message for `e`, or ours where it gives none: toml 0.8 says nothing about a control
/// character outside a string (`#\0`), which would leave the error without a word.
pub(crate) fn toml_message(e: &toml::de::Error, text: &str) -> String {
    if !e.message().trim().is_empty() {
        return e.message().to_string();
    }
    let found = e
        .span()
        .and_then(|s| text.get(s.start..))
        .and_then(|rest| rest.chars().next());
    match found {
        Some(c) if c.is_control() => format!(
            "invalid TOML: control character U+{:04X} is not allowed here",
            u32::from(c)
        ),
        _ => "invalid TOML".to_string(),
    }
}

/// Finds `bplint.toml` in `start` or the nearest folder above it.
pub fn discover(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let candidate = d.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

/// Checks a file's values, collecting every error instead of stopping at the first.
struct Checker<'a> {
    name: String,
    text: &'a str,
    errors: Vec<ConfigError>,
}

impl Checker<'_> {
    fn error(
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

    fn report(
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
    fn value<T>(&mut self, field: Checked<T>) -> Option<(T, std::ops::Range<usize>)> {
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

    fn scalar<T>(&mut self, field: Option<Checked<T>>) -> Option<T> {
        field.and_then(|f| self.value(f)).map(|(v, _)| v)
    }

    fn list<T>(&mut self, field: Option<Checked<Vec<T>>>) -> Vec<T> {
        self.scalar(field).unwrap_or_default()
    }

    /// The entries of an array of tables that are well-formed, each with its span.
    fn entries<T>(
        &mut self,
        field: Option<Checked<Vec<Checked<T>>>>,
    ) -> Vec<(T, std::ops::Range<usize>)> {
        let all = self.list(field);
        all.into_iter().filter_map(|e| self.value(e)).collect()
    }

    /// Every top-level key that is not a setting.
    fn unknown_keys(&mut self, text: &str) {
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

    fn globs(&mut self, patterns: &[Spanned<String>]) -> Option<PathSet> {
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

    fn expiry_warning_days(&mut self, field: Option<Checked<i64>>) -> Option<i64> {
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

    fn rule_code(&mut self, rules: &RuleSet, key: &Spanned<String>) -> Option<String> {
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
    fn levels(&mut self, rules: &RuleSet, levels: RuleLevels) -> Vec<(String, Level)> {
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

impl Config {
    /// Loads and validates `path`. `rules` is the run's rule set, to check rule codes.
    pub fn load(path: &Path, rules: &RuleSet) -> Result<Config, ConfigErrors> {
        let text = read_side_file(path, SideFileKind::Config).map_err(|e| ConfigErrors {
            errors: vec![ConfigError {
                message: e.to_string(),
                src: NamedSource::new(path.display().to_string(), String::new()),
                span: None,
                label: String::new(),
                help: None,
            }],
        })?;
        Self::parse(&text, path, rules)
    }

    /// Validates a config text: every error of it, or the config. Only a TOML syntax error
    /// stops the reading (nothing after it can be trusted).
    pub fn parse(text: &str, path: &Path, rules: &RuleSet) -> Result<Config, ConfigErrors> {
        let mut ck = Checker {
            name: display_path(path),
            text,
            errors: Vec::new(),
        };
        let raw: RawConfig = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(e) => {
                let e = ck.error(toml_message(&e, text), e.span(), "here", None);
                return Err(ConfigErrors { errors: vec![e] });
            }
        };
        ck.unknown_keys(text);
        let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let in_root = |dirs: Vec<String>| dirs.iter().map(|d| root.join(d)).collect();
        let mut cfg = Config {
            path: Some(path.to_path_buf()),
            root: root.clone(),
            zone: ck.scalar(raw.zone),
            api_url: ck.scalar(raw.api_url),
            team: ck.scalar(raw.team),
            expiry_warning_days: ck.expiry_warning_days(raw.expiry_warning_days),
            fail_on: ck.scalar(raw.fail_on),
            max_file_size: ck.scalar(raw.max_file_size),
            rules_dirs: in_root(ck.list(raw.rules_dirs)),
            catalog_dirs: in_root(ck.list(raw.catalog_dirs)),
            ..Config::default()
        };
        let include = ck.list(raw.include);
        if !include.is_empty() {
            cfg.include = ck.globs(&include);
        }
        let exclude = ck.list(raw.exclude);
        if !exclude.is_empty() {
            cfg.exclude = ck.globs(&exclude);
        }
        if let Some(levels) = ck.scalar(raw.rules) {
            cfg.rules = ck.levels(rules, levels);
        }
        for (t, _) in ck.entries(raw.teams) {
            let mut teams: Vec<u64> = t.team.into_iter().collect();
            teams.extend(&t.teams);
            let paths = ck.globs(&t.paths);
            if teams.is_empty() {
                ck.report(
                    "a [[teams]] entry needs `team = ID` or `teams = [IDs]`",
                    t.paths.first().map(|p| p.span()),
                    "for these paths",
                    None,
                );
            } else if let Some(paths) = paths {
                cfg.teams.push(TeamEntry { paths, teams });
            }
        }
        for (o, _) in ck.entries(raw.overrides) {
            let rules = ck.levels(rules, o.rules);
            if let Some(paths) = ck.globs(&o.paths) {
                cfg.overrides.push(Override { paths, rules });
            }
        }
        let index = SourceIndex::new(text, Vec::new());
        for (i, span) in ck.entries(raw.ignore) {
            if i.reason.trim().is_empty() {
                ck.report(
                    "an [[ignore]] entry needs a non-empty `reason`",
                    Some(span.clone()),
                    "this entry",
                    None,
                );
                continue;
            }
            let line = text.as_bytes()[..i.rule.span().start.min(text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            let rule = ck.rule_code(rules, &i.rule);
            let paths = if i.paths.is_empty() {
                Some(None)
            } else {
                ck.globs(&i.paths).map(Some)
            };
            if let (Some(rule), Some(paths)) = (rule, paths) {
                cfg.ignores.push(Ignore {
                    rule,
                    paths,
                    module: i.module,
                    reason: i.reason,
                    line,
                    location: index.locate(Span::new(span.start, span.end)),
                });
            }
        }
        if ck.errors.is_empty() {
            return Ok(cfg);
        }
        // In the order of the file, as someone fixing them reads it.
        ck.errors
            .sort_by_key(|e| e.span.map_or(usize::MAX, |s| s.offset()));
        Err(ConfigErrors { errors: ck.errors })
    }

    /// `file` relative to the config's folder, for glob matching.
    pub fn relative(&self, file: &str) -> PathBuf {
        let p = Path::new(file);
        let abs = if p.is_absolute() {
            p.to_path_buf()
        } else {
            std::env::current_dir()
                .map(|d| d.join(p))
                .unwrap_or_else(|_| p.to_path_buf())
        };
        let root = if self.root.as_os_str().is_empty() {
            std::env::current_dir().unwrap_or_default()
        } else if self.root.is_absolute() {
            self.root.clone()
        } else {
            std::env::current_dir()
                .map(|d| d.join(&self.root))
                .unwrap_or_else(|_| self.root.clone())
        };
        let clean = |p: &Path| -> PathBuf {
            p.components()
                .filter(|c| !matches!(c, std::path::Component::CurDir))
                .collect()
        };
        let (abs, root) = (clean(&abs), clean(&root));
        abs.strip_prefix(&root)
            .map(Path::to_path_buf)
            .unwrap_or(abs)
    }

    /// The teams a file is checked for: the first `[[teams]]` entry matching it, else `team`.
    pub fn teams_for(&self, file: &str) -> Vec<u64> {
        let rel = self.relative(file);
        self.teams
            .iter()
            .find(|t| t.paths.is_match(&rel))
            .map(|t| t.teams.clone())
            .unwrap_or_else(|| self.team.into_iter().collect())
    }

    /// The level for `code` in `file`: `[[overrides]]` (last match wins) over `[rules]`.
    pub fn level_for(&self, code: &str, file: &str) -> Option<Level> {
        let rel = self.relative(file);
        let mut level = self
            .rules
            .iter()
            .rev()
            .find(|(c, _)| c == code)
            .map(|(_, l)| *l);
        for o in &self.overrides {
            if o.paths.is_match(&rel) {
                if let Some((_, l)) = o.rules.iter().rev().find(|(c, _)| c == code) {
                    level = Some(*l);
                }
            }
        }
        level
    }

    /// Whether a walked file is in scope (`include`/`exclude`). Named files always are.
    pub fn in_scope(&self, file: &str) -> bool {
        let rel = self.relative(file);
        self.include.as_ref().is_none_or(|s| s.is_match(&rel))
            && !self.exclude.as_ref().is_some_and(|s| s.is_match(&rel))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigErrors> {
        Config::parse(text, Path::new("bplint.toml"), &RuleSet::builtin())
    }

    /// The one error of `text`.
    fn only_error(text: &str) -> ConfigError {
        let mut e = parse(text).unwrap_err();
        assert_eq!(e.errors.len(), 1, "{text:?}: {e}");
        e.errors.remove(0)
    }

    #[test]
    fn full_config_parses() {
        let c = parse(
            r#"
zone = "eu1"
team = 7
expiry_warning_days = 30
fail_on = "error"
[rules]
BP102 = "off"
connection-placeholder = "error"
[[teams]]
paths = ["marketing/**"]
teams = [123, 456]
[[overrides]]
paths = ["legacy/**"]
rules = { BP011 = "info" }
[[ignore]]
rule = "BP020"
paths = ["fixtures/**"]
module = 5
reason = "test data"
"#,
        )
        .unwrap();
        let mut rules = c.rules.clone();
        rules.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            rules,
            [
                ("BP011".to_string(), Level::Error),
                ("BP102".to_string(), Level::Off)
            ]
        );
        assert_eq!(c.teams_for("marketing/a.json"), [123, 456]);
        assert_eq!(c.teams_for("ops/a.json"), [7]);
        assert_eq!(c.level_for("BP011", "legacy/x.json"), Some(Level::Info));
        assert_eq!(c.level_for("BP011", "new/x.json"), Some(Level::Error));
        assert_eq!(c.ignores[0].rule, "BP020");
        assert_eq!(c.ignores[0].line, 16, "the line of its `rule`");
    }

    #[test]
    fn errors_point_into_the_file() {
        let text = "zone = \"eu1\"\ntema = 5\n";
        let e = only_error(text);
        assert!(e.message.contains("unknown field `tema`"), "{}", e.message);
        let span = e.span.unwrap();
        assert_eq!(&text[span.offset()..span.offset() + span.len()], "tema");

        let text = "team = \"seven\"\n";
        let e = only_error(text);
        assert!(e.message.contains("invalid type"), "{}", e.message);
        assert_eq!(&text[e.span.unwrap().offset()..][..7], "\"seven\"");

        let text = "[rules]\nBP999 = \"off\"\n";
        let e = only_error(text);
        assert!(e.message.contains("unknown rule `BP999`"));
        assert_eq!(&text[e.span.unwrap().offset()..][..5], "BP999");

        let text = "[rules]\nBP011 = \"loud\"\n";
        assert!(only_error(text).message.contains("unknown variant"));

        let text = "[[ignore]]\nrule = \"BP020\"\nreason = \" \"\n";
        assert!(only_error(text).message.contains("reason"));

        let text = "[[ignore]]\nrule = \"BP020\"\n";
        assert!(only_error(text).message.contains("reason"));

        for days in ["999999999999", "-1", "36501"] {
            let text = format!("expiry_warning_days = {days}\n");
            let e = only_error(&text);
            assert!(e.message.contains("out of range"), "{}", e.message);
            assert!(e.message.contains("0 to 36500 days"), "{}", e.message);
            assert_eq!(&text[e.span.unwrap().offset()..][..days.len()], days);
        }
        assert_eq!(
            parse("expiry_warning_days = 36500\n")
                .unwrap()
                .expiry_warning_days,
            Some(36500)
        );

        let text = "include = [\"a/[\"]\n";
        assert!(only_error(text).message.contains("bad glob"));
    }

    #[test]
    fn a_control_character_outside_a_string_is_named() {
        // Found by fuzz/fuzz_targets/config.rs: toml 0.8 gives no message for it.
        for (text, at) in [("#\0", 1), ("# a\u{1e}b\nzone = \"eu1\"\n", 3)] {
            let e = only_error(text);
            assert!(
                e.message
                    .starts_with("invalid TOML: control character U+00"),
                "{text:?}: {:?}",
                e.message
            );
            assert_eq!(e.span.unwrap().offset(), at, "{text:?}");
        }
    }

    #[test]
    fn every_error_of_a_file_is_reported_at_once() {
        let text = "tema = 5\nteam = \"seven\"\n[rules]\nBP999 = \"off\"\nBP011 = \"loud\"\n\
                    [[ignore]]\nrule = \"BP020\"\nreason = \" \"\n";
        let e = parse(text).unwrap_err();
        let found: Vec<(&str, &str)> = e
            .errors
            .iter()
            .map(|e| {
                let span = e.span.expect("a span");
                let at = &text[span.offset()..span.offset() + span.len()];
                (e.message.split(',').next().unwrap_or_default(), at)
            })
            .collect();
        assert_eq!(
            found,
            [
                ("unknown field `tema`", "tema"),
                ("invalid type: string \"seven\"", "\"seven\""),
                ("unknown rule `BP999`", "BP999"),
                ("unknown variant `loud`", "\"loud\""),
                (
                    "an [[ignore]] entry needs a non-empty `reason`",
                    "[[ignore]]\nrule = \"BP020\"\nreason = \" \""
                ),
            ]
        );
    }

    #[test]
    fn an_ignore_entry_knows_where_it_is() {
        let text = "zone = \"eu1\"\n\n[[ignore]]\nrule = \"BP020\"\nreason = \"test data\"\n";
        let c = parse(text).unwrap();
        let at = &c.ignores[0].location;
        assert_eq!(
            &text[at.span.range()],
            "[[ignore]]\nrule = \"BP020\"\nreason = \"test data\""
        );
        assert_eq!((at.start.line, at.start.column), (3, 1));
    }
}

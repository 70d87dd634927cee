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

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    zone: Option<String>,
    api_url: Option<String>,
    team: Option<u64>,
    expiry_warning_days: Option<Spanned<i64>>,
    fail_on: Option<FailOn>,
    max_file_size: Option<u64>,
    #[serde(default)]
    rules_dirs: Vec<String>,
    #[serde(default)]
    catalog_dirs: Vec<String>,
    #[serde(default)]
    include: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Level>,
    #[serde(default)]
    teams: Vec<RawTeams>,
    #[serde(default)]
    overrides: Vec<RawOverride>,
    #[serde(default)]
    ignore: Vec<Spanned<RawIgnore>>,
}

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
    rules: BTreeMap<Spanned<String>, Level>,
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
    /// Where the entry is, for "matched nothing" notes.
    pub line: usize,
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

struct Checker<'a> {
    name: String,
    text: &'a str,
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

    fn globs(&self, patterns: &[Spanned<String>]) -> Result<PathSet, ConfigError> {
        let mut b = GlobSetBuilder::new();
        for p in patterns {
            let glob = Glob::new(p.get_ref()).map_err(|e| {
                self.error(
                    format!("bad glob: {e}"),
                    Some(p.span()),
                    "this pattern",
                    None,
                )
            })?;
            b.add(glob);
        }
        let set = b
            .build()
            .map_err(|e| self.error(format!("bad globs: {e}"), None, "", None))?;
        Ok(PathSet { set })
    }

    fn expiry_warning_days(&self, days: &Spanned<i64>) -> Result<i64, ConfigError> {
        let n = *days.get_ref();
        if (0..=MAX_EXPIRY_WARNING_DAYS).contains(&n) {
            return Ok(n);
        }
        Err(self.error(
            format!(
                "`expiry_warning_days = {n}` is out of range: accepted 0 to \
                 {MAX_EXPIRY_WARNING_DAYS} days"
            ),
            Some(days.span()),
            "out of range",
            None,
        ))
    }

    fn rule_code(&self, rules: &RuleSet, key: &Spanned<String>) -> Result<String, ConfigError> {
        match rules.find(key.get_ref()) {
            Some((m, _)) => Ok(m.code.to_string()),
            None => Err(self.error(
                format!("unknown rule `{}`", key.get_ref()),
                Some(key.span()),
                "not a rule code or name",
                Some("`bplint rules` lists every rule".into()),
            )),
        }
    }
}

impl Config {
    /// Loads and validates `path`. `rules` is the run's rule set, to check rule codes.
    pub fn load(path: &Path, rules: &RuleSet) -> Result<Config, Box<ConfigError>> {
        let text = read_side_file(path, SideFileKind::Config).map_err(|e| {
            Box::new(ConfigError {
                message: e.to_string(),
                src: NamedSource::new(path.display().to_string(), String::new()),
                span: None,
                label: String::new(),
                help: None,
            })
        })?;
        Self::parse(&text, path, rules).map_err(Box::new)
    }

    pub fn parse(text: &str, path: &Path, rules: &RuleSet) -> Result<Config, ConfigError> {
        let ck = Checker {
            name: display_path(path),
            text,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let help = e
                .message()
                .contains("unknown field")
                .then(|| "check the spelling; see the README's configuration section".to_string());
            ck.error(toml_message(&e, text), e.span(), "here", help)
        })?;
        let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut cfg = Config {
            path: Some(path.to_path_buf()),
            root: root.clone(),
            zone: raw.zone,
            api_url: raw.api_url,
            team: raw.team,
            expiry_warning_days: raw
                .expiry_warning_days
                .as_ref()
                .map(|d| ck.expiry_warning_days(d))
                .transpose()?,
            fail_on: raw.fail_on,
            max_file_size: raw.max_file_size,
            rules_dirs: raw.rules_dirs.iter().map(|d| root.join(d)).collect(),
            catalog_dirs: raw.catalog_dirs.iter().map(|d| root.join(d)).collect(),
            ..Config::default()
        };
        if !raw.include.is_empty() {
            cfg.include = Some(ck.globs(&raw.include)?);
        }
        if !raw.exclude.is_empty() {
            cfg.exclude = Some(ck.globs(&raw.exclude)?);
        }
        for (k, level) in &raw.rules {
            cfg.rules.push((ck.rule_code(rules, k)?, *level));
        }
        for t in &raw.teams {
            let mut teams: Vec<u64> = t.team.into_iter().collect();
            teams.extend(&t.teams);
            if teams.is_empty() {
                let span = t.paths.first().map(|p| p.span());
                return Err(ck.error(
                    "a [[teams]] entry needs `team = ID` or `teams = [IDs]`",
                    span,
                    "for these paths",
                    None,
                ));
            }
            cfg.teams.push(TeamEntry {
                paths: ck.globs(&t.paths)?,
                teams,
            });
        }
        for o in &raw.overrides {
            let mut list = Vec::new();
            for (k, level) in &o.rules {
                list.push((ck.rule_code(rules, k)?, *level));
            }
            cfg.overrides.push(Override {
                paths: ck.globs(&o.paths)?,
                rules: list,
            });
        }
        for entry in &raw.ignore {
            let i = entry.get_ref();
            if i.reason.trim().is_empty() {
                return Err(ck.error(
                    "an [[ignore]] entry needs a non-empty `reason`",
                    Some(entry.span()),
                    "this entry",
                    None,
                ));
            }
            let line = text.as_bytes()[..i.rule.span().start.min(text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            cfg.ignores.push(Ignore {
                rule: ck.rule_code(rules, &i.rule)?,
                paths: if i.paths.is_empty() {
                    None
                } else {
                    Some(ck.globs(&i.paths)?)
                },
                module: i.module,
                reason: i.reason.clone(),
                line,
            });
        }
        Ok(cfg)
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

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("bplint.toml"), &RuleSet::builtin())
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
        let e = parse(text).unwrap_err();
        assert!(e.message.contains("unknown field `tema`"), "{}", e.message);
        let span = e.span.unwrap();
        assert_eq!(&text[span.offset()..span.offset() + span.len()], "tema");

        let text = "team = \"seven\"\n";
        let e = parse(text).unwrap_err();
        assert!(e.message.contains("invalid type"), "{}", e.message);
        assert_eq!(&text[e.span.unwrap().offset()..][..7], "\"seven\"");

        let text = "[rules]\nBP999 = \"off\"\n";
        let e = parse(text).unwrap_err();
        assert!(e.message.contains("unknown rule `BP999`"));
        assert_eq!(&text[e.span.unwrap().offset()..][..5], "BP999");

        let text = "[rules]\nBP011 = \"loud\"\n";
        assert!(parse(text).unwrap_err().message.contains("unknown variant"));

        let text = "[[ignore]]\nrule = \"BP020\"\nreason = \" \"\n";
        assert!(parse(text).unwrap_err().message.contains("reason"));

        let text = "[[ignore]]\nrule = \"BP020\"\n";
        assert!(parse(text).unwrap_err().message.contains("reason"));

        for days in ["999999999999", "-1", "36501"] {
            let text = format!("expiry_warning_days = {days}\n");
            let e = parse(&text).unwrap_err();
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
        assert!(parse(text).unwrap_err().message.contains("bad glob"));
    }

    #[test]
    fn a_control_character_outside_a_string_is_named() {
        // Found by fuzz/fuzz_targets/config.rs: toml 0.8 gives no message for it.
        for (text, at) in [("#\0", 1), ("# a\u{1e}b\nzone = \"eu1\"\n", 3)] {
            let e = parse(text).unwrap_err();
            assert!(
                e.message
                    .starts_with("invalid TOML: control character U+00"),
                "{text:?}: {:?}",
                e.message
            );
            assert_eq!(e.span.unwrap().offset(), at, "{text:?}");
        }
    }
}

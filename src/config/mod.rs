//! `bplint.toml`: found by walking up from the working folder, or named with `--config`.
//!
//! Every key is checked: an unknown key, a wrong type, an unknown rule code or a bad glob is an
//! error pointing into the file, because a typo silently ignored is a check silently skipped.
//! The API token is never read from here.

// Config errors happen once per run and carry their source for rendering; boxing them buys nothing.
#![allow(clippy::result_large_err)]

use std::path::{Path, PathBuf};

use globset::GlobSet;
use miette::{Diagnostic, NamedSource, SourceSpan};

use serde::Deserialize;

use crate::finding::Severity;
use crate::finding::location::{Location, SourceIndex};
use crate::json::Span;
use crate::rules::RuleSet;
use crate::side_file::{SideFileKind, read_side_file};

mod read;
#[cfg(test)]
mod tests;

use read::{Checker, RawConfig};

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
        self.level_at(code, &mut RelativePath::new(self, file))
    }

    /// [`Config::level_for`] for a file whose relative path is worked out at most once, and
    /// only if an `[[overrides]]` entry needs it: the filter asks for every finding.
    pub fn level_at(&self, code: &str, file: &mut RelativePath<'_>) -> Option<Level> {
        let mut level = self
            .rules
            .iter()
            .rev()
            .find(|(c, _)| c == code)
            .map(|(_, l)| *l);
        for o in &self.overrides {
            if let Some((_, l)) = o.rules.iter().rev().find(|(c, _)| c == code) {
                if o.paths.is_match(file.get()) {
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

/// A file's path relative to the config's folder, found on first use ([`Config::relative`]
/// asks the operating system for the working directory).
pub struct RelativePath<'a> {
    config: &'a Config,
    file: String,
    relative: Option<PathBuf>,
}

impl<'a> RelativePath<'a> {
    pub fn new(config: &'a Config, file: &str) -> Self {
        RelativePath {
            config,
            file: file.to_string(),
            relative: None,
        }
    }

    pub fn file(&self) -> &str {
        &self.file
    }

    pub fn get(&mut self) -> &Path {
        self.relative
            .get_or_insert_with(|| self.config.relative(&self.file))
    }
}

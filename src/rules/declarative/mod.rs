//! Declarative rules: checks written as TOML files (`rules/README.md` documents the format),
//! so that teams add their own without writing Rust, as Spectral rulesets do for OpenAPI.
//!
//! The shipped files (`rules/builtin/*.toml`) are compiled into the binary; `--rules DIR` adds
//! more. Every file is read, checked and compiled once per run, before any blueprint is read:
//! a mistake in a rule file stops the run (exit 2) with the offending text underlined. Each
//! compiled rule is leaked to become a `&'static dyn Rule` like the built-in ones, and runs
//! through the same hooks: a module-scoped rule sees the modules the model found, wherever they
//! nest, and never walks the JSON to find modules itself.

mod file;
mod functions;
mod loader;
mod path;
mod rule;
mod schema;
mod template;

use std::ops::Range;
use std::path::{Path, PathBuf};

use miette::{NamedSource, SourceSpan};

use loader::compile_all;

use crate::rules::{Rule, RuleSet, Severity};
use crate::side_file::{SideFileKind, read_side_file};

/// The shipped rule files, by path relative to the project (written by `build.rs`).
pub const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// A mistake in a rule file, shown on the file's text.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
#[diagnostic(code(bplint::rule_file))]
pub struct RuleFileError {
    #[source_code]
    src: NamedSource<String>,
    #[label("{label}")]
    span: SourceSpan,
    message: String,
    label: String,
    #[help]
    help: Option<String>,
}

impl RuleFileError {
    /// The error drawn with its snippet, as the terminal shows it.
    pub fn render(&self, color: bool) -> String {
        crate::draw::render(self, color, 100)
            .unwrap_or_else(|| format!("error: {}: {}\n", self.src.name(), self.message))
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where the error points, in bytes of the rule file's text.
    pub fn span(&self) -> Range<usize> {
        self.span.offset()..self.span.offset() + self.span.len()
    }
}

/// Why the rules of a run could not be set up.
#[derive(Debug)]
pub enum LoadError {
    /// A rule file is wrong: shown with its text.
    File(Box<RuleFileError>),
    /// A rule folder or file could not be read.
    Io(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::File(e) => write!(f, "{}: {}", e.src.name(), e.message),
            LoadError::Io(m) => f.write_str(m),
        }
    }
}

/// The rules of a run: `base` (the built-in Rust rules), the shipped declarative rules unless
/// `shipped` is false, then the rules of each of `dirs` (a folder of `*.toml`, or one file).
pub fn load(base: RuleSet, dirs: &[PathBuf], shipped: bool) -> Result<RuleSet, LoadError> {
    let mut files: Vec<(String, String)> = Vec::new();
    if shipped {
        files.extend(BUILTIN.iter().map(|(n, t)| (n.to_string(), t.to_string())));
    }
    for dir in dirs {
        files.extend(read_rule_files(dir)?);
    }
    load_texts(base, files)
}

/// Like [`load`], from texts already read: `(name, text)` in load order.
pub fn load_texts(mut set: RuleSet, files: Vec<(String, String)>) -> Result<RuleSet, LoadError> {
    for c in compile_all(&set, files).map_err(LoadError::File)? {
        let origin = if c.rule.enabled {
            c.origin
        } else {
            format!("{} (disabled)", c.origin)
        };
        let mut rule = c.rule;
        rule.meta = c.meta.leak(c.code, c.name);
        let rule: &'static dyn Rule = Box::leak(Box::new(rule));
        set.add(rule, origin).map_err(LoadError::Io)?;
    }
    Ok(set)
}

fn read_rule_files(path: &Path) -> Result<Vec<(String, String)>, LoadError> {
    let read = |p: &Path| {
        read_side_file(p, SideFileKind::RuleFile)
            .map(|t| (p.display().to_string(), t))
            .map_err(|e| LoadError::Io(e.to_string()))
    };
    // Anything but a folder is read as one rule file, which refuses FIFOs and devices.
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Ok(vec![read(path)?]),
        Err(e) => {
            return Err(LoadError::Io(format!(
                "rule folder {}: {e}",
                path.display()
            )));
        }
    }
    let entries = std::fs::read_dir(path)
        .map_err(|e| LoadError::Io(format!("rule folder {}: {e}", path.display())))?;
    // Every `*.toml` entry is read: one that is not a regular file is an error, not a rule
    // silently left out.
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths.iter().map(|p| read(p)).collect()
}

/// A rule compiled by [`compile_texts`], in no set.
#[doc(hidden)]
pub struct CheckedRule {
    pub code: String,
    pub name: String,
    pub severity: Severity,
    pub enabled: bool,
    /// Runs like a loaded rule, but its findings carry blank metadata: the real one is made
    /// (and leaked) only when a rule joins a set.
    pub rule: Box<dyn Rule>,
}

/// Reads, checks and compiles `files` (`(name, text)` in load order) as [`load_texts`] does,
/// without adding the rules to a set, so nothing is leaked: for the fuzz target, which
/// compiles millions of files in one process.
#[doc(hidden)]
pub fn compile_texts(
    set: &RuleSet,
    files: Vec<(String, String)>,
) -> Result<Vec<CheckedRule>, Box<RuleFileError>> {
    Ok(compile_all(set, files)?
        .into_iter()
        .map(|c| CheckedRule {
            code: c.code,
            name: c.name,
            severity: c.meta.severity,
            enabled: c.rule.enabled,
            rule: Box::new(c.rule),
        })
        .collect())
}

#[cfg(test)]
mod tests;

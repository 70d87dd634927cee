//! Findings located in their files, and the renderers that print them. Each output format is
//! its own file; renderers only map data.

pub mod compact;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod rules_doc;
pub mod sarif;

use crate::finding::fingerprint::{self, FingerprintKey};
pub use crate::finding::location::{Excerpt, Location, Position, SourceIndex};
use crate::finding::{Finding, Severity};
use crate::redact;
use crate::rules::RuleSet;

/// A finding with its file and location, ready for any renderer. It holds the finding itself
/// (its texts cleaned), so what a rule said is copied nowhere: renderers read `rule`,
/// `severity`, `message`, ... through it.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub finding: Finding,
    pub file: String,
    /// `None` for findings about a whole file that has no usable text (unreadable, too large).
    pub location: Option<Location>,
    /// Other places the finding is about, located; their positions are also in `message`, so
    /// every format names them.
    pub related: Vec<Related>,
}

impl std::ops::Deref for Diagnostic {
    type Target = Finding;
    fn deref(&self) -> &Finding {
        &self.finding
    }
}

impl std::ops::DerefMut for Diagnostic {
    fn deref_mut(&mut self) -> &mut Finding {
        &mut self.finding
    }
}

/// A secondary place of a finding.
#[derive(Debug, Clone)]
pub struct Related {
    pub location: Location,
    pub label: String,
}

/// A renderer that writes a whole-document report as it goes (`json`, `sarif`, `junit`).
pub type WriteReport = fn(&Report<'_>, &mut dyn std::io::Write) -> std::io::Result<()>;

/// What a [`WriteReport`] writes, as one text (for `--output` and tests); a JSON error
/// object when serialising fails.
fn rendered_json(report: &Report<'_>, write: WriteReport) -> String {
    let mut out = Vec::new();
    match write(report, &mut out) {
        Ok(()) => String::from_utf8(out).unwrap_or_default(),
        Err(e) => format!("{{\"error\":\"{e}\"}}\n"),
    }
}

impl Diagnostic {
    /// Every text of the finding is cleaned here, once for every format: rules quote values
    /// from files and answers, which may hold secrets or control characters.
    pub fn new(finding: Finding, file: &str, location: Option<Location>) -> Self {
        Self::in_file(finding, redact::clean(file), location)
    }

    /// [`Diagnostic::new`] for a file name cleaned already (once for all of a file's findings).
    pub fn in_file(mut finding: Finding, clean_file: String, location: Option<Location>) -> Self {
        finding.message = redact::clean_owned(std::mem::take(&mut finding.message));
        finding.label = finding.label.map(redact::clean_text);
        finding.help = finding.help.map(redact::clean_text);
        finding.pointer = redact::clean_opt(finding.pointer);
        finding.module_name = redact::clean_opt(finding.module_name);
        Diagnostic {
            finding,
            file: clean_file,
            location,
            related: Vec::new(),
        }
    }

    /// The rule's stable code, e.g. `BP011`.
    pub fn code(&self) -> &'static str {
        self.finding.rule.code
    }

    /// The rule's kebab-case name.
    pub fn name(&self) -> &'static str {
        self.finding.rule.name
    }

    /// Adds the finding's other places, located; each is named in the message as well.
    pub fn with_related(mut self, related: Vec<Related>) -> Self {
        for r in &related {
            self.message.push_str(&format!(
                " ({} at line {}, column {})",
                r.label, r.location.start.line, r.location.start.column
            ));
        }
        self.related = related;
        self
    }

    /// The stable fingerprint SARIF reports and the baseline matches on.
    pub fn fingerprint(&self) -> String {
        fingerprint::fingerprint(FingerprintKey {
            code: self.code(),
            file: &self.file,
            pointer: self.pointer.as_deref(),
            module_id: self.module_id,
            message: &self.message,
        })
    }

    /// Sort key: file, then severity (errors first: three errors must not hide among hundreds
    /// of infos), then position, then code.
    pub fn sort_key(&self) -> (String, std::cmp::Reverse<Severity>, u32, &'static str) {
        (
            self.file.clone(),
            std::cmp::Reverse(self.severity),
            self.location.as_ref().map_or(0, |l| l.span.start),
            self.code(),
        )
    }
}

/// Counts for the closing summary.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    pub files: usize,
    pub blueprints: usize,
    pub skipped: usize,
    pub modules: usize,
    pub references: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Connection ids the live check could not check.
    pub unchecked: Vec<u64>,
    /// HTTP requests made by the live check.
    pub requests: u64,
    /// Live runs only: modules referencing a checked connection whose required scopes no source
    /// knew (neither Make's requirements nor the catalog), so their scopes were not checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modules_without_scope_check: Option<usize>,
    /// Display paths of the files checked (every file but the skipped ones), in input order, for
    /// renderers that list clean files too (JUnit). Not part of the JSON schema.
    #[serde(skip)]
    pub checked: Vec<String>,
    /// Findings per rule code (after the filter).
    pub by_rule: std::collections::BTreeMap<String, usize>,
    /// Findings counted but not shown (below `--min-severity`).
    pub hidden: usize,
    /// The severity each counted rule reported at, to list the worst first.
    #[serde(skip)]
    pub rule_severity: std::collections::BTreeMap<String, Severity>,
}

impl Summary {
    pub fn count(&mut self, diagnostics: &[Diagnostic]) {
        for d in diagnostics {
            match d.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Info => self.infos += 1,
            }
            *self.by_rule.entry(d.code().to_string()).or_default() += 1;
            let worst = self
                .rule_severity
                .entry(d.code().to_string())
                .or_insert(d.severity);
            *worst = (*worst).max(d.severity);
        }
    }

    /// `by rule: BP020 error 2, BP011 warning 66, BP200 info 8`: the worst first, then the most.
    pub fn rules_line(&self) -> Option<String> {
        if self.by_rule.is_empty() {
            return None;
        }
        let mut rows: Vec<(&String, &usize, Severity)> = self
            .by_rule
            .iter()
            .map(|(code, n)| {
                let sev = self
                    .rule_severity
                    .get(code)
                    .copied()
                    .unwrap_or(Severity::Info);
                (code, n, sev)
            })
            .collect();
        rows.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(a.1)).then(a.0.cmp(b.0)));
        let parts: Vec<String> = rows
            .iter()
            .map(|(code, n, sev)| format!("{code} {sev} {n}"))
            .collect();
        Some(format!("by rule: {}", parts.join(", ")))
    }

    pub fn line(&self) -> String {
        let mut s = format!(
            "{} file(s), {} blueprint(s), {} module(s), {} reference(s): {} error(s), {} warning(s), {} info",
            self.files,
            self.blueprints,
            self.modules,
            self.references,
            self.errors,
            self.warnings,
            self.infos
        );
        if self.skipped > 0 {
            s.push_str(&format!("; {} non-blueprint file(s) skipped", self.skipped));
        }
        if !self.unchecked.is_empty() {
            s.push_str(&format!(
                "; {} connection id(s) NOT checked",
                self.unchecked.len()
            ));
        }
        if let Some(n) = self.modules_without_scope_check.filter(|n| *n > 0) {
            s.push_str(&format!("; {n} module(s) without a scope check"));
        }
        if self.hidden > 0 {
            s.push_str(&format!(
                "; {} finding(s) below --min-severity not shown",
                self.hidden
            ));
        }
        s
    }
}

/// Everything a renderer needs.
pub struct Report<'a> {
    pub diagnostics: &'a [Diagnostic],
    pub summary: &'a Summary,
    /// Run-level problems (API unreachable, ...), printed after the findings.
    pub errors: &'a [String],
    /// Findings the baseline recorded: not counted and not printed, except by SARIF, which
    /// reports them as suppressed so code scanning keeps their history.
    pub suppressed: &'a [Diagnostic],
    /// The baseline file as given on the command line, when the run had one.
    pub baseline: Option<&'a str>,
    /// The rules the run checked with (built-in, shipped declarative, `--rules` packs).
    pub rules: &'a RuleSet,
}

/// Left-aligned columns two spaces apart, for terminal tables.
pub fn format_table(rows: &[Vec<String>]) -> String {
    let cols = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
pub(crate) mod testing {
    //! Diagnostics for the renderers' unit tests.

    use super::{Diagnostic, Location, Position};
    use crate::finding::{Finding, RuleMeta};
    use crate::json::Span;

    /// A finding of `rule` in `file`, about the whole file (no location).
    pub fn diagnostic(rule: &'static RuleMeta, file: &str, message: &str) -> Diagnostic {
        Diagnostic::new(Finding::new(rule, Span::default(), message), file, None)
    }

    /// `span`, on line `line` from column `from` to just before column `to`.
    pub fn on_line(span: Span, line: u32, from: u32, to: u32) -> Location {
        Location {
            span,
            start: Position { line, column: from },
            end: Position { line, column: to },
            ..Location::default()
        }
    }
}

//! The one place findings are filtered after every rule has run: severity settings from the
//! config, `[[ignore]]` entries, and the baseline. Rules never filter themselves.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::{Config, RelativePath};
use crate::report::Diagnostic;
use crate::rules::file::unused_ignore;
use crate::side_file::{SideFileKind, read_side_file};

/// A finding's identity that survives lines moving: rule, file, JSON pointer (or module id),
/// and the message with digit runs blanked (ids and day counts drift; the problem does not).
/// The same fingerprint SARIF reports as `partialFingerprints`, so both agree.
pub fn fingerprint(d: &Diagnostic) -> String {
    d.fingerprint()
}

#[derive(Debug, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub code: String,
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
}

/// `bplint baseline` output: today's findings, to be ignored by `check --baseline`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<BaselineEntry>,
}

impl Baseline {
    pub fn of(diagnostics: &[Diagnostic]) -> Baseline {
        let mut findings: Vec<BaselineEntry> = diagnostics
            .iter()
            .map(|d| BaselineEntry {
                fingerprint: fingerprint(d),
                code: d.code().to_string(),
                file: d.file.replace('\\', "/"),
                pointer: d.pointer.clone(),
            })
            .collect();
        findings.sort_by(|a, b| {
            (&a.file, &a.code, &a.fingerprint).cmp(&(&b.file, &b.code, &b.fingerprint))
        });
        Baseline {
            version: 1,
            findings,
        }
    }

    pub fn load(path: &Path) -> Result<Baseline, String> {
        let text = read_side_file(path, SideFileKind::Baseline).map_err(|e| e.to_string())?;
        let b: Baseline =
            serde_json::from_str(&text).map_err(|e| format!("baseline {}: {e}", path.display()))?;
        if b.version != 1 {
            return Err(format!(
                "baseline {}: unsupported version {}",
                path.display(),
                b.version
            ));
        }
        Ok(b)
    }
}

#[derive(Debug, Default)]
pub struct Filtered {
    pub kept: Vec<Diagnostic>,
    pub ignored: usize,
    /// Findings the baseline has: left out of the report and the exit code, but kept so that
    /// SARIF can show them as suppressed (code scanning keeps their history instead of closing
    /// them as fixed).
    pub baselined: Vec<Diagnostic>,
    /// Baseline entries no finding matched any more: fixed since the baseline was written.
    pub baseline_fixed: usize,
}

/// Applies severity settings, ignores and the baseline, in that order.
pub fn apply(
    diagnostics: Vec<Diagnostic>,
    config: &Config,
    baseline: Option<&Baseline>,
) -> Filtered {
    let mut filter = Filter::new(config, baseline);
    let mut kept = filter.file(diagnostics);
    let mut out = filter.finish();
    kept.append(&mut out.kept);
    out.kept = kept;
    out
}

/// [`apply`] one file at a time, for runs that report files as they finish: what spans files
/// (ignore entries that matched nothing, baseline entries left over) is settled by
/// [`Filter::finish`].
pub struct Filter<'a> {
    config: &'a Config,
    baseline: Option<&'a Baseline>,
    ignore_hits: Vec<usize>,
    /// Baseline fingerprints not matched yet, with how many times each is recorded.
    remaining: HashMap<&'a str, usize>,
    ignored: usize,
    baselined: Vec<Diagnostic>,
}

impl<'a> Filter<'a> {
    pub fn new(config: &'a Config, baseline: Option<&'a Baseline>) -> Self {
        let mut remaining: HashMap<&str, usize> = HashMap::new();
        if let Some(b) = baseline {
            for e in &b.findings {
                *remaining.entry(e.fingerprint.as_str()).or_default() += 1;
            }
        }
        Filter {
            config,
            baseline,
            ignore_hits: vec![0; config.ignores.len()],
            remaining,
            ignored: 0,
            baselined: Vec::new(),
        }
    }

    /// The findings of `diagnostics` that are kept, in their order.
    pub fn file(&mut self, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
        let config = self.config;
        let mut kept = Vec::with_capacity(diagnostics.len());
        // A file's findings arrive together: its relative path is found once, if at all.
        let mut relative: Option<RelativePath<'_>> = None;
        'each: for mut d in diagnostics {
            if relative.as_ref().is_none_or(|r| r.file() != d.file) {
                relative = Some(RelativePath::new(config, &d.file));
            }
            let rel = relative.as_mut().expect("set above");
            if let Some(level) = config.level_at(d.code(), rel) {
                match level.severity() {
                    Some(s) => d.severity = s,
                    None => continue,
                }
            }
            for (i, ig) in config.ignores.iter().enumerate() {
                if ig.rule != d.code() || ig.module.is_some_and(|m| d.module_id != Some(m)) {
                    continue;
                }
                if ig.paths.as_ref().is_none_or(|p| p.is_match(rel.get())) {
                    self.ignore_hits[i] += 1;
                    self.ignored += 1;
                    continue 'each;
                }
            }
            if self.baseline.is_some() {
                if let Some(n) = self.remaining.get_mut(fingerprint(&d).as_str()) {
                    if *n > 0 {
                        *n -= 1;
                        self.baselined.push(d);
                        continue;
                    }
                }
            }
            kept.push(d);
        }
        kept
    }

    /// What spans the files: `kept` holds the findings about ignore entries that matched
    /// nothing.
    pub fn finish(self) -> Filtered {
        let config = self.config;
        let mut out = Filtered {
            ignored: self.ignored,
            baselined: self.baselined,
            baseline_fixed: self.remaining.values().sum(),
            ..Filtered::default()
        };
        let config_name = config
            .path
            .as_deref()
            .map(crate::config::display_path)
            .unwrap_or_else(|| "bplint.toml".into());
        for (ig, hits) in config.ignores.iter().zip(self.ignore_hits) {
            if hits == 0 {
                out.kept.push(Diagnostic::new(
                    unused_ignore::finding(&ig.rule, ig.line, &ig.reason, ig.location.span),
                    &config_name,
                    Some(ig.location.clone()),
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Finding;
    use crate::json::Span;
    use crate::rules::offline::connection_placeholder::ConnectionPlaceholder;

    fn diag(file: &str, pointer: &str, message: &str, start: u32) -> Diagnostic {
        let mut f = Finding::new(
            &ConnectionPlaceholder::META,
            Span {
                start,
                end: start + 1,
            },
            message,
        );
        f.pointer = Some(pointer.into());
        Diagnostic::new(f, file, None)
    }

    #[test]
    fn fingerprints_ignore_positions_and_digits_but_not_places() {
        let a = diag("a.json", "/flow/0", "placeholder <CONN_01>", 10);
        let moved = diag("a.json", "/flow/0", "placeholder <CONN_02>", 900);
        let elsewhere = diag("a.json", "/flow/1", "placeholder <CONN_01>", 10);
        assert_eq!(fingerprint(&a), fingerprint(&moved));
        assert_ne!(fingerprint(&a), fingerprint(&elsewhere));
    }

    #[test]
    fn baseline_hides_known_findings_and_counts_fixed_ones() {
        let old = vec![
            diag("a.json", "/flow/0", "x", 1),
            diag("a.json", "/flow/3", "y", 2),
        ];
        let b = Baseline::of(&old);
        let now = vec![
            diag("a.json", "/flow/0", "x", 50),
            diag("a.json", "/flow/9", "new", 60),
        ];
        let f = apply(now, &Config::default(), Some(&b));
        assert_eq!(f.kept.len(), 1);
        assert_eq!(f.kept[0].pointer.as_deref(), Some("/flow/9"));
        assert_eq!(f.baselined.len(), 1);
        assert_eq!(f.baselined[0].pointer.as_deref(), Some("/flow/0"));
        assert_eq!(f.baseline_fixed, 1);
    }
}

//! `--format compact`: one greppable line per finding, `path:line:col: severity CODE message`.

use super::{Diagnostic, Report};

pub fn line(d: &Diagnostic) -> String {
    let (line, col) = d
        .location
        .as_ref()
        .map_or((1, 1), |l| (l.start.line, l.start.column));
    format!(
        "{}:{}:{}: {} {} {}\n",
        d.file,
        line,
        col,
        d.severity,
        d.code(),
        d.message
    )
}

pub fn render(report: &Report<'_>) -> String {
    let mut out: String = report.diagnostics.iter().map(line).collect();
    out.push_str(&errors(report.errors));
    out
}

/// The run errors, after the findings.
pub fn errors(errors: &[String]) -> String {
    errors.iter().map(|e| format!("error: {e}\n")).collect()
}

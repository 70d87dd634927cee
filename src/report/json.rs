//! `--format json`: a stable, versioned schema, decoupled from the internal types on purpose.
//!
//! ```json
//! { "version": 1,
//!   "tool": { "name": "bplint", "version": "0.1.0" },
//!   "findings": [ { "code": "BP011", "name": "connection-placeholder", "severity": "warning",
//!                   "message": "...", "help": "...", "file": "a.json",
//!                   "span": { "start": 120, "end": 131 },
//!                   "start": { "line": 7, "column": 24 }, "end": { "line": 7, "column": 35 },
//!                   "pointer": "/flow/0/parameters/__IMTCONN__", "module_id": 1,
//!                   "module_name": "slack:CreateMessage" } ],
//!   "summary": { "files": 1, "blueprints": 1, "skipped": 0, "modules": 3, "references": 2,
//!                "errors": 0, "warnings": 1, "infos": 0, "unchecked": [], "requests": 0,
//!                "by_rule": { "BP011": 1 }, "hidden": 0 },
//!   "errors": [] }
//! ```
//! Byte spans are offsets into the file as stored (a UTF-8 BOM counts); lines and columns are
//! 1-based, columns count Unicode scalar values.

use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};

use super::{Diagnostic, Report, Summary};
use crate::json::Span;
use crate::report::Position;

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    tool: Tool,
    /// Written one by one from the diagnostics: no per-finding structure is kept.
    findings: Findings<'a>,
    summary: &'a Summary,
    errors: &'a [String],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
pub struct FindingV1<'a> {
    code: &'a str,
    name: &'a str,
    severity: &'a str,
    message: &'a str,
    help: Option<&'a str>,
    file: &'a str,
    span: Option<Span>,
    start: Option<Position>,
    end: Option<Position>,
    pointer: Option<&'a str>,
    module_id: Option<i64>,
    module_name: Option<&'a str>,
}

impl<'a> FindingV1<'a> {
    pub fn from(d: &'a Diagnostic) -> Self {
        FindingV1 {
            code: d.code(),
            name: d.name(),
            severity: d.severity.as_str(),
            message: &d.message,
            help: d.help.as_deref(),
            file: &d.file,
            span: d.location.as_ref().map(|l| l.span),
            start: d.location.as_ref().map(|l| l.start),
            end: d.location.as_ref().map(|l| l.end),
            pointer: d.pointer.as_deref(),
            module_id: d.module_id,
            module_name: d.module_name.as_deref(),
        }
    }
}

struct Findings<'a>(&'a [Diagnostic]);

impl Serialize for Findings<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for d in self.0 {
            seq.serialize_element(&FindingV1::from(d))?;
        }
        seq.end()
    }
}

pub fn render(report: &Report<'_>) -> String {
    super::rendered_json(report, write)
}

/// [`render`] into a writer, without the document in memory: the same bytes.
pub fn write(report: &Report<'_>, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &output(report))?;
    out.write_all(b"\n")
}

fn output<'a>(report: &'a Report<'a>) -> Output<'a> {
    Output {
        version: 1,
        tool: Tool {
            name: "bplint",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: Findings(report.diagnostics),
        summary: report.summary,
        errors: report.errors,
    }
}

//! `--format human`: miette's graphical reports, one per finding, then the summary.

use std::fmt;

use miette::{LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use super::{Diagnostic, Excerpt, Position, Report};
use crate::finding::Severity;

/// Serves the stored excerpt to miette with the file's real line numbers.
struct ExcerptSource<'a> {
    name: &'a str,
    excerpt: &'a Excerpt,
    primary: Position,
}

impl SourceCode for ExcerptSource<'_> {
    fn read_span<'b>(
        &'b self,
        _span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let text = self.excerpt.text.as_bytes();
        let whole = SourceSpan::new((self.excerpt.offset as usize).into(), text.len());
        // miette asks with no context lines to learn where the primary label starts.
        let at = if before == 0 && after == 0 {
            self.primary
        } else {
            self.excerpt.start
        };
        let lines = self.excerpt.text.lines().count().max(1);
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_string(),
            text,
            whole,
            at.line.saturating_sub(1) as usize,
            at.column.saturating_sub(1) as usize,
            lines,
        )))
    }
}

struct Rendered<'a> {
    d: &'a Diagnostic,
    source: Option<ExcerptSource<'a>>,
    headline: String,
}

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.headline)
    }
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.headline)
    }
}

impl std::error::Error for Rendered<'_> {}

impl miette::Diagnostic for Rendered<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!("{}({})", self.d.code(), self.d.name())))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.d
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let loc = self.d.location.as_ref()?;
        let ex = &loc.excerpt;
        let lo = ex.offset as usize;
        let hi = lo + ex.text.len();
        let start = (loc.span.start as usize).clamp(lo, hi);
        let end = (loc.span.end as usize).clamp(start, hi);
        let primary = LabeledSpan::new_primary_with_span(
            self.d.label.as_ref().map(|l| l.to_string()),
            SourceSpan::new(start.into(), end - start),
        );
        // Related places inside the excerpt get a label of their own; the message names
        // every one of them with its line and column anyway.
        let related = self.d.related.iter().filter_map(move |r| {
            let (s, e) = (r.location.span.start as usize, r.location.span.end as usize);
            (s >= lo && e <= hi && s <= e)
                .then(|| LabeledSpan::new_with_span(Some(r.label.clone()), (s, e - s)))
        });
        Some(Box::new(std::iter::once(primary).chain(related)))
    }
}

pub fn render(report: &Report<'_>, color: bool) -> String {
    let handler = crate::draw::handler(color, 120);
    let mut out = String::new();
    for d in report.diagnostics {
        finding(&handler, d, &mut out);
    }
    tail(report, &mut out);
    out
}

/// One finding's report, for runs that print findings as files finish.
pub fn finding(handler: &miette::GraphicalReportHandler, d: &Diagnostic, out: &mut String) {
    let rendered = Rendered {
        d,
        source: d.location.as_ref().map(|l| ExcerptSource {
            name: &d.file,
            excerpt: &l.excerpt,
            primary: l.start,
        }),
        headline: match &d.location {
            Some(_) => d.message.clone(),
            None => format!("{}: {}", d.file, d.message),
        },
    };
    if handler.render_report(out, &rendered).is_err() {
        out.push_str(&super::compact::line(d));
    }
    out.push('\n');
}

/// What follows the findings: run errors, the per-rule line and the summary.
pub fn tail(report: &Report<'_>, out: &mut String) {
    errors(report.errors, out);
    summary(report.summary, out);
}

pub fn errors(errors: &[String], out: &mut String) {
    for e in errors {
        out.push_str(&format!("error: {e}\n"));
    }
}

/// The per-rule line and the summary line (what `--quiet` leaves out).
pub fn summary(summary: &super::Summary, out: &mut String) {
    if let Some(rules) = summary.rules_line() {
        out.push_str(&rules);
        out.push('\n');
    }
    out.push_str(&summary.line());
    out.push('\n');
}

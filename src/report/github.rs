//! `--format github`: GitHub Actions workflow commands, one per finding, which the runner turns
//! into annotations on the files of a pull request:
//!
//! ```text
//! ::error file=a.json,line=7,col=24,endLine=7,endColumn=35,title=BP011 connection-placeholder::message
//! ```
//!
//! Errors are `::error`, warnings `::warning`, info `::notice`. Columns are given only when the
//! finding starts and ends on one line (GitHub drops them otherwise); `endColumn` is the column
//! just past the span, as in the JSON output. Run-level errors are `::error::message`. Nothing but
//! commands is printed.

use super::{Diagnostic, Report};
use crate::finding::Severity;

/// Escapes a command's message (the part after `::`).
pub fn escape_data(s: &str) -> String {
    escape(s, false)
}

/// Escapes a property value (`file=`, `title=`, ...): as data, plus `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, property: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' if property => out.push_str("%3A"),
            ',' if property => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

pub fn line(d: &Diagnostic) -> String {
    let mut props = vec![format!("file={}", escape_property(&d.file))];
    if let Some(l) = &d.location {
        props.push(format!("line={}", l.start.line));
        if l.start.line == l.end.line {
            props.push(format!("col={}", l.start.column));
        }
        props.push(format!("endLine={}", l.end.line));
        if l.start.line == l.end.line {
            props.push(format!("endColumn={}", l.end.column));
        }
    }
    props.push(format!(
        "title={}",
        escape_property(&format!("{} {}", d.code(), d.name()))
    ));
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{} {}::{}\n",
        command(d.severity),
        props.join(","),
        escape_data(&message)
    )
}

pub fn render(report: &Report<'_>) -> String {
    let mut out: String = report.diagnostics.iter().map(line).collect();
    out.push_str(&errors(report.errors));
    out
}

/// The run errors, after the findings.
pub fn errors(errors: &[String]) -> String {
    errors
        .iter()
        .map(|e| format!("::error::{}\n", escape_data(e)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Span;
    use crate::report::Summary;
    use crate::report::testing::{diagnostic, on_line};
    use crate::rules::offline::connection_placeholder::ConnectionPlaceholder;

    fn diag(severity: Severity, file: &str, message: &str) -> Diagnostic {
        let mut d = diagnostic(&ConnectionPlaceholder::META, file, "");
        // Raw, not cleaned: the escaping is what is tested.
        d.message = message.to_string();
        d.severity = severity;
        d.location = Some(on_line(Span::new(120, 131), 7, 24, 35));
        d
    }

    #[test]
    fn data_escapes_percent_and_newlines_properties_also_colon_and_comma() {
        // (text, escaped as data, escaped as a property)
        let cases = [
            ("100% done", "100%25 done", "100%25 done"),
            ("a\r\nb\nc", "a%0D%0Ab%0Ac", "a%0D%0Ab%0Ac"),
            ("a:b,c::d", "a:b,c::d", "a%3Ab%2Cc%3A%3Ad"),
            // Already-escaped text is escaped again, not passed through.
            ("%0A", "%250A", "%250A"),
            ("50%,\n", "50%25,%0A", "50%25%2C%0A"),
            ("dir/é b.json", "dir/é b.json", "dir/é b.json"),
        ];
        for (text, data, property) in cases {
            assert_eq!(escape_data(text), data, "{text:?}");
            assert_eq!(escape_property(text), property, "{text:?}");
        }
    }

    #[test]
    fn commands_by_severity_with_escaped_parts() {
        let d = diag(
            Severity::Warning,
            "my,dir/a:b.json",
            "holds `<X>`: 50%\nnext",
        );
        assert_eq!(
            line(&d),
            "::warning file=my%2Cdir/a%3Ab.json,line=7,col=24,endLine=7,endColumn=35,\
             title=BP011 connection-placeholder::holds `<X>`: 50%25%0Anext\n"
        );
        assert!(line(&diag(Severity::Error, "a", "m")).starts_with("::error file=a,"));
        assert!(line(&diag(Severity::Info, "a", "m")).starts_with("::notice file=a,"));
    }

    #[test]
    fn multi_line_spans_drop_columns_and_whole_file_findings_have_no_line() {
        let mut d = diag(Severity::Error, "a.json", "m");
        if let Some(l) = d.location.as_mut() {
            l.end.line = 9;
        }
        assert_eq!(
            line(&d),
            "::error file=a.json,line=7,endLine=9,title=BP011 connection-placeholder::m\n"
        );
        d.location = None;
        d.help = Some("do this".into());
        assert_eq!(
            line(&d),
            "::error file=a.json,title=BP011 connection-placeholder::m%0Ahelp: do this\n"
        );
    }

    #[test]
    fn run_errors_are_bare_error_commands() {
        let summary = Summary::default();
        let errors = vec!["API down: 503\nretry later".to_string()];
        let report = Report {
            diagnostics: &[],
            summary: &summary,
            errors: &errors,
            suppressed: &[],
            baseline: None,
            rules: &crate::rules::RuleSet::builtin(),
        };
        assert_eq!(render(&report), "::error::API down: 503%0Aretry later\n");
    }
}

//! `--format junit`: JUnit XML for GitLab's unit test report, Jenkins and other CI test widgets.
//!
//! One `<testsuite name="bplint">`; one `<testcase>` per finding, with the file as `classname`
//! (and `file` attribute) and `CODE rule-name at line:col` as its name. Errors and warnings are
//! `<failure type="CODE" message="compact line">` whose text holds the message, help, pointer
//! and module; info findings are passing test cases with the same text in `<system-out>`. A
//! checked file with no finding is one passing test case, `no findings`, so a clean run still
//! counts its files. Run-level errors are `<error>` test cases of class `bplint`.
//!
//! One test case per finding rather than one per file: GitLab shows the text of a test case's
//! single `<failure>` as its details and lists each failed test case by name in the merge request
//! widget, so every finding gets its own line and details; several `<failure>`s in one test case
//! are not shown separately by GitLab or Jenkins.

use std::collections::BTreeMap;

use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use super::{Diagnostic, Report};
use crate::finding::Severity;

const SUITE: &str = "bplint";

fn name(d: &Diagnostic) -> String {
    match &d.location {
        Some(l) => format!(
            "{} {} at {}:{}",
            d.code(),
            d.name(),
            l.start.line,
            l.start.column
        ),
        None => format!("{} {}", d.code(), d.name()),
    }
}

/// What a finding says, in full, as test output.
fn details(d: &Diagnostic) -> String {
    let mut out = format!("{}\n", d.message);
    if let Some(help) = &d.help {
        out.push_str(&format!("help: {help}\n"));
    }
    let at = match &d.location {
        Some(l) => format!("{}:{}:{}", d.file, l.start.line, l.start.column),
        None => d.file.clone(),
    };
    out.push_str(&format!("at: {at}\n"));
    if let Some(p) = &d.pointer {
        out.push_str(&format!("pointer: {p}\n"));
    }
    match (d.module_id, &d.module_name) {
        (Some(id), Some(m)) => out.push_str(&format!("module: {id} {m}\n")),
        (Some(id), None) => out.push_str(&format!("module: {id}\n")),
        (None, Some(m)) => out.push_str(&format!("module: {m}\n")),
        (None, None) => {}
    }
    out.push_str(&format!(
        "rule: {} {} (bplint explain {})\n",
        d.code(),
        d.name(),
        d.code()
    ));
    out
}

fn case(name: String, file: &str, status: TestCaseStatus) -> TestCase {
    let mut case = TestCase::new(name, status);
    case.set_classname(file);
    case.extra.insert("file".into(), file.into());
    case
}

fn finding_case(d: &Diagnostic) -> TestCase {
    let text = details(d);
    if d.severity >= Severity::Warning {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_type(d.code())
            .set_message(super::compact::line(d).trim_end())
            .set_description(text);
        case(name(d), &d.file, status)
    } else {
        let mut c = case(name(d), &d.file, TestCaseStatus::success());
        c.set_system_out(text);
        c
    }
}

pub fn report(report: &Report<'_>) -> JunitReport {
    let mut suite = TestSuite::new(SUITE);
    // Each file's findings in their order, grouped once (not one scan of every finding per
    // file).
    let mut files: BTreeMap<&str, Vec<&Diagnostic>> = report
        .summary
        .checked
        .iter()
        .map(|f| (f.as_str(), Vec::new()))
        .collect();
    for d in report.diagnostics {
        files.entry(d.file.as_str()).or_default().push(d);
    }
    for (file, found) in files {
        if found.is_empty() {
            suite.add_test_case(case("no findings".into(), file, TestCaseStatus::success()));
        }
        suite.add_test_cases(found.into_iter().map(finding_case));
    }
    for (i, e) in report.errors.iter().enumerate() {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status
            .set_type("run-error")
            .set_message(e.as_str())
            .set_description(e.as_str());
        let mut c = TestCase::new(format!("run error {}", i + 1), status);
        c.set_classname(SUITE);
        suite.add_test_case(c);
    }
    let mut out = JunitReport::new(SUITE);
    out.add_test_suite(suite);
    out
}

pub fn render(r: &Report<'_>) -> String {
    let mut out = Vec::new();
    match serialize(r, &mut out) {
        Ok(()) => String::from_utf8(out).unwrap_or_default(),
        Err(e) => not_written(&e),
    }
}

/// [`render`] into a writer, without the XML text in memory: the same bytes.
pub fn write(r: &Report<'_>, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    match serialize(r, out) {
        Ok(()) => Ok(()),
        Err(e) => out.write_all(not_written(&e).as_bytes()),
    }
}

/// The report as XML, with what XML does not allow replaced on the way ([`XmlSafe`]).
fn serialize(r: &Report<'_>, out: &mut dyn std::io::Write) -> Result<(), String> {
    let mut safe = XmlSafe {
        inner: out,
        partial: Vec::new(),
    };
    report(r).serialize(&mut safe).map_err(|e| e.to_string())?;
    safe.finish().map_err(|e| e.to_string())
}

fn not_written(e: &str) -> String {
    format!("<!-- bplint: could not write JUnit XML: {e} -->\n")
}

/// Whether XML 1.0 allows `c`: no C0 control but tab, line feed and carriage return, and
/// neither U+FFFE nor U+FFFF; one of them anywhere makes GitLab and Jenkins drop the whole
/// report. Texts are neutralized before they get here; this is the last line of defence for
/// what was not.
fn xml_allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        || c >= '\u{10000}'
}

/// Characters XML does not allow ([`xml_allowed`]) become U+FFFD on the way to `inner`. A
/// character split across two writes waits for its last bytes.
struct XmlSafe<'w> {
    inner: &'w mut dyn std::io::Write,
    partial: Vec<u8>,
}

impl XmlSafe<'_> {
    fn pass(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let mut rest = bytes;
        while !rest.is_empty() {
            let (valid, bad) = match std::str::from_utf8(rest) {
                Ok(text) => (text, 0),
                Err(e) => {
                    // Only complete characters are written; an incomplete one at the end waits.
                    let (good, after) = rest.split_at(e.valid_up_to());
                    let text = std::str::from_utf8(good).unwrap_or_default();
                    match e.error_len() {
                        Some(n) => (text, n),
                        None => {
                            self.write_text(text)?;
                            self.partial.extend_from_slice(after);
                            return Ok(());
                        }
                    }
                }
            };
            self.write_text(valid)?;
            if bad > 0 {
                self.inner.write_all("\u{fffd}".as_bytes())?;
            }
            rest = &rest[valid.len() + bad..];
        }
        Ok(())
    }

    fn write_text(&mut self, text: &str) -> std::io::Result<()> {
        if text.chars().all(xml_allowed) {
            return self.inner.write_all(text.as_bytes());
        }
        let safe: String = text
            .chars()
            .map(|c| if xml_allowed(c) { c } else { '\u{fffd}' })
            .collect();
        self.inner.write_all(safe.as_bytes())
    }

    /// Writes what is still waiting (an incomplete character as U+FFFD) and flushes.
    fn finish(&mut self) -> std::io::Result<()> {
        if !self.partial.is_empty() {
            self.partial.clear();
            self.inner.write_all("\u{fffd}".as_bytes())?;
        }
        self.inner.flush()
    }
}

impl std::io::Write for XmlSafe<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.partial.is_empty() {
            self.pass(buf)?;
        } else {
            let mut joined = std::mem::take(&mut self.partial);
            joined.extend_from_slice(buf);
            self.pass(&joined)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Summary;
    use crate::report::testing::diagnostic;
    use crate::rules::offline::hardcoded_secret::HardcodedSecret;

    fn diag(severity: Severity, file: &str, message: &str) -> Diagnostic {
        let mut d = diagnostic(&HardcodedSecret::META, file, message);
        d.severity = severity;
        d.help = Some("use a keychain".into());
        d.pointer = Some("/flow/0".into());
        d.module_id = Some(1);
        d.module_name = Some("http:ActionSendData".into());
        d
    }

    #[test]
    fn clean_files_pass_findings_fail_and_markup_is_escaped() {
        let summary = Summary {
            checked: vec!["clean.json".into(), "a&b.json".into()],
            ..Summary::default()
        };
        let diagnostics = vec![
            diag(
                Severity::Error,
                "a&b.json",
                "header <Authorization> & \"quotes\"",
            ),
            diag(Severity::Info, "a&b.json", "fyi"),
        ];
        let errors = vec!["API unreachable".to_string()];
        let r = Report {
            diagnostics: &diagnostics,
            summary: &summary,
            errors: &errors,
            suppressed: &[],
            baseline: None,
            rules: &crate::rules::RuleSet::builtin(),
        };
        let xml = render(&r);
        let back = JunitReport::deserialize_from_str(&xml).expect("valid JUnit XML");
        assert_eq!(back.tests, 4);
        assert_eq!(back.failures, 1);
        assert_eq!(back.errors, 1);
        let suite = &back.test_suites[0];
        assert_eq!(suite.name.as_str(), "bplint");
        let failed = &suite.test_cases[0];
        assert_eq!(failed.classname.as_ref().unwrap().as_str(), "a&b.json");
        match &failed.status {
            TestCaseStatus::NonSuccess {
                message,
                ty,
                description,
                ..
            } => {
                assert_eq!(ty.as_ref().unwrap().as_str(), "BP020");
                assert!(
                    message
                        .as_ref()
                        .unwrap()
                        .as_str()
                        .starts_with("a&b.json:1:1: error BP020")
                );
                assert!(
                    description
                        .as_ref()
                        .unwrap()
                        .as_str()
                        .contains("<Authorization>")
                );
            }
            other => panic!("not a failure: {other:?}"),
        }
        assert!(xml.contains("a&amp;b.json"), "{xml}");
        assert!(xml.contains("&lt;Authorization&gt;"), "{xml}");
        assert_eq!(suite.test_cases[2].name.as_str(), "no findings");
    }

    #[test]
    fn the_streaming_writer_gives_the_bytes_of_render() {
        let diags = vec![
            diag(Severity::Error, "a.json", "bad \u{1b} text \u{fffe} é"),
            diag(Severity::Info, "b.json", "fine 日本"),
        ];
        let summary = Summary::default();
        let rules = crate::rules::RuleSet::builtin();
        let r = Report {
            diagnostics: &diags,
            summary: &summary,
            errors: &[],
            suppressed: &[],
            baseline: None,
            rules: &rules,
        };
        let mut out = Vec::new();
        write(&r, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), render(&r));
        // A character split between writes, and bytes XML does not allow.
        let mut sink = Vec::new();
        let mut safe = XmlSafe {
            inner: &mut sink,
            partial: Vec::new(),
        };
        let text = "a\u{7}é日\u{1F600}z".as_bytes();
        for chunk in text.chunks(1) {
            std::io::Write::write_all(&mut safe, chunk).unwrap();
        }
        safe.finish().unwrap();
        assert_eq!(String::from_utf8(sink).unwrap(), "a\u{fffd}é日\u{1F600}z");
    }
}

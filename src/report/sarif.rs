//! `--format sarif`: SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
//!
//! One run; `tool.driver.rules` lists every rule of the run's rule set (built-in, shipped
//! declarative, `--rules` packs), in `bplint rules` order, with its summary, the "What it does"
//! paragraph as full description, the whole docs (what `bplint explain` prints) as help, and for
//! the rules bplint ships a `helpUri` to their section of docs/rules.md (a team's own rules have
//! no page of bplint's to point at). Each finding is a result
//! with a physical location whose URI is the file's path as printed, percent-encoded, relative to
//! where bplint ran. Columns count Unicode code points (`columnKind: unicodeCodePoints`) and
//! `endColumn` is the column just past the region, as in the JSON output. Findings about a whole
//! file get a location with no region. Run-level errors become
//! `invocations[0].toolExecutionNotifications`, and make `executionSuccessful` false.
//!
//! Findings the baseline (`check --baseline`) has are results too, with an external
//! suppression: code scanning then keeps them as suppressed alerts with their history, instead
//! of closing them as fixed because they vanished from the log.
//!
//! `partialFingerprints["bplintFingerprint/v1"]` identifies a finding across runs without line
//! numbers: an FNV-1a 64-bit hash of the code, the file, the JSON pointer (or the module id) and
//! the message with digit runs and whitespace normalized (so "expires in 7 day(s)" stays the same
//! finding tomorrow).
//!
//! Built with `serde-sarif`'s generated types, which follow the schema field for field. The
//! results are written one by one as the log is printed ([`render`]), each built from its
//! diagnostic and dropped once written, so no per-finding tree is kept; [`log`] builds the
//! same log as one value.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};
use serde_json::{Value, json};
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location as SarifLocation, Message, MultiformatMessageString,
    Notification, PhysicalLocation, PropertyBag, Region, ReportingConfiguration,
    ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif, Suppression, Tool,
    ToolComponent,
};

use super::{Diagnostic, Report};
use crate::finding::fingerprint::uri_of;
use crate::finding::{RuleMeta, Severity};
use crate::rules::{RuleSet, declarative};

/// The `$schema` written into the log.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The key of bplint's entry in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "bplintFingerprint/v1";
/// The page documenting every rule bplint ships, one section per rule (docs/rules.md).
pub const RULES_DOC_URL: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/rules.md");

/// The anchor of a rule's section in docs/rules.md: GitHub's slug of its `## CODE name` heading.
pub fn rule_anchor(meta: &RuleMeta) -> String {
    format!("{}-{}", meta.code.to_ascii_lowercase(), meta.name)
}

/// The rules bplint ships: the built-in ones and `rules/builtin/*.toml`, each documented in
/// docs/rules.md.
pub fn shipped_rules() -> RuleSet {
    // The shipped files compile (tests/declarative.rs); without them the page still has the rest.
    declarative::load(RuleSet::builtin(), &[], true).unwrap_or_default()
}

/// The page and section documenting `meta`, when it is a rule bplint ships (also when a team's
/// rule folder `extends` it under the same code and name); a team's own rules are documented
/// by the team, not on bplint's page.
pub fn help_uri(meta: &RuleMeta) -> Option<String> {
    static SHIPPED: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    let shipped = SHIPPED.get_or_init(|| {
        shipped_rules()
            .metas()
            .iter()
            .map(|(m, _)| (m.code, m.name))
            .collect()
    });
    shipped
        .contains(&(meta.code, meta.name))
        .then(|| format!("{RULES_DOC_URL}#{}", rule_anchor(meta)))
}

fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
        Severity::Info => ResultLevel::Note,
    }
}

fn level_value(severity: Severity) -> Value {
    Value::String(level(severity).to_string())
}

fn text(s: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(s).build()
}

/// The "What it does" section of a rule's docs as one paragraph, or else its summary.
fn what_it_does(meta: &RuleMeta, docs: &str) -> String {
    let Some((_, rest)) = docs.split_once("## What it does") else {
        return meta.summary.to_string();
    };
    let section = rest.split("\n## ").next().unwrap_or_default();
    let paragraph = section.split_whitespace().collect::<Vec<_>>().join(" ");
    if paragraph.is_empty() {
        meta.summary.to_string()
    } else {
        paragraph
    }
}

fn descriptor(meta: &RuleMeta) -> ReportingDescriptor {
    let docs = meta.docs_markdown();
    let mut d = ReportingDescriptor::builder()
        .id(meta.code)
        .name(meta.name)
        .short_description(text(meta.summary))
        .full_description(text(&what_it_does(meta, &docs)))
        .help(
            MultiformatMessageString::builder()
                .text(docs.as_str())
                .markdown(docs.as_str())
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(level_value(meta.severity))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(vec![meta.kind.as_str().to_string()])
                .build(),
        )
        .build();
    d.help_uri = help_uri(meta);
    d
}

fn driver(metas: &[(&'static RuleMeta, String)]) -> ToolComponent {
    let rules: Vec<ReportingDescriptor> = metas.iter().map(|(m, _)| descriptor(m)).collect();
    let repository = env!("CARGO_PKG_REPOSITORY");
    let mut driver = ToolComponent::builder()
        .name("bplint")
        .version(env!("CARGO_PKG_VERSION"))
        .rules(rules)
        .build();
    if !repository.is_empty() {
        driver.information_uri = Some(repository.to_string());
    }
    driver
}

fn location(d: &Diagnostic) -> SarifLocation {
    let artifact = ArtifactLocation::builder().uri(uri_of(&d.file)).build();
    let physical = match &d.location {
        Some(l) => PhysicalLocation::builder()
            .artifact_location(artifact)
            .region(
                Region::builder()
                    .start_line(i64::from(l.start.line))
                    .start_column(i64::from(l.start.column))
                    .end_line(i64::from(l.end.line))
                    .end_column(i64::from(l.end.column))
                    .byte_offset(i64::from(l.span.start))
                    .byte_length(i64::from(l.span.end.saturating_sub(l.span.start)))
                    .build(),
            )
            .build(),
        None => PhysicalLocation::builder()
            .artifact_location(artifact)
            .build(),
    };
    SarifLocation::builder().physical_location(physical).build()
}

fn properties(d: &Diagnostic) -> Option<PropertyBag> {
    let mut bag = BTreeMap::new();
    if let Some(p) = &d.pointer {
        bag.insert("pointer".to_string(), json!(p));
    }
    if let Some(id) = d.module_id {
        bag.insert("moduleId".to_string(), json!(id));
    }
    if let Some(name) = &d.module_name {
        bag.insert("moduleName".to_string(), json!(name));
    }
    if let Some(help) = &d.help {
        bag.insert("help".to_string(), json!(help));
    }
    (!bag.is_empty()).then(|| PropertyBag::builder().additional_properties(bag).build())
}

fn result(d: &Diagnostic, metas: &[(&'static RuleMeta, String)]) -> SarifResult {
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(FINGERPRINT_KEY.to_string(), d.fingerprint());
    let mut r = SarifResult::builder()
        .rule_id(d.code())
        .level(level(d.severity))
        .message(Message::from(d.message.as_str()))
        .locations(vec![location(d)])
        .partial_fingerprints(fingerprints)
        .build();
    r.rule_index = metas
        .iter()
        .position(|(m, _)| m.code == d.code())
        .map(|i| i as i64);
    r.properties = properties(d);
    r
}

fn invocation(errors: &[String]) -> Invocation {
    let notifications: Vec<Notification> = errors
        .iter()
        .map(|e| {
            Notification::builder()
                .level(level_value(Severity::Error))
                .message(Message::from(e.as_str()))
                .build()
        })
        .collect();
    let mut inv = Invocation::builder()
        .execution_successful(errors.is_empty())
        .build();
    if !notifications.is_empty() {
        inv.tool_execution_notifications = Some(notifications);
    }
    inv
}

/// A baselined finding: a result code scanning shows as suppressed, not as fixed.
fn suppressed_result(
    d: &Diagnostic,
    metas: &[(&'static RuleMeta, String)],
    baseline: &str,
) -> SarifResult {
    let mut r = result(d, metas);
    r.suppressions = Some(vec![
        Suppression::builder()
            .kind(json!("external"))
            .justification(format!("in baseline {baseline}"))
            .build(),
    ]);
    r
}

/// The SARIF log as a value (the renderer's output, before printing).
pub fn log(report: &Report<'_>) -> Sarif {
    let metas = report.rules.metas();
    let baseline = report.baseline.unwrap_or("file");
    let results: Vec<SarifResult> = report
        .diagnostics
        .iter()
        .map(|d| result(d, &metas))
        .chain(
            report
                .suppressed
                .iter()
                .map(|d| suppressed_result(d, &metas, baseline)),
        )
        .collect();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver(&metas)).build())
        .results(results)
        .invocations(vec![invocation(report.errors)])
        .column_kind(json!("unicodeCodePoints"))
        .build();
    Sarif::builder()
        .schema(SCHEMA_URI)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build()
}

/// The log as [`render`] prints it: the fields of `Sarif` and `Run` bplint sets, in the order
/// serde-sarif writes them (`log` must give the same text; tested).
#[derive(Serialize)]
struct LogOut<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [RunOut<'a>; 1],
    version: &'static str,
}

#[derive(Serialize)]
struct RunOut<'a> {
    #[serde(rename = "columnKind")]
    column_kind: &'static str,
    invocations: [Invocation; 1],
    results: Results<'a>,
    tool: Tool,
}

/// The results, each built only while it is written.
struct Results<'a> {
    report: &'a Report<'a>,
    metas: &'a [(&'static RuleMeta, String)],
}

impl Serialize for Results<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let r = self.report;
        let baseline = r.baseline.unwrap_or("file");
        let mut seq = s.serialize_seq(Some(r.diagnostics.len() + r.suppressed.len()))?;
        for d in r.diagnostics {
            seq.serialize_element(&result(d, self.metas))?;
        }
        for d in r.suppressed {
            seq.serialize_element(&suppressed_result(d, self.metas, baseline))?;
        }
        seq.end()
    }
}

pub fn render(report: &Report<'_>) -> String {
    super::rendered_json(report, write)
}

/// [`render`] into a writer, without the document in memory: results are serialised one at
/// a time as the writer takes them.
pub fn write(report: &Report<'_>, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let metas = report.rules.metas();
    let out = LogOut {
        schema: SCHEMA_URI,
        runs: [RunOut {
            column_kind: "unicodeCodePoints",
            invocations: [invocation(report.errors)],
            results: Results {
                report,
                metas: &metas,
            },
            tool: Tool::builder().driver(driver(&metas)).build(),
        }],
        version: "2.1.0",
    };
    serde_json::to_writer_pretty(&mut *w, &out)?;
    w.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::fingerprint::fnv1a64;

    fn fingerprint(d: &Diagnostic) -> String {
        d.fingerprint()
    }
    use crate::json::Span;
    use crate::report::Summary;
    use crate::report::testing::{diagnostic, on_line};
    use crate::rules::live::{expired::ConnectionExpired, expiring_soon::ConnectionExpiringSoon};

    fn diag(file: &str, message: &str, pointer: Option<&str>) -> Diagnostic {
        let mut d = diagnostic(&ConnectionExpiringSoon::META, file, message);
        d.pointer = pointer.map(str::to_string);
        d.module_id = Some(3);
        d
    }

    #[test]
    fn uris_are_relative_and_percent_encoded() {
        let cases = [
            ("fixtures/demo/a.json", "fixtures/demo/a.json"),
            ("./my dir/a b.json", "my%20dir/a%20b.json"),
            ("a%b#c?d.json", "a%25b%23c%3Fd.json"),
            ("c:d.json", "c%3Ad.json"),
            ("é.json", "%C3%A9.json"),
            ("<stdin>", "%3Cstdin%3E"),
            ("/tmp/x y.json", "file:///tmp/x%20y.json"),
        ];
        for (path, uri) in cases {
            assert_eq!(uri_of(path), uri, "{path}");
        }
    }

    #[test]
    fn fnv1a_matches_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn fingerprints_ignore_lines_and_drifting_numbers() {
        let p = Some("/flow/0/parameters/__IMTCONN__");
        let mut a = diag("a.json", "connection 1006 expires in 7 day(s)", p);
        let b = diag("a.json", "connection  1006 expires in 6 day(s)", p);
        let first = fingerprint(&a);
        assert_eq!(first.len(), 16);
        a.location = Some(on_line(Span::new(10, 14), 9, 3, 7));
        assert_eq!(fingerprint(&a), first, "lines are not part of it");
        assert_eq!(fingerprint(&b), first, "numbers and spacing are normalized");
        assert_ne!(fingerprint(&diag("b.json", &a.message, p)), first);
        assert_ne!(
            fingerprint(&diag("a.json", &a.message, Some("/flow/1"))),
            first
        );
        let mut other = a.clone();
        other.rule = &ConnectionExpired::META;
        assert_ne!(fingerprint(&other), first);
    }

    /// `render` writes the results one by one; the text is the whole `log` printed.
    #[test]
    fn the_streamed_log_is_the_log() {
        let mut a = diag("a.json", "expires in 3 day(s)", Some("/flow/0"));
        a.module_name = Some("slack:x".into());
        a.help = Some("renew".into());
        a.location = Some(on_line(Span::new(10, 14), 2, 3, 7));
        let b = diag("b c.json", "whole file", None);
        let summary = Summary::default();
        let errors = ["API unreachable".to_string()];
        for (diagnostics, suppressed, errors) in [
            (vec![a.clone(), b.clone()], vec![b.clone()], &errors[..]),
            (vec![], vec![], &[][..]),
            (vec![b], vec![a], &[][..]),
        ] {
            let report = Report {
                diagnostics: &diagnostics,
                summary: &summary,
                errors,
                suppressed: &suppressed,
                baseline: Some("base.json"),
                rules: &crate::rules::RuleSet::builtin(),
            };
            let whole = serde_json::to_string_pretty(&log(&report)).unwrap() + "\n";
            assert_eq!(render(&report), whole);
        }
    }

    #[test]
    fn whole_file_findings_have_no_region_and_errors_fail_the_invocation() {
        let d = diag("big.json", "too large", None);
        let summary = Summary::default();
        let errors = vec!["API unreachable".to_string()];
        let report = Report {
            diagnostics: std::slice::from_ref(&d),
            summary: &summary,
            errors: &errors,
            suppressed: &[],
            baseline: None,
            rules: &crate::rules::RuleSet::builtin(),
        };
        let v = serde_json::to_value(log(&report)).unwrap();
        let run = &v["runs"][0];
        let phys = &run["results"][0]["locations"][0]["physicalLocation"];
        assert_eq!(phys["artifactLocation"]["uri"], "big.json");
        assert!(phys.get("region").is_none());
        assert!(run["results"][0]["ruleIndex"].as_i64().is_some());
        let inv = &run["invocations"][0];
        assert_eq!(inv["executionSuccessful"], false);
        assert_eq!(
            inv["toolExecutionNotifications"][0]["message"]["text"],
            "API unreachable"
        );
        assert_eq!(inv["toolExecutionNotifications"][0]["level"], "error");
    }
}

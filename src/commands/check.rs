//! `bplint check` and `bplint baseline`: the run ([`crate::run`]), rendered or recorded.

use std::io::Write;

use super::{EXIT_CLEAN, EXIT_FINDINGS, EXIT_TROUBLE, Ui, say, write_output};
use crate::cli::args::{CheckArgs, Format};
use crate::filter::Baseline;
use crate::finding::Severity;
use crate::redact;
use crate::report::{self, Report, WriteReport};
use crate::run::{CheckRun, check_each, check_run};
use crate::settings::Settings;

pub fn run(args: CheckArgs, ui: &Ui, settings: &Settings) -> Result<u8, String> {
    let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    if streams(&args) {
        return run_streaming(&args, ui, settings, baseline.as_ref());
    }
    let mut run = check_run(&args, ui, settings, baseline.as_ref())?;
    let code = exit_code(&run, settings.fail_on);
    let baseline_name = args.baseline.as_ref().map(|p| p.display().to_string());
    // `--min-severity` is a display threshold: what is below it is counted, not shown, and
    // the exit code still follows `--fail-on` over every finding.
    let shown = Shown::of(&mut run, args.min_severity.map(Severity::from));
    let report = Report {
        diagnostics: &shown.diagnostics,
        summary: &shown.summary,
        errors: &run.errors,
        suppressed: &run.suppressed,
        baseline: baseline_name.as_deref(),
        rules: &settings.rules,
    };
    print(&report, &args, ui)?;
    if !ui.quiet {
        for n in &run.notes {
            say("note", n);
        }
    }
    if args.output.is_some() || args.format != Format::Human {
        for e in &run.errors {
            say("error", e);
        }
    }
    Ok(code)
}

/// Prints a whole-run report. JSON, SARIF and JUnit to stdout are written as they are
/// rendered (the token scrubbed on the way), not built as one text first: the report is the
/// largest thing a big run holds. A report for `--output` is replaced whole, so it is built.
fn print(report: &Report<'_>, args: &CheckArgs, ui: &Ui) -> Result<(), String> {
    let writer: Option<WriteReport> = match args.format {
        Format::Json => Some(report::json::write),
        Format::Sarif => Some(report::sarif::write),
        Format::Junit => Some(report::junit::write),
        _ => None,
    };
    if let (Some(write), None) = (writer, args.output.as_ref()) {
        let out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        let mut out = redact::ScrubWriter::new(out);
        // A closed pipe (`bplint check | head`) is not an error worth a message.
        let _ = write(report, &mut out).and_then(|_| out.flush());
    } else {
        let mut text = match args.format {
            Format::Human => report::human::render(report, ui.color && args.output.is_none()),
            Format::Compact => report::compact::render(report),
            Format::Json => report::json::render(report),
            Format::Sarif => report::sarif::render(report),
            Format::Github => report::github::render(report),
            Format::Junit => report::junit::render(report),
        };
        if ui.quiet && args.format == Format::Human {
            // Drop the summary (its last line, and the per-rule line before it), keep findings and
            // errors.
            let cut = text.trim_end().rfind('\n').map_or(0, |c| c + 1);
            text.truncate(cut);
            if let Some(rules) = report.summary.rules_line() {
                if text.ends_with(&format!("{rules}\n")) {
                    text.truncate(text.len() - rules.len() - 1);
                }
            }
        }
        write_output(args.output.as_ref(), &text)?;
    }
    Ok(())
}

/// Formats that are a sequence of findings print each file's as soon as it is checked, so
/// memory does not grow with the run. A report written to `--output` is replaced whole, so it
/// is built first.
fn streams(args: &CheckArgs) -> bool {
    matches!(
        args.format,
        Format::Human | Format::Compact | Format::Github
    ) && args.output.is_none()
}

/// `check` for the streaming formats: findings written to stdout (buffered, locked) file by
/// file as they finish, then run errors and the summary. The exit code is worked out from the
/// same facts as [`exit_code`], gathered on the way.
fn run_streaming(
    args: &CheckArgs,
    ui: &Ui,
    settings: &Settings,
    baseline: Option<&Baseline>,
) -> Result<u8, String> {
    let min = args.min_severity.map(Severity::from);
    let fail_on = settings.fail_on;
    let handler = crate::draw::handler(ui.color, 120);
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let (mut hidden, mut failing) = (0, false);
    let mut text = String::new();
    let mut emit = |kept: Vec<report::Diagnostic>| {
        failing |= fail_on.is_some_and(|t| kept.iter().any(|d| d.severity >= t));
        text.clear();
        for d in &kept {
            if min.is_some_and(|m| d.severity < m) {
                hidden += 1;
                continue;
            }
            match args.format {
                Format::Human => report::human::finding(&handler, d, &mut text),
                Format::Github => text.push_str(&report::github::line(d)),
                _ => text.push_str(&report::compact::line(d)),
            }
        }
        write_chunk(&mut out, &text);
    };
    let mut run = check_each(args, ui, settings, baseline, &mut emit)?;
    run.summary.hidden = hidden;
    text.clear();
    match args.format {
        Format::Human => {
            report::human::errors(&run.errors, &mut text);
            if !ui.quiet {
                report::human::summary(&run.summary, &mut text);
            }
        }
        Format::Github => text.push_str(&report::github::errors(&run.errors)),
        _ => text.push_str(&report::compact::errors(&run.errors)),
    }
    write_chunk(&mut out, &text);
    let _ = out.flush();
    drop(out);
    if !ui.quiet {
        for n in &run.notes {
            say("note", n);
        }
    }
    if args.format != Format::Human {
        for e in &run.errors {
            say("error", e);
        }
    }
    if run.unreadable || !run.summary.unchecked.is_empty() || !run.errors.is_empty() {
        return Ok(EXIT_TROUBLE);
    }
    Ok(if failing { EXIT_FINDINGS } else { EXIT_CLEAN })
}

/// Writes one piece of the report. Whatever a renderer missed, the token itself never leaves
/// (an answer may echo it); a closed pipe (`bplint check | head`) is not an error worth a
/// message.
fn write_chunk(out: &mut impl Write, text: &str) {
    if !text.is_empty() {
        let _ = out.write_all(redact::scrub_registered(text).as_bytes());
    }
}

/// What the report shows of a run: the findings at or above the display threshold.
struct Shown {
    diagnostics: Vec<report::Diagnostic>,
    summary: report::Summary,
}

impl Shown {
    /// Takes the run's findings (the exit code is worked out before), keeping those shown:
    /// a copy of each would double the memory of a one-document report.
    fn of(run: &mut CheckRun, min: Option<Severity>) -> Shown {
        let mut diagnostics = std::mem::take(&mut run.diagnostics);
        let all = diagnostics.len();
        diagnostics.retain(|d| min.is_none_or(|m| d.severity >= m));
        let mut summary = run.summary.clone();
        summary.hidden = all - diagnostics.len();
        Shown {
            diagnostics,
            summary,
        }
    }
}

/// 2 when anything could not be checked, else 1 when a finding reaches the threshold, else 0.
fn exit_code(run: &CheckRun, fail_on: Option<Severity>) -> u8 {
    if run.unreadable || !run.summary.unchecked.is_empty() || !run.errors.is_empty() {
        return EXIT_TROUBLE;
    }
    let failing = fail_on.is_some_and(|t| run.diagnostics.iter().any(|d| d.severity >= t));
    if failing { EXIT_FINDINGS } else { EXIT_CLEAN }
}

pub fn baseline(args: CheckArgs, ui: &Ui, settings: &Settings) -> Result<u8, String> {
    let Some(output) = args.output.clone() else {
        return Err("`bplint baseline` needs --output FILE".into());
    };
    let run = check_run(&args, ui, settings, None)?;
    for e in &run.errors {
        say("error", e);
    }
    if run.unreadable || !run.errors.is_empty() {
        return Err("not writing a baseline from a run that could not check everything".into());
    }
    let baseline = Baseline::of(&run.diagnostics);
    let text = serde_json::to_string_pretty(&baseline).map_err(|e| e.to_string())? + "\n";
    write_output(Some(&output), &text)?;
    if !ui.quiet {
        eprintln!(
            "baseline: {} finding(s) recorded in {}",
            baseline.findings.len(),
            redact::clean(&output.display().to_string())
        );
    }
    Ok(EXIT_CLEAN)
}

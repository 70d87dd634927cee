//! `bplint check` and `bplint baseline`: the run ([`crate::run`]), rendered or recorded.

use super::{EXIT_CLEAN, EXIT_FINDINGS, EXIT_TROUBLE, Ui, say, write_output};
use crate::cli::args::{CheckArgs, Format};
use crate::filter::Baseline;
use crate::finding::Severity;
use crate::redact;
use crate::report::{self, Report};
use crate::run::{CheckRun, check_run};
use crate::settings::Settings;

pub fn run(args: CheckArgs, ui: &Ui, settings: &Settings) -> Result<u8, String> {
    let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    let run = check_run(&args, ui, settings, baseline.as_ref())?;
    let baseline_name = args.baseline.as_ref().map(|p| p.display().to_string());
    let report = Report {
        diagnostics: &run.diagnostics,
        summary: &run.summary,
        errors: &run.errors,
        suppressed: &run.suppressed,
        baseline: baseline_name.as_deref(),
        rules: &settings.rules,
    };
    let mut text = match args.format {
        Format::Human => report::human::render(&report, ui.color && args.output.is_none()),
        Format::Compact => report::compact::render(&report),
        Format::Json => report::json::render(&report),
        Format::Sarif => report::sarif::render(&report),
        Format::Github => report::github::render(&report),
        Format::Junit => report::junit::render(&report),
    };
    if ui.quiet && args.format == Format::Human {
        // Drop the summary line, keep findings and errors.
        if let Some(cut) = text.trim_end().rfind('\n') {
            text.truncate(cut + 1);
        } else {
            text.clear();
        }
    }
    write_output(args.output.as_ref(), &text)?;
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
    Ok(exit_code(&run, settings.fail_on))
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

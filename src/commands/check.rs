//! `bplint check` and `bplint baseline`: discover, check every file, live check, filter, render.

use std::io::IsTerminal;

use super::{
    EXIT_CLEAN, EXIT_FINDINGS, EXIT_TROUBLE, Ui, api_client, parse_now, say, scoped_inputs,
    walk_results, write_output,
};
use crate::cli::args::{ApiArgs, CheckArgs, Format};
use crate::filter::{self, Baseline};
use crate::finding::Severity;
use crate::live::snapshot::Snapshot;
use crate::live::{Catalog, ConnectionSource, LiveSettings};
use crate::pipeline::{self, FileResult, Options, Status};
use crate::redact;
use crate::report::{self, Diagnostic, Report};
use crate::rules::OfflineSettings;
use crate::settings::Settings;

/// Runs over fewer files finish before a progress bar would tell anyone anything.
const PROGRESS_MIN_FILES: usize = 500;

/// What a check run produced, before rendering.
struct CheckRun {
    diagnostics: Vec<Diagnostic>,
    /// Findings the baseline has (only SARIF shows them, as suppressed results).
    suppressed: Vec<Diagnostic>,
    summary: report::Summary,
    errors: Vec<String>,
    notes: Vec<String>,
    unreadable: bool,
}

/// The checked files of a run over PATHS.
fn file_results(
    args: &CheckArgs,
    ui: &Ui,
    settings: &Settings,
    opts: &Options,
) -> (Vec<FileResult>, Vec<String>) {
    let (inputs, problems) = scoped_inputs(&args.paths, settings);
    let (mut results, notes) = walk_results(problems);
    // A progress bar only for a person watching a long run: never in CI logs or pipes.
    let bar = (!ui.quiet && inputs.len() >= PROGRESS_MIN_FILES && std::io::stderr().is_terminal())
        .then(|| indicatif::ProgressBar::new(inputs.len() as u64));
    results.extend(pipeline::check_all_with_progress(&inputs, opts, &|| {
        if let Some(b) = &bar {
            b.inc(1);
        }
    }));
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    (results, notes)
}

/// The team's blueprints, fetched and checked in memory as `scenario:<id>-<slug>`. A blueprint
/// that could not be fetched is a run error (exit 2); the list failing ends the run.
fn team_scenario_results(
    team: u64,
    api: &ApiArgs,
    settings: &Settings,
    opts: &Options,
    errors: &mut Vec<String>,
) -> Result<Vec<FileResult>, String> {
    let pulled = api_client(api, settings)?.pull_blueprints(team)?;
    let mut results = Vec::new();
    for p in &pulled.scenarios {
        let display = format!("scenario:{}-{}", p.id, crate::pull::slug(&p.name));
        match &p.blueprint {
            Ok(text) => results.push(pipeline::check_bytes(&display, true, text.as_bytes(), opts)),
            Err(e) => errors.push(format!("{display}: could not fetch the blueprint: {e}")),
        }
    }
    if pulled.rows_without_id > 0 {
        errors.push(format!(
            "{} scenario(s) of team {team} were listed without a usable id and not checked",
            pulled.rows_without_id
        ));
    }
    Ok(results)
}

/// discover -> check every file -> live check -> central filter.
fn check_run(
    args: &CheckArgs,
    ui: &Ui,
    settings: &Settings,
    baseline: Option<&Baseline>,
) -> Result<CheckRun, String> {
    let cfg = &settings.config;
    let now = parse_now(args.now.as_deref())?;
    let api = &args.api;
    let team = settings.team;
    let source: Option<Box<dyn ConnectionSource>> = if args.online {
        if team.is_none() && cfg.teams.is_empty() {
            return Err("--online needs --team T (or `team` in bplint.toml): the team the blueprints are checked for".into());
        }
        Some(Box::new(api_client(api, settings)?))
    } else if let Some(path) = &args.connections {
        Some(Box::new(Snapshot::load(path)?))
    } else {
        None
    };
    let mut catalog = Catalog::builtin();
    for dir in &settings.catalog_dirs {
        catalog.add_dir(dir)?;
    }
    let opts = Options {
        max_file_size: settings.max_file_size,
        offline: OfflineSettings {
            target_zone: settings.zone.clone(),
        },
        rules: settings.rules.clone(),
        // Only the human format shows snippets; only the live stage needs the models.
        excerpts: args.format == Format::Human,
        keep_model: source.is_some(),
    };
    let mut errors = Vec::new();
    let (mut results, mut notes) = match args.team_scenarios {
        Some(team) => (
            team_scenario_results(team, api, settings, &opts, &mut errors)?,
            Vec::new(),
        ),
        None => file_results(args, ui, settings, &opts),
    };

    let mut unchecked = Vec::new();
    let mut requests = 0;
    if let Some(source) = source {
        let settings = LiveSettings {
            now,
            expiry_warning_days: settings.expiry_warning_days,
            catalog,
            verify: args.verify,
        };
        if ui.verbose {
            for s in results.iter().filter_map(|r| r.scenario.as_ref()) {
                for r in s.connection_references() {
                    if let Some(name) = &s.modules[r.module].name {
                        if settings.catalog.lookup(name).scopes.is_empty() {
                            notes.push(format!("no catalog entry gives the scopes of {name}; its scopes are not checked"));
                        }
                    }
                }
            }
            notes.sort();
            notes.dedup();
        }
        let teams_for = |file: &str| -> Vec<u64> {
            match args.team {
                Some(t) => vec![t],
                None => cfg.teams_for(file),
            }
        };
        let outcome = pipeline::live_check(
            &mut results,
            source.as_ref(),
            &settings,
            team,
            &teams_for,
            &opts.rules,
        );
        requests = outcome.resolution.requests;
        errors.extend(outcome.resolution.errors.iter().cloned());
        if ui.verbose {
            notes.extend(outcome.resolution.notes.iter().cloned());
        }
        if !outcome.unchecked.is_empty() {
            let list: Vec<String> = outcome
                .unchecked
                .iter()
                .map(|(id, why)| format!("{id} ({why})"))
                .collect();
            errors.push(format!(
                "{} connection id(s) could not be checked against {}: {}",
                outcome.unchecked.len(),
                source.describe(),
                list.join(", ")
            ));
            unchecked = outcome.unchecked.iter().map(|(id, _)| *id).collect();
        }
    }

    let mut summary = pipeline::summarize(&results);
    summary.unchecked = unchecked;
    summary.requests = requests;
    let unreadable = results.iter().any(|r| r.status == Status::Unreadable);
    let all: Vec<Diagnostic> = results.into_iter().flat_map(|r| r.diagnostics).collect();
    let mut filtered = filter::apply(all, cfg, baseline);
    filtered
        .kept
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    summary.count(&filtered.kept);
    if baseline.is_some() {
        notes.push(format!(
            "baseline: {} known finding(s) hidden, {} baseline entr(y/ies) fixed since",
            filtered.baselined.len(),
            filtered.baseline_fixed
        ));
    }
    filtered
        .baselined
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    // Run errors and notes quote answers and paths: cleaned once, for every format.
    let errors = errors.iter().map(|e| redact::clean(e)).collect();
    let notes = notes.iter().map(|n| redact::clean(n)).collect();
    summary.checked = summary.checked.iter().map(|f| redact::clean(f)).collect();
    Ok(CheckRun {
        diagnostics: filtered.kept,
        suppressed: filtered.baselined,
        summary,
        errors,
        notes,
        unreadable,
    })
}

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

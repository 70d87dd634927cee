//! The check run, with one owner: reads the files (or the team's blueprints), checks them,
//! resolves live data once, works out what could not be checked, filters centrally, and hands
//! a finished [`CheckRun`] to the renderer. `check` and `baseline` both run it.

use std::io::IsTerminal;

use crate::cli::args::{ApiArgs, CheckArgs, Format};
use crate::commands::{Ui, api_client, parse_now, scoped_inputs, walk_results};
use crate::filter::{self, Baseline};
use crate::live::snapshot::Snapshot;
use crate::live::{ConnectionSource, LiveSettings};
use crate::pipeline::{self, FileResult, Options, Status};
use crate::redact;
use crate::report::{self, Diagnostic};
use crate::rules::OfflineSettings;
use crate::settings::Settings;

/// Runs over fewer files finish before a progress bar would tell anyone anything.
const PROGRESS_MIN_FILES: usize = 500;

/// What a check run produced, before rendering.
pub struct CheckRun {
    pub diagnostics: Vec<Diagnostic>,
    /// Findings the baseline has (only SARIF shows them, as suppressed results).
    pub suppressed: Vec<Diagnostic>,
    pub summary: report::Summary,
    pub errors: Vec<String>,
    pub notes: Vec<String>,
    pub unreadable: bool,
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
    let pulled = api_client(api, settings)?
        .pull_blueprints(team)
        .map_err(|e| e.to_string())?;
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
pub fn check_run(
    args: &CheckArgs,
    ui: &Ui,
    settings: &Settings,
    baseline: Option<&Baseline>,
) -> Result<CheckRun, String> {
    let cfg = &settings.config;
    let now = parse_now(args.expiry.now.as_deref())?;
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
    let catalog = settings.module_catalog()?;
    let opts = Options {
        max_file_size: settings.max_file_size,
        offline: OfflineSettings {
            target_zone: settings.zone.clone(),
        },
        rules: settings.rules.clone(),
        // Only the human format shows snippets; only the live stage needs the models.
        excerpts: args.format == Format::Human,
        keep_model: source.is_some(),
        run_rules: true,
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
    let mut without_scope_check = None;
    if let Some(source) = source {
        let settings = LiveSettings {
            now,
            expiry_warning_days: settings.expiry_warning_days,
            catalog,
            requirements: Default::default(),
            verify: args.verify,
        };
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
        without_scope_check = Some(outcome.modules_without_scope_check);
        errors.extend(outcome.resolution.errors.iter().cloned());
        notes.extend(outcome.requirement_notes.iter().cloned());
        if ui.verbose {
            notes.extend(outcome.resolution.notes.iter().cloned());
            notes.extend(outcome.unscoped_module_names.iter().map(|name| {
                format!("neither Make's requirements nor the catalog give the scopes of {name}; its scopes are not checked")
            }));
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

    let unreadable = results.iter().any(|r| r.status == Status::Unreadable);
    let mut summary = summary_of(&results, unchecked, requests);
    summary.modules_without_scope_check = without_scope_check;
    let all: Vec<Diagnostic> = results.into_iter().flat_map(|r| r.diagnostics).collect();
    let mut filtered = filter::apply(all, cfg, baseline);
    filtered
        .kept
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
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
    // Counted after the filter, which may change severities or drop findings.
    summary.count(&filtered.kept);
    Ok(CheckRun {
        diagnostics: filtered.kept,
        suppressed: filtered.baselined,
        summary,
        errors,
        notes,
        unreadable,
    })
}

/// The run's summary, made in this one place: the files' counts, the ids the live stage could
/// not settle, and the requests it made. Findings are counted after the filter.
fn summary_of(results: &[FileResult], unchecked: Vec<u64>, requests: u64) -> report::Summary {
    let mut summary = pipeline::summarize(results);
    summary.unchecked = unchecked;
    summary.requests = requests;
    // File names are shown by every format: cleaned once.
    summary.checked = summary.checked.iter().map(|f| redact::clean(f)).collect();
    summary
}

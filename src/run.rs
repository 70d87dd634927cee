//! The check run, with one owner: reads the files (or the team's blueprints), checks them,
//! resolves live data once, works out what could not be checked, filters centrally, and hands
//! a finished [`CheckRun`] to the renderer. `check` and `baseline` both run it.

use std::io::IsTerminal;

use crate::cli::args::{ApiArgs, CheckArgs, Format};
use crate::commands::{Ui, api_client, parse_now, scoped_inputs, walk_results};
use crate::filter::{Baseline, Filter};
use crate::live::snapshot::Snapshot;
use crate::live::{Catalog, ConnectionSource, LiveSettings};
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

/// discover -> check every file -> live check -> central filter, with every finding in one
/// list sorted by file, then severity (errors first), then position: for the formats that are
/// one document, and for `baseline`.
pub fn check_run(
    args: &CheckArgs,
    ui: &Ui,
    settings: &Settings,
    baseline: Option<&Baseline>,
) -> Result<CheckRun, String> {
    let mut all = Vec::new();
    let mut run = check_each(args, ui, settings, baseline, &mut |kept| all.extend(kept))?;
    all.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    run.diagnostics = all;
    Ok(run)
}

/// The run, handing each file's kept findings to `emit` as soon as the file and those before
/// it are checked: in input order, each file's findings sorted by severity (errors first),
/// then position; the findings about the configuration (ignore entries that matched nothing)
/// come last. Memory then holds the findings of the files that finished out of order, not the
/// run's. A run with a live source checks every file first (the live stage makes one request
/// for all files), then emits them in the same order. The returned run's `diagnostics` is
/// empty; its summary counts everything emitted.
pub fn check_each(
    args: &CheckArgs,
    ui: &Ui,
    settings: &Settings,
    baseline: Option<&Baseline>,
    emit: &mut dyn FnMut(Vec<Diagnostic>),
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
    let mut notes = Vec::new();
    let mut filter = Filter::new(cfg, baseline);
    let mut tally = Tally::default();
    let mut finish = |result: FileResult| {
        tally.add(&result);
        let mut kept = filter.file(result.diagnostics);
        kept.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        tally.summary.count(&kept);
        emit(kept);
    };

    let mut unchecked = Vec::new();
    let mut requests = 0;
    let mut without_scope_check = None;
    match (&source, args.team_scenarios) {
        (None, None) => {
            // Offline over files: each file is reported as soon as it and those before it
            // are done.
            let (inputs, problems) = scoped_inputs(&args.paths, settings);
            let (walked, walk_notes) = walk_results(problems);
            notes.extend(walk_notes);
            walked.into_iter().for_each(&mut finish);
            let bar = progress_bar(ui, inputs.len());
            let tick = || {
                if let Some(b) = &bar {
                    b.inc(1);
                }
            };
            pipeline::check_in_order(&inputs, &opts, &tick, &mut finish);
            if let Some(b) = bar {
                b.finish_and_clear();
            }
        }
        _ => {
            let mut results = match args.team_scenarios {
                Some(team) => team_scenario_results(team, api, settings, &opts, &mut errors)?,
                None => {
                    let (inputs, problems) = scoped_inputs(&args.paths, settings);
                    let (mut results, walk_notes) = walk_results(problems);
                    notes.extend(walk_notes);
                    let bar = progress_bar(ui, inputs.len());
                    results.extend(pipeline::check_all_with_progress(&inputs, &opts, &|| {
                        if let Some(b) = &bar {
                            b.inc(1);
                        }
                    }));
                    if let Some(b) = bar {
                        b.finish_and_clear();
                    }
                    results
                }
            };
            if let Some(source) = &source {
                let live = live_stage(
                    args,
                    ui,
                    settings,
                    source.as_ref(),
                    catalog,
                    now,
                    &opts,
                    &mut results,
                );
                requests = live.requests;
                errors.extend(live.errors);
                notes.extend(live.notes);
                unchecked = live.unchecked;
                without_scope_check = live.without_scope_check;
            }
            results.into_iter().for_each(&mut finish);
        }
    }

    let unreadable = tally.unreadable;
    let mut summary = tally.summary;
    let mut filtered = filter.finish();
    // Findings about the configuration itself, after every file's.
    let config_findings = std::mem::take(&mut filtered.kept);
    summary.count(&config_findings);
    if !config_findings.is_empty() {
        emit(config_findings);
    }
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
    summary.unchecked = unchecked;
    summary.modules_without_scope_check = without_scope_check;
    summary.requests = requests;
    Ok(CheckRun {
        diagnostics: Vec::new(),
        suppressed: filtered.baselined,
        summary,
        errors,
        notes,
        unreadable,
    })
}

/// A progress bar only for a person watching a long run: never in CI logs or pipes.
fn progress_bar(ui: &Ui, files: usize) -> Option<indicatif::ProgressBar> {
    (!ui.quiet && files >= PROGRESS_MIN_FILES && std::io::stderr().is_terminal())
        .then(|| indicatif::ProgressBar::new(files as u64))
}

/// The run's counts, made in this one place as files finish: files, modules and references
/// per file; findings are counted by severity after the central filter ([`report::Summary::count`]).
#[derive(Default)]
struct Tally {
    summary: report::Summary,
    unreadable: bool,
}

impl Tally {
    fn add(&mut self, r: &FileResult) {
        let s = &mut self.summary;
        s.files += 1;
        match r.status {
            Status::Blueprint => s.blueprints += 1,
            Status::Skipped => s.skipped += 1,
            Status::Unreadable => self.unreadable = true,
            Status::Invalid => {}
        }
        if r.status != Status::Skipped {
            // File names are shown by every format: cleaned once.
            s.checked.push(redact::clean(&r.display));
        }
        s.modules += r.modules;
        s.references += r.references;
    }
}

/// What the live stage of a run found out, besides its findings (added to the results).
struct LiveStage {
    requests: u64,
    errors: Vec<String>,
    notes: Vec<String>,
    unchecked: Vec<u64>,
    /// Modules of the checked files that no source gave scopes for.
    without_scope_check: Option<usize>,
}

/// Resolves the referenced ids once through `source` and runs the live rules on `results`.
#[allow(clippy::too_many_arguments)]
fn live_stage(
    args: &CheckArgs,
    ui: &Ui,
    settings: &Settings,
    source: &dyn ConnectionSource,
    catalog: Catalog,
    now: chrono::DateTime<chrono::Utc>,
    opts: &Options,
    results: &mut [FileResult],
) -> LiveStage {
    let cfg = &settings.config;
    let team = settings.team;
    let mut stage = LiveStage {
        requests: 0,
        errors: Vec::new(),
        notes: Vec::new(),
        unchecked: Vec::new(),
        without_scope_check: None,
    };
    let settings = LiveSettings {
        now,
        expiry_warning_days: settings.expiry_warning_days,
        catalog,
        // Asked of the source by the live check itself, before it builds the request.
        requirements: Default::default(),
        verify: args.verify,
    };
    let teams_for = |file: &str| -> Vec<u64> {
        match args.team {
            Some(t) => vec![t],
            None => cfg.teams_for(file),
        }
    };
    let outcome = pipeline::live_check(results, source, &settings, team, &teams_for, &opts.rules);
    stage.requests = outcome.resolution.requests;
    stage.without_scope_check = Some(outcome.modules_without_scope_check);
    stage
        .errors
        .extend(outcome.resolution.errors.iter().cloned());
    stage
        .notes
        .extend(outcome.requirement_notes.iter().cloned());
    if ui.verbose {
        stage.notes.extend(outcome.resolution.notes.iter().cloned());
        stage.notes.extend(outcome.unscoped_module_names.iter().map(|name| {
            format!("neither Make's requirements nor the catalog give the scopes of {name}; its scopes are not checked")
        }));
    }
    if !outcome.unchecked.is_empty() {
        let list: Vec<String> = outcome
            .unchecked
            .iter()
            .map(|(id, why)| format!("{id} ({why})"))
            .collect();
        stage.errors.push(format!(
            "{} connection id(s) could not be checked against {}: {}",
            outcome.unchecked.len(),
            source.describe(),
            list.join(", ")
        ));
        stage.unchecked = outcome.unchecked.iter().map(|(id, _)| *id).collect();
    }
    stage
}

//! One file per subcommand; `cli` parses the arguments and calls `run` here. What several
//! commands share (finding the files, the API client, writing the output) is below.

pub mod bind;
pub mod catalog;
pub mod check;
pub mod completions;
pub mod config;
pub mod connections;
pub mod init;
pub mod inventory;
pub mod pull;
pub mod refs;
pub mod remap;
pub mod rules;

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::cli::args::ApiArgs;
use crate::discover::{self, Input};
use crate::live::api::{ApiConfig, MakeApi, Token};
use crate::pipeline::{self, FileResult, Options, Status};
use crate::redact;
use crate::report::Diagnostic;

use crate::settings::Settings;

/// Exit codes: nothing at or above --fail-on / findings / could not check.
pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_TROUBLE: u8 = 2;

/// How the run talks to the person: the global flags.
pub struct Ui {
    pub color: bool,
    pub quiet: bool,
    pub verbose: bool,
}

/// One line on stderr, `prefix: text`, cleaned: these texts quote files, paths and answers.
pub fn say(prefix: &str, text: &str) {
    eprintln!("{prefix}: {}", redact::clean(text));
}

/// The files under PATHS (default `.`), every one of them.
pub fn inputs_of(paths: &[PathBuf]) -> (Vec<Input>, Vec<discover::WalkProblem>) {
    let default = [PathBuf::from(".")];
    discover::discover(if paths.is_empty() { &default } else { paths })
}

/// The files under PATHS that the config's include/exclude keep; a file named on the command
/// line is always kept.
pub fn scoped_inputs(
    paths: &[PathBuf],
    settings: &Settings,
) -> (Vec<Input>, Vec<discover::WalkProblem>) {
    let (mut inputs, problems) = inputs_of(paths);
    inputs.retain(|i| match i {
        Input::File {
            display,
            explicit: false,
            ..
        } => settings.config.in_scope(display),
        _ => true,
    });
    (inputs, problems)
}

/// Walk problems become findings: a loop is a warning-free note, anything else "could not read".
pub fn walk_results(problems: Vec<discover::WalkProblem>) -> (Vec<FileResult>, Vec<String>) {
    let mut results = Vec::new();
    let mut notes = Vec::new();
    for p in problems {
        if p.is_loop {
            notes.push(format!("{}: {}", p.display, p.message));
            continue;
        }
        results.push(FileResult {
            display: p.display.clone(),
            status: Status::Unreadable,
            bytes: 0,
            scenario: None,
            reference_locations: Vec::new(),
            diagnostics: vec![Diagnostic::new(
                crate::rules::file::unreadable_file::finding(&p.message),
                &p.display,
                None,
            )],
            modules: 0,
            references: 0,
        });
    }
    (results, notes)
}

/// The models of the blueprints under PATHS in the config's scope, for the commands that need
/// what blueprints reference (`refs`, `inventory`, `connections export PATHS`). No rule runs:
/// with none, no secret is known, so no excerpt is kept either.
pub fn read_models(paths: &[PathBuf], settings: &Settings) -> Vec<FileResult> {
    let opts = Options {
        max_file_size: settings.max_file_size,
        run_rules: false,
        excerpts: false,
        ..Options::default()
    };
    let (inputs, problems) = scoped_inputs(paths, settings);
    let (mut results, _) = walk_results(problems);
    results.extend(pipeline::check_all(&inputs, &opts));
    results
}

/// The findings about files that could not be read or are no blueprint.
pub fn file_problems(results: &[FileResult]) -> impl Iterator<Item = &Diagnostic> {
    results
        .iter()
        .filter(|r| matches!(r.status, Status::Invalid | Status::Unreadable))
        .flat_map(|r| &r.diagnostics)
}

pub fn parse_now(now: Option<&str>) -> Result<DateTime<Utc>, String> {
    match now {
        None => Ok(Utc::now()),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .or_else(|_| {
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
            })
            .map_err(|_| {
                format!("--now {s:?} is not an RFC 3339 time (e.g. 2026-03-01T12:00:00Z) or a date")
            }),
    }
}

/// The Make API client: where it goes comes from the settings, how hard it pushes from the flags.
pub fn api_client(api: &ApiArgs, settings: &Settings) -> Result<MakeApi, String> {
    let base = settings.api_base.clone()?;
    let token = Token::from_env().map_err(|e| e.to_string())?;
    let mut cfg = ApiConfig::new(base, token);
    cfg.concurrency = api.concurrency as usize;
    cfg.timeout = Duration::from_secs(api.timeout);
    cfg.max_requests = api.max_requests;
    cfg.max_retries = api.max_retries;
    if let Some(n) = api.page_size {
        cfg.page_size = n;
    }
    cfg.auth_scheme = api.auth_scheme.map(|s| match s {
        crate::cli::args::AuthSchemeArg::Token => crate::live::api::AuthScheme::Token,
        crate::cli::args::AuthSchemeArg::Bearer => crate::live::api::AuthScheme::Bearer,
    });
    MakeApi::new(cfg).map_err(|e| e.to_string())
}

pub fn write_output(output: Option<&PathBuf>, text: &str) -> Result<(), String> {
    // Whatever a renderer missed, the token itself never leaves (an answer may echo it).
    let text = &*redact::scrub_registered(text);
    match output {
        // Replaced, never written through: a link planted at PATH must not redirect the report.
        Some(path) => {
            crate::atomic_file::write_output(path, text.as_bytes()).map_err(|e| e.to_string())
        }
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`bplint check | head`) is not an error worth a message.
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
            Ok(())
        }
    }
}

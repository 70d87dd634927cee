//! discover -> read -> parse -> model -> offline rules (per file, in parallel) -> live rules.
//!
//! Each file is processed start to finish by one worker, and only what findings and the live
//! stage need is kept: the model and located excerpts, never the file's bytes.
//!
//! By job: `file.rs` reads and checks one file, `order.rs` checks many in parallel and hands
//! the results on in input order, `live.rs` is the live stage over all of them.

mod file;
mod live;
mod order;

use rayon::prelude::*;

use crate::discover::Input;
use crate::model::Scenario;
use crate::report::{Diagnostic, Location, Summary};
use crate::rules::{OfflineSettings, RuleSet};

pub use file::{check_bytes, check_input};
pub use live::{LiveOutcome, live_check, live_request, live_requirements, wanted_requirements};
pub use order::check_in_order;

/// Default `--max-file-size`: 64 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Options {
    pub max_file_size: u64,
    pub offline: OfflineSettings,
    pub rules: RuleSet,
    /// Keep source excerpts with findings (the human format shows them; others do not).
    pub excerpts: bool,
    /// Keep each file's model after checking it (the live stage and `refs` need it). Without
    /// it, memory holds only the findings.
    pub keep_model: bool,
    /// Run the offline rules. `refs` and `inventory` only need the models: without the rules
    /// a file is read, parsed and modelled, and nothing else.
    pub run_rules: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            offline: OfflineSettings::default(),
            rules: RuleSet::builtin(),
            excerpts: true,
            keep_model: true,
            run_rules: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// A blueprint, modelled and checked.
    Blueprint,
    /// Valid JSON but no blueprint, found by walking: skipped quietly.
    Skipped,
    /// Could not be parsed or is not a blueprint though named: reported.
    Invalid,
    /// Could not be read at all: the run exits 2.
    Unreadable,
}

/// What one file produced.
#[derive(Debug)]
pub struct FileResult {
    pub display: String,
    pub status: Status,
    pub bytes: u64,
    pub scenario: Option<Scenario>,
    /// Located reference values, parallel to `scenario.references`.
    pub reference_locations: Vec<Location>,
    pub diagnostics: Vec<Diagnostic>,
    /// Modules and references the file held (kept when the model is dropped).
    pub modules: usize,
    pub references: usize,
}

/// Checks every input in parallel; results come back in input order.
pub fn check_all(inputs: &[Input], opts: &Options) -> Vec<FileResult> {
    check_all_with_progress(inputs, opts, &|| {})
}

/// Like [`check_all`], calling `tick` once per file done.
pub fn check_all_with_progress(
    inputs: &[Input],
    opts: &Options,
    tick: &(dyn Fn() + Sync),
) -> Vec<FileResult> {
    inputs
        .par_iter()
        .map(|i| {
            let r = check_input(i, opts);
            tick();
            r
        })
        .collect()
}

/// Counts files, modules and references. Findings are counted by severity after the central
/// filter, which may change or drop them ([`Summary::count`]).
pub fn summarize(results: &[FileResult]) -> Summary {
    let mut s = Summary {
        files: results.len(),
        ..Summary::default()
    };
    for r in results {
        match r.status {
            Status::Blueprint => s.blueprints += 1,
            Status::Skipped => s.skipped += 1,
            _ => {}
        }
        if r.status != Status::Skipped {
            s.checked.push(r.display.clone());
        }
        s.modules += r.modules;
        s.references += r.references;
    }
    s
}

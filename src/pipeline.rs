//! discover -> read -> parse -> model -> offline rules (per file, in parallel) -> live rules.
//!
//! Each file is processed start to finish by one worker, and only what findings and the live
//! stage need is kept: the model and located excerpts, never the file's bytes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;

use rayon::prelude::*;

use crate::discover::Input;
use crate::finding::Finding;
use crate::json::{self, Span};
use crate::live::requirements::{self, RequirementsAnswer, Wanted, demand_for};
use crate::live::{
    Answer, ConnectionSource, LiveSettings, Lookup, ObjectLookup, Resolution, ResolveRequest,
    ScopeDemand,
};
use crate::model::{self, Detected, RefKind, Scenario};
use crate::report::{Diagnostic, Location, Related, SourceIndex, Summary};
use crate::rules::{Context, LiveContext, OfflineSettings, RuleSet, file};

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

impl FileResult {
    /// A file that could not be read at all (the run exits 2), and why.
    fn unreadable(display: &str, reason: &str) -> Self {
        Self::problem(
            display,
            Status::Unreadable,
            0,
            file::unreadable_file::finding(reason),
            None,
        )
    }

    /// A file of `bytes` bytes, over the `limit`: reported, not read.
    fn too_large(display: &str, bytes: u64, limit: u64) -> Self {
        Self::problem(
            display,
            Status::Invalid,
            bytes,
            file::file_too_large::finding(bytes, limit),
            None,
        )
    }

    fn problem(
        display: &str,
        status: Status,
        bytes: u64,
        finding: Finding,
        location: Option<Location>,
    ) -> Self {
        FileResult {
            display: display.to_string(),
            status,
            bytes,
            scenario: None,
            reference_locations: Vec::new(),
            diagnostics: vec![Diagnostic::new(finding, display, location)],
            modules: 0,
            references: 0,
        }
    }
}

/// Reads at most `limit + 1` bytes, so a file that grows past the limit is caught too.
fn read_limited(reader: &mut dyn Read, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    reader.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
    Ok(buf)
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::NotFound => "no such file (it vanished while checking)".into(),
        _ => e.to_string(),
    }
}

/// Reads and checks one input.
pub fn check_input(input: &Input, opts: &Options) -> FileResult {
    let display = input.display();
    let (bytes, explicit) = match input {
        Input::Stdin => match read_limited(&mut std::io::stdin().lock(), opts.max_file_size) {
            Ok(b) => (b, true),
            Err(e) => {
                return FileResult::unreadable(display, &io_reason(&e));
            }
        },
        Input::File { path, explicit, .. } => {
            // A FIFO or device named as a blueprint would block the run or never end: refused
            // from its metadata, before it is opened (and opened non-blocking in case the path
            // is swapped in between; the opened file's metadata is checked again below).
            if let Ok(meta) = std::fs::metadata(path) {
                if !meta.is_file() && !meta.is_dir() {
                    let what = crate::side_file::file_type_name(&meta.file_type());
                    return FileResult::unreadable(
                        display,
                        &format!("is {what}, not a regular file; only regular files are read"),
                    );
                }
            }
            let opened =
                crate::side_file::open_nonblocking(path).and_then(|f| Ok((f.metadata()?, f)));
            match opened {
                Ok((meta, _)) if !meta.is_file() && !meta.is_dir() => {
                    return FileResult::unreadable(
                        display,
                        "is not a regular file; only regular files are read",
                    );
                }
                Err(e) => {
                    return FileResult::unreadable(display, &io_reason(&e));
                }
                Ok((meta, _)) if meta.is_dir() => {
                    return FileResult::unreadable(display, "is a folder");
                }
                Ok((meta, _)) if meta.len() > opts.max_file_size => {
                    return FileResult::too_large(display, meta.len(), opts.max_file_size);
                }
                Ok((_, mut f)) => match read_limited(&mut f, opts.max_file_size) {
                    Ok(b) => (b, *explicit),
                    Err(e) => {
                        return FileResult::unreadable(display, &io_reason(&e));
                    }
                },
            }
        }
    };
    if bytes.len() as u64 > opts.max_file_size {
        let n = bytes.len() as u64;
        return FileResult::too_large(display, n, opts.max_file_size);
    }
    check_bytes(display, explicit, &bytes, opts)
}

/// Checks the bytes of one file. `explicit`: the file was named, so a non-blueprint is reported.
pub fn check_bytes(display: &str, explicit: bool, bytes: &[u8], opts: &Options) -> FileResult {
    let n = bytes.len() as u64;
    let src = match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let valid = e.valid_up_to();
            // Index only the valid prefix: positions up to the bad byte are exact.
            let prefix = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
            let idx = SourceIndex::new(prefix, Vec::new());
            let loc = idx.locate(Span::new(valid, valid));
            return FileResult::problem(
                display,
                Status::Invalid,
                n,
                file::invalid_json::invalid_utf8(valid, bytes.len()),
                Some(loc),
            );
        }
    };
    let doc = match json::parse(src) {
        Ok(doc) => doc,
        Err(err) => {
            let finding = file::invalid_json::syntax_error(src.len(), &err);
            let loc = SourceIndex::new(src, Vec::new()).locate(finding.span);
            return FileResult::problem(display, Status::Invalid, n, finding, Some(loc));
        }
    };
    let (form, root, base) = match model::detect(doc.root()) {
        Detected::Blueprint { form, root, base } => (form, root, base),
        Detected::NotBlueprint { reason } => {
            if !explicit {
                return FileResult {
                    display: display.to_string(),
                    status: Status::Skipped,
                    bytes: n,
                    scenario: None,
                    reference_locations: Vec::new(),
                    diagnostics: Vec::new(),
                    modules: 0,
                    references: 0,
                };
            }
            let finding = file::not_a_blueprint::finding(doc.root().span(), &reason);
            let loc = SourceIndex::new(src, Vec::new()).locate(finding.span);
            return FileResult::problem(display, Status::Invalid, n, finding, Some(loc));
        }
    };
    let scenario = model::build(&doc, root, form, base);
    let cx = Context::new(&doc, &scenario, &opts.offline);
    let findings = if opts.run_rules {
        opts.rules.run_offline(&cx)
    } else {
        Vec::new()
    };
    let secrets: Vec<Span> = findings.iter().filter_map(|f| f.secret).collect();
    let index = SourceIndex::new(src, secrets);
    let locate = |span: Span| {
        if opts.excerpts {
            index.locate(span)
        } else {
            index.locate_bare(span)
        }
    };
    let mut diagnostics: Vec<Diagnostic> = findings
        .into_iter()
        .map(|f| {
            let loc = locate(f.span);
            let related = f
                .related
                .iter()
                .map(|(span, label)| Related {
                    location: locate(*span),
                    label: crate::redact::clean(label),
                })
                .collect();
            Diagnostic::new(f, display, Some(loc)).with_related(related)
        })
        .collect();
    diagnostics.sort_by_key(|d| d.location.as_ref().map_or(0, |l| l.span.start));
    let (modules, references) = (scenario.modules.len(), scenario.references.len());
    let (scenario, reference_locations) = if opts.keep_model {
        let locations = scenario.references.iter().map(|r| locate(r.span)).collect();
        (Some(scenario), locations)
    } else {
        (None, Vec::new())
    };
    FileResult {
        display: display.to_string(),
        status: Status::Blueprint,
        bytes: n,
        scenario,
        reference_locations,
        diagnostics,
        modules,
        references,
    }
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

/// What the live stage adds to the run.
#[derive(Debug, Default)]
pub struct LiveOutcome {
    pub resolution: Resolution,
    /// Ids referenced but not checked, with the reason.
    pub unchecked: Vec<(u64, String)>,
    /// Why some apps' requirements came from the built-in catalog (always shown).
    pub requirement_notes: Vec<String>,
    /// Modules referencing a connection whose scopes no source knew.
    pub modules_without_scope_check: usize,
    /// Their module names (`app:Action`), each once.
    pub unscoped_module_names: BTreeSet<String>,
}

/// The app versions (and their modules) whose requirements the live check needs: those of the
/// modules that reference a connection by id.
pub fn wanted_requirements(results: &[FileResult]) -> Wanted {
    let mut wanted = Wanted::new();
    for s in results.iter().filter_map(|r| r.scenario.as_ref()) {
        for r in s.connection_references() {
            if r.value.effective_id().is_none() {
                continue;
            }
            requirements::want(&mut wanted, &s.modules[r.module]);
        }
    }
    wanted
}

/// The distinct connection ids the files reference, and the scopes their modules need.
pub fn live_request(
    results: &[FileResult],
    settings: &LiveSettings,
    team: Option<u64>,
) -> ResolveRequest {
    let mut ids = BTreeSet::new();
    let mut required_scopes: HashMap<u64, Vec<ScopeDemand>> = HashMap::new();
    let mut objects: BTreeMap<RefKind, BTreeSet<u64>> = BTreeMap::new();
    for s in results.iter().filter_map(|r| r.scenario.as_ref()) {
        for r in s
            .references
            .iter()
            .filter(|r| crate::live::object_list(r.kind).is_some())
        {
            if let Some(id) = r.value.effective_id() {
                objects.entry(r.kind).or_default().insert(id);
            }
        }
        for r in s.connection_references() {
            let Some(id) = r.value.effective_id() else {
                continue;
            };
            ids.insert(id);
            let module = &s.modules[r.module];
            let demand = demand_for(module, r, &settings.requirements, &settings.catalog);
            if !demand.scopes.is_empty() {
                let demand = ScopeDemand {
                    accepted_types: demand.accepted_types.map(|t| t.into_iter().collect()),
                    needs: demand.scopes.into_iter().map(|n| n.any_of).collect(),
                };
                let demands = required_scopes.entry(id).or_default();
                if !demands.contains(&demand) {
                    demands.push(demand);
                }
            }
        }
    }
    ResolveRequest {
        team,
        ids,
        required_scopes,
        verify: settings.verify,
        objects,
    }
}

/// Modules referencing a connection by id whose required scopes no source knew: how many, and
/// their names.
fn modules_without_scope_check(
    results: &[FileResult],
    settings: &LiveSettings,
) -> (usize, BTreeSet<String>) {
    let mut count = 0;
    let mut names = BTreeSet::new();
    for s in results.iter().filter_map(|r| r.scenario.as_ref()) {
        let unknown: BTreeSet<usize> = s
            .connection_references()
            .filter(|r| r.value.effective_id().is_some())
            .filter(|r| {
                let m = &s.modules[r.module];
                demand_for(m, r, &settings.requirements, &settings.catalog)
                    .scopes_from
                    .is_none()
            })
            .map(|r| r.module)
            .collect();
        count += unknown.len();
        names.extend(unknown.iter().filter_map(|m| s.modules[*m].name.clone()));
    }
    (count, names)
}

/// Asks `source` for the requirements of the app versions the files use; a source that knows
/// none leaves the catalog to answer.
pub fn live_requirements(
    results: &[FileResult],
    source: &dyn ConnectionSource,
) -> RequirementsAnswer {
    let wanted = wanted_requirements(results);
    if wanted.is_empty() {
        return RequirementsAnswer::default();
    }
    source.requirements(&wanted)
}

/// Resolves every referenced connection through `source`, then runs the live rules.
pub fn live_check(
    results: &mut [FileResult],
    source: &dyn ConnectionSource,
    settings: &LiveSettings,
    team: Option<u64>,
    teams_for: &dyn Fn(&str) -> Vec<u64>,
    rules: &RuleSet,
) -> LiveOutcome {
    let source_team = source.default_team();
    let answer = live_requirements(results, source);
    let mut with_requirements = settings.clone();
    with_requirements.requirements = answer.requirements;
    let settings = &with_requirements;
    let request = live_request(results, settings, team.or(source_team));
    let mut resolution = if request.ids.is_empty() && request.objects.is_empty() {
        Resolution::default()
    } else {
        source.resolve(&request)
    };
    resolution.requests += answer.requests;
    resolution.errors.extend(answer.errors.iter().cloned());
    let lookup = |id: u64| -> Option<Lookup> {
        match resolution.answer(id) {
            Answer::Found(c) => Some(Lookup::Found {
                connection: c.clone(),
                verification: resolution.verification.get(&id).cloned(),
            }),
            Answer::NotFound => Some(Lookup::NotFound { id }),
            Answer::Unchecked(_) => None,
        }
    };
    for result in results.iter_mut() {
        let Some(scenario) = &result.scenario else {
            continue;
        };
        let mut teams = teams_for(&result.display);
        if teams.is_empty() {
            teams.extend(team.or(source_team));
        }
        let cx = LiveContext {
            scenario,
            settings,
            teams: &teams,
        };
        let object_lookup = |r: &crate::model::Reference| -> Option<ObjectLookup> {
            let id = r.value.effective_id()?;
            if let Some(o) = resolution.objects.get(&(r.kind, id)) {
                Some(ObjectLookup::Found(o.clone()))
            } else if resolution.objects_not_found.contains(&(r.kind, id)) {
                Some(ObjectLookup::NotFound {
                    kind: r.kind,
                    id,
                    team: request.team,
                })
            } else {
                None
            }
        };
        let findings = rules.run_live(&cx, &|r| lookup(r.value.effective_id()?), &object_lookup);
        for (reference, f) in findings {
            let loc = result.reference_locations.get(reference).cloned();
            result
                .diagnostics
                .push(Diagnostic::new(f, &result.display, loc));
        }
        result
            .diagnostics
            .sort_by_key(|d| d.location.as_ref().map_or(0, |l| l.span.start));
    }
    let (unscoped, unscoped_module_names) = modules_without_scope_check(results, settings);
    LiveOutcome {
        modules_without_scope_check: unscoped,
        unscoped_module_names,
        unchecked: resolution.unchecked_of(&request.ids),
        resolution,
        requirement_notes: answer.notes,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    const STRUCTURE: &str = include_str!("../fixtures/cases/structure.json");

    #[test]
    fn modelling_without_rules_keeps_the_model_and_runs_no_rule() {
        let checked = check_bytes("s.json", true, STRUCTURE.as_bytes(), &Options::default());
        assert!(!checked.diagnostics.is_empty(), "the fixture has findings");
        let opts = Options {
            run_rules: false,
            ..Options::default()
        };
        let modelled = check_bytes("s.json", true, STRUCTURE.as_bytes(), &opts);
        assert!(modelled.diagnostics.is_empty());
        let scenario = modelled.scenario.expect("the model is kept");
        assert_eq!(
            scenario.references.len(),
            modelled.reference_locations.len()
        );
        assert_eq!(modelled.modules, checked.modules);
    }
}

//! discover -> read -> parse -> model -> offline rules (per file, in parallel) -> live rules.
//!
//! Each file is processed start to finish by one worker, and only what findings and the live
//! stage need is kept: the model and located excerpts, never the file's bytes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;

use rayon::prelude::*;

use crate::discover::Input;
use crate::finding::Finding;
use crate::finding::location::Positions;
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

/// Reads at most `limit + 1` bytes, so a file that grows past the limit is caught too. `size`
/// (the file's length from its metadata) sizes the buffer so that the file arrives in one
/// read, without the regrowth copies of an empty `Vec`; one spare byte lets the read that
/// confirms the end find no room problem.
fn read_limited(reader: &mut dyn Read, limit: u64, size: u64) -> std::io::Result<Vec<u8>> {
    let capacity = size.min(limit).saturating_add(1);
    let mut buf = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
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
        Input::Stdin => match read_limited(&mut std::io::stdin().lock(), opts.max_file_size, 0) {
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
                Ok((meta, mut f)) => match read_limited(&mut f, opts.max_file_size, meta.len()) {
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
    // Only the human format shows excerpts, which need every line start (and the secrets to
    // mask); other formats print positions only, found in one sweep over the offsets used.
    let locator = if opts.excerpts {
        let secrets: Vec<Span> = findings.iter().filter_map(|f| f.secret).collect();
        Locator::Index(SourceIndex::new(src, secrets))
    } else {
        let mut offsets = Vec::new();
        let mut add = |span: Span| offsets.extend([span.start, span.end.max(span.start)]);
        for f in &findings {
            add(f.span);
            f.related.iter().for_each(|(span, _)| add(*span));
        }
        if opts.keep_model {
            scenario.references.iter().for_each(|r| add(r.span));
        }
        Locator::Sweep(Positions::new(src, offsets))
    };
    let locate = |span: Span| match &locator {
        Locator::Index(index) => index.locate(span),
        Locator::Sweep(positions) => positions.locate_bare(span),
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

/// How one file's findings are located: with excerpts from a full index, or bare positions.
enum Locator<'a> {
    Index(SourceIndex<'a>),
    Sweep(Positions),
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

/// How far ahead of the next file to hand out the workers may run: a long file holds back the
/// output, and at most this many later results wait for it in memory.
const ORDER_WINDOW: usize = 256;

/// Checks every input in parallel and hands each result to `each` in input order, as soon as
/// the files before it are done: memory holds only the results that finished out of order,
/// never the whole run. Workers take the next file from a shared counter (not rayon's halves
/// of the list, which would make the second worker's results wait for the first's), on
/// `rayon::current_num_threads()` threads, so `RAYON_NUM_THREADS` still applies; `each` runs
/// on the calling thread.
pub fn check_in_order(
    inputs: &[Input],
    opts: &Options,
    tick: &(dyn Fn() + Sync),
    each: &mut dyn FnMut(FileResult),
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;

    let next = AtomicUsize::new(0);
    let progress = Progress::default();
    let workers = rayon::current_num_threads().clamp(1, inputs.len().max(1));
    let (send, receive) = mpsc::channel::<(usize, FileResult)>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let send = send.clone();
            let (next, progress) = (&next, &progress);
            scope.spawn(move || {
                let _abort = progress.abort_on_panic();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(input) = inputs.get(i) else { break };
                    if !progress.wait_for_room(i) {
                        break;
                    }
                    let result = check_input(input, opts);
                    tick();
                    if send.send((i, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(send);
        let _abort = progress.abort_on_panic();
        let mut waiting: BTreeMap<usize, FileResult> = BTreeMap::new();
        let mut due = 0;
        for (i, result) in receive {
            waiting.insert(i, result);
            while let Some(result) = waiting.remove(&due) {
                each(result);
                due += 1;
                progress.emitted(due);
            }
        }
    });
}

/// What [`check_in_order`]'s workers wait on: how many results were handed on, and whether a
/// thread panicked. A panic must end the run, not leave the others waiting for a result that
/// will never come (the scope then re-raises it).
#[derive(Default)]
struct Progress {
    state: std::sync::Mutex<(usize, bool)>,
    moved: std::sync::Condvar,
}

impl Progress {
    fn lock(&self) -> std::sync::MutexGuard<'_, (usize, bool)> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until file `i` is within ORDER_WINDOW of the output; false once a thread panicked.
    fn wait_for_room(&self, i: usize) -> bool {
        let mut state = self.lock();
        while i >= state.0 + ORDER_WINDOW && !state.1 {
            state = self.moved.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        !state.1
    }

    fn emitted(&self, due: usize) {
        self.lock().0 = due;
        self.moved.notify_all();
    }

    /// Wakes every waiting worker for good if the current thread unwinds.
    fn abort_on_panic(&self) -> impl Drop + '_ {
        struct Guard<'a>(&'a Progress);
        impl Drop for Guard<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    self.0.lock().1 = true;
                    self.0.moved.notify_all();
                }
            }
        }
        Guard(self)
    }
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
    fn files_come_back_in_input_order_whatever_order_they_finish_in() {
        let dir = tempfile::tempdir().unwrap();
        // More files than the window, with a large file now and then that finishes late.
        let big = format!(
            "{{\"name\":\"big\",\"flow\":[{}]}}",
            vec![r#"{"id":1,"module":"json:ParseJSON","mapper":{"x":"y"}}"#; 4000].join(",")
        );
        let inputs: Vec<Input> = (0..3 * ORDER_WINDOW)
            .map(|i| {
                let path = dir.path().join(format!("{i:04}.json"));
                let text = if i % 97 == 0 { big.as_str() } else { STRUCTURE };
                std::fs::write(&path, text).unwrap();
                Input::File {
                    display: format!("{i:04}.json"),
                    path,
                    explicit: true,
                }
            })
            .collect();
        let opts = Options {
            keep_model: false,
            excerpts: false,
            ..Options::default()
        };
        let ticks = std::sync::atomic::AtomicUsize::new(0);
        let mut seen = Vec::new();
        check_in_order(
            &inputs,
            &opts,
            &|| {
                ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            },
            &mut |r| seen.push(r.display),
        );
        let expected: Vec<String> = inputs.iter().map(|i| i.display().to_string()).collect();
        assert_eq!(seen, expected);
        assert_eq!(ticks.into_inner(), inputs.len());
        let mut none = Vec::new();
        check_in_order(&[], &opts, &|| {}, &mut |r| none.push(r.display));
        assert!(none.is_empty());
    }

    #[test]
    fn a_panic_while_reporting_ends_the_run_instead_of_leaving_workers_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let inputs: Vec<Input> = (0..2 * ORDER_WINDOW + 8)
            .map(|i| {
                let path = dir.path().join(format!("{i:04}.json"));
                std::fs::write(&path, STRUCTURE).unwrap();
                Input::File {
                    display: format!("{i:04}.json"),
                    path,
                    explicit: true,
                }
            })
            .collect();
        let opts = Options {
            keep_model: false,
            excerpts: false,
            ..Options::default()
        };
        // The renderer fails once the workers have run a whole window ahead and wait for room:
        // without the abort they would wait for ever, and the run would hang.
        let ticks = std::sync::atomic::AtomicUsize::new(0);
        let tick = || {
            ticks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            check_in_order(&inputs, &opts, &tick, &mut |_| {
                let start = std::time::Instant::now();
                while ticks.load(std::sync::atomic::Ordering::SeqCst) < ORDER_WINDOW
                    && start.elapsed() < std::time::Duration::from_secs(20)
                {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                panic!("the renderer failed")
            });
        }));
        assert!(outcome.is_err(), "the panic reaches the caller");
    }

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

//! `bplint remap`: rewrite connection (or other) ids in blueprint files, byte-exactly.

use std::path::PathBuf;

use super::{EXIT_CLEAN, EXIT_FINDINGS, Ui, api_client, inputs_of, say, write_output};
use crate::cli::args::RemapArgs;
use crate::discover::Input;
use crate::live::snapshot::Snapshot;
use crate::live::{Catalog, ConnectionSource};
use crate::remap;
use crate::settings::Settings;

pub fn run(args: RemapArgs, ui: &Ui, settings: &Settings) -> Result<u8, String> {
    use crate::model::RefKind;
    let mut map = remap::IdMap::new();
    for m in &args.map {
        remap::parse_pairs(m, "--map", &mut map)?;
    }
    if let Some(f) = &args.map_file {
        remap::load_map_file(f, &mut map)?;
    }
    if map.is_empty() {
        return Err("give the ids to change with --map OLD=NEW or --map-file FILE".into());
    }
    let kinds = args.kind.kinds();
    let mut plans = Vec::new();
    for file in read_blueprints(&args.paths, "remap")? {
        plans.push(
            remap::plan_modelled(&file.path, file.bytes, &file.scenario, &map, &kinds)
                .map_err(|e| format!("{e}; nothing was written"))?,
        );
    }
    let changed: Vec<&remap::FilePlan> = plans.iter().filter(|p| !p.edits.is_empty()).collect();
    let out = changes_text(&changed, args.dry_run, ui.quiet);
    if args.online || args.connections.is_some() {
        let source: Box<dyn ConnectionSource> = match &args.connections {
            Some(path) => Box::new(Snapshot::load(path)?),
            None => Box::new(api_client(&args.api, settings)?),
        };
        let team = args.team.or(source.default_team());
        let ids = changed
            .iter()
            .flat_map(|p| p.edits.iter())
            .filter(|e| e.kind == RefKind::Connection)
            .map(|e| e.new)
            .collect();
        let request = crate::live::ResolveRequest {
            team,
            ids,
            ..Default::default()
        };
        let resolution = source.resolve(&request);
        // `unchecked_of` also catches an id the source gave no answer for at all.
        if !resolution.unchecked_of(&request.ids).is_empty() || !resolution.errors.is_empty() {
            for e in &resolution.errors {
                say("error", e);
            }
            return Err(format!(
                "the new ids could not be checked against {}; nothing was written",
                source.describe()
            ));
        }
        let catalog = Catalog::builtin();
        let problems =
            remap::check_targets(&plans, &resolution, team, &|m| catalog.lookup(m).types);
        if !problems.is_empty() {
            for p in &problems {
                say("error", p);
            }
            eprintln!(
                "{} problem(s) with the new ids; nothing was written",
                problems.len()
            );
            return Ok(EXIT_FINDINGS);
        }
    }
    write_plans(&plans, args.dry_run, ui, &out)?;
    Ok(EXIT_CLEAN)
}

/// What a run prints on standard output for the files it changes: each file's unified diff
/// (`--dry-run`), else a line per file naming the ids rewritten.
pub(super) fn changes_text(changed: &[&remap::FilePlan], dry_run: bool, quiet: bool) -> String {
    let mut out = String::new();
    for p in changed {
        if dry_run {
            // The diff quotes the file: secrets masked and control characters replaced, byte
            // for byte, so the hunks still read as the file.
            out.push_str(&crate::redact::safe_source(&p.diff()));
        } else if !quiet {
            let pairs: Vec<String> = p
                .edits
                .iter()
                .map(|e| format!("{}->{}", e.old, e.new))
                .collect();
            out.push_str(&crate::redact::clean(&format!(
                "{}: {} id(s) rewritten ({})",
                p.path.display(),
                p.edits.len(),
                pairs.join(", ")
            )));
            out.push('\n');
        }
    }
    out
}

/// Rewrites every planned file (all or nothing, see [`remap::apply`]) unless `dry_run`, says
/// how many ids changed in how many files, and prints `out`.
pub(super) fn write_plans(
    plans: &[remap::FilePlan],
    dry_run: bool,
    ui: &Ui,
    out: &str,
) -> Result<(), String> {
    if !dry_run {
        remap::apply(plans).map_err(|e| e.to_string())?;
    }
    let changed: Vec<&remap::FilePlan> = plans.iter().filter(|p| !p.edits.is_empty()).collect();
    let total: usize = changed.iter().map(|p| p.edits.len()).sum();
    if !ui.quiet {
        let verb = if dry_run { "would rewrite" } else { "rewrote" };
        eprintln!(
            "{verb} {total} id(s) in {} of {} blueprint(s)",
            changed.len(),
            plans.len()
        );
    }
    write_output(None, out)
}

/// Every blueprint under `paths`, read for `command` (`remap`, `bind`) to rewrite in place. A
/// file named on the command line that cannot be read as a blueprint stops the run before
/// anything is written; one found in a folder is skipped with a note.
pub(super) fn read_blueprints(
    paths: &[PathBuf],
    command: &str,
) -> Result<Vec<remap::BlueprintFile>, String> {
    let (inputs, problems) = inputs_of(paths);
    if let Some(p) = problems.iter().find(|p| !p.is_loop) {
        return Err(format!("{}: {}", p.display, p.message));
    }
    let mut files = Vec::new();
    for input in &inputs {
        let Input::File {
            path,
            display,
            explicit,
        } = input
        else {
            return Err(format!(
                "{command} rewrites files in place; it cannot read standard input"
            ));
        };
        let bytes = std::fs::read(path).map_err(|e| format!("{display}: {e}"))?;
        match remap::scenario_of(path, &bytes) {
            Ok(Some(scenario)) => files.push(remap::BlueprintFile {
                path: path.clone(),
                bytes,
                scenario,
            }),
            Ok(None) if *explicit => {
                return Err(format!("{display}: not a blueprint; nothing was written"));
            }
            Ok(None) => {}
            Err(e) if *explicit => return Err(format!("{e}; nothing was written")),
            Err(e) => say("note", &format!("skipped {e}")),
        }
    }
    Ok(files)
}

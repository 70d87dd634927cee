//! `bplint remap`: rewrite connection (or other) ids in blueprint files, byte-exactly.

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
    let (inputs, problems) = inputs_of(&args.paths);
    if let Some(p) = problems.iter().find(|p| !p.is_loop) {
        return Err(format!("{}: {}", p.display, p.message));
    }
    let mut plans = Vec::new();
    for input in &inputs {
        let Input::File {
            path,
            display,
            explicit,
        } = input
        else {
            return Err("remap rewrites files in place; it cannot read standard input".into());
        };
        let bytes = std::fs::read(path).map_err(|e| format!("{display}: {e}"))?;
        match remap::plan(path, bytes, &map, &kinds) {
            Ok(Some(plan)) => plans.push(plan),
            Ok(None) if *explicit => {
                return Err(format!("{display}: not a blueprint; nothing was written"));
            }
            Ok(None) => {}
            Err(e) if *explicit => return Err(format!("{e}; nothing was written")),
            Err(e) => say("note", &format!("skipped {e}")),
        }
    }
    let mut out = String::new();
    let changed: Vec<&remap::FilePlan> = plans.iter().filter(|p| !p.edits.is_empty()).collect();
    for p in &changed {
        if args.dry_run {
            // The diff quotes the file: secrets masked and control characters replaced, byte
            // for byte, so the hunks still read as the file.
            out.push_str(&crate::redact::safe_source(&p.diff()));
        } else if !ui.quiet {
            let pairs: Vec<String> = p
                .edits
                .iter()
                .map(|e| format!("{}->{}", e.old, e.new))
                .collect();
            out.push_str(&format!(
                "{}: {} id(s) rewritten ({})\n",
                crate::redact::clean(&p.path.display().to_string()),
                p.edits.len(),
                pairs.join(", ")
            ));
        }
    }
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
        let resolution = source.resolve(&crate::live::ResolveRequest {
            team,
            ids,
            ..Default::default()
        });
        if !resolution.unchecked.is_empty() || !resolution.errors.is_empty() {
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
    if !args.dry_run {
        remap::apply(&plans).map_err(|e| e.to_string())?;
    }
    let total: usize = changed.iter().map(|p| p.edits.len()).sum();
    if !ui.quiet {
        let verb = if args.dry_run {
            "would rewrite"
        } else {
            "rewrote"
        };
        eprintln!(
            "{verb} {total} id(s) in {} of {} blueprint(s)",
            changed.len(),
            plans.len()
        );
    }
    write_output(None, &out)?;
    Ok(EXIT_CLEAN)
}

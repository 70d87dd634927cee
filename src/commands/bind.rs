//! `bplint bind`: bind template placeholders (and other teams' ids) to the team's own
//! connections, webhooks, data stores and keychains; the decisions are `crate::bind`'s, the
//! rewriting `remap`'s.

use regex::Regex;

use super::remap::{changes_text, read_blueprints, write_plans};
use super::{EXIT_CLEAN, EXIT_FINDINGS, Ui, api_client, say, write_output};
use crate::bind::team::TeamLists;
use crate::bind::{self, Choices, report};
use crate::cli::args::BindArgs;
use crate::live::requirements::RequirementsAnswer;
use crate::live::snapshot::Snapshot;
use crate::live::{Catalog, ConnectionSource};
use crate::remap::{self, KeyMap};
use crate::settings::Settings;
use crate::side_file::{SideFileKind, read_side_file};

pub fn run(args: BindArgs, ui: &Ui, settings: &Settings) -> Result<u8, String> {
    let team = settings
        .team
        .ok_or("bind needs --team T (or `team` in bplint.toml): the team to bind to")?;
    let prefer = match &args.prefer {
        Some(p) => Some(Regex::new(p).map_err(|e| format!("--prefer: {e}"))?),
        None => None,
    };
    let mut map = KeyMap::new();
    if let Some(f) = &args.map_file {
        remap::load_map_file(f, &mut map)?;
    }
    let choices = Choices { prefer, map };
    let mut catalog = Catalog::builtin();
    for dir in &settings.catalog_dirs {
        catalog.add_dir(dir)?;
    }
    let files = read_blueprints(&args.paths, "bind")?;

    let api = if args.online {
        Some(api_client(&args.api, settings)?)
    } else {
        None
    };
    // The snapshot answers module requirements as it recorded them; Make answers them online.
    let mut snapshot = None;
    let mut lists = match (&api, &args.connections) {
        (Some(api), _) => {
            let kinds = files
                .iter()
                .flat_map(|f| f.scenario.references.iter().map(|r| r.kind))
                .collect();
            TeamLists::from_api(api, team, &kinds, api.describe())?
        }
        (None, Some(path)) => {
            let text = read_side_file(path, SideFileKind::Snapshot).map_err(|e| e.to_string())?;
            let shown = path.display().to_string();
            let read = Snapshot::from_str(&text, &shown)?;
            let lists = TeamLists::from_snapshot(&read, &text, &shown, team)?;
            snapshot = Some(read);
            lists
        }
        // clap requires one of the two.
        (None, None) => return Err("bind needs --connections FILE or --online".into()),
    };
    let source: &dyn ConnectionSource = match (&api, &snapshot) {
        (Some(api), _) => api,
        (None, Some(snapshot)) => snapshot,
        (None, None) => return Err("bind needs --connections FILE or --online".into()),
    };
    // Which references are to be bound does not depend on requirements, only what fits them:
    // ask Make about the apps of those references alone, then what each needs.
    let (mut sites, notes) = bind::sites(&files, &lists, &Default::default(), &catalog)?;
    let wanted = bind::needs::wanted(&files, &sites);
    let answer = if wanted.is_empty() {
        RequirementsAnswer::default()
    } else {
        source.requirements(&wanted)
    };
    if !answer.errors.is_empty() {
        for e in &answer.errors {
            say("error", e);
        }
        return Err(format!(
            "the module requirements could not be had from {}; nothing was written",
            source.describe()
        ));
    }
    if ui.verbose {
        for note in &answer.notes {
            say("note", note);
        }
    }
    bind::needs::learn_requirements(&mut sites, &files, &answer.requirements, &catalog);
    // List rows of the API carry no scopes: ask, economically, about those that matter.
    if let (Some(api), Some(request)) = (&api, bind::scope_request(&sites, &lists)) {
        let resolution = api.resolve(&request);
        if !resolution.unchecked_of(&request.ids).is_empty() || !resolution.errors.is_empty() {
            for e in &resolution.errors {
                say("error", e);
            }
            return Err(format!(
                "the scopes of the team's connections could not be checked against {}; \
                 nothing was written",
                api.describe()
            ));
        }
        lists.learn_scopes(&resolution.found);
    }
    let decisions = bind::decide(&sites, &lists, &choices);
    for note in &notes {
        say("note", note);
    }
    for key in bind::unused_entries(&decisions, &choices) {
        say(
            "note",
            &format!(
                "map file entry {} names no reference to bind",
                key.written()
            ),
        );
    }
    let unbound = decisions.iter().filter(|d| d.bound_to().is_none()).count();
    eprint!(
        "{}",
        report::decisions_text(&decisions, &sites, &files, ui.quiet)
    );
    let code = if unbound == 0 {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    };
    if args.propose {
        let text = report::proposal_text(&decisions, &sites, &files, team, &lists.source);
        write_output(None, &text)?;
        return Ok(code);
    }
    if decisions.is_empty() && !ui.quiet {
        eprintln!("nothing to bind");
    }
    let plans = bind::plans(files, &sites, &decisions);
    let changed: Vec<&remap::FilePlan> = plans.iter().filter(|p| !p.edits.is_empty()).collect();
    let out = changes_text(&changed, args.dry_run, ui.quiet);
    write_plans(&plans, args.dry_run, ui, &out)?;
    if unbound > 0 && !ui.quiet {
        eprintln!("{unbound} placeholder(s) or id(s) left unbound");
    }
    Ok(code)
}

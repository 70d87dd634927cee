//! `bplint pull`: save every scenario blueprint of a team as DIR/<id>-<slug>.json.

use super::{EXIT_CLEAN, EXIT_TROUBLE, Ui, api_client, say};
use crate::cli::args::ApiArgs;
use crate::redact;
use crate::settings::Settings;

pub fn run(
    team: u64,
    out: &std::path::Path,
    prune: bool,
    api: &ApiArgs,
    ui: &Ui,
    settings: &Settings,
) -> Result<u8, String> {
    let client = api_client(api, settings)?;
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let pulled = client.pull_blueprints(team).map_err(|e| e.to_string())?;
    // Id -> the file name it was saved under now, to find the names it had before.
    let mut saved = std::collections::BTreeMap::new();
    let mut failed = 0usize;
    for p in &pulled.scenarios {
        let name = crate::pull::file_name(p.id, &p.name);
        let result = p
            .blueprint
            .as_ref()
            .map_err(|e| format!("could not fetch the blueprint: {e}"))
            .and_then(|text| {
                crate::pull::check_blueprint(text)?;
                crate::pull::save(out, &name, &crate::pull::pretty(text))
            });
        match result {
            Ok(path) => {
                saved.insert(p.id, name);
                if ui.verbose {
                    eprintln!("saved {}", redact::clean(&path.display().to_string()));
                }
            }
            Err(e) => {
                failed += 1;
                say("error", &format!("scenario {} ({}): {e}", p.id, p.name));
            }
        }
    }
    if pulled.rows_without_id > 0 {
        failed += pulled.rows_without_id;
        eprintln!(
            "error: {} scenario(s) were listed without a usable id and not saved",
            pulled.rows_without_id
        );
    }
    for stale in crate::pull::stale_files(out, &saved)? {
        // File names come from the folder: escaped, like scenario names.
        let (old, now) = (stale.name.escape_debug(), stale.current.escape_debug());
        if !prune {
            eprintln!(
                "note: {old} is left from an earlier pull: scenario {} is now saved as {now} \
                 (--prune deletes such files)",
                stale.id
            );
        } else if let Err(e) = std::fs::remove_file(out.join(&stale.name)) {
            failed += 1;
            eprintln!(
                "error: cannot delete {old} (scenario {} is now {now}): {e}",
                stale.id
            );
        } else {
            eprintln!(
                "note: deleted {old}: scenario {} is now saved as {now}",
                stale.id
            );
        }
    }
    if !ui.quiet {
        eprintln!(
            "saved {} of {} blueprint(s) of team {team} in {} ({} request(s))",
            saved.len(),
            pulled.scenarios.len() + pulled.rows_without_id,
            redact::clean(&out.display().to_string()),
            pulled.requests
        );
    }
    Ok(if failed > 0 { EXIT_TROUBLE } else { EXIT_CLEAN })
}

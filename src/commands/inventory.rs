//! `bplint inventory`: a team's connections and the blueprints that use them.

use super::write_output;
use super::{EXIT_CLEAN, EXIT_TROUBLE, api_client, file_problems, parse_now, read_models, say};
use crate::cli::args::{InventoryArgs, InventoryFormat};
use crate::inventory;
use crate::live::snapshot::Snapshot;
use crate::live::{ConnectionSource, ResolveRequest};
use crate::pipeline::Status;
use crate::report;
use crate::settings::Settings;

pub fn run(args: InventoryArgs, settings: &Settings) -> Result<u8, String> {
    let now = parse_now(args.expiry.now.as_deref())?;
    let results = read_models(&args.paths, settings);
    let referenced: std::collections::BTreeSet<u64> =
        inventory::usages(&results).into_keys().collect();
    let team = args.team;
    let (listed, resolution) = match &args.connections {
        Some(path) => {
            let snap = Snapshot::load(path)?;
            // Rows without a team belong to the team the snapshot was exported for.
            let listed: Vec<_> = snap
                .connections()
                .filter(|c| match c.team_id {
                    Some(t) => t == team,
                    None => snap.team().is_none_or(|t| t == team),
                })
                .cloned()
                .map(|mut c| {
                    c.team_id.get_or_insert(team);
                    c
                })
                .collect();
            let request = ResolveRequest {
                team: Some(team),
                ids: referenced,
                ..ResolveRequest::default()
            };
            (listed, snap.resolve(&request))
        }
        None => api_client(&args.api, settings)?
            .team_inventory(team, &referenced)
            .map_err(|e| e.to_string())?,
    };
    let inv = inventory::build(
        team,
        &results,
        &listed,
        &resolution,
        now,
        settings.expiry_warning_days,
    );
    let text = match args.format {
        InventoryFormat::Table => inventory::render::table(&inv),
        InventoryFormat::Json => inventory::render::json(&inv)?,
        InventoryFormat::Csv => inventory::render::csv(&inv)?,
        InventoryFormat::Markdown => inventory::render::markdown(&inv),
    };
    write_output(args.output.as_ref(), &text)?;
    for d in file_problems(&results) {
        eprint!("{}", report::compact::line(d));
    }
    for e in &resolution.errors {
        say("error", e);
    }
    let unreadable = results.iter().any(|r| r.status == Status::Unreadable);
    // Fail closed: an inventory with references nobody could settle is not a clean one.
    Ok(if unreadable || !inv.unchecked.is_empty() {
        EXIT_TROUBLE
    } else {
        EXIT_CLEAN
    })
}

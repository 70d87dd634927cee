//! `bplint connections export`: a team's connections as a snapshot file; with PATHS, everything
//! a check of PATHS asks the API, so the snapshot checks exactly like the API.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Value, json};

use super::{EXIT_CLEAN, api_client, read_models, write_output};
use crate::cli::args::ApiArgs;
use crate::live::api::MakeApi;
use crate::live::snapshot::SNAPSHOT_VERSION;
use crate::live::{ConnectionSource, LiveSettings, Resolution, ResolveRequest, object_list};
use crate::pipeline;
use crate::settings::Settings;

pub fn export(
    paths: &[PathBuf],
    team: u64,
    output: Option<PathBuf>,
    api: &ApiArgs,
    settings: &Settings,
) -> Result<u8, String> {
    let client = api_client(api, settings)?;
    let snapshot = if paths.is_empty() {
        client.export_connections(team).map_err(|e| e.to_string())?
    } else {
        export_for(paths, team, &client, settings)?
    };
    let text = serde_json::to_string_pretty(&snapshot).map_err(|e| e.to_string())? + "\n";
    write_output(output.as_ref(), &text)?;
    Ok(EXIT_CLEAN)
}

/// The snapshot a check of `paths` for `team` needs: the files are modelled (no rules run),
/// the same requests `check --online --team T PATHS` makes are made, and their answers are
/// recorded beside the team's connection list. Anything that could not be had fails the export
/// (a snapshot that silently lacks an answer would check differently).
fn export_for(
    paths: &[PathBuf],
    team: u64,
    client: &MakeApi,
    settings: &Settings,
) -> Result<Value, String> {
    let results = read_models(paths, settings);
    if let Some(bad) = results
        .iter()
        .find(|r| r.status == pipeline::Status::Unreadable)
    {
        return Err(format!(
            "{}: could not be read, so the snapshot would not cover it",
            bad.display
        ));
    }
    let answer = pipeline::live_requirements(&results, client);
    if !answer.errors.is_empty() {
        return Err(answer.errors.join("; "));
    }
    let live = LiveSettings {
        now: chrono::Utc::now(),
        expiry_warning_days: settings.expiry_warning_days,
        catalog: settings.module_catalog()?,
        requirements: answer.requirements,
        verify: false,
    };
    let request = pipeline::live_request(&results, &live, Some(team));
    let resolution = client.resolve(&request);
    refuse_incomplete(&resolution, &request)?;
    for note in &answer.notes {
        super::say("note", &crate::redact::clean(note));
    }
    let mut listed = client.export_connections(team).map_err(|e| e.to_string())?;
    let rows = listed
        .get_mut("connections")
        .and_then(Value::as_array_mut)
        .map(std::mem::take)
        .unwrap_or_default();
    Ok(snapshot_v2(team, rows, &resolution, &request, &live))
}

fn refuse_incomplete(res: &Resolution, request: &ResolveRequest) -> Result<(), String> {
    let mut problems: Vec<String> = res.errors.clone();
    problems.extend(
        res.unchecked_of(&request.ids)
            .iter()
            .map(|(id, why)| format!("connection {id}: {why}")),
    );
    problems.extend(
        res.objects_unchecked
            .iter()
            .map(|((kind, id), why)| format!("{} {id}: {why}", kind.name())),
    );
    if problems.is_empty() {
        return Ok(());
    }
    problems.dedup();
    Err(format!(
        "not writing a snapshot that lacks answers a check needs: {}",
        problems.join("; ")
    ))
}

/// `{"bplintSnapshot": 2, "teamId", "connections", "hooks"..., "requirements"}`: the team's
/// list with each referenced connection as the check resolved it (scopes and scope answers
/// included), then referenced connections of other teams; referenced webhooks, data stores and
/// keychains (the team's and other teams'); ids found nowhere are absent, which a snapshot reads
/// as not found.
fn snapshot_v2(
    team: u64,
    team_rows: Vec<Value>,
    res: &Resolution,
    request: &crate::live::ResolveRequest,
    live: &LiveSettings,
) -> Value {
    let mut connections: Vec<Value> = Vec::new();
    let mut written = std::collections::BTreeSet::new();
    for mut row in team_rows {
        let id = crate::live::decode::row_id(&row);
        match id.and_then(|id| res.found.get(&id)) {
            Some(c) => {
                written.insert(c.id);
                connections.push(c.to_row());
            }
            None => {
                // A plain list row's flag answered no scope question.
                if let Some(o) = row.as_object_mut() {
                    o.remove("scoped");
                }
                if let Some(id) = id {
                    written.insert(id);
                }
                connections.push(row);
            }
        }
    }
    let mut outside: Vec<_> = res
        .found
        .values()
        .filter(|c| !written.contains(&c.id))
        .collect();
    outside.sort_by_key(|c| c.id);
    connections.extend(outside.into_iter().map(|c| c.to_row()));
    let mut doc = json!({
        "bplintSnapshot": SNAPSHOT_VERSION,
        "teamId": team,
        "connections": connections,
    });
    let mut by_kind: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for kind in request.objects.keys() {
        if let Some((_, key)) = object_list(*kind) {
            by_kind.entry(key).or_default();
        }
    }
    let mut objects: Vec<_> = res.objects.values().collect();
    objects.sort_by_key(|o| (o.kind, o.id));
    for o in objects {
        if let Some((_, key)) = object_list(o.kind) {
            by_kind
                .entry(key)
                .or_default()
                .push(json!({"id": o.id, "name": o.name, "teamId": o.team_id}));
        }
    }
    for (key, rows) in by_kind {
        doc[key] = Value::Array(rows);
    }
    doc["requirements"] = live.requirements.to_json();
    doc
}

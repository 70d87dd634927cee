//! Answering a [`ResolveRequest`](crate::live::ResolveRequest) for webhooks, data stores and
//! keychains.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use reqwest::Method;
use tokio::task::JoinSet;

use super::access::token_scope;
use super::error::ApiError;
use super::transport::Run;
use crate::live::StoredObject;
use crate::model::RefKind;

/// What the API said about the referenced webhooks, data stores and keychains.
#[derive(Default)]
pub(super) struct ObjectAnswers {
    pub(super) found: HashMap<(RefKind, u64), StoredObject>,
    pub(super) missing: BTreeSet<(RefKind, u64)>,
    pub(super) unchecked: BTreeMap<(RefKind, u64), String>,
    pub(super) errors: Vec<String>,
}

/// Lists each referenced kind of stored object once for the team, then asks by id
/// (`GET /hooks/{id}`...) once for each referenced id the list lacks, to tell another team's
/// object from a missing one. Without a team every id is asked by id. A list that could not be
/// had leaves its ids unchecked (exit 2), never "not found".
pub(super) async fn resolve_objects(
    run: &Arc<Run>,
    team: Option<u64>,
    objects: &BTreeMap<RefKind, BTreeSet<u64>>,
) -> ObjectAnswers {
    let mut out = ObjectAnswers::default();
    let mut jobs: JoinSet<(RefKind, u64, Result<StoredObject, ApiError>)> = JoinSet::new();
    for (kind, ids) in objects {
        let Some((path, key)) = crate::live::object_list(*kind).filter(|_| !ids.is_empty()) else {
            continue;
        };
        let mut absent: Vec<u64> = ids.iter().copied().collect();
        if let Some(team) = team {
            match run
                .paged(key, |offset| run.team_url(path, team, offset))
                .await
            {
                Ok(rows) => {
                    let listed: HashMap<u64, StoredObject> = rows
                        .iter()
                        .filter_map(|r| StoredObject::from_json(*kind, r))
                        .map(|mut o| {
                            o.team_id.get_or_insert(team);
                            (o.id, o)
                        })
                        .collect();
                    absent.retain(|id| match listed.get(id) {
                        Some(o) => {
                            out.found.insert((*kind, *id), o.clone());
                            false
                        }
                        None => true,
                    });
                }
                Err(f) => {
                    for id in ids {
                        out.unchecked.insert((*kind, *id), f.to_string());
                    }
                    let what = format!(
                        "could not list the {path} of team {team}, {} {}(s) unchecked",
                        ids.len(),
                        kind.name(),
                    );
                    out.errors.push(f.during(what).to_string());
                    continue;
                }
            }
        }
        for id in absent {
            let run = run.clone();
            let kind = *kind;
            jobs.spawn(async move { (kind, id, run.object_by_id(kind, id).await) });
        }
    }
    // Per cause (the reason with ids templated), the ids it left unchecked.
    let mut causes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    while let Some(joined) = jobs.join_next().await {
        let Ok((kind, id, answer)) = joined else {
            out.errors
                .push("internal error: a lookup task failed".to_string());
            continue;
        };
        // The reason for this id, and the cause as the summary tells it.
        let (reason, cause) = match answer {
            Ok(o) if team.is_some() && o.team_id.is_none() => {
                let reason = format!(
                    "the team's list lacks it and its record (GET /{}/{id}) names no team",
                    crate::live::object_list(kind).map_or("", |(p, _)| p)
                );
                (reason.clone(), reason)
            }
            Ok(o) => {
                out.found.insert((kind, id), o);
                continue;
            }
            Err(f) if f.is_not_found() => {
                out.missing.insert((kind, id));
                continue;
            }
            Err(f @ ApiError::Refused { .. }) => {
                let why = format!(
                    "the Make API refused access: it belongs to a team the token cannot read, \
                     or to another zone (ids are per zone: check --zone), or the token lacks \
                     `{}`",
                    token_scope(
                        &Method::GET,
                        &[crate::live::object_list(kind).map_or("", |(p, _)| p)]
                    )
                    .unwrap_or("connections:read")
                );
                (format!("{why} ({f})"), format!("{why} ({})", f.summary()))
            }
            Err(f) => (f.to_string(), f.summary()),
        };
        out.unchecked.insert((kind, id), reason);
        causes
            .entry(cause)
            .or_default()
            .push(format!("{} {id}", kind.name()));
    }
    for (cause, what) in causes {
        out.errors
            .push(format!("{} could not be checked: {cause}", what.join(", ")));
    }
    out
}

//! The team's lists `bind` chooses from: its connections, and its webhooks, data stores,
//! keychains and data structures where a list of them is at hand.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::live::api::MakeApi;
use crate::live::snapshot::Snapshot;
use crate::live::{Connection, StoredObject, team_list};
use crate::model::RefKind;

/// One webhook, data store, keychain or data structure of the team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamObject {
    pub object: StoredObject,
    /// The row's `typeName` (`gateway-webhook`, `apikey`), when it has one.
    pub type_name: Option<String>,
}

/// What the team holds, as far as the source lists it.
#[derive(Debug, Clone, Default)]
pub struct TeamLists {
    pub team: u64,
    /// Where the lists come from, for messages (`snapshot conns.json`, `Make API eu1.make.com`).
    pub source: String,
    pub connections: Vec<Connection>,
    /// The lists of other kinds the source has; a kind absent here cannot be bound.
    pub objects: BTreeMap<RefKind, Vec<TeamObject>>,
    /// Why a kind has no list, per kind (said when a reference of that kind is met).
    pub unlisted: BTreeMap<RefKind, String>,
}

/// The kinds besides connections that `bind` can bind, with their list's key.
pub fn object_kinds() -> [(RefKind, &'static str); 4] {
    let key = |kind| team_list(kind).map_or("", |(_, key)| key);
    [
        (RefKind::Hook, key(RefKind::Hook)),
        (RefKind::DataStore, key(RefKind::DataStore)),
        (RefKind::Keychain, key(RefKind::Keychain)),
        (RefKind::DataStructure, key(RefKind::DataStructure)),
    ]
}

impl TeamLists {
    /// The connection `id` of the team, if it is one.
    pub fn connection(&self, id: u64) -> Option<&Connection> {
        self.connections.iter().find(|c| c.id == id)
    }

    /// Whether the team's list of `kind` holds `id`; `None` without such a list.
    pub fn holds(&self, kind: RefKind, id: u64) -> Option<bool> {
        if kind == RefKind::Connection {
            return Some(self.connection(id).is_some());
        }
        Some(self.objects.get(&kind)?.iter().any(|o| o.object.id == id))
    }

    /// The team's lists from a snapshot's text (`bplint connections export`, with `hooks`,
    /// `dataStores`, `keys` and `dataStructures` beside `connections` where recorded). A row
    /// that names no team is the team's the snapshot was exported for, or `team`'s when the
    /// snapshot names none either.
    /// `snapshot` is `text` as read by [`Snapshot`], which has checked its shape.
    pub fn from_snapshot(
        snapshot: &Snapshot,
        text: &str,
        path: &str,
        team: u64,
    ) -> Result<TeamLists, String> {
        let exported_for = snapshot.team().unwrap_or(team);
        let of_team = |row_team: Option<u64>| row_team.unwrap_or(exported_for) == team;
        let mut connections: Vec<Connection> = snapshot
            .connections()
            .filter(|c| of_team(c.team_id))
            .cloned()
            .collect();
        connections.sort_by_key(|c| c.id);
        // `Snapshot` has checked that the text is JSON of a snapshot's shape.
        let doc: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
            .map_err(|e| format!("{path}: invalid JSON: {e}"))?;
        let mut lists = TeamLists {
            team,
            source: format!("snapshot {path}"),
            connections,
            ..TeamLists::default()
        };
        for (kind, key) in object_kinds() {
            let Some(rows) = doc.get(key) else {
                lists
                    .unlisted
                    .insert(kind, format!("snapshot {path} holds no `{key}` list"));
                continue;
            };
            let rows = rows
                .as_array()
                .ok_or_else(|| format!("{path}: {key} is not a list"))?;
            let mut objects = Vec::new();
            for (i, row) in rows.iter().enumerate() {
                let object = StoredObject::from_json(kind, row)
                    .ok_or_else(|| format!("{path}: {key}[{i}] has no usable `id`"))?;
                if of_team(object.team_id) {
                    objects.push(team_object(object, row));
                }
            }
            lists.objects.insert(kind, objects);
        }
        Ok(lists)
    }

    /// The team's connections from the Make API (one paged listing), and its list of each
    /// other kind in `kinds` (one paged listing each).
    pub fn from_api(
        api: &MakeApi,
        team: u64,
        kinds: &BTreeSet<RefKind>,
        source: String,
    ) -> Result<TeamLists, String> {
        let page = api.export_connections(team).map_err(|e| e.to_string())?;
        let mut connections: Vec<Connection> = page
            .get("connections")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|row| Connection::from_team_row(row, team))
            .filter(|c| c.team_id == Some(team))
            .collect();
        connections.sort_by_key(|c| c.id);
        let mut lists = TeamLists {
            team,
            source,
            connections,
            ..TeamLists::default()
        };
        for (kind, key) in object_kinds() {
            if !kinds.contains(&kind) {
                continue;
            }
            let Some(rows) = api.team_objects(team, kind) else {
                lists.unlisted.insert(
                    kind,
                    format!(
                        "--online does not read the team's `{key}` list; bind them from a \
                         snapshot that holds one (--connections FILE)"
                    ),
                );
                continue;
            };
            let rows = rows.map_err(|e| e.to_string())?;
            let objects = rows
                .iter()
                .filter_map(|row| {
                    let mut object = StoredObject::from_json(kind, row)?;
                    // As for connections: the list is the team's own.
                    object.team_id.get_or_insert(team);
                    Some(team_object(object, row))
                })
                .filter(|o| o.object.team_id == Some(team))
                .collect();
            lists.objects.insert(kind, objects);
        }
        Ok(lists)
    }

    /// Scopes learned since the listing (a list row carries none): each connection found in
    /// `found` takes its scopes and `scoped` answer.
    pub fn learn_scopes(&mut self, found: &std::collections::HashMap<u64, Connection>) {
        for c in &mut self.connections {
            if let Some(f) = found.get(&c.id) {
                if f.scopes.is_some() {
                    c.scopes = f.scopes.clone();
                }
                c.scoped = f.scoped;
            }
        }
    }

    /// Whether the source gave the team's list of `kind` (always of connections).
    pub fn has_list(&self, kind: RefKind) -> bool {
        kind == RefKind::Connection || self.objects.contains_key(&kind)
    }
}

fn team_object(object: StoredObject, row: &Value) -> TeamObject {
    TeamObject {
        object,
        type_name: row
            .get("typeName")
            .and_then(Value::as_str)
            .filter(|t| !t.trim().is_empty())
            .map(str::to_string),
    }
}

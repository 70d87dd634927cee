//! A snapshot file of a team's connections (`bplint connections export`, or pages saved from
//! `GET /connections`) as a [`ConnectionSource`], for offline and CI runs.
//!
//! The snapshot is taken as complete: an id it lacks is reported as not found. Whether a found
//! connection belongs to the checked team is left to the rules, which read `team_id`. A
//! top-level `teamId` names the team the snapshot was exported for, and rows may record a past
//! verification (`"verified": false, "verifyError": "..."`), which `--verify` reports.
//!
//! Version 2 (`"bplintSnapshot": 2`, written by `bplint connections export --team T PATHS`)
//! also records what a check of PATHS asked of the API: Make's module requirements of the apps
//! the files use (`requirements`), and each referenced connection's scope answer (`scoped`,
//! kept only in this version), so a check from it finds exactly what the online check found.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde_json::Value;

use super::requirements::{Requirements, RequirementsAnswer, Wanted};
use super::{
    Connection, ConnectionSource, Resolution, ResolveRequest, StoredObject, Verification,
    object_list,
};

/// The snapshot format this bplint writes with PATHS (`bplintSnapshot`); files without the key
/// are version 1.
pub const SNAPSHOT_VERSION: u64 = 2;
use crate::model::RefKind;
use crate::side_file::{SideFileKind, read_side_file};

/// Connections read from a snapshot file.
#[derive(Debug, Clone)]
pub struct Snapshot {
    connections: HashMap<u64, Connection>,
    verification: HashMap<u64, Verification>,
    team: Option<u64>,
    path: String,
    /// Webhooks, data stores and keychains (`hooks`, `dataStores`, `keys` beside `connections`).
    objects: HashMap<(RefKind, u64), StoredObject>,
    /// The kinds the snapshot lists: only those can be called missing.
    object_kinds: BTreeSet<RefKind>,
    /// Make's module requirements recorded by a version 2 export; `None` when not recorded.
    requirements: Option<Requirements>,
}

impl Snapshot {
    pub fn load(path: &Path) -> Result<Snapshot, String> {
        let shown = path.display().to_string();
        let text = read_side_file(path, SideFileKind::Snapshot).map_err(|e| e.to_string())?;
        Snapshot::from_str(&text, &shown)
    }

    /// Parses snapshot text; `path` only names the file in messages.
    ///
    /// Accepted: `{"connections": [...]}` (a `pg` beside it is ignored), an array of such pages,
    /// or a plain array of connection objects, with rows of the real or the seed field shape.
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str, path: &str) -> Result<Snapshot, String> {
        // Editors on Windows like to start files with a BOM, which serde_json rejects.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let doc: Value = serde_json::from_str(text).map_err(|e| {
            format!(
                "{path}:{}:{}: invalid JSON: {}",
                e.line(),
                e.column(),
                strip_position(&e.to_string())
            )
        })?;

        let version = match doc.get("bplintSnapshot") {
            None => 1,
            Some(v) => match v.as_u64() {
                Some(n @ 1..=SNAPSHOT_VERSION) => n,
                Some(n) if n > SNAPSHOT_VERSION => {
                    return Err(format!(
                        "{path}: snapshot format {n} is newer than this bplint reads \
                         (up to {SNAPSHOT_VERSION}): update bplint"
                    ));
                }
                _ => return Err(format!("{path}: `bplintSnapshot` is not a format number")),
            },
        };
        let requirements = match doc.get("requirements") {
            Some(v) => Some(Requirements::from_json(
                v,
                &format!("{path}: requirements"),
            )?),
            None => None,
        };
        let mut rows: Vec<(String, &Value)> = Vec::new();
        let mut teams = Vec::new();
        match &doc {
            Value::Object(_) => {
                rows.extend(page_rows(&doc, "", path)?);
                teams.extend(team_of(&doc));
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if item.get("connections").is_some() {
                        rows.extend(page_rows(item, &format!("[{i}]"), path)?);
                        teams.extend(team_of(item));
                    } else {
                        rows.push((format!("[{i}]"), item));
                    }
                }
            }
            _ => return Err(shape_error(path)),
        }
        teams.dedup();
        // Pages that name different teams speak for none of them.
        let team = match teams[..] {
            [team] => Some(team),
            _ => None,
        };

        let mut connections = HashMap::new();
        let mut verification = HashMap::new();
        for (at, row) in rows {
            if !row.is_object() {
                return Err(format!("{path}: {at} is not a connection object"));
            }
            let mut conn = Connection::from_json(row)
                .ok_or_else(|| format!("{path}: connection {at} has no usable `id`"))?;
            if let Some(problem) = super::connection::unreadable_expire(row) {
                return Err(format!("{path}: connection {at}: {problem}"));
            }
            // A saved list row's `scoped` answered no scope filter of this run; rules must not
            // read it as one. A version 2 export records the answer to the scope question of
            // the files it was exported for.
            if version < 2 {
                conn.scoped = None;
            }
            // Pages saved from a server that ignores `pg[]` repeat rows: the first copy stands.
            if connections.contains_key(&conn.id) {
                continue;
            }
            if let Some(verified) = row.get("verified").and_then(Value::as_bool) {
                let error = row
                    .get("verifyError")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                verification.insert(conn.id, Verification { verified, error });
            }
            connections.insert(conn.id, conn);
        }
        let mut objects = HashMap::new();
        let mut object_kinds = BTreeSet::new();
        for kind in [RefKind::Hook, RefKind::DataStore, RefKind::Keychain] {
            let Some((_, key)) = object_list(kind) else {
                continue;
            };
            let Some(list) = doc.get(key) else { continue };
            let Some(list) = list.as_array() else {
                return Err(format!("{path}: {key} is not a list"));
            };
            object_kinds.insert(kind);
            for (i, row) in list.iter().enumerate() {
                let mut o = StoredObject::from_json(kind, row)
                    .ok_or_else(|| format!("{path}: {key}[{i}] has no usable `id`"))?;
                if o.team_id.is_none() {
                    o.team_id = team;
                }
                objects.entry((kind, o.id)).or_insert(o);
            }
        }
        Ok(Snapshot {
            connections,
            verification,
            team,
            path: path.to_string(),
            objects,
            object_kinds,
            requirements,
        })
    }

    pub fn len(&self) -> usize {
        self.connections.len()
    }

    pub fn is_empty(&self) -> bool {
        self.connections.is_empty()
    }

    pub fn get(&self, id: u64) -> Option<&Connection> {
        self.connections.get(&id)
    }

    /// Every connection the snapshot holds, in no particular order.
    pub fn connections(&self) -> impl Iterator<Item = &Connection> {
        self.connections.values()
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// The team the snapshot was exported for (its top-level `teamId`).
    pub fn team(&self) -> Option<u64> {
        self.team
    }
}

fn team_of(page: &Value) -> Option<u64> {
    match page.get("teamId")? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn page_rows<'a>(
    page: &'a Value,
    at: &str,
    path: &str,
) -> Result<Vec<(String, &'a Value)>, String> {
    match page.get("connections") {
        Some(Value::Array(list)) => Ok(list
            .iter()
            .enumerate()
            .map(|(i, row)| (format!("{at}.connections[{i}]"), row))
            .collect()),
        Some(_) => Err(format!(
            "{path}: {}connections is not a list",
            if at.is_empty() {
                String::new()
            } else {
                format!("{at}.")
            }
        )),
        None => Err(shape_error(path)),
    }
}

fn shape_error(path: &str) -> String {
    format!(
        "{path}: not a connections snapshot: expected {{\"connections\": [...]}}, \
         an array of such pages, or an array of connection objects"
    )
}

/// serde_json appends ` at line L column C`, which the message already leads with.
fn strip_position(msg: &str) -> &str {
    match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    }
}

impl ConnectionSource for Snapshot {
    fn describe(&self) -> String {
        format!("snapshot {}", self.path)
    }

    fn default_team(&self) -> Option<u64> {
        self.team
    }

    fn requirements(&self, wanted: &Wanted) -> RequirementsAnswer {
        let Some(recorded) = &self.requirements else {
            return RequirementsAnswer {
                unanswered: wanted.keys().cloned().collect(),
                ..RequirementsAnswer::default()
            };
        };
        let unanswered: BTreeSet<_> = wanted
            .keys()
            .filter(|app| !recorded.knows_app(app))
            .cloned()
            .collect();
        let mut notes = Vec::new();
        if !unanswered.is_empty() {
            let apps: Vec<String> = unanswered.iter().map(|a| a.describe()).collect();
            notes.push(format!(
                "{} records no module requirements of {}: the built-in catalog is used for them",
                self.describe(),
                apps.join(", ")
            ));
        }
        RequirementsAnswer {
            requirements: recorded.clone(),
            notes,
            unanswered,
            ..RequirementsAnswer::default()
        }
    }

    fn resolve(&self, request: &ResolveRequest) -> Resolution {
        let mut res = Resolution::default();
        let mut unverified = 0usize;
        for id in &request.ids {
            match self.connections.get(id) {
                Some(c) => {
                    res.found.insert(*id, c.clone());
                    match self.verification.get(id).filter(|_| request.verify) {
                        Some(v) => {
                            res.verification.insert(*id, v.clone());
                        }
                        None => unverified += 1,
                    }
                }
                None => {
                    res.not_found.insert(*id);
                }
            }
        }
        for (kind, ids) in &request.objects {
            if !self.object_kinds.contains(kind) {
                if let (Some((_, key)), false) = (object_list(*kind), ids.is_empty()) {
                    res.notes.push(format!(
                        "{} holds no `{key}` list: {} {} reference(s) not checked",
                        self.describe(),
                        ids.len(),
                        kind.name()
                    ));
                }
                continue;
            }
            for id in ids {
                match self.objects.get(&(*kind, *id)) {
                    Some(o) => {
                        res.objects.insert((*kind, *id), o.clone());
                    }
                    None => {
                        res.objects_not_found.insert((*kind, *id));
                    }
                }
            }
        }
        if request.verify && unverified > 0 {
            // A snapshot cannot test anything; it only repeats what was recorded in it.
            res.notes.push(format!(
                "{} records no verification for {unverified} connection(s): --verify with a \
                 snapshot reports only recorded results (use --online to test connections)",
                self.describe()
            ));
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_versions() {
        let v1 = r#"{"teamId": 7, "connections": [{"id": 1, "accountName": "slack2",
            "accountLabel": null, "scoped": false}]}"#;
        let s = Snapshot::from_str(v1, "c.json").unwrap();
        assert_eq!(
            s.get(1).unwrap().scoped,
            None,
            "a v1 list row's flag answers nothing"
        );
        assert!(s.requirements.is_none());
        let v2 = r#"{"bplintSnapshot": 2, "teamId": 7, "connections": [{"id": 1,
            "accountName": "slack2", "accountLabel": null, "scoped": false}],
            "requirements": [{"app": "slack", "version": "4", "modules":
            {"CreateMessage": {"types": ["slack2"], "scopes": ["chat:write"]}}}]}"#;
        let s = Snapshot::from_str(v2, "c.json").unwrap();
        assert_eq!(s.get(1).unwrap().scoped, Some(false));
        let wanted: Wanted = [
            (
                crate::live::requirements::AppVersion::of_module("slack:x", Some(4))
                    .unwrap()
                    .0,
                BTreeSet::new(),
            ),
            (
                crate::live::requirements::AppVersion::of_module("acme:x", None)
                    .unwrap()
                    .0,
                BTreeSet::new(),
            ),
        ]
        .into();
        let answer = s.requirements(&wanted);
        assert_eq!(answer.unanswered.len(), 1);
        assert!(
            answer.notes[0].contains("acme version latest"),
            "{:?}",
            answer.notes
        );
        assert!(
            answer
                .requirements
                .module(wanted.keys().nth(1).unwrap(), "CreateMessage")
                .is_some()
        );
        let e = Snapshot::from_str(r#"{"bplintSnapshot": 3, "connections": []}"#, "c.json")
            .unwrap_err();
        assert!(e.contains("newer"), "{e}");
        let e = Snapshot::from_str(r#"{"bplintSnapshot": "x", "connections": []}"#, "c.json")
            .unwrap_err();
        assert!(e.contains("format number"), "{e}");
        let e =
            Snapshot::from_str(r#"{"connections": [], "requirements": 5}"#, "c.json").unwrap_err();
        assert!(e.starts_with("c.json: requirements"), "{e}");
    }

    #[test]
    fn position_is_not_repeated() {
        let e = Snapshot::from_str("{\n  \"connections\": [,]\n}", "c.json").unwrap_err();
        assert!(e.starts_with("c.json:2:"), "{e}");
        assert!(!e.contains(" at line "), "{e}");
    }
}

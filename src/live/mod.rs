//! Live data about connections: the types live rules read, and the [`ConnectionSource`] trait
//! with its two implementations (the Make API client and a snapshot file).
//!
//! I/O happens here, before the rules run: the pipeline gathers every distinct connection id
//! referenced by the checked files, asks one source once, and hands rules the [`Lookup`] of
//! each reference. An id the source could not check is never silently skipped: it is listed in
//! [`Resolution::unchecked`] and makes the run exit 2.

pub mod api;
pub mod catalog;
pub mod connection;
pub mod decode;
pub mod requirements;
pub mod snapshot;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use crate::model::RefKind;

pub use catalog::Catalog;
pub use connection::Connection;

/// What the pipeline asks a source for.
#[derive(Debug, Clone, Default)]
pub struct ResolveRequest {
    /// The team the files are checked for (`--team`); `None` checks existence only.
    pub team: Option<u64>,
    /// Every distinct connection id referenced by the checked files.
    pub ids: BTreeSet<u64>,
    /// What the modules referencing each id need of its scopes (from the catalog), one entry
    /// per distinct demand; ids without needs are absent.
    pub required_scopes: HashMap<u64, Vec<ScopeDemand>>,
    /// `--verify`: ask Make to test each found connection against its service.
    pub verify: bool,
    /// Webhook, data store and keychain ids referenced, by kind; a kind nobody references is
    /// absent, so its list is never asked for.
    pub objects: BTreeMap<RefKind, BTreeSet<u64>>,
}

/// The scopes one referencing module needs, and the connection types it accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeDemand {
    /// The types the module accepts (its parameter echo, else the catalog); `None` when
    /// neither says. A connection of another type is never asked about scopes for this module:
    /// BP105 reports it, and its scopes are beside the point.
    pub accepted_types: Option<BTreeSet<String>>,
    /// Each need is met by any one of its alternatives (`repo|public_repo`).
    pub needs: Vec<Vec<String>>,
}

impl ScopeDemand {
    /// A demand that applies to a connection of any type.
    pub fn any_type<S: AsRef<str>>(scopes: &[S]) -> ScopeDemand {
        ScopeDemand {
            accepted_types: None,
            needs: scopes
                .iter()
                .map(|s| vec![s.as_ref().to_string()])
                .collect(),
        }
    }

    fn applies_to(&self, connection_type: Option<&str>) -> bool {
        match (&self.accepted_types, connection_type) {
            (Some(accepted), Some(t)) => accepted.contains(t),
            _ => true,
        }
    }
}

impl ResolveRequest {
    /// The scope needs of connection `id`, of a connection of `connection_type`: those of the
    /// modules that accept that type, each need once, sorted.
    pub fn needs_for(&self, id: u64, connection_type: Option<&str>) -> BTreeSet<Vec<String>> {
        self.required_scopes
            .get(&id)
            .into_iter()
            .flatten()
            .filter(|d| d.applies_to(connection_type))
            .flat_map(|d| d.needs.iter().cloned())
            .filter(|need| !need.is_empty())
            .collect()
    }
}

/// A webhook, data store or keychain as its team's list describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub kind: RefKind,
    pub id: u64,
    pub name: String,
    pub team_id: Option<u64>,
}

impl StoredObject {
    /// Reads a list row (`{id, name, teamId, ...}`); `None` without a usable id.
    pub fn from_json(kind: RefKind, v: &serde_json::Value) -> Option<StoredObject> {
        use serde_json::Value;
        let number = |v: &Value| match v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        Some(StoredObject {
            kind,
            id: number(v.get("id")?)?,
            name: v
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            team_id: v.get("teamId").and_then(number),
        })
    }

    /// `5 "Orders hook" (team 7)`
    pub fn describe(&self) -> String {
        let mut s = format!("{} {:?}", self.id, self.name);
        if let Some(t) = self.team_id {
            s.push_str(&format!(" (team {t})"));
        }
        s
    }
}

/// The API list of a kind of stored object a team has: path below the base URL, and the
/// answer's key (also a snapshot's key).
pub fn team_list(kind: RefKind) -> Option<(&'static str, &'static str)> {
    match kind {
        RefKind::Hook => Some(("hooks", "hooks")),
        RefKind::DataStore => Some(("data-stores", "dataStores")),
        RefKind::Keychain => Some(("keys", "keys")),
        RefKind::DataStructure => Some(("data-structures", "dataStructures")),
        // Connections have their own client; scenarios are not a team's stored objects.
        RefKind::Connection | RefKind::Scenario => None,
    }
}

/// The team list of a kind of stored object the live check asks about: data structures are
/// not checked live (yet): `refs` lists them, `remap` rewrites them, `bind` binds them.
pub fn object_list(kind: RefKind) -> Option<(&'static str, &'static str)> {
    match kind {
        RefKind::DataStructure => None,
        _ => team_list(kind),
    }
}

/// The key of the object in the answer of `GET /{path}/{id}` (`{"hook": {...}}`).
pub fn object_record_key(kind: RefKind) -> Option<&'static str> {
    match kind {
        RefKind::Hook => Some("hook"),
        RefKind::DataStore => Some("dataStore"),
        RefKind::Keychain => Some("key"),
        RefKind::Connection | RefKind::DataStructure | RefKind::Scenario => None,
    }
}

/// What the source said about a referenced webhook, data store or keychain.
#[derive(Debug, Clone)]
pub enum ObjectLookup {
    Found(StoredObject),
    /// Absent from the team's list (or from a snapshot that lists the kind).
    NotFound {
        kind: RefKind,
        id: u64,
        team: Option<u64>,
    },
}

/// The outcome of a verification (`POST /connections/{id}/test`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub verified: bool,
    pub error: Option<String>,
}

/// What a source found.
#[derive(Debug, Clone, Default)]
pub struct Resolution {
    /// Connections found, in the team or elsewhere (check `team_id`).
    pub found: HashMap<u64, Connection>,
    /// Ids the source positively knows do not exist (404, or absent from a complete snapshot).
    pub not_found: BTreeSet<u64>,
    /// Why ids could not be checked, as the source recorded it (a found connection whose
    /// scopes could not be read too). Which ids count as unchecked is decided once, by
    /// [`Resolution::unchecked_of`]; any entry makes the run exit 2.
    pub unchecked: BTreeMap<u64, String>,
    /// Verification results for `--verify`.
    pub verification: HashMap<u64, Verification>,
    /// Run-level problems (e.g. a 401): printed, and they make the run exit 2 when ids are unchecked.
    pub errors: Vec<String>,
    /// Things worth saying under `--verbose` (e.g. kinds a snapshot does not record).
    pub notes: Vec<String>,
    /// HTTP requests made (0 for a snapshot).
    pub requests: u64,
    /// Webhooks, data stores and keychains found.
    pub objects: HashMap<(RefKind, u64), StoredObject>,
    /// Referenced webhooks, data stores and keychains that do not exist (absent from their
    /// team's list and 404 by id, or absent from a snapshot that lists the kind).
    pub objects_not_found: BTreeSet<(RefKind, u64)>,
    /// Referenced webhooks, data stores and keychains that could not be checked, with the
    /// reason; each is also summarized in `errors` (exit 2).
    pub objects_unchecked: BTreeMap<(RefKind, u64), String>,
}

/// What a source established about one requested connection id.
#[derive(Debug, Clone, Copy)]
pub enum Answer<'a> {
    Found(&'a Connection),
    /// The source positively knows it does not exist.
    NotFound,
    /// Neither: the reason the source gave, or that it gave none.
    Unchecked(&'a str),
}

/// The reason for an id a source said nothing about: never silently counted as fine.
pub const NO_ANSWER: &str = "the source gave no answer for it";

impl Resolution {
    /// What the source established about connection `id`. An id it found or knows missing is
    /// checked, whatever else it recorded about it (a found connection whose scopes could not
    /// be read is told in `errors`); any other id is unchecked.
    pub fn answer(&self, id: u64) -> Answer<'_> {
        if let Some(c) = self.found.get(&id) {
            Answer::Found(c)
        } else if self.not_found.contains(&id) {
            Answer::NotFound
        } else {
            Answer::Unchecked(self.unchecked.get(&id).map_or(NO_ANSWER, String::as_str))
        }
    }

    /// The ids of `ids` that could not be checked, in order, each with its reason: the one
    /// place that decides it for the run.
    pub fn unchecked_of(&self, ids: &BTreeSet<u64>) -> Vec<(u64, String)> {
        ids.iter()
            .filter_map(|id| match self.answer(*id) {
                Answer::Unchecked(reason) => Some((*id, reason.to_string())),
                Answer::Found(_) | Answer::NotFound => None,
            })
            .collect()
    }
}

/// A place connections come from.
pub trait ConnectionSource {
    /// A short description for messages (`Make API eu1.make.com`, `snapshot conns.json`).
    fn describe(&self) -> String;
    fn resolve(&self, request: &ResolveRequest) -> Resolution;
    /// Make's published requirements of the app versions (and modules) the checked files use.
    /// A source that has none leaves every app to the built-in catalog.
    fn requirements(&self, wanted: &requirements::Wanted) -> requirements::RequirementsAnswer {
        requirements::RequirementsAnswer {
            unanswered: wanted.keys().cloned().collect(),
            ..Default::default()
        }
    }
    /// The team this source speaks for when the run names none (a snapshot records the team it
    /// was exported from).
    fn default_team(&self) -> Option<u64> {
        None
    }
}

/// Run-wide settings live rules read.
#[derive(Debug, Clone)]
pub struct LiveSettings {
    pub now: DateTime<Utc>,
    pub expiry_warning_days: i64,
    pub catalog: Catalog,
    /// Make's published requirements of the app versions the checked files use (asked or read
    /// from a snapshot before the rules run); empty when none could be had.
    pub requirements: requirements::Requirements,
    /// `--verify` was given.
    pub verify: bool,
}

/// What the source said about the id one reference names.
#[derive(Debug, Clone)]
pub enum Lookup {
    Found {
        connection: Connection,
        verification: Option<Verification>,
    },
    NotFound {
        id: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection(id: u64) -> Connection {
        Connection::from_json(&serde_json::json!({"id": id, "name": "c"})).unwrap()
    }

    #[test]
    fn an_id_is_unchecked_only_when_neither_found_nor_known_missing() {
        let mut res = Resolution::default();
        res.found.insert(1, connection(1));
        // Found, but its scopes could not be read: checked here, told in `errors`.
        res.found.insert(2, connection(2));
        res.unchecked.insert(2, "could not check its scopes".into());
        res.not_found.insert(3);
        res.unchecked.insert(4, "HTTP 503".into());
        let ids = BTreeSet::from([1, 2, 3, 4, 5]);
        assert!(matches!(res.answer(1), Answer::Found(c) if c.id == 1));
        assert!(matches!(res.answer(2), Answer::Found(_)));
        assert!(matches!(res.answer(3), Answer::NotFound));
        assert!(matches!(res.answer(4), Answer::Unchecked("HTTP 503")));
        assert!(matches!(res.answer(5), Answer::Unchecked(NO_ANSWER)));
        assert_eq!(
            res.unchecked_of(&ids),
            vec![(4, "HTTP 503".to_string()), (5, NO_ANSWER.to_string())]
        );
    }
}

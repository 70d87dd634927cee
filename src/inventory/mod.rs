//! A team's connection inventory: every connection of the team with the modules that use it,
//! and the sections an audit asks about (unused, expiring, expired, outside the team, missing).
//!
//! Pure data: built from checked files, the team's connection list and a [`Resolution`] of the
//! referenced ids the list lacks; the I/O happens before, the rendering after
//! ([`render`]).

pub mod render;

use crate::redact;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};

use crate::live::{Answer, Connection, Resolution};
use crate::model::RefKind;
use crate::pipeline::FileResult;

/// One module referencing a connection.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Usage {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub module_id: Option<i64>,
    pub module: Option<String>,
}

/// Where a connection stands on its expiry date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expiry {
    Never,
    Valid,
    Expiring,
    Expired,
}

impl Expiry {
    pub fn as_str(self) -> &'static str {
        match self {
            Expiry::Never => "never",
            Expiry::Valid => "valid",
            Expiry::Expiring => "expiring",
            Expiry::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Entry {
    pub id: u64,
    pub name: String,
    #[serde(rename = "type")]
    pub connection_type: Option<String>,
    pub team_id: Option<u64>,
    pub expire: Option<DateTime<Utc>>,
    pub expiry: Expiry,
    pub used_by: Vec<Usage>,
}

/// A referenced id that is not one of the team's connections.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Stray {
    pub id: u64,
    /// The connection as found elsewhere (another team's); `None` when missing or unchecked.
    pub connection: Option<Entry>,
    /// Why it could not be checked (only in `unchecked`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub used_by: Vec<Usage>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Inventory {
    pub team: u64,
    pub now: DateTime<Utc>,
    pub expiry_warning_days: i64,
    /// Every connection of the team, by id.
    pub connections: Vec<Entry>,
    /// Ids of the team's connections no checked blueprint references.
    pub unused: Vec<u64>,
    /// Ids of the team's connections expiring within `expiry_warning_days`.
    pub expiring: Vec<u64>,
    pub expired: Vec<u64>,
    /// References to another team's connections.
    pub outside_team: Vec<Stray>,
    /// References to connections that do not exist.
    pub missing: Vec<Stray>,
    /// References the source could not settle; any makes the run exit 2.
    pub unchecked: Vec<Stray>,
}

/// Every connection id the files reference, with the modules that reference it.
pub fn usages(results: &[FileResult]) -> BTreeMap<u64, Vec<Usage>> {
    let mut out: BTreeMap<u64, Vec<Usage>> = BTreeMap::new();
    for r in results {
        let Some(s) = &r.scenario else { continue };
        for (reference, loc) in s.references.iter().zip(&r.reference_locations) {
            if reference.kind != RefKind::Connection {
                continue;
            }
            // Placeholders and dynamic values name no connection; offline rules report them.
            let Some(id) = reference.value.effective_id() else {
                continue;
            };
            let m = s.modules.get(reference.module);
            out.entry(id).or_default().push(Usage {
                file: redact::clean(&r.display),
                line: loc.start.line,
                column: loc.start.column,
                module_id: m.and_then(|m| m.id),
                module: m.and_then(|m| m.name.as_deref().map(redact::clean)),
            });
        }
    }
    for list in out.values_mut() {
        list.sort();
        list.dedup();
    }
    out
}

fn expiry_of(c: &Connection, now: DateTime<Utc>, warn_days: i64) -> Expiry {
    match c.expire {
        None => Expiry::Never,
        Some(at) if at <= now => Expiry::Expired,
        // Checked: `now` comes from --now and may sit near the end of the calendar.
        Some(at)
            if TimeDelta::try_days(warn_days.clamp(0, crate::config::MAX_EXPIRY_WARNING_DAYS))
                .and_then(|window| now.checked_add_signed(window))
                .is_none_or(|end| at <= end) =>
        {
            Expiry::Expiring
        }
        Some(_) => Expiry::Valid,
    }
}

fn entry(c: &Connection, now: DateTime<Utc>, warn_days: i64, used_by: Vec<Usage>) -> Entry {
    Entry {
        id: c.id,
        name: redact::clean(&c.name),
        connection_type: c.connection_type.as_deref().map(redact::clean),
        team_id: c.team_id,
        expire: c.expire,
        expiry: expiry_of(c, now, warn_days),
        used_by,
    }
}

/// Builds the inventory of `team` from its connection list and the resolution of the
/// referenced ids the list lacks.
pub fn build(
    team: u64,
    results: &[FileResult],
    team_connections: &[Connection],
    resolution: &Resolution,
    now: DateTime<Utc>,
    expiry_warning_days: i64,
) -> Inventory {
    let mut usages = usages(results);
    let mut inv = Inventory {
        team,
        now,
        expiry_warning_days,
        connections: Vec::new(),
        unused: Vec::new(),
        expiring: Vec::new(),
        expired: Vec::new(),
        outside_team: Vec::new(),
        missing: Vec::new(),
        unchecked: Vec::new(),
    };
    let mut seen = BTreeSet::new();
    let mut own: Vec<&Connection> = team_connections.iter().collect();
    // A lookup by id may find a connection of this team that the list left out.
    own.extend(
        resolution
            .found
            .values()
            .filter(|c| c.team_id == Some(team)),
    );
    for c in own {
        if !seen.insert(c.id) {
            continue;
        }
        let used_by = usages.remove(&c.id).unwrap_or_default();
        inv.connections
            .push(entry(c, now, expiry_warning_days, used_by));
    }
    inv.connections.sort_by_key(|e| e.id);
    for e in &inv.connections {
        if e.used_by.is_empty() {
            inv.unused.push(e.id);
        }
        match e.expiry {
            Expiry::Expiring => inv.expiring.push(e.id),
            Expiry::Expired => inv.expired.push(e.id),
            Expiry::Never | Expiry::Valid => {}
        }
    }
    for (id, used_by) in usages {
        match resolution.answer(id) {
            Answer::Found(c) => inv.outside_team.push(Stray {
                id,
                connection: Some(entry(c, now, expiry_warning_days, Vec::new())),
                reason: None,
                used_by,
            }),
            Answer::NotFound => inv.missing.push(Stray {
                id,
                connection: None,
                reason: None,
                used_by,
            }),
            Answer::Unchecked(reason) => inv.unchecked.push(Stray {
                id,
                connection: None,
                reason: Some(redact::clean(reason)),
                used_by,
            }),
        }
    }
    inv
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{self, Options};

    fn conn(id: u64, team: u64, expire: Option<&str>) -> Connection {
        Connection {
            id,
            name: format!("c{id}"),
            connection_type: Some("slack2".into()),
            account_label: None,
            package_name: None,
            team_id: Some(team),
            expire: expire.map(|e| e.parse().unwrap()),
            scopes: None,
            scoped: None,
            auth: None,
        }
    }

    #[test]
    fn sections() {
        let bp = br#"{"name":"s","flow":[
            {"id":1,"module":"slack:CreateMessage","version":1,"parameters":{"__IMTCONN__":10}},
            {"id":2,"module":"slack:CreateMessage","version":1,"parameters":{"__IMTCONN__":20}},
            {"id":3,"module":"slack:CreateMessage","version":1,"parameters":{"__IMTCONN__":30}},
            {"id":4,"module":"slack:CreateMessage","version":1,"parameters":{"__IMTCONN__":40}}
        ],"metadata":{}}"#;
        let results = vec![pipeline::check_bytes(
            "a.json",
            true,
            bp,
            &Options::default(),
        )];
        let now: DateTime<Utc> = "2026-03-01T00:00:00Z".parse().unwrap();
        let team = vec![
            conn(10, 7, Some("2026-03-05T00:00:00Z")),
            conn(11, 7, Some("2026-01-01T00:00:00Z")),
            conn(12, 7, None),
        ];
        let mut res = Resolution::default();
        res.found.insert(20, conn(20, 8, None));
        res.not_found.insert(30);
        res.unchecked.insert(40, "HTTP 503".into());
        let inv = build(7, &results, &team, &res, now, 14);
        assert_eq!(inv.connections.len(), 3);
        assert_eq!(inv.connections[0].used_by.len(), 1);
        assert_eq!(inv.connections[0].used_by[0].module_id, Some(1));
        assert_eq!(inv.unused, vec![11, 12]);
        assert_eq!(inv.expiring, vec![10]);
        assert_eq!(inv.expired, vec![11]);
        assert_eq!(inv.outside_team.len(), 1);
        assert_eq!(inv.outside_team[0].id, 20);
        assert_eq!(inv.missing[0].id, 30);
        assert_eq!(inv.unchecked[0].id, 40);
    }
}

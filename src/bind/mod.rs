//! `bplint bind`: bind a template blueprint to a team's real connections, webhooks, data
//! stores, keychains and data structures.
//!
//! A reference is to bind when its value is a placeholder (what BP011 reports: `<CONN_01>`,
//! `CONNECTION_PLACEHOLDER`, `{{YOUR_X}}`) or an id the team's list of its kind lacks (another
//! team's, or gone). References sharing a kind and a placeholder (or old id) are one
//! [`Decision`] across the whole run: its candidates are the team's objects every one of its
//! modules accepts ([`needs::module_needs`]). One candidate is bound; several or none are left
//! as they are and reported, unless `--prefer` or a map file chooses. The rewriting itself is
//! `remap`'s: byte-exact edits from the model's spans, staged and committed with rollback.

pub mod needs;
pub mod report;
pub mod team;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use regex::Regex;

use crate::live::requirements::Requirements;
use crate::live::{Catalog, ResolveRequest, ScopeDemand};
use crate::model::{RefKind, RefValue};
use crate::remap::{self, BlueprintFile, Edit, FilePlan, KeyMap, MapKey};
use needs::Needs;
use team::TeamLists;

/// The kinds `bind` binds; scenarios (sub-scenario calls) are left to `remap`.
pub const BOUND_KINDS: [RefKind; 5] = [
    RefKind::Connection,
    RefKind::Hook,
    RefKind::DataStore,
    RefKind::Keychain,
    RefKind::DataStructure,
];

/// One reference to bind.
#[derive(Debug, Clone)]
pub struct Site {
    /// Index of its file in the run's files.
    pub file: usize,
    pub kind: RefKind,
    /// The placeholder or old id: references sharing it (and the kind) are bound together.
    pub key: MapKey,
    pub module: Option<String>,
    /// The reference's index in its file's model.
    pub reference: usize,
    pub pointer: String,
    pub needs: Needs,
    /// The bytes the new id replaces (see [`remap::value_range`]).
    pub range: Range<usize>,
    pub allowed_types: Vec<String>,
}

/// A team object that fits every reference of a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: u64,
    pub name: String,
    /// The connection type (`slack2`) or the object's `typeName`, when recorded.
    pub type_name: Option<String>,
    /// What could not be told about it (`scopes unknown`, `type not recorded`): it stays a
    /// candidate, and the report says so.
    pub unsure: Vec<&'static str>,
}

/// How a decision was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// The only candidate.
    Unique,
    /// The only candidate whose name `--prefer` matches.
    Preferred,
    /// The map file's entry, one of the candidates.
    MapFile,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Bound {
        id: u64,
        by: Choice,
    },
    /// Left as it is, and why.
    Unbound {
        why: String,
    },
}

/// One decision: every reference of `kind` holding `key`, bound the same way.
#[derive(Debug, Clone)]
pub struct Decision {
    pub kind: RefKind,
    pub key: MapKey,
    /// Indexes into the run's sites.
    pub sites: Vec<usize>,
    pub candidates: Vec<Candidate>,
    pub outcome: Outcome,
}

impl Decision {
    pub fn bound_to(&self) -> Option<u64> {
        match self.outcome {
            Outcome::Bound { id, .. } => Some(id),
            Outcome::Unbound { .. } => None,
        }
    }
}

/// How choices are made when a decision has several candidates.
#[derive(Debug, Default)]
pub struct Choices {
    /// `--prefer REGEX`, on candidate names: must leave exactly one.
    pub prefer: Option<Regex>,
    /// `--map-file`: placeholder or old id -> new id, which must be a candidate.
    pub map: KeyMap,
}

/// Every reference of `files` to bind against `lists`. Of a kind the team has no list of, a
/// placeholder is still a reference to bind (it stays unbound, said why), except a data
/// structure's; an id cannot be told apart from one of the team's. Those two are counted in
/// the returned notes instead.
pub fn sites(
    files: &[BlueprintFile],
    lists: &TeamLists,
    requirements: &Requirements,
    catalog: &Catalog,
) -> Result<(Vec<Site>, Vec<String>), String> {
    let mut sites = Vec::new();
    let mut unlisted_ids: BTreeMap<RefKind, usize> = BTreeMap::new();
    let mut unlisted_placeholders: BTreeMap<RefKind, usize> = BTreeMap::new();
    for (file, f) in files.iter().enumerate() {
        let src = String::from_utf8_lossy(&f.bytes);
        for (reference, r) in f.scenario.references.iter().enumerate() {
            if !BOUND_KINDS.contains(&r.kind) {
                continue;
            }
            let key = match &r.value {
                // A data structure is optional on most modules that take one: without the
                // team's list it is noted, not counted as left unbound.
                RefValue::Placeholder { .. }
                    if r.kind == RefKind::DataStructure && !lists.has_list(r.kind) =>
                {
                    *unlisted_placeholders.entry(r.kind).or_default() += 1;
                    continue;
                }
                RefValue::Placeholder { text } => {
                    // The exact text, not the model's shortened display of it.
                    let raw = src.get(r.span.start as usize..r.span.end as usize);
                    let exact = raw.and_then(|raw| serde_json::from_str::<String>(raw).ok());
                    MapKey::Placeholder(exact.as_deref().unwrap_or(text).trim().to_string())
                }
                RefValue::Id { id, .. } => match lists.holds(r.kind, *id) {
                    Some(true) => continue,
                    Some(false) => MapKey::Id(*id),
                    None => {
                        *unlisted_ids.entry(r.kind).or_default() += 1;
                        continue;
                    }
                },
                _ => continue,
            };
            let module = f.scenario.module(r.module);
            sites.push(Site {
                file,
                kind: r.kind,
                key,
                module: module.name.clone(),
                reference,
                pointer: r.pointer.clone(),
                needs: needs::module_needs(requirements, catalog, module, r),
                range: remap::value_range(&src, r, &f.path)?,
                allowed_types: r.allowed_types.clone(),
            });
        }
    }
    let why = |kind: &RefKind| lists.unlisted.get(kind).map_or("", String::as_str);
    let mut notes: Vec<String> = unlisted_ids
        .iter()
        .map(|(kind, n)| format!("{n} {} id(s) not checked: {}", kind.name(), why(kind)))
        .collect();
    notes.extend(unlisted_placeholders.iter().map(|(kind, n)| {
        format!(
            "{n} {} placeholder(s) left as they are: {}",
            kind.name(),
            why(kind)
        )
    }));
    Ok((sites, notes))
}

/// The sites grouped by kind and key, in the order they first appear.
fn groups(sites: &[Site]) -> Vec<(RefKind, MapKey, Vec<usize>)> {
    let mut order: Vec<(RefKind, MapKey, Vec<usize>)> = Vec::new();
    let mut at: BTreeMap<(RefKind, MapKey), usize> = BTreeMap::new();
    for (i, s) in sites.iter().enumerate() {
        let slot = *at.entry((s.kind, s.key.clone())).or_insert_with(|| {
            order.push((s.kind, s.key.clone(), Vec::new()));
            order.len() - 1
        });
        order[slot].2.push(i);
    }
    order
}

/// The team's objects of `kind` that fit every one of `sites` (the intersection of what each
/// module accepts and needs); `None` when the team has no list of the kind.
fn candidates(kind: RefKind, sites: &[&Site], lists: &TeamLists) -> Option<Vec<Candidate>> {
    let mut out = Vec::new();
    let mut consider = |id, name: &str, type_name: Option<&String>, scopes| {
        if let Some(unsure) = fits(sites, type_name.map(String::as_str), scopes) {
            out.push(Candidate {
                id,
                name: name.to_string(),
                type_name: type_name.cloned(),
                unsure,
            });
        }
    };
    if kind == RefKind::Connection {
        for c in &lists.connections {
            let scopes = Some((c.scopes.as_deref(), c.scoped));
            consider(c.id, &c.name, c.connection_type.as_ref(), scopes);
        }
    } else {
        for o in lists.objects.get(&kind)? {
            consider(o.object.id, &o.object.name, o.type_name.as_ref(), None);
        }
    }
    Some(out)
}

/// Whether an object of `type_name` (a connection also with its scopes and `scoped` answer)
/// fits every one of `sites`: `None` when one of them refuses it, else what could not be told.
fn fits(
    sites: &[&Site],
    type_name: Option<&str>,
    scopes: Option<(Option<&[String]>, Option<bool>)>,
) -> Option<Vec<&'static str>> {
    let mut unsure = Vec::new();
    for s in sites {
        let type_fits = needs::accepts(&s.needs, type_name);
        let scopes_fit = scopes.map_or(Some(true), |(granted, scoped)| {
            needs::holds_scopes(&s.needs, granted, scoped)
        });
        for (answer, doubt) in [
            (type_fits, "type not recorded"),
            (scopes_fit, "scopes unknown"),
        ] {
            match answer {
                Some(true) => {}
                Some(false) => return None,
                None if !unsure.contains(&doubt) => unsure.push(doubt),
                None => {}
            }
        }
    }
    Some(unsure)
}

/// What to ask the source about the scopes of connections that may be candidates but whose
/// list rows say nothing of scopes: every connection of an accepted type, with each module's
/// needs. `None` when nothing is unknown.
pub fn scope_request(sites: &[Site], lists: &TeamLists) -> Option<ResolveRequest> {
    let mut request = ResolveRequest {
        team: Some(lists.team),
        ..ResolveRequest::default()
    };
    for s in sites.iter().filter(|s| s.kind == RefKind::Connection) {
        if s.needs.scopes.is_empty() {
            continue;
        }
        let demand = ScopeDemand {
            accepted_types: s
                .needs
                .accepted
                .as_ref()
                .map(|(types, _)| types.iter().cloned().collect::<BTreeSet<_>>()),
            needs: s.needs.scopes.iter().map(|n| n.any_of.clone()).collect(),
        };
        for c in &lists.connections {
            let unknown = c.scopes.is_none()
                && needs::accepts(&s.needs, c.connection_type.as_deref()) != Some(false);
            let demands = request.required_scopes.entry(c.id).or_default();
            if unknown && !demands.contains(&demand) {
                demands.push(demand.clone());
                request.ids.insert(c.id);
            }
        }
    }
    request.required_scopes.retain(|_, d| !d.is_empty());
    (!request.ids.is_empty()).then_some(request)
}

/// One decision per kind and placeholder (or old id), in the order they first appear.
pub fn decide(sites: &[Site], lists: &TeamLists, choices: &Choices) -> Vec<Decision> {
    let mut decisions = Vec::new();
    for (kind, key, members) in groups(sites) {
        let of: Vec<&Site> = members.iter().map(|&i| &sites[i]).collect();
        let Some(candidates) = candidates(kind, &of, lists) else {
            let why = lists
                .unlisted
                .get(&kind)
                .cloned()
                .unwrap_or_else(|| format!("no list of the team's {}s", kind.name()));
            decisions.push(Decision {
                kind,
                key,
                sites: members,
                candidates: Vec::new(),
                outcome: Outcome::Unbound { why },
            });
            continue;
        };
        let outcome = choose(kind, &key, &candidates, lists, choices);
        decisions.push(Decision {
            kind,
            key,
            sites: members,
            candidates,
            outcome,
        });
    }
    decisions
}

fn choose(
    kind: RefKind,
    key: &MapKey,
    candidates: &[Candidate],
    lists: &TeamLists,
    choices: &Choices,
) -> Outcome {
    let team = lists.team;
    if let Some(&chosen) = choices.map.get(key) {
        if candidates.iter().any(|c| c.id == chosen) {
            return Outcome::Bound {
                id: chosen,
                by: Choice::MapFile,
            };
        }
        let why = if lists.holds(kind, chosen) == Some(true) {
            "a module here does not accept it (its type or its scopes)".to_string()
        } else {
            format!("it is no {} of team {team}", kind.name())
        };
        return Outcome::Unbound {
            why: format!("the map file binds it to {chosen}, which is not a candidate: {why}"),
        };
    }
    match candidates {
        [only] => Outcome::Bound {
            id: only.id,
            by: Choice::Unique,
        },
        [] => Outcome::Unbound {
            why: format!(
                "no {} of team {team} fits what its module(s) accept and need",
                kind.name()
            ),
        },
        several => {
            let Some(prefer) = &choices.prefer else {
                return Outcome::Unbound {
                    why: format!(
                        "{} candidates; choose with --prefer REGEX or --map-file FILE",
                        several.len()
                    ),
                };
            };
            let matching: Vec<&Candidate> = several
                .iter()
                .filter(|c| prefer.is_match(&c.name))
                .collect();
            match matching[..] {
                [one] => Outcome::Bound {
                    id: one.id,
                    by: Choice::Preferred,
                },
                _ => Outcome::Unbound {
                    why: format!(
                        "{} candidates, and --prefer matches the names of {} of them, not one",
                        several.len(),
                        matching.len()
                    ),
                },
            }
        }
    }
}

/// Map entries that name no reference to bind, for a note.
pub fn unused_entries(decisions: &[Decision], choices: &Choices) -> Vec<MapKey> {
    let used: BTreeSet<&MapKey> = decisions.iter().map(|d| &d.key).collect();
    choices
        .map
        .keys()
        .filter(|k| !used.contains(k))
        .cloned()
        .collect()
}

/// The plan of every file: the edits of its bound references.
pub fn plans(files: Vec<BlueprintFile>, sites: &[Site], decisions: &[Decision]) -> Vec<FilePlan> {
    let mut edits: Vec<Vec<Edit>> = files.iter().map(|_| Vec::new()).collect();
    for d in decisions {
        let Some(new) = d.bound_to() else { continue };
        for &i in &d.sites {
            let s = &sites[i];
            edits[s.file].push(Edit {
                start: s.range.start,
                end: s.range.end,
                old: s.key.clone(),
                new,
                pointer: s.pointer.clone(),
                kind: s.kind,
                module: s.module.clone(),
                allowed_types: s.allowed_types.clone(),
            });
        }
    }
    files
        .into_iter()
        .zip(edits)
        .map(|(f, e)| FilePlan::new(&f.path, f.bytes, e))
        .collect()
}

#[cfg(test)]
mod tests;

//! The live stage: what the files ask of a connection source, one resolution for the whole
//! run, and the live rules over every file.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::FileResult;
use crate::live::requirements::{self, RequirementsAnswer, Wanted, demand_for};
use crate::live::{
    Answer, ConnectionSource, LiveSettings, Lookup, ObjectLookup, Resolution, ResolveRequest,
    ScopeDemand,
};
use crate::model::RefKind;
use crate::report::Diagnostic;
use crate::rules::{LiveContext, RuleSet};

/// What the live stage adds to the run.
#[derive(Debug, Default)]
pub struct LiveOutcome {
    pub resolution: Resolution,
    /// Ids referenced but not checked, with the reason.
    pub unchecked: Vec<(u64, String)>,
    /// Why some apps' requirements came from the built-in catalog (always shown).
    pub requirement_notes: Vec<String>,
    /// Modules referencing a connection whose scopes no source knew.
    pub modules_without_scope_check: usize,
    /// Their module names (`app:Action`), each once.
    pub unscoped_module_names: BTreeSet<String>,
}

/// The app versions (and their modules) whose requirements the live check needs: those of the
/// modules that reference a connection by id.
pub fn wanted_requirements(results: &[FileResult]) -> Wanted {
    let mut wanted = Wanted::new();
    for s in results.iter().filter_map(|r| r.scenario.as_ref()) {
        for r in s.connection_references() {
            if r.value.effective_id().is_none() {
                continue;
            }
            requirements::want(&mut wanted, &s.modules[r.module]);
        }
    }
    wanted
}

/// The distinct connection ids the files reference, and the scopes their modules need.
pub fn live_request(
    results: &[FileResult],
    settings: &LiveSettings,
    team: Option<u64>,
) -> ResolveRequest {
    let mut ids = BTreeSet::new();
    let mut required_scopes: HashMap<u64, Vec<ScopeDemand>> = HashMap::new();
    let mut objects: BTreeMap<RefKind, BTreeSet<u64>> = BTreeMap::new();
    for s in results.iter().filter_map(|r| r.scenario.as_ref()) {
        for r in s
            .references
            .iter()
            .filter(|r| crate::live::object_list(r.kind).is_some())
        {
            if let Some(id) = r.value.effective_id() {
                objects.entry(r.kind).or_default().insert(id);
            }
        }
        for r in s.connection_references() {
            let Some(id) = r.value.effective_id() else {
                continue;
            };
            ids.insert(id);
            let module = &s.modules[r.module];
            let demand = demand_for(module, r, &settings.requirements, &settings.catalog);
            if !demand.scopes.is_empty() {
                let demand = ScopeDemand {
                    accepted_types: demand.accepted_types.map(|t| t.into_iter().collect()),
                    needs: demand.scopes.into_iter().map(|n| n.any_of).collect(),
                };
                let demands = required_scopes.entry(id).or_default();
                if !demands.contains(&demand) {
                    demands.push(demand);
                }
            }
        }
    }
    ResolveRequest {
        team,
        ids,
        required_scopes,
        verify: settings.verify,
        objects,
    }
}

/// Modules referencing a connection by id whose required scopes no source knew: how many, and
/// their names.
fn modules_without_scope_check(
    results: &[FileResult],
    settings: &LiveSettings,
) -> (usize, BTreeSet<String>) {
    let mut count = 0;
    let mut names = BTreeSet::new();
    for s in results.iter().filter_map(|r| r.scenario.as_ref()) {
        let unknown: BTreeSet<usize> = s
            .connection_references()
            .filter(|r| r.value.effective_id().is_some())
            .filter(|r| {
                let m = &s.modules[r.module];
                demand_for(m, r, &settings.requirements, &settings.catalog)
                    .scopes_from
                    .is_none()
            })
            .map(|r| r.module)
            .collect();
        count += unknown.len();
        names.extend(unknown.iter().filter_map(|m| s.modules[*m].name.clone()));
    }
    (count, names)
}

/// Asks `source` for the requirements of the app versions the files use; a source that knows
/// none leaves the catalog to answer.
pub fn live_requirements(
    results: &[FileResult],
    source: &dyn ConnectionSource,
) -> RequirementsAnswer {
    let wanted = wanted_requirements(results);
    if wanted.is_empty() {
        return RequirementsAnswer::default();
    }
    source.requirements(&wanted)
}

/// Resolves every referenced connection through `source`, then runs the live rules.
pub fn live_check(
    results: &mut [FileResult],
    source: &dyn ConnectionSource,
    settings: &LiveSettings,
    team: Option<u64>,
    teams_for: &dyn Fn(&str) -> Vec<u64>,
    rules: &RuleSet,
) -> LiveOutcome {
    let source_team = source.default_team();
    let answer = live_requirements(results, source);
    let mut with_requirements = settings.clone();
    with_requirements.requirements = answer.requirements;
    let settings = &with_requirements;
    let request = live_request(results, settings, team.or(source_team));
    let mut resolution = if request.ids.is_empty() && request.objects.is_empty() {
        Resolution::default()
    } else {
        source.resolve(&request)
    };
    resolution.requests += answer.requests;
    resolution.errors.extend(answer.errors.iter().cloned());
    let lookup = |id: u64| -> Option<Lookup> {
        match resolution.answer(id) {
            Answer::Found(c) => Some(Lookup::Found {
                connection: c.clone(),
                verification: resolution.verification.get(&id).cloned(),
            }),
            Answer::NotFound => Some(Lookup::NotFound { id }),
            Answer::Unchecked(_) => None,
        }
    };
    for result in results.iter_mut() {
        let Some(scenario) = &result.scenario else {
            continue;
        };
        let mut teams = teams_for(&result.display);
        if teams.is_empty() {
            teams.extend(team.or(source_team));
        }
        let cx = LiveContext {
            scenario,
            settings,
            teams: &teams,
        };
        let object_lookup = |r: &crate::model::Reference| -> Option<ObjectLookup> {
            let id = r.value.effective_id()?;
            if let Some(o) = resolution.objects.get(&(r.kind, id)) {
                Some(ObjectLookup::Found(o.clone()))
            } else if resolution.objects_not_found.contains(&(r.kind, id)) {
                Some(ObjectLookup::NotFound {
                    kind: r.kind,
                    id,
                    team: request.team,
                })
            } else {
                None
            }
        };
        let findings = rules.run_live(&cx, &|r| lookup(r.value.effective_id()?), &object_lookup);
        for (reference, f) in findings {
            let loc = result.reference_locations.get(reference).cloned();
            result
                .diagnostics
                .push(Diagnostic::new(f, &result.display, loc));
        }
        result
            .diagnostics
            .sort_by_key(|d| d.location.as_ref().map_or(0, |l| l.span.start));
    }
    let (unscoped, unscoped_module_names) = modules_without_scope_check(results, settings);
    LiveOutcome {
        modules_without_scope_check: unscoped,
        unscoped_module_names,
        unchecked: resolution.unchecked_of(&request.ids),
        resolution,
        requirement_notes: answer.notes,
    }
}

//! Answering a [`ResolveRequest`] for connections: one team listing, lookups by id for what it
//! lacks, scope checks planned to cost the fewest requests, and `--verify` tests.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;
use tokio::task::JoinSet;

use super::endpoints::Group;
use super::error::ApiError;
use super::transport::Run;
use crate::live::connection::{AccountAuth, unreadable_expire};
use crate::live::{Connection, Resolution, ResolveRequest, Verification};

#[derive(Default)]
pub(super) struct Collect {
    res: Resolution,
    /// Run-level messages in first-seen order, each once.
    seen: HashSet<String>,
}

impl Collect {
    fn error(&mut self, text: String) {
        if self.seen.insert(text.clone()) {
            self.res.errors.push(text);
        }
    }

    fn unchecked(&mut self, id: u64, reason: String, summary: String) {
        self.res.unchecked.insert(id, reason);
        self.error(summary);
    }
}

/// A scope question: connections of one type whose modules need the same scopes. One filtered
/// list call (`type[]=T&T[]=<first alternative of each need>`) answers it for all of them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct ScopeGroup {
    kind: String,
    /// Each need is met by any one of its alternatives.
    needs: BTreeSet<Vec<String>>,
}

impl ScopeGroup {
    /// The filter of the group's list call: the first alternative of each need.
    fn filter(&self) -> Group {
        let scopes = self
            .needs
            .iter()
            .filter_map(|n| n.first().cloned())
            .collect();
        (self.kind.clone(), scopes)
    }

    /// The scopes a failing connection must be asked about one by one to name what it lacks:
    /// every alternative, except the one scope a single-scope filter already answered.
    fn scopes_to_probe(&self) -> BTreeSet<String> {
        let (_, asked) = self.filter();
        let mut all: BTreeSet<String> = self.needs.iter().flatten().cloned().collect();
        if asked.len() == 1 {
            for s in &asked {
                all.remove(s);
            }
        }
        all
    }
}

pub(super) enum Job {
    ById(u64, Result<Connection, ApiError>),
    /// A group's filtered listing, and the requests it took.
    Group(ScopeGroup, Vec<u64>, Result<(Vec<Value>, u64), ApiError>),
    /// One scope of a group asked alone (`type[]=T&T[]=s`) for its failing ids.
    Probe(String, Vec<u64>, Result<(Vec<Value>, u64), ApiError>),
    Detail(u64, Result<Connection, ApiError>),
    Verify(u64, Result<Verification, ApiError>),
}

/// Follow-up questions the answers so far raised.
#[derive(Default)]
pub(super) struct Pending {
    /// Ids whose own record must name their scopes.
    details: Vec<u64>,
    /// Per-scope filtered list calls: (type, scope, failing ids).
    probes: Vec<(String, String, Vec<u64>)>,
    /// What the probes answered: (id, scope) -> holds it; ids a probe failed for.
    held: HashMap<(u64, String), bool>,
    probed: BTreeMap<u64, BTreeSet<String>>,
}

/// The scopes to ask about for listed connection `c`: none when its record already lists them,
/// when it is not OAuth (only OAuth connections hold scopes), or when no module that accepts
/// its type needs any (a module of another type gets BP105, not a scope question).
fn scope_question(req: &ResolveRequest, c: &Connection) -> Option<BTreeSet<Vec<String>>> {
    if c.scopes.is_some() || c.auth == Some(AccountAuth::Basic) {
        return None;
    }
    let needs = req.needs_for(c.id, c.connection_type.as_deref());
    (!needs.is_empty()).then_some(needs)
}

pub(super) async fn resolve(run: Arc<Run>, req: ResolveRequest) -> Resolution {
    let mut out = Collect::default();
    let mut jobs: JoinSet<Job> = JoinSet::new();
    let mut pending = Pending::default();

    if let Some(team) = req.team {
        let mut listed: HashMap<u64, Connection> = match run.list_all(team, None).await {
            // A row whose `expire` cannot be read is left to the lookup by id, which reports
            // the connection unchecked rather than never expiring.
            Ok(rows) => rows
                .iter()
                .filter(|row| unreadable_expire(row).is_none())
                .filter_map(|row| Connection::from_team_row(row, team))
                .map(|c| (c.id, c))
                .collect(),
            Err(fail) => {
                // Fail closed: without the list nothing can be called missing.
                let reason = match fail {
                    ApiError::Refused { .. } => format!(
                        "the Make API refused access (403) to the connections of team {team}: \
                         the token lacks the `connections:read` scope or access to team {team} \
                         ({fail})"
                    ),
                    _ => fail
                        .during(format!("could not list the connections of team {team}"))
                        .to_string(),
                };
                for id in &req.ids {
                    out.unchecked(*id, reason.clone(), reason.clone());
                }
                return finish(out, &run, &req.ids);
            }
        };

        let mut groups: BTreeMap<ScopeGroup, Vec<u64>> = BTreeMap::new();
        for id in &req.ids {
            let Some(c) = listed.remove(id) else {
                let run = run.clone();
                let id = *id;
                jobs.spawn(async move { Job::ById(id, run.by_id(id).await) });
                continue;
            };
            if let Some(needs) = scope_question(&req, &c) {
                match &c.connection_type {
                    Some(kind) => groups
                        .entry(ScopeGroup {
                            kind: kind.clone(),
                            needs,
                        })
                        .or_default()
                        .push(*id),
                    // No type to filter by: only the connection itself can tell its scopes.
                    None => pending.details.push(*id),
                }
            }
            out.res.found.insert(*id, c);
        }
        for (group, ids) in groups {
            let run = run.clone();
            jobs.spawn(async move {
                let answer = run.list_counted(team, Some(&group.filter())).await;
                Job::Group(group, ids, answer)
            });
        }
    } else {
        for id in &req.ids {
            let run = run.clone();
            let id = *id;
            jobs.spawn(async move { Job::ById(id, run.by_id(id).await) });
        }
    }

    drain(&mut jobs, &mut out, &mut pending).await;
    // Second wave: per-scope probes and records by id for the groups' failing connections.
    if let Some(team) = req.team {
        for (kind, scope, ids) in std::mem::take(&mut pending.probes) {
            let run = run.clone();
            jobs.spawn(async move {
                let filter = (kind, BTreeSet::from([scope.clone()]));
                Job::Probe(scope, ids, run.list_counted(team, Some(&filter)).await)
            });
        }
    }
    spawn_details(&run, &mut jobs, &mut pending);
    drain(&mut jobs, &mut out, &mut pending).await;
    settle_probes(&mut out, &mut pending);
    // A probe answer that left an id out: its own record decides.
    spawn_details(&run, &mut jobs, &mut pending);
    drain(&mut jobs, &mut out, &mut pending).await;

    if req.verify {
        let mut ids: Vec<u64> = out.res.found.keys().copied().collect();
        ids.sort_unstable();
        // The first test alone: a token without `connections:write` is then refused once, not
        // once per connection in flight.
        let rest = ids.split_off(ids.len().min(1));
        for batch in [ids, rest] {
            for id in batch {
                let run = run.clone();
                jobs.spawn(async move { Job::Verify(id, run.verify(id).await) });
            }
            drain(&mut jobs, &mut out, &mut pending).await;
        }
    }
    finish(out, &run, &req.ids)
}

fn spawn_details(run: &Arc<Run>, jobs: &mut JoinSet<Job>, pending: &mut Pending) {
    for id in pending.details.drain(..) {
        let run = run.clone();
        jobs.spawn(async move { Job::Detail(id, run.by_id(id).await) });
    }
}

pub(super) async fn drain(jobs: &mut JoinSet<Job>, out: &mut Collect, pending: &mut Pending) {
    while let Some(joined) = jobs.join_next().await {
        match joined {
            Ok(job) => record(job, out, pending),
            Err(e) => out.error(format!("internal error: a lookup task failed ({e})")),
        }
    }
}

/// The `scoped` flag of each row of a filtered listing.
fn scoped_flags(rows: &[Value]) -> HashMap<u64, Option<bool>> {
    rows.iter()
        .filter_map(Connection::from_json)
        .map(|c| (c.id, c.scoped))
        .collect()
}

/// How to name what a group's failing connections lack: one filtered list call per scope, or
/// one record by id per connection, whichever costs fewer requests (a listing costs what the
/// group's own listing took).
fn plan_failing(group: &ScopeGroup, failing: Vec<u64>, list_cost: u64, pending: &mut Pending) {
    if failing.is_empty() {
        return;
    }
    let probes = group.scopes_to_probe();
    let probe_cost = (probes.len() as u64).saturating_mul(list_cost.max(1));
    if probe_cost >= failing.len() as u64 && !probes.is_empty() {
        pending.details.extend(failing);
        return;
    }
    for id in &failing {
        // Nothing to probe: the single-scope filter already said it is missing.
        pending.probed.insert(*id, probes.clone());
    }
    for scope in probes {
        pending
            .probes
            .push((group.kind.clone(), scope, failing.clone()));
    }
}

/// Turns per-scope answers into each probed connection's held scopes; an id some probe did not
/// list goes to its record by id.
fn settle_probes(out: &mut Collect, pending: &mut Pending) {
    for (id, scopes) in std::mem::take(&mut pending.probed) {
        if out.res.unchecked.contains_key(&id) {
            continue;
        }
        let mut held = Vec::new();
        let mut unanswered = false;
        for scope in scopes {
            match pending.held.get(&(id, scope.clone())) {
                Some(true) => held.push(scope),
                Some(false) => {}
                None => unanswered = true,
            }
        }
        if unanswered {
            pending.details.push(id);
        } else if let Some(c) = out.res.found.get_mut(&id) {
            c.scopes = Some(held);
        }
    }
}

fn record(job: Job, out: &mut Collect, pending: &mut Pending) {
    match job {
        Job::ById(id, Ok(mut c)) => {
            // Not an answer for our scope set; the record's `scopes` are.
            c.scoped = None;
            out.res.found.insert(id, c);
        }
        Job::ById(id, Err(f)) => match f {
            ApiError::NotFound { .. } => {
                out.res.not_found.insert(id);
            }
            ApiError::Refused { .. } => {
                let reason = format!(
                    "the Make API refused access to connection {id}: it belongs to a team the \
                     token cannot read, or to another zone (connection ids are per zone: check \
                     --zone), or the token lacks `connections:read` ({f})"
                );
                out.unchecked(id, reason, f.summary());
            }
            _ => out.unchecked(id, f.to_string(), f.summary()),
        },
        Job::Group(group, ids, Ok((rows, cost))) => {
            let flags = scoped_flags(&rows);
            let mut failing = Vec::new();
            for id in ids {
                let flag = flags.get(&id).copied().flatten();
                if let Some(c) = out.res.found.get_mut(&id) {
                    c.scoped = flag;
                }
                match flag {
                    Some(true) => {}
                    Some(false) => failing.push(id),
                    // Left out of the answer: its own record names what it holds.
                    None => pending.details.push(id),
                }
            }
            plan_failing(&group, failing, cost, pending);
        }
        Job::Group(_, ids, Err(f)) => scope_check_failed(out, &ids, f),
        Job::Probe(scope, ids, Ok((rows, _))) => {
            let flags = scoped_flags(&rows);
            for id in ids {
                if let Some(flag) = flags.get(&id).copied().flatten() {
                    pending.held.insert((id, scope.clone()), flag);
                }
            }
        }
        Job::Probe(_, ids, Err(f)) => {
            for id in &ids {
                pending.probed.remove(id);
            }
            scope_check_failed(out, &ids, f);
        }
        Job::Detail(id, Ok(d)) => {
            if let Some(c) = out.res.found.get_mut(&id) {
                c.scopes = d.scopes;
                if c.expire.is_none() {
                    c.expire = d.expire;
                }
            }
        }
        Job::Detail(id, Err(f)) => {
            let (reason, error) = if f.is_not_found() {
                let reason = format!("listed, but gone when its scopes were read ({f})");
                (reason.clone(), format!("connection {id}: {reason}"))
            } else {
                let error = f
                    .clone()
                    .during(format!("connection {id}: {SCOPES_UNCHECKED}"));
                (scope_reason(f), error.to_string())
            };
            out.unchecked(id, reason, error);
        }
        Job::Verify(id, Ok(v)) => {
            out.res.verification.insert(id, v);
        }
        Job::Verify(id, Err(f)) => match f {
            // A token without `connections:write` says nothing about the connection itself:
            // not a failed verification, but one that was not done.
            ApiError::MissingTokenScope { .. } => out.unchecked(
                id,
                format!("not verified: {f}"),
                format!("--verify: connections were not verified: {f}"),
            ),
            _ => {
                let reason = f.clone().during("could not verify").to_string();
                let error = f.during(format!("connection {id}: could not verify"));
                out.unchecked(id, reason, error.to_string());
            }
        },
    }
}

/// A scope listing failed: these ids are found, so the pipeline reads only the error, which
/// must name them.
fn scope_check_failed(out: &mut Collect, ids: &[u64], f: ApiError) {
    let reason = scope_reason(f.clone());
    let list: Vec<String> = ids.iter().map(u64::to_string).collect();
    let error = f
        .during(format!(
            "connection(s) {}: {SCOPES_UNCHECKED}",
            list.join(", ")
        ))
        .to_string();
    for id in ids {
        out.unchecked(*id, reason.clone(), error.clone());
    }
}

const SCOPES_UNCHECKED: &str = "could not check its scopes";

fn scope_reason(f: ApiError) -> String {
    f.during(SCOPES_UNCHECKED).to_string()
}

/// The resolution of `ids`. A token refused outright invalidates every answer of the run:
/// each id then has the refusal for its reason.
pub(super) fn finish(mut out: Collect, run: &Run, ids: &BTreeSet<u64>) -> Resolution {
    out.res.requests = run.requests();
    if let Some(rejected) = run.rejection().map(|e| e.to_string()) {
        out.res.found.clear();
        out.res.not_found.clear();
        out.res.verification.clear();
        out.res.unchecked = ids.iter().map(|id| (*id, rejected.clone())).collect();
        out.res.errors = vec![rejected];
    }
    out.res
}

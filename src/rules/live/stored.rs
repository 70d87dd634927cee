//! What the webhook, data store and keychain rules share: each kind is checked the same way
//! (absent from the team's list, or listed for another team); only the words differ.

use crate::finding::Finding;
use crate::live::ObjectLookup;
use crate::model::{Module, RefKind, Reference};
use crate::rules::{LiveContext, RuleMeta};

fn noun(kind: RefKind) -> &'static str {
    match kind {
        RefKind::Hook => "webhook",
        RefKind::DataStore => "data store",
        RefKind::Keychain => "keychain",
        RefKind::Connection => "connection",
        RefKind::DataStructure => "data structure",
        RefKind::Scenario => "scenario",
    }
}

pub(crate) fn not_found(
    meta: &'static RuleMeta,
    kind: RefKind,
    m: &Module,
    r: &Reference,
    lookup: &ObjectLookup,
    out: &mut Vec<Finding>,
) {
    let ObjectLookup::NotFound { kind: k, id, team } = lookup else {
        return;
    };
    if *k != kind || r.kind != kind {
        return;
    }
    let noun = noun(kind);
    let message = match team {
        Some(t) => format!("{noun} {id} is not one of team {t}'s {noun}s"),
        None => format!("{noun} {id} does not exist"),
    };
    out.push(
        Finding::new(meta, r.span, message)
            .label(format!("no such {noun} in the team"))
            .help(format!(
                "it was deleted, or belongs to another team or zone: pick one of the team's {noun}s and remap the id (`bplint remap --kind {}`)",
                kind.name()
            ))
            .reference(m, r),
    );
}

pub(crate) fn wrong_team(
    meta: &'static RuleMeta,
    kind: RefKind,
    cx: &LiveContext<'_>,
    m: &Module,
    r: &Reference,
    lookup: &ObjectLookup,
    out: &mut Vec<Finding>,
) {
    let ObjectLookup::Found(o) = lookup else {
        return;
    };
    if o.kind != kind || r.kind != kind {
        return;
    }
    let Some(team) = o.team_id else { return };
    if cx.teams.is_empty() || cx.teams.contains(&team) {
        return;
    }
    let want = cx
        .teams
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(" or ");
    let noun = noun(kind);
    out.push(
        Finding::new(
            meta,
            r.span,
            format!(
                "{noun} {} belongs to team {team}, not team {want}",
                o.describe()
            ),
        )
        .label(format!("{noun} of another team"))
        .help(format!(
            "{noun}s cannot move between teams: use this team's own and remap the id"
        ))
        .reference(m, r),
    );
}

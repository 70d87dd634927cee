//! The webhook, data store and keychain rules: each kind is checked the same way (absent from
//! the team's list, or listed for another team); only the words differ. One body per check,
//! parameterized by the kind; each kind's file declares its two rules (code, name, severity,
//! docs), and the statics here bind them to these bodies.

use crate::finding::Finding;
use crate::live::ObjectLookup;
use crate::model::RefKind;
use crate::rules::live::{data_store, hook, keychain};
use crate::rules::{HasMeta, LiveContext, ObjectRef, Rule, RuleMeta};

/// The registry's entries: each kind's two rules, as its file declares them, on the bodies below.
pub static HOOK_NOT_FOUND: NotFound = NotFound::new(&hook::HookNotFound::META, RefKind::Hook);
pub static HOOK_WRONG_TEAM: WrongTeam = WrongTeam::new(&hook::HookWrongTeam::META, RefKind::Hook);
pub static DATA_STORE_NOT_FOUND: NotFound =
    NotFound::new(&data_store::DataStoreNotFound::META, RefKind::DataStore);
pub static DATA_STORE_WRONG_TEAM: WrongTeam =
    WrongTeam::new(&data_store::DataStoreWrongTeam::META, RefKind::DataStore);
pub static KEYCHAIN_NOT_FOUND: NotFound =
    NotFound::new(&keychain::KeychainNotFound::META, RefKind::Keychain);
pub static KEYCHAIN_WRONG_TEAM: WrongTeam =
    WrongTeam::new(&keychain::KeychainWrongTeam::META, RefKind::Keychain);

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

/// A stored object the team's list does not have (BP110, BP112, BP114).
pub struct NotFound {
    pub meta: &'static RuleMeta,
    pub kind: RefKind,
}

/// A stored object listed for another team than the ones checked for (BP111, BP113, BP115).
pub struct WrongTeam {
    pub meta: &'static RuleMeta,
    pub kind: RefKind,
}

impl NotFound {
    pub const fn new(meta: &'static RuleMeta, kind: RefKind) -> Self {
        NotFound { meta, kind }
    }
}

impl WrongTeam {
    pub const fn new(meta: &'static RuleMeta, kind: RefKind) -> Self {
        WrongTeam { meta, kind }
    }
}

impl HasMeta for NotFound {
    fn meta(&self) -> &'static RuleMeta {
        self.meta
    }
}

impl HasMeta for WrongTeam {
    fn meta(&self) -> &'static RuleMeta {
        self.meta
    }
}

impl Rule for NotFound {
    fn check_object(&self, _cx: &LiveContext<'_>, at: &ObjectRef<'_>, out: &mut Vec<Finding>) {
        let ObjectLookup::NotFound { kind, id, team } = at.lookup else {
            return;
        };
        if *kind != self.kind || at.reference.kind != self.kind {
            return;
        }
        let noun = noun(self.kind);
        let message = match team {
            Some(t) => format!("{noun} {id} is not one of team {t}'s {noun}s"),
            None => format!("{noun} {id} does not exist"),
        };
        out.push(
            at.finding(self.meta, message)
                .label(format!("no such {noun} in the team"))
                .help(format!(
                    "it was deleted, or belongs to another team or zone: pick one of the team's {noun}s and remap the id (`bplint remap --kind {}`)",
                    self.kind.name()
                )),
        );
    }
}

impl Rule for WrongTeam {
    fn check_object(&self, cx: &LiveContext<'_>, at: &ObjectRef<'_>, out: &mut Vec<Finding>) {
        let ObjectLookup::Found(o) = at.lookup else {
            return;
        };
        if o.kind != self.kind || at.reference.kind != self.kind {
            return;
        }
        let Some(team) = o.team_id else { return };
        let Some(want) = cx.other_team(team) else {
            return;
        };
        let noun = noun(self.kind);
        out.push(
            at.finding(
                self.meta,
                format!(
                    "{noun} {} belongs to team {team}, not team {want}",
                    o.describe()
                ),
            )
            .label(format!("{noun} of another team"))
            .help(format!(
                "{noun}s cannot move between teams: use this team's own and remap the id"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::model::RefKind;
    use crate::rules::Rule;
    use crate::rules::live::testing::*;

    /// A kind, its not-found and wrong-team rules, and the codes they report under.
    type Kind = (
        RefKind,
        &'static dyn Rule,
        &'static dyn Rule,
        [&'static str; 2],
    );

    fn kinds() -> [Kind; 3] {
        [
            (
                RefKind::Hook,
                &super::HOOK_NOT_FOUND,
                &super::HOOK_WRONG_TEAM,
                ["BP110", "BP111"],
            ),
            (
                RefKind::DataStore,
                &super::DATA_STORE_NOT_FOUND,
                &super::DATA_STORE_WRONG_TEAM,
                ["BP112", "BP113"],
            ),
            (
                RefKind::Keychain,
                &super::KEYCHAIN_NOT_FOUND,
                &super::KEYCHAIN_WRONG_TEAM,
                ["BP114", "BP115"],
            ),
        ]
    }

    #[test]
    fn not_found_fires_on_an_id_the_team_lacks_only() {
        for (k, rule, _, [code, _]) in kinds() {
            assert_eq!(object_codes(rule, k, &object_missing(k), &[7]), [code]);
            assert!(object_codes(rule, k, &object(k, 7), &[7]).is_empty());
        }
    }

    #[test]
    fn wrong_team_fires_for_another_team_only() {
        for (k, _, rule, [_, code]) in kinds() {
            assert_eq!(object_codes(rule, k, &object(k, 9), &[7]), [code]);
            assert!(object_codes(rule, k, &object(k, 9), &[7, 9]).is_empty());
            assert!(object_codes(rule, k, &object(k, 9), &[]).is_empty());
            assert!(object_codes(rule, k, &object_missing(k), &[7]).is_empty());
        }
    }

    #[test]
    fn each_kind_reports_only_its_own_objects() {
        for (k, not_found, wrong_team, _) in kinds() {
            for other in [RefKind::Hook, RefKind::DataStore, RefKind::Keychain] {
                if other != k {
                    assert!(
                        object_codes(not_found, other, &object_missing(other), &[7]).is_empty()
                    );
                    assert!(object_codes(wrong_team, other, &object(other, 9), &[7]).is_empty());
                }
            }
        }
    }
}

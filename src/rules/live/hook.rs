use crate::declare_rule;
use crate::finding::Finding;
use crate::live::ObjectLookup;
use crate::model::{Module, RefKind, Reference};
use crate::rules::live::stored;
use crate::rules::{LiveContext, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a webhook id that is not in the team's list of webhooks (`GET /hooks?teamId=`,
    /// or the `hook0` of a snapshot that records them).
    ///
    /// ## Why is this bad?
    /// The webhook was deleted, or the blueprint comes from another team, zone or organization.
    /// The module fails on its first run.
    ///
    /// ## Example
    /// A module with `"hook1": 999` when the team has no webhook 999.
    ///
    /// ## Use instead
    /// Point the module at one of the team's webhooks (`bplint remap --kind hook`).
    pub struct HookNotFound {
        code: "BP110",
        name: "hook-not-found",
        severity: Error,
        kind: Live,
        summary: "the referenced webhook does not exist in the team",
    }
}

impl Rule for HookNotFound {
    fn check_object(
        &self,
        _cx: &LiveContext<'_>,
        m: &Module,
        r: &Reference,
        lookup: &ObjectLookup,
        out: &mut Vec<Finding>,
    ) {
        stored::not_found(&Self::META, RefKind::Hook, m, r, lookup, out);
    }
}

declare_rule! {
    /// ## What it does
    /// Reports a webhook that exists but belongs to another team than the one the file is checked
    /// for (`--team`, or the `[[teams]]` of `bplint.toml`).
    ///
    /// ## Why is this bad?
    /// A webhook belongs to exactly one team and never moves: a scenario deployed to this team
    /// cannot use it. Typical after copying a blueprint from a development team.
    ///
    /// ## Example
    /// Checking with `--team 7` a module whose webhook 42 belongs to team 9.
    ///
    /// ## Use instead
    /// Use the team's own webhook and remap the id (`bplint remap --kind hook`).
    pub struct HookWrongTeam {
        code: "BP111",
        name: "hook-wrong-team",
        severity: Error,
        kind: Live,
        summary: "the referenced webhook belongs to another team",
    }
}

impl Rule for HookWrongTeam {
    fn check_object(
        &self,
        cx: &LiveContext<'_>,
        m: &Module,
        r: &Reference,
        lookup: &ObjectLookup,
        out: &mut Vec<Finding>,
    ) {
        stored::wrong_team(&Self::META, RefKind::Hook, cx, m, r, lookup, out);
    }
}

#[cfg(test)]
mod tests {
    use crate::model::RefKind;
    use crate::rules::live::testing::*;

    #[test]
    fn not_found_fires_on_an_id_the_team_lacks_only() {
        let rule = &super::HookNotFound;
        let k = RefKind::Hook;
        assert_eq!(object_codes(rule, k, &object_missing(k), &[7]), ["BP110"]);
        assert!(object_codes(rule, k, &object(k, 7), &[7]).is_empty());
    }

    #[test]
    fn wrong_team_fires_for_another_team_only() {
        let rule = &super::HookWrongTeam;
        let k = RefKind::Hook;
        assert_eq!(object_codes(rule, k, &object(k, 9), &[7]), ["BP111"]);
        assert!(object_codes(rule, k, &object(k, 9), &[7, 9]).is_empty());
        assert!(object_codes(rule, k, &object(k, 9), &[]).is_empty());
        assert!(object_codes(rule, k, &object_missing(k), &[7]).is_empty());
    }
}

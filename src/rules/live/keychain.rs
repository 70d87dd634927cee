use crate::declare_rule;
use crate::finding::Finding;
use crate::live::ObjectLookup;
use crate::model::{Module, RefKind, Reference};
use crate::rules::live::stored;
use crate::rules::{LiveContext, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a keychain id that is not in the team's list of keychains (`GET /keys?teamId=`,
    /// or the `keychain0` of a snapshot that records them).
    ///
    /// ## Why is this bad?
    /// The keychain was deleted, or the blueprint comes from another team, zone or organization.
    /// The module fails on its first run.
    ///
    /// ## Example
    /// A module with `"keychain1": 999` when the team has no keychain 999.
    ///
    /// ## Use instead
    /// Point the module at one of the team's keychains (`bplint remap --kind keychain`).
    pub struct KeychainNotFound {
        code: "BP114",
        name: "keychain-not-found",
        severity: Error,
        kind: Live,
        summary: "the referenced keychain does not exist in the team",
    }
}

impl Rule for KeychainNotFound {
    fn check_object(
        &self,
        _cx: &LiveContext<'_>,
        m: &Module,
        r: &Reference,
        lookup: &ObjectLookup,
        out: &mut Vec<Finding>,
    ) {
        stored::not_found(&Self::META, RefKind::Keychain, m, r, lookup, out);
    }
}

declare_rule! {
    /// ## What it does
    /// Reports a keychain that exists but belongs to another team than the one the file is checked
    /// for (`--team`, or the `[[teams]]` of `bplint.toml`).
    ///
    /// ## Why is this bad?
    /// A keychain belongs to exactly one team and never moves: a scenario deployed to this team
    /// cannot use it. Typical after copying a blueprint from a development team.
    ///
    /// ## Example
    /// Checking with `--team 7` a module whose keychain 42 belongs to team 9.
    ///
    /// ## Use instead
    /// Use the team's own keychain and remap the id (`bplint remap --kind keychain`).
    pub struct KeychainWrongTeam {
        code: "BP115",
        name: "keychain-wrong-team",
        severity: Error,
        kind: Live,
        summary: "the referenced keychain belongs to another team",
    }
}

impl Rule for KeychainWrongTeam {
    fn check_object(
        &self,
        cx: &LiveContext<'_>,
        m: &Module,
        r: &Reference,
        lookup: &ObjectLookup,
        out: &mut Vec<Finding>,
    ) {
        stored::wrong_team(&Self::META, RefKind::Keychain, cx, m, r, lookup, out);
    }
}

#[cfg(test)]
mod tests {
    use crate::model::RefKind;
    use crate::rules::live::testing::*;

    #[test]
    fn not_found_fires_on_an_id_the_team_lacks_only() {
        let rule = &super::KeychainNotFound;
        let k = RefKind::Keychain;
        assert_eq!(object_codes(rule, k, &object_missing(k), &[7]), ["BP114"]);
        assert!(object_codes(rule, k, &object(k, 7), &[7]).is_empty());
    }

    #[test]
    fn wrong_team_fires_for_another_team_only() {
        let rule = &super::KeychainWrongTeam;
        let k = RefKind::Keychain;
        assert_eq!(object_codes(rule, k, &object(k, 9), &[7]), ["BP115"]);
        assert!(object_codes(rule, k, &object(k, 9), &[7, 9]).is_empty());
        assert!(object_codes(rule, k, &object(k, 9), &[]).is_empty());
        assert!(object_codes(rule, k, &object_missing(k), &[7]).is_empty());
    }
}

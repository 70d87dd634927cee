use crate::declare_rule;
use crate::finding::Finding;
use crate::live::ObjectLookup;
use crate::model::{Module, RefKind, Reference};
use crate::rules::live::stored;
use crate::rules::{LiveContext, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a data store id that is not in the team's list of data stores (`GET /data-stores?teamId=`,
    /// or the `data_store0` of a snapshot that records them).
    ///
    /// ## Why is this bad?
    /// The data store was deleted, or the blueprint comes from another team, zone or organization.
    /// The module fails on its first run.
    ///
    /// ## Example
    /// A module with `"data_store1": 999` when the team has no data store 999.
    ///
    /// ## Use instead
    /// Point the module at one of the team's data stores (`bplint remap --kind data-store`).
    pub struct DataStoreNotFound {
        code: "BP112",
        name: "data-store-not-found",
        severity: Error,
        kind: Live,
        summary: "the referenced data store does not exist in the team",
    }
}

impl Rule for DataStoreNotFound {
    fn check_object(
        &self,
        _cx: &LiveContext<'_>,
        m: &Module,
        r: &Reference,
        lookup: &ObjectLookup,
        out: &mut Vec<Finding>,
    ) {
        stored::not_found(&Self::META, RefKind::DataStore, m, r, lookup, out);
    }
}

declare_rule! {
    /// ## What it does
    /// Reports a data store that exists but belongs to another team than the one the file is checked
    /// for (`--team`, or the `[[teams]]` of `bplint.toml`).
    ///
    /// ## Why is this bad?
    /// A data store belongs to exactly one team and never moves: a scenario deployed to this team
    /// cannot use it. Typical after copying a blueprint from a development team.
    ///
    /// ## Example
    /// Checking with `--team 7` a module whose data store 42 belongs to team 9.
    ///
    /// ## Use instead
    /// Use the team's own data store and remap the id (`bplint remap --kind data-store`).
    pub struct DataStoreWrongTeam {
        code: "BP113",
        name: "data-store-wrong-team",
        severity: Error,
        kind: Live,
        summary: "the referenced data store belongs to another team",
    }
}

impl Rule for DataStoreWrongTeam {
    fn check_object(
        &self,
        cx: &LiveContext<'_>,
        m: &Module,
        r: &Reference,
        lookup: &ObjectLookup,
        out: &mut Vec<Finding>,
    ) {
        stored::wrong_team(&Self::META, RefKind::DataStore, cx, m, r, lookup, out);
    }
}

#[cfg(test)]
mod tests {
    use crate::model::RefKind;
    use crate::rules::live::testing::*;

    #[test]
    fn not_found_fires_on_an_id_the_team_lacks_only() {
        let rule = &super::DataStoreNotFound;
        let k = RefKind::DataStore;
        assert_eq!(object_codes(rule, k, &object_missing(k), &[7]), ["BP112"]);
        assert!(object_codes(rule, k, &object(k, 7), &[7]).is_empty());
    }

    #[test]
    fn wrong_team_fires_for_another_team_only() {
        let rule = &super::DataStoreWrongTeam;
        let k = RefKind::DataStore;
        assert_eq!(object_codes(rule, k, &object(k, 9), &[7]), ["BP113"]);
        assert!(object_codes(rule, k, &object(k, 9), &[7, 9]).is_empty());
        assert!(object_codes(rule, k, &object(k, 9), &[]).is_empty());
        assert!(object_codes(rule, k, &object_missing(k), &[7]).is_empty());
    }
}

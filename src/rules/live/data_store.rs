//! The data store rules; their checks are the shared stored-object ones ([`super::stored`]).

use crate::declare_rule;

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

//! The webhook rules; their checks are the shared stored-object ones ([`super::stored`]).

use crate::declare_rule;

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

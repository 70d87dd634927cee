//! The keychain rules; their checks are the shared stored-object ones ([`super::stored`]).

use crate::declare_rule;

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

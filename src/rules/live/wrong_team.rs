use crate::declare_rule;
use crate::finding::Finding;
use crate::rules::{ConnRef, LiveContext, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a connection that exists but belongs to another team than the one the file is
    /// checked for (`--team`, or the `[[teams]]` of `bplint.toml`).
    ///
    /// ## Why is this bad?
    /// Connections never move between teams: a scenario deployed to this team cannot use it.
    /// Typical after copying a blueprint from a development team to production.
    ///
    /// ## Example
    /// Checking with `--team 7` a module whose connection 42 belongs to team 9.
    ///
    /// ## Use instead
    /// Use the team's own connection of the same type, and remap the id (`bplint remap`).
    pub struct ConnectionWrongTeam {
        code: "BP103",
        name: "connection-wrong-team",
        severity: Error,
        kind: Live,
        summary: "the referenced connection belongs to another team",
    }
}

impl Rule for ConnectionWrongTeam {
    fn check_connection(&self, cx: &LiveContext<'_>, at: &ConnRef<'_>, out: &mut Vec<Finding>) {
        let Some(c) = at.connection() else { return };
        let Some(team) = c.team_id else { return };
        let Some(want) = cx.other_team(team) else {
            return;
        };
        out.push(
            at.finding(&Self::META, format!("connection {} belongs to team {team}, not team {want}", c.describe()))
                .label("connection of another team")
                .help("use a connection of this team and remap the id; connections cannot move between teams"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::live::testing::*;

    #[test]
    fn fires_for_another_team_only() {
        let mut c = conn();
        c.team_id = Some(9);
        assert_eq!(
            codes(&super::ConnectionWrongTeam, &found(c.clone()), &[7]),
            ["BP103"]
        );
        assert!(codes(&super::ConnectionWrongTeam, &found(c.clone()), &[7, 9]).is_empty());
        assert!(codes(&super::ConnectionWrongTeam, &found(c), &[]).is_empty());
    }
}

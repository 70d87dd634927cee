use crate::declare_rule;
use crate::finding::Finding;
use crate::live::Lookup;
use crate::rules::{ConnRef, LiveContext, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a connection id that does not exist: the API answered 404, or the snapshot
    /// (taken as complete) does not list it.
    ///
    /// ## Why is this bad?
    /// The connection was deleted, or the blueprint comes from another zone or organization.
    /// The module fails on its first run.
    ///
    /// ## Example
    /// ```json
    /// { "module": "slack:CreateMessage", "parameters": { "__IMTCONN__": 999999 } }
    /// ```
    /// when no connection 999999 exists.
    ///
    /// ## Use instead
    /// Pick an existing connection of the team (`bplint inventory` lists them) and remap the id.
    pub struct ConnectionNotFound {
        code: "BP100",
        name: "connection-not-found",
        severity: Error,
        kind: Live,
        summary: "the referenced connection does not exist",
    }
}

impl Rule for ConnectionNotFound {
    fn check_connection(&self, _cx: &LiveContext<'_>, at: &ConnRef<'_>, out: &mut Vec<Finding>) {
        let Lookup::NotFound { id } = at.lookup else {
            return;
        };
        out.push(
            at.finding(&Self::META, format!("connection {id} does not exist"))
                .label("no such connection")
                .help(
                    "choose an existing connection of the team; ids are per zone and organization",
                ),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::live::testing::*;

    #[test]
    fn fires_on_not_found_only() {
        assert_eq!(
            codes(&super::ConnectionNotFound, &not_found(), &[]),
            ["BP100"]
        );
        assert!(codes(&super::ConnectionNotFound, &found(conn()), &[]).is_empty());
    }
}

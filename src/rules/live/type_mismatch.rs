use crate::declare_rule;
use crate::finding::Finding;
use crate::live::{LiveSettings, requirements};
use crate::model::{Module, Reference};
use crate::rules::{ConnRef, LiveContext, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a live connection whose type (Make's `accountName`, e.g. `slack2`) is not among
    /// the types the module accepts: the blueprint's own `metadata.parameters` echo
    /// (`account:slack2,slack3`) when it has one, else Make's published requirements of the
    /// module's app version (`--online`, or recorded in a snapshot), else the module catalog.
    ///
    /// ## Why is this bad?
    /// The id points at a connection for another service or another flavour of it (a `google`
    /// connection on a Google Drive module that needs `google-restricted`); the module cannot use it.
    ///
    /// ## Example
    /// `google-drive:uploadAFile` whose echo says `account:google-restricted`, referencing a
    /// connection of type `google`.
    ///
    /// ## Use instead
    /// Reference a connection of an accepted type.
    pub struct ConnectionTypeMismatch {
        code: "BP105",
        name: "connection-type-mismatch",
        severity: Error,
        kind: Live,
        summary: "the live connection's type is not one the module accepts",
    }
}

/// The connection types module `m` accepts for reference `r`, and where that comes from: the
/// blueprint's own parameter echo when it has one, else Make's requirements, else the catalog
/// ([`requirements::demand_for`]); `None` when none says. BP105, BP104 and the live request (no
/// scope question for a type the module refuses) agree through this one function.
pub(crate) fn accepted_types(
    settings: &LiveSettings,
    m: &Module,
    r: &Reference,
) -> Option<(Vec<String>, String)> {
    let demand = requirements::demand_for(m, r, &settings.requirements, &settings.catalog);
    Some((demand.accepted_types?, demand.types_from?.cite()))
}

impl Rule for ConnectionTypeMismatch {
    fn check_connection(&self, cx: &LiveContext<'_>, at: &ConnRef<'_>, out: &mut Vec<Finding>) {
        let Some(c) = at.connection() else { return };
        let Some(actual) = &c.connection_type else {
            return;
        };
        let Some((allowed, source)) = accepted_types(cx.settings, at.module, at.reference) else {
            return;
        };
        if allowed.iter().any(|t| t == actual) {
            return;
        }
        out.push(
            at.finding(
                &Self::META,
                format!(
                    "connection {} is of type `{actual}`, but {} accepts {} (per {source})",
                    c.describe(),
                    at.module.name.as_deref().unwrap_or("this module"),
                    allowed.join(", ")
                ),
            )
            .label("wrong connection type"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::live::testing::*;

    #[test]
    fn fires_on_a_type_outside_the_catalog_or_echo() {
        let mut c = conn();
        c.connection_type = Some("google".into());
        assert_eq!(
            codes(&super::ConnectionTypeMismatch, &found(c.clone()), &[]),
            ["BP105"]
        );
        c.connection_type = Some("slack3".into());
        assert!(codes(&super::ConnectionTypeMismatch, &found(c), &[]).is_empty());
    }
}

use crate::declare_rule;
use crate::finding::Finding;
use crate::live::requirements;
use crate::rules::{ConnRef, LiveContext, Rule};

declare_rule! {
    /// ## What it does
    /// Reports an OAuth connection that lacks scopes the module's action needs. The required
    /// scopes come from Make's published requirements of the module's app version (`GET
    /// /credential-requests/apps/{app}/{version}/modules-with-credentials`, asked with `--online`
    /// or recorded in a snapshot; custom apps also through the SDK Apps API), else from the
    /// module catalog (`rules/catalog/*.toml`, `--catalog DIR`). The finding names the missing
    /// scopes. Connections that are not OAuth (`accountType` basic, apikey...) hold no scopes
    /// and never get it; a module no source covers gets no finding (the summary counts them).
    ///
    /// ## Why is this bad?
    /// The provider refuses the call at run time (Slack `missing_scope`, Google 403
    /// `insufficientPermissions`).
    ///
    /// ## Example
    /// `slack:CreateMessage` (Slack `chat.postMessage`, needs `chat:write`) using a connection
    /// granted only `channels:read`.
    ///
    /// ## Use instead
    /// Reauthorize the connection with the missing scopes (Make: Connections, Reauthorize,
    /// Show advanced settings, Additional scopes).
    pub struct ConnectionMissingScopes {
        code: "BP104",
        name: "connection-missing-scopes",
        severity: Error,
        kind: Live,
        summary: "the connection lacks scopes the module needs",
    }
}

impl Rule for ConnectionMissingScopes {
    fn check_connection(&self, cx: &LiveContext<'_>, at: &ConnRef<'_>, out: &mut Vec<Finding>) {
        let Some(c) = at.connection() else { return };
        let Some(name) = &at.module.name else { return };
        // Only OAuth connections hold scopes (`accountType` basic, apikey...: `scopesCnt: 0`).
        if c.auth.is_some_and(|a| !a.holds_scopes()) {
            return;
        }
        let info = requirements::demand_for(
            at.module,
            at.reference,
            &cx.settings.requirements,
            &cx.settings.catalog,
        );
        if info.scopes.is_empty() {
            return;
        }
        // A connection of a type the module does not accept is BP105's finding; its scopes
        // were not asked about and say nothing useful.
        if c.connection_type
            .as_deref()
            .is_some_and(|t| info.refuses(t))
        {
            return;
        }
        let missing: Vec<String> = match (&c.scopes, c.scoped) {
            (Some(granted), _) => info
                .scopes
                .iter()
                .filter(|n| !n.is_met_by(granted))
                .map(|n| n.display())
                .collect(),
            // The API's `scoped` flag answers "holds all of them" without naming which is missing.
            (None, Some(false)) => vec![format!(
                "at least one of {}",
                info.scopes
                    .iter()
                    .map(|n| n.display())
                    .collect::<Vec<_>>()
                    .join(", ")
            )],
            (None, _) => return,
        };
        if missing.is_empty() {
            return;
        }
        let mut f = at
            .finding(
                &Self::META,
                format!(
                    "connection {} lacks scope(s) {} needed by {name}",
                    c.describe(),
                    missing.join(", ")
                ),
            )
            .label("missing scopes");
        f = match &info.docs {
            Some(docs) => f.help(format!(
                "reauthorize the connection with the missing scopes; see {docs}"
            )),
            None => f.help("reauthorize the connection with the missing scopes"),
        };
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::live::testing::*;

    #[test]
    fn names_the_missing_scopes() {
        let mut c = conn();
        c.scopes = Some(vec!["channels:read".into()]);
        let f = findings(&super::ConnectionMissingScopes, &found(c.clone()), &[]);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("chat:write"), "{}", f[0].message);
        c.scopes = Some(vec!["chat:write".into()]);
        assert!(findings(&super::ConnectionMissingScopes, &found(c), &[]).is_empty());
    }

    #[test]
    fn a_connection_of_a_type_the_module_refuses_gets_bp105_not_bp104() {
        let mut c = conn();
        c.connection_type = Some("google".into());
        c.scopes = Some(vec![]);
        assert!(codes(&super::ConnectionMissingScopes, &found(c.clone()), &[]).is_empty());
        c.connection_type = Some("slack3".into());
        assert_eq!(
            codes(&super::ConnectionMissingScopes, &found(c), &[]),
            ["BP104"]
        );
    }

    #[test]
    fn uses_the_scoped_flag_and_stays_quiet_when_unknown() {
        let mut c = conn();
        c.scopes = None;
        c.scoped = Some(false);
        assert_eq!(
            codes(&super::ConnectionMissingScopes, &found(c.clone()), &[]),
            ["BP104"]
        );
        c.scoped = None;
        assert!(codes(&super::ConnectionMissingScopes, &found(c.clone()), &[]).is_empty());
        c.scoped = Some(true);
        assert!(codes(&super::ConnectionMissingScopes, &found(c), &[]).is_empty());
    }

    #[test]
    fn a_connection_that_is_not_oauth_never_gets_bp104() {
        let mut c = conn();
        c.scopes = Some(vec![]);
        c.auth = Some(crate::live::connection::AccountAuth::Basic);
        assert!(codes(&super::ConnectionMissingScopes, &found(c.clone()), &[]).is_empty());
        c.auth = Some(crate::live::connection::AccountAuth::OAuth);
        assert_eq!(
            codes(&super::ConnectionMissingScopes, &found(c), &[]),
            ["BP104"]
        );
    }
}

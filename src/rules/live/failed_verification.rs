use crate::declare_rule;
use crate::finding::Finding;
use crate::live::Lookup;
use crate::rules::{ConnRef, LiveContext, Rule};

declare_rule! {
    /// ## What it does
    /// With `--verify` only: reports a connection that Make could not verify against its
    /// service (`POST /connections/{id}/test`, or `/verify` where that is what the API offers).
    /// Verification is opt-in because it contacts the third-party service, and Make needs a
    /// token with `connections:write` for it; a read-only token gets a note, not this finding.
    ///
    /// ## Why is this bad?
    /// The credentials were revoked or changed at the provider: the connection exists and has
    /// not expired, yet every call fails.
    ///
    /// ## Example
    /// A Slack connection whose app was uninstalled from the workspace.
    ///
    /// ## Use instead
    /// Reauthorize or recreate the connection in Make.
    pub struct ConnectionFailedVerification {
        code: "BP106",
        name: "connection-failed-verification",
        severity: Error,
        kind: Live,
        summary: "Make could not verify the connection against its service (--verify)",
    }
}

impl Rule for ConnectionFailedVerification {
    fn check_connection(&self, _cx: &LiveContext<'_>, at: &ConnRef<'_>, out: &mut Vec<Finding>) {
        let Lookup::Found {
            connection: c,
            verification: Some(v),
        } = at.lookup
        else {
            return;
        };
        if v.verified {
            return;
        }
        let why = v
            .error
            .as_deref()
            .map(|e| format!(": {}", crate::model::truncate(e, 200)))
            .unwrap_or_default();
        out.push(
            at.finding(
                &Self::META,
                format!("connection {} failed verification{why}", c.describe()),
            )
            .label("verification failed")
            .help("reauthorize or recreate the connection in Make"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::live::{Lookup, Verification};
    use crate::rules::live::testing::*;

    #[test]
    fn fires_on_failed_verification_only() {
        let failed = Lookup::Found {
            connection: conn(),
            verification: Some(Verification {
                verified: false,
                error: Some("invalid_auth".into()),
            }),
        };
        assert_eq!(
            codes(&super::ConnectionFailedVerification, &failed, &[]),
            ["BP106"]
        );
        let ok = Lookup::Found {
            connection: conn(),
            verification: Some(Verification {
                verified: true,
                error: None,
            }),
        };
        assert!(codes(&super::ConnectionFailedVerification, &ok, &[]).is_empty());
        assert!(codes(&super::ConnectionFailedVerification, &found(conn()), &[]).is_empty());
    }
}

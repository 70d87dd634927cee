use crate::declare_rule;
use crate::finding::Finding;
use crate::rules::{ConnRef, LiveContext, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a connection whose `expire` time is in the past (`--now` sets the clock for
    /// reproducible runs).
    ///
    /// ## Why is this bad?
    /// Make cannot refresh an expired connection by itself: every module using it fails until
    /// someone reauthorizes it.
    ///
    /// ## Example
    /// A module using connection 42 whose `expire` is `2026-01-01T00:00:00Z`, checked in March 2026.
    ///
    /// ## Use instead
    /// Reauthorize the connection in Make (Connections, Reauthorize).
    pub struct ConnectionExpired {
        code: "BP101",
        name: "connection-expired",
        severity: Error,
        kind: Live,
        summary: "the referenced connection has expired",
    }
}

impl Rule for ConnectionExpired {
    fn check_connection(&self, cx: &LiveContext<'_>, at: &ConnRef<'_>, out: &mut Vec<Finding>) {
        let Some(c) = at.connection() else { return };
        let Some(expire) = c.expire else { return };
        if expire >= cx.settings.now {
            return;
        }
        out.push(
            at.finding(
                &Self::META,
                format!("connection {} has expired", c.describe()),
            )
            .label("expired connection")
            .help("reauthorize the connection in Make"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::live::testing::*;

    #[test]
    fn fires_before_now_only() {
        let mut c = conn();
        c.expire = Some(days_from_now(-1));
        assert_eq!(
            codes(&super::ConnectionExpired, &found(c.clone()), &[]),
            ["BP101"]
        );
        c.expire = Some(days_from_now(1));
        assert!(codes(&super::ConnectionExpired, &found(c.clone()), &[]).is_empty());
        c.expire = None;
        assert!(codes(&super::ConnectionExpired, &found(c), &[]).is_empty());
    }
}

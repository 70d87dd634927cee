use crate::declare_rule;
use crate::finding::Finding;
use crate::rules::{ConnRef, LiveContext, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a connection that expires within `--expiry-warning-days` (14 by default).
    ///
    /// ## Why is this bad?
    /// In a few days every module using it starts failing; reauthorizing now is cheap.
    ///
    /// ## Example
    /// A module using connection 42 whose `expire` is five days away.
    ///
    /// ## Use instead
    /// Reauthorize the connection in Make before it expires.
    pub struct ConnectionExpiringSoon {
        code: "BP102",
        name: "connection-expiring-soon",
        severity: Warning,
        kind: Live,
        summary: "the referenced connection expires soon",
    }
}

impl Rule for ConnectionExpiringSoon {
    fn check_connection(&self, cx: &LiveContext<'_>, at: &ConnRef<'_>, out: &mut Vec<Finding>) {
        let Some(c) = at.connection() else { return };
        let Some(expire) = c.expire else { return };
        let now = cx.settings.now;
        // A window reaching past the end of chrono's calendar has no end: every later expiry
        // is inside it (never a panic on a huge setting).
        let window_end = chrono::TimeDelta::try_days(cx.settings.expiry_warning_days.max(0))
            .and_then(|window| now.checked_add_signed(window));
        if expire < now || window_end.is_some_and(|end| expire > end) {
            return;
        }
        let days = (expire - now).num_days();
        out.push(
            at.finding(
                &Self::META,
                format!("connection {} expires in {days} day(s)", c.describe()),
            )
            .label("expiring connection")
            .help("reauthorize the connection in Make before it expires"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::live::testing::*;

    #[test]
    fn fires_inside_the_window_only() {
        let mut c = conn();
        c.expire = Some(days_from_now(3));
        assert_eq!(
            codes(&super::ConnectionExpiringSoon, &found(c.clone()), &[]),
            ["BP102"]
        );
        c.expire = Some(days_from_now(30));
        assert!(codes(&super::ConnectionExpiringSoon, &found(c.clone()), &[]).is_empty());
        c.expire = Some(days_from_now(-3));
        assert!(codes(&super::ConnectionExpiringSoon, &found(c), &[]).is_empty());
    }

    #[test]
    fn windows_and_dates_at_the_ends_of_the_calendar_do_not_overflow() {
        let rule = &super::ConnectionExpiringSoon;
        let mut c = conn();
        c.expire = Some(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        let with_window = |days| {
            let mut s = settings();
            s.expiry_warning_days = days;
            s
        };
        assert_eq!(
            codes_with(rule, &found(c.clone()), &[], &with_window(i64::MAX)),
            ["BP102"]
        );
        assert!(codes_with(rule, &found(c.clone()), &[], &with_window(i64::MIN)).is_empty());
        c.expire = Some(chrono::DateTime::<chrono::Utc>::MIN_UTC);
        assert!(codes_with(rule, &found(c), &[], &with_window(i64::MAX)).is_empty());
    }
}

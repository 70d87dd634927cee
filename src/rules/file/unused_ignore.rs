use crate::declare_rule;
use crate::finding::Finding;
use crate::json::Span;

declare_rule! {
    /// ## What it does
    /// Notes an `[[ignore]]` entry of `bplint.toml` that matched no finding in this run.
    ///
    /// ## Why is this bad?
    /// The problem it silenced is gone (or the entry never matched): a stale ignore would hide
    /// the problem if it came back, and misleads whoever reads the config.
    ///
    /// ## Example
    /// ```toml
    /// [[ignore]]
    /// rule = "BP020"
    /// paths = ["old/**"]
    /// reason = "test data"
    /// ```
    /// when nothing under `old/` has a BP020 finding any more.
    ///
    /// ## Use instead
    /// Delete the entry.
    pub struct UnusedIgnore {
        code: "BP009",
        name: "unused-ignore",
        severity: Info,
        kind: File,
        summary: "an [[ignore]] entry of the config matched nothing",
    }
}

/// The finding about the entry at `span` of the config file.
pub fn finding(rule: &str, line: usize, reason: &str, span: Span) -> Finding {
    Finding::new(
        &UnusedIgnore::META,
        span,
        format!(
            "the [[ignore]] entry for {rule} at line {line} (\"{}\") matched no finding",
            crate::model::truncate(reason, 60)
        ),
    )
    .help("delete the entry if the problem is gone")
}

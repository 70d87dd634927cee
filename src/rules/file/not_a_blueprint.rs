use crate::declare_rule;
use crate::finding::Finding;
use crate::json::Span;

declare_rule! {
    /// ## What it does
    /// Reports a file named on the command line that is valid JSON but not a Make blueprint
    /// (no top-level `flow` array, no API response wrapper, no clipboard `subflows`). Such files
    /// found while walking folders are skipped quietly.
    ///
    /// ## Why is this bad?
    /// You asked for this file to be checked, and nothing in it can be: either the wrong file was
    /// named, or the export is in another tool's format.
    ///
    /// ## Example
    /// ```json
    /// { "name": "x", "blueprint": { "modules": [] } }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// { "name": "x", "flow": [], "metadata": { "version": 1 } }
    /// ```
    pub struct NotABlueprint {
        code: "BP002",
        name: "not-a-blueprint",
        severity: Error,
        kind: File,
        summary: "a file named on the command line is not a blueprint",
    }
}

pub fn finding(root: Span, reason: &str) -> Finding {
    let first = Span::new(root.start as usize, (root.start + 1).min(root.end) as usize);
    Finding::new(
        &NotABlueprint::META,
        first,
        format!("not a Make blueprint: {reason}"),
    )
    .label("this value")
}

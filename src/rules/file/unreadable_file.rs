use crate::declare_rule;
use crate::finding::Finding;
use crate::json::Span;

declare_rule! {
    /// ## What it does
    /// Reports a file or folder that could not be read: permission denied, vanished while
    /// walking, a symbolic link loop. The run goes on with the other files and exits 2.
    ///
    /// ## Why is this bad?
    /// A file that could not be read was not checked. A gate that passed over it silently would
    /// claim a check it never made, so the run fails closed.
    ///
    /// ## Example
    /// A blueprint with mode `000`, or `a -> b -> a` symbolic links.
    ///
    /// ## Use instead
    /// Fix the permissions or the links, or exclude the path.
    pub struct UnreadableFile {
        code: "BP008",
        name: "unreadable-file",
        severity: Error,
        kind: File,
        summary: "a file or folder could not be read (the run exits 2)",
    }
}

pub fn finding(reason: &str) -> Finding {
    Finding::new(
        &UnreadableFile::META,
        Span::default(),
        format!("could not read: {reason}"),
    )
}

use crate::declare_rule;
use crate::finding::Finding;
use crate::json::Span;

declare_rule! {
    /// ## What it does
    /// Reports a file larger than the size limit (64 MiB by default, `--max-file-size`), without
    /// reading it.
    ///
    /// ## Why is this bad?
    /// Real blueprints are far smaller; a file this size is a data dump or an accident, and
    /// reading it would cost memory and time in a pre-commit hook.
    ///
    /// ## Example
    /// A 2 GiB `export.json` in the checked folder.
    ///
    /// ## Use instead
    /// Exclude the file, or raise `--max-file-size` when it really is a blueprint.
    pub struct FileTooLarge {
        code: "BP007",
        name: "file-too-large",
        severity: Error,
        kind: File,
        summary: "the file is over the size limit and was not read",
    }
}

pub fn finding(size: u64, limit: u64) -> Finding {
    Finding::new(
        &FileTooLarge::META,
        Span::default(),
        format!("file is {size} bytes, over the limit of {limit} bytes; not read"),
    )
    .help("raise the limit with --max-file-size BYTES if this really is a blueprint")
}

use crate::declare_rule;
use crate::finding::Finding;
use crate::json::{ParseError, ParseErrorKind, Span};

declare_rule! {
    /// ## What it does
    /// Reports a file that is not valid JSON: a syntax error, bytes that are not UTF-8, or
    /// nesting deeper than bplint's fixed limit (512 levels).
    ///
    /// ## Why is this bad?
    /// Make cannot import it, and bplint cannot check anything else in it. Blueprint templates
    /// with unquoted placeholders are the usual cause.
    ///
    /// ## Example
    /// ```json
    /// { "parameters": { "datastore": {{dataStoreId}} } }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// { "parameters": { "datastore": 81234 } }
    /// ```
    pub struct InvalidJson {
        code: "BP001",
        name: "invalid-json",
        severity: Error,
        kind: File,
        summary: "the file is not valid JSON",
    }
}

/// The finding for a syntax error, pointing at the offending byte.
pub fn syntax_error(src_len: usize, err: &ParseError) -> Finding {
    let end = (err.offset + 1).min(src_len).max(err.offset);
    let help = match err.kind {
        ParseErrorKind::ExpectedValue | ParseErrorKind::ExpectedKey => {
            Some("template placeholders such as `{{id}}` must be replaced by real values or quoted")
        }
        ParseErrorKind::TrailingComma => Some("JSON does not allow a comma before `}` or `]`"),
        ParseErrorKind::TooDeep => {
            Some("no real blueprint nests this deep; the file is likely corrupt or hostile")
        }
        _ => None,
    };
    let f = Finding::new(
        &InvalidJson::META,
        Span::new(err.offset, end),
        format!("invalid JSON: {}", err.message()),
    )
    .label(err.label());
    match help {
        Some(h) => f.help(h),
        None => f,
    }
}

/// The finding for bytes that are not UTF-8.
pub fn invalid_utf8(offset: usize, src_len: usize) -> Finding {
    Finding::new(
        &InvalidJson::META,
        Span::new(offset, (offset + 1).min(src_len)),
        format!("invalid JSON: the file is not UTF-8 (bad byte at offset {offset})"),
    )
    .help("JSON must be UTF-8; re-export the blueprint or convert the file's encoding")
}

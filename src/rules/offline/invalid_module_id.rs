use crate::declare_rule;
use crate::finding::Finding;
use crate::model::{Module, truncate};
use crate::rules::{Context, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a module without an `id`, or whose `id` is not a positive integer (or is one
    /// too large: module ids are at most 9223372036854775807).
    ///
    /// ## Why is this bad?
    /// Mappings (`{{5.text}}`), filters and error handlers name modules by id; Make refuses
    /// modules without one.
    ///
    /// ## Example
    /// ```json
    /// { "id": "5", "module": "slack:CreateMessage" }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// { "id": 5, "module": "slack:CreateMessage" }
    /// ```
    pub struct InvalidModuleId {
        code: "BP005",
        name: "invalid-module-id",
        severity: Error,
        kind: Offline,
        summary: "a module has no id, or its id is not a positive integer",
    }
}

impl Rule for InvalidModuleId {
    fn check_module(&self, cx: &Context<'_>, m: &Module, out: &mut Vec<Finding>) {
        let (span, message) = match (m.id, m.id_span) {
            (Some(id), _) if id > 0 => return,
            (None, Some(span)) if is_digits(&cx.doc.source()[span.range()]) => (
                span,
                format!(
                    "module `id` {} is out of range: module ids are at most {}",
                    truncate(&cx.doc.source()[span.range()], 40),
                    i64::MAX
                ),
            ),
            (_, Some(span)) => (span, "module `id` must be a positive integer".to_string()),
            (_, None) => (m.anchor(), "this module has no `id`".to_string()),
        };
        out.push(
            Finding::new(&Self::META, span, message)
                .label("module id")
                .module(m),
        );
    }
}

/// A JSON number with only digits that `as_i64` refused is positive and too large.
fn is_digits(raw: &str) -> bool {
    !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn fires_on_missing_and_invalid_ids() {
        let src = blueprint(
            r#"{"id":"5","module":"a:b"},{"module":"c:d"},{"id":0,"module":"e:f"},{"id":1.5,"module":"g:h"}"#,
        );
        assert_eq!(
            fired_at(&super::InvalidModuleId, &src),
            ["\"5\"", "\"c:d\"", "0", "1.5"]
        );
    }

    #[test]
    fn ids_too_large_are_out_of_range_not_non_positive() {
        let src = blueprint(
            r#"{"id":99999999999999999999,"module":"a:b"},{"id":-99999999999999999999,"module":"c:d"},{"id":9223372036854775807,"module":"e:f"}"#,
        );
        assert_eq!(
            lines(&super::InvalidModuleId, &src),
            [
                "99999999999999999999: module `id` 99999999999999999999 is out of range: module ids are at most 9223372036854775807",
                "-99999999999999999999: module `id` must be a positive integer",
            ]
        );
    }

    #[test]
    fn quiet_on_positive_integers() {
        let src = blueprint(r#"{"id":1,"module":"a:b"}"#);
        assert!(run(&super::InvalidModuleId, &src).is_empty());
    }
}

use std::borrow::Cow;

use crate::declare_rule;
use crate::finding::Finding;
use crate::json::Value;
use crate::model::Module;
use crate::model::leaves::for_each_string;
use crate::rules::{Context, Rule};

declare_rule! {
    /// ## What it does
    /// Reports strings in a module's `mapper`, `parameters`, filter conditions or If-Else
    /// branch conditions whose IML expressions are malformed: a `{{` that opens inside another
    /// expression (`{{{{33.`0`}}}}`), or one that is never closed (`Hello {{1.name`).
    ///
    /// Stray `}}` are not reported: JSON written as text ends objects with them.
    ///
    /// ## Why is this bad?
    /// Make's expressions do not nest: such a string is not evaluated as the author meant,
    /// and the module sends (or a filter compares) braces and text instead of the value.
    /// Doubled braces usually come from pasting a mapped value into a field that already
    /// held `{{ }}`.
    ///
    /// ## Example
    /// ```json
    /// { "mapper": { "text": "{{{{33.`0`}}}}" } }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// { "mapper": { "text": "{{33.`0`}}" } }
    /// ```
    pub struct MalformedExpression {
        code: "BP019",
        name: "malformed-expression",
        severity: Warning,
        kind: Offline,
        summary: "an IML expression is malformed (nested or unclosed `{{`)",
    }
}

/// Where `b` first holds `{{`: one substring search with a searcher built once (the section
/// texts, every string in them, and the expression check all ask).
fn find_open(b: &[u8]) -> Option<usize> {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"{{"));
    FINDER.find(b)
}

/// Whether `b` holds an escaped brace, `\u007b` or `\u007d` in either case (JSON spells the
/// `u` in lower case): one substring search, not a look at every escape of a prompt.
fn escaped_brace(b: &[u8]) -> bool {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\\u007"));
    FINDER.find_iter(b).any(|i| {
        b.get(i + 5)
            .is_some_and(|&c| matches!(c | 0x20, b'b' | b'd'))
    })
}

/// What is wrong with the expressions of `text`, if anything.
fn malformed(text: &str) -> Option<&'static str> {
    let b = text.as_bytes();
    let first = find_open(b)?;
    let mut open = false;
    let mut i = first;
    while i + 1 < b.len() {
        match (b[i], b[i + 1], open) {
            (b'{', b'{', true) => return Some("`{{` opens inside another expression"),
            (b'{', b'{', false) => {
                open = true;
                i += 2;
            }
            (b'}', b'}', true) => {
                open = false;
                i += 2;
            }
            _ => i += 1,
        }
        // Only braces change the state: the next one is found by a vectorised search, not
        // byte by byte through a long prompt.
        match memchr::memchr2(b'{', b'}', &b[i..]) {
            Some(k) => i += k,
            None => break,
        }
    }
    open.then_some("an expression opened with `{{` is never closed")
}

/// The parts of a module whose strings are expressions: (pointer suffix, value).
fn sections<'d>(obj: Value<'d>) -> Vec<(Cow<'static, str>, Value<'d>)> {
    let mut out: Vec<(Cow<'static, str>, Value<'d>)> =
        [("mapper", "/mapper"), ("parameters", "/parameters")]
            .into_iter()
            .filter_map(|(s, at)| obj.get(s).map(|v| (Cow::Borrowed(at), v)))
            .collect();
    out.extend(crate::rules::offline::filter_operand_literal::condition_lists(obj));
    out
}

impl Rule for MalformedExpression {
    fn check_module(&self, cx: &Context<'_>, m: &Module, out: &mut Vec<Finding>) {
        for (at, root) in sections(cx.doc.value(m.node)) {
            // `{{` cannot be JSON structure, so a section whose text holds none (and no
            // escaped brace) has no expression to look at: one search instead of a walk.
            let text = root.raw().as_bytes();
            if find_open(text).is_none() && !escaped_brace(text) {
                continue;
            }
            for_each_string(root, &mut |leaf| {
                let raw = leaf.value.raw();
                if find_open(raw.as_bytes()).is_none() {
                    return;
                }
                // An escape decodes to one character, a brace only when it is `\u007b` or
                // `\u007d`: otherwise the raw text has the same expressions as the decoded
                // one, and decoding every prompt and body full of `\n` would cost more than
                // the rule.
                let inner = &raw[1..raw.len() - 1];
                let text = if escaped_brace(inner.as_bytes()) {
                    leaf.value.as_str().unwrap_or_default()
                } else {
                    std::borrow::Cow::Borrowed(inner)
                };
                let Some(problem) = malformed(&text) else {
                    return;
                };
                let key = leaf.key_text();
                let place = if key.is_empty() {
                    at.trim_start_matches('/').to_string()
                } else {
                    format!("field `{}`", crate::model::truncate(&key, 40))
                };
                out.push(
                    Finding::new(
                        &Self::META,
                        leaf.value.span(),
                        format!("{place} of {} has a malformed expression: {problem}", m.display_name()),
                    )
                    .label("malformed expression")
                    .help("write each expression once, as {{...}}; map the value again in Make if unsure")
                    .pointer(format!("{}{at}{}", m.pointer, leaf.pointer()))
                    .module(m),
                );
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::malformed;
    use crate::rules::testing::*;

    /// The state machine stepped byte by byte, as it was before braces were searched for.
    fn malformed_bytewise(text: &str) -> Option<&'static str> {
        let b = text.as_bytes();
        let mut i = memchr::memmem::find(b, b"{{")?;
        let mut open = false;
        while i + 1 < b.len() {
            match (b[i], b[i + 1], open) {
                (b'{', b'{', true) => return Some("`{{` opens inside another expression"),
                (b'{', b'{', false) => {
                    open = true;
                    i += 2;
                }
                (b'}', b'}', true) => {
                    open = false;
                    i += 2;
                }
                _ => i += 1,
            }
        }
        open.then_some("an expression opened with `{{` is never closed")
    }

    #[test]
    fn brace_search_agrees_with_the_bytewise_machine() {
        let mut rng = fastrand::Rng::with_seed(7);
        let alphabet = ['{', '}', 'a', ' ', 'é'];
        for _ in 0..20_000 {
            let len = rng.usize(0..24);
            let text: String = (0..len).map(|_| alphabet[rng.usize(0..5)]).collect();
            assert_eq!(malformed(&text), malformed_bytewise(&text), "{text:?}");
        }
    }

    #[test]
    fn finds_nested_and_unclosed_expressions() {
        assert_eq!(
            malformed("{{{{33.`0`}}}}"),
            Some("`{{` opens inside another expression")
        );
        assert_eq!(
            malformed("Hello {{1.name"),
            Some("an expression opened with `{{` is never closed")
        );
        for ok in [
            "{{1.a}}",
            "{\"a\": {\"b\": \"{{1.b}}\"}}",
            "{{{1.b}}}",
            "{{#each x}}{{name}}{{/each}}",
            "no braces",
            "}} stray",
        ] {
            assert_eq!(malformed(ok), None, "{ok}");
        }
    }

    #[test]
    fn escaped_strings_are_read_as_decoded() {
        let src = blueprint(
            r#"{"id":2,"module":"slack:CreateMessage","mapper":{"a":"line\n{{1.a\t","b":"{{1.a}}\n\"{{2.b}}\"","c":"\u00e9 {{1.x {\u007b2.y}}"}}"#,
        );
        let f = run(&super::MalformedExpression, &src);
        assert_eq!(
            snippets(&src, &f),
            ["\"line\\n{{1.a\\t\"", "\"\\u00e9 {{1.x {\\u007b2.y}}\""]
        );
    }

    #[test]
    fn reports_mapper_and_filter_strings() {
        let src = blueprint(
            r#"{"id":2,"module":"slack:CreateMessage","mapper":{"text":"{{{{33.`0`}}}}","ok":"{{33.a}}"},"filter":{"name":"f","conditions":[[{"a":"{{1.a","o":"exist"}]]}}"#,
        );
        let f = run(&super::MalformedExpression, &src);
        assert_eq!(snippets(&src, &f), ["\"{{{{33.`0`}}}}\"", "\"{{1.a\""]);
        assert_eq!(
            f[0].message,
            "field `text` of module 2 (slack:CreateMessage) has a malformed expression: `{{` opens inside another expression"
        );
        assert_eq!(
            f[1].pointer.as_deref(),
            Some("/flow/0/filter/conditions/0/0/a")
        );
    }
}

use crate::declare_rule;
use crate::finding::Finding;
use crate::model::truncate;
use crate::rules::{Context, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a key written twice in one JSON object, anywhere in the file, and points at
    /// both occurrences.
    ///
    /// ## Why is this bad?
    /// JSON leaves duplicate keys undefined. Make reads blueprints with JavaScript's
    /// `JSON.parse`, which keeps the *last* one; many other tools keep the first. A second
    /// `parameters`, `mapper` or `module` can therefore hide a connection, a module or a
    /// secret from a reviewer or a tool that reads the first. bplint checks what Make runs
    /// (the last occurrence), and this rule says that the file can be read two ways.
    ///
    /// ## Example
    /// ```json
    /// { "id": 2, "module": "http:ActionSendData",
    ///   "parameters": { "__IMTCONN__": 1001 },
    ///   "parameters": { "__IMTCONN__": 6666 } }
    /// ```
    ///
    /// ## Use instead
    /// Keep one member per key:
    /// ```json
    /// { "id": 2, "module": "http:ActionSendData", "parameters": { "__IMTCONN__": 1001 } }
    /// ```
    pub struct DuplicateKey {
        code: "BP016",
        name: "duplicate-key",
        severity: Warning,
        kind: Offline,
        summary: "a key is written twice in one object; Make keeps the last",
    }
}

impl Rule for DuplicateKey {
    fn check_scenario(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (earlier, later) in cx.doc.duplicate_keys() {
            let key = later.as_str().unwrap_or_default();
            out.push(
                Finding::new(
                    &Self::META,
                    later.span(),
                    format!(
                        "key `{}` is written twice in one object; Make keeps this one",
                        truncate(&key, 60)
                    ),
                )
                .label("Make keeps this one")
                .related(earlier.span(), "ignored by Make: the first occurrence")
                .help("remove one of the two members; tools that keep the first one read another scenario than Make runs"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn fires_on_each_repeat_with_both_spans() {
        let src = blueprint(
            r#"{"id":1,"module":"a:b","parameters":{"__IMTCONN__":1},"parameters":{"__IMTCONN__":2}}"#,
        );
        let f = run(&super::DuplicateKey, &src);
        assert_eq!(f.len(), 1);
        let first = src.find("\"parameters\"").unwrap();
        let second = src.rfind("\"parameters\"").unwrap();
        assert_eq!(f[0].span.start as usize, second);
        assert_eq!(f[0].related[0].0.start as usize, first);
        assert!(f[0].message.contains("`parameters`"), "{}", f[0].message);
    }

    #[test]
    fn escaped_keys_are_the_same_key() {
        let src = blueprint(r#"{"id":1,"module":"a:b","mo\u0064ule":"c:d"}"#);
        assert_eq!(run(&super::DuplicateKey, &src).len(), 1);
    }

    #[test]
    fn quiet_without_repeats() {
        let src = blueprint(r#"{"id":1,"module":"a:b","parameters":{"x":1,"y":{"x":2}}}"#);
        assert!(run(&super::DuplicateKey, &src).is_empty());
    }
}

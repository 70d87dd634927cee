use crate::declare_rule;
use crate::finding::Finding;
use crate::model::Module;
use crate::rules::{Context, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a module whose `module` is missing, not a string, or not of the form
    /// `app:Action` (custom apps: `app#name-suffix:action`).
    ///
    /// ## Why is this bad?
    /// Make resolves the app and the action from this string; a malformed one fails the import,
    /// and bplint cannot tell which connection types or scopes the module needs.
    ///
    /// ## Example
    /// ```json
    /// { "id": 1, "module": "slack CreateMessage" }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// { "id": 1, "module": "slack:CreateMessage" }
    /// ```
    pub struct InvalidModuleName {
        code: "BP004",
        name: "invalid-module-name",
        severity: Error,
        kind: Offline,
        summary: "a module's `module` is missing or not `app:Action`",
    }
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// `app:Action` or `app#custom-name:action`.
pub fn is_valid_module_name(name: &str) -> bool {
    let Some((app, action)) = name.split_once(':') else {
        return false;
    };
    let (base, custom) = match app.split_once('#') {
        Some((b, c)) => (b, Some(c)),
        None => (app, None),
    };
    is_ident(base) && custom.is_none_or(is_ident) && is_ident(action)
}

impl Rule for InvalidModuleName {
    fn check_module(&self, _cx: &Context<'_>, m: &Module, out: &mut Vec<Finding>) {
        let message = match (&m.name, m.name_span) {
            (Some(name), _) if is_valid_module_name(name) => return,
            (Some(name), _) => format!(
                "`{}` is not a valid module name (expected `app:Action`)",
                crate::model::truncate(name, 60)
            ),
            (None, Some(_)) => "`module` must be a string such as `slack:CreateMessage`".into(),
            (None, None) => "this module has no `module` key".into(),
        };
        out.push(
            Finding::new(&Self::META, m.anchor(), message)
                .label("module name")
                .module(m),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn accepts_builtin_app_and_custom_names() {
        for ok in [
            "slack:CreateMessage",
            "app#my-app-x1:doIt",
            "util:SetVariable2",
            "ai-local-agent:RunLocalAIAgent",
        ] {
            assert!(super::is_valid_module_name(ok), "{ok}");
        }
        let src = blueprint(r#"{"id":1,"module":"slack:CreateMessage"}"#);
        assert!(run(&super::InvalidModuleName, &src).is_empty());
    }

    #[test]
    fn fires_on_bad_missing_and_non_string_names() {
        let src = blueprint(
            r#"{"id":1,"module":"slack CreateMessage"},{"id":2,"module":7},{"id":3},{"id":4,"module":":x"}"#,
        );
        let f = run(&super::InvalidModuleName, &src);
        assert_eq!(
            snippets(&src, &f),
            ["\"slack CreateMessage\"", "7", "3", "\":x\""]
        );
    }
}

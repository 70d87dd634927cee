use crate::declare_rule;
use crate::finding::Finding;
use crate::model::RefValue;
use crate::rules::{Context, RefSite, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a connection (or webhook, keychain, data store, data structure, sub-scenario)
    /// parameter holding a string that can never be an id: sanitized exports' `<CONN_02>`,
    /// `<DATASTRUCT_01>`, `CONNECTION_PLACEHOLDER`, template slots such as
    /// `{{YOUR_POSTGRES_CONNECTION}}`.
    ///
    /// ## Why is this bad?
    /// The blueprint is a template, not a deployable scenario: every module with a placeholder
    /// fails until someone picks a real connection by hand.
    ///
    /// ## Example
    /// ```json
    /// { "id": 4, "module": "google-sheets:addRow", "parameters": { "__IMTCONN__": "<CONN_02>" } }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// { "id": 4, "module": "google-sheets:addRow", "parameters": { "__IMTCONN__": 4417021 } }
    /// ```
    /// Or remap placeholders to real ids per environment with `bplint remap`.
    pub struct ConnectionPlaceholder {
        code: "BP011",
        name: "connection-placeholder",
        severity: Warning,
        kind: Offline,
        summary: "a connection parameter holds a placeholder, not an id",
    }
}

impl Rule for ConnectionPlaceholder {
    fn check_reference(&self, _cx: &Context<'_>, at: &RefSite<'_>, out: &mut Vec<Finding>) {
        let RefValue::Placeholder { text } = &at.reference.value else {
            return;
        };
        out.push(
            at.finding(
                &Self::META,
                format!(
                    "{} holds the placeholder `{text}`, not an id",
                    at.parameter()
                ),
            )
            .label("placeholder")
            .help(format!(
                "replace it with the id of a real {} before deploying",
                at.reference.kind.name()
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn fires_on_placeholders() {
        let src = blueprint(
            r#"{"id":1,"module":"a:b","parameters":{"__IMTCONN__":"<CONN_02>"}},{"id":2,"module":"a:b","parameters":{"account":"{{YOUR_X}}"}},{"id":3,"module":"a:b","parameters":{"hook":"CONNECTION_PLACEHOLDER"}}"#,
        );
        let f = run(&super::ConnectionPlaceholder, &src);
        assert_eq!(
            snippets(&src, &f),
            [
                "\"<CONN_02>\"",
                "\"{{YOUR_X}}\"",
                "\"CONNECTION_PLACEHOLDER\""
            ]
        );
    }

    #[test]
    fn quiet_on_ids_and_expressions() {
        let src = blueprint(
            r#"{"id":1,"module":"a:b","parameters":{"__IMTCONN__":12,"x":"<CONN>"}},{"id":2,"module":"a:b","parameters":{"account":"{{var.input.A}}"}}"#,
        );
        assert!(run(&super::ConnectionPlaceholder, &src).is_empty());
    }
}

use crate::declare_rule;
use crate::finding::Finding;
use crate::rules::{Context, Rule};

declare_rule! {
    /// ## What it does
    /// Reports blueprint structure that is not what Make writes: a flow item that is not a
    /// module object, a route `flow` or `onerror` that is not an array.
    ///
    /// ## Why is this bad?
    /// Make cannot import such a scenario, and modules hidden in the malformed part are not
    /// checked by any other rule.
    ///
    /// ## Example
    /// ```json
    /// { "flow": [ { "id": 1, "module": "builtin:BasicRouter", "routes": [ { "flow": {} } ] } ] }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// { "flow": [ { "id": 1, "module": "builtin:BasicRouter", "routes": [ { "flow": [] } ] } ] }
    /// ```
    pub struct MalformedStructure {
        code: "BP006",
        name: "malformed-structure",
        severity: Error,
        kind: Offline,
        summary: "a flow, route or module is not shaped as Make writes it",
    }
}

impl Rule for MalformedStructure {
    fn check_scenario(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for issue in &cx.scenario.structure_issues {
            out.push(
                Finding::new(&Self::META, issue.span, issue.message.clone())
                    .pointer(issue.pointer.clone()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn fires_on_non_array_flows_and_non_object_modules() {
        let src =
            blueprint(r#"{"id":1,"module":"builtin:BasicRouter","routes":[{"flow":{}}]},"text""#);
        assert_eq!(
            fired_at(&super::MalformedStructure, &src),
            ["{}", "\"text\""]
        );
    }

    #[test]
    fn quiet_on_well_formed() {
        let src = blueprint(r#"{"id":1,"module":"builtin:BasicRouter","routes":[{"flow":[]}]}"#);
        assert!(run(&super::MalformedStructure, &src).is_empty());
    }
}

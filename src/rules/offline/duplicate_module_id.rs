use std::collections::HashMap;

use crate::declare_rule;
use crate::finding::Finding;
use crate::rules::{Context, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a module id used by more than one module anywhere in the scenario: main flow,
    /// routes, error handlers, branches, agent tools and orphans share one id space.
    ///
    /// ## Why is this bad?
    /// Mappings such as `{{3.id}}` name modules by id. With two modules 3, mappings resolve to
    /// the wrong one and Make's editor rejects or rewrites the import.
    ///
    /// ## Example
    /// ```json
    /// { "flow": [ { "id": 3, "module": "slack:CreateMessage" },
    ///             { "id": 3, "module": "google-sheets:addRow" } ] }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// { "flow": [ { "id": 3, "module": "slack:CreateMessage" },
    ///             { "id": 4, "module": "google-sheets:addRow" } ] }
    /// ```
    pub struct DuplicateModuleId {
        code: "BP003",
        name: "duplicate-module-id",
        severity: Error,
        kind: Offline,
        summary: "two modules share one id",
    }
}

impl Rule for DuplicateModuleId {
    fn check_scenario(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let mut first: HashMap<i64, usize> = HashMap::new();
        for m in &cx.scenario.modules {
            let (Some(id), Some(span)) = (m.id, m.id_span) else {
                continue;
            };
            match first.get(&id) {
                None => {
                    first.insert(id, m.index);
                }
                Some(&earlier) => {
                    let earlier = &cx.scenario.modules[earlier];
                    out.push(
                        Finding::new(&Self::META, span, format!("module id {id} is already used at {}", earlier.pointer))
                            .label("duplicate id")
                            .help("give every module a unique id; mappings like `{{N.field}}` name modules by id")
                            .module(m),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn fires_on_duplicates_across_nesting() {
        let src = blueprint(
            r#"{"id":1,"module":"a:b"},{"id":2,"module":"builtin:BasicRouter","routes":[{"flow":[{"id":1,"module":"c:d"}]}]}"#,
        );
        let f = run(&super::DuplicateModuleId, &src);
        assert_eq!(snippets(&src, &f), ["1"]);
        assert_eq!(f[0].pointer.as_deref(), Some("/flow/1/routes/0/flow/0"));
    }

    #[test]
    fn quiet_on_unique_ids() {
        let src = blueprint(
            r#"{"id":1,"module":"a:b"},{"id":2,"module":"a:b","onerror":[{"id":3,"module":"builtin:Ignore"}]}"#,
        );
        assert!(run(&super::DuplicateModuleId, &src).is_empty());
    }
}

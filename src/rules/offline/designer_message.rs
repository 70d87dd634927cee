use crate::declare_rule;
use crate::finding::Finding;
use crate::rules::{Context, Rule};

declare_rule! {
    /// ## What it does
    /// Surfaces the warnings Make's editor wrote into the export
    /// (`metadata.designer.messages` of a module), such as "A transformer should not be the
    /// last module in the route."
    ///
    /// ## Why is this bad?
    /// Make saw something off when the scenario was last saved; the message is easy to miss in
    /// the editor and invisible in a code review.
    ///
    /// ## Example
    /// ```json
    /// { "metadata": { "designer": { "messages": [ { "category": "last", "severity": "warning",
    ///   "message": "A transformer should not be the last module in the route." } ] } } }
    /// ```
    ///
    /// ## Use instead
    /// Fix the scenario in Make and export it again.
    pub struct DesignerWarning {
        code: "BP040",
        name: "editor-warning",
        severity: Info,
        kind: Offline,
        summary: "Make's editor left a warning in the export",
    }
}

impl Rule for DesignerWarning {
    fn check_scenario(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for msg in &cx.scenario.designer_messages {
            let module = &cx.scenario.modules[msg.module];
            let category = if msg.category.is_empty() {
                String::new()
            } else {
                format!(" ({})", msg.category)
            };
            out.push(
                Finding::new(
                    &Self::META,
                    msg.span,
                    format!(
                        "Make's editor says{category}: {}",
                        crate::model::truncate(&msg.message, 200)
                    ),
                )
                .label("editor message")
                .module(module),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn surfaces_editor_messages() {
        let src = blueprint(
            r#"{"id":2,"module":"json:ParseJSON","metadata":{"designer":{"messages":[{"category":"last","severity":"warning","message":"A transformer should not be the last module in the route."}]}}}"#,
        );
        let f = run(&super::DesignerWarning, &src);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("transformer"));
    }

    #[test]
    fn quiet_without_messages() {
        let src =
            blueprint(r#"{"id":2,"module":"json:ParseJSON","metadata":{"designer":{"x":1}}}"#);
        assert!(run(&super::DesignerWarning, &src).is_empty());
    }
}

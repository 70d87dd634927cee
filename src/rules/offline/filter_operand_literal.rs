use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::declare_rule;
use crate::finding::Finding;
use crate::json::Value;
use crate::rules::{Context, Rule};

declare_rule! {
    /// ## What it does
    /// Reports filter conditions (a module's `filter`, an If-Else branch's `conditions`) whose
    /// operand is a module output path written without `{{ }}`, such as
    /// `"a": "1.workflow_run.status"`, where `1` is a module of the scenario.
    ///
    /// ## Why is this bad?
    /// Without the braces the operand is text: the condition compares the words
    /// `1.workflow_run.status` with the other operand, never the value module 1 produced, so
    /// an `equal` condition never matches (and a `notequal` always does).
    ///
    /// ## Example
    /// ```json
    /// "filter": { "name": "Succeeded", "conditions": [ [ { "a": "1.workflow_run.status", "o": "text:equal", "b": "success" } ] ] }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// "filter": { "name": "Succeeded", "conditions": [ [ { "a": "{{1.workflow_run.status}}", "o": "text:equal", "b": "success" } ] ] }
    /// ```
    pub struct FilterOperandLiteral {
        code: "BP018",
        name: "filter-operand-literal",
        severity: Warning,
        kind: Offline,
        summary: "a filter compares the text of a module path instead of its value",
    }
}

/// `1.field`, `12.a.b`, ``33.`0` ``: a module id, then names (two characters at least, so
/// `3.x` and `1.5` stay numbers and versions) or back-quoted names.
static MODULE_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(\d+)\.(?:[A-Za-z_][A-Za-z0-9_]+|`[^`]+`)(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|`[^`]+`|\d+))*$",
    )
    .expect("path pattern compiles")
});

/// The `conditions` values a module holds: its filter's and its If-Else branches'.
pub(crate) fn condition_lists<'d>(obj: Value<'d>) -> Vec<(Cow<'static, str>, Value<'d>)> {
    let mut out = Vec::new();
    if let Some(c) = obj.get("filter").and_then(|f| f.get("conditions")) {
        out.push((Cow::Borrowed("/filter/conditions"), c));
    }
    for (i, branch) in crate::model::elements_at(obj, "branches").enumerate() {
        if let Some(c) = branch.get("conditions") {
            out.push((Cow::Owned(format!("/branches/{i}/conditions")), c));
        }
    }
    out
}

impl Rule for FilterOperandLiteral {
    fn check_scenario(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let mut ids: Option<HashSet<i64>> = None;
        for m in &cx.scenario.modules {
            for (at, list) in condition_lists(cx.doc.value(m.node)) {
                for (g, group) in list.elements().enumerate() {
                    for (c, cond) in group.elements().enumerate() {
                        for operand in ["a", "b"] {
                            let Some(v) = cond.get(operand) else { continue };
                            let Some(text) = v.as_str() else { continue };
                            let text = text.trim();
                            let Some(caps) = MODULE_PATH.captures(text) else {
                                continue;
                            };
                            // Only a path into a module the scenario has: anything else may
                            // be meant as text.
                            let ids = ids.get_or_insert_with(|| {
                                cx.scenario.modules.iter().filter_map(|m| m.id).collect()
                            });
                            if !caps[1].parse().is_ok_and(|id: i64| ids.contains(&id)) {
                                continue;
                            }
                            let path = crate::model::truncate(text, 60);
                            let op = match cond.get_str("o") {
                                Some(o) if !o.is_empty() => {
                                    format!(" of `{}`", crate::model::truncate(&o, 40))
                                }
                                _ => String::new(),
                            };
                            out.push(
                                Finding::new(
                                    &Self::META,
                                    v.span(),
                                    format!(
                                        "a condition on {} compares the text `{path}` (operand `{operand}`{op}), not the value of that module path",
                                        m.display_name()
                                    ),
                                )
                                .label("text, not a value")
                                .help(format!("write `{{{{{path}}}}}` to compare the value"))
                                .pointer(format!("{}{at}/{g}/{c}/{operand}", m.pointer))
                                .module(m),
                            );
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn fires_on_paths_without_braces() {
        let src = blueprint(
            r#"{"id":1,"module":"github:watchWorkflowRuns"},{"id":2,"module":"slack:CreateMessage","filter":{"name":"ok","conditions":[[{"a":"1.workflow_run.status","o":"text:equal","b":"success"}]]}},{"id":3,"module":"builtin:BasicIfElse","branches":[{"type":"if","conditions":[[{"a":"{{1.x}}","o":"text:equal","b":"1.`conclusion`"}]],"flow":[]}]}"#,
        );
        let f = run(&super::FilterOperandLiteral, &src);
        assert_eq!(
            snippets(&src, &f),
            ["\"1.workflow_run.status\"", "\"1.`conclusion`\""]
        );
        assert_eq!(
            messages(&f)[0],
            "a condition on module 2 (slack:CreateMessage) compares the text `1.workflow_run.status` (operand `a` of `text:equal`), not the value of that module path"
        );
        assert_eq!(
            f[0].help.as_deref(),
            Some("write `{{1.workflow_run.status}}` to compare the value")
        );
        assert_eq!(
            f[1].pointer.as_deref(),
            Some("/flow/2/branches/0/conditions/0/0/b")
        );
    }

    #[test]
    fn quiet_on_iml_numbers_and_paths_to_no_module() {
        let src = blueprint(
            r#"{"id":1,"module":"a:b"},{"id":2,"module":"slack:CreateMessage","filter":{"name":"ok","conditions":[[{"a":"{{1.status}}","o":"text:equal","b":"1.5"},{"a":"{{1.v}}","o":"text:equal","b":"3.x"},{"a":"9.field","o":"text:equal","b":"x"},{"a":"{{1.a}}","o":"exist"}]]}}"#,
        );
        assert!(run(&super::FilterOperandLiteral, &src).is_empty());
    }
}

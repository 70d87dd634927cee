use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::declare_rule;
use crate::finding::Finding;
use crate::json::Value;
use crate::model::{Container, Module, elements_at};
use crate::rules::{Context, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a filter (on a module, or on the first module of a router's route) that has a
    /// label but no conditions, so every bundle passes it. Real exports store such a
    /// label-only filter as `{"name": "Approved only", "conditions": []}` (or without
    /// `conditions`, or with empty groups `[[]]`).
    ///
    /// Label-only filters that are deliberate are not reported:
    /// * on the first module of an error handler route (it runs only on error anyway);
    /// * on the first module of an If-Else branch (the editor keeps the branch's label there;
    ///   the branch's own `conditions` decide);
    /// * on the routes of a router whose routes are all label-only (a deliberate fan-out:
    ///   the labels only name the routes);
    /// * labelled as a catch-all: "Catch all", "Fallback", "Else", "Otherwise", "Default",
    ///   "Everything else";
    /// * without a label at all (`{"name": "", "conditions": []}` promises nothing).
    ///
    /// ## Why is this bad?
    /// A label promises conditions. Usually they were never filled in or got lost (a
    /// sanitized export, a copy between scenarios) while the label ("Approved only") still
    /// promises them; a route that should be taken sometimes is then taken always.
    ///
    /// It is `info` because an emptied filter is sometimes kept on purpose. For a route meant
    /// to take what the other routes do not, Make has the fallback route.
    ///
    /// ## Example
    /// ```json
    /// { "id": 12, "module": "slack:CreateMessage",
    ///   "filter": { "name": "Approved only", "conditions": [] } }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// { "id": 12, "module": "slack:CreateMessage",
    ///   "filter": { "name": "Approved only",
    ///               "conditions": [ [ { "a": "{{1.status}}", "b": "approved", "o": "text:equal" } ] ] } }
    /// ```
    /// or mark the route as the router's fallback route in Make.
    pub struct FilterWithoutConditions {
        code: "BP208",
        name: "filter-without-conditions",
        severity: Info,
        kind: Offline,
        summary: "a labelled filter has no conditions, so every bundle passes it",
    }
}

/// Labels that say the filter is meant to let everything through.
static CATCH_ALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:catch[ -]?all|fall[ -]?back|else|otherwise|default|everything|anything|always|no filter)\b")
        .expect("label pattern compiles")
});

/// Whether `filter` lets every bundle through: no conditions, `[]`, or only empty groups.
fn passes_everything(filter: Value<'_>) -> bool {
    if !filter.is_object() {
        return false;
    }
    match filter.get("conditions") {
        None => true,
        Some(c) if c.is_null() => true,
        Some(c) => {
            c.is_array()
                && c.elements()
                    .all(|g| g.is_array() && g.elements().next().is_none())
        }
    }
}

/// Whether every route of `router` starts without a real filter: a fan-out whose labels only
/// name the routes.
fn all_routes_label_only(router: Value<'_>) -> bool {
    elements_at(router, "routes").all(|route| {
        let first = route.get("flow").and_then(|f| f.elements().next());
        match first.and_then(|m| m.get("filter")) {
            None => true,
            Some(f) => f.is_null() || passes_everything(f),
        }
    })
}

impl Rule for FilterWithoutConditions {
    fn check_scenario(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        // Whether each router's routes are all label-only, asked once per router: a router
        // with thousands of label-only routes must not be rescanned for each of them.
        let mut fan_out: HashMap<usize, bool> = HashMap::new();
        for m in &cx.scenario.modules {
            check(cx, m, &mut fan_out, out);
        }
    }
}

fn check(cx: &Context<'_>, m: &Module, fan_out: &mut HashMap<usize, bool>, out: &mut Vec<Finding>) {
    if m.orphan || m.disabled {
        return;
    }
    let Some(filter) = cx.doc.value(m.node).get("filter") else {
        return;
    };
    if !passes_everything(filter) {
        return;
    }
    let Some(name) = filter
        .get("name")
        .filter(|n| n.as_str().is_some_and(|t| !t.trim().is_empty()))
    else {
        return;
    };
    let label = name.as_str().unwrap_or_default();
    // The first module of an error handler runs only on error anyway; on the first
    // module of an If-Else branch the editor keeps the branch's label as a filter it
    // never applies (the branch's own `conditions` decide).
    if m.position == 0 && matches!(m.container, Container::OnError | Container::Branch { .. }) {
        return;
    }
    let first_of_route = m.position == 0 && matches!(m.container, Container::Route { .. });
    if let (true, Some(router)) = (first_of_route, m.parent) {
        let deliberate = *fan_out.entry(router).or_insert_with(|| {
            all_routes_label_only(cx.doc.value(cx.scenario.modules[router].node))
        });
        if deliberate {
            return;
        }
    }
    if CATCH_ALL.is_match(&label) {
        return;
    }
    let help = if first_of_route {
        "add the conditions the label describes; if this route should take the bundles no other route takes, make it the router's fallback route instead"
    } else {
        "add the conditions the label describes, or remove the filter"
    };
    out.push(
        Finding::new(
            &FilterWithoutConditions::META,
            name.span(),
            format!(
                "the filter \"{}\" on {} has no conditions: every bundle passes",
                crate::model::truncate(label.trim(), 60),
                m.display_name()
            ),
        )
        .label("a label without conditions")
        .help(help)
        .pointer(format!("{}/filter", m.pointer))
        .module(m),
    );
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    fn f(name: &str, conditions: &str) -> String {
        format!(r#""filter":{{"name":"{name}"{conditions}}}"#)
    }

    #[test]
    fn fires_on_a_label_that_promises_conditions() {
        let real = r#""filter":{"name":"Paid","conditions":[[{"a":"{{1.s}}","o":"text:equal","b":"paid"}]]}"#;
        let src = blueprint(&format!(
            r#"{{"id":1,"module":"builtin:BasicRouter","routes":[{{"flow":[{{"id":2,"module":"a:b",{real}}}]}},{{"flow":[{{"id":3,"module":"a:b",{}}}]}}]}},{{"id":4,"module":"a:b",{}}},{{"id":5,"module":"a:b",{}}}"#,
            f("Approved only", r#","conditions":[]"#),
            f("Has email", ""),
            f("Big orders", r#","conditions":[[]]"#),
        ));
        let found = run(&super::FilterWithoutConditions, &src);
        assert_eq!(
            snippets(&src, &found),
            ["\"Approved only\"", "\"Has email\"", "\"Big orders\""]
        );
        assert_eq!(
            found[0].message,
            "the filter \"Approved only\" on module 3 (a:b) has no conditions: every bundle passes"
        );
        assert!(found[0].help.as_deref().unwrap().contains("fallback route"));
        assert!(!found[1].help.as_deref().unwrap().contains("fallback"));
    }

    #[test]
    fn quiet_on_deliberate_label_only_filters() {
        let src = blueprint(&format!(
            r#"{{"id":1,"module":"builtin:BasicRouter","routes":[{{"flow":[{{"id":2,"module":"a:b",{}}}]}},{{"flow":[{{"id":3,"module":"a:b",{}}}]}}]}},{{"id":4,"module":"http:ActionSendData","onerror":[{{"id":5,"module":"slack:CreateMessage",{}}}]}},{{"id":10,"module":"builtin:BasicIfElse","branches":[{{"type":"else","flow":[{{"id":11,"module":"a:b","filter":{{"name":"Manual review"}}}}]}}]}},{{"id":6,"module":"a:b",{}}},{{"id":7,"module":"a:b",{}}},{{"id":8,"module":"a:b",{}}},{{"id":9,"module":"a:b","filter":null}}"#,
            f("Log", r#","conditions":[]"#),
            f("Notify", ""),
            f("Alert the team", r#","conditions":[]"#),
            f("Catch all", r#","conditions":[]"#),
            f("Else", ""),
            f("", r#","conditions":[]"#),
        ));
        let found = run(&super::FilterWithoutConditions, &src);
        assert!(
            found.is_empty(),
            "{:?}",
            found.iter().map(|f| &f.message).collect::<Vec<_>>()
        );
    }
}

use crate::declare_rule;
use crate::finding::Finding;
use crate::rules::{Context, Rule};

declare_rule! {
    /// ## What it does
    /// Says once per scenario that router routes are disabled (`"disabled": true` on a route),
    /// how many, and how many modules they hold.
    ///
    /// ## Why is this bad?
    /// The modules of a disabled route never run, and bplint's checks of how the scenario
    /// runs (error handlers, filters, unconfigured modules) leave them out: without this note
    /// nothing says that part of the scenario was not looked at. A route switched off while
    /// debugging is also easy to forget.
    ///
    /// ## Example
    /// ```json
    /// { "id": 1, "module": "builtin:BasicRouter",
    ///   "routes": [ { "flow": [ ... ] }, { "disabled": true, "flow": [ ... ] } ] }
    /// ```
    ///
    /// ## Use instead
    /// Delete routes that are no longer needed, or enable them again.
    pub struct RouteDisabled {
        code: "BP022",
        name: "route-disabled",
        severity: Info,
        kind: Offline,
        summary: "router routes are disabled: their modules never run",
    }
}

impl Rule for RouteDisabled {
    fn check_scenario(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        // Routes disabled inside a disabled route are already off: count the outermost only.
        let mut routes = Vec::new();
        for m in cx
            .scenario
            .modules
            .iter()
            .filter(|m| !m.disabled && !m.orphan)
        {
            let obj = cx.doc.value(m.node);
            for (i, route) in crate::model::elements_at(obj, "routes").enumerate() {
                if let Some(flag) = route.get("disabled").filter(|d| d.as_bool() == Some(true)) {
                    routes.push((m, i, flag.span()));
                }
            }
        }
        // The message names every route; the span is the first one's flag.
        let Some(&(first_router, first_route, first_span)) = routes.first() else {
            return;
        };
        let modules = cx
            .scenario
            .modules
            .iter()
            .filter(|m| m.disabled && !m.orphan)
            .count();
        let names: Vec<String> = routes
            .iter()
            .take(10)
            .map(|(m, i, _)| format!("route {} of {}", i + 1, m.display_name()))
            .collect();
        let more = if routes.len() > names.len() {
            format!(", and {} more", routes.len() - names.len())
        } else {
            String::new()
        };
        let (routes_word, verb) = if routes.len() == 1 {
            ("route is", "its")
        } else {
            ("routes are", "their")
        };
        let finding = Finding::new(
            &Self::META,
            first_span,
            format!(
                "{} {routes_word} disabled ({}{more}): {verb} {modules} module(s) never run and are left out of the checks of the scenario's flow",
                routes.len(),
                names.join(", ")
            ),
        )
        .label("disabled")
        .pointer(format!("{}/routes/{first_route}/disabled", first_router.pointer));
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn says_so_once_per_scenario() {
        let src = blueprint(
            r#"{"id":1,"module":"builtin:BasicRouter","routes":[{"flow":[{"id":2,"module":"a:b"}]},{"disabled":true,"flow":[{"id":3,"module":"a:b"},{"id":4,"module":"builtin:BasicRouter","routes":[{"disabled":true,"flow":[{"id":5,"module":"a:b"}]}]}]},{"disabled":true,"flow":[{"id":6,"module":"a:b"}]}]}"#,
        );
        assert_eq!(
            lines(&super::RouteDisabled, &src),
            [
                "true: 2 routes are disabled (route 2 of module 1 (builtin:BasicRouter), route 3 of module 1 (builtin:BasicRouter)): their 4 module(s) never run and are left out of the checks of the scenario's flow"
            ]
        );
        let f = run(&super::RouteDisabled, &src);
        assert_eq!(f[0].pointer.as_deref(), Some("/flow/0/routes/1/disabled"));
    }

    #[test]
    fn quiet_without_disabled_routes() {
        let src = blueprint(
            r#"{"id":1,"module":"builtin:BasicRouter","routes":[{"disabled":false,"flow":[{"id":2,"module":"a:b"}]}]}"#,
        );
        assert!(run(&super::RouteDisabled, &src).is_empty());
    }
}

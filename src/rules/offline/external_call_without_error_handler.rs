use crate::declare_rule;
use crate::finding::Finding;
use crate::model::Module;
use crate::rules::{Context, Rule};

declare_rule! {
    /// ## What it does
    /// Counts the modules that call an outside service (HTTP modules, and modules that use a
    /// connection: Slack, Google, Airtable...) and have no `onerror` route, and reports them
    /// once per scenario: "8 of 11 modules that call outside services have no error handler:
    /// 3, 5, 9, ...".
    ///
    /// Left out: scenarios that store incomplete executions (`metadata.scenario.dlq: true`,
    /// the scenario-wide alternative to handlers), trigger modules (`watch...`, `Trigger...`),
    /// modules inside an error handler route (they are the handling), modules inside an AI
    /// agent's tools (a failing tool's error goes back to the agent, which decides what to
    /// do), orphans and modules in disabled routes.
    ///
    /// ## Why is this bad?
    /// Outside services time out, rate-limit and go down. Without an error handler, and
    /// without incomplete executions stored, the first failure stops the run: what the
    /// earlier modules did stays done, what the later ones should have done is lost, and after
    /// a few consecutive failures Make deactivates the scenario.
    ///
    /// This rule is `info`; raise it in `bplint.toml` (`[rules] BP200 = "warning"`) if your
    /// team requires handlers.
    ///
    /// ## Example
    /// ```json
    /// { "id": 4, "module": "slack:CreateMessage", "parameters": { "__IMTCONN__": 4417021 } }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// { "id": 4, "module": "slack:CreateMessage", "parameters": { "__IMTCONN__": 4417021 },
    ///   "onerror": [ { "id": 5, "module": "builtin:Break", "parameters": { "count": 3, "interval": 15 } } ] }
    /// ```
    /// or, for the whole scenario, `"metadata": { "scenario": { "dlq": true } }`.
    pub struct ExternalCallWithoutErrorHandler {
        code: "BP200",
        name: "external-call-without-error-handler",
        severity: Info,
        kind: Offline,
        summary: "modules that call outside services have no error handler (one finding per scenario)",
    }
}

/// How many module ids the message lists before it says "and N more".
const LISTED: usize = 12;

/// Whether `m` calls a service outside Make, from the scenario's main flow. `uses_connection`
/// is indexed by module.
fn calls_outside(uses_connection: &[bool], m: &Module) -> bool {
    if m.orphan || m.disabled || m.in_error_handler || m.in_agent_tool {
        return false;
    }
    let (Some(app), Some(action)) = (m.app(), m.action()) else {
        return false;
    };
    let action = action.to_ascii_lowercase();
    // Triggers cannot carry error handlers.
    if action.starts_with("watch") || action.starts_with("trigger") {
        return false;
    }
    app == "http" || uses_connection.get(m.index).copied().unwrap_or(false)
}

impl Rule for ExternalCallWithoutErrorHandler {
    fn check_scenario(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let blueprint = cx.doc.value(cx.scenario.node);
        let dlq = blueprint
            .get("metadata")
            .and_then(|m| m.get("scenario"))
            .and_then(|s| s.get("dlq"));
        if dlq.and_then(|d| d.as_bool()) == Some(true) {
            return;
        }
        let mut uses_connection = vec![false; cx.scenario.modules.len()];
        for r in cx.scenario.connection_references() {
            if let Some(slot) = uses_connection.get_mut(r.module) {
                *slot = true;
            }
        }
        let calling: Vec<&Module> = cx
            .scenario
            .modules
            .iter()
            .filter(|m| calls_outside(&uses_connection, m))
            .collect();
        let unhandled: Vec<&Module> = calling
            .iter()
            .copied()
            .filter(|m| {
                cx.doc
                    .value(m.node)
                    .get("onerror")
                    .is_none_or(|h| h.elements().next().is_none())
            })
            .collect();
        let Some(first) = unhandled.first() else {
            return;
        };
        let mut ids: Vec<String> = unhandled
            .iter()
            .take(LISTED)
            .map(|m| m.id.map_or_else(|| "?".to_string(), |id| id.to_string()))
            .collect();
        if unhandled.len() > LISTED {
            ids.push(format!("and {} more", unhandled.len() - LISTED));
        }
        let message = match (unhandled.len(), calling.len()) {
            (_, 1) => format!(
                "the one module that calls an outside service has no error handler: {}",
                ids.join(", ")
            ),
            (1, all) => format!(
                "1 of {all} modules that call outside services has no error handler: {}",
                ids.join(", ")
            ),
            (n, all) => format!(
                "{n} of {all} modules that call outside services have no error handler: {}",
                ids.join(", ")
            ),
        };
        let mut finding = Finding::new(&Self::META, first.anchor(), message)
        .label("no error handler")
        .help("add error handler routes (Break to retry later, Resume with a fallback, Rollback or Commit), or store incomplete executions (metadata.scenario.dlq) so failed runs can be retried")
        .pointer(format!("{}/flow", cx.scenario.pointer));
        if let Some(d) = dlq {
            finding = finding.related(d.span(), "or store incomplete executions here");
        }
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    fn scenario(flow: &str, dlq: &str) -> String {
        format!(
            r#"{{"name":"t","flow":[{flow}],"metadata":{{"version":1,"scenario":{{"dlq":{dlq}}}}}}}"#
        )
    }

    const FLOW: &str = r#"{"id":1,"module":"slack:watchMessages","parameters":{"__IMTCONN__":1}},{"id":2,"module":"http:ActionSendData"},{"id":3,"module":"slack:CreateMessage","parameters":{"__IMTCONN__":1},"onerror":[{"id":4,"module":"slack:CreateMessage","parameters":{"__IMTCONN__":1}},{"id":5,"module":"builtin:Break"}]},{"id":6,"module":"ai-local-agent:RunLocalAIAgent","parameters":{"makeConnectionId":7},"onerror":[{"id":9,"module":"builtin:Ignore"}],"tools":[{"name":"t","flow":[{"id":8,"module":"discord:createMessage","parameters":{"__IMTCONN__":2}}]}]},{"id":10,"module":"google-sheets:addRow","parameters":{"__IMTCONN__":3},"onerror":[]},{"id":11,"module":"json:ParseJSON"}"#;

    #[test]
    fn one_finding_per_scenario_listing_the_modules() {
        let src = scenario(FLOW, "false");
        assert_eq!(
            lines(&super::ExternalCallWithoutErrorHandler, &src),
            [
                "\"http:ActionSendData\": 2 of 4 modules that call outside services have no error handler: 2, 10"
            ]
        );
        let f = run(&super::ExternalCallWithoutErrorHandler, &src);
        let related: Vec<&str> = f[0].related.iter().map(|(s, _)| &src[s.range()]).collect();
        assert_eq!(related, ["false"], "the message lists the others");
    }

    #[test]
    fn none_when_incomplete_executions_are_stored() {
        assert!(
            run(
                &super::ExternalCallWithoutErrorHandler,
                &scenario(FLOW, "true")
            )
            .is_empty()
        );
    }

    #[test]
    fn none_when_every_call_is_handled() {
        let flow = r#"{"id":2,"module":"http:ActionSendData","onerror":[{"id":3,"module":"builtin:Ignore"}]},{"id":4,"module":"json:ParseJSON"}"#;
        assert!(
            run(
                &super::ExternalCallWithoutErrorHandler,
                &scenario(flow, "false")
            )
            .is_empty()
        );
    }
}

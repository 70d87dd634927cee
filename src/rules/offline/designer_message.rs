use crate::declare_rule;
use crate::finding::Finding;
use crate::model::DesignerMessage;
use crate::rules::{Context, Rule, Severity};

declare_rule! {
    /// ## What it does
    /// Surfaces the messages Make's editor wrote into the export
    /// (`metadata.designer.messages` of a module), such as "A transformer should not be the
    /// last module in the route." or "The module is not set up.", with the severity Make gave
    /// them: `"severity": "error"` is an error, `"warning"` a warning, anything else info.
    /// The finding names the module and points at the message text; the same message written
    /// several times on one module is reported once, with its count.
    ///
    /// ## Why is this bad?
    /// Make saw something off when the scenario was last saved; the message is easy to miss in
    /// the editor and invisible in a code review. An error ("Value must not be empty.") is a
    /// module Make itself will not run as it is.
    ///
    /// ## Example
    /// ```json
    /// { "id": 3, "module": "email:ActionSendEmail",
    ///   "metadata": { "designer": { "messages": [ { "category": "setup", "severity": "error",
    ///     "message": "The module is not set up." } ] } } }
    /// ```
    ///
    /// ## Use instead
    /// Fix the scenario in Make and export it again. To see these messages at another severity,
    /// set it in `bplint.toml` (`[rules] BP040 = "info"`).
    pub struct DesignerWarning {
        code: "BP040",
        name: "editor-warning",
        severity: Info,
        kind: Offline,
        summary: "Make's editor left a message (error, warning) in the export",
    }
}

/// Make's own severity word, as bplint's.
fn severity_of(make: &str) -> Severity {
    match make.trim().to_ascii_lowercase().as_str() {
        "error" | "critical" => Severity::Error,
        "warning" | "warn" => Severity::Warning,
        _ => Severity::Info,
    }
}

impl Rule for DesignerWarning {
    fn check_scenario(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        // Equal messages of one module (Make repeats them, e.g. one per empty field) are
        // one finding with a count: a handful of messages per module, so a scan is cheap.
        let messages = &cx.scenario.designer_messages;
        let mut reported: Vec<&DesignerMessage> = Vec::new();
        for (i, msg) in messages.iter().enumerate() {
            let same = |o: &&DesignerMessage| {
                o.module == msg.module
                    && o.message == msg.message
                    && o.category == msg.category
                    && severity_of(&o.severity) == severity_of(&msg.severity)
            };
            if reported.iter().any(same) {
                continue;
            }
            reported.push(msg);
            let repeats = messages[i..].iter().filter(|o| same(o)).count();
            let module = &cx.scenario.modules[msg.module];
            let category = if msg.category.is_empty() {
                String::new()
            } else {
                format!(" ({})", crate::model::truncate(&msg.category, 30))
            };
            let times = if repeats > 1 {
                format!(" ({repeats} times)")
            } else {
                String::new()
            };
            let mut finding = Finding::new(
                &Self::META,
                msg.message_span,
                format!(
                    "Make's editor says{category} about {}: {}{times}",
                    module.display_name(),
                    crate::model::truncate(&msg.message, 200)
                ),
            )
            .label("editor message")
            .module(module);
            finding.severity = severity_of(&msg.severity);
            out.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::Severity;
    use crate::rules::testing::*;

    fn with_messages(messages: &str) -> String {
        blueprint(&format!(
            r#"{{"id":2,"module":"json:ParseJSON","metadata":{{"designer":{{"messages":[{messages}]}}}}}}"#
        ))
    }

    #[test]
    fn surfaces_editor_messages_naming_the_module_at_the_text() {
        let src = with_messages(
            r#"{"category":"last","severity":"warning","message":"A transformer should not be the last module in the route."}"#,
        );
        assert_eq!(
            lines(&super::DesignerWarning, &src),
            [
                "\"A transformer should not be the last module in the route.\": Make's editor says (last) about module 2 (json:ParseJSON): A transformer should not be the last module in the route."
            ]
        );
    }

    #[test]
    fn maps_make_severity() {
        let src = with_messages(
            r#"{"severity":"error","message":"The module is not set up."},{"severity":"warning","message":"w"},{"severity":"info","message":"i"},{"message":"none"}"#,
        );
        let severities: Vec<Severity> = run(&super::DesignerWarning, &src)
            .iter()
            .map(|f| f.severity)
            .collect();
        assert_eq!(
            severities,
            [
                Severity::Error,
                Severity::Warning,
                Severity::Info,
                Severity::Info
            ]
        );
    }

    #[test]
    fn merges_identical_messages_of_one_module() {
        let m = r#"{"category":"setup","severity":"error","message":"Value must not be empty."}"#;
        let src = with_messages(&format!("{m},{m},{m}"));
        let f = lines(&super::DesignerWarning, &src);
        assert!(
            matches!(&f[..], [one] if one.ends_with("Value must not be empty. (3 times)")),
            "{f:?}"
        );
    }

    #[test]
    fn quiet_without_messages() {
        let src =
            blueprint(r#"{"id":2,"module":"json:ParseJSON","metadata":{"designer":{"x":1}}}"#);
        assert!(run(&super::DesignerWarning, &src).is_empty());
    }
}

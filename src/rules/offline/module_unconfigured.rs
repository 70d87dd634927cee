use std::sync::LazyLock;

use crate::declare_rule;
use crate::finding::Finding;
use crate::live::catalog::Catalog;
use crate::model::{Module, RefKind, RefValue};
use crate::rules::{Context, Rule};

declare_rule! {
    /// ## What it does
    /// Reports app modules that need a connection but reference none, and webhook triggers
    /// without their webhook: modules exported before anyone set them up, such as
    /// `{"id": 3, "module": "email:ActionSendEmail", "version": 7}` with no parameters, or a
    /// `gateway:CustomWebHook` without `hook`.
    ///
    /// A module needs a connection when its echo (`metadata.parameters`) declares a connection
    /// parameter, when the shipped module catalog (`rules/catalog/`) lists connection types
    /// for it, or when its app is one whose every module authenticates (Slack, Google apps,
    /// Airtable, OpenAI, Anthropic Claude, email, GitHub, ...). A required connection
    /// parameter that is empty is BP010's (an error); built-in modules, orphans and modules in
    /// disabled routes are left out, and custom apps (`app#...`) are judged by their echo only.
    ///
    /// ## Why is this bad?
    /// The scenario imports, but the module fails on its first run: it has no account to act
    /// as, or no webhook to listen on. Nothing else in the export says so.
    ///
    /// ## Example
    /// ```json
    /// { "id": 3, "module": "email:ActionSendEmail", "version": 7 }
    /// { "id": 1, "module": "gateway:CustomWebHook", "version": 1, "parameters": { "maxResults": 1 } }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// { "id": 3, "module": "email:ActionSendEmail", "version": 7, "parameters": { "account": 6505404 } }
    /// { "id": 1, "module": "gateway:CustomWebHook", "version": 1, "parameters": { "hook": 12421, "maxResults": 1 } }
    /// ```
    pub struct ModuleUnconfigured {
        code: "BP017",
        name: "module-unconfigured",
        severity: Warning,
        kind: Offline,
        summary: "a module that needs a connection or webhook has none: it is not set up",
    }
}

/// Apps whose every module acts as an account, seen with a connection in the echoes of real
/// exports (and named in bug reports): a module of one of these without a connection is not
/// set up. Kept short on purpose: an app missing here is simply not reported.
const APPS_WITH_CONNECTIONS: &[&str] = &[
    "airtable",
    "anthropic-claude",
    "canvas-lms",
    "discord",
    "docusign",
    "email",
    "gemini-ai",
    "github",
    "gmail",
    "google-calendar",
    "google-docs",
    "google-drive",
    "google-email",
    "google-firebase-firestore",
    "google-sheets",
    "hubspotcrm",
    "lokalise",
    "notion",
    "openai",
    "openai-gpt-3",
    "salesforce",
    "slack",
    "stripe",
    "telegram",
];

/// Trigger modules that listen on a webhook Make stores (`parameters.hook`).
const WEBHOOK_MODULES: &[&str] = &["gateway:CustomWebHook", "gateway:CustomMailHook"];

static CATALOG: LazyLock<Catalog> = LazyLock::new(Catalog::builtin);

fn needs_connection(name: &str, app: &str) -> bool {
    APPS_WITH_CONNECTIONS.contains(&app) || CATALOG.lookup(name).types.is_some()
}

/// What the module's connection references say.
enum Connection {
    /// An id, a placeholder, an expression: something is chosen (other rules judge it).
    Chosen,
    /// Empty where the module needs one: BP010 reports it.
    MissingForBp010,
    /// The echo declares an optional connection parameter and it is empty.
    DeclaredButEmpty,
    /// No connection parameter at all.
    None,
}

fn connection_of(cx: &Context<'_>, m: &Module) -> Connection {
    let mut state = Connection::None;
    for r in cx
        .scenario
        .references_of(m.index)
        .filter(|r| r.kind == RefKind::Connection)
    {
        let empty = matches!(
            r.value,
            RefValue::Missing | RefValue::Null | RefValue::Empty
        );
        if !empty {
            return Connection::Chosen;
        }
        state = if r.required || !r.declared {
            Connection::MissingForBp010
        } else if matches!(state, Connection::MissingForBp010) {
            state
        } else {
            Connection::DeclaredButEmpty
        };
    }
    state
}

impl Rule for ModuleUnconfigured {
    fn check_module(&self, cx: &Context<'_>, m: &Module, out: &mut Vec<Finding>) {
        let (Some(name), Some(app)) = (m.name.as_deref(), m.app()) else {
            return;
        };
        if m.orphan || m.disabled || app == "builtin" {
            return;
        }
        let (message, help) = if WEBHOOK_MODULES.contains(&name) {
            if cx
                .scenario
                .references_of(m.index)
                .any(|r| r.kind == RefKind::Hook)
            {
                return;
            }
            (
                format!(
                    "{} has no webhook (`parameters.hook`): the trigger is not set up",
                    m.display_name()
                ),
                "choose or add the webhook in the module, then export the blueprint again",
            )
        } else {
            let needs = match connection_of(cx, m) {
                Connection::Chosen | Connection::MissingForBp010 => false,
                // The module's own echo says it takes a connection.
                Connection::DeclaredButEmpty => true,
                Connection::None => !m.is_custom_app() && needs_connection(name, app),
            };
            if !needs {
                return;
            }
            (
                format!(
                    "{} needs a connection but has none: the module is not set up",
                    m.display_name()
                ),
                "choose a connection in the module, then export the blueprint again",
            )
        };
        out.push(
            Finding::new(&Self::META, m.anchor(), message)
                .label("not set up")
                .help(help)
                .module(m),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn fires_on_modules_exported_before_set_up() {
        let src = blueprint(
            r#"{"id":3,"module":"email:ActionSendEmail","version":7},{"id":4,"module":"github:createIssue","version":1},{"id":5,"module":"anthropic-claude:simpleTextPrompt","parameters":{},"mapper":{"prompt":"hi"}},{"id":1,"module":"gateway:CustomWebHook","parameters":{"maxResults":1}}"#,
        );
        let f = run(&super::ModuleUnconfigured, &src);
        assert_eq!(
            messages(&f),
            [
                "module 3 (email:ActionSendEmail) needs a connection but has none: the module is not set up",
                "module 4 (github:createIssue) needs a connection but has none: the module is not set up",
                "module 5 (anthropic-claude:simpleTextPrompt) needs a connection but has none: the module is not set up",
                "module 1 (gateway:CustomWebHook) has no webhook (`parameters.hook`): the trigger is not set up",
            ]
        );
        assert_eq!(snippets(&src, &f)[0], "\"email:ActionSendEmail\"");
    }

    #[test]
    fn an_optional_connection_the_echo_declares_counts() {
        let echo = r#""metadata":{"parameters":[{"name":"__IMTCONN__","type":"account:x","label":"Connection"}]}"#;
        let src = blueprint(&format!(
            r#"{{"id":1,"module":"acme:doIt","parameters":{{}},{echo}}},{{"id":2,"module":"app#acme-x1:doIt","parameters":{{"__IMTCONN__":""}},{echo}}},{{"id":3,"module":"acme:doIt","parameters":{{"__IMTCONN__":5}},{echo}}}"#
        ));
        let f = run(&super::ModuleUnconfigured, &src);
        assert_eq!(
            snippets(&src, &f),
            ["\"acme:doIt\"", "\"app#acme-x1:doIt\""]
        );
    }

    #[test]
    fn quiet_on_set_up_and_connectionless_modules() {
        let src = blueprint(
            r#"{"id":3,"module":"email:ActionSendEmail","parameters":{"account":6505404}},{"id":4,"module":"weather:ActionGetCurrentWeather","parameters":{}},{"id":5,"module":"builtin:BasicRouter"},{"id":6,"module":"gateway:CustomWebHook","parameters":{"hook":12421}},{"id":7,"module":"app#my-app-x1:doIt"},{"id":8,"module":"slack:CreateMessage","parameters":{"__IMTCONN__":null}},{"id":9,"module":"json:ParseJSON"}"#,
        );
        let f = run(&super::ModuleUnconfigured, &src);
        assert!(
            f.is_empty(),
            "{:?}",
            f.iter().map(|f| &f.message).collect::<Vec<_>>()
        );
    }
}

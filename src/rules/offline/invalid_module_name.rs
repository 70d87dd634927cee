use crate::declare_rule;
use crate::finding::Finding;
use crate::model::Module;
use crate::rules::{Context, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a module whose `module` is missing, not a string, or not of the form
    /// `app:Action` (custom apps: `app#name-suffix:action`); a `builtin:` module that is not
    /// one of Make's built-in modules (a closed set: `BasicRouter`, `BasicIfElse`,
    /// `BasicMerge`, `BasicFeeder`, `BasicAggregator`, `BasicRepeater`, `Ignore`, `Resume`,
    /// `Commit`, `Rollback`, `Break`, `ThrowError`, `ThrowWarning`, `Sleep`); and a
    /// well-known module spelled in the wrong case (`gateway:CustomWebhook` for
    /// `gateway:CustomWebHook`, `builtin:basicrouter`).
    ///
    /// ## Why is this bad?
    /// Make resolves the app and the action from this string, case-sensitively; a malformed or
    /// unknown one fails the import, and bplint cannot tell which connection types or scopes
    /// the module needs. `builtin:ErrorHandler` is a common invention: an error handler is
    /// the `onerror` route of the module it handles, not a module.
    ///
    /// ## Example
    /// ```json
    /// { "id": 1, "module": "slack CreateMessage" }
    /// { "id": 2, "module": "gateway:CustomWebhook" }
    /// { "id": 3, "module": "builtin:ErrorHandler" }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// { "id": 1, "module": "slack:CreateMessage" }
    /// { "id": 2, "module": "gateway:CustomWebHook" }
    /// { "id": 3, "module": "http:ActionSendData", "onerror": [ { "id": 4, "module": "builtin:Break" } ] }
    /// ```
    pub struct InvalidModuleName {
        code: "BP004",
        name: "invalid-module-name",
        severity: Error,
        kind: Offline,
        summary: "a module's `module` is missing or not `app:Action`",
    }
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// `app:Action` or `app#custom-name:action`.
pub fn is_valid_module_name(name: &str) -> bool {
    let Some((app, action)) = name.split_once(':') else {
        return false;
    };
    let (base, custom) = match app.split_once('#') {
        Some((b, c)) => (b, Some(c)),
        None => (app, None),
    };
    is_ident(base) && custom.is_none_or(is_ident) && is_ident(action)
}

/// Make's built-in modules (the `builtin` app): a closed set.
const BUILTIN_MODULES: &[&str] = &[
    "BasicRouter",
    "BasicIfElse",
    "BasicMerge",
    "BasicFeeder",
    "BasicAggregator",
    "BasicRepeater",
    "Ignore",
    "Resume",
    "Commit",
    "Rollback",
    "Break",
    "ThrowError",
    "ThrowWarning",
    "Sleep",
];

/// Modules of Make's own apps that real exports use most, spelled as Make spells them: a name
/// that equals one of these but for case is a typo Make's import does not forgive.
const WELL_KNOWN_MODULES: &[&str] = &[
    "gateway:CustomWebHook",
    "gateway:CustomMailHook",
    "gateway:WebhookRespond",
    "http:ActionSendData",
    "http:ActionSendDataBasicAuth",
    "http:ActionSendDataAPIKeyAuth",
    "http:ActionSendDataOAuth",
    "http:ActionGetFile",
    "http:MakeRequest",
    "json:ParseJSON",
    "json:CreateJSON",
    "json:TransformToJSON",
    "util:SetVariable",
    "util:SetVariable2",
    "util:SetVariables",
    "util:GetVariable",
    "util:GetVariable2",
    "util:GetVariables",
    "util:TextAggregator",
    "util:FunctionSleep",
    "util:FunctionIncrement",
    "util:ComposeTransformer",
    "util:Switcher",
    "util:BasicTrigger",
    "util:TableAggregator",
    "util:NumericalAggregator",
    "regexp:AdvancedParser",
    "regexp:Replace",
    "scenario-service:CallSubscenario",
    "scenario-service:StartSubscenario",
    "scenario-service:ReturnData",
    "datastore:AddRecord",
    "datastore:GetRecord",
    "datastore:SearchRecord",
    "datastore:UpdateRecord",
    "datastore:DeleteRecord",
    "ai-local-agent:RunLocalAIAgent",
];

/// What is wrong with a well-formed `app:Action` name, if anything.
fn unknown_module(name: &str) -> Option<String> {
    let (app, action) = name.split_once(':')?;
    // Checked on every module: compare in place, allocate only for a finding.
    if (app == "builtin" && BUILTIN_MODULES.contains(&action)) || WELL_KNOWN_MODULES.contains(&name)
    {
        return None;
    }
    let shown = || crate::model::truncate(name, 60);
    let right = if app.eq_ignore_ascii_case("builtin") {
        BUILTIN_MODULES
            .iter()
            .find(|m| m.eq_ignore_ascii_case(action))
            .map(|m| format!("builtin:{m}"))
    } else {
        WELL_KNOWN_MODULES
            .iter()
            .find(|m| m.eq_ignore_ascii_case(name))
            .map(|m| m.to_string())
    };
    match right {
        Some(right) => Some(format!(
            "`{}` is `{right}` in the wrong case: Make's module names are case-sensitive",
            shown()
        )),
        None if app == "builtin" => {
            let hint = if action.to_ascii_lowercase().contains("error") {
                "; an error handler is the `onerror` route of the module it handles"
            } else {
                ""
            };
            Some(format!(
                "`{}` is not one of Make's built-in modules ({}){hint}",
                shown(),
                BUILTIN_MODULES.join(", ")
            ))
        }
        None => None,
    }
}

impl Rule for InvalidModuleName {
    fn check_module(&self, _cx: &Context<'_>, m: &Module, out: &mut Vec<Finding>) {
        let message = match (&m.name, m.name_span) {
            (Some(name), _) if is_valid_module_name(name) => match unknown_module(name) {
                Some(message) => message,
                None => return,
            },
            (Some(name), _) => format!(
                "`{}` is not a valid module name (expected `app:Action`)",
                crate::model::truncate(name, 60)
            ),
            (None, Some(_)) => "`module` must be a string such as `slack:CreateMessage`".into(),
            (None, None) => "this module has no `module` key".into(),
        };
        out.push(
            Finding::new(&Self::META, m.anchor(), message)
                .label("module name")
                .module(m),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn accepts_builtin_app_and_custom_names() {
        for ok in [
            "slack:CreateMessage",
            "app#my-app-x1:doIt",
            "util:SetVariable2",
            "ai-local-agent:RunLocalAIAgent",
        ] {
            assert!(super::is_valid_module_name(ok), "{ok}");
        }
        let src = blueprint(r#"{"id":1,"module":"slack:CreateMessage"}"#);
        assert!(run(&super::InvalidModuleName, &src).is_empty());
    }

    #[test]
    fn builtin_is_a_closed_set() {
        let src = blueprint(
            r#"{"id":1,"module":"builtin:ErrorHandler"},{"id":2,"module":"builtin:BasicRouter"},{"id":3,"module":"builtin:Sleep"},{"id":4,"module":"builtin:Iterator"}"#,
        );
        let f = run(&super::InvalidModuleName, &src);
        assert_eq!(
            snippets(&src, &f),
            ["\"builtin:ErrorHandler\"", "\"builtin:Iterator\""]
        );
        assert!(f[0].message.contains("`onerror` route"), "{}", f[0].message);
        assert!(!f[1].message.contains("onerror"), "{}", f[1].message);
    }

    #[test]
    fn well_known_names_in_the_wrong_case() {
        let src = blueprint(
            r#"{"id":1,"module":"gateway:CustomWebhook"},{"id":2,"module":"builtin:basicrouter"},{"id":3,"module":"gateway:CustomWebHook"},{"id":4,"module":"slack:createmessage"}"#,
        );
        let f = lines(&super::InvalidModuleName, &src);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(
            f[0],
            "\"gateway:CustomWebhook\": `gateway:CustomWebhook` is `gateway:CustomWebHook` in the wrong case: Make's module names are case-sensitive"
        );
        assert!(f[1].starts_with("\"builtin:basicrouter\": "), "{}", f[1]);
    }

    #[test]
    fn fires_on_bad_missing_and_non_string_names() {
        let src = blueprint(
            r#"{"id":1,"module":"slack CreateMessage"},{"id":2,"module":7},{"id":3},{"id":4,"module":":x"}"#,
        );
        assert_eq!(
            fired_at(&super::InvalidModuleName, &src),
            ["\"slack CreateMessage\"", "7", "3", "\":x\""]
        );
    }
}

use crate::declare_rule;
use crate::finding::Finding;
use crate::model::RefValue;
use crate::rules::{Context, RefSite, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a connection (or webhook, keychain, data store, data structure, sub-scenario)
    /// parameter that the module needs but that is absent, `null` or empty. "Needs" means the
    /// module's `metadata.parameters` echo marks it `required`, or the key is one Make always
    /// fills (`__IMTCONN__`, `account`, `makeConnectionId`, `connection`, `__IMTHOOK__`,
    /// `hook`, `datastore`, `scenario` of `scenario-service`). A data structure is needed only
    /// when the echo says so: parsers such as `json:ParseJSON` run without one.
    ///
    /// ## Why is this bad?
    /// The scenario imports, but the module fails on its first run: it has nothing to
    /// authenticate with.
    ///
    /// ## Example
    /// ```json
    /// { "id": 2, "module": "slack:CreateMessage", "parameters": { "__IMTCONN__": null } }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// { "id": 2, "module": "slack:CreateMessage", "parameters": { "__IMTCONN__": 1234567 } }
    /// ```
    pub struct ConnectionMissing {
        code: "BP010",
        name: "connection-missing",
        severity: Error,
        kind: Offline,
        summary: "a required connection parameter is absent, null or empty",
    }
}

impl Rule for ConnectionMissing {
    fn check_reference(&self, _cx: &Context<'_>, at: &RefSite<'_>, out: &mut Vec<Finding>) {
        let r = at.reference;
        let how = match r.value {
            RefValue::Missing => "is absent",
            RefValue::Null => "is null",
            RefValue::Empty => "is empty",
            _ => return,
        };
        if (r.declared && !r.required) || (!r.declared && !r.kind.needed_without_echo()) {
            return;
        }
        out.push(
            at.finding(&Self::META, format!("{} {how}", at.parameter()))
                .label(if r.value == RefValue::Missing {
                    "parameters without it"
                } else {
                    "no id here"
                })
                .help(format!(
                    "choose a {} for this module in Make and export the blueprint again",
                    r.kind.name()
                )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn fires_on_required_absent_null_and_empty() {
        let echo = r#""metadata":{"parameters":[{"name":"__IMTCONN__","type":"account:slack2","required":true}]}"#;
        let src = blueprint(&format!(
            r#"{{"id":1,"module":"slack:A","parameters":{{}},{echo}}},{{"id":2,"module":"slack:A","parameters":{{"__IMTCONN__":null}}}},{{"id":3,"module":"slack:A","parameters":{{"account":""}}}}"#
        ));
        let f = run(&super::ConnectionMissing, &src);
        assert_eq!(snippets(&src, &f), ["{}", "null", "\"\""]);
    }

    #[test]
    fn a_data_structure_is_needed_only_when_the_echo_says_so() {
        let src = blueprint(
            r#"{"id":1,"module":"json:ParseJSON","parameters":{"type":""}},{"id":2,"module":"scenario-service:CallSubscenario","parameters":{"scenario":null}},{"id":3,"module":"json:CreateJSON","parameters":{"type":""},"metadata":{"parameters":[{"name":"type","type":"udt","required":true}]}}"#,
        );
        let f = run(&super::ConnectionMissing, &src);
        assert_eq!(snippets(&src, &f), ["null", "\"\""]);
        assert_eq!(f[1].message, "data-structure parameter `type` is empty");
    }

    #[test]
    fn quiet_on_optional_or_present() {
        let echo = r#""metadata":{"parameters":[{"name":"__IMTCONN__","type":"account:slack2","required":false}]}"#;
        let src = blueprint(&format!(
            r#"{{"id":1,"module":"slack:A","parameters":{{"__IMTCONN__":null}},{echo}}},{{"id":2,"module":"slack:A","parameters":{{"__IMTCONN__":5}}}}"#
        ));
        assert!(run(&super::ConnectionMissing, &src).is_empty());
    }
}

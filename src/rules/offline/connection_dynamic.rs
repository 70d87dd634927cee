use crate::declare_rule;
use crate::finding::Finding;
use crate::model::RefValue;
use crate::rules::{Context, RefSite, Rule};

declare_rule! {
    /// ## What it does
    /// Notes a connection parameter set by an IML expression (`{{var.input.SlackConnection}}`)
    /// instead of a literal id. When the expression names a scenario input with a default in
    /// `io.input_spec`, the finding shows that default, and live checks use it.
    ///
    /// ## Why is this bad?
    /// It is not wrong, but which connection runs is decided at run time: a reviewer cannot see
    /// it in the file, and offline checks can only check the default.
    ///
    /// ## Example
    /// ```json
    /// { "parameters": { "__IMTCONN__": "{{var.input.SlackConnection}}" } }
    /// ```
    ///
    /// ## Use instead
    /// A literal id, when the scenario does not need to be reusable:
    /// ```json
    /// { "parameters": { "__IMTCONN__": 1234567 } }
    /// ```
    pub struct ConnectionDynamic {
        code: "BP012",
        name: "connection-dynamic",
        severity: Info,
        kind: Offline,
        summary: "a connection parameter is an IML expression",
    }
}

impl Rule for ConnectionDynamic {
    fn check_reference(&self, _cx: &Context<'_>, at: &RefSite<'_>, out: &mut Vec<Finding>) {
        let RefValue::Expression {
            text,
            variable,
            resolved,
        } = &at.reference.value
        else {
            return;
        };
        let tail = match (variable, resolved) {
            (Some(v), Some(id)) => format!("; scenario input `{v}` defaults to {id}"),
            (Some(v), None) => format!("; scenario input `{v}` has no default id"),
            _ => String::new(),
        };
        out.push(
            at.finding(
                &Self::META,
                format!("{} is set by the expression `{text}`{tail}", at.parameter()),
            )
            .label("decided at run time"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn fires_with_resolved_default() {
        let src = r#"{"io":{"input_spec":[{"name":"C","type":"account:slack2","default":6611389}]},"flow":[{"id":1,"module":"a:b","parameters":{"__IMTCONN__":"{{var.input.C}}"}}]}"#;
        let f = lines(&super::ConnectionDynamic, src);
        assert!(
            matches!(&f[..], [one] if one.contains("defaults to 6611389")),
            "{f:?}"
        );
    }

    #[test]
    fn quiet_on_literal_ids() {
        let src = blueprint(r#"{"id":1,"module":"a:b","parameters":{"__IMTCONN__":5}}"#);
        assert!(run(&super::ConnectionDynamic, &src).is_empty());
    }
}

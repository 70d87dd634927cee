use crate::declare_rule;
use crate::finding::Finding;
use crate::model::{Module, RefKind};
use crate::rules::{Context, Rule};

/// The keys that all mean "the module's connection".
const ALIASES: [&str; 4] = ["__IMTCONN__", "account", "makeConnectionId", "connection"];

declare_rule! {
    /// ## What it does
    /// Reports a module holding two of the connection keys (`__IMTCONN__`, `account`,
    /// `makeConnectionId`, `connection`) with different values.
    ///
    /// ## Why is this bad?
    /// Only one of them is read, and which one depends on the module version: the scenario may
    /// run with a different connection than the one a reviewer sees.
    ///
    /// ## Example
    /// ```json
    /// { "parameters": { "__IMTCONN__": 111, "account": 222 } }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// { "parameters": { "__IMTCONN__": 111 } }
    /// ```
    pub struct ConflictingConnectionKeys {
        code: "BP015",
        name: "conflicting-connection-keys",
        severity: Error,
        kind: Offline,
        summary: "two connection keys of one module disagree",
    }
}

impl Rule for ConflictingConnectionKeys {
    fn check_module(&self, cx: &Context<'_>, m: &Module, out: &mut Vec<Finding>) {
        let refs: Vec<_> = cx
            .scenario
            .references_of(m.index)
            .filter(|r| {
                r.kind == RefKind::Connection
                    && ALIASES.contains(&r.key.as_str())
                    && r.value.kind_name() != "missing"
            })
            .collect();
        let Some(first) = refs.first() else { return };
        for other in &refs[1..] {
            if other.value != first.value {
                out.push(
                    Finding::new(
                        &Self::META,
                        other.span,
                        format!(
                            "`{}` is {} but `{}` is {}",
                            other.key,
                            other.value.display(),
                            first.key,
                            first.value.display()
                        ),
                    )
                    .label("conflicting connection")
                    .help("keep one connection key; Make reads only one of them")
                    .reference(m, other),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn fires_on_different_values() {
        let src =
            blueprint(r#"{"id":1,"module":"a:b","parameters":{"__IMTCONN__":111,"account":222}}"#);
        assert_eq!(fired_at(&super::ConflictingConnectionKeys, &src), ["222"]);
    }

    #[test]
    fn quiet_on_equal_values_or_one_key() {
        let src = blueprint(
            r#"{"id":1,"module":"a:b","parameters":{"__IMTCONN__":111,"account":111}},{"id":2,"module":"a:b","parameters":{"__IMTCONN__":111,"hook":5}}"#,
        );
        assert!(run(&super::ConflictingConnectionKeys, &src).is_empty());
    }
}

use crate::declare_rule;
use crate::finding::Finding;
use crate::model::{OUT_OF_RANGE_DIGIT_STRING, OUT_OF_RANGE_NUMBER, RefValue};
use crate::rules::{Context, RefSite, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a connection (or webhook, keychain, data store) parameter whose value is not a
    /// positive integer id: a float, zero, a negative number, a number (or digit string) too
    /// large for an id, a boolean, an object or an array.
    ///
    /// ## Why is this bad?
    /// Ids are positive integers; anything else is a broken edit or a bad template substitution,
    /// and the module fails to load its connection.
    ///
    /// ## Example
    /// ```json
    /// { "parameters": { "__IMTCONN__": { "id": 12 } } }
    /// ```
    ///
    /// ## Use instead
    /// ```json
    /// { "parameters": { "__IMTCONN__": 12 } }
    /// ```
    pub struct ConnectionInvalidValue {
        code: "BP014",
        name: "connection-invalid-value",
        severity: Error,
        kind: Offline,
        summary: "a connection parameter is not a positive integer id",
    }
}

impl Rule for ConnectionInvalidValue {
    fn check_reference(&self, _cx: &Context<'_>, at: &RefSite<'_>, out: &mut Vec<Finding>) {
        let RefValue::Invalid { json, raw } = &at.reference.value else {
            return;
        };
        let parameter = at.parameter();
        let message = if [OUT_OF_RANGE_NUMBER, OUT_OF_RANGE_DIGIT_STRING].contains(json) {
            format!(
                "{parameter} is {raw}, out of range: ids are at most {}",
                u64::MAX
            )
        } else {
            format!("{parameter} is a {json}, not a positive integer id")
        };
        out.push(at.finding(&Self::META, message).label("not an id"));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn fires_on_each_invalid_kind() {
        let src = blueprint(
            r#"{"id":1,"module":"a:b","parameters":{"__IMTCONN__":1.5}},{"id":2,"module":"a:b","parameters":{"account":-3}},{"id":3,"module":"a:b","parameters":{"connection":true}},{"id":4,"module":"a:b","parameters":{"makeConnectionId":{"id":1}}},{"id":5,"module":"a:b","parameters":{"__IMTCONN__":[1]}},{"id":6,"module":"a:b","parameters":{"__IMTCONN__":0}}"#,
        );
        let f = run(&super::ConnectionInvalidValue, &src);
        assert_eq!(
            snippets(&src, &f),
            ["1.5", "-3", "true", "{\"id\":1}", "[1]", "0"]
        );
    }

    #[test]
    fn ids_too_large_are_out_of_range_not_non_positive() {
        let src = blueprint(
            r#"{"id":1,"module":"a:b","parameters":{"__IMTCONN__":99999999999999999999}},{"id":2,"module":"a:b","parameters":{"account":"99999999999999999999"}},{"id":3,"module":"a:b","parameters":{"__IMTCONN__":18446744073709551615}}"#,
        );
        let f = run(&super::ConnectionInvalidValue, &src);
        assert_eq!(
            snippets(&src, &f),
            ["99999999999999999999", "\"99999999999999999999\""]
        );
        for finding in &f {
            assert!(
                finding.message.contains(
                    "is 99999999999999999999, out of range: ids are at most 18446744073709551615"
                ),
                "{}",
                finding.message
            );
        }
    }

    #[test]
    fn quiet_on_ids() {
        let src =
            blueprint(r#"{"id":1,"module":"a:b","parameters":{"__IMTCONN__":15,"account":"16"}}"#);
        assert!(run(&super::ConnectionInvalidValue, &src).is_empty());
    }
}

//! String leaves under a module's `mapper` or `parameters`, with the key that names each one.
//!
//! Make writes HTTP headers and query strings as `[{"name": "Authorization", "value": "..."}]`,
//! so a `value` member is named by its sibling `name`: rules looking for credentials need the
//! header name, not the word "value".

use std::borrow::Cow;

use crate::json::{Kind, Value, push_pointer_token};

pub struct StringLeaf<'d> {
    /// The member key, or the sibling `name` for `{name, value}` pairs; empty at the top.
    pub key: Cow<'d, str>,
    pub value: Value<'d>,
    /// RFC 6901 pointer relative to the root handed to [`for_each_string`].
    pub pointer: String,
}

/// Calls `f` for every string under `root`, depth first, in document order.
pub fn for_each_string<'d>(root: Value<'d>, f: &mut dyn FnMut(StringLeaf<'d>)) {
    let mut stack: Vec<(Value<'d>, Cow<'d, str>, String)> =
        vec![(root, Cow::Borrowed(""), String::new())];
    while let Some((v, key, pointer)) = stack.pop() {
        match v.kind() {
            Kind::String => f(StringLeaf {
                key,
                value: v,
                pointer,
            }),
            Kind::Object => {
                let pair_name = v.get("value").and(v.get_str("name"));
                let start = stack.len();
                for m in v.members() {
                    let mut p = pointer.clone();
                    let k = m.key_str();
                    push_pointer_token(&mut p, &k);
                    let key = match (&pair_name, m.key_eq("value")) {
                        (Some(name), true) => name.clone(),
                        _ => k,
                    };
                    stack.push((m.value, key, p));
                }
                stack[start..].reverse();
            }
            Kind::Array => {
                let start = stack.len();
                for (i, e) in v.elements().enumerate() {
                    stack.push((e, key.clone(), format!("{pointer}/{i}")));
                }
                stack[start..].reverse();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_named_by_their_name_member() {
        let doc = crate::json::parse(
            r#"{"url":"https://x","headers":[{"name":"Authorization","value":"Bearer abc"}],"n":1}"#,
        )
        .unwrap();
        let mut seen = Vec::new();
        for_each_string(doc.root(), &mut |l| {
            seen.push((
                l.key.into_owned(),
                l.value.as_str().unwrap().into_owned(),
                l.pointer,
            ))
        });
        assert_eq!(
            seen,
            [
                ("url".into(), "https://x".into(), "/url".into()),
                (
                    "name".into(),
                    "Authorization".into(),
                    "/headers/0/name".into()
                ),
                (
                    "Authorization".into(),
                    "Bearer abc".into(),
                    "/headers/0/value".into()
                ),
            ]
        );
    }
}

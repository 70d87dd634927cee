//! String leaves under a module's `mapper` or `parameters`, with the key that names each one.
//!
//! Make writes HTTP headers and query strings as `[{"name": "Authorization", "value": "..."}]`,
//! so a `value` member is named by its sibling `name`: rules looking for credentials need the
//! header name, not the word "value".
//!
//! The walk is on the hot path (every string of every mapper), so it allocates nothing per
//! node: the path to the current leaf is kept as a stack of segments, and turned into a JSON
//! pointer only when a rule asks for one.

use crate::json::{Kind, Member, Value, push_pointer_token};

/// One step from a container to a child.
#[derive(Clone, Copy)]
enum Seg<'d> {
    Key(Member<'d>),
    Index(usize),
}

pub struct StringLeaf<'a, 'd> {
    /// The member key, or the sibling `name` for `{name, value}` pairs; `None` at the top.
    pub key: Option<Value<'d>>,
    pub value: Value<'d>,
    path: &'a [Seg<'d>],
}

impl StringLeaf<'_, '_> {
    /// The key as text (empty at the top).
    pub fn key_text(&self) -> String {
        self.key
            .and_then(|k| k.as_str())
            .map(|k| k.into_owned())
            .unwrap_or_default()
    }

    /// RFC 6901 pointer relative to the root handed to [`for_each_string`].
    pub fn pointer(&self) -> String {
        let mut p = String::new();
        for seg in self.path {
            match seg {
                Seg::Key(m) => push_pointer_token(&mut p, &m.key_str()),
                Seg::Index(i) => {
                    p.push('/');
                    p.push_str(&i.to_string());
                }
            }
        }
        p
    }
}

/// Calls `f` for every string under `root`, depth first, in document order.
pub fn for_each_string<'d>(root: Value<'d>, f: &mut dyn FnMut(&StringLeaf<'_, 'd>)) {
    // (value, naming key, depth of its segment, its segment)
    let mut stack: Vec<(Value<'d>, Option<Value<'d>>, usize, Option<Seg<'d>>)> =
        vec![(root, None, 0, None)];
    let mut path: Vec<Seg<'d>> = Vec::new();
    while let Some((v, key, depth, seg)) = stack.pop() {
        path.truncate(depth);
        if let Some(s) = seg {
            path.push(s);
        }
        let depth = path.len();
        match v.kind() {
            Kind::String => f(&StringLeaf {
                key,
                value: v,
                path: &path,
            }),
            Kind::Object => {
                let pair_name = v
                    .get("value")
                    .and(v.get("name"))
                    .filter(|n| n.kind() == Kind::String);
                let start = stack.len();
                for m in v.all_members() {
                    let name = match pair_name {
                        Some(n) if m.key_eq("value") => n,
                        _ => m.key,
                    };
                    stack.push((m.value, Some(name), depth, Some(Seg::Key(m))));
                }
                stack[start..].reverse();
            }
            Kind::Array => {
                let start = stack.len();
                for (i, e) in v.elements().enumerate() {
                    stack.push((e, key, depth, Some(Seg::Index(i))));
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
            r#"{"url":"https://x","headers":[{"name":"Authorization","value":"Bearer abc"}],"n":1,"a~b":{"c/d":"e"}}"#,
        )
        .unwrap();
        let mut seen = Vec::new();
        for_each_string(doc.root(), &mut |l| {
            seen.push((
                l.key_text(),
                l.value.as_str().unwrap().into_owned(),
                l.pointer(),
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
                ("c/d".into(), "e".into(), "/a~0b/c~1d".into()),
            ]
        );
    }
}

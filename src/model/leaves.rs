//! String leaves under a module's `mapper` or `parameters`, with the key that names each one.
//!
//! Make writes HTTP headers and query strings as `[{"name": "Authorization", "value": "..."}]`
//! (some modules as `{"key": ..., "value": ...}`), so a `value` member is named by its sibling
//! `name` (or `key`): rules looking for credentials need the header name, not the word "value".
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
    /// The `name` (or `key`) of a `{name, value}` pair: it names the value, it is not one.
    pub names_a_pair: bool,
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

    /// Whether the leaf sits under a member named `key` (e.g. inside `qs`), without
    /// building its pointer.
    pub fn is_under(&self, key: &str) -> bool {
        self.path
            .iter()
            .any(|seg| matches!(seg, Seg::Key(m) if m.key_eq(key)))
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

/// For a `{name, value}` (or `{key, value}`) pair: which member names it, and its value. One
/// pass over the members: this runs for every object of every mapper.
fn pair_naming<'d>(obj: Value<'d>) -> (Option<&'static str>, Option<Value<'d>>) {
    let (mut has_value, mut name, mut key) = (false, None, None);
    for m in obj.members() {
        if m.key_eq("value") {
            has_value = true;
        } else if m.key_eq("name") {
            name = Some(m.value);
        } else if m.key_eq("key") {
            key = Some(m.value);
        }
    }
    if !has_value {
        return (None, None);
    }
    let string = |v: Option<Value<'d>>| v.filter(|v| v.kind() == Kind::String);
    match (string(name), string(key)) {
        (Some(n), _) => (Some("name"), Some(n)),
        (None, Some(k)) => (Some("key"), Some(k)),
        (None, None) => (None, None),
    }
}

/// Calls `f` for every string under `root`, depth first, in document order.
pub fn for_each_string<'d>(root: Value<'d>, f: &mut dyn FnMut(&StringLeaf<'_, 'd>)) {
    struct Pending<'d> {
        value: Value<'d>,
        key: Option<Value<'d>>,
        names_a_pair: bool,
        /// Depth of its segment in `path`.
        depth: usize,
        seg: Option<Seg<'d>>,
    }
    let mut stack: Vec<Pending<'d>> = vec![Pending {
        value: root,
        key: None,
        names_a_pair: false,
        depth: 0,
        seg: None,
    }];
    let mut path: Vec<Seg<'d>> = Vec::new();
    while let Some(p) = stack.pop() {
        path.truncate(p.depth);
        if let Some(s) = p.seg {
            path.push(s);
        }
        let depth = path.len();
        match p.value.kind() {
            Kind::String => f(&StringLeaf {
                key: p.key,
                value: p.value,
                names_a_pair: p.names_a_pair,
                path: &path,
            }),
            Kind::Object => {
                let (pair_key, pair_name) = pair_naming(p.value);
                let start = stack.len();
                for m in p.value.all_members() {
                    let (name, names_a_pair) = match (pair_name, pair_key) {
                        (Some(n), _) if m.key_eq("value") => (n, false),
                        (Some(_), Some(k)) if m.key_eq(k) => (m.key, true),
                        _ => (m.key, false),
                    };
                    stack.push(Pending {
                        value: m.value,
                        key: Some(name),
                        names_a_pair,
                        depth,
                        seg: Some(Seg::Key(m)),
                    });
                }
                stack[start..].reverse();
            }
            Kind::Array => {
                let start = stack.len();
                for (i, e) in p.value.elements().enumerate() {
                    stack.push(Pending {
                        value: e,
                        key: p.key,
                        names_a_pair: false,
                        depth,
                        seg: Some(Seg::Index(i)),
                    });
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

    #[test]
    fn key_value_pairs_are_named_by_their_key_member() {
        let doc =
            crate::json::parse(r#"{"qs":[{"key":"token","value":"abc"}],"other":{"key":"k"}}"#)
                .unwrap();
        let mut seen = Vec::new();
        for_each_string(doc.root(), &mut |l| {
            seen.push((l.key_text(), l.names_a_pair, l.is_under("qs")))
        });
        assert_eq!(
            seen,
            [
                ("key".into(), true, true),
                ("token".into(), false, true),
                ("key".into(), false, false),
            ]
        );
    }
}

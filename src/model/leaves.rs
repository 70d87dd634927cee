//! String leaves under a module's `mapper` or `parameters`, with the key that names each one.
//!
//! Make writes HTTP headers and query strings as `[{"name": "Authorization", "value": "..."}]`
//! (some modules as `{"key": ..., "value": ...}`), so a `value` member is named by its sibling
//! `name` (or `key`): rules looking for credentials need the header name, not the word "value".
//!
//! The walk is on the hot path (every string of every mapper, for BP019 and BP020 each), so it
//! is a scan along the tape, which is in document order: a string node that is no key is a
//! leaf, the node before a member's value is its key, and the containers around the current
//! node are a small stack. Nothing is allocated per node; a leaf's key, its pair (looked at
//! only for members called `value`, `name` or `key`) and its pointer are worked out only when
//! a rule asks for them.

use crate::json::{Kind, Value, push_pointer_token};

/// A container around the current node of the scan.
struct Open<'d> {
    value: Value<'d>,
    end: u32,
    /// For an array: the name its strings take (its member key, or the name of its pair).
    key: Option<Value<'d>>,
}

/// Which member names a pair (`name` or `key`), and the naming string.
type Pair<'d> = (Option<&'static str>, Option<Value<'d>>);

pub struct StringLeaf<'a, 'd> {
    pub value: Value<'d>,
    /// The containers from the root handed to [`for_each_string`] down to the leaf's parent.
    open: &'a [Open<'d>],
    root: u32,
}

impl<'d> StringLeaf<'_, 'd> {
    /// The member key, or the sibling `name` for `{name, value}` pairs; `None` at the top.
    /// Worked out when asked (BP019 asks only for what it reports).
    pub fn key(&self) -> Option<Value<'d>> {
        name_of(self.open, self.value, self.root).0
    }

    /// [`StringLeaf::key`], and whether the leaf is the `name` (or `key`) of a `{name,
    /// value}` pair: it names the value, it is not one.
    pub fn key_and_pair(&self) -> (Option<Value<'d>>, bool) {
        name_of(self.open, self.value, self.root)
    }

    /// The key as text (empty at the top).
    pub fn key_text(&self) -> String {
        self.key()
            .and_then(|k| k.as_str())
            .map(|k| k.into_owned())
            .unwrap_or_default()
    }

    /// The nodes from below the root down to the leaf: each is reached from the one before by
    /// a member key or an array index.
    fn steps(&self) -> impl Iterator<Item = Value<'d>> + '_ {
        self.open
            .iter()
            .map(|o| o.value)
            .chain(std::iter::once(self.value))
            .filter(|v| v.index() != self.root)
    }

    /// The member key by which `v` (below the root) is reached, `None` for an array element.
    fn member_key(&self, v: Value<'d>) -> Option<Value<'d>> {
        let before = v.at(v.index() - 1);
        before.is_key().then_some(before)
    }

    /// Whether the leaf sits under a member named `key` (e.g. inside `qs`), without
    /// building its pointer.
    pub fn is_under(&self, key: &str) -> bool {
        self.steps()
            .any(|v| self.member_key(v).is_some_and(|k| k.str_eq(key)))
    }

    /// RFC 6901 pointer relative to the root handed to [`for_each_string`].
    pub fn pointer(&self) -> String {
        let mut p = String::new();
        let parents = self.open.iter().map(|o| o.value);
        for (parent, v) in parents.zip(self.steps()) {
            match self.member_key(v) {
                Some(k) => push_pointer_token(&mut p, &k.as_str().unwrap_or_default()),
                None => {
                    let i = parent
                        .elements()
                        .take_while(|e| e.index() != v.index())
                        .count();
                    p.push('/');
                    p.push_str(&i.to_string());
                }
            }
        }
        p
    }
}

/// For a `{name, value}` (or `{key, value}`) pair: which member names it, and its value. One
/// pass over the members: this runs for the leaves of members called `value`, `name` or `key`.
fn pair_naming<'d>(obj: Value<'d>) -> Pair<'d> {
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

/// The name a value takes and whether it names a pair, given the containers around it.
fn name_of<'d>(open: &[Open<'d>], v: Value<'d>, root: u32) -> (Option<Value<'d>>, bool) {
    let Some(parent) = open.last().filter(|_| v.index() != root) else {
        return (None, false);
    };
    if parent.value.kind() == Kind::Array {
        return (parent.key, false);
    }
    let member = v.at(v.index() - 1);
    // Only members called `value`, `name` or `key` (5 to 7 bytes with their quotes) take part
    // in a pair: the object's members are looked at for those alone.
    let raw = member.raw();
    let may_pair = member.span().len() <= 7 || raw.contains('\\');
    if !may_pair || !["value", "name", "key"].iter().any(|k| member.str_eq(k)) {
        return (Some(member), false);
    }
    let (pair_key, pair_name) = pair_naming(parent.value);
    match (pair_name, pair_key) {
        (Some(n), _) if member.str_eq("value") => (Some(n), false),
        (Some(_), Some(k)) if member.str_eq(k) => (Some(member), true),
        _ => (Some(member), false),
    }
}

/// Calls `f` for every string under `root`, depth first, in document order (shadowed
/// duplicate members too: a secret in an earlier one is still in the file).
pub fn for_each_string<'d>(root: Value<'d>, f: &mut dyn FnMut(&StringLeaf<'_, 'd>)) {
    let (first, end) = (root.index(), root.subtree_end());
    let mut open: Vec<Open<'d>> = Vec::new();
    for i in first..end {
        while open.last().is_some_and(|o| i >= o.end) {
            open.pop();
        }
        let v = root.at(i);
        match v.kind() {
            Kind::String if !v.is_key() || i == first => f(&StringLeaf {
                value: v,
                open: &open,
                root: first,
            }),
            Kind::Array => {
                let (key, _) = name_of(&open, v, first);
                open.push(Open {
                    value: v,
                    end: v.subtree_end(),
                    key,
                });
            }
            Kind::Object => open.push(Open {
                value: v,
                end: v.subtree_end(),
                key: None,
            }),
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
            seen.push((l.key_text(), l.key_and_pair().1, l.is_under("qs")))
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

    #[test]
    fn arrays_lend_their_name_and_pointers_count_elements() {
        let doc = crate::json::parse(
            r#"{"a":[["x",{"k":"y"}],"z"],"h":[{"name":"X-Key","value":["v0","v1"]}],"s":1}"#,
        )
        .unwrap();
        let mut seen = Vec::new();
        for_each_string(doc.root(), &mut |l| {
            seen.push((l.key_text(), l.pointer(), l.is_under("h")))
        });
        let expected = [
            ("a", "/a/0/0", false),
            ("k", "/a/0/1/k", false),
            ("a", "/a/1", false),
            ("name", "/h/0/name", true),
            ("X-Key", "/h/0/value/0", true),
            ("X-Key", "/h/0/value/1", true),
        ];
        let expected: Vec<(String, String, bool)> = expected
            .iter()
            .map(|(k, p, u)| (k.to_string(), p.to_string(), *u))
            .collect();
        assert_eq!(seen, expected);
        // A string root is its own leaf, with no key and an empty pointer.
        let doc = crate::json::parse(r#""top""#).unwrap();
        let mut n = 0;
        for_each_string(doc.root(), &mut |l| {
            assert_eq!((l.key_text(), l.pointer()), (String::new(), String::new()));
            n += 1;
        });
        assert_eq!(n, 1);
    }
}

//! Per-file conversions of tape subtrees to `serde_json::Value`, made at most once each.
//!
//! JSONPath queries run on `serde_json` values. A declarative rule asks for the subtree its
//! `given` leads to before the engine is needed (`$.mapper` of `$.mapper.headers[?…]`), so
//! only that is copied; a subtree inside one already copied (a module in a router whose copy
//! a module-scoped rule asked for first) is found in that copy by pointer instead of being
//! copied again, so nested modules are not copied once per module they nest in. The copies
//! kept are disjoint subtrees. The cache lives only as long as one file's check, on one
//! worker thread, so plain `RefCell`/`Rc` suffice.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::rc::Rc;

use super::{Value, push_pointer_token};

/// A converted subtree: the index just past it on the tape, and the copy.
type Entry = (u32, Rc<serde_json::Value>);

#[derive(Default)]
pub struct SerdeCache {
    /// By the tape index of the subtree's root; the subtrees are disjoint.
    values: RefCell<BTreeMap<u32, Entry>>,
    conversions: Cell<usize>,
}

impl SerdeCache {
    /// The subtree at `v` as a `serde_json::Value`, converted on first request.
    pub fn get(&self, v: Value<'_>) -> Rc<serde_json::Value> {
        let (copy, at) = self.get_within(v);
        if at.is_empty() {
            return copy;
        }
        match copy.pointer(&at) {
            Some(inner) => Rc::new(inner.clone()),
            None => self.convert(v),
        }
    }

    /// A copy holding the subtree at `v`, with the JSON pointer of `v` inside it: the copy of
    /// an enclosing subtree if one was made, else `v` converted (and kept).
    pub fn get_within(&self, v: Value<'_>) -> (Rc<serde_json::Value>, String) {
        let idx = v.index();
        let enclosing = self
            .values
            .borrow()
            .range(..=idx)
            .next_back()
            .filter(|(_, (end, _))| idx < *end)
            .map(|(&start, (_, copy))| (start, Rc::clone(copy)));
        if let Some((start, copy)) = enclosing {
            if let Some(at) = relative_pointer(v.doc.value(start), v) {
                return (copy, at);
            }
            // `v` sits in a member a later duplicate key shadows, which the copy (keeping
            // the last of duplicates, as the tape's reading does) does not hold: convert it
            // on its own, without keeping it, so the kept copies stay disjoint.
            return (self.convert(v), String::new());
        }
        let copy = self.convert(v);
        let end = v.node().subtree_end;
        let mut values = self.values.borrow_mut();
        // Copies inside this one are now found in it.
        let inside: Vec<u32> = values.range(idx..end).map(|(&k, _)| k).collect();
        for k in inside {
            values.remove(&k);
        }
        values.insert(idx, (end, Rc::clone(&copy)));
        (copy, String::new())
    }

    fn convert(&self, v: Value<'_>) -> Rc<serde_json::Value> {
        self.conversions.set(self.conversions.get() + 1);
        Rc::new(v.to_serde())
    }

    /// How many subtrees were converted (for tests and measurements).
    pub fn conversions(&self) -> usize {
        self.conversions.get()
    }
}

/// The pointer from `from` down to `to` (inside its subtree) through the members the tape
/// reads (the last of duplicate keys); `None` if the way passes a shadowed member.
fn relative_pointer(from: Value<'_>, to: Value<'_>) -> Option<String> {
    let target = to.index();
    let holds = |x: &Value<'_>| x.index() <= target && target < x.node().subtree_end;
    let mut cur = from;
    let mut at = String::new();
    while cur.index() != target {
        if cur.is_object() {
            let m = cur.members().find(|m| holds(&m.value))?;
            push_pointer_token(&mut at, &m.key_str());
            cur = m.value;
        } else {
            let (i, e) = cur.elements().enumerate().find(|(_, e)| holds(e))?;
            let _ = write!(at, "/{i}");
            cur = e;
        }
    }
    Some(at)
}

impl std::fmt::Debug for SerdeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SerdeCache({} values)", self.values.borrow().len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_subtrees_are_found_in_the_enclosing_copy() {
        let src = r#"{"a":{"b":[1,{"c~/":2}]},"d":{"e":3}}"#;
        let doc = crate::json::parse(src).unwrap();
        let cache = SerdeCache::default();
        let a = doc.root().get("a").unwrap();
        let b = a.get("b").unwrap();
        let c = b.elements().nth(1).unwrap().get("c~/").unwrap();
        // A subtree first, then one inside it: one conversion.
        let (copy, at) = cache.get_within(a);
        assert_eq!(
            (copy.to_string().as_str(), at.as_str()),
            (r#"{"b":[1,{"c~/":2}]}"#, "")
        );
        let (copy, at) = cache.get_within(c);
        assert_eq!(at, "/b/1/c~0~1");
        assert_eq!(copy.pointer(&at), Some(&serde_json::json!(2)));
        assert_eq!(cache.conversions(), 1);
        // An enclosing subtree replaces the copies inside it.
        let (_, at) = cache.get_within(doc.root());
        assert_eq!((at.as_str(), cache.conversions()), ("", 2));
        assert_eq!(cache.values.borrow().len(), 1);
        let d = doc.root().get("d").unwrap();
        assert_eq!(cache.get_within(d).1, "/d");
        assert_eq!(*cache.get(d), serde_json::json!({"e": 3}));
        assert_eq!(cache.conversions(), 2);
    }

    #[test]
    fn a_shadowed_member_is_converted_on_its_own() {
        let src = r#"{"a":{"x":1},"a":{"x":2}}"#;
        let doc = crate::json::parse(src).unwrap();
        let cache = SerdeCache::default();
        cache.get_within(doc.root());
        // The first `a`, which the tape's reading shadows, as its own copy.
        let first = doc.value(2);
        assert_eq!(first.raw(), r#"{"x":1}"#);
        let (copy, at) = cache.get_within(first);
        assert_eq!((&*copy, at.as_str()), (&serde_json::json!({"x": 1}), ""));
        assert_eq!(cache.conversions(), 2);
        assert_eq!(cache.values.borrow().len(), 1);
    }
}

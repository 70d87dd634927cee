//! Property: every span of the tape slices the source to exactly the value it claims.

use bplint::json::{Kind, Value as Node, parse};
use proptest::prelude::*;
use serde_json::Value;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        "[ -~é\u{1F600}\"\\\\\n\t]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_\"é]{0,6}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Checks `node` against `expected` and recurses, asserting every span re-parses to its value.
fn check(src: &str, node: Node<'_>, expected: &Value) {
    let text = &src[node.span().range()];
    assert_eq!(text, node.raw());
    let reparsed: Value = serde_json::from_str(text).expect("a span slices a whole JSON value");
    assert_eq!(&reparsed, expected);
    match (node.kind(), expected) {
        (Kind::Array, Value::Array(items)) => {
            let elems: Vec<_> = node.elements().collect();
            assert_eq!(elems.len(), items.len());
            for (e, x) in elems.into_iter().zip(items) {
                check(src, e, x);
            }
        }
        (Kind::Object, Value::Object(map)) => {
            let members: Vec<_> = node.members().collect();
            assert_eq!(members.len(), map.len());
            for m in members {
                let key = m.key_str();
                let k: String = serde_json::from_str(&src[m.key.span().range()]).unwrap();
                assert_eq!(k, key);
                check(src, m.value, &map[key.as_ref()]);
            }
        }
        (Kind::String, Value::String(s)) => assert_eq!(node.as_str().unwrap(), s.as_str()),
        _ => {}
    }
}

proptest! {
    #[test]
    fn spans_slice_exact_values(v in json_value(), pretty in any::<bool>(), bom in any::<bool>()) {
        let body = if pretty { serde_json::to_string_pretty(&v).unwrap() } else { serde_json::to_string(&v).unwrap() };
        let src = if bom { format!("\u{feff}{body}\n") } else { body };
        let doc = parse(&src).expect("serde_json output parses");
        // Compare with serde_json's reading of the same text (its float printing does not
        // always round-trip, which is not what this property is about).
        let expected: Value = serde_json::from_str(src.trim_start_matches('\u{feff}')).unwrap();
        prop_assert_eq!(expected.is_object(), v.is_object());
        check(&src, doc.root(), &expected);
    }

    #[test]
    fn arbitrary_text_never_panics(s in "[\\[\\]{}\",:0-9a-z .\\\\-]{0,64}") {
        let ours = parse(&s).is_ok();
        let theirs = serde_json::from_str::<serde::de::IgnoredAny>(&s).is_ok();
        prop_assert_eq!(ours, theirs, "validity disagrees on {:?}", s);
    }
}

//! Where a rule looks: the `given` JSONPath, and the way back from a match to the tape.
//!
//! Most `given` paths are a plain chain of names and indexes (`$.mapper.url`). Such a leading
//! chain is followed on the tape directly, so it needs no `serde_json` copy at all; only what
//! follows it (filters, wildcards, descendants) is handed to serde_json_path, evaluated as
//! `$` + that rest on a `serde_json` copy of only the subtree the chain reached (nothing is
//! copied when the chain leads nowhere). Copies are shared per file ([`SerdeCache`]): a
//! subtree inside one already copied is found in it, so a module nested in a router copied
//! for an earlier module is not copied again. Every match is mapped back to the tape by its
//! normalized path (the chain's, then the rest's), for its span.
//!
//! [`SerdeCache`]: crate::json::SerdeCache

use std::fmt::Write as _;
use std::rc::Rc;

use serde_json_path::{JsonPath, PathElement};

use crate::json::{Kind, Value, push_pointer_token};

/// One step of a normalized path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Name(String),
    Index(usize),
}

/// A compiled `given`.
#[derive(Debug)]
pub struct Given {
    /// The leading chain of names and indexes.
    prefix: Vec<Seg>,
    /// The rest of the query, evaluated from where `prefix` leads; `None` when the chain is
    /// the whole query.
    rest: Option<JsonPath>,
}

/// A value `given` selected: the tape node and its path from the evaluation root.
#[derive(Debug, Clone)]
pub struct Match<'d> {
    pub node: Value<'d>,
    pub path: Vec<Seg>,
}

impl Given {
    /// Compiles a query; the error carries the byte offset in `query` that serde_json_path
    /// reports.
    pub fn compile(query: &str) -> Result<Given, (usize, String)> {
        JsonPath::parse(query).map_err(|e| (e.position(), e.message().to_string()))?;
        let (prefix, rest) = split_static(query);
        let rest = if rest.trim().is_empty() {
            None
        } else {
            // Splitting after a whole segment leaves a valid query; should the parser ever
            // disagree, evaluating the whole query dynamically is still correct.
            match JsonPath::parse(&format!("${rest}")) {
                Ok(p) => Some(p),
                Err(_) => {
                    return Ok(Given {
                        prefix: Vec::new(),
                        rest: Some(JsonPath::parse(query).map_err(|e| (0, e.to_string()))?),
                    });
                }
            }
        };
        Ok(Given { prefix, rest })
    }

    /// The matches under `root`. `copy` gives, only if the query needs it, a `serde_json`
    /// copy holding the node the leading chain reached and the JSON pointer of that node
    /// inside the copy.
    pub fn matches<'d>(
        &self,
        root: Value<'d>,
        copy: &dyn Fn(Value<'d>) -> (Rc<serde_json::Value>, String),
    ) -> Vec<Match<'d>> {
        let Some(start) = follow(root, &self.prefix) else {
            return Vec::new();
        };
        let Some(rest) = &self.rest else {
            return vec![Match {
                node: start,
                path: self.prefix.clone(),
            }];
        };
        let (whole, at) = copy(start);
        let Some(start_copy) = whole.pointer(&at) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for located in rest.query_located(start_copy).iter() {
            let mut path = self.prefix.clone();
            path.extend(located.location().iter().map(|e| match e {
                PathElement::Name(n) => Seg::Name((*n).to_string()),
                PathElement::Index(i) => Seg::Index(*i),
            }));
            let tail = &path[self.prefix.len()..];
            // Every location came from a copy of this very subtree, so it exists on the tape.
            if let Some(node) = follow(start, tail) {
                out.push(Match { node, path });
            }
        }
        out
    }
}

/// Follows `path` from `v` on the tape.
pub fn follow<'d>(mut v: Value<'d>, path: &[Seg]) -> Option<Value<'d>> {
    for seg in path {
        v = step(v, seg)?;
    }
    Some(v)
}

pub fn step<'d>(v: Value<'d>, seg: &Seg) -> Option<Value<'d>> {
    match seg {
        // serde_json keeps the last of duplicate keys, so the match is that one too.
        Seg::Name(n) => v.members().filter(|m| m.key_eq(n)).last().map(|m| m.value),
        Seg::Index(i) => v.elements().nth(*i),
    }
}

/// A `field` (`a.b.0`) as steps from `v`: a number steps into an array, anything else names a
/// member.
pub fn field_steps(field: &[String], mut v: Option<Value<'_>>) -> Vec<Seg> {
    let mut out = Vec::with_capacity(field.len());
    for part in field {
        let seg = match (v.map(|x| x.kind()), part.parse::<usize>()) {
            (Some(Kind::Array), Ok(i)) => Seg::Index(i),
            _ => Seg::Name(part.clone()),
        };
        v = v.and_then(|x| step(x, &seg));
        out.push(seg);
    }
    out
}

/// The RFC 9535 normalized path (`$['mapper']['url']`).
pub fn normalized(path: &[Seg]) -> String {
    let mut s = String::from("$");
    for seg in path {
        match seg {
            Seg::Index(i) => {
                let _ = write!(s, "[{i}]");
            }
            Seg::Name(n) => {
                s.push_str("['");
                for c in n.chars() {
                    match c {
                        '\'' => s.push_str("\\'"),
                        '\\' => s.push_str("\\\\"),
                        '\u{8}' => s.push_str("\\b"),
                        '\u{c}' => s.push_str("\\f"),
                        '\n' => s.push_str("\\n"),
                        '\r' => s.push_str("\\r"),
                        '\t' => s.push_str("\\t"),
                        c if (c as u32) < 0x20 => {
                            let _ = write!(s, "\\u{:04x}", c as u32);
                        }
                        c => s.push(c),
                    }
                }
                s.push_str("']");
            }
        }
    }
    s
}

/// `base` extended by `path` as an RFC 6901 pointer.
pub fn pointer(base: &str, path: &[Seg]) -> String {
    let mut p = base.to_string();
    for seg in path {
        match seg {
            Seg::Name(n) => push_pointer_token(&mut p, n),
            Seg::Index(i) => {
                let _ = write!(p, "/{i}");
            }
        }
    }
    p
}

/// Splits a valid query into its leading chain of plain name and index segments and the text
/// that follows. Anything the chain parser is unsure of (escapes, blanks, negative indexes)
/// ends the chain: the rest then goes to serde_json_path, which is always right.
fn split_static(query: &str) -> (Vec<Seg>, &str) {
    let b = query.as_bytes();
    let mut segs = Vec::new();
    if b.first() != Some(&b'$') {
        return (segs, query.get(1..).unwrap_or(""));
    }
    let mut i = 1;
    loop {
        let rest = &query[i..];
        let (seg, len) = if let Some(name) = rest.strip_prefix('.') {
            match shorthand_len(name) {
                0 => break,
                n => (Seg::Name(name[..n].to_string()), 1 + n),
            }
        } else if let Some(inner) = rest.strip_prefix('[') {
            match bracketed(inner) {
                Some((seg, n)) => (seg, 1 + n),
                None => break,
            }
        } else {
            break;
        };
        segs.push(seg);
        i += len;
    }
    (segs, &query[i..])
}

/// Length of a member-name shorthand (RFC 9535 `name-first *name-char`), 0 if none.
fn shorthand_len(s: &str) -> usize {
    let mut n = 0;
    for (k, c) in s.char_indices() {
        let ok =
            c.is_ascii_alphabetic() || c == '_' || !c.is_ascii() || (k > 0 && c.is_ascii_digit());
        if !ok {
            break;
        }
        n = k + c.len_utf8();
    }
    n
}

/// `'name']`, `"name"]` without escapes, or `123]`; returns the segment and bytes consumed.
fn bracketed(s: &str) -> Option<(Seg, usize)> {
    let q = s.chars().next()?;
    if q == '\'' || q == '"' {
        let body = &s[1..];
        let end = body.find(q)?;
        let name = &body[..end];
        if name.contains('\\') || name.chars().any(|c| (c as u32) < 0x20) {
            return None;
        }
        if body[end + 1..].starts_with(']') {
            return Some((Seg::Name(name.to_string()), 1 + end + 2));
        }
        return None;
    }
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || (digits > 1 && s.starts_with('0')) || !s[digits..].starts_with(']') {
        return None;
    }
    let i: usize = s[..digits].parse().ok()?;
    Some((Seg::Index(i), digits + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(segs: &[Seg]) -> String {
        normalized(segs)
    }

    #[test]
    fn splits_the_static_chain() {
        for (q, prefix, rest) in [
            ("$", "$", ""),
            ("$.mapper.url", "$['mapper']['url']", ""),
            ("$['a b'][0].c", "$['a b'][0]['c']", ""),
            ("$[\"x\"][12]", "$['x'][12]", ""),
            ("$.onerror[0].module", "$['onerror'][0]['module']", ""),
            ("$.flow[*].module", "$['flow']", "[*].module"),
            ("$..module", "$", "..module"),
            ("$.a[?@.b == 1]", "$['a']", "[?@.b == 1]"),
            ("$.a[-1]", "$['a']", "[-1]"),
            ("$['a\\'b']", "$", "['a\\'b']"),
            ("$.a[0:2]", "$['a']", "[0:2]"),
            ("$.a['b','c']", "$['a']", "['b','c']"),
            ("$.é1", "$['é1']", ""),
            ("$ .a", "$", " .a"),
        ] {
            let (segs, r) = split_static(q);
            assert_eq!((names(&segs).as_str(), r), (prefix, rest), "{q}");
            Given::compile(q).unwrap_or_else(|e| panic!("{q}: {e:?}"));
        }
    }

    #[test]
    fn normalized_paths_escape_like_rfc_9535() {
        let p = [Seg::Name("a'b\\c\n\u{1}".into()), Seg::Index(3)];
        assert_eq!(normalized(&p), r"$['a\'b\\c\n\u0001'][3]");
        assert_eq!(pointer("/response", &p[1..]), "/response/3");
        assert_eq!(pointer("", &[Seg::Name("a/b~".into())]), "/a~1b~0");
    }

    #[test]
    fn bad_queries_report_a_position() {
        let (pos, msg) = Given::compile("$.a[?@.b ==]").unwrap_err();
        assert!(pos > 0, "{msg}");
    }

    /// The examples of RFC 9535 section 1.5 (Table 2) over its bookstore document: each match
    /// found on the tape holds the value serde_json_path returns for the same path.
    #[test]
    fn rfc_9535_examples_map_back_to_the_tape() {
        let src = r#"{ "store": {
            "book": [
              { "category": "reference", "author": "Nigel Rees",
                "title": "Sayings of the Century", "price": 8.95 },
              { "category": "fiction", "author": "Evelyn Waugh",
                "title": "Sword of Honour", "price": 12.99 },
              { "category": "fiction", "author": "Herman Melville",
                "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99 },
              { "category": "fiction", "author": "J. R. R. Tolkien",
                "title": "The Lord of the Rings", "isbn": "0-395-19395-8", "price": 22.99 }
            ],
            "bicycle": { "color": "red", "price": 399 } } }"#;
        let doc = crate::json::parse(src).unwrap();
        let whole: serde_json::Value = serde_json::from_str(src).unwrap();
        let cache = crate::json::SerdeCache::default();
        let copy = |v| cache.get_within(v);
        for (q, count) in [
            ("$.store.book[*].author", 4),
            ("$..author", 4),
            ("$.store.*", 2),
            ("$.store..price", 5),
            ("$..book[2]", 1),
            ("$..book[2].author", 1),
            ("$..book[2].publisher", 0),
            ("$..book[-1]", 1),
            ("$..book[0,1]", 2),
            ("$..book[:2]", 2),
            ("$..book[?@.isbn]", 2),
            ("$..book[?@.price<10]", 2),
            ("$..*", 27),
            ("$.store.bicycle.color", 1),
        ] {
            let given = Given::compile(q).unwrap();
            let found = given.matches(doc.root(), &copy);
            assert_eq!(found.len(), count, "{q}");
            let expected = JsonPath::parse(q).unwrap();
            let expected: Vec<_> = expected.query(&whole).all();
            for (m, want) in found.iter().zip(expected) {
                assert_eq!(&m.node.to_serde(), want, "{q} at {}", normalized(&m.path));
                assert_eq!(
                    follow(doc.root(), &m.path).map(|v| v.span()),
                    Some(m.node.span())
                );
            }
        }
        // `$.store.book[*].author` copied the books; `$..author` the document, which every
        // later query finds its subtree in.
        assert_eq!(cache.conversions(), 2);
        // From a subtree, a query sees that subtree only, in the same copy.
        let book = Given::compile("$[?@.isbn].title").unwrap();
        let store = doc.root().get("store").unwrap().get("book").unwrap();
        let titles: Vec<_> = book
            .matches(store, &copy)
            .iter()
            .map(|m| m.node.raw())
            .collect();
        assert_eq!(titles, ["\"Moby Dick\"", "\"The Lord of the Rings\""]);
        assert_eq!(cache.conversions(), 2);
    }

    /// A query split after its leading chain finds what the whole query finds on the whole
    /// document (same values, same paths), and copies only the subtree the chain reaches.
    #[test]
    fn only_the_subtree_the_chain_reaches_is_copied() {
        let src = r#"{"flow":[{"id":1,"mapper":{"headers":[{"name":"x","v":1},{"name":"y","v":2}]}},
            {"id":2,"mapper":{"headers":[{"name":"x","v":3}]},"routes":[{"flow":[{"id":3}]}]}],
          "a.b":{"c[0]":[{"x":1},{"x":2},{"y":3}],"it's":{"k":[{"x":1},{"x":2}]}},
          "metadata":{"big":[1,2,3,4,5,6,7,8,9]}}"#;
        let doc = crate::json::parse(src).unwrap();
        let whole: serde_json::Value = serde_json::from_str(src).unwrap();
        let raw = |p: &str| whole.pointer(p).unwrap().to_string();
        for (q, copied) in [
            // a filter after a chain of names and an index
            (
                "$.flow[0].mapper.headers[?@.name == 'x']",
                Some(raw("/flow/0/mapper/headers")),
            ),
            // a wildcard after a chain
            (
                "$.flow[1].mapper.headers[*].v",
                Some(raw("/flow/1/mapper/headers")),
            ),
            // a descendant segment after a chain
            ("$.flow[1]..id", Some(raw("/flow/1"))),
            // an index the chain parser leaves to the engine, and a slice
            ("$.flow[-1].id", Some(raw("/flow"))),
            ("$.flow[0:1].id", Some(raw("/flow"))),
            // quoted names holding dots, brackets and an escaped quote
            ("$['a.b']['c[0]'][?@.x]", Some(raw("/a.b/c[0]"))),
            ("$[\"a.b\"]['c[0]'][?@.x > 1].x", Some(raw("/a.b/c[0]"))),
            // an escaped quote ends the chain: the rest goes to the engine
            ("$['a.b']['it\\'s'].k[?@.x > 1]", Some(raw("/a.b"))),
            // an absent chain copies nothing
            ("$.nope.deeper[?@.x]", None),
            ("$.flow[7][*]", None),
            // a query starting with a descendant or a wildcard copies the whole document
            ("$..name", Some(whole.to_string())),
            ("$.*[0].id", Some(whole.to_string())),
        ] {
            let cache = crate::json::SerdeCache::default();
            let copies = std::cell::RefCell::new(Vec::new());
            let copy = |v: Value<'_>| {
                let (c, at) = cache.get_within(v);
                copies.borrow_mut().push(c.to_string());
                (c, at)
            };
            let found = Given::compile(q).unwrap().matches(doc.root(), &copy);
            let expected = JsonPath::parse(q).unwrap();
            let expected = expected.query_located(&whole);
            let want: Vec<_> = expected
                .iter()
                .map(|l| {
                    let segs: Vec<Seg> = l
                        .location()
                        .iter()
                        .map(|e| match e {
                            PathElement::Name(n) => Seg::Name((*n).to_string()),
                            PathElement::Index(i) => Seg::Index(*i),
                        })
                        .collect();
                    (normalized(&segs), l.node().clone())
                })
                .collect();
            let got: Vec<_> = found
                .iter()
                .map(|m| (normalized(&m.path), m.node.to_serde()))
                .collect();
            assert_eq!(got, want, "{q}");
            assert_eq!(want.is_empty(), copied.is_none(), "{q}");
            for m in &found {
                assert_eq!(
                    follow(doc.root(), &m.path).map(|v| v.span()),
                    Some(m.node.span())
                );
            }
            assert_eq!(cache.conversions(), usize::from(copied.is_some()), "{q}");
            assert_eq!(copies.into_inner(), Vec::from_iter(copied), "{q}");
        }
    }
}

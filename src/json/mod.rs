//! A spanned JSON document: one validating pass over the bytes builds a flat tape of nodes,
//! each carrying the byte range of its value in the source.
//!
//! Why our own parser: `serde_json::Value` carries no spans and allocates per node; findings
//! must point at exact byte ranges, and the tool has to keep pace with plain validation. The
//! tape is pre-order, so a container's children follow it and `subtree_end` jumps over them:
//! walking is index arithmetic and strings stay borrowed from the source until asked for.
//! The parser is iterative (an explicit stack), so no input can overflow the call stack, and
//! it refuses nesting deeper than [`MAX_DEPTH`] so that consumers may recurse safely.

mod cache;
mod parse;
mod swar;

use std::borrow::Cow;

pub use cache::SerdeCache;
pub use parse::{LINE_MARK, ParseError, ParseErrorKind, parse};

/// Deepest nesting of arrays and objects a document may have.
pub const MAX_DEPTH: usize = 512;

/// A byte range `[start, end)` in the source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "boolean",
            Kind::Number => "number",
            Kind::String => "string",
            Kind::Array => "array",
            Kind::Object => "object",
        }
    }
}

/// One tape entry. Object members are stored as a key node (a `String`) followed by the value's
/// subtree; `subtree_end` is the index just past this node's subtree.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    /// For strings: the raw text contains a backslash escape.
    pub(crate) escaped: bool,
    /// An object member's key: a string that is no value. Marked so that a scan along the
    /// tape tells keys from values without walking members (and a node after a key is that
    /// member's value).
    pub(crate) key: bool,
    pub(crate) start: u32,
    pub(crate) end: u32,
    pub(crate) subtree_end: u32,
}

/// A parsed document borrowing its source bytes.
pub struct Doc<'src> {
    src: &'src str,
    /// Where lines `LINE_MARK`, `2 * LINE_MARK`, ... (0-based) start: noted while parsing,
    /// so that finding a finding's line counts line breaks from the mark before it rather
    /// than from the top of the file.
    line_marks: Vec<u32>,
    nodes: Vec<Node>,
    /// Tape indexes of keys a later member of the same object repeats, sorted. Make reads
    /// blueprints with JavaScript's `JSON.parse`, which keeps the last of duplicate keys, so
    /// [`Value::members`] and [`Value::get`] skip these: what bplint checks is what Make runs.
    shadowed: Vec<u32>,
    /// Each repeated key with the one before it: (earlier key, later key), tape indexes.
    duplicates: Vec<(u32, u32)>,
}

impl<'src> Doc<'src> {
    pub fn source(&self) -> &'src str {
        self.src
    }

    pub fn root(&self) -> Value<'_> {
        Value { doc: self, idx: 0 }
    }

    /// The value at a tape index obtained from [`Value::index`].
    pub fn value(&self, index: u32) -> Value<'_> {
        Value {
            doc: self,
            idx: index,
        }
    }

    /// The offsets at which every [`LINE_MARK`]-th line starts (lines `LINE_MARK * (k + 1)`,
    /// 0-based, for `k` = 0, 1, ...).
    pub fn line_marks(&self) -> &[u32] {
        &self.line_marks
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Every key written again later in the same object: (earlier key, later key), as
    /// values whose spans are the keys' (quotes included), in document order.
    pub fn duplicate_keys(&self) -> impl Iterator<Item = (Value<'_>, Value<'_>)> {
        self.duplicates
            .iter()
            .map(|&(a, b)| (self.value(a), self.value(b)))
    }
}

/// A cheap handle on one node of a [`Doc`].
#[derive(Clone, Copy)]
pub struct Value<'d> {
    doc: &'d Doc<'d>,
    idx: u32,
}

impl std::fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{:?}", self.kind().name(), self.span())
    }
}

impl<'d> Value<'d> {
    fn node(&self) -> &'d Node {
        &self.doc.nodes[self.idx as usize]
    }

    pub fn kind(&self) -> Kind {
        self.node().kind
    }

    /// The tape index, to find this value again with [`Doc::value`].
    pub fn index(&self) -> u32 {
        self.idx
    }

    /// The tape index just past this value's subtree: the values inside it have the indexes
    /// between [`Value::index`] and this.
    pub(crate) fn subtree_end(&self) -> u32 {
        self.node().subtree_end
    }

    /// The node at another tape index of the same document (an index below
    /// [`Doc::node_count`]).
    pub(crate) fn at(&self, index: u32) -> Value<'d> {
        Value {
            doc: self.doc,
            idx: index,
        }
    }

    /// Whether this is a string whose decoded text is `text`, compared without allocating
    /// when it has no escapes.
    pub fn str_eq(&self, text: &str) -> bool {
        let n = self.node();
        if n.kind != Kind::String {
            return false;
        }
        let inner = &self.doc.src[n.start as usize + 1..n.end as usize - 1];
        if n.escaped {
            parse::unescape(inner) == text
        } else {
            inner == text
        }
    }

    /// Whether this node is an object member's key rather than a value.
    pub(crate) fn is_key(&self) -> bool {
        self.node().key
    }

    /// The value's byte range in the file (strings include their quotes).
    pub fn span(&self) -> Span {
        let n = self.node();
        Span {
            start: n.start,
            end: n.end,
        }
    }

    /// The exact source text of the value.
    pub fn raw(&self) -> &'d str {
        let n = self.node();
        &self.doc.src[n.start as usize..n.end as usize]
    }

    pub fn is_null(&self) -> bool {
        self.kind() == Kind::Null
    }

    pub fn as_bool(&self) -> Option<bool> {
        (self.kind() == Kind::Bool).then(|| self.raw() == "true")
    }

    /// The decoded text of a string value.
    pub fn as_str(&self) -> Option<Cow<'d, str>> {
        let n = self.node();
        if n.kind != Kind::String {
            return None;
        }
        let inner = &self.doc.src[n.start as usize + 1..n.end as usize - 1];
        if n.escaped {
            Some(Cow::Owned(parse::unescape(inner)))
        } else {
            Some(Cow::Borrowed(inner))
        }
    }

    /// A number that is an integer in the `i64` range, written without fraction or exponent.
    pub fn as_i64(&self) -> Option<i64> {
        if self.kind() != Kind::Number {
            return None;
        }
        self.raw().parse().ok()
    }

    pub fn as_f64(&self) -> Option<f64> {
        if self.kind() != Kind::Number {
            return None;
        }
        self.raw().parse().ok()
    }

    pub fn is_object(&self) -> bool {
        self.kind() == Kind::Object
    }

    pub fn is_array(&self) -> bool {
        self.kind() == Kind::Array
    }

    /// Members of an object, in source order; empty for other kinds. Of duplicate keys only
    /// the last member is seen (JavaScript's reading, and Make's).
    pub fn members(&self) -> Members<'d> {
        let n = self.node();
        let (next, end) = if n.kind == Kind::Object {
            (self.idx + 1, n.subtree_end)
        } else {
            (0, 0)
        };
        Members {
            doc: self.doc,
            next,
            end,
            skip_shadowed: !self.doc.shadowed.is_empty(),
        }
    }

    /// Elements of an array, in order; empty for other kinds.
    pub fn elements(&self) -> Elements<'d> {
        let n = self.node();
        let (next, end) = if n.kind == Kind::Array {
            (self.idx + 1, n.subtree_end)
        } else {
            (0, 0)
        };
        Elements {
            doc: self.doc,
            next,
            end,
        }
    }

    /// Members of an object in source order, duplicates included: for scans of the whole
    /// text (a secret in a shadowed member is still in the file).
    pub fn all_members(&self) -> Members<'d> {
        Members {
            skip_shadowed: false,
            ..self.members()
        }
    }

    /// The value of the member named `key`; of duplicates, the last, as Make reads it.
    pub fn get(&self, key: &str) -> Option<Value<'d>> {
        self.members().find(|m| m.key_eq(key)).map(|m| m.value)
    }

    pub fn get_str(&self, key: &str) -> Option<Cow<'d, str>> {
        self.get(key).and_then(|v| v.as_str())
    }

    pub fn to_serde(&self) -> serde_json::Value {
        // The tape was validated, so re-reading the raw slice cannot fail except on numbers
        // serde_json refuses (e.g. 1e400); those become null rather than a panic.
        serde_json::from_str(self.raw()).unwrap_or(serde_json::Value::Null)
    }
}

/// One object member: its key (with span) and value.
#[derive(Clone, Copy)]
pub struct Member<'d> {
    pub key: Value<'d>,
    pub value: Value<'d>,
}

impl<'d> Member<'d> {
    pub fn key_str(&self) -> Cow<'d, str> {
        self.key.as_str().unwrap_or_default()
    }

    /// Compares the decoded key without allocating when it has no escapes.
    pub fn key_eq(&self, key: &str) -> bool {
        self.key.str_eq(key)
    }
}

pub struct Members<'d> {
    doc: &'d Doc<'d>,
    next: u32,
    end: u32,
    /// Only documents with duplicate keys pay for the lookup.
    skip_shadowed: bool,
}

impl<'d> Iterator for Members<'d> {
    type Item = Member<'d>;
    fn next(&mut self) -> Option<Member<'d>> {
        loop {
            if self.next >= self.end {
                return None;
            }
            let key_idx = self.next;
            let value_idx = key_idx + 1;
            self.next = self.doc.nodes[value_idx as usize].subtree_end;
            if self.skip_shadowed && self.doc.shadowed.binary_search(&key_idx).is_ok() {
                continue;
            }
            return Some(Member {
                key: Value {
                    doc: self.doc,
                    idx: key_idx,
                },
                value: Value {
                    doc: self.doc,
                    idx: value_idx,
                },
            });
        }
    }
}

pub struct Elements<'d> {
    doc: &'d Doc<'d>,
    next: u32,
    end: u32,
}

impl<'d> Iterator for Elements<'d> {
    type Item = Value<'d>;
    fn next(&mut self) -> Option<Value<'d>> {
        if self.next >= self.end {
            return None;
        }
        let v = Value {
            doc: self.doc,
            idx: self.next,
        };
        self.next = self.doc.nodes[self.next as usize].subtree_end;
        Some(v)
    }
}

/// Appends one JSON-pointer token (RFC 6901) to `pointer`.
pub fn push_pointer_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

#[cfg(test)]
mod tests;

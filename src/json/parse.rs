//! The validating tape parser (RFC 8259, strict: no comments, no trailing commas).

use super::{Doc, Kind, MAX_DEPTH, Node, swar};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseErrorKind {
    Empty,
    UnexpectedEof,
    ExpectedValue,
    ExpectedKey,
    ExpectedColon,
    ExpectedCommaOrObjectEnd,
    ExpectedCommaOrArrayEnd,
    TrailingComma,
    ControlCharacterInString,
    InvalidEscape,
    InvalidNumber,
    InvalidLiteral,
    TrailingCharacters,
    TooDeep,
    TooLarge,
}

/// A syntax error at a byte offset of the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseError {
    pub kind: ParseErrorKind,
    pub offset: usize,
}

impl ParseError {
    pub fn message(&self) -> String {
        use ParseErrorKind::*;
        match self.kind {
            Empty => "the file is empty or holds only whitespace".into(),
            UnexpectedEof => "the file ends in the middle of a JSON value".into(),
            ExpectedValue => "expected a JSON value".into(),
            ExpectedKey => "expected an object key in double quotes".into(),
            ExpectedColon => "expected `:` after the object key".into(),
            ExpectedCommaOrObjectEnd => "expected `,` or `}`".into(),
            ExpectedCommaOrArrayEnd => "expected `,` or `]`".into(),
            TrailingComma => "trailing comma (JSON allows none)".into(),
            ControlCharacterInString => {
                "control character in a string (must be escaped, e.g. `\\n`)".into()
            }
            InvalidEscape => "invalid escape sequence in a string".into(),
            InvalidNumber => "invalid number".into(),
            InvalidLiteral => "invalid literal (expected `true`, `false` or `null`)".into(),
            TrailingCharacters => "unexpected characters after the JSON value".into(),
            TooDeep => format!("nesting deeper than {MAX_DEPTH} levels"),
            TooLarge => "the file is larger than 4 GiB and cannot be indexed".into(),
        }
    }

    /// A short label for the snippet.
    pub fn label(&self) -> &'static str {
        use ParseErrorKind::*;
        match self.kind {
            TrailingComma => "remove this comma",
            TooDeep => "nesting limit reached here",
            TrailingCharacters => "the document should end before this",
            UnexpectedEof | Empty => "input ends here",
            _ => "here",
        }
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte {}", self.message(), self.offset)
    }
}

impl std::error::Error for ParseError {}

const UTF8_BOM: &str = "\u{feff}";

/// Every how many lines the parser notes where a line starts ([`Doc::line_marks`]).
pub const LINE_MARK: u32 = 64;

/// Parses `src` (already valid UTF-8) into a spanned [`Doc`]. A leading UTF-8 BOM is skipped;
/// spans stay offsets into `src` as given.
pub fn parse(src: &str) -> Result<Doc<'_>, ParseError> {
    if src.len() >= u32::MAX as usize {
        return Err(ParseError {
            kind: ParseErrorKind::TooLarge,
            offset: 0,
        });
    }
    let start = if src.starts_with(UTF8_BOM) { 3 } else { 0 };
    let mut p = Parser {
        b: src.as_bytes(),
        pos: start,
        nodes: Vec::with_capacity(src.len() / 24 + 4),
        stack: Vec::with_capacity(32),
        lines: 0,
        line_marks: Vec::new(),
    };
    p.run()?;
    let (shadowed, duplicates) = duplicate_keys(src, &p.nodes);
    Ok(Doc {
        src,
        line_marks: p.line_marks,
        nodes: p.nodes,
        shadowed,
        duplicates,
    })
}

/// Finds keys repeated within one object: (shadowed keys sorted, (earlier, later) pairs in
/// document order). Keys compare by their decoded text, so `"mo\u0064ule"` repeats `"module"`.
/// One pass over the tape; objects of up to 16 members compare pairwise (cheaper than hashing
/// for the small objects blueprints are made of).
fn duplicate_keys(src: &str, nodes: &[Node]) -> (Vec<u32>, Vec<(u32, u32)>) {
    let mut shadowed = Vec::new();
    let mut pairs = Vec::new();
    let mut keys: Vec<u32> = Vec::new();
    let text = |i: u32| -> std::borrow::Cow<'_, str> {
        let n = &nodes[i as usize];
        let inner = &src[n.start as usize + 1..n.end as usize - 1];
        if n.escaped {
            std::borrow::Cow::Owned(unescape(inner))
        } else {
            std::borrow::Cow::Borrowed(inner)
        }
    };
    for (idx, node) in nodes.iter().enumerate() {
        if node.kind != Kind::Object || node.subtree_end as usize <= idx + 3 {
            continue;
        }
        keys.clear();
        let mut k = idx as u32 + 1;
        while k < node.subtree_end {
            keys.push(k);
            k = nodes[k as usize + 1].subtree_end;
        }
        if keys.len() < 2 {
            continue;
        }
        let any_escaped = keys.iter().any(|&k| nodes[k as usize].escaped);
        let same = |a: u32, b: u32| -> bool {
            let (na, nb) = (&nodes[a as usize], &nodes[b as usize]);
            if !any_escaped {
                return src.as_bytes()[na.start as usize..na.end as usize]
                    == src.as_bytes()[nb.start as usize..nb.end as usize];
            }
            text(a) == text(b)
        };
        if keys.len() <= 16 {
            for (i, &later) in keys.iter().enumerate().skip(1) {
                // The nearest earlier occurrence: chains a, b, c give (a, b) and (b, c).
                if let Some(&earlier) = keys[..i].iter().rev().find(|&&e| same(e, later)) {
                    shadowed.push(earlier);
                    pairs.push((earlier, later));
                }
            }
        } else {
            let mut last: std::collections::HashMap<std::borrow::Cow<'_, str>, u32> =
                std::collections::HashMap::with_capacity(keys.len());
            for &key in &keys {
                if let Some(earlier) = last.insert(text(key), key) {
                    shadowed.push(earlier);
                    pairs.push((earlier, key));
                }
            }
        }
    }
    shadowed.sort_unstable();
    (shadowed, pairs)
}

struct Parser<'a> {
    b: &'a [u8],
    pos: usize,
    nodes: Vec<Node>,
    /// Open containers: tape index and whether it is an object.
    stack: Vec<(u32, bool)>,
    /// Line breaks passed so far. JSON has them only between tokens, so the whitespace skip
    /// sees every one.
    lines: u32,
    /// [`Doc::line_marks`].
    line_marks: Vec<u32>,
}

type PResult<T> = Result<T, ParseError>;

impl Parser<'_> {
    fn err<T>(&self, kind: ParseErrorKind, offset: usize) -> PResult<T> {
        Err(ParseError { kind, offset })
    }

    #[inline(always)]
    fn skip_ws(&mut self) {
        // Pretty-printed exports are mostly indentation: runs of spaces or tabs are skipped
        // eight and 32 bytes at a time (`swar::run_end`), line breaks one by one.
        loop {
            match self.b.get(self.pos) {
                Some(&c @ (b' ' | b'\t')) => {
                    // `": "` has one space: not worth a word load.
                    if self.b.get(self.pos + 1).is_some_and(|&n| n != c) {
                        self.pos += 1;
                        continue;
                    }
                    self.pos = swar::run_end(self.b, self.pos, c);
                }
                Some(b'\n') => {
                    self.pos += 1;
                    self.lines += 1;
                    if self.lines % LINE_MARK == 0 {
                        self.line_marks.push(self.pos as u32);
                    }
                }
                Some(b'\r') => self.pos += 1,
                _ => return,
            }
        }
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn run(&mut self) -> PResult<()> {
        self.skip_ws();
        if self.pos >= self.b.len() {
            return self.err(ParseErrorKind::Empty, self.pos);
        }
        'value: loop {
            // A value is expected at `pos` (whitespace already skipped).
            let Some(c) = self.peek() else {
                return self.err(ParseErrorKind::UnexpectedEof, self.pos);
            };
            match c {
                b'{' | b'[' => {
                    if self.stack.len() >= MAX_DEPTH {
                        return self.err(ParseErrorKind::TooDeep, self.pos);
                    }
                    let is_obj = c == b'{';
                    let idx = self.nodes.len() as u32;
                    self.nodes.push(Node {
                        kind: if is_obj { Kind::Object } else { Kind::Array },
                        escaped: false,
                        key: false,
                        start: self.pos as u32,
                        end: 0,
                        subtree_end: 0,
                    });
                    self.stack.push((idx, is_obj));
                    self.pos += 1;
                    self.skip_ws();
                    let close = if is_obj { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.close_container();
                    } else if is_obj {
                        self.key_and_colon()?;
                        continue 'value;
                    } else {
                        continue 'value;
                    }
                }
                b'"' => self.string()?,
                b'-' | b'0'..=b'9' => self.number()?,
                b't' => self.literal(b"true", Kind::Bool)?,
                b'f' => self.literal(b"false", Kind::Bool)?,
                b'n' => self.literal(b"null", Kind::Null)?,
                _ => return self.err(ParseErrorKind::ExpectedValue, self.pos),
            }
            // A value is complete: close containers or move to the next element.
            loop {
                let Some(&(_, is_obj)) = self.stack.last() else {
                    self.skip_ws();
                    if self.pos != self.b.len() {
                        return self.err(ParseErrorKind::TrailingCharacters, self.pos);
                    }
                    return Ok(());
                };
                self.skip_ws();
                match self.peek() {
                    Some(b',') => {
                        let comma = self.pos;
                        self.pos += 1;
                        self.skip_ws();
                        let close = if is_obj { b'}' } else { b']' };
                        if self.peek() == Some(close) {
                            return self.err(ParseErrorKind::TrailingComma, comma);
                        }
                        if is_obj {
                            self.key_and_colon()?;
                        }
                        continue 'value;
                    }
                    Some(b'}') if is_obj => self.close_container(),
                    Some(b']') if !is_obj => self.close_container(),
                    None => return self.err(ParseErrorKind::UnexpectedEof, self.pos),
                    Some(_) => {
                        let kind = if is_obj {
                            ParseErrorKind::ExpectedCommaOrObjectEnd
                        } else {
                            ParseErrorKind::ExpectedCommaOrArrayEnd
                        };
                        return self.err(kind, self.pos);
                    }
                }
            }
        }
    }

    fn close_container(&mut self) {
        let (idx, _) = self
            .stack
            .pop()
            .expect("close_container with an open container");
        self.pos += 1;
        let end = self.nodes.len() as u32;
        let node = &mut self.nodes[idx as usize];
        node.end = self.pos as u32;
        node.subtree_end = end;
    }

    fn key_and_colon(&mut self) -> PResult<()> {
        match self.peek() {
            Some(b'"') => {
                self.string()?;
                if let Some(key) = self.nodes.last_mut() {
                    key.key = true;
                }
            }
            None => return self.err(ParseErrorKind::UnexpectedEof, self.pos),
            Some(_) => return self.err(ParseErrorKind::ExpectedKey, self.pos),
        }
        // Pretty-printed exports write `"key": value`: that shape is taken in one step.
        if let Some(&[b':', b' ', next]) = self.b.get(self.pos..self.pos + 3) {
            if !matches!(next, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 2;
                return Ok(());
            }
        }
        self.skip_ws();
        match self.peek() {
            Some(b':') => self.pos += 1,
            None => return self.err(ParseErrorKind::UnexpectedEof, self.pos),
            Some(_) => return self.err(ParseErrorKind::ExpectedColon, self.pos),
        }
        self.skip_ws();
        Ok(())
    }

    fn push_leaf(&mut self, kind: Kind, escaped: bool, start: usize) {
        let idx = self.nodes.len() as u32;
        self.nodes.push(Node {
            kind,
            escaped,
            key: false,
            start: start as u32,
            end: self.pos as u32,
            subtree_end: idx + 1,
        });
    }

    fn string(&mut self) -> PResult<()> {
        let start = self.pos;
        let mut i = self.pos + 1;
        let mut escaped = false;
        loop {
            // Find the next `"`, `\` or control byte: eight bytes per step (two words per
            // turn of the loop, each tested as soon as it is loaded: most strings are short
            // keys that end in the first word), then byte by byte over the file's last bytes.
            loop {
                let Some(w0) = swar::load(self.b, i) else {
                    i = self.plain_tail(i);
                    break;
                };
                let s0 = swar::string_special(w0);
                if s0 != 0 {
                    i += swar::first(s0);
                    break;
                }
                let Some(w1) = swar::load(self.b, i + 8) else {
                    i = self.plain_tail(i + 8);
                    break;
                };
                let s1 = swar::string_special(w1);
                if s1 != 0 {
                    i += 8 + swar::first(s1);
                    break;
                }
                i += 16;
            }
            match self.b.get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    self.push_leaf(Kind::String, escaped, start);
                    return Ok(());
                }
                Some(b'\\') => {}
                Some(_) => return self.err(ParseErrorKind::ControlCharacterInString, i),
                None => return self.err(ParseErrorKind::UnexpectedEof, self.b.len()),
            }
            escaped = true;
            match self.b.get(i + 1) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                Some(b'u') => {
                    let hex = self.b.get(i + 2..i + 6);
                    match hex {
                        Some(h) if h.iter().all(u8::is_ascii_hexdigit) => i += 6,
                        Some(_) => return self.err(ParseErrorKind::InvalidEscape, i),
                        None => return self.err(ParseErrorKind::UnexpectedEof, self.b.len()),
                    }
                }
                Some(_) => return self.err(ParseErrorKind::InvalidEscape, i),
                None => return self.err(ParseErrorKind::UnexpectedEof, self.b.len()),
            }
        }
    }

    /// The end of the plain string text from `i` in the last few bytes of the file, where no
    /// word can be loaded.
    #[inline(never)]
    fn plain_tail(&self, mut i: usize) -> usize {
        while self
            .b
            .get(i)
            .is_some_and(|&c| c != b'"' && c != b'\\' && c >= 0x20)
        {
            i += 1;
        }
        i
    }

    fn digits(&mut self) -> usize {
        let from = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - from
    }

    fn number(&mut self) -> PResult<()> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return self.err(ParseErrorKind::InvalidNumber, self.pos);
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return self.err(ParseErrorKind::InvalidNumber, self.pos),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return self.err(ParseErrorKind::InvalidNumber, self.pos);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return self.err(ParseErrorKind::InvalidNumber, self.pos);
            }
        }
        self.push_leaf(Kind::Number, false, start);
        Ok(())
    }

    fn literal(&mut self, word: &[u8], kind: Kind) -> PResult<()> {
        let start = self.pos;
        if self.b.get(start..start + word.len()) != Some(word) {
            return self.err(ParseErrorKind::InvalidLiteral, start);
        }
        self.pos += word.len();
        self.push_leaf(kind, false, start);
        Ok(())
    }
}

/// Decodes the inside of a JSON string literal that the parser has already validated. The
/// runs between escapes are copied whole (found by `memchr`), not char by char: prompts and
/// HTML bodies hold long runs between their `\n`s and `\"`s.
pub(crate) fn unescape(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    loop {
        let Some(at) = memchr::memchr(b'\\', rest.as_bytes()) else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..at]);
        // `\` is one byte, so `at + 1` is a character boundary.
        let after = &rest[at + 1..];
        let Some(c) = after.chars().next() else {
            return out;
        };
        let mut used = c.len_utf8();
        match c {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'u' => match hex4(after.get(1..5)) {
                Some(hi) if (0xD800..0xDC00).contains(&hi) => {
                    used = 5;
                    // A high surrogate must pair with a following `\uDC00..\uDFFF`.
                    let lo = hex4(after.get(7..11)).filter(|lo| (0xDC00..0xE000).contains(lo));
                    match lo {
                        Some(lo) if after.get(5..7) == Some("\\u") => {
                            used = 11;
                            let c = char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00));
                            out.push(c.unwrap_or('\u{FFFD}'));
                        }
                        _ => out.push('\u{FFFD}'),
                    }
                }
                Some(code) => {
                    used = 5;
                    out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                }
                None => out.push('\u{FFFD}'),
            },
            other => out.push(other),
        }
        rest = &after[used..];
    }
}

/// Four hex digits (and nothing else: `from_str_radix` would take a sign).
fn hex4(digits: Option<&str>) -> Option<u32> {
    let d = digits?;
    if !d.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(d, 16).ok()
}

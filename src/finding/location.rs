//! From byte spans to lines, columns and masked excerpts. Only the reporting side knows lines.

use crate::json::Span;

/// A 1-based line and column; columns count Unicode scalar values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// A slice of the source around a span, with secrets masked, kept so a finding can be rendered
/// after the file's bytes are gone.
#[derive(Debug, Clone, Default)]
pub struct Excerpt {
    pub text: String,
    /// Byte offset of `text` in the file.
    pub offset: u32,
    /// Position of the first character of `text`.
    pub start: Position,
}

#[derive(Debug, Clone, Default)]
pub struct Location {
    pub span: Span,
    pub start: Position,
    pub end: Position,
    pub excerpt: Excerpt,
}

/// Line starts of one file, plus the spans whose text must never leave the process.
pub struct SourceIndex<'a> {
    src: &'a str,
    line_starts: Vec<u32>,
    secrets: Vec<Span>,
    bom: bool,
    /// (byte offset, chars before it) every ~CHECKPOINT bytes, so a column on a long line
    /// costs at most CHECKPOINT bytes of counting: minified blueprints are one long line.
    checkpoints: Vec<(u32, u32)>,
}

const CHECKPOINT: usize = 4096;

/// How much text around a span an excerpt keeps, at most, on each side.
const CONTEXT_BYTES: usize = 200;
/// The most of a long span an excerpt keeps.
const MAX_SPAN_BYTES: usize = 600;

impl<'a> SourceIndex<'a> {
    pub fn new(src: &'a str, mut secrets: Vec<Span>) -> Self {
        let mut line_starts = vec![0u32];
        line_starts.extend(memchr::memchr_iter(b'\n', src.as_bytes()).map(|i| i as u32 + 1));
        secrets.sort_by_key(|s| s.start);
        let mut checkpoints = vec![(0u32, 0u32)];
        let (mut pos, mut chars) = (0usize, 0usize);
        while pos + CHECKPOINT < src.len() {
            let mut next = pos + CHECKPOINT;
            while !src.is_char_boundary(next) {
                next -= 1;
            }
            chars += src[pos..next].chars().count();
            pos = next;
            checkpoints.push((pos as u32, chars as u32));
        }
        SourceIndex {
            src,
            line_starts,
            secrets,
            bom: src.starts_with('\u{feff}'),
            checkpoints,
        }
    }

    fn floor_char(&self, mut i: usize) -> usize {
        i = i.min(self.src.len());
        while !self.src.is_char_boundary(i) {
            i -= 1;
        }
        i
    }

    fn chars_before(&self, offset: usize) -> usize {
        let k = self
            .checkpoints
            .partition_point(|&(b, _)| b as usize <= offset)
            - 1;
        let (b, c) = self.checkpoints[k];
        c as usize + self.src[b as usize..offset].chars().count()
    }

    fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s as usize <= offset) - 1
    }

    pub fn position(&self, offset: usize) -> Position {
        let offset = self.floor_char(offset);
        let line = self.line_of(offset);
        let start = self.line_starts[line] as usize;
        let mut column = if offset - start <= CHECKPOINT {
            self.src[start..offset].chars().count() as u32 + 1
        } else {
            (self.chars_before(offset) - self.chars_before(start)) as u32 + 1
        };
        if line == 0 && self.bom && offset > 0 {
            column -= 1;
        }
        Position {
            line: line as u32 + 1,
            column,
        }
    }

    fn line_bounds(&self, line: usize) -> (usize, usize) {
        let start = self.line_starts[line] as usize;
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(self.src.len(), |&s| s as usize - 1);
        (start, end)
    }

    /// Lines and columns only, for formats that show no snippet: findings then cost a few
    /// dozen bytes each instead of an excerpt.
    pub fn locate_bare(&self, span: Span) -> Location {
        let (s, e) = (
            span.start as usize,
            (span.end as usize).max(span.start as usize),
        );
        Location {
            span,
            start: self.position(s),
            end: self.position(e),
            excerpt: Excerpt::default(),
        }
    }

    pub fn locate(&self, span: Span) -> Location {
        let (s, e) = (
            span.start as usize,
            (span.end as usize).max(span.start as usize),
        );
        let first = self.line_of(self.floor_char(s));
        let last = self.line_of(self.floor_char(e.saturating_sub(1).max(s)));
        let from_line = self.line_bounds(first.saturating_sub(1)).0;
        let to_line = self
            .line_bounds((last + 1).min(self.line_starts.len() - 1))
            .1;
        let a = self.floor_char(from_line.max(s.saturating_sub(CONTEXT_BYTES)));
        let span_end = e.min(s + MAX_SPAN_BYTES);
        let mut b = self.floor_char(to_line.min(span_end + CONTEXT_BYTES).max(span_end));
        if b < a {
            b = a;
        }
        let mut text = self.src[a..b].to_string();
        self.mask(&mut text, a);
        // Secrets other rules quote (a URL's key, a token used as a placeholder) and control
        // characters of broken files: hidden and neutralized without moving a byte.
        crate::redact::clean_excerpt(&mut text);
        Location {
            span,
            start: self.position(s),
            end: self.position(e),
            excerpt: Excerpt {
                text,
                offset: a as u32,
                start: self.position(a),
            },
        }
    }

    /// Replaces every byte of a secret's text inside `text` (which starts at `base`) with `*`.
    fn mask(&self, text: &mut String, base: usize) {
        if self.secrets.is_empty() {
            return;
        }
        let end = base + text.len();
        let mut bytes = std::mem::take(text).into_bytes();
        for secret in &self.secrets {
            // Keep the quotes, hide what is between them.
            let (ss, se) = (
                secret.start as usize + 1,
                (secret.end as usize).saturating_sub(1),
            );
            let (from, to) = (ss.max(base), se.min(end));
            for b in bytes
                .iter_mut()
                .take(to.saturating_sub(base))
                .skip(from.saturating_sub(base))
            {
                *b = b'*';
            }
        }
        // Whole multi-byte characters are masked, or none of their bytes, except at the
        // excerpt's edges; lossy conversion keeps the text valid either way.
        *text = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    }
}

/// Line and column of a set of offsets, found in one forward sweep over the file: for formats
/// that print positions without snippets. Cheaper than a [`SourceIndex`], which records every
/// line start of the file: the sweep only counts newlines (a loop the compiler vectorizes) up
/// to the last offset asked for, and counts characters only from a line's start, or from the
/// previous offset on the same line, so a minified one-line file costs one pass too.
pub struct Positions {
    /// Offsets asked for (on character boundaries), sorted and distinct, with their positions.
    at: Vec<(u32, Position)>,
}

impl Positions {
    pub fn new(src: &str, offsets: Vec<u32>) -> Self {
        Self::with_marks(src, offsets, &[])
    }

    /// [`Positions::new`] with the parser's [`crate::json::Doc::line_marks`]: between two
    /// offsets far apart, counting resumes at the last mark before the later one.
    pub fn with_marks(src: &str, mut offsets: Vec<u32>, marks: &[u32]) -> Self {
        let floor_char = |mut i: usize| {
            i = i.min(src.len());
            while !src.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        for o in &mut offsets {
            *o = floor_char(*o as usize) as u32;
        }
        offsets.sort_unstable();
        offsets.dedup();
        let bytes = src.as_bytes();
        let bom = src.starts_with('\u{feff}');
        let mut at = Vec::with_capacity(offsets.len());
        // The previous offset, its line (0-based) and its column (1-based, BOM included).
        let (mut prev, mut line, mut column) = (0usize, 0usize, 1usize);
        let mut mark = 0;
        for o in offsets {
            let o = o as usize;
            while marks.get(mark).is_some_and(|&m| m as usize <= o) {
                mark += 1;
            }
            // The mark before `o`, if past `prev`, starts a line whose number is known.
            if let Some(&m) = mark.checked_sub(1).and_then(|k| marks.get(k)) {
                if m as usize > prev {
                    prev = m as usize;
                    line = mark * crate::json::LINE_MARK as usize;
                    column = 1;
                }
            }
            let between = &bytes[prev..o];
            match memchr::memrchr(b'\n', between) {
                Some(last) => {
                    line += count_newlines(between);
                    let line_start = prev + last + 1;
                    column = src[line_start..o].chars().count() + 1;
                }
                None => column += src[prev..o].chars().count(),
            }
            prev = o;
            let mut c = column as u32;
            if line == 0 && bom && o > 0 {
                c -= 1;
            }
            at.push((
                o as u32,
                Position {
                    line: line as u32 + 1,
                    column: c,
                },
            ));
        }
        Positions { at }
    }

    /// The position of an offset given to [`Positions::new`] (line 1, column 1 for others).
    pub fn position(&self, offset: u32) -> Position {
        let i = self.at.partition_point(|&(o, _)| o <= offset);
        match i.checked_sub(1).map(|i| self.at[i]) {
            Some((o, p)) if o == offset => p,
            // Offsets inside a multi-byte character were floored to its start.
            Some((_, p)) => p,
            None => Position { line: 1, column: 1 },
        }
    }

    /// Lines and columns of a span whose start and end were given to [`Positions::new`].
    pub fn locate_bare(&self, span: Span) -> Location {
        Location {
            span,
            start: self.position(span.start),
            end: self.position(span.end.max(span.start)),
            excerpt: Excerpt::default(),
        }
    }
}

/// Newlines in `b`: summed in byte-wide counters over blocks of 255 bytes (so no counter can
/// overflow), which the compiler turns into wide vector compares and adds.
fn count_newlines(b: &[u8]) -> usize {
    b.chunks(255)
        .map(|block| {
            block
                .iter()
                .fold(0u8, |n, &c| n.wrapping_add(u8::from(c == b'\n'))) as usize
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let src = "{\n  \"é\": 12,\n  \"b\": 3\n}";
        let idx = SourceIndex::new(src, vec![]);
        let at = src.find("12").unwrap();
        assert_eq!(idx.position(at), Position { line: 2, column: 8 });
        assert_eq!(idx.position(0), Position { line: 1, column: 1 });
    }

    #[test]
    fn bom_is_not_a_column() {
        let src = "\u{feff}{\"a\":1}";
        let idx = SourceIndex::new(src, vec![]);
        assert_eq!(idx.position(3), Position { line: 1, column: 1 });
    }

    #[test]
    fn excerpts_keep_context_and_mask_secrets() {
        let src = "{\n \"k\": \"xoxb-secret-value\",\n \"id\": 5\n}";
        let s = src.find("\"xoxb").unwrap();
        let secret = Span::new(s, s + "\"xoxb-secret-value\"".len());
        let idx = SourceIndex::new(src, vec![secret]);
        let id = src.find('5').unwrap();
        let loc = idx.locate(Span::new(id, id + 1));
        assert!(loc.excerpt.text.contains("\"id\": 5"));
        assert!(!loc.excerpt.text.contains("secret"), "{}", loc.excerpt.text);
        assert!(loc.excerpt.text.contains("\"*****************\""));
        assert_eq!(
            &src[loc.excerpt.offset as usize..][..loc.excerpt.text.len()].len(),
            &loc.excerpt.text.len()
        );
    }

    #[test]
    fn a_sweep_gives_the_positions_of_the_index() {
        let src = "\u{feff}{\"é\":\"日本\",\n  \"b\": [1,\r\n\n   2]}\nx";
        let idx = SourceIndex::new(src, vec![]);
        let every: Vec<u32> = (0..=src.len() as u32).rev().collect();
        let sweep = Positions::new(src, every.clone());
        for o in every {
            assert_eq!(sweep.position(o), idx.position(o as usize), "offset {o}");
        }
        let few = Positions::new(src, vec![40, 5]);
        assert_eq!(few.position(5), idx.position(5));
        assert_eq!(few.position(40), idx.position(40));
        let long = format!("{{\"a\":\"{}\",\"id\":7}}", "é".repeat(5_000));
        let at = long.find("7}").unwrap();
        let sweep = Positions::new(&long, vec![at as u32, 3]);
        let idx = SourceIndex::new(&long, vec![]);
        assert_eq!(sweep.position(at as u32), idx.position(at));
        assert_eq!(sweep.position(3), idx.position(3));
    }

    #[test]
    fn a_sweep_from_the_parsers_line_marks_agrees_with_the_index() {
        // Hundreds of lines, CRLF and LF, non-ASCII text, a BOM: every offset of every line.
        let mut src = String::from("\u{feff}[\n");
        for i in 0..700 {
            let eol = if i % 3 == 0 { "\r\n" } else { "\n" };
            src.push_str(&format!("  {{\"k{i}\": \"é{}\"}},{eol}", "x".repeat(i % 7)));
        }
        src.push_str("  0\n]\n");
        let doc = crate::json::parse(&src).expect("valid");
        assert!(doc.line_marks().len() >= 10, "{}", doc.line_marks().len());
        let idx = SourceIndex::new(&src, vec![]);
        let every: Vec<u32> = (0..=src.len() as u32).collect();
        let sweep = Positions::with_marks(&src, every.clone(), doc.line_marks());
        for o in every
            .iter()
            .copied()
            .filter(|&o| src.is_char_boundary(o as usize))
        {
            assert_eq!(sweep.position(o), idx.position(o as usize), "offset {o}");
        }
        // A few far-apart offsets, as findings give them.
        let few = vec![5, 9_000, 20_000, src.len() as u32 - 3];
        let sparse = Positions::with_marks(&src, few.clone(), doc.line_marks());
        for o in few {
            assert_eq!(sparse.position(o), idx.position(o as usize), "offset {o}");
        }
    }

    #[test]
    fn long_lines_are_windowed() {
        let src = format!("{{\"a\":\"{}\",\"id\":7}}", "x".repeat(100_000));
        let idx = SourceIndex::new(&src, vec![]);
        let at = src.find("7}").unwrap();
        let loc = idx.locate(Span::new(at, at + 1));
        assert!(loc.excerpt.text.len() <= 2 * CONTEXT_BYTES + 2);
        assert!(loc.excerpt.text.ends_with("7}"));
        assert_eq!(loc.start.column as usize, at + 1);
    }
}

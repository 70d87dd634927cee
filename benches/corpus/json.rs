//! The generator's JSON writer: escaping and layout under its control.

use std::fmt::Write as _;

use super::Indent;

/// A small streaming JSON writer that controls escaping and layout exactly.
pub(super) struct Json {
    pub(super) out: String,
    pub(super) indent: Indent,
    /// One entry per open container: whether it already holds an item.
    pub(super) open: Vec<bool>,
    pub(super) after_key: bool,
}

impl Json {
    pub(super) fn new(indent: Indent, capacity: usize) -> Self {
        Json {
            out: String::with_capacity(capacity),
            indent,
            open: Vec::new(),
            after_key: false,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.out.len()
    }

    pub(super) fn newline(&mut self) {
        let unit = match self.indent {
            Indent::Compact => return,
            Indent::Spaces4 => "    ",
            Indent::Spaces2 => "  ",
            Indent::Tabs => "\t",
        };
        self.out.push('\n');
        for _ in 0..self.open.len() {
            self.out.push_str(unit);
        }
    }

    /// Separator and line break before an array item (nothing after a key).
    pub(super) fn before_value(&mut self) {
        if self.after_key {
            self.after_key = false;
            return;
        }
        if let Some(has) = self.open.last_mut() {
            let had = *has;
            *has = true;
            if had {
                self.out.push(',');
            }
            self.newline();
        }
    }

    pub(super) fn key(&mut self, k: &str) {
        let has = self.open.last_mut().expect("key inside an object");
        let had = *has;
        *has = true;
        if had {
            self.out.push(',');
        }
        self.newline();
        self.escaped(k, false);
        self.out.push(':');
        if self.indent != Indent::Compact {
            self.out.push(' ');
        }
        self.after_key = true;
    }

    pub(super) fn begin(&mut self, c: char) {
        self.before_value();
        self.out.push(c);
        self.open.push(false);
    }

    pub(super) fn end(&mut self, c: char) {
        let had = self.open.pop().expect("end of an open container");
        if had {
            self.newline();
        }
        self.out.push(c);
    }

    pub(super) fn obj(&mut self) {
        self.begin('{');
    }
    pub(super) fn end_obj(&mut self) {
        self.end('}');
    }
    pub(super) fn arr(&mut self) {
        self.begin('[');
    }
    pub(super) fn end_arr(&mut self) {
        self.end(']');
    }

    pub(super) fn raw(&mut self, text: &str) {
        self.before_value();
        self.out.push_str(text);
    }

    pub(super) fn int(&mut self, n: i64) {
        self.before_value();
        write!(self.out, "{n}").unwrap();
    }

    pub(super) fn bool(&mut self, b: bool) {
        self.raw(if b { "true" } else { "false" });
    }

    pub(super) fn null(&mut self) {
        self.raw("null");
    }

    pub(super) fn str(&mut self, s: &str) {
        self.before_value();
        self.escaped(s, false);
    }

    /// A string whose non-ASCII characters are written as `\uXXXX` escapes (surrogate pairs
    /// above the BMP), as some tools do.
    pub(super) fn str_ascii(&mut self, s: &str) {
        self.before_value();
        self.escaped(s, true);
    }

    pub(super) fn escaped(&mut self, s: &str, ascii_only: bool) {
        self.out.push('"');
        for c in s.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\t' => self.out.push_str("\\t"),
                c if (c as u32) < 0x20 => write!(self.out, "\\u{:04x}", c as u32).unwrap(),
                c if ascii_only && !c.is_ascii() => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        write!(self.out, "\\u{:04x}", u).unwrap();
                    }
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }

    pub(super) fn field_str(&mut self, k: &str, v: &str) {
        self.key(k);
        self.str(v);
    }
    pub(super) fn field_int(&mut self, k: &str, v: i64) {
        self.key(k);
        self.int(v);
    }
    pub(super) fn field_bool(&mut self, k: &str, v: bool) {
        self.key(k);
        self.bool(v);
    }
}

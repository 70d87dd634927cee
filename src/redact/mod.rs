//! What leaves the process: every text taken from a file, a file name or an API answer passes
//! through here before any renderer, log line or error message prints it.
//!
//! Two steps, always in this order:
//! - [`mask`] hides secrets: the values registered at run time (the API token), well-known
//!   token shapes (the detector `hardcoded-secret` uses), URL userinfo and the values of
//!   sensitive query parameters. A message may quote a URL or a placeholder; it never quotes a
//!   credential.
//! - [`neutralize`] shows control characters, bidi overrides and the like escaped (`\n`,
//!   `\u{1b}`, `\u{202e}`), so a file cannot start a new line in a CI log (GitHub reads
//!   `::error ...` from any line of stdout or stderr), move the cursor, set a terminal title or
//!   reorder what a reviewer sees.
//!
//! [`clean`] does both. Source excerpts keep their byte length ([`mask_excerpt`],
//! [`neutralize_excerpt`]) so spans still line up with the text shown.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::{LazyLock, RwLock};

use regex::{Regex, RegexSet};

mod prefilter;
pub(crate) use prefilter::may_hold_token;

/// Well-known token formats: (description, pattern). Shared with `hardcoded-secret`.
pub const TOKEN_PATTERNS: &[(&str, &str)] = &[
    ("a Slack token", r"(?-u:\b)xox[abposre]-[0-9A-Za-z-]{10,}"),
    ("a GitHub token", r"(?-u:\b)gh[pousr]_[0-9A-Za-z]{30,}"),
    ("a GitHub token", r"(?-u:\b)github_pat_[0-9A-Za-z_]{22,}"),
    (
        "an OpenAI or Anthropic API key",
        r"(?-u:\b)sk-(?:proj-|ant-|svcacct-)?[0-9A-Za-z_-]{20,}",
    ),
    (
        "an AWS access key id",
        r"(?-u:\b)(?:AKIA|ASIA)[0-9A-Z]{16}(?-u:\b)",
    ),
    ("a Google API key", r"(?-u:\b)AIza[0-9A-Za-z_-]{35}"),
    (
        "a Stripe secret key",
        r"(?-u:\b)(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}",
    ),
    ("a GitLab token", r"(?-u:\b)glpat-[0-9A-Za-z_-]{20,}"),
    (
        "a JSON Web Token",
        r"(?-u:\b)eyJ[0-9A-Za-z_-]{10,}\.eyJ[0-9A-Za-z_-]{10,}\.[0-9A-Za-z_-]{10,}",
    ),
    (
        "a Telegram bot token",
        r"(?-u:\b)(?:bot)?[0-9]{6,12}:[0-9A-Za-z_-]{35}(?-u:\b)",
    ),
    (
        // The whole block, so that masking hides the key and not only its first line; a block
        // cut short (no END line) runs to the end of the text.
        "a private key",
        r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----(?s:.*?)(?:-----END [A-Z ]*PRIVATE KEY(?: BLOCK)?-----|\z)",
    ),
];

/// Which token shapes a text holds, for `hardcoded-secret` (index into [`TOKEN_PATTERNS`]).
pub static TOKEN_SET: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(TOKEN_PATTERNS.iter().map(|(_, p)| *p)).expect("token patterns compile")
});

/// Every shape to hide, as one regex: each alternative's *last* capture group, or the whole
/// match where it has none, is the part to hide.
static SHAPES: LazyLock<Regex> = LazyLock::new(|| {
    let tokens: Vec<String> = TOKEN_PATTERNS
        .iter()
        // `(?-x:...)`: the patterns are written for normal mode, and the spaces in them
        // (`BEGIN RSA PRIVATE KEY`) must not vanish in the verbose pattern around them.
        .map(|(_, p)| format!("(?-x:{p})"))
        .collect();
    let pattern = format!(
        r"(?x)
        # userinfo of a URL: scheme://USER:PASS@ or scheme://TOKEN@
        (?i:[a-z][a-z0-9+.-]*://(?P<userinfo>[^/\s@?\#'`]+)@)
        # values of sensitive query or form parameters
        | (?i:[?&;](?:[a-z0-9_.-]*[_-])?(?:api[_-]?key|apikey|key|token|access[_-]?token|auth[_-]?token
              |refresh[_-]?token|id[_-]?token|secret|client[_-]?secret|password|passwd|pwd|pass
              |awsaccesskeyid|signature|sig|x-amz-signature|x-amz-credential|x-amz-security-token
              |credential|session|sessionid|jwt|auth|code|private[_-]?key)
              =(?P<query>[^&\#\s'`{{][^&\#\s'`]*))
        # credentials after an auth scheme
        | (?i:\b(?:bearer|basic|token)\s+(?P<scheme>[A-Za-z0-9._~+/=-]{{8,}}))
        | {}",
        tokens.join("|")
    );
    Regex::new(&pattern).expect("secret shapes compile")
});

/// Values that must never be printed, registered when they enter the process (the API token).
static REGISTERED: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Registers a value to hide from every text [`mask`] sees from now on. Values shorter than
/// four characters are not registered: hiding them would mangle ordinary words.
pub fn register_secret(value: &str) {
    let value = value.trim();
    if value.len() < 4 {
        return;
    }
    if let Ok(mut list) = REGISTERED.write() {
        if !list.iter().any(|v| v == value) {
            list.push(value.to_string());
        }
    }
}

/// A writer that does what [`scrub_registered`] does to a whole text, for a report written
/// as it is rendered: the registered values (as they are when it is made) are replaced by
/// [`MASK`] in what passes through. Up to the longest value's length less one byte is held
/// back between writes, so a value split across two writes is still found.
pub struct ScrubWriter<W: std::io::Write> {
    inner: W,
    secrets: Vec<String>,
    pending: Vec<u8>,
}

impl<W: std::io::Write> ScrubWriter<W> {
    pub fn new(inner: W) -> Self {
        let secrets = REGISTERED.read().map(|l| l.clone()).unwrap_or_default();
        ScrubWriter {
            inner,
            secrets,
            pending: Vec::new(),
        }
    }

    /// Writes out what is pending but the bytes a value could still start in (all of it
    /// when `all`).
    fn drain(&mut self, all: bool) -> std::io::Result<()> {
        if self.secrets.is_empty() {
            self.inner.write_all(&self.pending)?;
            self.pending.clear();
            return Ok(());
        }
        for secret in &self.secrets {
            let finder = memchr::memmem::Finder::new(secret.as_bytes());
            if finder.find(&self.pending).is_none() {
                continue;
            }
            let mut out = Vec::with_capacity(self.pending.len());
            let mut at = 0;
            for hit in finder.find_iter(&self.pending) {
                out.extend_from_slice(&self.pending[at..hit]);
                out.extend_from_slice(MASK.as_bytes());
                at = hit + secret.len();
            }
            out.extend_from_slice(&self.pending[at..]);
            self.pending = out;
        }
        let longest = self.secrets.iter().map(String::len).max().unwrap_or(1);
        let keep = if all {
            0
        } else {
            (longest - 1).min(self.pending.len())
        };
        let cut = self.pending.len() - keep;
        self.inner.write_all(&self.pending[..cut])?;
        self.pending.drain(..cut);
        Ok(())
    }
}

impl<W: std::io::Write> std::io::Write for ScrubWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if self.pending.len() >= 1 << 16 {
            self.drain(false)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.drain(true)?;
        self.inner.flush()
    }
}

/// `text` with the registered values (the API token) replaced by [`MASK`], and nothing else
/// changed: for whole documents such as a snapshot, whose data must stay as it is.
pub fn scrub_registered(text: &str) -> Cow<'_, str> {
    let Ok(list) = REGISTERED.read() else {
        return Cow::Borrowed(text);
    };
    let mut out = Cow::Borrowed(text);
    for secret in list.iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), MASK));
        }
    }
    out
}

/// What [`mask`] puts in place of a secret.
pub const MASK: &str = "****";

/// Byte ranges of `text` that hold secrets, sorted and merged.
pub fn secret_ranges(text: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    if let Ok(list) = REGISTERED.read() {
        for secret in list.iter() {
            for (at, _) in text.match_indices(secret.as_str()) {
                ranges.push(at..at + secret.len());
            }
        }
    }
    // The shapes' regex searches the whole text; most texts (messages, pointers, names) can
    // hold none of them, which the prefilter tells from a few byte scans.
    let shapes = prefilter::may_hold_secret(text).then(|| SHAPES.captures_iter(text));
    for caps in shapes.into_iter().flatten() {
        let part = caps
            .name("userinfo")
            .or_else(|| caps.name("query"))
            .or_else(|| caps.name("scheme"))
            .or_else(|| caps.get(0));
        if let Some(m) = part {
            if !m.as_str().is_empty() {
                ranges.push(m.range());
            }
        }
    }
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// `text` with every secret replaced by [`MASK`].
pub fn mask(text: &str) -> Cow<'_, str> {
    let ranges = secret_ranges(text);
    if ranges.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in ranges {
        out.push_str(&text[at..r.start]);
        out.push_str(MASK);
        at = r.end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// Replaces every byte of every secret in `text` with `*`, keeping its length (excerpts: the
/// spans of labels must still fall on the same bytes).
pub fn mask_excerpt(text: &mut String) {
    let ranges = secret_ranges(text);
    if ranges.is_empty() {
        return;
    }
    let mut bytes = std::mem::take(text).into_bytes();
    for r in ranges {
        bytes[r].fill(b'*');
    }
    // Ranges start and end on character boundaries (regex matches do), so this stays UTF-8.
    *text = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
}

/// Characters that must not reach a terminal or a CI log as they are.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
            | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}')
        || is_noncharacter(c)
}

/// Unicode noncharacters (U+FDD0..U+FDEF and the last two of every plane): XML forbids U+FFFE
/// and U+FFFF, and none of them is text.
fn is_noncharacter(c: char) -> bool {
    let n = c as u32;
    (0xfdd0..=0xfdef).contains(&n) || (n & 0xfffe) == 0xfffe
}

/// `text` with every control character, bidi control and noncharacter shown escaped
/// (`\n`, `\t`, `\u{1b}`, `\u{202e}`).
pub fn neutralize(text: &str) -> Cow<'_, str> {
    // Printable ASCII is safe; only other text is looked at character by character.
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) || !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// Neutralizes a source excerpt without changing its length or its line structure: line feeds
/// and tabs stay (they are the excerpt's layout), every other unsafe character becomes as many
/// `?` as it has bytes.
pub fn neutralize_excerpt(text: &mut String) {
    if !text.chars().any(|c| c != '\n' && c != '\t' && is_unsafe(c)) {
        return;
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c != '\n' && c != '\t' && is_unsafe(c) {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    *text = out;
}

/// A whole file's text as an error snippet may show it: secrets masked and unsafe characters
/// replaced, byte for byte, so the error's spans still fit.
pub fn safe_source(text: &str) -> String {
    let mut text = text.to_string();
    clean_excerpt(&mut text);
    text
}

/// [`mask_excerpt`] then [`neutralize_excerpt`]: a slice of a file made safe to show, its
/// length and line structure kept.
pub fn clean_excerpt(text: &mut String) {
    mask_excerpt(text);
    neutralize_excerpt(text);
}

/// A block of text shown as it is laid out (rule docs, tables): line feeds and tabs kept,
/// every other unsafe character replaced. Nothing is masked: for documentation, not data.
pub fn safe_layout(text: &str) -> String {
    let mut text = text.to_string();
    neutralize_excerpt(&mut text);
    text
}

/// [`mask`] then [`neutralize`]: what every untrusted text gets before it is printed.
pub fn clean(text: &str) -> String {
    neutralize(&mask(text)).into_owned()
}

/// [`clean`] of a text owned already: kept as it is (no copy) when there is nothing to hide
/// or escape, as for most findings' messages.
pub fn clean_owned(text: String) -> String {
    if let Cow::Owned(masked) = mask(&text) {
        return neutralize(&masked).into_owned();
    }
    let escaped = match neutralize(&text) {
        Cow::Owned(escaped) => Some(escaped),
        Cow::Borrowed(_) => None,
    };
    escaped.unwrap_or(text)
}

/// [`clean_excerpt`] for multi-line text from a file that is printed as it is (a declarative
/// rule's docs): line breaks stay, and a line that would start with `::` (a GitHub workflow
/// command, even after indentation) starts with `\::` instead, which Markdown shows as `::`.
pub fn clean_markdown(text: &str) -> String {
    let mut text = text.to_string();
    clean_excerpt(&mut text);
    if !text.contains("::") {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 8);
    for line in text.split_inclusive('\n') {
        let body = line.trim_start();
        if body.starts_with("::") {
            out.push_str(&line[..line.len() - body.len()]);
            out.push('\\');
            out.push_str(body);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// [`clean`] of a rule's text: a `&'static str` is a literal of bplint's own source (no file
/// or answer can produce one), so it is kept as it is; text made at run time is cleaned.
pub fn clean_text(text: Cow<'static, str>) -> Cow<'static, str> {
    match text {
        Cow::Borrowed(literal) => Cow::Borrowed(literal),
        Cow::Owned(made) => Cow::Owned(clean_owned(made)),
    }
}

/// [`clean`] for optional text.
pub fn clean_opt(text: Option<String>) -> Option<String> {
    text.map(clean_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slack() -> String {
        concat!("xoxb-", "1234567890-abcdefghijkl").to_string()
    }

    #[test]
    fn masks_token_shapes_urls_and_query_values() {
        let cases = [
            (format!("placeholder {:?} quoted", slack()), slack()),
            (
                "http://api.x.io/v1?api_key=sk_live_abcdefghijklmnop1234".into(),
                "abcdefghijklmnop1234".into(),
            ),
            (
                "https://user:hunter2pass@host.example/path".into(),
                "hunter2pass".into(),
            ),
            (
                "https://s3.example/o?X-Amz-Signature=deadbeef99&AWSAccessKeyId=AKIDEXAMPLE".into(),
                "deadbeef99".into(),
            ),
            (
                "https://s3.example/o?AWSAccessKeyId=AKIDEXAMPLE1".into(),
                "AKIDEXAMPLE1".into(),
            ),
            (
                "call https://x.io/?token=abc123&sig=zzz999".into(),
                "abc123".into(),
            ),
            (
                "Authorization: Bearer abcdefghijk123".into(),
                "abcdefghijk123".into(),
            ),
            (
                concat!(
                    "https://api.telegram.org/bot123456789:",
                    "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawz",
                    "/send"
                )
                .into(),
                "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawz".into(),
            ),
        ];
        for (text, secret) in cases {
            let masked = mask(&text);
            assert!(!masked.contains(&secret), "{text} -> {masked}");
            assert!(masked.contains(MASK), "{masked}");
        }
    }

    #[test]
    fn masks_a_whole_private_key_block() {
        let key = concat!(
            "-----BEGIN RSA PRIVATE",
            " KEY-----\nMIIEowIBAAKCAQEAleakmebody\n-----END RSA PRIVATE KEY-----"
        );
        let text = format!("ca: {key} and after");
        let masked = mask(&text);
        assert_eq!(masked, "ca: **** and after");
        let cut = format!("{}\nMIIEleakme", &key[..31]);
        assert!(!mask(&cut).contains("leakme"), "{}", mask(&cut));
    }

    #[test]
    fn leaves_ordinary_text_and_iml_alone() {
        for text in [
            "module 3 (slack:CreateMessage) calls a plain http:// URL: http://example.com/x",
            "https://x.io/?key={{1.key}}",
            "connection value \"<CONN_01>\" is a placeholder",
        ] {
            assert_eq!(mask(text), text);
        }
    }

    #[test]
    fn registered_values_are_hidden() {
        register_secret("tok-registered-42");
        assert_eq!(mask("a tok-registered-42 b"), "a **** b");
    }

    #[test]
    fn excerpts_keep_their_length() {
        let mut text = format!("{{\"v\": {:?}, \"u\": \"https://a:b@h\"}}", slack());
        let before = text.len();
        mask_excerpt(&mut text);
        assert_eq!(text.len(), before);
        assert!(!text.contains("xoxb-1234"), "{text}");
        assert!(text.contains("https://***@h"), "{text}");
        let mut hostile = "a\u{1b}[2J\u{202e}b\r\nc".to_string();
        let before = hostile.len();
        neutralize_excerpt(&mut hostile);
        assert_eq!(hostile.len(), before);
        assert_eq!(hostile, "a?[2J???b?\nc");
    }

    #[test]
    fn neutralizes_controls_bidi_and_noncharacters() {
        assert_eq!(
            neutralize("a\nb\u{1b}]0;x\u{7}\u{202e}\u{9b}\u{fffe}"),
            "a\\nb\\u{1b}]0;x\\u{7}\\u{202e}\\u{9b}\\u{fffe}"
        );
        assert!(matches!(neutralize("plain é ü"), Cow::Borrowed(_)));
    }

    #[test]
    fn markdown_keeps_its_lines_and_loses_workflow_commands() {
        let text = "# Title\n\n  ::error file=x::boom\nok :: here\n\u{1b}[2J";
        assert_eq!(
            clean_markdown(text),
            "# Title\n\n  \\::error file=x::boom\nok :: here\n?[2J"
        );
    }

    #[test]
    fn the_scrubbing_writer_finds_values_split_across_writes() {
        use std::io::Write;
        register_secret("tok-SCRUBWRITER-1234567890");
        let text = "a tok-SCRUBWRITER-1234567890 b tok-SCRUBWRITER-1234567890";
        for split in 0..text.len() {
            let mut w = ScrubWriter::new(Vec::new());
            w.write_all(&text.as_bytes()[..split]).unwrap();
            // Force a drain in the middle, as a long report does.
            w.drain(false).unwrap();
            w.write_all(&text.as_bytes()[split..]).unwrap();
            w.flush().unwrap();
            assert_eq!(
                String::from_utf8(w.inner).unwrap(),
                "a **** b ****",
                "{split}"
            );
        }
    }
}

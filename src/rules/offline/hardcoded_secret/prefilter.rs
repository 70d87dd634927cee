//! Cheap tests that spare BP020 (and BP021, which reads the same scan) the regex engine and
//! the decoding of escaped strings wherever nothing can be found: they run on every string of
//! every mapper. Each is a necessary condition, so skipping on it never loses a finding.

use std::sync::LazyLock;

use regex::Regex;

use super::{QUERY_CREDENTIAL_KEY, is_authorization, is_credential_key};
use crate::redact::may_hold_token;

/// Whether BP020 and BP021 can find anything in a string whose raw text (between the quotes)
/// is `raw` and holds an escape, without decoding it: only named credentials, URLs with a
/// password or a query, JSON written in a string with a credential-like key, and token shapes
/// are reported. Escapes decode to one character each, and (but for `\u` below 0x80, which is
/// decoded) to characters outside the token alphabet and the words looked for, so what the
/// decoded text holds of those, the raw text holds too.
pub(super) fn worth_decoding(key: &str, raw: &str, in_query: bool) -> bool {
    if is_authorization(key)
        || is_credential_key(key)
        || (in_query && QUERY_CREDENTIAL_KEY.is_match(key.trim()))
    {
        return true;
    }
    let b = raw.as_bytes();
    let Some(escapes) = Escapes::of(b) else {
        return true;
    };
    let has = |c: u8| memchr::memchr(c, b).is_some();
    let url =
        (has_scheme_separator(raw) || (escapes.slash && has(b':'))) && (has(b'@') || has(b'='));
    let json = escapes.quote && has(b':') && CREDENTIAL_WORD.is_match(raw);
    url || json || (raw.len() >= 16 && may_hold_token(b))
}

/// Words every key of a credential holds (the endings of [`is_credential_key`], and
/// `authorization`): JSON written in a string can hold a credential only under one of them.
static CREDENTIAL_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)key|token|secret|pass|pwd|authorization").expect("word pattern compiles")
});

/// What the escapes of a raw string may decode to.
struct Escapes {
    /// `\"`: a quote, so JSON may be written in the string.
    quote: bool,
    /// `\/`: a slash, so `:\/\/` may be a URL's `://`.
    slash: bool,
}

impl Escapes {
    /// `None` when an escape is `\u` below 0x80 (any ASCII character: decode to be sure).
    /// Three substring searches over the raw text, not a look at each escape of a prompt:
    /// the second backslash of `\\` may be taken for an escape's start, which only makes
    /// the answer more cautious.
    fn of(raw: &[u8]) -> Option<Escapes> {
        use memchr::memmem::Finder;
        use std::sync::LazyLock;
        static ASCII_U: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\\u00"));
        static QUOTE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\\\""));
        static SLASH: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\\/"));
        let ascii = ASCII_U
            .find_iter(raw)
            .any(|i| raw.get(i + 4).is_some_and(|d| (b'0'..=b'7').contains(d)));
        if ascii {
            return None;
        }
        Some(Escapes {
            quote: QUOTE.find(raw).is_some(),
            slash: SLASH.find(raw).is_some(),
        })
    }
}

/// `text.contains("://")` with a searcher built once: `str::contains` sets up a two-way
/// search for every string of every mapper.
pub(super) fn has_scheme_separator(text: &str) -> bool {
    static FINDER: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new("://"));
    FINDER.find(text.as_bytes()).is_some()
}

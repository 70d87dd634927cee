//! Cheap tests that spare BP020 (and BP021, which reads the same scan) the regex engine and
//! the decoding of escaped strings wherever nothing can be found: they run on every string of
//! every mapper. Each is a necessary condition, so skipping on it never loses a finding.

use std::sync::LazyLock;

use regex::Regex;

use super::{QUERY_CREDENTIAL_KEY, is_authorization, is_credential_key};
pub(super) use crate::redact::may_hold_token;

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
    fn of(raw: &[u8]) -> Option<Escapes> {
        let mut e = Escapes {
            quote: false,
            slash: false,
        };
        // One vectorised search for every backslash (prompts hold one every few dozen
        // bytes); the second of `\\` starts no escape.
        let mut skip_to = 0;
        for i in memchr::memchr_iter(b'\\', raw) {
            if i < skip_to {
                continue;
            }
            let next = i + 1;
            skip_to = next + 1;
            match raw.get(next) {
                Some(b'"') => e.quote = true,
                Some(b'/') => e.slash = true,
                Some(b'u') => {
                    let hex = raw
                        .get(next + 1..next + 5)
                        .and_then(|h| std::str::from_utf8(h).ok())
                        .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()));
                    match hex.and_then(|h| u32::from_str_radix(h, 16).ok()) {
                        Some(code) if code >= 0x80 => {}
                        _ => return None,
                    }
                }
                _ => {}
            }
        }
        Some(e)
    }
}

/// `text.contains("://")` with a searcher built once: `str::contains` sets up a two-way
/// search for every string of every mapper.
pub(super) fn has_scheme_separator(text: &str) -> bool {
    static FINDER: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new("://"));
    FINDER.find(text.as_bytes()).is_some()
}

#[cfg(test)]
mod tests {}

//! Cheap tests that spare BP020 (and BP021, which reads the same scan) the regex engine and
//! the decoding of escaped strings wherever nothing can be found: they run on every string of
//! every mapper. Each is a necessary condition, so skipping on it never loses a finding.

use std::sync::LazyLock;

use regex::Regex;

use super::{QUERY_CREDENTIAL_KEY, is_authorization, is_credential_key};
#[cfg(doc)]
use crate::redact::TOKEN_PATTERNS;

/// Whether `text` may hold one of [`TOKEN_PATTERNS`]: each needs a run of at least
/// [`TOKEN_RUN`] bytes of `[0-9A-Za-z_-]` (the shortest, a JWT's `eyJ` and ten more), except
/// the private key, which starts with `-----BEGIN`. This rules out most prose and markup
/// before the token set's search, which must run to the end of the text; it runs on every
/// string of every mapper, so it classifies eight bytes at a time ([`token_bytes`]).
pub(super) fn may_hold_token(text: &[u8]) -> bool {
    let mut run = 0;
    let mut words = text.chunks_exact(8);
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let token = token_bytes(u64::from_le_bytes(bytes));
        if token == HIGH {
            run += 8;
            continue;
        }
        // Byte 0 is the lowest: the run goes on through the word's first token bytes, and a
        // new one starts with its last ones. A run of 13 spans at least two words, so
        // runs inside one word need no look.
        let other = !token & HIGH;
        if run + (other.trailing_zeros() / 8) as usize >= TOKEN_RUN {
            return true;
        }
        run = (other.leading_zeros() / 8) as usize;
    }
    if run >= TOKEN_RUN {
        return true;
    }
    for &b in words.remainder() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            run += 1;
        } else {
            run = 0;
        }
        if run >= TOKEN_RUN {
            return true;
        }
    }
    run >= TOKEN_RUN || memchr::memmem::find(text, b"-----BEGIN").is_some()
}

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `w` that is in `[0-9A-Za-z_-]`. Each test works on a byte's
/// low seven bits plus a constant below 0x80, so no byte carries into the next: `at_least(c)`
/// sets a byte's high bit when its low seven bits are `c` or more; bytes of 0x80 and above
/// are cleared at the end.
#[inline(always)]
fn token_bytes(w: u64) -> u64 {
    let low = w & LOW7;
    let at_least = |c: u8| (low + ONES * (0x80 - c as u64)) & HIGH;
    let equal = |c: u8| {
        let x = w ^ (ONES * c as u64);
        !(((x & LOW7) + LOW7) | x) & HIGH
    };
    let digit = at_least(b'0') & !at_least(b'9' + 1);
    let upper = at_least(b'A') & !at_least(b'Z' + 1);
    let lower = at_least(b'a') & !at_least(b'z' + 1);
    (digit | upper | lower | equal(b'_') | equal(b'-')) & !w
}

/// The shortest run of token bytes any of [`TOKEN_PATTERNS`] needs but the private key's.
const TOKEN_RUN: usize = 13;

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
        let mut at = 0;
        while let Some(i) = memchr::memchr(b'\\', &raw[at..]) {
            let next = at + i + 1;
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
            at = next + 1;
            if at >= raw.len() {
                break;
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
mod tests {
    #[test]
    fn the_token_prefilter_passes_every_token_shape() {
        let samples = [
            "xoxb-1234567890-abcdefghij",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "github_pat_11ABCDEFG0123456789_abcdefghijkl",
            "sk-proj-abcdefghijklmnopqrstuvwx",
            "AKIAABCDEFGHIJKLMNOP",
            "AIzaSyAbcdefghijklmnopqrstuvwxyz0123456",
            "sk_live_abcdefghijklmnop",
            "glpat-abcdefghijklmnopqrst",
            "eyJhbGciOiJIUz.eyJzdWIiOiIxMj.abcdefghijkl",
            "bot123456789:ABCdefGHIjklMNOpqrSTUvwxYZ012345678",
            "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----",
        ];
        for token in samples {
            let text = format!("see: {token} .");
            assert!(
                crate::redact::TOKEN_SET.is_match(&text),
                "the sample {token} is a token"
            );
            assert!(super::may_hold_token(text.as_bytes()), "{token}");
        }
        assert!(!super::may_hold_token(b"a short sentence, with words."));
        // Runs of every length at every offset, against a byte-by-byte count.
        for len in 0..40 {
            for at in 0..20 {
                for fill in [b' ', 0xc3, b'.'] {
                    let mut text = vec![fill; at];
                    text.extend(std::iter::repeat_n(b'a', len));
                    text.extend([fill, b'Z', fill]);
                    assert_eq!(
                        super::may_hold_token(&text),
                        len >= super::TOKEN_RUN,
                        "{len} {at}"
                    );
                }
            }
        }
        for b in 0..=255u8 {
            let w = u64::from_le_bytes([b; 8]);
            let token = b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
            assert_eq!(super::token_bytes(w) == super::HIGH, token, "{b:#x}");
            assert_eq!(super::token_bytes(w) == 0, !token, "{b:#x}");
        }
    }
}

//! Necessary conditions for a secret, checked before a regex searches a whole text: every
//! string of every mapper is looked at (BP020, BP021), and every text of every finding is
//! masked before it is printed ([`super::mask`]). Each test only rules out, so skipping on it
//! never loses a secret.

#[cfg(doc)]
use super::TOKEN_PATTERNS;

/// Whether `text` may hold one of [`TOKEN_PATTERNS`]: each needs a run of at least
/// [`TOKEN_RUN`] bytes of `[0-9A-Za-z_-]` (the shortest, a JWT's `eyJ` and ten more) that
/// starts with its literal prefix ([`TOKEN_STARTS`]) or, for a Telegram bot token, a digit
/// before a `:`; the private key starts with `-----BEGIN`. This rules out most prose, markup,
/// ids and URLs before the token set's search, which must run to the end of the text; it
/// runs on every string of every mapper, so the run is looked for first, eight bytes at a
/// time ([`token_bytes`]), and the prefixes in one vectorised search.
pub(crate) fn may_hold_token(text: &[u8]) -> bool {
    static STARTS: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::new(TOKEN_STARTS).expect("literal prefixes build")
        });
    // A token's literal start and its long tail are token bytes: both lie in one run, so
    // only the long runs are searched for a start. A Telegram token's tail is a run that
    // follows `<digit>:`.
    let token_in = |start: usize, end: usize| {
        STARTS.is_match(&text[start..end])
            || (start >= 2 && text[start - 1] == b':' && text[start - 2].is_ascii_digit())
    };
    long_runs(text, token_in) || memchr::memmem::find(text, b"-----BEGIN").is_some()
}

/// The literal start of every one of [`TOKEN_PATTERNS`] but the Telegram bot token's (digits
/// and a `:`) and the private key's.
const TOKEN_STARTS: &[&str] = &[
    "xox",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "sk-",
    "AKIA",
    "ASIA",
    "AIza",
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "rk_test_",
    "glpat-",
    "eyJ",
];

/// Whether `text` holds a run of at least [`TOKEN_RUN`] bytes of `[0-9A-Za-z_-]`.
#[cfg(test)]
fn has_token_run(text: &[u8]) -> bool {
    long_runs(text, |_, _| true)
}

/// Calls `f(start, end)` for each maximal run of at least [`TOKEN_RUN`] token bytes, in
/// order, until it returns true; whether one did. Eight bytes are classified at a time
/// ([`token_bytes`]): a word of token bytes only extends the run, and a mixed word ends it
/// at its first other byte and starts the next with its last token bytes (runs inside one
/// word are shorter than [`TOKEN_RUN`]).
fn long_runs(text: &[u8], mut f: impl FnMut(usize, usize) -> bool) -> bool {
    let mut start: Option<usize> = None;
    let mut base = 0;
    let mut words = text.chunks_exact(8);
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let token = token_bytes(u64::from_le_bytes(bytes));
        if token == HIGH {
            start.get_or_insert(base);
            base += 8;
            continue;
        }
        // Byte 0 is the lowest: the run goes on through the word's first token bytes.
        let other = !token & HIGH;
        let end = base + (other.trailing_zeros() / 8) as usize;
        if let Some(s) = start {
            if end - s >= TOKEN_RUN && f(s, end) {
                return true;
            }
        }
        let trailing = (other.leading_zeros() / 8) as usize;
        start = (trailing > 0).then_some(base + 8 - trailing);
        base += 8;
    }
    for (i, &b) in words.remainder().iter().enumerate() {
        let at = base + i;
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            start.get_or_insert(at);
        } else if let Some(s) = start.take() {
            if at - s >= TOKEN_RUN && f(s, at) {
                return true;
            }
        }
    }
    start.is_some_and(|s| text.len() - s >= TOKEN_RUN && f(s, text.len()))
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

/// Whether [`super::secret_ranges`]' shapes can match anywhere in `text`: a URL's userinfo
/// needs an `@`, a query value an `=`, a credential after an auth scheme one of its three
/// words (`(?i)` with Unicode folds `k` and `s` to non-ASCII letters: any non-ASCII byte lets
/// the regex decide), a token shape a run of token bytes or `-----BEGIN`.
pub(crate) fn may_hold_secret(text: &str) -> bool {
    let b = text.as_bytes();
    memchr::memchr2(b'@', b'=', b).is_some()
        || !text.is_ascii()
        || has_scheme_word(b)
        || may_hold_token(b)
}

/// `bearer`, `basic` or `token` in any ASCII case (one vectorised search for the three).
fn has_scheme_word(b: &[u8]) -> bool {
    static WORDS: std::sync::LazyLock<aho_corasick::AhoCorasick> = std::sync::LazyLock::new(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(["bearer", "basic", "token"])
            .expect("three literal words build")
    });
    WORDS.is_match(b)
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
        // Long ids and paths without a token's start are ruled out.
        assert!(!super::may_hold_token(
            b"1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"
        ));
        assert!(!super::may_hold_token(
            b"https://example.com/some_long_path_segment/x"
        ));
        // Runs of every length at every offset, against a byte-by-byte count.
        for len in 0..40 {
            for at in 0..20 {
                for fill in [b' ', 0xc3, b'.'] {
                    let mut text = vec![fill; at];
                    text.extend(std::iter::repeat_n(b'a', len));
                    text.extend([fill, b'Z', fill]);
                    assert_eq!(
                        super::has_token_run(&text),
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

    #[test]
    fn the_secret_prefilter_passes_every_shape() {
        let samples = [
            "https://user:pw@host/",
            "x?api_key=abc",
            "Bearer abcdefgh12",
            "BASIC abcdefgh12",
            "tOkEn abcdefgh12",
            "to\u{212a}en abcdefgh12",
            "xoxb-1234567890-abcdefghij",
            "-----BEGIN PRIVATE KEY-----",
        ];
        for text in samples {
            assert!(super::may_hold_secret(text), "{text}");
        }
        assert!(!super::may_hold_secret(
            "mapper field `text` of module 3 (Slack)"
        ));
        assert!(!super::may_hold_secret("/flow/3/mapper/text"));
        // Nothing the prefilter rules out is masked.
        for text in [
            "a plain message",
            "/flow/0/routes/1/flow/2",
            "field `x-api-key`",
        ] {
            assert!(!super::may_hold_secret(text));
            assert_eq!(
                super::super::secret_ranges(text),
                Vec::<std::ops::Range<usize>>::new()
            );
        }
    }

    #[test]
    fn the_token_prefilter_never_rules_out_a_token() {
        // Texts made of token samples, pieces of them and separators: wherever the token set
        // matches, the prefilter must let the text through.
        let pieces = [
            "xoxb-1234567890-abcdefghij",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "sk-proj-abcdefghijklmnopqrstuvwx",
            "AKIAABCDEFGHIJKLMNOP",
            "eyJhbGciOiJIUz.eyJzdWIiOiIxMj.abcdefghijkl",
            "123456789:ABCdefGHIjklMNOpqrSTUvwxYZ012345678",
            "glpat-abcdefghijklmnopqrst",
            "AIzaSyAbcdefghijklmnopqrstuvwxyz0123456",
            "sk_live_abcdefghijklmnop",
            "-",
            "_",
            " ",
            ":",
            ".",
            "abc",
            "1234567",
            "é",
            "xo",
            "bot",
            "-----BEGIN",
        ];
        let mut rng = fastrand::Rng::with_seed(11);
        for _ in 0..20_000 {
            let text: String = (0..rng.usize(1..6))
                .map(|_| {
                    let p = pieces[rng.usize(0..pieces.len())];
                    // Sometimes only part of a piece.
                    let cut = if rng.bool() {
                        p.len()
                    } else {
                        rng.usize(0..=p.len())
                    };
                    p.get(..cut).unwrap_or(p).to_string()
                })
                .collect();
            if crate::redact::TOKEN_SET.is_match(&text) {
                assert!(super::may_hold_token(text.as_bytes()), "{text:?}");
            }
        }
    }
}

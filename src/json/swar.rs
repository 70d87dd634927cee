//! SWAR ("SIMD within a register"): eight bytes at a time in a `u64`, portable and safe.
//!
//! Why: strings and indentation are most of a blueprint's bytes (81 % of the real exports
//! are indentation), and a byte loop spends a compare and a branch on each. Loaded as one
//! little-endian `u64`, eight bytes are tested together with a few integer operations; the
//! first interesting byte is `trailing_zeros / 8`. Every mask here is *exact* per byte (no
//! false positives from borrows between bytes), because each byte is computed from its low
//! seven bits, whose sum with a constant below 0x80 cannot carry into the next byte.

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The eight bytes at `at`, little-endian (byte `at` is the lowest), if there are eight.
#[inline(always)]
pub(super) fn load(b: &[u8], at: usize) -> Option<u64> {
    let bytes: [u8; 8] = b.get(at..at.wrapping_add(8))?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}

/// The high bit of each byte of `w` that is zero, and no other bit.
#[inline(always)]
fn zero_bytes(w: u64) -> u64 {
    !(((w & LOW7) + LOW7) | w) & HIGH
}

/// The high bit of each byte of `w` equal to `byte`.
#[inline(always)]
fn eq_bytes(w: u64, byte: u8) -> u64 {
    zero_bytes(w ^ (ONES * byte as u64))
}

/// The high bit of each byte of `w` below 0x20 (a control character, which a JSON string
/// must escape): bytes of 0x20..0x7f get their high bit from `+ 0x60`, bytes of 0x80 and
/// above from `| w`.
#[inline(always)]
fn control_bytes(w: u64) -> u64 {
    !(((w & LOW7) + ONES * 0x60) | w) & HIGH
}

/// The high bit of each byte of `w` that ends a plain run of string text: `"`, `\` or a
/// control character.
#[inline(always)]
pub(super) fn string_special(w: u64) -> u64 {
    eq_bytes(w, b'"') | eq_bytes(w, b'\\') | control_bytes(w)
}

/// Index of the first flagged byte of a non-zero mask.
#[inline(always)]
pub(super) fn first(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// The end of the run of `byte` starting at `at` (`at` itself when `b[at]` is another byte).
#[inline(always)]
pub(super) fn run_end(b: &[u8], mut at: usize, byte: u8) -> usize {
    let pattern = ONES * byte as u64;
    // Indentation runs are 2 to over 100 bytes, a different length on every line: a loop
    // over words would mispredict its exit on every line (that was most of the time spent on
    // whitespace). So 64 bytes are tested at once without a branch per word: which words
    // differ from the pattern is a byte of flags (the compiler makes it a vector compare),
    // its first set bit names the word, and that word's first differing byte ends the run.
    while let Some(Ok(block)) = b.get(at..at.wrapping_add(64)).map(<&[u8; 64]>::try_from) {
        let word = |k: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&block[k * 8..k * 8 + 8]);
            u64::from_le_bytes(w) ^ pattern
        };
        let mut differs = 0u32;
        for k in 0..8 {
            differs |= u32::from(word(k) != 0) << k;
        }
        if differs != 0 {
            let k = differs.trailing_zeros() as usize;
            return at + k * 8 + (word(k).trailing_zeros() / 8) as usize;
        }
        at += 64;
    }
    while let Some(w) = load(b, at) {
        let other = w ^ pattern;
        if other != 0 {
            // The lowest non-zero byte of `other` is the first byte that differs.
            return at + (other.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while b.get(at) == Some(&byte) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_special(b: u8) -> bool {
        b == b'"' || b == b'\\' || b < 0x20
    }

    #[test]
    fn masks_are_exact_for_every_byte_in_every_lane() {
        for v in 0..=255u8 {
            for lane in 0..8 {
                // The byte under test amid neighbours that are and are not special.
                for fill in [b'a', 0u8, b'"', 0xff, 0x1f, 0x20] {
                    let mut bytes = [fill; 8];
                    bytes[lane] = v;
                    let w = u64::from_le_bytes(bytes);
                    let m = string_special(w);
                    for (i, &b) in bytes.iter().enumerate() {
                        let flagged = m & (0x80 << (8 * i)) != 0;
                        assert_eq!(
                            flagged,
                            naive_special(b),
                            "byte {b:#x} lane {i} in {bytes:?}"
                        );
                    }
                    assert_eq!(m & !HIGH, 0);
                }
            }
        }
    }

    #[test]
    fn runs_end_at_the_first_other_byte() {
        for len in 0..200 {
            for tail in [&b""[..], b"x", b"xxxxxxxxxx", b" x"] {
                let mut s = vec![b' '; len];
                s.extend_from_slice(tail);
                let expect = s.iter().position(|&c| c != b' ').unwrap_or(s.len());
                assert_eq!(run_end(&s, 0, b' '), expect, "{len} {tail:?}");
                if len > 3 {
                    assert_eq!(run_end(&s, 3, b' '), expect);
                }
            }
        }
        assert_eq!(run_end(b"ab", 5, b' '), 5);
    }
}

//! Stable fingerprints of findings, and the file URIs they (and SARIF) use.

/// A relative URI reference for a displayed path: forward slashes, and every byte outside
/// RFC 3986 `pchar` (less `:`, which could read as a scheme) percent-encoded. Absolute paths
/// (and, on Windows, `C:/...` ones) become `file://` URIs.
pub fn uri_of(path: &str) -> String {
    let path = if cfg!(windows) {
        path.replace('\\', "/")
    } else {
        path.to_string()
    };
    let path = path.strip_prefix("./").unwrap_or(&path);
    let mut out = String::with_capacity(path.len());
    let bytes = path.as_bytes();
    let drive = cfg!(windows)
        && bytes.len() >= 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && bytes[2] == b'/';
    if path.starts_with('/') {
        out.push_str("file://");
    } else if drive {
        out.push_str("file:///");
    }
    for (i, &b) in bytes.iter().enumerate() {
        let keep = b.is_ascii_alphanumeric()
            || b"-._~!$&'()*+,;=@/".contains(&b)
            || (drive && i == 1 && b == b':');
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// FNV-1a, 64 bits: simple, stable across platforms and releases.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The message with each run of digits replaced by `0` and whitespace collapsed, so counts,
/// dates and ids that drift do not make a finding new.
fn normalize_message(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut in_digits = false;
    for word in message.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            if c.is_ascii_digit() {
                if !in_digits {
                    out.push('0');
                }
                in_digits = true;
            } else {
                out.push(c);
                in_digits = false;
            }
        }
        in_digits = false;
    }
    out
}

/// What a fingerprint is computed from: the parts of a finding that stay put when lines move.
pub struct FingerprintKey<'a> {
    pub code: &'a str,
    pub file: &'a str,
    pub pointer: Option<&'a str>,
    pub module_id: Option<i64>,
    pub message: &'a str,
}

/// The stable fingerprint of a finding: code, file, where in the blueprint, normalized message.
/// SARIF reports it as `partialFingerprints` and the baseline matches on it, so both agree.
pub fn fingerprint(d: FingerprintKey<'_>) -> String {
    let anchor = match (d.pointer, d.module_id) {
        (Some(p), _) => p.to_string(),
        (None, Some(id)) => format!("module:{id}"),
        (None, None) => String::new(),
    };
    let key = [
        d.code,
        &uri_of(d.file),
        &anchor,
        &normalize_message(d.message),
    ]
    .join("\u{1f}");
    format!("{:016x}", fnv1a64(key.as_bytes()))
}

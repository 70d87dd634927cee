use std::sync::LazyLock;

use regex::Regex;

use crate::declare_rule;
use crate::finding::Finding;
use crate::model::Module;
use crate::model::leaves::for_each_string;
use crate::redact::{TOKEN_PATTERNS, TOKEN_SET};
use crate::rules::{Context, Rule};

declare_rule! {
    /// ## What it does
    /// Reports credentials pasted into a module's `mapper` or `parameters`: `Authorization`
    /// headers with a literal `Bearer`/`Basic`/`Token` value, fields named like `api_key`,
    /// `password`, `client_secret` or `token` holding a literal, `api_key=` in URLs, and
    /// well-known token formats anywhere (Slack `xoxb-`, GitHub `ghp_`/`github_pat_`, OpenAI and
    /// Anthropic `sk-`, AWS `AKIA`, Google `AIza`, Stripe `sk_live_`, GitLab `glpat-`, JWTs,
    /// private keys). Values built from IML (`Bearer {{1.token}}`) are not reported.
    ///
    /// The finding never shows the value: messages name only the kind of secret, and the
    /// snippet masks it in every output format.
    ///
    /// ## Why is this bad?
    /// Blueprints are shared, committed and pasted into tickets; a credential in one is a leaked
    /// credential. Make connections and keychains store secrets encrypted and out of exports.
    ///
    /// ## Example
    /// ```json
    /// { "module": "http:ActionSendData",
    ///   "mapper": { "headers": [ { "name": "Authorization", "value": "Bearer sk-live-abc..." } ] } }
    /// ```
    ///
    /// ## Use instead
    /// Use an app connection, `http:ActionSendDataAPIKeyAuth` with a keychain, or map the value
    /// from a scenario input:
    /// ```json
    /// { "mapper": { "headers": [ { "name": "Authorization", "value": "Bearer {{var.input.token}}" } ] } }
    /// ```
    pub struct HardcodedSecret {
        code: "BP020",
        name: "hardcoded-secret",
        severity: Error,
        kind: Offline,
        summary: "a credential is pasted into a mapper or parameter",
    }
}

static SENSITIVE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:x-)?(?:api[_-]?key|apikey|api[_-]?token|access[_-]?token|auth[_-]?token|bearer[_-]?token|token|secret|client[_-]?secret|secret[_-]?key|password|passwd|pwd|private[_-]?key|x-auth-token)$")
        .expect("key pattern compiles")
});

static AUTH_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:bearer|basic|token)\s+([^\s]{8,})\s*$").expect("auth pattern compiles")
});

static URL_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)[?&](?:api[_-]?key|apikey|access_token|auth_token|token|key|secret)=([^&#\s{]{12,})",
    )
    .expect("url pattern compiles")
});

/// Text that only stands in for a value: placeholders and samples, never real credentials.
fn looks_like_placeholder(v: &str) -> bool {
    let t = v.trim();
    let lower = t.to_ascii_lowercase();
    t.contains("{{")
        || (t.starts_with('<') && t.ends_with('>'))
        || lower.contains("your")
        || lower.contains("placeholder")
        || lower.contains("example")
        || lower.contains("changeme")
        || lower.contains("redacted")
        || t.chars()
            .all(|c| c == '*' || c == 'x' || c == 'X' || c == '.' || c == '-')
}

/// What kind of secret `leaf` holds, if any.
fn classify(key: &str, text: &str) -> Option<&'static str> {
    if text.len() >= 16 {
        if let Some(i) = TOKEN_SET.matches(text).iter().next() {
            return Some(TOKEN_PATTERNS[i].0);
        }
    }
    let key = key.trim();
    if key.eq_ignore_ascii_case("authorization") || key.eq_ignore_ascii_case("proxy-authorization")
    {
        if let Some(c) = AUTH_VALUE.captures(text) {
            if !looks_like_placeholder(&c[1]) {
                return Some("a literal Authorization header");
            }
        }
        return None;
    }
    if SENSITIVE_KEY.is_match(key)
        && text.trim().len() >= 8
        && !looks_like_placeholder(text)
        && !text.contains(char::is_whitespace)
    {
        return Some("a literal credential field");
    }
    if text.contains("://") {
        if let Some(c) = URL_KEY.captures(text) {
            if !looks_like_placeholder(&c[1]) {
                return Some("a credential in a URL query string");
            }
        }
    }
    None
}

impl Rule for HardcodedSecret {
    fn check_module(&self, cx: &Context<'_>, m: &Module, out: &mut Vec<Finding>) {
        let obj = cx.doc.value(m.node);
        // Every `mapper` and `parameters` member, shadowed duplicates too: Make runs the last,
        // but a secret in an earlier one is still in the file.
        let sections = obj.all_members().filter_map(|m| {
            ["mapper", "parameters"]
                .into_iter()
                .find(|s| m.key_eq(s))
                .map(|s| (s, m.value))
        });
        for (section, root) in sections {
            for_each_string(root, &mut |leaf| {
                // Work on the raw text: nothing shorter than 8 bytes is a credential, and only
                // strings with escapes need decoding (most mapper strings have none).
                let raw = leaf.value.raw();
                let inner = &raw[1..raw.len() - 1];
                if inner.len() < 8 {
                    return;
                }
                let text = if inner.contains('\\') {
                    leaf.value.as_str().unwrap_or_default()
                } else {
                    std::borrow::Cow::Borrowed(inner)
                };
                let key = leaf.key.and_then(|k| k.as_str()).unwrap_or_default();
                let Some(what) = classify(&key, &text) else {
                    return;
                };
                let span = leaf.value.span();
                let field = if key.is_empty() {
                    section.to_string()
                } else {
                    format!("{section} field `{}`", crate::model::truncate(&key, 40))
                };
                out.push(
                    Finding::new(&Self::META, span, format!("{what} is hardcoded in {field}"))
                        .label("secret (masked)")
                        .help("store credentials in a Make connection or keychain, or map them from a scenario input; then rotate this one")
                        .pointer(format!("{}/{section}{}", m.pointer, leaf.pointer()))
                        .module(m)
                        .secret(span),
                );
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn fires_on_headers_keys_urls_and_token_formats() {
        let src = blueprint(&format!(
            r#"{{"id":1,"module":"http:ActionSendData","mapper":{{"url":"https://api.x.io/v1?api_key=abcdef1234567890","headers":[{{"name":"Authorization","value":"Bearer abcdef123456"}}],"body":"token {}"}}}},{{"id":2,"module":"a:b","parameters":{{"password":"hunter2hunter2"}},"mapper":{{"text":"{}"}}}}"#,
            concat!("xoxb-", "1234567890-abcdefghij"),
            concat!("AKIA", "ABCDEFGHIJKLMNOP"),
        ));
        let f = run(&super::HardcodedSecret, &src);
        let messages: Vec<_> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(f.len(), 5, "{messages:?}");
        assert!(f.iter().all(|f| f.secret == Some(f.span)));
        for m in &messages {
            assert!(
                !m.contains("abcdef") && !m.contains("hunter2") && !m.contains("xoxb"),
                "{m}"
            );
        }
        assert_eq!(
            f[1].pointer.as_deref(),
            Some("/flow/0/mapper/headers/0/value")
        );
    }

    #[test]
    fn quiet_on_mapped_values_and_placeholders() {
        let src = blueprint(
            r#"{"id":1,"module":"http:ActionSendData","mapper":{"headers":[{"name":"Authorization","value":"Bearer {{1.token}}"}],"api_key":"YOUR_API_KEY","password":"{{var.input.pw}}","token":"short","text":"The sk- prefix is for keys","url":"https://x.io/?key={{1.k}}"}}"#,
        );
        let f = run(&super::HardcodedSecret, &src);
        assert!(
            f.is_empty(),
            "{:?}",
            f.iter().map(|f| &f.message).collect::<Vec<_>>()
        );
    }
}

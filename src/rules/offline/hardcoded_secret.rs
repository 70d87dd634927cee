use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::LazyLock;

use regex::Regex;

use crate::declare_rule;
use crate::finding::Finding;
use crate::json::Span;
use crate::model::Module;
use crate::model::leaves::for_each_string;
use crate::redact::{TOKEN_PATTERNS, TOKEN_SET, may_hold_token};
use crate::rules::{Context, Rule};

mod prefilter;
use prefilter::{has_scheme_separator, worth_decoding};

declare_rule! {
    /// ## What it does
    /// Reports credentials pasted into a module's `mapper` or `parameters`:
    ///
    /// * `Authorization` headers with a literal value (`Bearer`/`Basic`/`Token ...`, or a bare
    ///   token);
    /// * fields, headers, query items and variables named like a credential holding a literal:
    ///   `api_key`, `x-api-key`, `password`, `client_secret`, `token`, `authPass` (the HTTP
    ///   modules' basic-auth password), `API KEY` (`util:SetVariables` names with spaces),
    ///   `github_token`; `{name, value}` and `{key, value}` pairs are named by their `name` or
    ///   `key`, and a query item (`qs`) named `key` is a credential too;
    /// * credentials in URLs: `https://user:pass@host`, `?api_key=`, `?token=`, `?key=`;
    /// * credential fields inside JSON written as a string (a raw request body:
    ///   `"{\"api_key\": \"...\"}"`);
    /// * well-known token formats anywhere (Slack `xoxb-`, GitHub `ghp_`/`github_pat_`, OpenAI
    ///   and Anthropic `sk-`, AWS `AKIA`, Google `AIza`, Stripe `sk_live_`, GitLab `glpat-`,
    ///   JWTs, Telegram bot tokens `bot<digits>:<35 characters>` as in Telegram API URLs, PEM
    ///   private keys).
    ///
    /// Values built from IML (`Bearer {{1.token}}`) are not reported, and placeholders in
    /// those positions (`{{YOUR_TOKEN}}`, `YOUR_API_KEY`, `<API_KEY>`) are BP021's.
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
    ///   "mapper": { "headers": [ { "name": "Authorization", "value": "Bearer sk-live-abc..." } ],
    ///               "authUser": "admin", "authPass": "s3cr3t-pass" } }
    /// ```
    ///
    /// ## Use instead
    /// Use an app connection, `http:ActionSendDataAPIKeyAuth` or `http:ActionSendDataBasicAuth`
    /// with a keychain, or map the value from a scenario input:
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

/// Where in a module a credential (or its placeholder) was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Position {
    AuthorizationHeader,
    Field,
    UrlPassword,
    UrlQuery,
    JsonBody,
    /// A well-known token format (its description).
    Token(&'static str),
}

impl Position {
    /// What a literal here is, for BP020's message.
    fn secret(self) -> &'static str {
        match self {
            Position::AuthorizationHeader => "a literal Authorization header",
            Position::Field => "a literal credential field",
            Position::UrlPassword => "a password in a URL",
            Position::UrlQuery => "a credential in a URL query string",
            Position::JsonBody => "a literal credential in a JSON body",
            Position::Token(what) => what,
        }
    }

    /// What belongs here, for BP021's message.
    pub(crate) fn slot(self) -> &'static str {
        match self {
            Position::AuthorizationHeader => "an Authorization header",
            Position::Field => "a credential",
            Position::UrlPassword => "a URL password",
            Position::UrlQuery => "a URL query credential",
            Position::JsonBody => "a credential in a JSON body",
            Position::Token(_) => "a token",
        }
    }
}

/// What a string in a credential position holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Secret(Position),
    /// A stand-in for a credential; `shown` is its text when it is safe to quote.
    Placeholder {
        position: Position,
        shown: Option<String>,
    },
}

/// A pattern of this file: a typo in one fails every test of the rule, never a run.
fn pattern(re: &str) -> Regex {
    Regex::new(re).expect("built-in pattern compiles")
}

/// Names of fields, headers and variables that hold credentials, compared case-insensitively
/// with any separator (`api_key`, `API KEY`, `x-api-key`, `apiKey`) and any leading words
/// (`github_token`, `Slack Bot Token`).
static CREDENTIAL_KEY: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?i)^(?:[a-z0-9]+[ _.-]?)*?(?:api[ _.-]?key|api[ _.-]?token|access[ _.-]?token|auth[ _.-]?token|bearer[ _.-]?token|token|secret|client[ _.-]?secret|secret[ _.-]?key|access[ _.-]?key|password|passwd|pwd|private[ _.-]?key|auth[ _.-]?pass)$",
    )
});

/// Token-named fields that are not credentials: paging and anti-forgery tokens.
static NOT_CREDENTIAL_KEY: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?i)(?:page|next|continuation|cursor|sync|csrf|xsrf)[ _.-]?token$"));

/// Query items that are credentials by name alone (`qs: [{"name": "key", ...}]`).
static QUERY_CREDENTIAL_KEY: LazyLock<Regex> = LazyLock::new(|| {
    pattern(r"(?i)^(?:key|auth|sig|signature|apikey|api[_-]key|token|access[_-]token)$")
});

static AUTH_SCHEME: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?i)^(?:bearer|basic|token|apikey|api-key)\s+(.+)$"));

static URL_USERINFO: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s@?#:]+:([^/\s@?#]+)@"));

static URL_QUERY: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?i)[?&](?:api[_-]?key|apikey|access[_-]?token|auth[_-]?token|token|key|secret|client[_-]?secret|password)=([^&#\s]*)",
    )
});

/// `"name": "value"` pairs of JSON written inside a string.
static JSON_PAIR: LazyLock<Regex> =
    LazyLock::new(|| pattern(r#""([^"\\]{1,60})"\s*:\s*"([^"\\]*)""#));

/// A template slot such as `{{YOUR_APIFY_TOKEN}}`: no dot, no call, so not IML.
static TEMPLATE_SLOT: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"^\{\{\s*[A-Za-z_][A-Za-z0-9_ -]*\s*\}\}$"));

/// An upper-case name that says what should go here (`ANTHROPIC_API_KEY`, `API_TOKEN_HERE`).
static UPPER_NAME: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"^[A-Z][A-Z0-9_]*(?:KEY|TOKEN|SECRET|PASSWORD|PASS|PWD)[A-Z0-9_]*$"));

/// How every credential name ends (`CREDENTIAL_KEY`'s last words).
const CREDENTIAL_ENDINGS: &[&str] = &[
    "key", "token", "secret", "password", "passwd", "pwd", "pass",
];

pub(crate) fn is_credential_key(key: &str) -> bool {
    let key = key.trim();
    // Every string of every mapper has a key: a suffix test spares the regex for most.
    let tail = &key.as_bytes()[key.len().saturating_sub(8)..];
    let ends_like_one = CREDENTIAL_ENDINGS.iter().any(|e| {
        tail.len() >= e.len() && tail[tail.len() - e.len()..].eq_ignore_ascii_case(e.as_bytes())
    });
    ends_like_one
        && key.len() <= 60
        && CREDENTIAL_KEY.is_match(key)
        && !NOT_CREDENTIAL_KEY.is_match(key)
}

/// Text that only stands in for a value: placeholders, samples, masks.
fn is_placeholder(t: &str) -> bool {
    let lower = t.to_ascii_lowercase();
    (t.starts_with('<') && t.ends_with('>'))
        || TEMPLATE_SLOT.is_match(t)
        || UPPER_NAME.is_match(t)
        || [
            "your",
            "placeholder",
            "example",
            "changeme",
            "change_me",
            "redacted",
            "replace",
            "insert_",
            "dummy",
            "xxxx",
        ]
        .iter()
        .any(|w| lower.contains(w))
        || t.chars()
            .all(|c| matches!(c, '*' | 'x' | 'X' | '.' | '-' | '_' | '#'))
}

/// A placeholder's text when quoting it cannot quote a credential: short, and only letters,
/// underscores and the brackets placeholders use (real credentials carry digits).
fn shown(t: &str) -> Option<String> {
    (t.len() <= 48
        && t.chars().all(|c| {
            c.is_ascii_alphabetic() || matches!(c, '_' | ' ' | '-' | '{' | '}' | '<' | '>')
        }))
    .then(|| t.to_string())
}

/// What a value in a credential position is: nothing to report, a literal, or a placeholder.
/// `min` is the shortest literal worth calling a credential there.
fn value_verdict(value: &str, position: Position, min: usize) -> Option<Verdict> {
    let t = value.trim();
    if t.is_empty() {
        return None;
    }
    if t.contains("{{") {
        // Built at run time (IML), unless it is only a template slot.
        return TEMPLATE_SLOT.is_match(t).then(|| Verdict::Placeholder {
            position,
            shown: shown(t),
        });
    }
    if is_placeholder(t) {
        return Some(Verdict::Placeholder {
            position,
            shown: shown(t),
        });
    }
    (t.len() >= min && !t.contains(char::is_whitespace)).then_some(Verdict::Secret(position))
}

fn authorization(value: &str) -> Option<Verdict> {
    let t = value.trim();
    let position = Position::AuthorizationHeader;
    match AUTH_SCHEME.captures(t) {
        Some(c) => value_verdict(&c[1], position, 8),
        None => value_verdict(t, position, 16),
    }
}

fn is_authorization(key: &str) -> bool {
    let key = key.trim();
    key.eq_ignore_ascii_case("authorization") || key.eq_ignore_ascii_case("proxy-authorization")
}

/// What a string leaf holds. `in_query` is true inside an HTTP module's `qs` list;
/// `want_tokens` asks for the well-known token formats too.
pub(crate) fn classify(
    key: &str,
    text: &str,
    in_query: bool,
    want_tokens: bool,
) -> Option<Verdict> {
    if want_tokens && text.len() >= 16 && may_hold_token(text.as_bytes()) {
        if let Some(i) = TOKEN_SET.matches(text).iter().next() {
            return Some(Verdict::Secret(Position::Token(TOKEN_PATTERNS[i].0)));
        }
    }
    if is_authorization(key) {
        return authorization(text);
    }
    if is_credential_key(key) || (in_query && QUERY_CREDENTIAL_KEY.is_match(key.trim())) {
        // An HTTP basic-auth password is a credential however short.
        let min = if key.eq_ignore_ascii_case("authPass") {
            4
        } else {
            8
        };
        return value_verdict(text, Position::Field, min);
    }
    let mut found: Option<Verdict> = None;
    // A literal beats a placeholder: report the worst thing the string holds.
    let mut keep = |v: Option<Verdict>| {
        if let Some(v) = v {
            if found.is_none() || matches!(v, Verdict::Secret(_)) {
                found = Some(v);
            }
        }
    };
    if has_scheme_separator(text) {
        // Each pattern needs its one byte (`@`, `=`): a byte search spares the regex engine
        // the URLs of every mapper that have neither.
        if text.contains('@') {
            for c in URL_USERINFO.captures_iter(text) {
                keep(value_verdict(&c[1], Position::UrlPassword, 3));
            }
        }
        if text.contains('=') {
            for c in URL_QUERY.captures_iter(text) {
                keep(value_verdict(&c[1], Position::UrlQuery, 12));
            }
        }
    }
    if memchr::memchr(b'"', text.as_bytes()).is_some()
        && memchr::memchr(b':', text.as_bytes()).is_some()
    {
        for c in JSON_PAIR.captures_iter(text) {
            let (k, v) = (&c[1], &c[2]);
            if is_authorization(k) {
                keep(authorization(v));
            } else if is_credential_key(k) {
                keep(value_verdict(v, Position::JsonBody, 8));
            }
        }
    }
    found
}

/// One string of a module that holds a credential or a placeholder for one.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    /// `mapper` or `parameters`.
    pub(crate) section: &'static str,
    /// The field's key (or the `name` of its pair).
    pub(crate) key: String,
    /// Pointer from the section.
    pub(crate) pointer: String,
    pub(crate) span: Span,
    pub(crate) verdict: Verdict,
}

/// The credential scan of the module checked last. BP020 and BP021 read the same strings, and
/// the pipeline runs every rule on one module before the next: one slot spares the second
/// walk over every string without keeping anything per module.
#[derive(Default)]
pub struct CredentialScan {
    last: RefCell<Option<(usize, Rc<Vec<Hit>>)>>,
}

impl std::fmt::Debug for CredentialScan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredentialScan")
    }
}

impl CredentialScan {
    pub(crate) fn hits(&self, cx: &Context<'_>, m: &Module) -> Rc<Vec<Hit>> {
        if let Some((index, hits)) = &*self.last.borrow() {
            if *index == m.index {
                return Rc::clone(hits);
            }
        }
        let hits = Rc::new(scan(cx, m));
        *self.last.borrow_mut() = Some((m.index, Rc::clone(&hits)));
        hits
    }
}

/// Every string of the module's `mapper` and `parameters` that holds a credential or a
/// placeholder for one.
fn scan(cx: &Context<'_>, m: &Module) -> Vec<Hit> {
    let mut hits = Vec::new();
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
            // Work on the raw text: nothing shorter than 3 bytes is a credential or its
            // placeholder, and only strings with escapes need decoding (most have none).
            let raw = leaf.value.raw();
            let inner = &raw[1..raw.len() - 1];
            if inner.len() < 3 {
                return;
            }
            let (key, names_a_pair) = leaf.key_and_pair();
            if names_a_pair {
                return;
            }
            let key = key.and_then(|k| k.as_str()).unwrap_or_default();
            let in_query = leaf.is_under("qs");
            let text = if memchr::memchr(b'\\', inner.as_bytes()).is_some() {
                if !worth_decoding(&key, inner, in_query) {
                    return;
                }
                leaf.value.as_str().unwrap_or_default()
            } else {
                Cow::Borrowed(inner)
            };
            let Some(verdict) = classify(&key, &text, in_query, true) else {
                return;
            };
            hits.push(Hit {
                section,
                key: key.into_owned(),
                pointer: leaf.pointer(),
                span: leaf.value.span(),
                verdict,
            });
        });
    }
    hits
}

/// `mapper field `x-api-key`` (or the section alone at its top).
pub(crate) fn field(section: &str, key: &str) -> String {
    if key.is_empty() {
        section.to_string()
    } else {
        format!("{section} field `{}`", crate::model::truncate(key, 40))
    }
}

impl Rule for HardcodedSecret {
    fn check_module(&self, cx: &Context<'_>, m: &Module, out: &mut Vec<Finding>) {
        for hit in cx.credentials.hits(cx, m).iter() {
            let Verdict::Secret(position) = hit.verdict else {
                continue;
            };
            out.push(
                Finding::new(
                    &Self::META,
                    hit.span,
                    format!(
                        "{} is hardcoded in {}",
                        position.secret(),
                        field(hit.section, &hit.key)
                    ),
                )
                .label("secret (masked)")
                .help("store credentials in a Make connection or keychain, or map them from a scenario input; then rotate this one")
                .pointer(format!("{}/{}{}", m.pointer, hit.section, hit.pointer))
                .module(m)
                .secret(hit.span),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Position, Verdict, classify};
    use crate::rules::testing::*;

    #[test]
    fn escaped_strings_are_decoded_where_a_secret_can_hide() {
        // A token after an escape, a URL with escaped slashes, JSON in a string: each raw text
        // holds a backslash, and each is still found.
        let token = r#"{"flow":[{"id":1,"module":"x:y","mapper":{"text":"line\nxoxb-1234567890-abcdefghij"}}]}"#;
        assert_eq!(messages(token).len(), 1, "{token}");
        let url = r#"{"flow":[{"id":1,"module":"x:y","mapper":{"u":"https:\/\/admin:hunter2x@host\/"}}]}"#;
        assert_eq!(messages(url).len(), 1, "{url}");
        let body = r#"{"flow":[{"id":1,"module":"x:y","mapper":{"b":"{\"api_key\": \"abcd1234efgh5678\"}"}}]}"#;
        assert_eq!(messages(body).len(), 1, "{body}");
        // A key spelled with an ASCII `\u` escape, beside a non-ASCII one.
        let spelled = r#"{"flow":[{"id":1,"module":"x:y","mapper":{"b":"caf\u00e9 {\"\u0061pi_k\u0065y\": \"abcd1234efgh5678\"}"}}]}"#;
        assert_eq!(messages(spelled).len(), 1, "{spelled}");
        let html = r#"{"flow":[{"id":1,"module":"x:y","mapper":{"h":"<a href=\"https:\/\/example.com\/caf\u00e9\">x<\/a>"}}]}"#;
        assert!(messages(html).is_empty(), "{html}");
        let prose = r#"{"flow":[{"id":1,"module":"x:y","mapper":{"p":"Dear team,\nthanks.\n"}}]}"#;
        assert!(messages(prose).is_empty());
    }

    fn messages(src: &str) -> Vec<String> {
        run(&super::HardcodedSecret, src)
            .into_iter()
            .map(|f| f.message)
            .collect()
    }

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
    fn the_shapes_real_modules_use() {
        let telegram = concat!(
            "https://api.telegram.org/bot123456789:",
            "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawz",
            "/sendMessage"
        );
        let pem = concat!(
            "-----BEGIN PRIVATE",
            " KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----"
        );
        let src = blueprint(&format!(
            r#"{{"id":1,"module":"http:ActionSendData","mapper":{{"authUser":"admin","authPass":"s3cr3t!","headers":[{{"key":"x-api-key","value":"k3y-abcdef123456"}}],"qs":[{{"name":"key","value":"abcdef0123456789"}}],"url":"https://bob:pa55word@db.example.net/x","data":"{{\"api_key\": \"live-0123456789abcdef\", \"q\": \"{{{{1.q}}}}\"}}"}}}},{{"id":2,"module":"util:SetVariables","mapper":{{"variables":[{{"name":"API KEY","value":"0123456789abcdefXYZ"}}]}}}},{{"id":3,"module":"http:ActionSendData","mapper":{{"url":"{telegram}","ca":"{pem}"}}}}"#
        ));
        assert_eq!(
            messages(&src),
            [
                "a literal credential field is hardcoded in mapper field `authPass`",
                "a literal credential field is hardcoded in mapper field `x-api-key`",
                "a literal credential field is hardcoded in mapper field `key`",
                "a password in a URL is hardcoded in mapper field `url`",
                "a literal credential in a JSON body is hardcoded in mapper field `data`",
                "a literal credential field is hardcoded in mapper field `API KEY`",
                "a Telegram bot token is hardcoded in mapper field `url`",
                "a private key is hardcoded in mapper field `ca`",
            ]
        );
    }

    #[test]
    fn quiet_on_mapped_values_and_placeholders() {
        let src = blueprint(
            r#"{"id":1,"module":"http:ActionSendData","mapper":{"headers":[{"name":"Authorization","value":"Bearer {{1.token}}"}],"api_key":"YOUR_API_KEY","password":"{{var.input.pw}}","token":"short","text":"The sk- prefix is for keys","url":"https://x.io/?key={{1.k}}","authUser":"admin","authPass":"","nextPageToken":"CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA","qs":[{"key":"token","value":"{{1.t}}"},{"name":"key","value":"name"}],"u":"https://{{1.user}}:{{1.pass}}@h.example/","body":"{\"password\": \"{{2.pw}}\"}"}}"#,
        );
        assert!(messages(&src).is_empty(), "{:?}", messages(&src));
    }

    #[test]
    fn placeholders_are_told_apart_from_literals_and_iml() {
        let p = |key: &str, text: &str| classify(key, text, false, true);
        assert_eq!(
            p(
                "url",
                "https://api.apify.com/v2/acts?token={{YOUR_APIFY_TOKEN}}"
            ),
            Some(Verdict::Placeholder {
                position: Position::UrlQuery,
                shown: Some("{{YOUR_APIFY_TOKEN}}".into())
            })
        );
        assert_eq!(
            p("x-api-key", "YOUR_ANTHROPIC_API_KEY"),
            Some(Verdict::Placeholder {
                position: Position::Field,
                shown: Some("YOUR_ANTHROPIC_API_KEY".into())
            })
        );
        assert_eq!(p("x-api-key", "{{1.key}}"), None);
        assert_eq!(p("url", "https://x.io/?token={{ifempty(1.a; 2)}}"), None);
        assert_eq!(
            p("Authorization", "Bearer <TOKEN>"),
            Some(Verdict::Placeholder {
                position: Position::AuthorizationHeader,
                shown: Some("<TOKEN>".into())
            })
        );
    }
}

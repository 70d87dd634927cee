//! The API token, how it travels, and which API URLs may receive it.

use std::fmt;
use std::net::IpAddr;

use reqwest::header::HeaderValue;
use url::{Host, Url};

/// Why a token, zone or API URL cannot be used. URLs are shown without a password (one is
/// refused before it could be shown) and a text that did not parse is shown masked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConfigError {
    #[error("the Make API token is empty")]
    EmptyToken,
    #[error("the Make API token contains characters that cannot be sent in an HTTP header")]
    TokenNotSendable,
    #[error(
        "MAKE_API_TOKEN is not set: set it to a Make API token with the `connections:read` scope"
    )]
    TokenNotSet,
    #[error(
        "MAKE_API_TOKEN is empty: set it to a Make API token with the `connections:read` scope"
    )]
    TokenVariableEmpty,
    #[error("MAKE_API_TOKEN is not valid UTF-8")]
    TokenNotUnicode,
    #[error("MAKE_API_TOKEN: {0}")]
    TokenVariable(#[source] Box<ConfigError>),
    #[error("unknown Make zone `{zone}`: valid zones are {}", ZONES)]
    UnknownZone { zone: String },
    #[error("invalid API URL `{masked}`: {cause}")]
    InvalidUrl {
        /// The text given, masked.
        masked: String,
        #[source]
        cause: url::ParseError,
    },
    #[error("the API URL must not contain a user name or password")]
    UrlWithCredentials,
    #[error("the API URL `{url}` has no host")]
    UrlWithoutHost { url: Url },
    #[error(
        "the API URL `{url}` uses plain http: the token would travel unencrypted; use https \
         (plain http is accepted only for 127.0.0.0/8, ::1 and localhost)"
    )]
    PlainHttp { url: Url },
    #[error("the API URL `{url}` uses the scheme `{scheme}`: only https is supported")]
    UnsupportedScheme { url: Url, scheme: String },
    #[error("bplint.toml `api_url`: {0}")]
    ConfigApiUrl(#[source] Box<ConfigError>),
    #[error(
        "bplint.toml sets `api_url` to `{host}`, which is not a Make host (*.make.com, \
         *.make.celonis.com over https): the API token is sent there only when the command line \
         (`--api-url`) or the environment (`BPLINT_API_URL`) names it. Use `zone = \"eu1\"` \
         (or another zone) in bplint.toml, or pass --api-url / --zone"
    )]
    NotAMakeHost { host: String },
}

const ZONES: &str = "eu1, eu2, us1, us2, eu1.celonis, us1.celonis \
    (or their hosts: eu1.make.com, eu2.make.com, us1.make.com, us2.make.com, \
    eu1.make.celonis.com, us1.make.celonis.com)";

/// A Make API token. `Debug` shows `Token(***)`; there is deliberately no `Display`.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// Surrounding whitespace is dropped (a token pasted from a file often ends in a newline).
    pub fn new(token: impl Into<String>) -> Result<Token, ConfigError> {
        let token = token.into().trim().to_string();
        if token.is_empty() {
            return Err(ConfigError::EmptyToken);
        }
        if HeaderValue::from_str(&format!("Token {token}")).is_err() {
            return Err(ConfigError::TokenNotSendable);
        }
        Ok(Token(token))
    }

    /// Reads `MAKE_API_TOKEN` and nothing else, so a token never lands in shell history or `ps`.
    pub fn from_env() -> Result<Token, ConfigError> {
        match std::env::var("MAKE_API_TOKEN") {
            Ok(v) if !v.trim().is_empty() => {
                // From here on no text this process prints can carry it.
                crate::redact::register_secret(&v);
                Token::new(v).map_err(|e| ConfigError::TokenVariable(Box::new(e)))
            }
            Ok(_) => Err(ConfigError::TokenVariableEmpty),
            Err(std::env::VarError::NotPresent) => Err(ConfigError::TokenNotSet),
            Err(std::env::VarError::NotUnicode(_)) => Err(ConfigError::TokenNotUnicode),
        }
    }

    pub(super) fn scrub(&self, text: &str) -> String {
        if text.contains(&self.0) {
            text.replace(&self.0, "***")
        } else {
            text.to_string()
        }
    }

    /// Make's API keys are UUID v4 (`xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`); anything else
    /// is taken for an OAuth 2.0 access token, as Make's SDK does.
    fn is_api_key(&self) -> bool {
        let groups: Vec<&str> = self.0.split('-').collect();
        let lens = [8, 4, 4, 4, 12];
        groups.len() == 5
            && groups
                .iter()
                .zip(lens)
                .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
            && groups[2].starts_with('4')
            && groups[3].starts_with(['8', '9', 'a', 'b', 'A', 'B'])
    }

    pub(super) fn header(&self, scheme: AuthScheme) -> Result<HeaderValue, ConfigError> {
        let text = format!("{} {}", scheme.word(), self.0);
        let mut value = HeaderValue::from_str(&text).map_err(|_| ConfigError::TokenNotSendable)?;
        // Keeps it out of hyper's and reqwest's own debug output.
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

/// How the token travels: `Authorization: Token <key>` for Make API keys, `Authorization:
/// Bearer <token>` for OAuth 2.0 access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthScheme {
    Token,
    Bearer,
}

impl AuthScheme {
    /// As Make's SDK chooses: `Token` for a UUID v4 (an API key), else `Bearer`.
    pub fn for_token(token: &Token) -> AuthScheme {
        if token.is_api_key() {
            AuthScheme::Token
        } else {
            AuthScheme::Bearer
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            AuthScheme::Token => "Token",
            AuthScheme::Bearer => "Bearer",
        }
    }

    /// For a refused token: how it was sent and how to send it the other way.
    pub(super) fn hint(self) -> &'static str {
        match self {
            AuthScheme::Token => {
                "sent as an API key (`Authorization: Token`); for an OAuth access token use \
                 --auth-scheme bearer"
            }
            AuthScheme::Bearer => {
                "sent as an OAuth access token (`Authorization: Bearer`) because it is not a \
                 UUID; for an API key use --auth-scheme token"
            }
        }
    }
}

/// The API base URL of a Make zone: `eu1`, `us2.make.com`, `eu1.celonis`, `eu1.make.celonis.com`.
pub fn zone_base_url(zone: &str) -> Result<Url, ConfigError> {
    let z = zone.trim().trim_end_matches('/').to_ascii_lowercase();
    let z = z.strip_prefix("https://").unwrap_or(&z);
    let host = match z {
        "eu1" | "eu2" | "us1" | "us2" => format!("{z}.make.com"),
        "eu1.make.com" | "eu2.make.com" | "us1.make.com" | "us2.make.com" => z.to_string(),
        "eu1.celonis" | "eu1.make.celonis.com" => "eu1.make.celonis.com".to_string(),
        "us1.celonis" | "us1.make.celonis.com" => "us1.make.celonis.com".to_string(),
        // Old exports still name the Integromat hosts; those zones became the make.com ones.
        "eu1.integromat.com" | "eu2.integromat.com" | "us1.integromat.com" => {
            z.replace(".integromat.com", ".make.com")
        }
        _ => {
            return Err(ConfigError::UnknownZone {
                zone: zone.trim().to_string(),
            });
        }
    };
    Url::parse(&format!("https://{host}/api/v2")).map_err(|cause| ConfigError::InvalidUrl {
        masked: crate::redact::mask(&host).into_owned(),
        cause,
    })
}

/// An explicit API base URL (`--api-url`). Plain http is allowed only for loopback test servers,
/// since the token would otherwise cross the network in clear text.
pub fn parse_api_url(s: &str) -> Result<Url, ConfigError> {
    // The text is quoted masked: a URL with a password in it must not put it on the screen.
    let url = Url::parse(s.trim()).map_err(|cause| ConfigError::InvalidUrl {
        masked: crate::redact::mask(s.trim()).into_owned(),
        cause,
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::UrlWithCredentials);
    }
    if url.cannot_be_a_base() || url.host().is_none() {
        return Err(ConfigError::UrlWithoutHost { url });
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(ConfigError::PlainHttp { url }),
        other => Err(ConfigError::UnsupportedScheme {
            scheme: other.to_string(),
            url,
        }),
    }
}

/// Make's own API hosts: `*.make.com` and `*.make.celonis.com`, over https on the default port.
pub fn is_make_host(url: &Url) -> bool {
    let Some(Host::Domain(host)) = url.host() else {
        return false;
    };
    let host = host.to_ascii_lowercase();
    url.scheme() == "https"
        && url.port().is_none()
        && (host.ends_with(".make.com") || host.ends_with(".make.celonis.com"))
}

/// An `api_url` from a repository's `bplint.toml`. Whoever can change that file in a branch
/// CI checks could otherwise collect the token, so it may only name one of Make's hosts; any
/// other host (loopback included) must come from `--api-url` or `BPLINT_API_URL`.
pub fn config_api_url(s: &str) -> Result<Url, ConfigError> {
    let url = parse_api_url(s).map_err(|e| ConfigError::ConfigApiUrl(Box::new(e)))?;
    if is_make_host(&url) {
        return Ok(url);
    }
    Err(ConfigError::NotAMakeHost {
        host: url.host_str().unwrap_or_default().to_string(),
    })
}

pub(super) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::api::ApiConfig;

    #[test]
    fn zones() {
        for (z, want) in [
            ("eu1", "https://eu1.make.com/api/v2"),
            ("US2", "https://us2.make.com/api/v2"),
            ("eu2.make.com", "https://eu2.make.com/api/v2"),
            ("eu1.celonis", "https://eu1.make.celonis.com/api/v2"),
            (
                "us1.make.celonis.com",
                "https://us1.make.celonis.com/api/v2",
            ),
        ] {
            assert_eq!(zone_base_url(z).unwrap().as_str(), want, "{z}");
        }
        let e = zone_base_url("eu3").unwrap_err().to_string();
        assert!(e.contains("eu3") && e.contains("us1.celonis"), "{e}");
    }

    #[test]
    fn api_urls() {
        assert!(parse_api_url("https://eu1.make.com/api/v2").is_ok());
        assert!(parse_api_url("http://127.0.0.1:8080/api/v2").is_ok());
        assert!(parse_api_url("http://127.8.0.1/api/v2").is_ok());
        assert!(parse_api_url("http://[::1]:9/api/v2").is_ok());
        assert!(parse_api_url("http://localhost/api/v2").is_ok());
        let e = parse_api_url("http://eu1.make.com/api/v2")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unencrypted"), "{e}");
        assert!(parse_api_url("http://10.0.0.1/api/v2").is_err());
        assert!(parse_api_url("ftp://eu1.make.com").is_err());
        assert!(parse_api_url("https://u:p@eu1.make.com").is_err());
    }

    #[test]
    fn token_is_hidden() {
        let t = Token::new(" sekrit-123\n").unwrap();
        assert_eq!(format!("{t:?}"), "Token(***)");
        assert_eq!(t.scrub("a sekrit-123 b"), "a *** b");
        assert!(Token::new("  ").is_err());
        assert!(Token::new("a\u{1}b").is_err());
        let cfg = ApiConfig::new(Url::parse("https://eu1.make.com/api/v2").unwrap(), t);
        assert!(!format!("{cfg:?}").contains("sekrit"));
    }

    #[test]
    fn token_from_env_reads_only_make_api_token() {
        // SAFETY: the only test in this binary that touches the environment; the lib's unit
        // tests build no HTTP client (which would read proxy variables).
        unsafe { std::env::remove_var("MAKE_API_TOKEN") };
        let e = Token::from_env().unwrap_err().to_string();
        assert!(e.contains("MAKE_API_TOKEN") && e.contains("not set"), "{e}");
        unsafe { std::env::set_var("MAKE_API_TOKEN", "   ") };
        assert!(Token::from_env().unwrap_err().to_string().contains("empty"));
        unsafe { std::env::set_var("MAKE_API_TOKEN", "env-token-123\n") };
        let t = Token::from_env().unwrap();
        assert_eq!(format!("{t:?}"), "Token(***)");
        let header = t.header(AuthScheme::Token).unwrap();
        assert_eq!(header.to_str().unwrap(), "Token env-token-123");
        assert!(header.is_sensitive());
        unsafe { std::env::remove_var("MAKE_API_TOKEN") };
    }

    #[test]
    fn api_keys_are_sent_as_token_and_other_tokens_as_bearer() {
        let scheme = |t: &str| AuthScheme::for_token(&Token::new(t).unwrap());
        assert_eq!(
            scheme("6f1c2e4a-8b3d-4c5e-9f7a-1b2c3d4e5f60"),
            AuthScheme::Token
        );
        assert_eq!(
            scheme("6F1C2E4A-8B3D-4C5E-BF7A-1B2C3D4E5F60"),
            AuthScheme::Token
        );
        // Not version 4, not the RFC variant, not hex, not a UUID at all.
        for t in [
            "6f1c2e4a-8b3d-1c5e-9f7a-1b2c3d4e5f60",
            "6f1c2e4a-8b3d-4c5e-7f7a-1b2c3d4e5f60",
            "6f1c2e4a-8b3d-4c5e-9f7a-1b2c3d4e5fzz",
            "6f1c2e4a8b3d4c5e9f7a1b2c3d4e5f60",
            "mko_at.3kF9qL2xR7vT1nB8wZ4cH6jD0sY5gP",
        ] {
            assert_eq!(scheme(t), AuthScheme::Bearer, "{t}");
        }
        let t = Token::new("an-oauth-token").unwrap();
        let h = t.header(AuthScheme::Bearer).unwrap();
        assert_eq!(h.to_str().unwrap(), "Bearer an-oauth-token");
        assert!(h.is_sensitive());
    }
}

//! Why the API gave no usable answer: [`ApiError`], with the request it was about.
//!
//! Every text in an error is clean before the error is built: what Make or the network said
//! passes the token scrub (`Run::scrub`) and Make's error answers pass
//! [`decode::error_message`](crate::live::decode::error_message), so printing an error never
//! needs more care than printing any other text.

use std::fmt;

use reqwest::{Method, StatusCode};
use url::Url;

use super::token::ConfigError;

/// One request, as errors name it: `GET /api/v2/connections/5`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    /// The URL's path, without the query (which may name ids of other objects).
    pub path: String,
}

impl Request {
    pub fn new(method: &Method, url: &Url) -> Request {
        Request {
            method: method.clone(),
            path: url.path().to_string(),
        }
    }

    /// The request with the ids in its path replaced by `{id}` (`GET
    /// /api/v2/connections/{id}`): the endpoint, so that one cause met by many ids is told once.
    pub fn template(&self) -> String {
        let path: Vec<&str> = self
            .path
            .split('/')
            .map(|seg| {
                if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
                    "{id}"
                } else {
                    seg
                }
            })
            .collect();
        format!("{} {}", self.method, path.join("/"))
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// Why a request, or an operation of several, gave no usable answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// The token itself was refused (a 401 before any request succeeded): nothing is checked,
    /// and nothing more is sent.
    #[error(
        "the Make API refused the token (401 on {}{said}): MAKE_API_TOKEN is missing, wrong, or \
         lacks the `{needs}` scope; it was {hint}",
        request.template()
    )]
    Unauthorized {
        request: Request,
        /// Make's message, as ` (message: detail)`, or empty.
        said: String,
        /// The scope the refused endpoint needs.
        needs: &'static str,
        /// How the token was sent, and how to send it the other way.
        hint: &'static str,
    },
    /// The token works but lacks the scope this endpoint needs: only what depends on the
    /// endpoint is unchecked, and the endpoint is not asked again.
    #[error(
        "the token lacks the `{scope}` scope: the Make API refused {} (HTTP {}{said}) after \
         accepting the token for other requests",
        request.template(),
        status.as_u16()
    )]
    MissingTokenScope {
        scope: &'static str,
        request: Request,
        status: StatusCode,
        said: String,
    },
    /// `--max-requests` was reached before this request could be sent.
    #[error("request cap (--max-requests {cap}) reached")]
    RequestCap { cap: u64 },
    #[error("{request}: HTTP 404 Not Found")]
    NotFound { request: Request },
    /// A 401 or 403 about this one object (another team's, another zone's), not the token.
    #[error("{request}: HTTP {status}{said}")]
    Refused {
        request: Request,
        status: StatusCode,
        said: String,
    },
    /// Any other error status that a retry would not change.
    #[error("{request}: HTTP {status}{said}")]
    Http {
        request: Request,
        status: StatusCode,
        said: String,
    },
    /// 5xx answers, timeouts or broken connections, until the retries ran out.
    #[error("{request}: {cause} (gave up after {attempts} attempt{})", plural(*attempts))]
    GaveUp {
        request: Request,
        /// `HTTP 503 Service Unavailable`, `could not connect (...)`.
        cause: String,
        attempts: u32,
    },
    #[error("{request}: HTTP 429 Too Many Requests: still rate-limited after {waits} waits")]
    RateLimited { request: Request, waits: u32 },
    #[error("{request}: the answer is larger than the {limit}-byte limit")]
    BodyTooLarge { request: Request, limit: usize },
    /// A 2xx answer that is not the answer asked for (not JSON, or not of the expected shape).
    #[error("{request}: {why}")]
    BadAnswer { request: Request, why: String },
    /// An operation of several requests, and the one failure that stopped it.
    #[error("{what}: {source}")]
    During {
        /// `could not list the connections of team 5`.
        what: String,
        #[source]
        source: Box<ApiError>,
    },
    /// The token or the API URL cannot be used: nothing was sent.
    #[error(transparent)]
    BadConfig(#[from] ConfigError),
    /// The HTTP client or its runtime could not be set up: nothing was sent.
    #[error("cannot {what}: {cause}")]
    Setup { what: &'static str, cause: String },
    #[error("internal error: {0}")]
    Internal(String),
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

impl ApiError {
    /// A failure every later request of the run meets too (the request cap, a refused
    /// token): it is told alone, not once per thing it stopped.
    pub fn speaks_for_the_run(&self) -> bool {
        match self {
            ApiError::RequestCap { .. } | ApiError::Unauthorized { .. } => true,
            ApiError::During { source, .. } => source.speaks_for_the_run(),
            _ => false,
        }
    }

    /// This failure as the reason `what` could not be done (`could not list the hooks of team
    /// 5: GET ...: HTTP 500 ...`); one that speaks for the run stays as it is.
    pub fn during(self, what: impl Into<String>) -> ApiError {
        if self.speaks_for_the_run() {
            return self;
        }
        ApiError::During {
            what: what.into(),
            source: Box::new(self),
        }
    }

    /// The text with ids in request paths replaced by `{id}`, so that one cause met by many
    /// ids is reported once.
    pub fn summary(&self) -> String {
        match self {
            ApiError::During { what, source } => format!("{what}: {}", source.summary()),
            ApiError::NotFound { request }
            | ApiError::Refused { request, .. }
            | ApiError::Http { request, .. }
            | ApiError::GaveUp { request, .. }
            | ApiError::RateLimited { request, .. }
            | ApiError::BodyTooLarge { request, .. }
            | ApiError::BadAnswer { request, .. } => {
                let text = self.to_string();
                // These texts begin with the request (see their `#[error]`).
                match text.strip_prefix(&request.to_string()) {
                    Some(rest) => format!("{}{rest}", request.template()),
                    None => text,
                }
            }
            _ => self.to_string(),
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, ApiError::NotFound { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: &str) -> Request {
        Request {
            method: Method::GET,
            path: path.to_string(),
        }
    }

    #[test]
    fn templates_hide_ids() {
        let r = Request {
            method: Method::POST,
            path: "/api/v2/connections/123/test".into(),
        };
        assert_eq!(r.template(), "POST /api/v2/connections/{id}/test");
        assert_eq!(r.to_string(), "POST /api/v2/connections/123/test");
    }

    #[test]
    fn summaries_template_the_request_of_every_kind_that_names_one() {
        let r = || request("/api/v2/hooks/5");
        let status = StatusCode::SERVICE_UNAVAILABLE;
        for e in [
            ApiError::NotFound { request: r() },
            ApiError::Refused {
                request: r(),
                status: StatusCode::FORBIDDEN,
                said: " (no)".into(),
            },
            ApiError::Http {
                request: r(),
                status,
                said: String::new(),
            },
            ApiError::GaveUp {
                request: r(),
                cause: format!("HTTP {status}"),
                attempts: 1,
            },
            ApiError::RateLimited {
                request: r(),
                waits: 3,
            },
            ApiError::BodyTooLarge {
                request: r(),
                limit: 9,
            },
            ApiError::BadAnswer {
                request: r(),
                why: "x".into(),
            },
        ] {
            assert!(e.to_string().starts_with("GET /api/v2/hooks/5: "), "{e}");
            assert!(e.summary().starts_with("GET /api/v2/hooks/{id}: "), "{e}");
            assert!(!e.speaks_for_the_run());
        }
    }

    #[test]
    fn run_wide_failures_take_no_context() {
        let cap = ApiError::RequestCap { cap: 3 };
        assert!(cap.speaks_for_the_run());
        assert_eq!(
            cap.during("could not list").to_string(),
            "request cap (--max-requests 3) reached"
        );
        let e = ApiError::GaveUp {
            request: request("/api/v2/connections"),
            cause: "could not connect (refused)".into(),
            attempts: 2,
        }
        .during("could not list the connections of team 5");
        assert_eq!(
            e.to_string(),
            "could not list the connections of team 5: GET /api/v2/connections: could not \
             connect (refused) (gave up after 2 attempts)"
        );
        assert!(std::error::Error::source(&e).is_some());
    }
}

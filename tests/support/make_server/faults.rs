//! The faults a test can switch on, and the middleware that logs every request, checks its
//! token and injects them before a handler sees it.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::{StreamExt, stream};

use super::routes::{error, parse_query};
use super::{API, Auth, Logged, Scheme, Shared, St};

/// Paths are below `/api/v2`; a trailing `*` matches a prefix (`/connections/*`), a `*` segment
/// elsewhere matches one segment (`/connections/*/test`), and a query
/// (`/connections?type[]=google`) must be part of the request's (decoded) query.
#[derive(Debug, Clone)]
pub(super) struct PathFault {
    pub(super) pattern: String,
    pub(super) kind: FaultKind,
}

#[derive(Debug, Clone)]
pub(super) enum FaultKind {
    Hang(Duration),
    Malformed,
    Html,
    Oversized(usize),
    BreakOff,
    Json(String),
    Status(u16),
    /// A status with Make's error shape and this `message`.
    StatusMessage(u16, String),
    /// A refusal as for a token that lacks this endpoint's scope, with Make's error shape.
    Refuse(u16),
    /// An error answer with this JSON body.
    ErrorBody(u16, String),
}

fn matches(pattern: &str, path: &str, query: &[(String, String)]) -> bool {
    let (want_path, want_query) = pattern.split_once('?').unwrap_or((pattern, ""));
    let inner_wildcard = want_path
        .trim_end_matches('*')
        .split('/')
        .any(|seg| seg == "*");
    let path_ok = match want_path.strip_suffix('*') {
        Some(prefix) if !inner_wildcard => path.starts_with(prefix),
        _ if inner_wildcard => {
            let want: Vec<&str> = want_path.split('/').collect();
            let got: Vec<&str> = path.split('/').collect();
            want.len() == got.len() && want.iter().zip(&got).all(|(w, g)| *w == "*" || w == g)
        }
        _ => want_path == path,
    };
    path_ok
        && parse_query(Some(want_query))
            .iter()
            .all(|pair| query.contains(pair))
}

#[derive(Debug, Clone, Default)]
pub(super) struct Faults {
    pub(super) rate_limit_first: u64,
    pub(super) rate_limit_every: Option<u64>,
    pub(super) retry_after: Option<String>,
    pub(super) error_first: u64,
    pub(super) error_status: u16,
    pub(super) paths: Vec<PathFault>,
    pub(super) ignore_paging: bool,
    pub(super) latency: Duration,
    pub(super) forbid_verify: bool,
    pub(super) no_test_endpoint: bool,
    pub(super) echo_auth: bool,
}

struct InFlight<'a>(&'a Shared);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

pub(super) async fn gate(State(st): St, req: Request, next: Next) -> Response {
    let n = st.counter.fetch_add(1, Ordering::SeqCst) + 1;
    let now = st.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    st.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let _guard = InFlight(&st);

    let received = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let expected = match st.scheme {
        Scheme::Token => format!("Token {}", st.token),
        Scheme::Bearer => format!("Bearer {}", st.token),
    };
    let auth = match &received {
        None => Auth::Missing,
        Some(v) if *v == expected => Auth::Correct,
        Some(_) => Auth::Wrong,
    };
    let scheme = received
        .as_deref()
        .and_then(|v| v.split_whitespace().next())
        .map(str::to_string);
    let path = req
        .uri()
        .path()
        .strip_prefix(API)
        .unwrap_or(req.uri().path())
        .to_string();
    let query = parse_query(req.uri().query());
    st.log.lock().expect("log").push(Logged {
        n,
        method: req.method().to_string(),
        path: path.clone(),
        query: query.clone(),
        auth,
        scheme,
        at: Instant::now(),
    });

    let f = &st.faults;
    if !f.latency.is_zero() {
        tokio::time::sleep(f.latency).await;
    }
    let echo = echo(&st, req.headers());
    if auth != Auth::Correct {
        return error(
            StatusCode::UNAUTHORIZED,
            &format!("Invalid access token.{echo}"),
            "IM001",
        );
    }
    if n <= f.rate_limit_first || f.rate_limit_every.is_some_and(|k| n % k == 0) {
        let mut resp = error(
            StatusCode::TOO_MANY_REQUESTS,
            "Requests limit for organization exceeded, please try again later.",
            "SC429",
        );
        if let Some(v) = f
            .retry_after
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return resp;
    }
    if n <= f.error_first {
        let status =
            StatusCode::from_u16(f.error_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return error(status, "Internal server error", "IM500");
    }
    if f.forbid_verify && (path.ends_with("/test") || path.ends_with("/verify")) {
        let message =
            format!("Permission denied: the token lacks the connections:write scope.{echo}");
        return error(StatusCode::FORBIDDEN, &message, "SC403");
    }
    for fault in f
        .paths
        .iter()
        .filter(|p| matches(&p.pattern, &path, &query))
    {
        match &fault.kind {
            FaultKind::Hang(d) => tokio::time::sleep(*d).await,
            FaultKind::Malformed => {
                return json_body(Body::from(r#"{"connections": [{"id": 1, "name": "#));
            }
            FaultKind::Html => {
                let page = "<html><body><h1>Maintenance</h1></body></html>";
                return ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page)
                    .into_response();
            }
            FaultKind::Oversized(bytes) => return json_body(oversized_body(*bytes)),
            FaultKind::Json(text) => return json_body(Body::from(text.clone())),
            FaultKind::Refuse(code) => {
                let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::FORBIDDEN);
                let message = if *code == 401 {
                    "Unauthorized"
                } else {
                    "Forbidden"
                };
                return error(status, &format!("{message}.{echo}"), &format!("SC{code}"));
            }
            FaultKind::ErrorBody(code, body) => {
                let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::IM_A_TEAPOT);
                let mut resp = json_body(Body::from(body.clone()));
                *resp.status_mut() = status;
                return resp;
            }
            FaultKind::Status(code) => {
                let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::IM_A_TEAPOT);
                return error(
                    status,
                    &format!("Injected {code}.{echo}"),
                    &format!("SC{code}"),
                );
            }
            FaultKind::StatusMessage(code, message) => {
                let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::IM_A_TEAPOT);
                return error(status, message, &format!("SC{code}"));
            }
            FaultKind::BreakOff => {
                let part = Bytes::from_static(br#"{"connections": [{"id": 1, "na"#);
                let head = stream::iter([Ok::<_, std::io::Error>(part)]);
                // The pause lets hyper flush headers and the first part before the abort.
                let abort = stream::once(async {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    Err(std::io::Error::other("connection closed by test server"))
                });
                let mut resp = json_body(Body::from_stream(head.chain(abort)));
                resp.headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from_static("4096"));
                return resp;
            }
        }
    }
    next.run(req).await
}

pub(super) fn echo(st: &Shared, headers: &HeaderMap) -> String {
    match headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        Some(v) if st.faults.echo_auth => format!(" (you sent `{v}`)"),
        _ => String::new(),
    }
}

fn json_body(body: Body) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `{"connections":[],"padding":"xxx..."}`, streamed in 64 KiB chunks.
fn oversized_body(bytes: usize) -> Body {
    const CHUNK: usize = 64 << 10;
    let head = Bytes::from_static(br#"{"connections":[],"padding":""#);
    let mut chunks: Vec<Result<Bytes, std::io::Error>> = vec![Ok(head)];
    let mut left = bytes;
    while left > 0 {
        let n = left.min(CHUNK);
        chunks.push(Ok(Bytes::from(vec![b'x'; n])));
        left -= n;
    }
    chunks.push(Ok(Bytes::from_static(b"\"}")));
    Body::from_stream(stream::iter(chunks))
}

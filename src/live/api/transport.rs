//! The requests of one run: the request cap, retries with Retry-After and backoff, body limits,
//! and why a request gave no usable answer ([`Fail`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::Semaphore;
use url::Url;

use super::access::{Refusal, token_scope};
use super::{ApiConfig, Inner};
use crate::live::decode;

/// 429s are the API asking us to slow down, not failing: they get their own, larger budget.
const MAX_RATE_LIMIT_RETRIES: u32 = 10;
/// A Retry-After far in the future would stall the run with no output; past this we wait this long.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// Enough of an error answer to quote Make's `message`, `detail` and `suberrors`.
const ERROR_BODY_LIMIT: usize = 16 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FailKind {
    NotFound,
    Forbidden,
    /// The token itself was refused (a 401 before any request succeeded): nothing is checked.
    Unauthorized,
    /// The token works but lacks the token scope this endpoint needs: only what depends on
    /// the endpoint is unchecked. The reason names the scope.
    ScopeRefused,
    Cap,
    Other,
}

/// Why a request gave no usable answer.
#[derive(Debug, Clone)]
pub(super) struct Fail {
    pub(super) kind: FailKind,
    /// `GET /api/v2/connections/5: HTTP 503 Service Unavailable (gave up after 5 attempts)`.
    pub(super) reason: String,
    /// The reason with ids in the path replaced by `{id}`, so one cause is reported once.
    pub(super) summary: String,
}

impl Fail {
    pub(super) fn new(kind: FailKind, url: &Url, method: &Method, problem: &str) -> Fail {
        Fail {
            kind,
            reason: format!("{method} {}: {problem}", url.path()),
            summary: format!("{method} {}: {problem}", templated(url.path())),
        }
    }

    pub(super) fn plain(kind: FailKind, text: String) -> Fail {
        Fail {
            kind,
            summary: text.clone(),
            reason: text,
        }
    }
}

pub(super) fn templated(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}
/// State shared by the requests of one `resolve` or export.
pub(super) struct Run {
    pub(super) inner: Arc<Inner>,
    pub(super) sem: Semaphore,
    pub(super) requests: AtomicU64,
}

pub(super) enum ReadError {
    TooLarge,
    Transport(reqwest::Error),
}

impl Run {
    pub(super) fn new(inner: Arc<Inner>) -> Arc<Run> {
        let permits = inner.cfg.concurrency.min(Semaphore::MAX_PERMITS);
        Arc::new(Run {
            inner,
            sem: Semaphore::new(permits),
            requests: AtomicU64::new(0),
        })
    }

    pub(super) fn cfg(&self) -> &ApiConfig {
        &self.inner.cfg
    }

    pub(super) fn is_unauthorized(&self) -> bool {
        self.inner.access.rejected().is_some()
    }

    /// The message for a token refused outright, when it was.
    pub(super) fn rejection(&self) -> Option<String> {
        self.inner.access.rejected()
    }

    /// The path segments below the base URL: `["hooks", "5"]`.
    pub(super) fn endpoint_of<'u>(&self, url: &'u Url) -> Vec<&'u str> {
        url.path_segments()
            .map(|s| {
                s.filter(|s| !s.is_empty())
                    .skip(self.inner.base_depth)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Counts a request about to be sent; false once the cap is reached.
    pub(super) fn take_request(&self) -> bool {
        match self.cfg().max_requests {
            None => {
                self.requests.fetch_add(1, Ordering::SeqCst);
                true
            }
            Some(cap) => self
                .requests
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                    (n < cap).then_some(n + 1)
                })
                .is_ok(),
        }
    }

    pub(super) fn cap_fail(&self) -> Fail {
        let cap = self.cfg().max_requests.unwrap_or(0);
        Fail::plain(
            FailKind::Cap,
            format!("request cap (--max-requests {cap}) reached"),
        )
    }

    pub(super) fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.cfg().base_url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    pub(super) fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(20);
        let delay = self
            .cfg()
            .backoff_base
            .saturating_mul(factor)
            .min(self.cfg().max_backoff);
        // Equal jitter: spreads out clients that failed together without ever retrying at once.
        Duration::try_from_secs_f64(delay.as_secs_f64() * (0.5 + fastrand::f64() * 0.5))
            .unwrap_or(delay)
    }

    /// Sends one request and returns its answer as JSON.
    pub(super) async fn call(&self, method: Method, url: &Url) -> Result<Value, Fail> {
        let body = self.call_raw(method.clone(), url).await?;
        decode::json(&body).map_err(|e| Fail::new(FailKind::Other, url, &method, &e.to_string()))
    }

    /// Sends one request, retrying what may pass on a second try, and returns the body of its
    /// (JSON-typed) answer.
    pub(super) async fn call_raw(&self, method: Method, url: &Url) -> Result<Vec<u8>, Fail> {
        let endpoint = self.endpoint_of(url);
        let scope = token_scope(&method, &endpoint);
        let read_by_id = method == Method::GET
            && endpoint
                .get(1)
                .is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit()));
        let mut attempts = 0u32;
        let mut failures = 0u32;
        let mut throttled = 0u32;
        loop {
            let permit = self.sem.acquire().await.map_err(|_| {
                Fail::new(
                    FailKind::Other,
                    url,
                    &method,
                    "internal error: request queue closed",
                )
            })?;
            // Checked with the permit held, so lookups queued behind a refusal are not sent.
            if let Some(message) = self.rejection() {
                return Err(Fail::plain(FailKind::Unauthorized, message));
            }
            if let Some(message) = self.inner.access.refused(scope) {
                return Err(Fail::plain(FailKind::ScopeRefused, message));
            }
            if !self.take_request() {
                return Err(self.cap_fail());
            }
            attempts = attempts.saturating_add(1);
            let problem = match self
                .inner
                .client
                .request(method.clone(), url.clone())
                .send()
                .await
            {
                Err(e) => describe_transport(&e, self.cfg().timeout),
                Ok(mut resp) => {
                    let status = resp.status();
                    if status.is_success() {
                        match self.read_body(&mut resp, url, &method).await {
                            Ok(v) => {
                                self.inner.access.succeeded(scope);
                                return Ok(v);
                            }
                            Err(Ok(fail)) => return Err(fail),
                            Err(Err(problem)) => problem,
                        }
                    } else if status == StatusCode::TOO_MANY_REQUESTS {
                        drop(permit);
                        if throttled >= MAX_RATE_LIMIT_RETRIES {
                            let problem = format!(
                                "HTTP {status}: still rate-limited after {throttled} waits"
                            );
                            return Err(Fail::new(FailKind::Other, url, &method, &problem));
                        }
                        throttled += 1;
                        let wait =
                            retry_after(resp.headers()).unwrap_or_else(|| self.backoff(throttled));
                        tokio::time::sleep(wait).await;
                        continue;
                    } else if status.is_server_error() {
                        format!("HTTP {status}")
                    } else {
                        let message = api_message(&mut resp).await;
                        let refused =
                            matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN);
                        let refusal = refused.then(|| {
                            let request = format!("{method} {}", templated(url.path()));
                            self.inner.access.classify(
                                status,
                                scope,
                                &request,
                                read_by_id,
                                self.inner.scheme,
                                &message,
                            )
                        });
                        return Err(match (status, refusal) {
                            (StatusCode::NOT_FOUND, _) => {
                                Fail::new(FailKind::NotFound, url, &method, "HTTP 404 Not Found")
                            }
                            (_, Some(Refusal::Token(text))) => {
                                Fail::plain(FailKind::Unauthorized, text)
                            }
                            (_, Some(Refusal::Scope(text))) => {
                                Fail::plain(FailKind::ScopeRefused, text)
                            }
                            (_, Some(Refusal::Object)) => Fail::new(
                                FailKind::Forbidden,
                                url,
                                &method,
                                &format!("HTTP {status}{message}"),
                            ),
                            _ => Fail::new(
                                FailKind::Other,
                                url,
                                &method,
                                &format!("HTTP {status}{message}"),
                            ),
                        });
                    }
                }
            };
            drop(permit);
            if failures >= self.cfg().max_retries {
                let plural = if attempts == 1 { "" } else { "s" };
                let problem = format!("{problem} (gave up after {attempts} attempt{plural})");
                return Err(Fail::new(FailKind::Other, url, &method, &problem));
            }
            failures += 1;
            tokio::time::sleep(self.backoff(failures)).await;
        }
    }

    /// The body of a 2xx answer that says it is JSON. `Err(Ok(_))` is final, `Err(Err(_))` worth a retry
    /// (the transfer broke off or stalled).
    pub(super) async fn read_body(
        &self,
        resp: &mut reqwest::Response,
        url: &Url,
        method: &Method,
    ) -> Result<Vec<u8>, Result<Fail, String>> {
        if let Some(ct) = resp.headers().get(CONTENT_TYPE) {
            let ct = String::from_utf8_lossy(ct.as_bytes()).to_string();
            if !ct.to_ascii_lowercase().contains("json") {
                let problem = format!("the answer is `{ct}`, not JSON");
                return Err(Ok(Fail::new(FailKind::Other, url, method, &problem)));
            }
        }
        let limit = self.cfg().max_body_bytes;
        let body = match read_limited(resp, limit).await {
            Ok(body) => body,
            Err(ReadError::TooLarge) => {
                let problem = format!("the answer is larger than the {limit}-byte limit");
                return Err(Ok(Fail::new(FailKind::Other, url, method, &problem)));
            }
            Err(ReadError::Transport(e)) => {
                return Err(Err(describe_transport(&e, self.cfg().timeout)));
            }
        };
        Ok(body)
    }
}

pub(super) async fn read_limited(
    resp: &mut reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, ReadError> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(ReadError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(ReadError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// ` (<Make's message>: <detail> [code]; <suberrors>)` from an error answer, when it has any.
pub(super) async fn api_message(resp: &mut reqwest::Response) -> String {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() >= ERROR_BODY_LIMIT {
            return String::new();
        }
    }
    decode::error_message(&body)
}

pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let when = httpdate::parse_http_date(value).ok()?;
            when.duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// reqwest's own text ("error sending request for url (...)") hides the cause; name it.
pub(super) fn describe_transport(e: &reqwest::Error, timeout: Duration) -> String {
    let mut root: &dyn std::error::Error = e;
    while let Some(next) = root.source() {
        root = next;
    }
    let cause = root.to_string();
    if e.is_timeout() {
        format!("no complete answer within {} ms", timeout.as_millis())
    } else if e.is_connect() {
        format!("could not connect ({cause})")
    } else if e.is_body() || e.is_decode() {
        format!("the answer broke off ({cause})")
    } else {
        format!("request failed ({cause})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        // A server's number, however large, waits at most MAX_RETRY_AFTER and never overflows.
        for huge in ["18446744073709551615", "99999999999999999999", "-1"] {
            let mut h = HeaderMap::new();
            h.insert(RETRY_AFTER, HeaderValue::from_static(huge));
            assert!(
                retry_after(&h).is_none_or(|d| d <= MAX_RETRY_AFTER),
                "{huge}"
            );
        }
        h.insert(RETRY_AFTER, HeaderValue::from_static("99999"));
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        let soon = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(5));
        h.insert(RETRY_AFTER, HeaderValue::from_str(&soon).unwrap());
        let d = retry_after(&h).unwrap();
        assert!(
            d <= Duration::from_secs(5) && d >= Duration::from_secs(3),
            "{d:?}"
        );
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn templates_hide_ids() {
        assert_eq!(
            templated("/api/v2/connections/123/test"),
            "/api/v2/connections/{id}/test"
        );
    }
}

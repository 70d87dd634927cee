//! The requests of one run: the request cap, retries with Retry-After and backoff, body limits,
//! token-scope bookkeeping per endpoint, and the [`ApiError`] a request ends in.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::Semaphore;
use url::Url;

use super::access::token_scope;
use super::error::{ApiError, Request};
use super::{ApiConfig, Inner};
use crate::live::decode;

/// 429s are the API asking us to slow down, not failing: they get their own, larger budget.
const MAX_RATE_LIMIT_RETRIES: u32 = 10;
/// A Retry-After far in the future would stall the run with no output; past this we wait this long.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// Enough of an error answer to quote Make's `message`, `detail` and `suberrors`.
const ERROR_BODY_LIMIT: usize = 16 << 10;

/// State shared by the requests of one `resolve`, export, pull or inventory.
pub(super) struct Run {
    inner: Arc<Inner>,
    sem: Semaphore,
    requests: AtomicU64,
}

pub(super) enum ReadError {
    TooLarge,
    Transport(reqwest::Error),
}

/// Why the body of a 2xx answer could not be had.
enum BodyError {
    /// Not worth a retry.
    Final(ApiError),
    /// The transfer broke off or stalled: worth a retry.
    Retry(String),
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

    /// Requests sent so far (retries count).
    pub(super) fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// The error of a token refused outright, when it was.
    pub(super) fn rejection(&self) -> Option<ApiError> {
        self.inner.access.rejected()
    }

    /// `text` with the token masked: every text from Make or the network passes here before
    /// it goes into an error.
    pub(super) fn scrub(&self, text: &str) -> String {
        self.inner.cfg.token.scrub(text)
    }

    /// The answer to `request` is not the one asked for.
    pub(super) fn bad_answer(&self, request: Request, why: impl fmt::Display) -> ApiError {
        ApiError::BadAnswer {
            request,
            why: self.scrub(&why.to_string()),
        }
    }

    /// The path segments below the base URL: `["hooks", "5"]`.
    fn endpoint_of<'u>(&self, url: &'u Url) -> Vec<&'u str> {
        url.path_segments()
            .map(|s| {
                s.filter(|s| !s.is_empty())
                    .skip(self.inner.base_depth)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Counts a request about to be sent; false once the cap is reached.
    fn take_request(&self) -> bool {
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

    /// The URL of an endpoint below the base URL: `["connections", "5", "test"]`.
    pub(super) fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.cfg().base_url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    fn backoff(&self, attempt: u32) -> Duration {
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

    /// `GET` of an endpoint below the base URL (`&["connections", "5"]`, a query of `(name,
    /// value)` pairs), its JSON answer read by `read` (`serde_json::from_value`, a `decode`
    /// function): the one way to add an endpoint. The token scope it needs (by path, see
    /// `access::token_scope`), retries, the request cap and errors that name the request come
    /// with it; what `read` refuses is an [`ApiError::BadAnswer`].
    pub(super) async fn get_json<T, E: fmt::Display>(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
        read: impl FnOnce(Value) -> Result<T, E>,
    ) -> Result<T, ApiError> {
        let mut url = self.endpoint(segments);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let answer = self.call(Method::GET, &url).await?;
        read(answer).map_err(|e| self.bad_answer(Request::new(&Method::GET, &url), e))
    }

    /// Sends one request and returns its answer as JSON.
    pub(super) async fn call(&self, method: Method, url: &Url) -> Result<Value, ApiError> {
        let body = self.call_raw(method.clone(), url).await?;
        decode::json(&body).map_err(|e| self.bad_answer(Request::new(&method, url), e))
    }

    /// Sends one request, retrying what may pass on a second try, and returns the body of its
    /// (JSON-typed) answer.
    pub(super) async fn call_raw(&self, method: Method, url: &Url) -> Result<Vec<u8>, ApiError> {
        let request = Request::new(&method, url);
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
            let permit = self
                .sem
                .acquire()
                .await
                .map_err(|_| ApiError::Internal("the request queue closed".into()))?;
            // Checked with the permit held, so lookups queued behind a refusal are not sent.
            if let Some(error) = self.rejection() {
                return Err(error);
            }
            if let Some(error) = self.inner.access.refused(scope) {
                return Err(error);
            }
            if !self.take_request() {
                let cap = self.cfg().max_requests.unwrap_or(0);
                return Err(ApiError::RequestCap { cap });
            }
            attempts = attempts.saturating_add(1);
            let cause = match self
                .inner
                .client
                .request(method.clone(), url.clone())
                .send()
                .await
            {
                Err(e) => self.scrub(&describe_transport(&e, self.cfg().timeout)),
                Ok(mut resp) => {
                    let status = resp.status();
                    if status.is_success() {
                        match self.read_body(&mut resp, &request).await {
                            Ok(v) => {
                                self.inner.access.succeeded(scope);
                                return Ok(v);
                            }
                            Err(BodyError::Final(error)) => return Err(error),
                            Err(BodyError::Retry(cause)) => cause,
                        }
                    } else if status == StatusCode::TOO_MANY_REQUESTS {
                        drop(permit);
                        if throttled >= MAX_RATE_LIMIT_RETRIES {
                            return Err(ApiError::RateLimited {
                                request,
                                waits: throttled,
                            });
                        }
                        throttled += 1;
                        let wait =
                            retry_after(resp.headers()).unwrap_or_else(|| self.backoff(throttled));
                        tokio::time::sleep(wait).await;
                        continue;
                    } else if status.is_server_error() {
                        format!("HTTP {status}")
                    } else {
                        let said = self.scrub(&api_message(&mut resp).await);
                        return Err(self.refusal(status, scope, request, read_by_id, said));
                    }
                }
            };
            drop(permit);
            if failures >= self.cfg().max_retries {
                return Err(ApiError::GaveUp {
                    request,
                    cause,
                    attempts,
                });
            }
            failures += 1;
            tokio::time::sleep(self.backoff(failures)).await;
        }
    }

    /// The error of a 4xx answer other than 429, Make's own words in `said`.
    fn refusal(
        &self,
        status: StatusCode,
        scope: Option<&'static str>,
        request: Request,
        read_by_id: bool,
        said: String,
    ) -> ApiError {
        if status == StatusCode::NOT_FOUND {
            return ApiError::NotFound { request };
        }
        if !matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            return ApiError::Http {
                request,
                status,
                said,
            };
        }
        let about_the_token = self.inner.access.classify(
            status,
            scope,
            &request,
            read_by_id,
            self.inner.scheme,
            &said,
        );
        about_the_token.unwrap_or(ApiError::Refused {
            request,
            status,
            said,
        })
    }

    /// The body of a 2xx answer that says it is JSON.
    async fn read_body(
        &self,
        resp: &mut reqwest::Response,
        request: &Request,
    ) -> Result<Vec<u8>, BodyError> {
        if let Some(ct) = resp.headers().get(CONTENT_TYPE) {
            let ct = String::from_utf8_lossy(ct.as_bytes()).to_string();
            if !ct.to_ascii_lowercase().contains("json") {
                let why = format!("the answer is `{ct}`, not JSON");
                return Err(BodyError::Final(self.bad_answer(request.clone(), why)));
            }
        }
        let limit = self.cfg().max_body_bytes;
        match read_limited(resp, limit).await {
            Ok(body) => Ok(body),
            Err(ReadError::TooLarge) => Err(BodyError::Final(ApiError::BodyTooLarge {
                request: request.clone(),
                limit,
            })),
            Err(ReadError::Transport(e)) => Err(BodyError::Retry(
                self.scrub(&describe_transport(&e, self.cfg().timeout)),
            )),
        }
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
}

//! The Make API client: answers a [`ResolveRequest`] with as few requests as the API allows.
//!
//! Make rate-limits per organization (60 requests a minute on Core), so an audit lists a team's
//! connections page by page, asks by id only for what the list lacks, checks scopes with one
//! filtered list call per (type, scope set), and never asks for the same id twice. Anything it
//! could not establish is reported in [`Resolution::unchecked`], never guessed: a failed
//! listing leaves every id unchecked rather than "not found".
//!
//! A found connection whose scopes or verification could not be established stays in `found`,
//! is listed in `unchecked` with the reason too, and is named in `errors` (which makes the run
//! exit 2 even where the pipeline only counts ids neither found nor missing as unchecked).
//!
//! The token is held in [`Token`], whose `Debug` hides it; it travels only in a header marked
//! sensitive, redirects are refused (so it cannot follow one to another host), and every message
//! this module builds is scrubbed of it before it leaves.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER, USER_AGENT,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use url::{Host, Url};

use super::decode::{self, row_id};
use super::{Connection, ConnectionSource, Resolution, ResolveRequest, StoredObject, Verification};
use crate::model::RefKind;

/// Requests in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Per request, body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_MAX_RETRIES: u32 = 4;
pub const DEFAULT_PAGE_SIZE: u32 = 500;
/// Matches Make's SDK: 1 s doubling to 30 s.
pub const DEFAULT_BACKOFF_BASE: Duration = Duration::from_secs(1);
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Far above any real page (500 rows are well under 1 MiB), low enough that a broken or hostile
/// server cannot make the client buffer without bound.
pub const DEFAULT_MAX_BODY_BYTES: usize = 32 << 20;

/// 429s are the API asking us to slow down, not failing: they get their own, larger budget.
const MAX_RATE_LIMIT_RETRIES: u32 = 10;
/// A Retry-After far in the future would stall the run with no output; past this we wait this long.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// Enough of an error answer to quote Make's `message`, `detail` and `suberrors`.
const ERROR_BODY_LIMIT: usize = 16 << 10;
/// A server that keeps inventing new ids would otherwise page forever when no request cap is set.
const MAX_PAGES: u64 = 100_000;

const ZONES: &str = "eu1, eu2, us1, us2, eu1.celonis, us1.celonis \
    (or their hosts: eu1.make.com, eu2.make.com, us1.make.com, us2.make.com, \
    eu1.make.celonis.com, us1.make.celonis.com)";

/// A Make API token. `Debug` shows `Token(***)`; there is deliberately no `Display`.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// Surrounding whitespace is dropped (a token pasted from a file often ends in a newline).
    pub fn new(token: impl Into<String>) -> Result<Token, String> {
        let token = token.into().trim().to_string();
        if token.is_empty() {
            return Err("the Make API token is empty".to_string());
        }
        if HeaderValue::from_str(&format!("Token {token}")).is_err() {
            return Err(
                "the Make API token contains characters that cannot be sent in an HTTP header"
                    .to_string(),
            );
        }
        Ok(Token(token))
    }

    /// Reads `MAKE_API_TOKEN` and nothing else, so a token never lands in shell history or `ps`.
    pub fn from_env() -> Result<Token, String> {
        match std::env::var("MAKE_API_TOKEN") {
            Ok(v) if !v.trim().is_empty() => {
                // From here on no text this process prints can carry it.
                crate::redact::register_secret(&v);
                Token::new(v).map_err(|e| format!("MAKE_API_TOKEN: {e}"))
            }
            Ok(_) => Err(
                "MAKE_API_TOKEN is empty: set it to a Make API token with the `connections:read` scope"
                    .to_string(),
            ),
            Err(std::env::VarError::NotPresent) => Err(
                "MAKE_API_TOKEN is not set: set it to a Make API token with the `connections:read` scope"
                    .to_string(),
            ),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err("MAKE_API_TOKEN is not valid UTF-8".to_string())
            }
        }
    }

    fn scrub(&self, text: &str) -> String {
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

    fn header(&self, scheme: AuthScheme) -> Result<HeaderValue, String> {
        let text = format!("{} {}", scheme.word(), self.0);
        let mut value = HeaderValue::from_str(&text).map_err(|_| {
            "the Make API token contains characters that cannot be sent in an HTTP header"
                .to_string()
        })?;
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
    fn hint(self) -> &'static str {
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
pub fn zone_base_url(zone: &str) -> Result<Url, String> {
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
            return Err(format!(
                "unknown Make zone `{}`: valid zones are {ZONES}",
                zone.trim()
            ));
        }
    };
    Url::parse(&format!("https://{host}/api/v2")).map_err(|e| format!("zone `{z}`: {e}"))
}

/// An explicit API base URL (`--api-url`). Plain http is allowed only for loopback test servers,
/// since the token would otherwise cross the network in clear text.
pub fn parse_api_url(s: &str) -> Result<Url, String> {
    // The text is quoted masked: a URL with a password in it must not put it on the screen.
    let url = Url::parse(s.trim())
        .map_err(|e| format!("invalid API URL `{}`: {e}", crate::redact::mask(s.trim())))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the API URL must not contain a user name or password".to_string());
    }
    if url.cannot_be_a_base() || url.host().is_none() {
        return Err(format!("the API URL `{url}` has no host"));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(format!(
            "the API URL `{url}` uses plain http: the token would travel unencrypted; \
             use https (plain http is accepted only for 127.0.0.0/8, ::1 and localhost)"
        )),
        other => Err(format!(
            "the API URL `{url}` uses the scheme `{other}`: only https is supported"
        )),
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
pub fn config_api_url(s: &str) -> Result<Url, String> {
    let url = parse_api_url(s).map_err(|e| format!("bplint.toml `api_url`: {e}"))?;
    if is_make_host(&url) {
        return Ok(url);
    }
    Err(format!(
        "bplint.toml sets `api_url` to `{}`, which is not a Make host (*.make.com, \
         *.make.celonis.com over https): the API token is sent there only when the command line \
         (`--api-url`) or the environment (`BPLINT_API_URL`) names it. Use `zone = \"eu1\"` \
         (or another zone) in bplint.toml, or pass --api-url / --zone",
        url.host_str().unwrap_or_default()
    ))
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// How to reach the API and how hard to try.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub base_url: Url,
    pub token: Token,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Per request, reading the body included.
    pub timeout: Duration,
    /// A hard cap on requests sent in one run (`--max-requests`); retries count.
    pub max_requests: Option<u64>,
    /// Retries after 5xx answers, timeouts and connection errors (429s have their own budget).
    pub max_retries: u32,
    /// `pg[limit]` of list calls.
    pub page_size: u32,
    pub backoff_base: Duration,
    pub max_backoff: Duration,
    /// Answers larger than this are refused rather than buffered.
    pub max_body_bytes: usize,
    /// `None`: chosen from the token's shape ([`AuthScheme::for_token`]).
    pub auth_scheme: Option<AuthScheme>,
}

impl ApiConfig {
    pub fn new(base_url: Url, token: Token) -> ApiConfig {
        ApiConfig {
            base_url,
            token,
            concurrency: DEFAULT_CONCURRENCY,
            timeout: DEFAULT_TIMEOUT,
            max_requests: None,
            max_retries: DEFAULT_MAX_RETRIES,
            page_size: DEFAULT_PAGE_SIZE,
            backoff_base: DEFAULT_BACKOFF_BASE,
            max_backoff: DEFAULT_MAX_BACKOFF,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            auth_scheme: None,
        }
    }
}

/// The Make API as a [`ConnectionSource`].
pub struct MakeApi {
    inner: Arc<Inner>,
    /// Always `Some` until dropped.
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for MakeApi {
    fn drop(&mut self) {
        // A plain drop blocks, which panics when the client is dropped inside async code.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

struct Inner {
    cfg: ApiConfig,
    client: reqwest::Client,
    scheme: AuthScheme,
    /// Path segments of the base URL (`api`, `v2`): what follows names the endpoint.
    base_depth: usize,
    /// What the API said about this client's token so far, across calls.
    access: TokenAccess,
}

impl fmt::Debug for MakeApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MakeApi")
            .field("base_url", &self.inner.cfg.base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl MakeApi {
    pub fn new(mut cfg: ApiConfig) -> Result<MakeApi, String> {
        // Re-checked here so a config built by hand cannot send the token over plain http.
        let mut base = parse_api_url(cfg.base_url.as_str())?;
        base.set_query(None);
        base.set_fragment(None);
        cfg.base_url = base;
        cfg.concurrency = cfg.concurrency.max(1);
        cfg.page_size = cfg.page_size.max(1);

        let scheme = cfg
            .auth_scheme
            .unwrap_or_else(|| AuthScheme::for_token(&cfg.token));
        let base_depth = cfg
            .base_url
            .path_segments()
            .map_or(0, |segs| segs.filter(|s| !s.is_empty()).count());
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, cfg.token.header(scheme)?);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("bplint/", env!("CARGO_PKG_VERSION"))),
        );
        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(cfg.timeout)
            // The API never redirects; following one could hand the token to another host.
            .redirect(reqwest::redirect::Policy::none());
        if is_loopback(&cfg.base_url) {
            // A proxy from the environment cannot reach this machine's loopback test server.
            builder = builder.no_proxy();
        }
        let client = builder.build().map_err(|e| {
            cfg.token
                .scrub(&format!("cannot set up the HTTP client: {e}"))
        })?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        Ok(MakeApi {
            inner: Arc::new(Inner {
                cfg,
                client,
                scheme,
                base_depth,
                access: TokenAccess::default(),
            }),
            runtime: Some(runtime),
        })
    }

    /// Every connection of `team`, as the API listed them: `{"teamId": T, "connections": [rows...]}`
    /// (the snapshot format; `teamId` tells a later run which team it was taken for).
    pub fn export_connections(&self, team: u64) -> Result<Value, String> {
        let run = Run::new(self.inner.clone());
        let token = self.inner.cfg.token.clone();
        let result = self.block_on(async move { run.list_all(team, None).await });
        match result {
            Ok(Ok(rows)) => Ok(json!({ "teamId": team, "connections": rows })),
            Ok(Err(fail)) => Err(token.scrub(&list_failure(team, fail))),
            Err(e) => Err(e),
        }
    }

    /// The team's connections, and what the API says about the `referenced` ids the team's list
    /// lacks (another team's, or gone): one paged listing, then one lookup per such id.
    pub fn team_inventory(
        &self,
        team: u64,
        referenced: &BTreeSet<u64>,
    ) -> Result<(Vec<Connection>, Resolution), String> {
        let run = Run::new(self.inner.clone());
        let token = self.inner.cfg.token.clone();
        let referenced = referenced.clone();
        let result = self.block_on(async move {
            let rows = run.list_all(team, None).await?;
            // As in `resolve`: a referenced row whose `expire` cannot be read is looked up by
            // id, which reports it unchecked.
            let listed: Vec<Connection> = rows
                .iter()
                .filter(|row| super::connection::unreadable_expire(row).is_none())
                .filter_map(Connection::from_json)
                .map(|mut c| {
                    // The list is the team's own, whether or not its rows say so.
                    c.team_id.get_or_insert(team);
                    c.scoped = None;
                    c
                })
                .collect();
            let known: HashSet<u64> = listed.iter().map(|c| c.id).collect();
            let mut out = Collect::default();
            let mut jobs: JoinSet<Job> = JoinSet::new();
            for id in referenced.into_iter().filter(|id| !known.contains(id)) {
                let run = run.clone();
                jobs.spawn(async move { Job::ById(id, run.by_id(id).await) });
            }
            drain(&mut jobs, &mut out, &mut Pending::default()).await;
            Ok((listed, finish(out, &run)))
        });
        match result {
            Ok(Ok((listed, mut res))) => {
                scrub_resolution(&mut res, &token);
                Ok((listed, res))
            }
            Ok(Err(fail)) => Err(token.scrub(&list_failure(team, fail))),
            Err(e) => Err(e),
        }
    }

    /// Lists the scenarios of `team` and fetches every blueprint, concurrently within the same
    /// bound, retries and rate-limit handling as connection lookups. `Err` when the list could
    /// not be had; a blueprint that could not be fetched is reported in its [`Pulled`].
    pub fn pull_blueprints(&self, team: u64) -> Result<PullOutcome, String> {
        let run = Run::new(self.inner.clone());
        let token = self.inner.cfg.token.clone();
        let result = self.block_on(async move {
            let rows = run
                .paged("scenarios", |offset| {
                    run.team_url("scenarios", team, offset)
                })
                .await?;
            let mut jobs: JoinSet<(usize, Result<String, Fail>)> = JoinSet::new();
            let mut pulled: Vec<Pulled> = Vec::new();
            let mut skipped = 0usize;
            for row in &rows {
                let Some(id) = row_id(row) else {
                    skipped += 1;
                    continue;
                };
                let name = row
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let at = pulled.len();
                pulled.push(Pulled {
                    id,
                    name,
                    blueprint: Err(String::new()),
                });
                let run = run.clone();
                jobs.spawn(async move { (at, run.blueprint(id).await) });
            }
            while let Some(joined) = jobs.join_next().await {
                // A task that died leaves its placeholder error, which names the scenario.
                if let Ok((at, result)) = joined {
                    if let Some(p) = pulled.get_mut(at) {
                        p.blueprint = result.map_err(|f| f.reason);
                    }
                }
            }
            for p in &mut pulled {
                if matches!(&p.blueprint, Err(e) if e.is_empty()) {
                    p.blueprint = Err("internal error: the fetch task failed".into());
                }
            }
            let requests = run.requests.load(Ordering::SeqCst);
            Ok::<_, Fail>(PullOutcome {
                scenarios: pulled,
                rows_without_id: skipped,
                requests,
            })
        });
        match result {
            Ok(Ok(mut out)) => {
                for p in &mut out.scenarios {
                    if let Err(e) = &mut p.blueprint {
                        *e = token.scrub(e);
                    }
                }
                Ok(out)
            }
            Ok(Err(fail)) => Err(token.scrub(&match fail.kind {
                FailKind::Cap | FailKind::Unauthorized => fail.reason,
                _ => format!(
                    "could not list the scenarios of team {team}: {}",
                    fail.reason
                ),
            })),
            Err(e) => Err(e),
        }
    }

    /// Runs `fut` on our runtime. Called from inside another runtime (where `block_on` would
    /// panic), it runs on a helper thread instead.
    fn block_on<F>(&self, fut: F) -> Result<F::Output, String>
    where
        F: Future + Send,
        F::Output: Send,
    {
        let Some(runtime) = self.runtime.as_ref() else {
            return Err("internal error: the Make API client was shut down".to_string());
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|s| {
                s.spawn(|| runtime.block_on(fut))
                    .join()
                    .map_err(|_| "internal error: the Make API worker thread panicked".to_string())
            })
        } else {
            Ok(runtime.block_on(fut))
        }
    }
}

impl ConnectionSource for MakeApi {
    fn describe(&self) -> String {
        let url = &self.inner.cfg.base_url;
        match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("Make API {h}:{p}"),
            (Some(h), None) => format!("Make API {h}"),
            _ => format!("Make API {url}"),
        }
    }

    fn resolve(&self, request: &ResolveRequest) -> Resolution {
        if request.ids.is_empty() && request.objects.values().all(BTreeSet::is_empty) {
            return Resolution::default();
        }
        let run = Run::new(self.inner.clone());
        let req = request.clone();
        let work = async move {
            // Connections first: their listing needs the scope every audit token has
            // (`connections:read`), so a refusal of the first request speaks about the token,
            // and a later one about the scope of its own endpoint only.
            let mut res = if req.ids.is_empty() {
                finish(Collect::default(), &run)
            } else {
                resolve(run.clone(), req.clone()).await
            };
            let objects = resolve_objects(&run, req.team, &req.objects).await;
            // A bad token is reported once, by whichever request met it first.
            if !run.is_unauthorized() {
                res.objects = objects.found;
                res.objects_not_found = objects.missing;
                res.objects_unchecked = objects.unchecked;
            }
            for e in objects.errors {
                if !res.errors.contains(&e) {
                    res.errors.push(e);
                }
            }
            res.requests = run.requests.load(Ordering::SeqCst);
            res
        };
        let mut res = match self.block_on(work) {
            Ok(res) => res,
            Err(e) => Resolution {
                unchecked: request.ids.iter().map(|id| (*id, e.clone())).collect(),
                errors: vec![e],
                ..Resolution::default()
            },
        };
        scrub_resolution(&mut res, &self.inner.cfg.token);
        res
    }
}

fn scrub_resolution(res: &mut Resolution, token: &Token) {
    for reason in res
        .unchecked
        .values_mut()
        .chain(res.objects_unchecked.values_mut())
    {
        *reason = token.scrub(reason);
    }
    for text in res.errors.iter_mut().chain(res.notes.iter_mut()) {
        *text = token.scrub(text);
    }
    for v in res.verification.values_mut() {
        if let Some(e) = &mut v.error {
            *e = token.scrub(e);
        }
    }
}

fn list_failure(team: u64, fail: Fail) -> String {
    match fail.kind {
        FailKind::Cap | FailKind::Unauthorized => fail.reason,
        _ => format!(
            "could not list the connections of team {team}: {}",
            fail.reason
        ),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FailKind {
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

/// A scenario of the team and its blueprint's JSON text, or why it could not be fetched.
#[derive(Debug, Clone)]
pub struct Pulled {
    pub id: u64,
    pub name: String,
    pub blueprint: Result<String, String>,
}

#[derive(Debug, Clone)]
pub struct PullOutcome {
    pub scenarios: Vec<Pulled>,
    /// Listed rows without a usable id (they cannot be fetched).
    pub rows_without_id: usize,
    pub requests: u64,
}

/// Why a request gave no usable answer.
#[derive(Debug, Clone)]
struct Fail {
    kind: FailKind,
    /// `GET /api/v2/connections/5: HTTP 503 Service Unavailable (gave up after 5 attempts)`.
    reason: String,
    /// The reason with ids in the path replaced by `{id}`, so one cause is reported once.
    summary: String,
}

impl Fail {
    fn new(kind: FailKind, url: &Url, method: &Method, problem: &str) -> Fail {
        Fail {
            kind,
            reason: format!("{method} {}: {problem}", url.path()),
            summary: format!("{method} {}: {problem}", templated(url.path())),
        }
    }

    fn plain(kind: FailKind, text: String) -> Fail {
        Fail {
            kind,
            summary: text.clone(),
            reason: text,
        }
    }
}

fn templated(path: &str) -> String {
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

/// The token scope (as Make's SDK names them) an endpoint needs, from the path below the base
/// URL: `["hooks"]`, `["connections", "5", "test"]`.
fn token_scope(method: &Method, endpoint: &[&str]) -> Option<&'static str> {
    Some(match endpoint.first().copied()? {
        "connections" if *method == Method::POST => "connections:write",
        "connections" => "connections:read",
        "hooks" => "hooks:read",
        "data-stores" => "datastores:read",
        "keys" => "keys:read",
        "scenarios" => "scenarios:read",
        "credential-requests" => "apps:read",
        "sdk" => "sdk-apps:read",
        _ => return None,
    })
}

/// What the API said about the token so far. Make does not document whether a token without a
/// scope gets 401 or 403, so a refusal is read against what came before it: before any success
/// a 401 means the token itself is wrong or missing; after one, a 401 or 403 on an endpoint
/// whose scope nothing has proven means the token lacks that scope, and only that endpoint's
/// answers are lost. A refused read of one object by id (`GET /hooks/5`) stays about that
/// object (another team's, another zone's, or the scope: its message names all three), so one
/// foreign id cannot stop the lookups of the others.
#[derive(Default)]
struct TokenAccess {
    accepted: AtomicBool,
    /// The message for a token refused outright; once set, nothing more is sent.
    rejected: Mutex<Option<String>>,
    /// Scopes some successful answer proved.
    granted: Mutex<BTreeSet<&'static str>>,
    /// Scopes refused after the token was accepted, with the reason; their endpoints are not
    /// asked again.
    refused: Mutex<BTreeMap<&'static str, String>>,
}

/// How to read a 401 or 403.
enum Refusal {
    /// The token is wrong or missing (the message says so).
    Token(String),
    /// The token lacks this scope.
    Scope(String),
    /// Access to this one object was refused.
    Object,
}

impl TokenAccess {
    fn rejected(&self) -> Option<String> {
        self.rejected.lock().ok().and_then(|r| r.clone())
    }

    fn refused(&self, scope: Option<&'static str>) -> Option<String> {
        let scope = scope?;
        self.refused.lock().ok()?.get(scope).cloned()
    }

    fn succeeded(&self, scope: Option<&'static str>) {
        self.accepted.store(true, Ordering::SeqCst);
        if let (Some(scope), Ok(mut granted)) = (scope, self.granted.lock()) {
            granted.insert(scope);
        }
    }

    fn classify(
        &self,
        status: StatusCode,
        scope: Option<&'static str>,
        request: &str,
        read_by_id: bool,
        scheme: AuthScheme,
        said: &str,
    ) -> Refusal {
        let proven = scope.is_some_and(|s| self.granted.lock().is_ok_and(|g| g.contains(s)));
        if !self.accepted.load(Ordering::SeqCst) {
            if status != StatusCode::UNAUTHORIZED {
                return Refusal::Object;
            }
            let needs = scope.unwrap_or("connections:read");
            let message = format!(
                "the Make API refused the token (401 on {request}{said}): MAKE_API_TOKEN is \
                 missing, wrong, or lacks the `{needs}` scope; it was {}",
                scheme.hint()
            );
            if let Ok(mut r) = self.rejected.lock() {
                // The first refusal names the request; later ones repeat it.
                return Refusal::Token(r.get_or_insert(message).clone());
            }
            return Refusal::Token(message);
        }
        match scope {
            Some(scope) if !proven && !read_by_id => {
                let message = format!(
                    "the token lacks the `{scope}` scope: the Make API refused {request} \
                     (HTTP {}{said}) after accepting the token for other requests",
                    status.as_u16()
                );
                match self.refused.lock() {
                    Ok(mut r) => Refusal::Scope(r.entry(scope).or_insert(message).clone()),
                    Err(_) => Refusal::Scope(message),
                }
            }
            _ => Refusal::Object,
        }
    }
}

/// State shared by the requests of one `resolve` or export.
struct Run {
    inner: Arc<Inner>,
    sem: Semaphore,
    requests: AtomicU64,
}

enum ReadError {
    TooLarge,
    Transport(reqwest::Error),
}

impl Run {
    fn new(inner: Arc<Inner>) -> Arc<Run> {
        let permits = inner.cfg.concurrency.min(Semaphore::MAX_PERMITS);
        Arc::new(Run {
            inner,
            sem: Semaphore::new(permits),
            requests: AtomicU64::new(0),
        })
    }

    fn cfg(&self) -> &ApiConfig {
        &self.inner.cfg
    }

    fn is_unauthorized(&self) -> bool {
        self.inner.access.rejected().is_some()
    }

    /// The message for a token refused outright, when it was.
    fn rejection(&self) -> Option<String> {
        self.inner.access.rejected()
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

    fn cap_fail(&self) -> Fail {
        let cap = self.cfg().max_requests.unwrap_or(0);
        Fail::plain(
            FailKind::Cap,
            format!("request cap (--max-requests {cap}) reached"),
        )
    }

    fn endpoint(&self, segments: &[&str]) -> Url {
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

    /// Sends one request and returns its answer as JSON.
    async fn call(&self, method: Method, url: &Url) -> Result<Value, Fail> {
        let body = self.call_raw(method.clone(), url).await?;
        decode::json(&body).map_err(|e| Fail::new(FailKind::Other, url, &method, &e.to_string()))
    }

    /// Sends one request, retrying what may pass on a second try, and returns the body of its
    /// (JSON-typed) answer.
    async fn call_raw(&self, method: Method, url: &Url) -> Result<Vec<u8>, Fail> {
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
    async fn read_body(
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

    fn list_url(&self, team: u64, filter: Option<&Group>, offset: u64) -> Url {
        let mut url = self.endpoint(&["connections"]);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("teamId", &team.to_string());
            if let Some((kind, scopes)) = filter {
                q.append_pair("type[]", kind);
                let key = format!("{kind}[]");
                for scope in scopes {
                    q.append_pair(&key, scope);
                }
            }
            q.append_pair("pg[limit]", &self.cfg().page_size.to_string());
            q.append_pair("pg[offset]", &offset.to_string());
        }
        url
    }

    /// Every row of a team's (optionally filtered) connection list.
    async fn list_all(&self, team: u64, filter: Option<&Group>) -> Result<Vec<Value>, Fail> {
        Ok(self.list_counted(team, filter).await?.0)
    }

    /// [`Run::list_all`], with the requests the listing took.
    async fn list_counted(
        &self,
        team: u64,
        filter: Option<&Group>,
    ) -> Result<(Vec<Value>, u64), Fail> {
        self.paged_counted("connections", |offset| self.list_url(team, filter, offset))
            .await
    }

    /// `GET /{what}?teamId=T`, paged the same way as connections.
    fn team_url(&self, what: &str, team: u64, offset: u64) -> Url {
        let mut url = self.endpoint(&[what]);
        url.query_pairs_mut()
            .append_pair("teamId", &team.to_string())
            .append_pair("pg[limit]", &self.cfg().page_size.to_string())
            .append_pair("pg[offset]", &offset.to_string());
        url
    }

    /// Every row of the `key` list the URLs give.
    async fn paged(&self, key: &str, url_at: impl Fn(u64) -> Url) -> Result<Vec<Value>, Fail> {
        Ok(self.paged_counted(key, url_at).await?.0)
    }

    /// Every row of the `key` list the URLs give, and the pages asked, paging until a short
    /// page, `pg.total`, a page longer than asked (a server that ignores `pg[]` sends every
    /// row at once), or a page that brings no new id.
    async fn paged_counted(
        &self,
        key: &str,
        url_at: impl Fn(u64) -> Url,
    ) -> Result<(Vec<Value>, u64), Fail> {
        let page_size = u64::from(self.cfg().page_size);
        let mut rows = Vec::new();
        let mut seen = HashSet::new();
        let mut offset = 0u64;
        for page_number in 1..=MAX_PAGES {
            let url = url_at(offset);
            let answer = self.call(Method::GET, &url).await?;
            let decode::Page { rows: page, total } = decode::page(&answer, key)
                .map_err(|e| Fail::new(FailKind::Other, &url, &Method::GET, &e.to_string()))?;
            let mut new = 0usize;
            for row in page {
                match row_id(row) {
                    Some(id) if !seen.insert(id) => {}
                    Some(_) => {
                        new += 1;
                        rows.push(row.clone());
                    }
                    // Kept for exports, but it cannot prove that paging moves forward.
                    None => rows.push(row.clone()),
                }
            }
            let len = page.len() as u64;
            offset += len;
            if len != page_size || new == 0 || total.is_some_and(|t| offset >= t) {
                return Ok((rows, page_number));
            }
        }
        Ok((rows, MAX_PAGES))
    }

    /// The blueprint of a scenario, as the JSON text the API sent (key order kept), with what
    /// the answer holds beside it put back as real exports have it: the scenario's inputs and
    /// outputs (`response.metadata.input_spec`/`output_spec`) as `io`, and `scheduling`. Without
    /// the inputs a connection given as a scenario input could not be resolved.
    async fn blueprint(&self, id: u64) -> Result<String, Fail> {
        use serde_json::value::RawValue;
        #[derive(serde::Deserialize)]
        struct Answer<'a> {
            #[serde(borrow)]
            response: Response<'a>,
        }
        #[derive(serde::Deserialize)]
        struct Response<'a> {
            #[serde(borrow)]
            blueprint: &'a RawValue,
            #[serde(borrow, default)]
            scheduling: Option<&'a RawValue>,
            #[serde(borrow, default)]
            metadata: Option<&'a RawValue>,
        }
        let url = self.endpoint(&["scenarios", &id.to_string(), "blueprint"]);
        let body = self.call_raw(Method::GET, &url).await?;
        match serde_json::from_slice::<Answer<'_>>(&body) {
            Ok(a) => {
                let r = a.response;
                let io = r.metadata.and_then(|m| scenario_io(m.get()));
                let scheduling = r.scheduling.map(RawValue::get).filter(|s| *s != "null");
                Ok(crate::pull::with_scenario_parts(
                    r.blueprint.get(),
                    io.as_deref(),
                    scheduling,
                ))
            }
            Err(e) => Err(Fail::new(
                FailKind::Other,
                &url,
                &Method::GET,
                &format!("the answer holds no `response.blueprint` ({e})"),
            )),
        }
    }

    /// `GET /hooks/{id}`, `/data-stores/{id}`, `/keys/{id}`: the object, whichever team it is in.
    async fn object_by_id(&self, kind: RefKind, id: u64) -> Result<StoredObject, Fail> {
        let Some((path, _)) = super::object_list(kind) else {
            return Err(Fail::plain(
                FailKind::Other,
                format!("internal error: no endpoint for {}", kind.name()),
            ));
        };
        let url = self.endpoint(&[path, &id.to_string()]);
        let answer = self.call(Method::GET, &url).await?;
        let row = super::object_record_key(kind)
            .and_then(|key| answer.get(key))
            .unwrap_or(&answer);
        match StoredObject::from_json(kind, row) {
            Some(o) if o.id == id => Ok(o),
            Some(o) => Err(Fail::new(
                FailKind::Other,
                &url,
                &Method::GET,
                &format!("the answer describes {} {} instead", kind.name(), o.id),
            )),
            None => Err(Fail::new(
                FailKind::Other,
                &url,
                &Method::GET,
                &format!("the answer holds no {} with an id", kind.name()),
            )),
        }
    }

    async fn by_id(&self, id: u64) -> Result<Connection, Fail> {
        let url = self.endpoint(&["connections", &id.to_string()]);
        let answer = self.call(Method::GET, &url).await?;
        decode::connection(&answer, id)
            .map_err(|e| Fail::new(FailKind::Other, &url, &Method::GET, &e.to_string()))
    }

    /// `POST /connections/{id}/test`, or the seed's `/verify` where `/test` does not exist.
    async fn verify(&self, id: u64) -> Result<Verification, Fail> {
        let idtext = id.to_string();
        let mut last = None;
        for endpoint in ["test", "verify"] {
            let url = self.endpoint(&["connections", &idtext, endpoint]);
            match self.call(Method::POST, &url).await {
                Ok(answer) => {
                    return decode::verification(&answer).map_err(|e| {
                        Fail::new(FailKind::Other, &url, &Method::POST, &e.to_string())
                    });
                }
                Err(f) if f.kind == FailKind::NotFound => last = Some(f),
                Err(f) => return Err(f),
            }
        }
        Err(last.unwrap_or_else(|| Fail::plain(FailKind::Other, "no verify endpoint".into())))
    }
}

/// `{"input_spec": [...], "output_spec": [...]}` from a blueprint answer's `response.metadata`,
/// each as Make sent it; `None` when the metadata holds neither, or only empty ones.
fn scenario_io(metadata: &str) -> Option<String> {
    use serde_json::value::RawValue;
    let fields: BTreeMap<String, &RawValue> = serde_json::from_str(metadata).ok()?;
    let parts: Vec<String> = ["input_spec", "output_spec"]
        .iter()
        .filter_map(|key| {
            let raw = fields.get(*key)?.get();
            Some(format!("\"{key}\":{raw}"))
        })
        .collect();
    let empty = ["input_spec", "output_spec"].iter().all(|key| {
        fields.get(*key).is_none_or(|raw| {
            raw.get()
                .trim_start_matches('[')
                .trim_start()
                .starts_with(']')
        })
    });
    (!parts.is_empty() && !empty).then(|| format!("{{{}}}", parts.join(",")))
}

/// A scope check: connection type and the scopes it must hold.
type Group = (String, BTreeSet<String>);

async fn read_limited(resp: &mut reqwest::Response, limit: usize) -> Result<Vec<u8>, ReadError> {
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
async fn api_message(resp: &mut reqwest::Response) -> String {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() >= ERROR_BODY_LIMIT {
            return String::new();
        }
    }
    decode::error_message(&body)
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
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
fn describe_transport(e: &reqwest::Error, timeout: Duration) -> String {
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

#[derive(Default)]
struct Collect {
    res: Resolution,
    /// Run-level messages in first-seen order, each once.
    seen: HashSet<String>,
}

impl Collect {
    fn error(&mut self, text: String) {
        if self.seen.insert(text.clone()) {
            self.res.errors.push(text);
        }
    }

    fn unchecked(&mut self, id: u64, reason: String, summary: String) {
        self.res.unchecked.insert(id, reason);
        self.error(summary);
    }
}

/// A scope question: connections of one type whose modules need the same scopes. One filtered
/// list call (`type[]=T&T[]=<first alternative of each need>`) answers it for all of them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ScopeGroup {
    kind: String,
    /// Each need is met by any one of its alternatives.
    needs: BTreeSet<Vec<String>>,
}

impl ScopeGroup {
    /// The filter of the group's list call: the first alternative of each need.
    fn filter(&self) -> Group {
        let scopes = self
            .needs
            .iter()
            .filter_map(|n| n.first().cloned())
            .collect();
        (self.kind.clone(), scopes)
    }

    /// The scopes a failing connection must be asked about one by one to name what it lacks:
    /// every alternative, except the one scope a single-scope filter already answered.
    fn scopes_to_probe(&self) -> BTreeSet<String> {
        let (_, asked) = self.filter();
        let mut all: BTreeSet<String> = self.needs.iter().flatten().cloned().collect();
        if asked.len() == 1 {
            for s in &asked {
                all.remove(s);
            }
        }
        all
    }
}

enum Job {
    ById(u64, Result<Connection, Fail>),
    /// A group's filtered listing, and the requests it took.
    Group(ScopeGroup, Vec<u64>, Result<(Vec<Value>, u64), Fail>),
    /// One scope of a group asked alone (`type[]=T&T[]=s`) for its failing ids.
    Probe(String, Vec<u64>, Result<(Vec<Value>, u64), Fail>),
    Detail(u64, Result<Connection, Fail>),
    Verify(u64, Result<Verification, Fail>),
}

/// Follow-up questions the answers so far raised.
#[derive(Default)]
struct Pending {
    /// Ids whose own record must name their scopes.
    details: Vec<u64>,
    /// Per-scope filtered list calls: (type, scope, failing ids).
    probes: Vec<(String, String, Vec<u64>)>,
    /// What the probes answered: (id, scope) -> holds it; ids a probe failed for.
    held: HashMap<(u64, String), bool>,
    probed: BTreeMap<u64, BTreeSet<String>>,
}

/// The scopes to ask about for listed connection `c`: none when its record already lists them,
/// when it is not OAuth (only OAuth connections hold scopes), or when no module that accepts
/// its type needs any (a module of another type gets BP105, not a scope question).
fn scope_question(req: &ResolveRequest, c: &Connection) -> Option<BTreeSet<Vec<String>>> {
    if c.scopes.is_some() || c.auth == Some(super::connection::AccountAuth::Basic) {
        return None;
    }
    let needs = req.needs_for(c.id, c.connection_type.as_deref());
    (!needs.is_empty()).then_some(needs)
}

async fn resolve(run: Arc<Run>, req: ResolveRequest) -> Resolution {
    let mut out = Collect::default();
    let mut jobs: JoinSet<Job> = JoinSet::new();
    let mut pending = Pending::default();

    if let Some(team) = req.team {
        let mut listed: HashMap<u64, Connection> = match run.list_all(team, None).await {
            // A row whose `expire` cannot be read is left to the lookup by id, which reports
            // the connection unchecked rather than never expiring.
            Ok(rows) => rows
                .iter()
                .filter(|row| super::connection::unreadable_expire(row).is_none())
                .filter_map(Connection::from_json)
                .map(|mut c| {
                    // The list is the team's own, whether or not its rows say so.
                    c.team_id.get_or_insert(team);
                    // Without a scope filter the flag answers no question of ours.
                    c.scoped = None;
                    (c.id, c)
                })
                .collect(),
            Err(fail) => {
                // Fail closed: without the list nothing can be called missing.
                let reason = match fail.kind {
                    FailKind::Cap | FailKind::Unauthorized | FailKind::ScopeRefused => fail.reason,
                    FailKind::Forbidden => format!(
                        "the Make API refused access (403) to the connections of team {team}: \
                         the token lacks the `connections:read` scope or access to team {team} ({})",
                        fail.reason
                    ),
                    _ => format!(
                        "could not list the connections of team {team}: {}",
                        fail.reason
                    ),
                };
                for id in &req.ids {
                    out.unchecked(*id, reason.clone(), reason.clone());
                }
                return finish(out, &run);
            }
        };

        let mut groups: BTreeMap<ScopeGroup, Vec<u64>> = BTreeMap::new();
        for id in &req.ids {
            let Some(c) = listed.remove(id) else {
                let run = run.clone();
                let id = *id;
                jobs.spawn(async move { Job::ById(id, run.by_id(id).await) });
                continue;
            };
            if let Some(needs) = scope_question(&req, &c) {
                match &c.connection_type {
                    Some(kind) => groups
                        .entry(ScopeGroup {
                            kind: kind.clone(),
                            needs,
                        })
                        .or_default()
                        .push(*id),
                    // No type to filter by: only the connection itself can tell its scopes.
                    None => pending.details.push(*id),
                }
            }
            out.res.found.insert(*id, c);
        }
        for (group, ids) in groups {
            let run = run.clone();
            jobs.spawn(async move {
                let answer = run.list_counted(team, Some(&group.filter())).await;
                Job::Group(group, ids, answer)
            });
        }
    } else {
        for id in &req.ids {
            let run = run.clone();
            let id = *id;
            jobs.spawn(async move { Job::ById(id, run.by_id(id).await) });
        }
    }

    drain(&mut jobs, &mut out, &mut pending).await;
    // Second wave: per-scope probes and records by id for the groups' failing connections.
    if let Some(team) = req.team {
        for (kind, scope, ids) in std::mem::take(&mut pending.probes) {
            let run = run.clone();
            jobs.spawn(async move {
                let filter = (kind, BTreeSet::from([scope.clone()]));
                Job::Probe(scope, ids, run.list_counted(team, Some(&filter)).await)
            });
        }
    }
    spawn_details(&run, &mut jobs, &mut pending);
    drain(&mut jobs, &mut out, &mut pending).await;
    settle_probes(&mut out, &mut pending);
    // A probe answer that left an id out: its own record decides.
    spawn_details(&run, &mut jobs, &mut pending);
    drain(&mut jobs, &mut out, &mut pending).await;

    if req.verify {
        let mut ids: Vec<u64> = out.res.found.keys().copied().collect();
        ids.sort_unstable();
        // The first test alone: a token without `connections:write` is then refused once, not
        // once per connection in flight.
        let rest = ids.split_off(ids.len().min(1));
        for batch in [ids, rest] {
            for id in batch {
                let run = run.clone();
                jobs.spawn(async move { Job::Verify(id, run.verify(id).await) });
            }
            drain(&mut jobs, &mut out, &mut pending).await;
        }
    }
    finish(out, &run)
}

fn spawn_details(run: &Arc<Run>, jobs: &mut JoinSet<Job>, pending: &mut Pending) {
    for id in pending.details.drain(..) {
        let run = run.clone();
        jobs.spawn(async move { Job::Detail(id, run.by_id(id).await) });
    }
}

async fn drain(jobs: &mut JoinSet<Job>, out: &mut Collect, pending: &mut Pending) {
    while let Some(joined) = jobs.join_next().await {
        match joined {
            Ok(job) => record(job, out, pending),
            Err(e) => out.error(format!("internal error: a lookup task failed ({e})")),
        }
    }
}

/// The `scoped` flag of each row of a filtered listing.
fn scoped_flags(rows: &[Value]) -> HashMap<u64, Option<bool>> {
    rows.iter()
        .filter_map(Connection::from_json)
        .map(|c| (c.id, c.scoped))
        .collect()
}

/// How to name what a group's failing connections lack: one filtered list call per scope, or
/// one record by id per connection, whichever costs fewer requests (a listing costs what the
/// group's own listing took).
fn plan_failing(group: &ScopeGroup, failing: Vec<u64>, list_cost: u64, pending: &mut Pending) {
    if failing.is_empty() {
        return;
    }
    let probes = group.scopes_to_probe();
    let probe_cost = (probes.len() as u64).saturating_mul(list_cost.max(1));
    if probe_cost >= failing.len() as u64 && !probes.is_empty() {
        pending.details.extend(failing);
        return;
    }
    for id in &failing {
        // Nothing to probe: the single-scope filter already said it is missing.
        pending.probed.insert(*id, probes.clone());
    }
    for scope in probes {
        pending
            .probes
            .push((group.kind.clone(), scope, failing.clone()));
    }
}

/// Turns per-scope answers into each probed connection's held scopes; an id some probe did not
/// list goes to its record by id.
fn settle_probes(out: &mut Collect, pending: &mut Pending) {
    for (id, scopes) in std::mem::take(&mut pending.probed) {
        if out.res.unchecked.contains_key(&id) {
            continue;
        }
        let mut held = Vec::new();
        let mut unanswered = false;
        for scope in scopes {
            match pending.held.get(&(id, scope.clone())) {
                Some(true) => held.push(scope),
                Some(false) => {}
                None => unanswered = true,
            }
        }
        if unanswered {
            pending.details.push(id);
        } else if let Some(c) = out.res.found.get_mut(&id) {
            c.scopes = Some(held);
        }
    }
}

fn record(job: Job, out: &mut Collect, pending: &mut Pending) {
    match job {
        Job::ById(id, Ok(mut c)) => {
            // Not an answer for our scope set; the record's `scopes` are.
            c.scoped = None;
            out.res.found.insert(id, c);
        }
        Job::ById(id, Err(f)) => match f.kind {
            FailKind::NotFound => {
                out.res.not_found.insert(id);
            }
            FailKind::Forbidden => {
                let reason = format!(
                    "the Make API refused access to connection {id}: it belongs to a team the \
                     token cannot read, or to another zone (connection ids are per zone: check \
                     --zone), or the token lacks `connections:read` ({})",
                    f.reason
                );
                out.unchecked(id, reason, f.summary);
            }
            _ => out.unchecked(id, f.reason, f.summary),
        },
        Job::Group(group, ids, Ok((rows, cost))) => {
            let flags = scoped_flags(&rows);
            let mut failing = Vec::new();
            for id in ids {
                let flag = flags.get(&id).copied().flatten();
                if let Some(c) = out.res.found.get_mut(&id) {
                    c.scoped = flag;
                }
                match flag {
                    Some(true) => {}
                    Some(false) => failing.push(id),
                    // Left out of the answer: its own record names what it holds.
                    None => pending.details.push(id),
                }
            }
            plan_failing(&group, failing, cost, pending);
        }
        Job::Group(_, ids, Err(f)) => scope_check_failed(out, &ids, &f),
        Job::Probe(scope, ids, Ok((rows, _))) => {
            let flags = scoped_flags(&rows);
            for id in ids {
                if let Some(flag) = flags.get(&id).copied().flatten() {
                    pending.held.insert((id, scope.clone()), flag);
                }
            }
        }
        Job::Probe(_, ids, Err(f)) => {
            for id in &ids {
                pending.probed.remove(id);
            }
            scope_check_failed(out, &ids, &f);
        }
        Job::Detail(id, Ok(d)) => {
            if let Some(c) = out.res.found.get_mut(&id) {
                c.scopes = d.scopes;
                if c.expire.is_none() {
                    c.expire = d.expire;
                }
            }
        }
        Job::Detail(id, Err(f)) => {
            let reason = if f.kind == FailKind::NotFound {
                format!("listed, but gone when its scopes were read ({})", f.reason)
            } else {
                scope_reason(&f)
            };
            let error = match f.kind {
                FailKind::Cap | FailKind::Unauthorized | FailKind::ScopeRefused => f.reason,
                _ => format!("connection {id}: {reason}"),
            };
            out.unchecked(id, reason, error);
        }
        Job::Verify(id, Ok(v)) => {
            out.res.verification.insert(id, v);
        }
        Job::Verify(id, Err(f)) => match f.kind {
            // A token without `connections:write` says nothing about the connection itself:
            // not a failed verification, but one that was not done.
            FailKind::ScopeRefused => {
                let reason = format!("not verified: {}", f.reason);
                out.unchecked(
                    id,
                    reason,
                    format!("--verify: connections were not verified: {}", f.reason),
                );
            }
            FailKind::Cap | FailKind::Unauthorized => out.unchecked(id, f.reason, f.summary),
            _ => {
                let reason = format!("could not verify: {}", f.reason);
                out.unchecked(id, reason.clone(), format!("connection {id}: {reason}"));
            }
        },
    }
}

/// A scope listing failed: these ids are found, so the pipeline reads only the error, which
/// must name them.
fn scope_check_failed(out: &mut Collect, ids: &[u64], f: &Fail) {
    let reason = scope_reason(f);
    let list: Vec<String> = ids.iter().map(u64::to_string).collect();
    let error = match f.kind {
        FailKind::Cap | FailKind::Unauthorized => f.reason.clone(),
        _ => format!("connection(s) {}: {reason}", list.join(", ")),
    };
    for id in ids {
        out.unchecked(*id, reason.clone(), error.clone());
    }
}

/// What the API said about the referenced webhooks, data stores and keychains.
#[derive(Default)]
struct ObjectAnswers {
    found: HashMap<(RefKind, u64), StoredObject>,
    missing: BTreeSet<(RefKind, u64)>,
    unchecked: BTreeMap<(RefKind, u64), String>,
    errors: Vec<String>,
}

/// Lists each referenced kind of stored object once for the team, then asks by id
/// (`GET /hooks/{id}`...) once for each referenced id the list lacks, to tell another team's
/// object from a missing one. Without a team every id is asked by id. A list that could not be
/// had leaves its ids unchecked (exit 2), never "not found".
async fn resolve_objects(
    run: &Arc<Run>,
    team: Option<u64>,
    objects: &BTreeMap<RefKind, BTreeSet<u64>>,
) -> ObjectAnswers {
    let mut out = ObjectAnswers::default();
    let mut jobs: JoinSet<(RefKind, u64, Result<StoredObject, Fail>)> = JoinSet::new();
    for (kind, ids) in objects {
        let Some((path, key)) = super::object_list(*kind).filter(|_| !ids.is_empty()) else {
            continue;
        };
        let mut absent: Vec<u64> = ids.iter().copied().collect();
        if let Some(team) = team {
            match run
                .paged(key, |offset| run.team_url(path, team, offset))
                .await
            {
                Ok(rows) => {
                    let listed: HashMap<u64, StoredObject> = rows
                        .iter()
                        .filter_map(|r| StoredObject::from_json(*kind, r))
                        .map(|mut o| {
                            o.team_id.get_or_insert(team);
                            (o.id, o)
                        })
                        .collect();
                    absent.retain(|id| match listed.get(id) {
                        Some(o) => {
                            out.found.insert((*kind, *id), o.clone());
                            false
                        }
                        None => true,
                    });
                }
                Err(f) => {
                    let error = match f.kind {
                        FailKind::Cap | FailKind::Unauthorized => f.reason.clone(),
                        _ => format!(
                            "could not list the {path} of team {team}, {} {}(s) unchecked: {}",
                            ids.len(),
                            kind.name(),
                            f.reason
                        ),
                    };
                    for id in ids {
                        out.unchecked.insert((*kind, *id), f.reason.clone());
                    }
                    out.errors.push(error);
                    continue;
                }
            }
        }
        for id in absent {
            let run = run.clone();
            let kind = *kind;
            jobs.spawn(async move { (kind, id, run.object_by_id(kind, id).await) });
        }
    }
    // Per cause (the reason with ids templated), the ids it left unchecked.
    let mut causes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    while let Some(joined) = jobs.join_next().await {
        let Ok((kind, id, answer)) = joined else {
            out.errors
                .push("internal error: a lookup task failed".to_string());
            continue;
        };
        let problem = match answer {
            Ok(o) if team.is_some() && o.team_id.is_none() => Fail::plain(
                FailKind::Other,
                format!(
                    "the team's list lacks it and its record (GET /{}/{id}) names no team",
                    super::object_list(kind).map_or("", |(p, _)| p)
                ),
            ),
            Ok(o) => {
                out.found.insert((kind, id), o);
                continue;
            }
            Err(f) if f.kind == FailKind::NotFound => {
                out.missing.insert((kind, id));
                continue;
            }
            Err(f) if f.kind == FailKind::Forbidden => {
                let why = format!(
                    "the Make API refused access: it belongs to a team the token cannot read, \
                     or to another zone (ids are per zone: check --zone), or the token lacks \
                     `{}`",
                    token_scope(
                        &Method::GET,
                        &[super::object_list(kind).map_or("", |(p, _)| p)]
                    )
                    .unwrap_or("connections:read")
                );
                Fail {
                    reason: format!("{why} ({})", f.reason),
                    summary: format!("{why} ({})", f.summary),
                    kind: f.kind,
                }
            }
            Err(f) => f,
        };
        out.unchecked.insert((kind, id), problem.reason.clone());
        causes
            .entry(problem.summary.clone())
            .or_default()
            .push(format!("{} {id}", kind.name()));
    }
    for (cause, what) in causes {
        out.errors
            .push(format!("{} could not be checked: {cause}", what.join(", ")));
    }
    out
}

fn scope_reason(f: &Fail) -> String {
    match f.kind {
        FailKind::Cap | FailKind::Unauthorized => f.reason.clone(),
        _ => format!("could not check its scopes: {}", f.reason),
    }
}

fn finish(mut out: Collect, run: &Run) -> Resolution {
    out.res.requests = run.requests.load(Ordering::SeqCst);
    if let Some(rejected) = run.rejection() {
        // A token refused outright invalidates every answer of the run.
        let ids: BTreeSet<u64> = out
            .res
            .found
            .keys()
            .chain(out.res.not_found.iter())
            .chain(out.res.unchecked.keys())
            .copied()
            .collect();
        out.res.found.clear();
        out.res.not_found.clear();
        out.res.verification.clear();
        out.res.unchecked = ids.into_iter().map(|id| (id, rejected.clone())).collect();
        out.res.errors = vec![rejected];
    }
    out.res
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let e = zone_base_url("eu3").unwrap_err();
        assert!(e.contains("eu3") && e.contains("us1.celonis"), "{e}");
    }

    #[test]
    fn api_urls() {
        assert!(parse_api_url("https://eu1.make.com/api/v2").is_ok());
        assert!(parse_api_url("http://127.0.0.1:8080/api/v2").is_ok());
        assert!(parse_api_url("http://127.8.0.1/api/v2").is_ok());
        assert!(parse_api_url("http://[::1]:9/api/v2").is_ok());
        assert!(parse_api_url("http://localhost/api/v2").is_ok());
        let e = parse_api_url("http://eu1.make.com/api/v2").unwrap_err();
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
        let e = Token::from_env().unwrap_err();
        assert!(e.contains("MAKE_API_TOKEN") && e.contains("not set"), "{e}");
        unsafe { std::env::set_var("MAKE_API_TOKEN", "   ") };
        assert!(Token::from_env().unwrap_err().contains("empty"));
        unsafe { std::env::set_var("MAKE_API_TOKEN", "env-token-123\n") };
        let t = Token::from_env().unwrap();
        assert_eq!(format!("{t:?}"), "Token(***)");
        let header = t.header(AuthScheme::Token).unwrap();
        assert_eq!(header.to_str().unwrap(), "Token env-token-123");
        assert!(header.is_sensitive());
        unsafe { std::env::remove_var("MAKE_API_TOKEN") };
    }

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
    fn token_scopes_per_endpoint() {
        let get = Method::GET;
        let post = Method::POST;
        for (method, path, want) in [
            (&get, &["connections"][..], "connections:read"),
            (&get, &["connections", "5"], "connections:read"),
            (&post, &["connections", "5", "test"], "connections:write"),
            (&get, &["hooks", "5"], "hooks:read"),
            (&get, &["data-stores"], "datastores:read"),
            (&get, &["keys"], "keys:read"),
            (&get, &["scenarios", "5", "blueprint"], "scenarios:read"),
            (
                &get,
                &["credential-requests", "apps", "slack", "1"],
                "apps:read",
            ),
            (
                &get,
                &["sdk", "apps", "x", "1", "modules", "y"],
                "sdk-apps:read",
            ),
        ] {
            assert_eq!(token_scope(method, path), Some(want), "{method} {path:?}");
        }
        assert_eq!(token_scope(&get, &["users", "me"]), None);
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

    #[test]
    fn scenario_io_keeps_the_specs_as_sent_and_skips_empty_ones() {
        assert_eq!(
            scenario_io(
                r#"{"input_spec": [{"name": "c", "default": 5}], "output_spec": [], "x": 1}"#
            )
            .as_deref(),
            Some(r#"{"input_spec":[{"name": "c", "default": 5}],"output_spec":[]}"#)
        );
        assert_eq!(
            scenario_io(r#"{"input_spec": [], "output_spec": [ ]}"#),
            None
        );
        assert_eq!(scenario_io(r#"{"other": 1}"#), None);
        assert_eq!(scenario_io("[1]"), None);
    }

    #[test]
    fn templates_hide_ids() {
        assert_eq!(
            templated("/api/v2/connections/123/test"),
            "/api/v2/connections/{id}/test"
        );
    }
}

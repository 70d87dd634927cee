//! The Make API client: answers a [`ResolveRequest`] with as few requests as the API allows.
//!
//! Make rate-limits per organization (60 requests a minute on Core), so an audit lists a team's
//! connections page by page, asks by id only for what the list lacks, checks scopes with one
//! filtered list call per (type, scope set), and never asks for the same id twice. Anything it
//! could not establish is reported in [`Resolution::unchecked`], never guessed: a failed
//! listing leaves every id unchecked rather than "not found".
//!
//! The client records a reason for every id it could not establish; which ids are unchecked is
//! [`Resolution::unchecked_of`]'s to say. A found connection whose scopes or verification could
//! not be established stays in `found`, has its reason recorded too, and is named in `errors`
//! (which makes the run exit 2 although the id itself counts as checked).
//!
//! The token is held in [`Token`], whose `Debug` hides it; it travels only in a header marked
//! sensitive, redirects are refused (so it cannot follow one to another host), and every message
//! this module builds is scrubbed of it before it leaves.
//!
//! The module is split by job:
//! - `token`: the [`Token`], how it is sent ([`AuthScheme`]), and which API URLs may receive it;
//! - `transport`: one run's requests (the request cap, retries, Retry-After and backoff, body
//!   limits, the token scope each endpoint needs);
//! - `error`: why a request failed ([`ApiError`], naming the [`Request`]);
//! - `access`: what the API said about the token so far, per endpoint scope;
//! - `endpoints`: the typed endpoint calls (paged lists, records by id, blueprints, tests);
//! - `requirements`: Make's published module requirements (credential requests, SDK Apps);
//! - `resolve` and `objects`: answering a [`ResolveRequest`] for connections, and for
//!   webhooks, data stores and keychains;
//! - here: [`MakeApi`] and [`ApiConfig`], and the operations the commands call.
//!
//! A new GET endpoint takes three steps: its path's first segment gets its token scope in
//! `access::token_scope`; `endpoints.rs` gets a method on `Run` that calls `Run::get_json`
//! with the path, the query and a reader of the answer (a `decode` function); and `MakeApi`
//! gets the operation that runs it through `MakeApi::operate`.

mod access;
mod endpoints;
mod error;
mod objects;
mod requirements;
mod resolve;
mod token;
mod transport;

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue, USER_AGENT};
use serde_json::{Value, json};
use tokio::task::JoinSet;
use url::Url;

use super::decode::row_id;
use super::requirements::{RequirementsAnswer, Wanted};
use super::{Connection, ConnectionSource, Resolution, ResolveRequest};
use crate::model::RefKind;
use access::TokenAccess;
use objects::resolve_objects;
use resolve::{Collect, Job, Pending, drain, finish, resolve};
use token::is_loopback;
use transport::Run;

pub use error::{ApiError, Request};
pub use token::{
    AuthScheme, ConfigError, Token, config_api_url, is_make_host, parse_api_url, zone_base_url,
};

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
    pub fn new(mut cfg: ApiConfig) -> Result<MakeApi, ApiError> {
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
        let client = builder.build().map_err(|e| ApiError::Setup {
            what: "set up the HTTP client",
            cause: cfg.token.scrub(&e.to_string()),
        })?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ApiError::Setup {
                what: "start the async runtime",
                cause: e.to_string(),
            })?;
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

    /// Every row of `team`'s list of webhooks, data stores, keychains or data structures
    /// (`GET /hooks?teamId=T`, paged); `None` for a kind the API has no team list of.
    pub fn team_objects(&self, team: u64, kind: RefKind) -> Option<Result<Vec<Value>, ApiError>> {
        let (path, key) = crate::live::team_list(kind)?;
        Some(self.operate(|run| async move {
            run.paged(key, |offset| run.team_url(path, team, offset))
                .await
                .map_err(|e| e.during(format!("could not list the {path} of team {team}")))
        }))
    }

    /// Every connection of `team`, as the API listed them: `{"teamId": T, "connections": [rows...]}`
    /// (the snapshot format; `teamId` tells a later run which team it was taken for).
    pub fn export_connections(&self, team: u64) -> Result<Value, ApiError> {
        self.operate(|run| async move {
            let rows = run
                .list_all(team, None)
                .await
                .map_err(|e| e.during(format!("could not list the connections of team {team}")))?;
            Ok(json!({ "teamId": team, "connections": rows }))
        })
    }

    /// The team's connections, and what the API says about the `referenced` ids the team's list
    /// lacks (another team's, or gone): one paged listing, then one lookup per such id.
    pub fn team_inventory(
        &self,
        team: u64,
        referenced: &BTreeSet<u64>,
    ) -> Result<(Vec<Connection>, Resolution), ApiError> {
        let referenced = referenced.clone();
        let (listed, mut res) = self.operate(|run| async move {
            let rows = run
                .list_all(team, None)
                .await
                .map_err(|e| e.during(format!("could not list the connections of team {team}")))?;
            // As in `resolve`: a referenced row whose `expire` cannot be read is looked up by
            // id, which reports it unchecked.
            let listed: Vec<Connection> = rows
                .iter()
                .filter(|row| super::connection::unreadable_expire(row).is_none())
                .filter_map(|row| Connection::from_team_row(row, team))
                .collect();
            let known: HashSet<u64> = listed.iter().map(|c| c.id).collect();
            let mut out = Collect::default();
            let mut jobs: JoinSet<Job> = JoinSet::new();
            let absent: BTreeSet<u64> = referenced
                .into_iter()
                .filter(|id| !known.contains(id))
                .collect();
            for id in absent.iter().copied() {
                let run = run.clone();
                jobs.spawn(async move { Job::ById(id, run.by_id(id).await) });
            }
            drain(&mut jobs, &mut out, &mut Pending::default()).await;
            Ok((listed, finish(out, &run, &absent)))
        })?;
        scrub_resolution(&mut res, &self.inner.cfg.token);
        Ok((listed, res))
    }

    /// Lists the scenarios of `team` and fetches every blueprint, concurrently within the same
    /// bound, retries and rate-limit handling as connection lookups. `Err` when the list could
    /// not be had; a blueprint that could not be fetched is reported in its [`Pulled`].
    pub fn pull_blueprints(&self, team: u64) -> Result<PullOutcome, ApiError> {
        self.operate(|run| async move {
            let rows = run
                .paged("scenarios", |offset| {
                    run.team_url("scenarios", team, offset)
                })
                .await
                .map_err(|e| e.during(format!("could not list the scenarios of team {team}")))?;
            let mut jobs: JoinSet<(usize, Result<String, ApiError>)> = JoinSet::new();
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
                    // What a task that dies leaves; the scenario is named beside it.
                    blueprint: Err(ApiError::Internal("the fetch task failed".into())),
                });
                let run = run.clone();
                jobs.spawn(async move { (at, run.blueprint(id).await) });
            }
            while let Some(joined) = jobs.join_next().await {
                if let Ok((at, result)) = joined {
                    if let Some(p) = pulled.get_mut(at) {
                        p.blueprint = result;
                    }
                }
            }
            Ok(PullOutcome {
                scenarios: pulled,
                rows_without_id: skipped,
                requests: run.requests(),
            })
        })
    }

    /// Runs one operation on a [`Run`] of its own (its own request count, within the client's
    /// bounds). A new endpoint's operation is `self.operate(|run| async move { run.get(..).await })`.
    fn operate<T, F, Fut>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(Arc<Run>) -> Fut,
        Fut: Future<Output = Result<T, ApiError>> + Send,
        T: Send,
    {
        self.block_on(work(Run::new(self.inner.clone())))?
    }

    /// Runs `fut` on our runtime. Called from inside another runtime (where `block_on` would
    /// panic), it runs on a helper thread instead.
    fn block_on<F>(&self, fut: F) -> Result<F::Output, ApiError>
    where
        F: Future + Send,
        F::Output: Send,
    {
        let Some(runtime) = self.runtime.as_ref() else {
            return Err(ApiError::Internal(
                "the Make API client was shut down".into(),
            ));
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|s| {
                s.spawn(|| runtime.block_on(fut))
                    .join()
                    .map_err(|_| ApiError::Internal("the Make API worker thread panicked".into()))
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

    fn requirements(&self, wanted: &Wanted) -> RequirementsAnswer {
        if wanted.is_empty() {
            return RequirementsAnswer::default();
        }
        let run = Run::new(self.inner.clone());
        let asked = wanted.clone();
        match self.block_on(async move { requirements::ask(&run, &asked).await }) {
            Ok(answer) => answer,
            Err(e) => RequirementsAnswer {
                unanswered: wanted.keys().cloned().collect(),
                errors: vec![self.inner.cfg.token.scrub(&e.to_string())],
                ..RequirementsAnswer::default()
            },
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
                finish(Collect::default(), &run, &req.ids)
            } else {
                resolve(run.clone(), req.clone()).await
            };
            let objects = resolve_objects(&run, req.team, &req.objects).await;
            // A bad token is reported once, by whichever request met it first.
            if run.rejection().is_none() {
                res.objects = objects.found;
                res.objects_not_found = objects.missing;
                res.objects_unchecked = objects.unchecked;
            }
            for e in objects.errors {
                if !res.errors.contains(&e) {
                    res.errors.push(e);
                }
            }
            res.requests = run.requests();
            res
        };
        let mut res = match self.block_on(work) {
            Ok(res) => res,
            Err(e) => Resolution {
                unchecked: request.ids.iter().map(|id| (*id, e.to_string())).collect(),
                errors: vec![e.to_string()],
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

/// A scenario of the team and its blueprint's JSON text, or why it could not be fetched.
#[derive(Debug, Clone)]
pub struct Pulled {
    pub id: u64,
    pub name: String,
    pub blueprint: Result<String, ApiError>,
}

#[derive(Debug, Clone)]
pub struct PullOutcome {
    pub scenarios: Vec<Pulled>,
    /// Listed rows without a usable id (they cannot be fetched).
    pub rows_without_id: usize,
    pub requests: u64,
}

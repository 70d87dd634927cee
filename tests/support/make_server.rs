//! A real HTTP server on 127.0.0.1 that speaks the parts of the Make API bplint uses, with
//! faults a test can switch on: rate limits, server errors, hangs, broken and oversized bodies.
//!
//! It runs on its own thread and runtime so that sync tests (and the client's own runtime) can
//! use it, logs every request for exact request-count assertions, and stops when dropped.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::IntoFuture;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bplint::live::Connection;
use futures_util::{StreamExt, stream};
use serde_json::{Value, json};
use url::Url;

/// An API key as Make issues them (UUID v4), so clients send it as `Token <key>`.
pub const TOKEN: &str = "6f1c2e4a-8b3d-4c5e-9f7a-1b2c3d4e5f60";
/// An OAuth 2.0 access token (not a UUID), sent as `Bearer <token>`.
pub const OAUTH_TOKEN: &str = "mko_at.3kF9qL2xR7vT1nB8wZ4cH6jD0sY5gP";
const API: &str = "/api/v2";

// ---------------------------------------------------------------------------------------------
// Rows

/// A connection as the real API describes it in `GET /connections/{id}` (lists drop `scopes`
/// and keep `scopesCnt`). Scopes are `{id, name, account}` as in Make's SDK test data: `id` the
/// scope, `name` a description (absent for some), `account` the connection type.
pub fn real_row(id: u64, name: &str, kind: &str, team: u64, scopes: &[&str]) -> Value {
    json!({
        "id": id, "name": name, "accountName": kind, "accountLabel": format!("{name} account"),
        "accountType": "oauth", "packageName": kind, "expire": null, "metadata": {},
        "teamId": team, "upgradeable": false, "scopesCnt": scopes.len(), "scoped": true,
        "editable": true, "uid": null, "connectedSystemId": null, "organizationId": 1,
        "scopes": scopes.iter().map(|s| real_scope(s, kind)).collect::<Vec<_>>(),
    })
}

/// `{"id": "chat:write", "name": "Send messages", "account": "slack2"}`.
fn real_scope(scope: &str, kind: &str) -> Value {
    let described = [
        ("chat:write", "Send messages"),
        (
            "channels:read",
            "View basic information about public channels",
        ),
        ("users:read", "View people in a workspace"),
    ];
    match described.iter().find(|(s, _)| *s == scope) {
        Some((_, name)) => json!({"id": scope, "name": name, "account": kind}),
        None => json!({"id": scope, "account": kind}),
    }
}

/// A connection that is not OAuth (API key, basic auth): `accountType: basic`, no scopes.
/// One `appModules` row of Make's requirements answer: `type` as the echo writes it
/// (`account:slack2,slack3`), `scope` the scopes (absent when `None`).
pub fn app_module(name: &str, kind: &str, scopes: Option<&[&str]>) -> Value {
    let mut row = json!({"id": name, "name": name, "label": name, "type": kind, "hook": false});
    if let Some(scopes) = scopes {
        row["scope"] = json!(scopes);
    }
    row
}

pub fn basic_row(id: u64, name: &str, kind: &str, team: u64) -> Value {
    let mut row = real_row(id, name, kind, team, &[]);
    row["accountType"] = json!("basic");
    row
}

/// The seed document's shape: type in `accountType`, scopes as plain strings.
pub fn seed_row(id: u64, name: &str, kind: &str, team: u64, scopes: &[&str]) -> Value {
    json!({
        "id": id, "name": name, "accountName": "workspace@company.com", "accountType": kind,
        "packageName": kind, "expire": null, "metadata": {}, "teamId": team,
        "upgradeable": false, "scoped": true, "scopes": scopes,
    })
}

// ---------------------------------------------------------------------------------------------
// Request log

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    Missing,
    Wrong,
    Correct,
}

/// How the server expects the token: `Token <key>` (API keys) or `Bearer <token>` (OAuth).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheme {
    #[default]
    Token,
    Bearer,
}

#[derive(Debug, Clone)]
pub struct Logged {
    /// 1-based, in arrival order.
    pub n: u64,
    pub method: String,
    /// The path below `/api/v2`, e.g. `/connections/5`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub auth: Auth,
    /// The Authorization header's scheme word as sent (`Token`, `Bearer`), never the token.
    pub scheme: Option<String>,
    pub at: Instant,
}

impl Logged {
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn params(&self, key: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn is(&self, method: &str, path: &str) -> bool {
        self.method == method && self.path == path
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration

/// Paths are below `/api/v2`; a trailing `*` matches a prefix (`/connections/*`), a `*` segment
/// elsewhere matches one segment (`/connections/*/test`), and a query
/// (`/connections?type[]=google`) must be part of the request's (decoded) query.
#[derive(Debug, Clone)]
struct PathFault {
    pattern: String,
    kind: FaultKind,
}

#[derive(Debug, Clone)]
enum FaultKind {
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
struct Faults {
    rate_limit_first: u64,
    rate_limit_every: Option<u64>,
    retry_after: Option<String>,
    error_first: u64,
    error_status: u16,
    paths: Vec<PathFault>,
    ignore_paging: bool,
    latency: Duration,
    forbid_verify: bool,
    no_test_endpoint: bool,
    echo_auth: bool,
}

#[derive(Debug, Default)]
pub struct Builder {
    token: Option<String>,
    scheme: Scheme,
    teams: BTreeMap<u64, Vec<Value>>,
    seed_shape: bool,
    faults: Faults,
    verifications: HashMap<u64, (bool, Option<String>)>,
    scenarios: Vec<(u64, Value, Value)>,
    scenario_io: HashMap<u64, Value>,
    objects: BTreeMap<(&'static str, u64), Vec<Value>>,
    documents: HashMap<String, Document>,
}

/// A fixed answer to `GET <path>` (requirements and SDK sections): its content type and body.
#[derive(Debug, Clone)]
struct Document {
    content_type: &'static str,
    body: String,
}

/// An app name as it goes into a URL path: `app#acme` -> `app%23acme`.
fn path_segment(name: &str) -> String {
    url::form_urlencoded::byte_serialize(name.as_bytes()).collect()
}

impl Builder {
    /// Make's published requirements of `app` at `version`, served by `GET /credential-requests/
    /// apps/{app}/{version}/modules-with-credentials` (the app name URL-encoded: `app%23x`).
    /// `modules` are `appModules` rows (see [`app_module`]).
    pub fn app_requirements(self, app: &str, version: &str, modules: Vec<Value>) -> Self {
        let path = format!(
            "/credential-requests/apps/{}/{version}/modules-with-credentials",
            path_segment(app)
        );
        self.document(
            &path,
            "application/json",
            &json!({"appModules": modules}).to_string(),
        )
    }

    /// A custom app's module as the SDK Apps API describes it (`GET /sdk/apps/{app}/{version}/
    /// modules/{module}`), and its scope section (`.../scope`, here JSON with comments).
    pub fn sdk_module(
        self,
        app: &str,
        version: &str,
        module: &str,
        connection: Option<&str>,
        alt_connection: Option<&str>,
        scopes: &[&str],
    ) -> Self {
        let base = format!("/sdk/apps/{app}/{version}/modules/{module}");
        let answer = json!({"appModule": {"name": module, "label": module, "typeId": 4,
            "connection": connection, "altConnection": alt_connection, "webhook": null}});
        let scope = format!("// the module's own scopes\n{}\n", json!(scopes));
        self.document(&base, "application/json", &answer.to_string())
            .document(&format!("{base}/scope"), "application/jsonc", &scope)
    }

    /// A custom app's connection (`GET /sdk/apps/connections/{name}`: `{"appConnection": {name,
    /// label, type}}`) and its default scopes (`.../scope`, JSON with comments).
    pub fn sdk_connection(self, name: &str, kind: &str, default_scopes: &[&str]) -> Self {
        let base = format!("/sdk/apps/connections/{name}");
        let answer = json!({"appConnection": {"name": name, "label": name, "type": kind}});
        let scope = format!("/* default scope */ {}", json!(default_scopes));
        self.document(&base, "application/json", &answer.to_string())
            .document(&format!("{base}/scope"), "application/jsonc", &scope)
    }

    /// Any fixed answer to `GET <path>` (below `/api/v2`, as sent: URL-encoded).
    pub fn document(mut self, path: &str, content_type: &'static str, body: &str) -> Self {
        self.documents.insert(
            path.to_string(),
            Document {
                content_type,
                body: body.to_string(),
            },
        );
        self
    }

    /// Webhooks of a team, served by `GET /hooks?teamId=` as `{"hooks": [...]}`.
    pub fn hooks(mut self, team: u64, rows: Vec<Value>) -> Self {
        self.objects
            .entry(("hooks", team))
            .or_default()
            .extend(rows);
        self
    }

    /// Data stores of a team, served by `GET /data-stores?teamId=` as `{"dataStores": [...]}`.
    pub fn data_stores(mut self, team: u64, rows: Vec<Value>) -> Self {
        self.objects
            .entry(("dataStores", team))
            .or_default()
            .extend(rows);
        self
    }

    /// Keychains of a team, served by `GET /keys?teamId=` as `{"keys": [...]}`.
    pub fn keys(mut self, team: u64, rows: Vec<Value>) -> Self {
        self.objects.entry(("keys", team)).or_default().extend(rows);
        self
    }

    /// The token the server expects (default [`TOKEN`]).
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_string());
        self
    }

    /// Expects `Authorization: Bearer <token>` (an OAuth access token) instead of `Token <key>`;
    /// the other scheme is refused with 401, as Make refuses a token it cannot read.
    pub fn bearer(mut self) -> Self {
        self.scheme = Scheme::Bearer;
        self
    }

    /// Adds a team; rows are full records (with `scopes`), see [`real_row`] and [`seed_row`].
    pub fn team(mut self, team: u64, rows: Vec<Value>) -> Self {
        self.teams.entry(team).or_default().extend(rows);
        self
    }

    /// Lists keep `scopes`, as the seed document shows them.
    pub fn seed_shape(mut self) -> Self {
        self.seed_shape = true;
        self
    }

    /// 429 to requests 1..=n, with `Retry-After: retry_after` when given.
    pub fn rate_limit_first(mut self, n: u64, retry_after: Option<&str>) -> Self {
        self.faults.rate_limit_first = n;
        self.faults.retry_after = retry_after.map(str::to_string);
        self
    }

    /// 429 to every k-th request.
    pub fn rate_limit_every(mut self, k: u64, retry_after: Option<&str>) -> Self {
        self.faults.rate_limit_every = Some(k.max(1));
        self.faults.retry_after = retry_after.map(str::to_string);
        self
    }

    /// `status` (500, 502, 503...) to requests 1..=n.
    pub fn fail_first(mut self, n: u64, status: u16) -> Self {
        self.faults.error_first = n;
        self.faults.error_status = status;
        self
    }

    /// Sleeps `for_` before answering requests to `path`.
    pub fn hang(self, path: &str, for_: Duration) -> Self {
        self.path_fault(path, FaultKind::Hang(for_))
    }

    /// 200 with a truncated JSON document.
    pub fn malformed(self, path: &str) -> Self {
        self.path_fault(path, FaultKind::Malformed)
    }

    /// 200 with an HTML page, as a proxy or login wall would send.
    pub fn html(self, path: &str) -> Self {
        self.path_fault(path, FaultKind::Html)
    }

    /// 200 with a valid JSON document of `bytes` bytes, sent chunked (no Content-Length).
    pub fn oversized(self, path: &str, bytes: usize) -> Self {
        self.path_fault(path, FaultKind::Oversized(bytes))
    }

    /// Declares a Content-Length, sends part of it, then closes the connection.
    pub fn break_off(self, path: &str) -> Self {
        self.path_fault(path, FaultKind::BreakOff)
    }

    /// 200 with this JSON text, whatever was asked.
    pub fn answer(self, path: &str, json: &str) -> Self {
        self.path_fault(path, FaultKind::Json(json.to_string()))
    }

    /// `status` with Make's error shape, for this path only.
    pub fn status(self, path: &str, status: u16) -> Self {
        self.path_fault(path, FaultKind::Status(status))
    }

    /// `status` with Make's error shape whose `message` is `message`, for this path only.
    pub fn status_message(self, path: &str, status: u16, message: &str) -> Self {
        self.path_fault(path, FaultKind::StatusMessage(status, message.to_string()))
    }

    /// Answers `status` (with Make's error body) to every request to `path`.
    pub fn fail_path(self, path: &str, status: u16) -> Self {
        self.status(path, status)
    }

    /// 401 or 403 to every request to `path` (e.g. `/hooks*`), with Make's error shape, as
    /// for a token without that endpoint's scope. The body does not name the scope: the
    /// client must know it.
    pub fn refuse(self, path: &str, status: u16) -> Self {
        self.path_fault(path, FaultKind::Refuse(status))
    }

    /// `status` with this JSON error body (e.g. with `detail` and `suberrors`).
    pub fn error_body(self, path: &str, status: u16, json: &str) -> Self {
        self.path_fault(path, FaultKind::ErrorBody(status, json.to_string()))
    }

    fn path_fault(mut self, pattern: &str, kind: FaultKind) -> Self {
        self.faults.paths.push(PathFault {
            pattern: pattern.to_string(),
            kind,
        });
        self
    }

    /// Lists return every row whatever `pg[]` says, and no `pg`.
    pub fn ignore_paging(mut self) -> Self {
        self.faults.ignore_paging = true;
        self
    }

    /// Added to every request.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.faults.latency = latency;
        self
    }

    /// 403 on `/test` and `/verify`, as for a token without `connections:write`.
    pub fn forbid_verify(mut self) -> Self {
        self.faults.forbid_verify = true;
        self
    }

    /// `/test` answers 404 (the seed server only has `/verify`).
    pub fn without_test_endpoint(mut self) -> Self {
        self.faults.no_test_endpoint = true;
        self
    }

    /// Error answers quote the received Authorization header (to test that clients scrub it).
    pub fn echo_auth_in_errors(mut self) -> Self {
        self.faults.echo_auth = true;
        self
    }

    /// The verification result of a connection (default: verified).
    pub fn verification(mut self, id: u64, verified: bool, error: Option<&str>) -> Self {
        self.verifications
            .insert(id, (verified, error.map(str::to_string)));
        self
    }

    pub fn scenario(mut self, team: u64, id: u64, name: &str, blueprint: Value) -> Self {
        let row =
            json!({"id": id, "name": name, "teamId": team, "isActive": false, "islinked": true});
        self.scenarios.push((team, row, blueprint));
        self
    }

    /// The scenario's inputs and outputs, served in the blueprint answer's
    /// `response.metadata` (`{"input_spec": [...], "output_spec": [...]}`), as Make does.
    pub fn scenario_io(mut self, id: u64, input_spec: Value, output_spec: Value) -> Self {
        self.scenario_io.insert(
            id,
            json!({"input_spec": input_spec, "output_spec": output_spec}),
        );
        self
    }

    pub fn start(self) -> MakeServer {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        std_listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = std_listener.local_addr().expect("local address");
        let state = Arc::new(Shared {
            token: self.token.unwrap_or_else(|| TOKEN.to_string()),
            scheme: self.scheme,
            teams: self.teams,
            seed_shape: self.seed_shape,
            faults: self.faults,
            verifications: self.verifications,
            scenarios: self.scenarios,
            scenario_io: self.scenario_io,
            objects: self.objects,
            documents: self.documents,
            log: Mutex::new(Vec::new()),
            counter: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        });
        let app = router(state.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("server runtime");
            rt.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(std_listener).expect("tokio listener");
                // Not a graceful shutdown: a hanging handler must not keep the test waiting.
                tokio::select! {
                    _ = axum::serve(listener, app).into_future() => {}
                    _ = stopped => {}
                }
            });
            rt.shutdown_timeout(Duration::from_millis(100));
        });
        MakeServer {
            base: format!("http://{addr}{API}"),
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The running server

pub struct MakeServer {
    base: String,
    state: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MakeServer {
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// `http://127.0.0.1:PORT/api/v2`
    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn url(&self) -> Url {
        Url::parse(&self.base).expect("server URL")
    }

    pub fn requests(&self) -> Vec<Logged> {
        self.state.log.lock().expect("log").clone()
    }

    pub fn count(&self) -> usize {
        self.state.log.lock().expect("log").len()
    }

    pub fn count_where(&self, pred: impl Fn(&Logged) -> bool) -> usize {
        self.requests().iter().filter(|r| pred(r)).count()
    }

    /// Requests of `method` to exactly `path` (below `/api/v2`).
    pub fn count_of(&self, method: &str, path: &str) -> usize {
        self.count_where(|r| r.is(method, path))
    }

    /// `GET /connections` calls, in order.
    pub fn list_calls(&self) -> Vec<Logged> {
        self.requests()
            .into_iter()
            .filter(|r| r.is("GET", "/connections"))
            .collect()
    }

    /// Ids asked for with `GET /connections/{id}`, in order.
    pub fn by_id_calls(&self) -> Vec<u64> {
        self.requests()
            .iter()
            .filter(|r| r.method == "GET")
            .filter_map(|r| r.path.strip_prefix("/connections/")?.parse().ok())
            .collect()
    }

    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for MakeServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Shared {
    token: String,
    scheme: Scheme,
    teams: BTreeMap<u64, Vec<Value>>,
    seed_shape: bool,
    faults: Faults,
    verifications: HashMap<u64, (bool, Option<String>)>,
    scenarios: Vec<(u64, Value, Value)>,
    scenario_io: HashMap<u64, Value>,
    objects: BTreeMap<(&'static str, u64), Vec<Value>>,
    documents: HashMap<String, Document>,
    log: Mutex<Vec<Logged>>,
    counter: AtomicU64,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl Shared {
    fn find(&self, id: u64) -> Option<&Value> {
        self.teams
            .values()
            .flatten()
            .find(|row| row.get("id").and_then(Value::as_u64) == Some(id))
    }
}

type St = State<Arc<Shared>>;

fn router(state: Arc<Shared>) -> Router {
    Router::new()
        .route(&format!("{API}/connections"), get(list_connections))
        .route(&format!("{API}/connections/{{id}}"), get(get_connection))
        .route(
            &format!("{API}/connections/{{id}}/test"),
            post(test_connection),
        )
        .route(
            &format!("{API}/connections/{{id}}/verify"),
            post(verify_connection),
        )
        .route(&format!("{API}/scenarios"), get(list_scenarios))
        .route(
            &format!("{API}/hooks"),
            get(|st: St, q: RawQuery| list_objects(st, q, "hooks")),
        )
        .route(
            &format!("{API}/data-stores"),
            get(|st: St, q: RawQuery| list_objects(st, q, "dataStores")),
        )
        .route(
            &format!("{API}/keys"),
            get(|st: St, q: RawQuery| list_objects(st, q, "keys")),
        )
        .route(
            &format!("{API}/hooks/{{id}}"),
            get(|st: St, id: Path<u64>| get_object(st, id, "hooks", "hook")),
        )
        .route(
            &format!("{API}/data-stores/{{id}}"),
            get(|st: St, id: Path<u64>| get_object(st, id, "dataStores", "dataStore")),
        )
        .route(
            &format!("{API}/keys/{{id}}"),
            get(|st: St, id: Path<u64>| get_object(st, id, "keys", "key")),
        )
        .route(
            &format!("{API}/scenarios/{{id}}/blueprint"),
            get(get_blueprint),
        )
        .fallback(fixed_document)
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .with_state(state)
}

/// A fixed document (requirements, SDK sections), else Make's 404.
async fn fixed_document(State(st): St, req: Request) -> Response {
    let path = req.uri().path();
    let path = path.strip_prefix(API).unwrap_or(path);
    match st
        .documents
        .get(path)
        .filter(|_| req.method() == axum::http::Method::GET)
    {
        Some(d) => ([(header::CONTENT_TYPE, d.content_type)], d.body.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND, "Not found", "IM005"),
    }
}

/// Make's error shape: `{"detail", "message", "code"}`.
fn error(status: StatusCode, message: &str, code: &str) -> Response {
    let detail = match status.as_u16() {
        401 => "The access token is missing, invalid or expired.",
        403 => "Permission denied.",
        404 => "The requested resource does not exist.",
        429 => "Too many requests.",
        _ => "The request could not be completed.",
    };
    let body = json!({"detail": detail, "message": message, "code": code});
    (status, Json(body)).into_response()
}

fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Logging, authentication and faults

struct InFlight<'a>(&'a Shared);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn gate(State(st): St, req: Request, next: Next) -> Response {
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

fn echo(st: &Shared, headers: &HeaderMap) -> String {
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

// ---------------------------------------------------------------------------------------------
// Endpoints

fn page(q: &[(String, String)], rows: Vec<Value>, key: &str, ignore: bool) -> Response {
    if ignore {
        return Json(json!({ key: rows })).into_response();
    }
    let get = |k: &str| {
        q.iter()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| v.parse::<usize>().ok())
    };
    let limit = get("pg[limit]").unwrap_or(10_000);
    let offset = get("pg[offset]").unwrap_or(0);
    let total = rows.len();
    let slice: Vec<Value> = rows.into_iter().skip(offset).take(limit).collect();
    Json(json!({ key: slice, "pg": {"limit": limit, "offset": offset, "total": total} }))
        .into_response()
}

async fn list_connections(State(st): St, RawQuery(raw): RawQuery, headers: HeaderMap) -> Response {
    let q = parse_query(raw.as_deref());
    let params = |k: &str| -> Vec<String> {
        q.iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let Some(team) = params("teamId").first().and_then(|t| t.parse::<u64>().ok()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "Missing value of required parameter 'teamId'.",
            "SC400",
        );
    };
    let Some(rows) = st.teams.get(&team) else {
        return error(
            StatusCode::FORBIDDEN,
            &format!("Access denied.{}", echo(&st, &headers)),
            "SC403",
        );
    };
    let types = params("type[]");
    let mut out = Vec::new();
    for row in rows {
        let Some(conn) = Connection::from_json(row) else {
            continue;
        };
        let kind = conn.connection_type.clone().unwrap_or_default();
        if !types.is_empty() && !types.contains(&kind) {
            continue;
        }
        let mut row = row.clone();
        let wanted: BTreeSet<String> = params(&format!("{kind}[]")).into_iter().collect();
        if !wanted.is_empty() {
            let held: BTreeSet<String> = conn.scopes.unwrap_or_default().into_iter().collect();
            row["scoped"] = json!(wanted.is_subset(&held));
        }
        if !st.seed_shape {
            if let Some(obj) = row.as_object_mut() {
                obj.remove("scopes");
            }
        }
        out.push(row);
    }
    let name = |v: &Value| {
        v.get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let id = |v: &Value| v.get("id").and_then(Value::as_u64).unwrap_or(0);
    out.sort_by(|a, b| name(a).cmp(&name(b)).then(id(a).cmp(&id(b))));
    page(&q, out, "connections", st.faults.ignore_paging)
}

async fn get_connection(State(st): St, Path(id): Path<u64>) -> Response {
    match st.find(id) {
        Some(row) => Json(json!({ "connection": row })).into_response(),
        None => error(StatusCode::NOT_FOUND, "Not found", "IM005"),
    }
}

async fn test_connection(state: St, id: Path<u64>) -> Response {
    if state.0.faults.no_test_endpoint {
        return error(StatusCode::NOT_FOUND, "Not found", "IM005");
    }
    verify_connection(state, id).await
}

async fn verify_connection(State(st): St, Path(id): Path<u64>) -> Response {
    if st.find(id).is_none() {
        return error(StatusCode::NOT_FOUND, "Not found", "IM005");
    }
    match st.verifications.get(&id) {
        Some((false, err)) => Json(json!({"verified": false, "error": err})).into_response(),
        _ => Json(json!({"verified": true})).into_response(),
    }
}

async fn list_scenarios(State(st): St, RawQuery(raw): RawQuery) -> Response {
    let q = parse_query(raw.as_deref());
    let team = q
        .iter()
        .find(|(k, _)| k == "teamId")
        .and_then(|(_, v)| v.parse::<u64>().ok());
    let Some(team) = team else {
        return error(
            StatusCode::BAD_REQUEST,
            "Missing value of required parameter 'teamId'.",
            "SC400",
        );
    };
    let rows = st
        .scenarios
        .iter()
        .filter(|(t, _, _)| *t == team)
        .map(|(_, row, _)| row.clone())
        .collect();
    page(&q, rows, "scenarios", st.faults.ignore_paging)
}

async fn get_blueprint(State(st): St, Path(id): Path<u64>) -> Response {
    let found = st
        .scenarios
        .iter()
        .find(|(_, row, _)| row.get("id").and_then(Value::as_u64) == Some(id));
    match found {
        Some((_, _, blueprint)) => {
            let mut response = json!({
                "blueprint": blueprint,
                "scheduling": {"type": "indefinitely", "interval": 900},
            });
            if let Some(io) = st.scenario_io.get(&id) {
                response["metadata"] = io.clone();
            }
            Json(json!({"code": "OK", "response": response})).into_response()
        }
        None => error(StatusCode::NOT_FOUND, "Scenario not found", "IM005"),
    }
}

/// A team with no rows of the kind gets an empty list, as Make answers for a team it can read.
async fn list_objects(State(st): St, RawQuery(raw): RawQuery, key: &'static str) -> Response {
    let q = parse_query(raw.as_deref());
    let team = q
        .iter()
        .find(|(k, _)| k == "teamId")
        .and_then(|(_, v)| v.parse::<u64>().ok());
    let Some(team) = team else {
        return error(
            StatusCode::BAD_REQUEST,
            "Missing value of required parameter 'teamId'.",
            "SC400",
        );
    };
    let rows = st.objects.get(&(key, team)).cloned().unwrap_or_default();
    page(&q, rows, key, st.faults.ignore_paging)
}

/// `GET /hooks/{id}` (and data stores, keys): the row from any team, as `{"hook": {...}}`.
async fn get_object(State(st): St, Path(id): Path<u64>, list: &str, key: &str) -> Response {
    let found = st
        .objects
        .iter()
        .filter(|((k, _), _)| *k == list)
        .flat_map(|(_, rows)| rows)
        .find(|row| row.get("id").and_then(Value::as_u64) == Some(id));
    match found {
        Some(row) => Json(json!({ key: row })).into_response(),
        None => error(StatusCode::NOT_FOUND, "Not found", "IM005"),
    }
}

//! [`Builder`]: the teams, rows, documents and faults a [`MakeServer`](super::MakeServer)
//! starts with.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde_json::{Value, json};

use super::faults::{FaultKind, Faults, PathFault};
use super::{Document, Scheme};

#[derive(Debug, Default)]
pub struct Builder {
    pub(super) token: Option<String>,
    pub(super) scheme: Scheme,
    pub(super) teams: BTreeMap<u64, Vec<Value>>,
    pub(super) seed_shape: bool,
    pub(super) faults: Faults,
    pub(super) verifications: HashMap<u64, (bool, Option<String>)>,
    pub(super) scenarios: Vec<(u64, Value, Value)>,
    pub(super) scenario_io: HashMap<u64, Value>,
    pub(super) objects: BTreeMap<(&'static str, u64), Vec<Value>>,
    pub(super) documents: HashMap<String, Document>,
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

    /// Data structures of a team, served by `GET /data-structures?teamId=` as
    /// `{"dataStructures": [...]}`.
    pub fn data_structures(mut self, team: u64, rows: Vec<Value>) -> Self {
        self.objects
            .entry(("dataStructures", team))
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
}

//! A real HTTP server on 127.0.0.1 that speaks the parts of the Make API bplint uses, with
//! faults a test can switch on: rate limits, server errors, hangs, broken and oversized bodies.
//!
//! It runs on its own thread and runtime so that sync tests (and the client's own runtime) can
//! use it, logs every request for exact request-count assertions, and stops when dropped.
#![allow(dead_code)]

mod builder;
mod faults;
mod routes;
mod rows;

use std::collections::{BTreeMap, HashMap};
use std::future::IntoFuture;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use serde_json::Value;
use url::Url;

pub use builder::Builder;
use faults::Faults;
use routes::router;
// Each test binary uses some of them (as with `dead_code` above).
#[allow(unused_imports)]
pub use rows::{app_module, basic_row, demo_rows, real_row, seed_row};

/// An API key as Make issues them (UUID v4), so clients send it as `Token <key>`.
pub const TOKEN: &str = "6f1c2e4a-8b3d-4c5e-9f7a-1b2c3d4e5f60";
/// An OAuth 2.0 access token (not a UUID), sent as `Bearer <token>`.
pub const OAUTH_TOKEN: &str = "mko_at.3kF9qL2xR7vT1nB8wZ4cH6jD0sY5gP";
const API: &str = "/api/v2";

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

/// A fixed answer to `GET <path>` (requirements and SDK sections): its content type and body.
#[derive(Debug, Clone)]
struct Document {
    content_type: &'static str,
    body: String,
}

// ---------------------------------------------------------------------------------------------
// The running server

impl Builder {
    /// Binds a free port on 127.0.0.1 and serves on a thread of its own until dropped.
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

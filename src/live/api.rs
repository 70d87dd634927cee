//! Placeholder until the API client lands (same public API).
use std::time::Duration;

use url::Url;

use super::{ConnectionSource, Resolution, ResolveRequest};

pub struct Token(#[allow(dead_code)] String);
impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}
impl Token {
    pub fn from_env() -> Result<Token, String> {
        match std::env::var("MAKE_API_TOKEN") {
            Ok(t) if !t.trim().is_empty() => Ok(Token(t)),
            _ => Err("MAKE_API_TOKEN is not set".into()),
        }
    }
}

pub fn zone_base_url(zone: &str) -> Result<Url, String> {
    Url::parse(&format!("https://{zone}.make.com/api/v2")).map_err(|e| e.to_string())
}

pub fn parse_api_url(s: &str) -> Result<Url, String> {
    Url::parse(s).map_err(|e| e.to_string())
}

pub struct ApiConfig {
    pub base_url: Url,
    pub token: Token,
    pub concurrency: usize,
    pub timeout: Duration,
    pub max_requests: Option<u64>,
    pub max_retries: u32,
    pub page_size: u32,
    pub backoff_base: Duration,
    pub max_backoff: Duration,
}

impl ApiConfig {
    pub fn new(base_url: Url, token: Token) -> Self {
        ApiConfig {
            base_url,
            token,
            concurrency: 8,
            timeout: Duration::from_secs(30),
            max_requests: None,
            max_retries: 4,
            page_size: 500,
            backoff_base: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
        }
    }
}

pub struct MakeApi {
    cfg: ApiConfig,
}

impl MakeApi {
    pub fn new(cfg: ApiConfig) -> Result<Self, String> {
        Ok(MakeApi { cfg })
    }
    pub fn export_connections(&self, _team: u64) -> Result<serde_json::Value, String> {
        Err("not yet".into())
    }
}

impl ConnectionSource for MakeApi {
    fn describe(&self) -> String {
        format!("Make API {}", self.cfg.base_url)
    }
    fn resolve(&self, request: &ResolveRequest) -> Resolution {
        let mut r = Resolution::default();
        for id in &request.ids {
            r.unchecked.insert(*id, "API client not built yet".into());
        }
        r
    }
}

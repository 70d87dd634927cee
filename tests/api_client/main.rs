//! The Make API client against a real HTTP server on 127.0.0.1: findings and exact request counts.

#[path = "../support/mod.rs"]
mod support;

mod auth;
mod errors;
mod export;
mod objects;
mod paging;
mod retries;
mod scopes;
mod verify;

use std::time::Duration;

use bplint::live::api::{ApiConfig, MakeApi, Token};
use bplint::live::{Resolution, ResolveRequest};
use serde_json::Value;
use support::make_server::{MakeServer, TOKEN, real_row};
use url::Url;

const TEAM: u64 = 7;
const OTHER_TEAM: u64 = 8;

fn config(url: Url) -> ApiConfig {
    let mut cfg = ApiConfig::new(url, Token::new(TOKEN).unwrap());
    cfg.page_size = 10;
    cfg.timeout = Duration::from_secs(5);
    cfg.max_retries = 2;
    cfg.backoff_base = Duration::from_millis(10);
    cfg.max_backoff = Duration::from_millis(50);
    cfg
}

fn api(server: &MakeServer) -> MakeApi {
    MakeApi::new(config(server.url())).unwrap()
}

fn api_with(server: &MakeServer, tweak: impl FnOnce(&mut ApiConfig)) -> MakeApi {
    let mut cfg = config(server.url());
    tweak(&mut cfg);
    MakeApi::new(cfg).unwrap()
}

/// Team 7: ids 1..=n named `conn 01`.. so that list order is id order.
fn team_rows(n: u64) -> Vec<Value> {
    (1..=n)
        .map(|i| real_row(i, &format!("conn {i:02}"), "slack2", TEAM, &["chat:write"]))
        .collect()
}

fn ask(team: Option<u64>, ids: &[u64]) -> ResolveRequest {
    ResolveRequest {
        team,
        ids: ids.iter().copied().collect(),
        ..ResolveRequest::default()
    }
}

fn ids<'a>(it: impl IntoIterator<Item = &'a u64>) -> Vec<u64> {
    let mut v: Vec<u64> = it.into_iter().copied().collect();
    v.sort_unstable();
    v
}

fn unchecked_ids(res: &Resolution) -> Vec<u64> {
    ids(res.unchecked.keys())
}

/// Every text the client produced, for leak checks.
fn all_text(res: &Resolution) -> String {
    format!("{res:?}")
}

//! Request economy of the Make API client against the loopback test server.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/wt-reliab/target cargo bench --bench economy -- [options]
//!   --latency-ms N     added to every answer (default 50)
//!   --teams N          teams on the server (default 5)
//!   --per-team N       connections in each team (default 2000)
//!   --refs N           connection references in the checked files (default 20000)
//!   --in-team N        distinct referenced ids listed in the checked team (default 2000)
//!   --elsewhere N      distinct referenced ids in other teams (default 300)
//!   --missing N        distinct referenced ids that exist nowhere (default 200)
//!   --concurrency N    requests in flight (default: the client's, 8)
//!   --page-size N      `pg[limit]` (default: the client's, 500)
//!   --only NAME        run one scenario: `clean` or `throttled`
//! ```
//!
//! Two scenarios drive `MakeApi` + `ConnectionSource::resolve` exactly as `bplint check
//! --team` does: `clean` (latency only) and `throttled` (every third request answered 429 with
//! `Retry-After: 1`). Each prints the requests the client counted, the requests the server saw,
//! the wall time, and checks the answer against what the server holds, so that a faster but
//! wrong client cannot pass. The goal is requests <= ceil(team size / page size) + referenced
//! ids not in the team list, in under 5 s for `clean`.

#[path = "../tests/support/make_server.rs"]
mod make_server;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use bplint::live::api::{ApiConfig, DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE, MakeApi, Token};
use bplint::live::{ConnectionSource, ResolveRequest};
use make_server::{MakeServer, TOKEN, real_row};

/// The team `bplint check --team` is run for.
const TEAM: u64 = 1;

struct Config {
    latency_ms: u64,
    teams: u64,
    per_team: u64,
    refs: usize,
    in_team: u64,
    elsewhere: u64,
    missing: u64,
    concurrency: usize,
    page_size: u32,
    only: Option<String>,
}

fn parse_args() -> Config {
    let mut cfg = Config {
        latency_ms: 50,
        teams: 5,
        per_team: 2000,
        refs: 20_000,
        in_team: 2000,
        elsewhere: 300,
        missing: 200,
        concurrency: DEFAULT_CONCURRENCY,
        page_size: DEFAULT_PAGE_SIZE,
        only: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = |name: &str| -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} needs a number"))
        };
        match a.as_str() {
            "--latency-ms" => cfg.latency_ms = num("--latency-ms"),
            "--teams" => cfg.teams = num("--teams").max(1),
            "--per-team" => cfg.per_team = num("--per-team"),
            "--refs" => cfg.refs = num("--refs") as usize,
            "--in-team" => cfg.in_team = num("--in-team"),
            "--elsewhere" => cfg.elsewhere = num("--elsewhere"),
            "--missing" => cfg.missing = num("--missing"),
            "--concurrency" => cfg.concurrency = num("--concurrency") as usize,
            "--page-size" => cfg.page_size = num("--page-size") as u32,
            "--only" => cfg.only = args.next(),
            // `cargo bench` passes `--bench`; nothing else is expected.
            "--bench" => {}
            other => panic!("unknown option {other}"),
        }
    }
    assert!(cfg.in_team <= cfg.per_team, "--in-team exceeds --per-team");
    assert!(
        cfg.teams > 1 || cfg.elsewhere == 0,
        "--elsewhere needs a second team"
    );
    cfg
}

/// Connection `i` (1-based) of `team`: ids are unique across teams and never collide with
/// the missing ones (which start at 9e8).
fn conn_id(team: u64, i: u64) -> u64 {
    team * 1_000_000 + i
}

struct Outcome {
    requests: u64,
    server_requests: usize,
    throttled: usize,
    wall: Duration,
}

fn scenario(cfg: &Config, rate_limit_every: Option<u64>) -> Outcome {
    let mut builder = MakeServer::builder().latency(Duration::from_millis(cfg.latency_ms));
    for team in 1..=cfg.teams {
        let rows = (1..=cfg.per_team)
            .map(|i| {
                let id = conn_id(team, i);
                real_row(id, &format!("conn {id}"), "slack2", team, &["chat:write"])
            })
            .collect();
        builder = builder.team(team, rows);
    }
    if let Some(k) = rate_limit_every {
        builder = builder.rate_limit_every(k, Some("1"));
    }
    let server = builder.start();

    // The distinct ids, then 20,000 references drawn from them (each at least once), as a
    // folder of blueprints would yield; the client is handed the distinct set, as the pipeline
    // does.
    let in_team: Vec<u64> = (1..=cfg.in_team).map(|i| conn_id(TEAM, i)).collect();
    let others = cfg.teams - 1;
    let elsewhere: Vec<u64> = (0..cfg.elsewhere)
        .map(|k| {
            conn_id(
                2 + k % others.max(1),
                1 + (k / others.max(1)) % cfg.per_team,
            )
        })
        .collect();
    let missing: Vec<u64> = (0..cfg.missing).map(|k| 900_000_000 + k).collect();
    let distinct: Vec<u64> = in_team
        .iter()
        .chain(&elsewhere)
        .chain(&missing)
        .copied()
        .collect();
    let mut rng = fastrand::Rng::with_seed(42);
    let mut refs = distinct.clone();
    while refs.len() < cfg.refs {
        refs.push(distinct[rng.usize(..distinct.len())]);
    }
    let ids: BTreeSet<u64> = refs.iter().copied().collect();
    assert_eq!(ids.len(), distinct.len(), "the references reach every id");

    let mut api_cfg = ApiConfig::new(server.url(), Token::new(TOKEN).unwrap());
    api_cfg.concurrency = cfg.concurrency;
    api_cfg.page_size = cfg.page_size;
    let api = MakeApi::new(api_cfg).unwrap();
    let request = ResolveRequest {
        team: Some(TEAM),
        ids,
        ..ResolveRequest::default()
    };

    let start = Instant::now();
    let res = api.resolve(&request);
    let wall = start.elapsed();

    // Correct or it does not count.
    assert!(res.errors.is_empty(), "errors: {:?}", res.errors);
    assert!(res.unchecked.is_empty(), "unchecked: {:?}", res.unchecked);
    assert_eq!(res.found.len(), in_team.len() + elsewhere.len(), "found");
    for id in &in_team {
        assert_eq!(res.found[id].team_id, Some(TEAM), "{id} is in the team");
    }
    for id in &elsewhere {
        let team = res.found[id].team_id;
        assert!(team.is_some() && team != Some(TEAM), "{id} is elsewhere");
    }
    let want_missing: BTreeSet<u64> = missing.iter().copied().collect();
    assert_eq!(res.not_found, want_missing, "not found");

    let throttled = rate_limit_every.map_or(0, |k| server.count() / k as usize);
    Outcome {
        requests: res.requests,
        server_requests: server.count(),
        throttled,
        wall,
    }
}

fn main() {
    let cfg = parse_args();
    let pages = cfg.per_team.div_ceil(u64::from(cfg.page_size.max(1)));
    let outside = cfg.elsewhere + cfg.missing;
    let goal = pages + outside;
    println!(
        "{} teams x {} connections, {} ms latency, concurrency {}, page size {}",
        cfg.teams, cfg.per_team, cfg.latency_ms, cfg.concurrency, cfg.page_size
    );
    println!(
        "{} references to {} distinct ids: {} in team {TEAM}, {} in other teams, {} missing",
        cfg.refs,
        cfg.in_team + outside,
        cfg.in_team,
        cfg.elsewhere,
        cfg.missing
    );
    println!("goal: requests <= {pages} pages + {outside} by-id = {goal}; clean run under 5 s\n");
    println!(
        "{:<10} {:>9} {:>9} {:>10} {:>9}  verdict",
        "scenario", "requests", "server", "429s", "wall"
    );
    let runs: [(&str, Option<u64>); 2] = [("clean", None), ("throttled", Some(3))];
    let mut failed = false;
    for (name, every) in runs {
        if cfg.only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let out = scenario(&cfg, every);
        // A 429 is a request too; the goal is about the requests that carry an answer.
        let answered = out.server_requests - out.throttled;
        let verdict = match every {
            None if out.requests <= goal && out.wall < Duration::from_secs(5) => "met",
            None => {
                failed = true;
                "MISSED"
            }
            Some(_) if answered as u64 <= goal => "correct; answered requests within goal",
            Some(_) => "correct; answered requests over goal",
        };
        println!(
            "{name:<10} {:>9} {:>9} {:>10} {:>8.2}s  {verdict}",
            out.requests,
            out.server_requests,
            out.throttled,
            out.wall.as_secs_f64()
        );
    }
    if failed {
        std::process::exit(1);
    }
}

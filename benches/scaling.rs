//! Check time against modules per file: one blueprint of N modules, the whole offline check
//! (`pipeline::check_bytes`, built-in and shipped declarative rules), N = 20,000 and 100,000.
//! Linear time means the 100k/20k ratio is about 5; the goal is at most about 5.
//!
//! ```sh
//! cargo bench --bench scaling            # exits 1 if the ratio is over 6
//! ```

use std::time::{Duration, Instant};

use bplint::pipeline::{self, Options};
use bplint::rules::{RuleSet, declarative};

/// Modules of several kinds, each with a connection, a mapper and an editor position: the
/// shape that made `references_of` quadratic.
fn blueprint(modules: usize) -> Vec<u8> {
    let mut out = String::from("{\"name\":\"scaling\",\"flow\":[");
    for i in 0..modules {
        if i > 0 {
            out.push(',');
        }
        let app = [
            "slack:CreateMessage",
            "google-sheets:addRow",
            "http:ActionSendData",
        ][i % 3];
        out.push_str(&format!(
            "{{\"id\":{},\"module\":\"{app}\",\"version\":2,\"parameters\":{{\"__IMTCONN__\":{}}},\
             \"mapper\":{{\"text\":\"row {{{{{}.value}}}}\",\"url\":\"https://example.com/{i}\"}},\
             \"metadata\":{{\"designer\":{{\"x\":{i},\"y\":0}}}}}}",
            i + 1,
            1000 + i % 97,
            i.max(1)
        ));
    }
    out.push_str("],\"metadata\":{\"version\":1,\"scenario\":{\"dlq\":true}}}");
    out.into_bytes()
}

fn best_of(runs: usize, bytes: &[u8], opts: &Options) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            let r = pipeline::check_bytes("scaling.json", true, bytes, opts);
            assert!(r.modules > 0);
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let rules = declarative::load(RuleSet::builtin(), &[], true).expect("shipped rules load");
    let opts = Options {
        rules,
        max_file_size: u64::MAX,
        excerpts: false,
        keep_model: false,
        ..Options::default()
    };
    println!("| modules | bytes | best of 3 | per module |");
    println!("|---:|---:|---:|---:|");
    let mut times = Vec::new();
    for n in [20_000usize, 100_000] {
        let bytes = blueprint(n);
        let t = best_of(3, &bytes, &opts);
        println!(
            "| {n} | {} | {:.1} ms | {:.2} µs |",
            bytes.len(),
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() * 1e6 / n as f64
        );
        times.push(t.as_secs_f64());
    }
    let ratio = times[1] / times[0];
    println!("\n100k / 20k: {ratio:.2}x (linear: 5x)");
    if ratio > 6.0 {
        eprintln!("time grows faster than the number of modules");
        std::process::exit(1);
    }
}

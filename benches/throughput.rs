//! Throughput of bplint's parse and check against serde_json, on one generated corpus.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/bench-target cargo bench --bench throughput -- [options]
//!   --iters N      timed passes per workload (env BPLINT_BENCH_ITERS, default 7)
//!   --mb N         corpus size in MB (env BPLINT_BENCH_MB, default 100)
//!   --seed N       corpus seed (env BPLINT_BENCH_SEED, default 42)
//!   --write DIR    also write the corpus to DIR (env BPLINT_BENCH_WRITE), to time the CLI
//!   --write-only   write the corpus and stop
//!   --no-parallel  skip the all-cores pass
//!   --rules        also time each offline rule alone (single thread)
//! ```
//!
//! Every workload runs over the same in-memory bytes: (a) serde_json into `IgnoredAny`
//! (validation only, the floor), (b) serde_json into `Value` plus a walk collecting the
//! connection references, (c) `bplint::json::parse` (with the UTF-8 check it needs), (d)
//! `bplint::pipeline::check_bytes`, the whole offline check. Stage rows (u, c+m, c+m+r) split
//! (d) to show where its time goes. Passes are interleaved (a b c ... a b c ...) so that noise
//! from other processes on the machine hits every workload alike; each pass covers the whole
//! corpus, one warm-up pass precedes the timed ones, and the table shows the median pass (and
//! the best one). MB = 10^6 bytes.

mod corpus;

use std::hint::black_box;
use std::time::{Duration, Instant};

use bplint::model::{self, Detected};
use bplint::pipeline::{self, Options, Status};
use bplint::rules::{self, Context, OfflineSettings, RuleKind};
use rayon::prelude::*;
use serde_json::Value;

struct Config {
    iters: usize,
    mb: usize,
    seed: u64,
    write: Option<String>,
    write_only: bool,
    parallel: bool,
    rules: bool,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn config() -> Config {
    let mut c = Config {
        iters: env_or("BPLINT_BENCH_ITERS", 7),
        mb: env_or("BPLINT_BENCH_MB", 100),
        seed: env_or("BPLINT_BENCH_SEED", 42),
        write: std::env::var("BPLINT_BENCH_WRITE")
            .ok()
            .filter(|s| !s.is_empty()),
        write_only: false,
        parallel: true,
        rules: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| panic!("{name} needs a value"))
        };
        match a.as_str() {
            "--iters" => c.iters = value("--iters").parse().expect("--iters N"),
            "--mb" => c.mb = value("--mb").parse().expect("--mb N"),
            "--seed" => c.seed = value("--seed").parse().expect("--seed N"),
            "--write" => c.write = Some(value("--write")),
            "--write-only" => c.write_only = true,
            "--no-parallel" => c.parallel = false,
            "--rules" => c.rules = true,
            // `cargo bench` passes `--bench`; filters and other harness flags are ignored.
            _ => {}
        }
    }
    c.iters = c.iters.max(1);
    c
}

/// The connection parameter keys the model recognises without an echo.
const CONNECTION_KEYS: [&str; 4] = ["__IMTCONN__", "account", "makeConnectionId", "connection"];

/// (b): the connection references of a blueprint held as a `serde_json::Value`, found by
/// walking every module (flow, routes, onerror, branches, tools, orphans).
fn serde_connection_refs(root: &Value) -> Vec<(&str, &Value)> {
    let mut refs = Vec::new();
    let _ = corpus::for_each_module::<()>(root, &mut |m| {
        if let Some(Value::Object(params)) = m.get("parameters") {
            for key in CONNECTION_KEYS {
                if let Some((k, v)) = params.get_key_value(key) {
                    refs.push((k.as_str(), v));
                }
            }
        }
        Ok(())
    });
    refs
}

fn run_a(bytes: &[u8]) -> usize {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).expect("valid JSON");
    1
}

fn run_b(bytes: &[u8]) -> usize {
    let v: Value = serde_json::from_slice(bytes).expect("valid JSON");
    serde_connection_refs(&v).len()
}

fn run_utf8(bytes: &[u8]) -> usize {
    std::str::from_utf8(bytes).expect("UTF-8").len()
}

fn run_c(bytes: &[u8]) -> usize {
    let src = std::str::from_utf8(bytes).expect("UTF-8");
    bplint::json::parse(src).expect("valid JSON").node_count()
}

fn run_model(bytes: &[u8]) -> usize {
    let src = std::str::from_utf8(bytes).expect("UTF-8");
    let doc = bplint::json::parse(src).expect("valid JSON");
    let Detected::Blueprint { form, root, base } = model::detect(doc.root()) else {
        panic!("not a blueprint")
    };
    model::build(&doc, root, form, base).references.len()
}

fn run_rules(bytes: &[u8]) -> usize {
    let src = std::str::from_utf8(bytes).expect("UTF-8");
    let doc = bplint::json::parse(src).expect("valid JSON");
    let Detected::Blueprint { form, root, base } = model::detect(doc.root()) else {
        panic!("not a blueprint")
    };
    let scenario = model::build(&doc, root, form, base);
    let settings = OfflineSettings::default();
    let cx = Context::new(&doc, &scenario, &settings);
    rules::run_offline(&cx).len() + scenario.references.len()
}

fn run_d(bytes: &[u8]) -> usize {
    let r = pipeline::check_bytes("bench.json", true, bytes, &Options::default());
    r.diagnostics.len() + r.reference_locations.len()
}

struct Workload {
    tag: &'static str,
    what: &'static str,
    run: fn(&[u8]) -> usize,
}

const WORKLOADS: &[Workload] = &[
    Workload {
        tag: "(a)",
        what: "serde_json → `IgnoredAny` (validation only: the floor)",
        run: run_a,
    },
    Workload {
        tag: "(b)",
        what: "serde_json → `Value` + connection-reference walk",
        run: run_b,
    },
    Workload {
        tag: "(c)",
        what: "`bplint::json::parse` (after `str::from_utf8`)",
        run: run_c,
    },
    Workload {
        tag: "(d)",
        what: "`pipeline::check_bytes` (whole offline check)",
        run: run_d,
    },
    Workload {
        tag: "u",
        what: "stage: `str::from_utf8` alone",
        run: run_utf8,
    },
    Workload {
        tag: "c+m",
        what: "stage: (c) + `model::detect` + `model::build`",
        run: run_model,
    },
    Workload {
        tag: "c+m+r",
        what: "stage: (c+m) + `rules::run_offline` (no line index, excerpts)",
        run: run_rules,
    },
];

/// Pass times of every workload, in `WORKLOADS` order.
fn measure(files: &[corpus::File], iters: usize, parallel: bool) -> Vec<Vec<Duration>> {
    let pass = |w: &Workload| -> Duration {
        let t = Instant::now();
        let sum: usize = if parallel {
            files.par_iter().map(|f| (w.run)(black_box(&f.bytes))).sum()
        } else {
            files.iter().map(|f| (w.run)(black_box(&f.bytes))).sum()
        };
        let elapsed = t.elapsed();
        black_box(sum);
        elapsed
    };
    for w in WORKLOADS {
        pass(w); // warm-up: page in the corpus, grow the allocator's arenas, fill caches.
    }
    let mut times = vec![Vec::with_capacity(iters); WORKLOADS.len()];
    for _ in 0..iters {
        for (i, w) in WORKLOADS.iter().enumerate() {
            times[i].push(pass(w));
        }
    }
    times
}

fn median(times: &[Duration]) -> Duration {
    let mut t = times.to_vec();
    t.sort();
    let n = t.len();
    if n % 2 == 1 {
        t[n / 2]
    } else {
        (t[n / 2 - 1] + t[n / 2]) / 2
    }
}

fn mbps(bytes: usize, t: Duration) -> f64 {
    bytes as f64 / 1e6 / t.as_secs_f64()
}

/// Checks, outside any timing, that the contenders agree: every file parses, is a blueprint,
/// and (b) and (d) find exactly the connection references the generator wrote.
fn check_fairness(files: &[corpus::File]) -> (usize, usize, usize) {
    let per_file: Vec<(usize, usize, usize)> = files
        .par_iter()
        .map(|f| {
            corpus::validate(f).unwrap_or_else(|e| panic!("generated corpus is broken: {e}"));
            let v: Value = serde_json::from_slice(&f.bytes).expect("valid JSON");
            let b = serde_connection_refs(&v).len();
            let r = pipeline::check_bytes(&f.name, true, &f.bytes, &Options::default());
            assert_eq!(r.status, Status::Blueprint, "{} is not a blueprint", f.name);
            let scenario = r.scenario.as_ref().expect("a blueprint has a model");
            let d = scenario.connection_references().count();
            assert_eq!(
                (b, d),
                (f.connection_refs, f.connection_refs),
                "{}: (b) and (d) must find the {} connection references written",
                f.name,
                f.connection_refs
            );
            assert_eq!(
                scenario.modules.len(),
                f.modules,
                "{}: module count",
                f.name
            );
            (d, scenario.modules.len(), r.diagnostics.len())
        })
        .collect();
    per_file
        .iter()
        .fold((0, 0, 0), |acc, x| (acc.0 + x.0, acc.1 + x.1, acc.2 + x.2))
}

/// Times each offline rule alone over pre-built models (single thread).
fn profile_rules(files: &[corpus::File], iters: usize, total: usize) {
    let settings = OfflineSettings::default();
    let docs: Vec<_> = files
        .iter()
        .map(|f| bplint::json::parse(std::str::from_utf8(&f.bytes).unwrap()).unwrap())
        .collect();
    let scenarios: Vec<_> = docs
        .iter()
        .map(|doc| {
            let Detected::Blueprint { form, root, base } = model::detect(doc.root()) else {
                panic!("not a blueprint")
            };
            model::build(doc, root, form, base)
        })
        .collect();
    println!("\n### Offline rules alone, single thread (median of {iters})\n");
    println!("| rule | ms per pass | MB/s | findings |");
    println!("|---|---:|---:|---:|");
    for rule in rules::REGISTRY
        .iter()
        .filter(|r| r.meta().kind == RuleKind::Offline)
    {
        let mut times = Vec::new();
        let mut findings = 0;
        for i in 0..=iters {
            let t = Instant::now();
            let mut out = Vec::new();
            for (doc, scenario) in docs.iter().zip(&scenarios) {
                let cx = Context::new(doc, scenario, &settings);
                rule.check_scenario(&cx, &mut out);
                for m in &scenario.modules {
                    rule.check_module(&cx, m, &mut out);
                }
                for r in &scenario.references {
                    rule.check_reference(&cx, &scenario.modules[r.module], r, &mut out);
                }
            }
            let elapsed = t.elapsed();
            findings = black_box(out).len();
            if i > 0 {
                times.push(elapsed);
            }
        }
        let m = median(&times);
        println!(
            "| {} {} | {:.1} | {:.0} | {} |",
            rule.meta().code,
            rule.meta().name,
            m.as_secs_f64() * 1e3,
            mbps(total, m),
            findings
        );
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn main() {
    let cfg = config();
    let t = Instant::now();
    let files = corpus::corpus(cfg.seed, cfg.mb * 1_000_000);
    let total: usize = files.iter().map(|f| f.bytes.len()).sum();
    let gen_time = t.elapsed();

    if let Some(dir) = &cfg.write {
        std::fs::create_dir_all(dir).expect("create the corpus directory");
        for f in &files {
            std::fs::write(std::path::Path::new(dir).join(&f.name), &f.bytes)
                .expect("write a corpus file");
        }
        eprintln!("wrote {} files ({total} bytes) to {dir}", files.len());
        if cfg.write_only {
            return;
        }
    }

    let t = Instant::now();
    let (refs, modules, diagnostics) = check_fairness(&files);
    let check_time = t.elapsed();

    let sizes: Vec<usize> = files.iter().map(|f| f.bytes.len()).collect();
    let max_depth = files.iter().map(|f| f.max_depth).max().unwrap_or(0);
    let non_ascii = files
        .iter()
        .map(|f| f.bytes.iter().filter(|&&b| b >= 0x80).count())
        .sum::<usize>();
    let escapes = files
        .iter()
        .map(|f| f.bytes.iter().filter(|&&b| b == b'\\').count())
        .sum::<usize>();
    let count_indent = |i: corpus::Indent| files.iter().filter(|f| f.indent == i).count();
    let threads = rayon::current_num_threads();

    println!("## bplint throughput\n");
    println!(
        "- corpus: {} files, {:.1} MB (seed {}), sizes {:.0} KB .. {:.0} KB; layout: {} 4-space, {} 2-space, {} tabs, {} compact",
        files.len(),
        total as f64 / 1e6,
        cfg.seed,
        *sizes.iter().min().unwrap() as f64 / 1024.0,
        *sizes.iter().max().unwrap() as f64 / 1024.0,
        count_indent(corpus::Indent::Spaces4),
        count_indent(corpus::Indent::Spaces2),
        count_indent(corpus::Indent::Tabs),
        count_indent(corpus::Indent::Compact),
    );
    println!(
        "- content: {modules} modules, {refs} connection references (found alike by (b) and (d), and as written), max module nesting {max_depth}, {diagnostics} diagnostics; {:.1}% non-ASCII bytes, {:.2}% backslashes",
        non_ascii as f64 * 100.0 / total as f64,
        escapes as f64 * 100.0 / total as f64,
    );
    println!(
        "- machine: {} logical CPUs ({}), rayon pool {threads} threads",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model()
    );
    println!(
        "- method: warm-up pass, then {} interleaved passes over the whole corpus per workload; median pass (best pass); MB = 10^6 bytes",
        cfg.iters
    );
    println!(
        "- setup: generated in {:.1} s, cross-checked in {:.1} s (outside timing)\n",
        gen_time.as_secs_f64(),
        check_time.as_secs_f64()
    );

    let single = measure(&files, cfg.iters, false);
    let parallel = cfg.parallel.then(|| measure(&files, cfg.iters, true));

    let rate = |times: &[Duration]| mbps(total, median(times));
    let best = |times: &[Duration]| mbps(total, *times.iter().min().unwrap());

    if parallel.is_some() {
        println!("| | workload | 1 thread MB/s | {threads} threads MB/s | scaling |");
        println!("|---|---|---:|---:|---:|");
    } else {
        println!("| | workload | 1 thread MB/s |");
        println!("|---|---|---:|");
    }
    for (i, w) in WORKLOADS.iter().enumerate() {
        let s = format!("{:.0} ({:.0})", rate(&single[i]), best(&single[i]));
        match &parallel {
            Some(p) => println!(
                "| {} | {} | {s} | {:.0} ({:.0}) | {:.2}x |",
                w.tag,
                w.what,
                rate(&p[i]),
                best(&p[i]),
                rate(&p[i]) / rate(&single[i])
            ),
            None => println!("| {} | {} | {s} |", w.tag, w.what),
        }
    }

    let ratio = |times: &[Vec<Duration>], x: usize, y: usize| rate(&times[x]) / rate(&times[y]);
    let (a, b, c, d) = (0, 1, 2, 3);
    println!();
    if parallel.is_some() {
        println!("| ratio (of median MB/s) | 1 thread | {threads} threads |");
        println!("|---|---:|---:|");
    } else {
        println!("| ratio (of median MB/s) | 1 thread |");
        println!("|---|---:|");
    }
    for (name, x, y) in [
        ("(c)/(a) parse vs floor", c, a),
        ("(d)/(a) check vs floor (goal ≥ 0.5x)", d, a),
        ("(d)/(b) check vs serde `Value` + walk", d, b),
        ("(c)/(b) parse vs serde `Value` + walk", c, b),
    ] {
        match &parallel {
            Some(p) => println!(
                "| {name} | {:.2}x | {:.2}x |",
                ratio(&single, x, y),
                ratio(p, x, y)
            ),
            None => println!("| {name} | {:.2}x |", ratio(&single, x, y)),
        }
    }
    let goal = ratio(&single, d, a);
    println!(
        "\n0.5x-floor goal (single thread): {} ((d) = {:.2}x floor)",
        if goal >= 0.5 { "MET" } else { "NOT MET" },
        goal
    );

    if cfg.rules {
        profile_rules(&files, cfg.iters, total);
    }
}

//! Throughput of bplint's parse and check against serde_json, on one generated corpus.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/bench-target cargo bench --bench throughput -- [options]
//!   --iters N      timed passes per workload (env BPLINT_BENCH_ITERS, default 7)
//!   --mb N         corpus size in MB (env BPLINT_BENCH_MB, default 100)
//!   --seed N       corpus seed (env BPLINT_BENCH_SEED, default 42)
//!   --write DIR    also write the corpus to DIR (env BPLINT_BENCH_WRITE), to time the CLI
//!   --write-only   write the corpus and stop
//!   --dir DIR      measure the blueprints in DIR instead of a generated corpus
//!   --no-parallel  skip the all-cores pass
//!   --profile      also time each offline rule alone and (a)/(c)/(d) per file layout
//!   --only TAGS    time only these workloads, e.g. `--only d` or `--only a,c` (for `perf`)
//! ```
//!
//! Every workload runs over the same in-memory bytes: (a) serde_json into `IgnoredAny`
//! (validation only, the floor), (b) serde_json into `Value` plus a walk collecting the
//! connection references, (c) `bplint::json::parse` (with the UTF-8 check it needs), (d)
//! `bplint::pipeline::check_bytes`, the whole offline check. Stage rows (u, c+m, c+m+r) split
//! (d) to show where its time goes; a+u is (a) plus the UTF-8 check that `IgnoredAny` skips
//! (serde_json does not validate the encoding of strings it ignores) and (c) must do. Passes
//! are interleaved (a b c ... a b c ...) so that noise from other processes on the machine
//! hits every workload alike; each pass covers the whole corpus, one warm-up pass precedes the
//! timed ones, and the table shows the median pass (and the best one). MB = 10^6 bytes.

mod corpus;
#[path = "throughput/profile.rs"]
mod profile;
#[path = "throughput/workloads.rs"]
mod workloads;

use std::hint::black_box;
use std::time::{Duration, Instant};

use bplint::pipeline::{self, Options, Status};
use rayon::prelude::*;
use serde_json::Value;

use profile::{profile_layouts, profile_rules};
use workloads::{WORKLOADS, Workload, serde_connection_refs};

struct Config {
    iters: usize,
    mb: usize,
    seed: u64,
    write: Option<String>,
    write_only: bool,
    dir: Option<String>,
    parallel: bool,
    profile: bool,
    only: Option<Vec<String>>,
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
        dir: None,
        parallel: true,
        profile: false,
        only: None,
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
            "--dir" => c.dir = Some(value("--dir")),
            "--no-parallel" => c.parallel = false,
            "--profile" => c.profile = true,
            "--only" => c.only = Some(value("--only").split(',').map(str::to_string).collect()),
            // `cargo bench` passes `--bench`; filters and other harness flags are ignored.
            _ => {}
        }
    }
    c.iters = c.iters.max(1);
    c
}

/// One file of the measured corpus.
struct Input {
    name: String,
    bytes: Vec<u8>,
    /// What the generator wrote, to check the contenders against (None for `--dir` files).
    expect_refs: Option<usize>,
    expect_modules: Option<usize>,
    layout: &'static str,
}

fn layout_name(i: corpus::Indent) -> &'static str {
    match i {
        corpus::Indent::Spaces4 => "4-space",
        corpus::Indent::Spaces2 => "2-space",
        corpus::Indent::Tabs => "tabs",
        corpus::Indent::Compact => "compact",
    }
}

/// The blueprints in `dir` (files that parse and are blueprints; others are skipped).
fn load_dir(dir: &str) -> Vec<Input> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("read --dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let bytes = std::fs::read(&p).expect("read a file");
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let ok = serde_json::from_slice::<Value>(&bytes).is_ok()
            && pipeline::check_bytes(&name, true, &bytes, &Options::default()).status
                == Status::Blueprint;
        if !ok {
            eprintln!("skipping {name}: not a valid blueprint");
            continue;
        }
        let layout = if bytes.iter().filter(|&&b| b == b'\n').count() < 2 {
            "compact"
        } else {
            "pretty"
        };
        out.push(Input {
            name,
            bytes,
            expect_refs: None,
            expect_modules: None,
            layout,
        });
    }
    out
}

/// One pass of `run` over every file; returns its duration.
fn pass(files: &[&Input], run: fn(&[u8]) -> usize, parallel: bool) -> Duration {
    let t = Instant::now();
    let sum: usize = if parallel {
        files.par_iter().map(|f| run(black_box(&f.bytes))).sum()
    } else {
        files.iter().map(|f| run(black_box(&f.bytes))).sum()
    };
    let elapsed = t.elapsed();
    black_box(sum);
    elapsed
}

/// Pass times of each workload: a warm-up pass each, then `iters` interleaved rounds.
fn measure(
    files: &[&Input],
    workloads: &[&Workload],
    iters: usize,
    parallel: bool,
) -> Vec<Vec<Duration>> {
    for w in workloads {
        // Warm-up: page in the corpus, grow the allocator's arenas, fill caches.
        pass(files, w.run, parallel);
    }
    let mut times = vec![Vec::with_capacity(iters); workloads.len()];
    for _ in 0..iters {
        for (i, w) in workloads.iter().enumerate() {
            times[i].push(pass(files, w.run, parallel));
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

struct Totals {
    refs: usize,
    modules: usize,
    diagnostics: usize,
    /// Files where (b) and (d) disagree (only possible with `--dir`).
    mismatches: Vec<String>,
}

/// Checks, outside any timing, that the contenders agree: every file parses, is a blueprint,
/// and (b) and (d) find the same connection references, which for a generated corpus are
/// exactly the ones the generator wrote.
fn check_fairness(files: &[Input]) -> Totals {
    let per_file: Vec<_> = files
        .par_iter()
        .map(|f| {
            let v: Value = serde_json::from_slice(&f.bytes).expect("valid JSON");
            let b = serde_connection_refs(&v).len();
            let r = pipeline::check_bytes(&f.name, true, &f.bytes, &Options::default());
            assert_eq!(r.status, Status::Blueprint, "{} is not a blueprint", f.name);
            let scenario = r.scenario.as_ref().expect("a blueprint has a model");
            let d = scenario.connection_references().count();
            if let Some(expected) = f.expect_refs {
                assert_eq!(
                    (b, d),
                    (expected, expected),
                    "{}: (b) and (d) must find the {expected} connection references written",
                    f.name
                );
            }
            if let Some(expected) = f.expect_modules {
                assert_eq!(scenario.modules.len(), expected, "{}: modules", f.name);
            }
            let mismatch = (b != d).then(|| format!("{}: (b) {b}, (d) {d}", f.name));
            (d, scenario.modules.len(), r.diagnostics.len(), mismatch)
        })
        .collect();
    let mut t = Totals {
        refs: 0,
        modules: 0,
        diagnostics: 0,
        mismatches: Vec::new(),
    };
    for (d, m, diag, mismatch) in per_file {
        t.refs += d;
        t.modules += m;
        t.diagnostics += diag;
        t.mismatches.extend(mismatch);
    }
    t
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
    let generated = match &cfg.dir {
        Some(_) => Vec::new(),
        None => corpus::corpus(cfg.seed, cfg.mb * 1_000_000),
    };
    // Every generated file is valid JSON and a blueprint (checked with serde_json alone).
    generated.par_iter().for_each(|f| {
        corpus::validate(f).unwrap_or_else(|e| panic!("generated corpus is broken: {e}"))
    });
    let gen_time = t.elapsed();

    if let Some(dir) = &cfg.write {
        std::fs::create_dir_all(dir).expect("create the corpus directory");
        for f in &generated {
            std::fs::write(std::path::Path::new(dir).join(&f.name), &f.bytes)
                .expect("write a corpus file");
        }
        eprintln!("wrote {} files to {dir}", generated.len());
        if cfg.write_only {
            return;
        }
    }

    let files: Vec<Input> = match &cfg.dir {
        Some(dir) => load_dir(dir),
        None => generated
            .iter()
            .map(|f| Input {
                name: f.name.clone(),
                bytes: f.bytes.clone(),
                expect_refs: Some(f.connection_refs),
                expect_modules: Some(f.modules),
                layout: layout_name(f.indent),
            })
            .collect(),
    };
    assert!(!files.is_empty(), "no files to measure");
    let total: usize = files.iter().map(|f| f.bytes.len()).sum();

    let t = Instant::now();
    let totals = check_fairness(&files);
    let check_time = t.elapsed();

    let sizes: Vec<usize> = files.iter().map(|f| f.bytes.len()).collect();
    let non_ascii = files
        .iter()
        .map(|f| f.bytes.iter().filter(|&&b| b >= 0x80).count())
        .sum::<usize>();
    let escapes = files
        .iter()
        .map(|f| f.bytes.iter().filter(|&&b| b == b'\\').count())
        .sum::<usize>();
    let mut layouts: Vec<&str> = files.iter().map(|f| f.layout).collect();
    layouts.sort();
    let mut layout_counts: Vec<String> = Vec::new();
    for l in &layouts {
        let n = layouts.iter().filter(|x| *x == l).count();
        let s = format!("{n} {l}");
        if !layout_counts.contains(&s) {
            layout_counts.push(s);
        }
    }
    let threads = rayon::current_num_threads();

    println!("## bplint throughput\n");
    let source = match &cfg.dir {
        Some(d) => d.clone(),
        None => format!(
            "generated (seed {}, max module nesting {})",
            cfg.seed,
            generated.iter().map(|f| f.max_depth).max().unwrap_or(0)
        ),
    };
    println!(
        "- corpus: {source}: {} files, {:.1} MB, sizes {:.0} KB .. {:.0} KB; layout: {}",
        files.len(),
        total as f64 / 1e6,
        *sizes.iter().min().unwrap() as f64 / 1024.0,
        *sizes.iter().max().unwrap() as f64 / 1024.0,
        layout_counts.join(", "),
    );
    println!(
        "- content: {} modules, {} connection references ({}), {} diagnostics; {:.1}% non-ASCII bytes, {:.2}% backslashes",
        totals.modules,
        totals.refs,
        if cfg.dir.is_none() {
            "found alike by (b) and (d), and as generated"
        } else if totals.mismatches.is_empty() {
            "found alike by (b) and (d)"
        } else {
            "(b) and (d) DISAGREE on some files, see below"
        },
        totals.diagnostics,
        non_ascii as f64 * 100.0 / total as f64,
        escapes as f64 * 100.0 / total as f64,
    );
    for m in &totals.mismatches {
        println!("  - {m}");
    }
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
        "- setup: generated and validated in {:.1} s, cross-checked in {:.1} s (outside timing)\n",
        gen_time.as_secs_f64(),
        check_time.as_secs_f64()
    );

    let all: Vec<&Input> = files.iter().collect();
    let workloads: Vec<&Workload> = WORKLOADS
        .iter()
        .filter(|w| {
            cfg.only.as_ref().is_none_or(|only| {
                only.iter()
                    .any(|o| o.trim_matches(['(', ')']) == w.tag.trim_matches(['(', ')']))
            })
        })
        .collect();
    assert!(!workloads.is_empty(), "--only matches no workload");
    let single = measure(&all, &workloads, cfg.iters, false);
    let parallel = cfg
        .parallel
        .then(|| measure(&all, &workloads, cfg.iters, true));

    let rate = |times: &[Duration]| mbps(total, median(times));
    let best = |times: &[Duration]| mbps(total, *times.iter().min().unwrap());

    if parallel.is_some() {
        println!("| | workload | 1 thread MB/s | {threads} threads MB/s | scaling |");
        println!("|---|---|---:|---:|---:|");
    } else {
        println!("| | workload | 1 thread MB/s |");
        println!("|---|---|---:|");
    }
    for (i, w) in workloads.iter().enumerate() {
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

    let index = |tag: &str| workloads.iter().position(|w| w.tag == tag);
    let ratio = |times: &[Vec<Duration>], x: usize, y: usize| rate(&times[x]) / rate(&times[y]);
    let ratios: Vec<(&str, usize, usize)> = [
        ("(c)/(a) parse vs floor", "(c)", "(a)"),
        ("(d)/(a) check vs floor (goal ≥ 0.5x)", "(d)", "(a)"),
        ("(d)/(b) check vs serde `Value` + walk", "(d)", "(b)"),
        ("(c)/(b) parse vs serde `Value` + walk", "(c)", "(b)"),
        ("(c)/(a+u) parse vs UTF-8-validating floor", "(c)", "a+u"),
        ("(d)/(a+u) check vs UTF-8-validating floor", "(d)", "a+u"),
    ]
    .into_iter()
    .filter_map(|(name, x, y)| Some((name, index(x)?, index(y)?)))
    .collect();
    if !ratios.is_empty() {
        println!();
        if parallel.is_some() {
            println!("| ratio (of median MB/s) | 1 thread | {threads} threads |");
            println!("|---|---:|---:|");
        } else {
            println!("| ratio (of median MB/s) | 1 thread |");
            println!("|---|---:|");
        }
    }
    for (name, x, y) in &ratios {
        match &parallel {
            Some(p) => println!(
                "| {name} | {:.2}x | {:.2}x |",
                ratio(&single, *x, *y),
                ratio(p, *x, *y)
            ),
            None => println!("| {name} | {:.2}x |", ratio(&single, *x, *y)),
        }
    }
    if let (Some(d), Some(a)) = (index("(d)"), index("(a)")) {
        let goal = ratio(&single, d, a);
        println!(
            "\n0.5x-floor goal (single thread): {} ((d) = {:.2}x floor)",
            if goal >= 0.5 { "MET" } else { "NOT MET" },
            goal
        );
    }

    if cfg.profile {
        profile_rules(&files, cfg.iters, total);
        profile_layouts(&files, cfg.iters);
    }
}

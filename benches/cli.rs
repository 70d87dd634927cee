//! The whole CLI against the floor, both whole processes on all cores, and their peak memory.
//!
//! ```text
//! CARGO_TARGET_DIR=... cargo bench --bench cli -- [options]
//!   --runs N        interleaved runs per contender (default 9)
//!   --real-mb N     real corpus size: the samples repeated to N MB (default 200)
//!   --synth-mb N    synthetic corpus size (benches/corpus, seed 42; default 100)
//!   --samples DIR   the real exports (default /work/shared/samples/blueprints; skipped if absent)
//!   --only real|synth|rss
//!   --keep DIR      build the corpora in DIR and keep them (default: a temporary folder)
//!   --also PATH     time another `bplint` binary too, in the same rounds (e.g. a build of main)
//! ```
//!
//! Contenders, run one after the other in each round (floor, compact, …) so that load from
//! other processes hits all alike; the table shows the median wall time and its ratio:
//!
//! * floor: this same binary re-run as `--floor DIR`: reads every `.json` file under DIR and
//!   validates it with `serde_json::from_slice::<IgnoredAny>`, files spread over all cores by
//!   rayon. It builds nothing, checks no UTF-8 in strings it skips, prints nothing.
//! * `bplint check DIR --format compact` (default rules, shipped declarative ones included),
//!   stdout to /dev/null.
//!
//! Peak RSS (`--only rss`): `ru_maxrss` of each child from `wait4`, for the synthetic corpus
//! linked 1 and 10 times (10x the files and findings), per streaming format and for json.
//! The release `bplint` binary must be built (`cargo build --release`); the bench finds it
//! next to its own `deps/` folder.

// The generator is shared with `throughput`, which uses more of it.
#[allow(dead_code)]
mod corpus;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rayon::prelude::*;

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

/// The floor as a process: read and validate every file, all cores.
fn floor(dir: &Path) {
    let mut files = Vec::new();
    json_files(dir, &mut files);
    let valid: usize = files
        .par_iter()
        .map(|p| {
            let bytes = std::fs::read(p).unwrap_or_default();
            usize::from(serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok())
        })
        .sum();
    std::hint::black_box(valid);
}

struct Run {
    wall: Duration,
    /// User + system time: steadier than wall time when other jobs share the cores.
    cpu: Duration,
    max_rss_kb: i64,
}

/// Runs `cmd` with stdout to /dev/null, waiting with `wait4` for its peak RSS (std's `wait`
/// does not give the child's rusage; the child is reaped here, so std never waits on it).
#[allow(clippy::zombie_processes)]
fn run(cmd: &mut Command) -> Run {
    let start = Instant::now();
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: waits for the child spawned above, which std has not reaped.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4");
    let seconds = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Run {
        wall: start.elapsed(),
        cpu: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        max_rss_kb: usage.ru_maxrss,
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn dir_bytes(dir: &Path) -> u64 {
    let mut files = Vec::new();
    json_files(dir, &mut files);
    files
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum()
}

/// Hard links (copies where linking fails) of every `.json` file of `from` into `to`.
fn link_all(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    let mut files = Vec::new();
    json_files(from, &mut files);
    for f in files {
        let dest = to.join(f.file_name().expect("a file name"));
        if std::fs::hard_link(&f, &dest).is_err() {
            std::fs::copy(&f, &dest).expect("copy");
        }
    }
}

/// The samples, linked into `c1/`, `c2/`, … until the corpus holds `mb` MB.
fn real_corpus(samples: &Path, dir: &Path, mb: u64) {
    let per_copy = dir_bytes(samples).max(1);
    let copies = (mb * 1_000_000).div_ceil(per_copy);
    for k in 1..=copies {
        link_all(samples, &dir.join(format!("c{k}")));
    }
}

fn synthetic_corpus(dir: &Path, mb: usize) {
    std::fs::create_dir_all(dir).expect("mkdir");
    for f in corpus::corpus(42, mb * 1_000_000) {
        std::fs::write(dir.join(&f.name), &f.bytes).expect("write corpus");
    }
}

fn bplint_binary() -> PathBuf {
    let me = std::env::current_exe().expect("current exe");
    let release = me
        .parent()
        .and_then(Path::parent)
        .expect("target/release/deps");
    let bin = release.join("bplint");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --release` first",
        bin.display()
    );
    bin
}

fn compare(name: &str, dir: &Path, runs: usize, also: Option<&Path>) {
    let me = std::env::current_exe().expect("current exe");
    let mut bins = vec![bplint_binary()];
    bins.extend(also.map(Path::to_path_buf));
    let bytes = dir_bytes(dir);
    let (mut floor_t, mut floor_cpu) = (Vec::new(), Vec::new());
    let mut cli_t = vec![Vec::new(); bins.len()];
    let mut cli_cpu = vec![Vec::new(); bins.len()];
    let mut rss = vec![0; bins.len() + 1];
    // One warm-up round fills the page cache.
    for round in 0..=runs {
        let f = run(Command::new(&me).arg("--floor").arg(dir));
        let c: Vec<Run> = bins
            .iter()
            .map(|bin| {
                run(Command::new(bin)
                    .args(["check", "--format", "compact"])
                    .arg(dir))
            })
            .collect();
        if round > 0 {
            floor_t.push(f.wall);
            floor_cpu.push(f.cpu);
            rss[0] = rss[0].max(f.max_rss_kb);
            for (i, c) in c.iter().enumerate() {
                cli_t[i].push(c.wall);
                cli_cpu[i].push(c.cpu);
                rss[i + 1] = rss[i + 1].max(c.max_rss_kb);
            }
        }
    }
    let (f, f_cpu) = (median(floor_t), median(floor_cpu));
    let mbps = |t: Duration| bytes as f64 / 1e6 / t.as_secs_f64();
    println!(
        "{name}: {:.0} MB, {runs} runs | floor {:.3} s ({:.0} MB/s, CPU {:.3} s, {} MB RSS)",
        bytes as f64 / 1e6,
        f.as_secs_f64(),
        mbps(f),
        f_cpu.as_secs_f64(),
        rss[0] / 1024
    );
    for (i, (times, cpu)) in cli_t.into_iter().zip(cli_cpu).enumerate() {
        let (c, c_cpu) = (median(times), median(cpu));
        println!(
            "  {} check --format compact {:.3} s ({:.0} MB/s, CPU {:.3} s, {} MB RSS) | \
             ratio to the floor {:.2}x (CPU time {:.2}x)",
            bins[i].display(),
            c.as_secs_f64(),
            mbps(c),
            c_cpu.as_secs_f64(),
            rss[i + 1] / 1024,
            f.as_secs_f64() / c.as_secs_f64(),
            f_cpu.as_secs_f64() / c_cpu.as_secs_f64()
        );
    }
}

/// Peak RSS over the synthetic corpus once and linked ten times, per format.
fn peak_memory(synth: &Path, root: &Path, runs: usize, also: Option<&Path>) {
    let mut bins = vec![bplint_binary()];
    bins.extend(also.map(Path::to_path_buf));
    let ten = root.join("synth-x10");
    if !ten.exists() {
        for k in 0..10 {
            link_all(synth, &ten.join(format!("c{k}")));
        }
    }
    for bin in &bins {
        println!(
            "peak RSS of {} (max of {runs} runs), synthetic corpus x1 and x10:",
            bin.display()
        );
        for format in ["compact", "human", "github", "json", "sarif", "junit"] {
            let peak = |dir: &Path| {
                (0..runs)
                    .map(|_| {
                        run(Command::new(bin)
                            .args(["check", "--format", format])
                            .arg(dir))
                        .max_rss_kb
                    })
                    .max()
                    .unwrap_or(0)
            };
            let (one, many) = (peak(synth), peak(&ten));
            println!(
                "  {format:8} x1 {:6.1} MB   x10 {:6.1} MB   ratio {:.2}",
                one as f64 / 1024.0,
                many as f64 / 1024.0,
                many as f64 / one.max(1) as f64
            );
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut runs, mut real_mb, mut synth_mb) = (9, 200u64, 100usize);
    let mut samples = PathBuf::from("/work/shared/samples/blueprints");
    let mut only: Option<String> = None;
    let mut keep: Option<PathBuf> = None;
    let mut also: Option<PathBuf> = None;
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--floor" => return floor(Path::new(&value())),
            "--write-synth" => {
                let dir = value();
                let mb = args.next().and_then(|m| m.parse().ok()).unwrap_or(100);
                return synthetic_corpus(Path::new(&dir), mb);
            }
            "--runs" => runs = value().parse().expect("--runs N"),
            "--real-mb" => real_mb = value().parse().expect("--real-mb N"),
            "--synth-mb" => synth_mb = value().parse().expect("--synth-mb N"),
            "--samples" => samples = PathBuf::from(value()),
            "--only" => only = Some(value()),
            "--keep" => keep = Some(PathBuf::from(value())),
            "--also" => also = Some(PathBuf::from(value())),
            _ => {} // `cargo bench` passes `--bench`
        }
    }
    let runs = runs.max(1);
    let temp = tempfile::tempdir().expect("temporary folder");
    let root = keep.unwrap_or_else(|| temp.path().to_path_buf());
    let wants = |what: &str| only.as_deref().is_none_or(|o| o == what);
    if wants("real") {
        if samples.is_dir() {
            let dir = root.join("real");
            if !dir.exists() {
                real_corpus(&samples, &dir, real_mb);
            }
            compare("real exports", &dir, runs, also.as_deref());
        } else {
            println!("real exports: {} is absent, skipped", samples.display());
        }
    }
    let synth = root.join("synth");
    if (wants("synth") || wants("rss")) && !synth.exists() {
        // Generated by a child: a forked child's `ru_maxrss` counts the parent's pages it
        // started with, so this process must never hold the corpus.
        let me = std::env::current_exe().expect("current exe");
        let status = Command::new(me)
            .arg("--write-synth")
            .arg(&synth)
            .arg(synth_mb.to_string())
            .status()
            .expect("generate the corpus");
        assert!(status.success(), "generating the corpus failed");
    }
    if wants("synth") {
        compare("synthetic corpus", &synth, runs, also.as_deref());
    }
    if wants("rss") {
        peak_memory(&synth, &root, runs.min(3), also.as_deref());
    }
}

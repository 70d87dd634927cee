//! Running the real `bplint` binary from tests, with the environment scrubbed.
#![allow(dead_code)]

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

/// The README's demo run.
pub const DEMO: &[&str] = &[
    "check",
    "fixtures/demo",
    "--connections",
    "fixtures/demo/connections.json",
    "--now",
    "2026-03-01T00:00:00Z",
    "--verify",
];

/// What one run printed and how it exited.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }
}

/// Variables that change what the binary does: none of the test runner's may leak in (a
/// developer's MAKE_API_TOKEN, BPLINT_ZONE or BPLINT_API_URL would change results).
const SCRUBBED_ENV_PREFIXES: &[&str] = &["MAKE_", "BPLINT_", "RUST_LOG", "CLICOLOR", "FORCE_COLOR"];

/// The one place a test builds the command: the binary, run in `dir`, with the environment
/// scrubbed, no token, no colors, and only the built-in Rust rules (the shipped declarative
/// rules have their own tests in tests/declarative.rs, which turn them on with
/// [`with_shipped_rules`]).
pub fn bplint_in(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("bplint").expect("binary builds");
    for name in scrubbed_vars() {
        cmd.env_remove(name);
    }
    cmd.env_remove("MAKE_API_TOKEN")
        .env("BPLINT_NO_DECLARATIVE", "1")
        .env("NO_COLOR", "1")
        .current_dir(dir);
    cmd
}

/// The test runner's variables to remove from any process that ends up running the binary
/// (tests that start it through a shell script remove them too).
pub fn scrubbed_vars() -> Vec<std::ffi::OsString> {
    std::env::vars_os()
        .map(|(name, _)| name)
        .filter(|name| {
            let text = name.to_string_lossy();
            SCRUBBED_ENV_PREFIXES.iter().any(|p| text.starts_with(p))
        })
        .collect()
}

/// The binary, run in the project folder (fixture paths are relative to it).
pub fn bplint() -> Command {
    bplint_in(Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// [`bplint_in`] (or [`bplint`]) with the shipped declarative rules on, as users run it.
pub fn with_shipped_rules(mut cmd: Command) -> Command {
    cmd.env_remove("BPLINT_NO_DECLARATIVE");
    cmd
}

/// Runs `cmd` with `args` and the token (if any) in `MAKE_API_TOKEN`: exit code, stdout as
/// JSON (`null` when it is none, as when a run fails before reporting) and stderr.
pub fn run_json(mut cmd: Command, args: &[&str], token: Option<&str>) -> (i32, Value, String) {
    if let Some(t) = token {
        cmd.env("MAKE_API_TOKEN", t);
    }
    let r = run_cmd(cmd, args);
    let v = serde_json::from_str(&r.stdout).unwrap_or(Value::Null);
    (r.code, v, r.stderr)
}

pub fn run_cmd(mut cmd: Command, args: &[&str]) -> Run {
    run_with(&mut cmd, args)
}

/// [`run_cmd`] for a command held by reference.
pub fn run_with(cmd: &mut Command, args: &[&str]) -> Run {
    let out = cmd.args(args).output().expect("runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn run(args: &[&str]) -> Run {
    run_cmd(bplint(), args)
}

pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    run_cmd(bplint_in(dir), args)
}

/// The findings with `code` of a `--format json` report, in order.
pub fn findings_with<'a>(v: &'a Value, code: &str) -> Vec<&'a Value> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

/// The finding codes of a `--format json` report, in order.
pub fn codes(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The ids of the list `key` of a JSON report: numbers, or objects with an `id`.
pub fn ids(v: &Value, key: &str) -> Vec<u64> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key}: {v}"))
        .iter()
        .map(|x| x.as_u64().or_else(|| x["id"].as_u64()).unwrap())
        .collect()
}

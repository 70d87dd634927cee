//! `bplint bind` end to end: against snapshots and against the Make API test server.

#[path = "../support/mod.rs"]
mod support;

mod online;
mod snapshot;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/bind");
const TEMPLATE: &str = "template.blueprint.json";
const SECOND: &str = "second.blueprint.json";

/// A folder holding copies of the fixtures (the run rewrites them).
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_templates(dir.path());
    let team = "team.json";
    std::fs::copy(Path::new(FIXTURES).join(team), dir.path().join(team)).unwrap();
    dir
}

/// Copies of the two template blueprints and what binding makes of them into `dir`.
fn copy_templates(dir: &Path) -> PathBuf {
    for name in [TEMPLATE, SECOND, "template.bound.json", "second.bound.json"] {
        std::fs::copy(Path::new(FIXTURES).join(name), dir.join(name)).unwrap();
    }
    dir.to_path_buf()
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap()
}

/// A one-module blueprint referencing `value` from `module`'s `__IMTCONN__`.
fn one_module(module: &str, value: Value) -> String {
    serde_json::to_string_pretty(&json!({
        "name": "t",
        "flow": [{"id": 1, "module": module, "version": 1, "parameters": {"__IMTCONN__": value}}]
    }))
    .unwrap()
}

const SHEETS_SCOPE: &str = "https://www.googleapis.com/auth/spreadsheets";
const SHEETS_READONLY: &str = "https://www.googleapis.com/auth/spreadsheets.readonly";

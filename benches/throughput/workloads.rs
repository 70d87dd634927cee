//! The measured workloads, (a) to (d) and the stage rows, each a function over one file's
//! bytes.

use bplint::finding::Finding;
use bplint::model::{self, Detected};
use bplint::pipeline::{self, Options};
use bplint::rules::{self, Context, OfflineSettings, Rule, RuleKind};
use serde_json::Value;

use crate::corpus;

/// The connection parameter keys the model recognises without an echo.
pub(crate) const CONNECTION_KEYS: [&str; 4] =
    ["__IMTCONN__", "account", "makeConnectionId", "connection"];

/// (b): the connection references of a blueprint held as a `serde_json::Value`, found by
/// walking every module (flow, routes, onerror, branches, tools, orphans).
pub(crate) fn serde_connection_refs(root: &Value) -> Vec<(&str, &Value)> {
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

pub(crate) fn run_a(bytes: &[u8]) -> usize {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).expect("valid JSON");
    1
}

/// (a) also validating UTF-8: `IgnoredAny` skips strings without checking their encoding.
pub(crate) fn run_a_utf8(bytes: &[u8]) -> usize {
    let src = std::str::from_utf8(bytes).expect("UTF-8");
    serde_json::from_str::<serde::de::IgnoredAny>(src).expect("valid JSON");
    1
}

pub(crate) fn run_b(bytes: &[u8]) -> usize {
    let v: Value = serde_json::from_slice(bytes).expect("valid JSON");
    serde_connection_refs(&v).len()
}

pub(crate) fn run_utf8(bytes: &[u8]) -> usize {
    std::str::from_utf8(bytes).expect("UTF-8").len()
}

pub(crate) fn run_c(bytes: &[u8]) -> usize {
    let src = std::str::from_utf8(bytes).expect("UTF-8");
    bplint::json::parse(src).expect("valid JSON").node_count()
}

pub(crate) fn run_model(bytes: &[u8]) -> usize {
    let src = std::str::from_utf8(bytes).expect("UTF-8");
    let doc = bplint::json::parse(src).expect("valid JSON");
    let Detected::Blueprint { form, root, base } = model::detect(doc.root()) else {
        panic!("not a blueprint")
    };
    model::build(&doc, root, form, base).references.len()
}

pub(crate) fn run_rules(bytes: &[u8]) -> usize {
    let src = std::str::from_utf8(bytes).expect("UTF-8");
    let doc = bplint::json::parse(src).expect("valid JSON");
    let Detected::Blueprint { form, root, base } = model::detect(doc.root()) else {
        panic!("not a blueprint")
    };
    let scenario = model::build(&doc, root, form, base);
    let settings = OfflineSettings::default();
    let cx = Context::new(&doc, &scenario, &settings);
    let mut out = Vec::new();
    run_offline_rules(&cx, &offline_rules(), &mut out);
    out.len() + scenario.references.len()
}

/// The built-in offline rules (what `Options::default()` runs).
pub(crate) fn offline_rules() -> Vec<&'static dyn Rule> {
    rules::REGISTRY
        .iter()
        .copied()
        .filter(|r| r.meta().kind == RuleKind::Offline)
        .collect()
}

/// Runs `rules`' offline hooks in the order the pipeline does: scenario, modules, references.
pub(crate) fn run_offline_rules(
    cx: &Context<'_>,
    rules: &[&'static dyn Rule],
    out: &mut Vec<Finding>,
) {
    for rule in rules {
        rule.check_scenario(cx, out);
    }
    for module in &cx.scenario.modules {
        for rule in rules {
            rule.check_module(cx, module, out);
        }
    }
    for at in rules::sites(cx.scenario) {
        for rule in rules {
            rule.check_reference(cx, &at, out);
        }
    }
}

pub(crate) fn run_d(bytes: &[u8]) -> usize {
    let r = pipeline::check_bytes("bench.json", true, bytes, &Options::default());
    r.diagnostics.len() + r.reference_locations.len()
}

pub(crate) struct Workload {
    pub(crate) tag: &'static str,
    pub(crate) what: &'static str,
    pub(crate) run: fn(&[u8]) -> usize,
}

pub(crate) const WORKLOADS: &[Workload] = &[
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
        tag: "a+u",
        what: "stage: `str::from_utf8` + (a) (a floor that validates UTF-8, as (c) does)",
        run: run_a_utf8,
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
        what: "stage: (c+m) + the offline rules (no line index, excerpts)",
        run: run_rules,
    },
];

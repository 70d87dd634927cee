//! `--profile`: each offline rule alone, BP020's leaf walk, and (a)/(c)/(d) per file layout.

use std::hint::black_box;
use std::time::{Duration, Instant};

use bplint::model::{self, Detected};
use bplint::rules::{Context, OfflineSettings};

use crate::workloads::{WORKLOADS, offline_rules, run_offline_rules};
use crate::{Input, mbps, measure, median};

/// Times each offline rule alone over pre-built models, and the string-leaf walk that the
/// secret rule performs, without its regexes (single thread).
pub(crate) fn profile_rules(files: &[Input], iters: usize, total: usize) {
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
    // Tape indices of the module objects, found from their pointers outside the timing.
    let module_nodes: Vec<Vec<u32>> = docs
        .iter()
        .zip(&scenarios)
        .map(|(doc, s)| {
            s.modules
                .iter()
                .map(|m| {
                    let mut v = doc.root();
                    for token in m.pointer.split('/').skip(1) {
                        let token = token.replace("~1", "/").replace("~0", "~");
                        v = if v.is_array() {
                            v.elements().nth(token.parse().unwrap()).unwrap()
                        } else {
                            v.get(&token).unwrap()
                        };
                    }
                    v.index()
                })
                .collect()
        })
        .collect();
    let time = |f: &mut dyn FnMut() -> usize| -> (Duration, usize) {
        let mut times = Vec::new();
        let mut n = 0;
        for i in 0..=iters {
            let t = Instant::now();
            n = black_box(f());
            if i > 0 {
                times.push(t.elapsed());
            }
        }
        (median(&times), n)
    };
    println!("\n### Offline rules alone, over parsed and modelled files (1 thread)\n");
    println!("| rule | ms per pass | MB/s | findings |");
    println!("|---|---:|---:|---:|");
    for rule in offline_rules() {
        let (m, findings) = time(&mut || {
            let mut out = Vec::new();
            for (doc, scenario) in docs.iter().zip(&scenarios) {
                let cx = Context::new(doc, scenario, &settings);
                run_offline_rules(&cx, &[rule], &mut out);
            }
            out.len()
        });
        println!(
            "| {} {} | {:.1} | {:.0} | {} |",
            rule.meta().code,
            rule.meta().name,
            m.as_secs_f64() * 1e3,
            mbps(total, m),
            findings
        );
    }
    // The walk BP020 does before its regexes: every string under mapper and parameters, as
    // raw text (BP020 decodes only escaped strings and builds a pointer only for findings).
    let (m, leaves) = time(&mut || {
        let mut n = 0;
        for (doc, nodes) in docs.iter().zip(&module_nodes) {
            for &node in nodes {
                let obj = doc.value(node);
                for section in ["mapper", "parameters"] {
                    if let Some(root) = obj.get(section) {
                        model::leaves::for_each_string(root, &mut |leaf| {
                            n += leaf.value.raw().len();
                        });
                    }
                }
            }
        }
        n
    });
    println!(
        "| (BP020's leaf walk alone: `for_each_string` + `as_str`, no regex) | {:.1} | {:.0} | {} bytes |",
        m.as_secs_f64() * 1e3,
        mbps(total, m),
        leaves
    );
    let (m, raw) = time(&mut || {
        let mut n = 0;
        for (doc, nodes) in docs.iter().zip(&module_nodes) {
            for &node in nodes {
                let obj = doc.value(node);
                for section in ["mapper", "parameters"] {
                    n += obj.get(section).map_or(0, raw_string_leaves);
                }
            }
        }
        n
    });
    println!(
        "| (the same leaves over the tape, raw slices: no pointers, no decoding) | {:.1} | {:.0} | {} bytes |",
        m.as_secs_f64() * 1e3,
        mbps(total, m),
        raw
    );
}

/// (a), (c) and (d) for the files of each layout, single thread.
pub(crate) fn profile_layouts(files: &[Input], iters: usize) {
    let mut layouts: Vec<&str> = files.iter().map(|f| f.layout).collect();
    layouts.sort();
    layouts.dedup();
    println!("\n### By file layout (1 thread, median MB/s)\n");
    println!("| layout | files | MB | (a) | (c) | (d) | (d)/(a) |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let chosen = [&WORKLOADS[0], &WORKLOADS[2], &WORKLOADS[3]];
    for layout in layouts {
        let group: Vec<&Input> = files.iter().filter(|f| f.layout == layout).collect();
        let bytes: usize = group.iter().map(|f| f.bytes.len()).sum();
        let t = measure(&group, &chosen, iters, false);
        let r: Vec<f64> = t.iter().map(|t| mbps(bytes, median(t))).collect();
        println!(
            "| {layout} | {} | {:.1} | {:.0} | {:.0} | {:.0} | {:.2}x |",
            group.len(),
            bytes as f64 / 1e6,
            r[0],
            r[1],
            r[2],
            r[2] / r[0]
        );
    }
}

/// The leaves `for_each_string` visits, walked over the tape with no pointers built and no
/// strings decoded: what BP020's walk costs at least.
pub(crate) fn raw_string_leaves(root: bplint::json::Value<'_>) -> usize {
    let mut n = 0;
    let mut stack = vec![root];
    while let Some(v) = stack.pop() {
        match v.kind() {
            bplint::json::Kind::String => n += v.raw().len(),
            bplint::json::Kind::Object => stack.extend(v.members().map(|m| m.value)),
            bplint::json::Kind::Array => stack.extend(v.elements()),
            _ => {}
        }
    }
    n
}

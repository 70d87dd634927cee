//! Embeds the shipped declarative rule files (`rules/builtin/*.toml`) so that an installed
//! binary has them: adding a rule file needs no code change, only a rebuild.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let dir = Path::new("rules/builtin");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".toml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut out = String::from("&[\n");
    for name in &files {
        println!("cargo:rerun-if-changed=rules/builtin/{name}");
        writeln!(
            out,
            "    (\"rules/builtin/{name}\", include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/rules/builtin/{name}\"))),"
        )
        .unwrap();
    }
    out.push(']');
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("builtin_rules.rs");
    std::fs::write(dest, out).unwrap();
}

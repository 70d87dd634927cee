//! Saving pulled blueprints: file names from scenario names, indentation that keeps the key
//! order Make wrote, and atomic writes.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Longest slug kept: file names stay readable and far below any file system's limit.
const MAX_SLUG: usize = 60;

/// `Lead router (EU) #2` -> `lead-router-eu-2`; ASCII letters and digits only, so the name is
/// valid on every file system; `scenario` when nothing is left.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= MAX_SLUG {
            break;
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "scenario".to_string()
    } else {
        out.to_string()
    }
}

/// `<id>-<slug>.json`
pub fn file_name(id: u64, name: &str) -> String {
    format!("{id}-{}.json", slug(name))
}

/// Re-indents valid JSON text two spaces per level without going through a map, which would
/// sort the keys (serde_json's `Value` does) and make every pull a noisy diff.
pub fn pretty(json: &str) -> String {
    let mut out = String::with_capacity(json.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = json.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                    chars.next();
                }
                let close = if c == '{' { '}' } else { ']' };
                if chars.peek() == Some(&close) {
                    chars.next();
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            c => out.push(c),
        }
    }
    out.push('\n');
    out
}

/// The blueprint text of a pulled scenario with what Make's blueprint answer holds beside it
/// put back as top-level members, in the shape real exports use: `io` (`{"input_spec",
/// "output_spec"}`, JSON text) and `scheduling` (JSON text). They are appended before the
/// closing brace, so the blueprint's own bytes and key order stay; a member the blueprint
/// already has is kept, never doubled.
pub fn with_scenario_parts(blueprint: &str, io: Option<&str>, scheduling: Option<&str>) -> String {
    let body = blueprint.trim_end();
    let Some(open) = body.strip_suffix('}') else {
        return blueprint.to_string();
    };
    let has: std::collections::BTreeSet<String> = serde_json::from_str::<
        std::collections::BTreeMap<String, &serde_json::value::RawValue>,
    >(blueprint)
    .map(|members| members.into_keys().collect())
    .unwrap_or_default();
    let mut out = open.to_string();
    let mut empty = open.trim_end().ends_with('{');
    for (key, value) in [("io", io), ("scheduling", scheduling)] {
        let Some(value) = value.filter(|_| !has.contains(key)) else {
            continue;
        };
        if !empty {
            out.push(',');
        }
        out.push_str(&format!("\"{key}\":{value}"));
        empty = false;
    }
    out.push('}');
    out
}

/// Writes `text` to `dir/name` through a temporary file in `dir`, so a reader never sees half a
/// blueprint and an interrupted pull leaves the previous file intact.
pub fn save(dir: &Path, name: &str, text: &str) -> Result<PathBuf, String> {
    let path = dir.join(name);
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| format!("cannot create a file in {}: {e}", dir.display()))?;
    tmp.write_all(text.as_bytes())
        .and_then(|_| tmp.flush())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    tmp.persist(&path)
        .map_err(|e| format!("cannot write {}: {}", path.display(), e.error))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slug("Lead router (EU) #2"), "lead-router-eu-2");
        assert_eq!(slug("  ---  "), "scenario");
        assert_eq!(slug("Überweisung/../x"), "berweisung-x");
        assert_eq!(slug(&"a".repeat(200)).len(), MAX_SLUG);
        assert_eq!(file_name(7, ""), "7-scenario.json");
    }

    #[test]
    fn scenario_parts_are_appended_once_keeping_the_blueprint_bytes() {
        let io = r#"{"input_spec":[{"name":"c","default":5}]}"#;
        let sched = r#"{"type":"indefinitely","interval":900}"#;
        assert_eq!(
            with_scenario_parts(r#"{"name":"x","flow":[]}"#, Some(io), Some(sched)),
            format!(r#"{{"name":"x","flow":[],"io":{io},"scheduling":{sched}}}"#)
        );
        assert_eq!(
            with_scenario_parts("{ }", None, Some("{}")),
            r#"{ "scheduling":{}}"#
        );
        // Already there: kept as it was.
        let own = r#"{"flow":[],"io":{"input_spec":[]}}"#;
        assert_eq!(with_scenario_parts(own, Some(io), None), own);
        assert_eq!(with_scenario_parts("[1]", Some(io), None), "[1]");
        assert_eq!(with_scenario_parts("{}", None, None), "{}");
    }

    #[test]
    fn pretty_keeps_order_and_strings() {
        let text =
            r#"{"name":"a, b: {c}","flow":[],"metadata":{"z":1,"a":[1,{"q":"\"]"}]},"e":{}}"#;
        let p = pretty(text);
        let back: serde_json::Value = serde_json::from_str(&p).unwrap();
        assert_eq!(
            back,
            serde_json::from_str::<serde_json::Value>(text).unwrap()
        );
        assert!(
            p.starts_with(
                "{\n  \"name\": \"a, b: {c}\",\n  \"flow\": [],\n  \"metadata\": {\n    \"z\": 1,"
            ),
            "{p}"
        );
        assert!(p.find("\"z\"") < p.find("\"a\": ["), "{p}");
    }
}

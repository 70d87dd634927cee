//! Saving pulled blueprints: file names from scenario names, indentation that keeps the key
//! order Make wrote, atomic writes with the usual permissions, answers that are not blueprints
//! refused, and files left from earlier pulls under a scenario's old name found.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::json;

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

/// Why the text an answer gave as `response.blueprint` is not a blueprint worth saving (an
/// object with a `flow` array of modules), if it is not. A proxy's error page or an API change
/// must not be saved as if it were the scenario.
pub fn check_blueprint(text: &str) -> Result<(), String> {
    let doc = json::parse(text)
        .map_err(|e| format!("the answer's `response.blueprint` is not valid JSON ({e})"))?;
    let root = doc.root();
    if !root.is_object() {
        return Err(format!(
            "the answer's `response.blueprint` is a JSON {}, not a blueprint object",
            root.kind().name()
        ));
    }
    match root.get("flow") {
        Some(flow) if flow.is_array() => Ok(()),
        Some(flow) => Err(format!(
            "the answer's `response.blueprint` has a `flow` that is a JSON {}, not an array of \
             modules",
            flow.kind().name()
        )),
        None => Err("the answer's `response.blueprint` has no `flow` array of modules".into()),
    }
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

/// Writes `text` to `dir/name` atomically (see [`crate::atomic_file`]): a reader never sees half
/// a blueprint, an interrupted pull leaves the previous file intact, and a new file gets the
/// umask's permissions like any tool's output.
pub fn save(dir: &Path, name: &str, text: &str) -> Result<PathBuf, String> {
    let path = dir.join(name);
    crate::atomic_file::replace(&path, text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(path)
}

/// A file left in the pull folder from an earlier pull of a scenario that has since been
/// renamed: `<id>-<old slug>.json` beside the `<id>-<new slug>.json` just saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    pub id: u64,
    /// The stale file's name (untrusted: it comes from the folder).
    pub name: String,
    /// The name the scenario was saved under now.
    pub current: String,
}

/// Files in `dir` named `<id>-*.json` for an id in `saved` (id -> name just saved) other than
/// that name. Ids are matched as written (`007-x.json` is not scenario 7's); folders are not
/// files; a file of a scenario that was not saved this time is not stale.
pub fn stale_files(dir: &Path, saved: &BTreeMap<u64, String>) -> Result<Vec<Stale>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut stale = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        // Not following links: a link named like a blueprint is as stale as a file.
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if is_dir || !name.ends_with(".json") {
            continue;
        }
        let Some((prefix, _)) = name.split_once('-') else {
            continue;
        };
        let Some(id) = prefix
            .parse::<u64>()
            .ok()
            .filter(|id| id.to_string() == prefix)
        else {
            continue;
        };
        if let Some(current) = saved.get(&id) {
            if *current != name {
                stale.push(Stale {
                    id,
                    name,
                    current: current.clone(),
                });
            }
        }
    }
    stale.sort_by(|a, b| (a.id, &a.name).cmp(&(b.id, &b.name)));
    Ok(stale)
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

    #[test]
    fn answers_that_are_not_blueprints_are_refused() {
        assert!(check_blueprint(r#"{"name": "a", "flow": [], "metadata": {}}"#).is_ok());
        for (text, why) in [
            (r#""<html>""#, "is a JSON string, not a blueprint object"),
            ("null", "is a JSON null"),
            (r#"{"modules": []}"#, "has no `flow` array"),
            (r#"{"flow": {}}"#, "`flow` that is a JSON object"),
            ("{\"flow\": [", "is not valid JSON"),
        ] {
            let err = check_blueprint(text).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn stale_files_are_the_other_names_of_saved_ids() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in [
            "1-new.json",
            "1-old.json",
            "1-older.json",
            "12-other.json",
            "01-zero.json",
            "2-unsaved.json",
            "1-notes.txt",
            "1.json",
        ] {
            std::fs::write(d.join(f), "{}").unwrap();
        }
        std::fs::create_dir(d.join("1-folder.json")).unwrap();
        let saved = BTreeMap::from([(1, "1-new.json".to_string()), (3, "3-x.json".to_string())]);
        let names: Vec<String> = stale_files(d, &saved)
            .unwrap()
            .into_iter()
            .map(|s| {
                assert_eq!((s.id, s.current.as_str()), (1, "1-new.json"));
                s.name
            })
            .collect();
        assert_eq!(names, ["1-old.json", "1-older.json"]);
    }
}

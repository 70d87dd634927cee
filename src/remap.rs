//! `bplint remap`: rewrite connection (or other) ids in blueprint files, byte-exactly.
//!
//! Only the id tokens change, located by the model's spans; every other byte of a file stays as
//! it was. All files are planned before any is written; a file that changed since it was read is
//! refused, and each write goes to a temporary file renamed over the original, so an
//! interrupted run never leaves half a file.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::json;
use crate::model::{self, Detected, RefKind, RefValue};

/// Old id -> new id.
pub type IdMap = BTreeMap<u64, u64>;

/// Parses `OLD=NEW[,OLD=NEW...]` entries into `map`; an old id mapped to two new ids is refused.
pub fn parse_pairs(text: &str, source: &str, map: &mut IdMap) -> Result<(), String> {
    for (n, raw) in text.split([',', '\n']).enumerate() {
        let entry = raw.split('#').next().unwrap_or("").trim();
        if entry.is_empty() {
            continue;
        }
        let (old, new) = entry
            .split_once('=')
            .ok_or_else(|| format!("{source}: entry {} `{entry}` is not OLD=NEW", n + 1))?;
        let id = |s: &str| -> Result<u64, String> {
            s.trim()
                .parse::<u64>()
                .ok()
                .filter(|v| *v > 0)
                .ok_or_else(|| format!("{source}: `{}` is not a positive integer id", s.trim()))
        };
        insert(map, id(old)?, id(new)?, source)?;
    }
    Ok(())
}

fn insert(map: &mut IdMap, old: u64, new: u64, source: &str) -> Result<(), String> {
    match map.get(&old) {
        Some(&existing) if existing != new => Err(format!(
            "{source}: id {old} is mapped to both {existing} and {new}; the map is ambiguous"
        )),
        _ => {
            map.insert(old, new);
            Ok(())
        }
    }
}

/// Reads a map file: a JSON object `{"OLD": NEW}` or lines of `OLD=NEW` (`#` comments).
pub fn load_map_file(path: &Path, map: &mut IdMap) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_map_text(&text, &path.display().to_string(), map)
}

/// The text of a map file (see [`load_map_file`]); `source` names it in messages.
pub fn parse_map_text(text: &str, source: &str, map: &mut IdMap) -> Result<(), String> {
    if text.trim_start().starts_with('{') {
        let JsonPairs(pairs) = serde_json::from_str(text).map_err(|e| format!("{source}: {e}"))?;
        for (k, v) in pairs {
            let new = v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()));
            match (k.trim().parse::<u64>(), new) {
                (Ok(old), Some(new)) if old > 0 && new > 0 => insert(map, old, new, source)?,
                _ => {
                    return Err(format!(
                        "{source}: `\"{k}\": {v}` is not a pair of positive integer ids"
                    ));
                }
            }
        }
        Ok(())
    } else {
        parse_pairs(text, source, map)
    }
}

/// A JSON object's members in order, repeated keys included: read into a map, a repeated old
/// id would silently keep its last new id, where the `OLD=NEW` form refuses the ambiguity.
struct JsonPairs(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for JsonPairs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = JsonPairs;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of \"OLD\": NEW pairs")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<JsonPairs, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry()? {
                    pairs.push(pair);
                }
                Ok(JsonPairs(pairs))
            }
        }
        d.deserialize_map(Members)
    }
}

/// One id token to rewrite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub old: u64,
    pub new: u64,
    pub pointer: String,
    pub kind: RefKind,
    /// The module (`app:Action`) and the connection types its echo accepts, for checking NEW.
    pub module: Option<String>,
    pub allowed_types: Vec<String>,
}

/// The plan for one file.
#[derive(Debug)]
pub struct FilePlan {
    pub path: PathBuf,
    pub original: Vec<u8>,
    pub edits: Vec<Edit>,
}

impl FilePlan {
    /// The file's bytes with every edit applied.
    pub fn rewritten(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.original.len());
        let mut at = 0;
        for e in &self.edits {
            out.extend_from_slice(&self.original[at..e.start]);
            out.extend_from_slice(e.new.to_string().as_bytes());
            at = e.end;
        }
        out.extend_from_slice(&self.original[at..]);
        out
    }

    /// A unified diff of the change.
    pub fn diff(&self) -> String {
        let before = String::from_utf8_lossy(&self.original);
        let after_bytes = self.rewritten();
        let after = String::from_utf8_lossy(&after_bytes);
        let name = self.path.display().to_string();
        similar::TextDiff::from_lines(before.as_ref(), after.as_ref())
            .unified_diff()
            .context_radius(2)
            .header(&format!("a/{name}"), &format!("b/{name}"))
            .to_string()
    }
}

/// Plans the edits for one file's bytes; `None` when the file is not a blueprint.
pub fn plan(
    path: &Path,
    bytes: Vec<u8>,
    map: &IdMap,
    kinds: &[RefKind],
) -> Result<Option<FilePlan>, String> {
    let src =
        std::str::from_utf8(&bytes).map_err(|e| format!("{}: not UTF-8 ({e})", path.display()))?;
    let doc = json::parse(src).map_err(|e| format!("{}: invalid JSON: {e}", path.display()))?;
    let Detected::Blueprint { form, root, base } = model::detect(doc.root()) else {
        return Ok(None);
    };
    let scenario = model::build(&doc, root, form, base);
    let mut edits = Vec::new();
    for r in &scenario.references {
        if !kinds.contains(&r.kind) {
            continue;
        }
        let RefValue::Id { id, quoted } = r.value else {
            continue;
        };
        let Some(&new) = map.get(&id) else { continue };
        let (mut start, mut end) = (r.span.start as usize, r.span.end as usize);
        if quoted {
            // Keep the quotes and any spaces inside them; replace the digits only.
            let inner = &src[start + 1..end - 1];
            let lead = inner.len() - inner.trim_start().len();
            start += 1 + lead;
            end = start + inner.trim().len();
        }
        edits.push(Edit {
            start,
            end,
            old: id,
            new,
            pointer: r.pointer.clone(),
            kind: r.kind,
            module: scenario.modules[r.module].name.clone(),
            allowed_types: r.allowed_types.clone(),
        });
    }
    edits.sort_by_key(|e| e.start);
    drop(doc);
    Ok(Some(FilePlan {
        path: path.to_path_buf(),
        original: bytes,
        edits,
    }))
}

/// Why a NEW connection id does not fit where the map puts it, per the target's connections.
/// `allowed_for` gives the catalog's types for modules whose echo lists none.
pub fn check_targets(
    plans: &[FilePlan],
    resolution: &crate::live::Resolution,
    team: Option<u64>,
    allowed_for: &dyn Fn(&str) -> Option<Vec<String>>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for p in plans {
        for e in p.edits.iter().filter(|e| e.kind == RefKind::Connection) {
            let at = format!("{} {}", p.path.display(), e.pointer);
            let Some(c) = resolution.found.get(&e.new) else {
                if resolution.not_found.contains(&e.new) {
                    problems.push(format!("{at}: new connection {} does not exist", e.new));
                }
                continue;
            };
            if let (Some(want), Some(have)) = (team, c.team_id) {
                if want != have {
                    problems.push(format!(
                        "{at}: new connection {} belongs to team {have}, not {want}",
                        c.describe()
                    ));
                }
            }
            let allowed = if e.allowed_types.is_empty() {
                e.module
                    .as_deref()
                    .and_then(allowed_for)
                    .unwrap_or_default()
            } else {
                e.allowed_types.clone()
            };
            if let Some(t) = &c.connection_type {
                if !allowed.is_empty() && !allowed.contains(t) {
                    problems.push(format!(
                        "{at}: new connection {} is of type `{t}`, but {} accepts {}",
                        c.describe(),
                        e.module.as_deref().unwrap_or("the module"),
                        allowed.join(", ")
                    ));
                }
            }
        }
    }
    problems
}

/// Writes every plan atomically, after checking that no file changed since it was planned.
/// Nothing is written when any file changed.
pub fn apply(plans: &[FilePlan]) -> Result<usize, String> {
    for p in plans.iter().filter(|p| !p.edits.is_empty()) {
        let now = std::fs::read(&p.path).map_err(|e| format!("{}: {e}", p.path.display()))?;
        if now != p.original {
            return Err(format!(
                "{} changed since it was read; nothing was written",
                p.path.display()
            ));
        }
    }
    // Every new text is written and synced beside its original before any rename, so an
    // interruption (or a full disk) while writing leaves every original as it was; the renames
    // that follow are atomic, one per file.
    let mut staged = Vec::new();
    for p in plans.iter().filter(|p| !p.edits.is_empty()) {
        staged.push((p, stage(&p.path, &p.rewritten())?));
    }
    let written = staged.len();
    for (p, tmp) in staged {
        tmp.persist(&p.path)
            .map_err(|e| format!("{}: {}", p.path.display(), e.error))?;
    }
    Ok(written)
}

/// A synced temporary file beside `path` holding `bytes`, with the original's permissions.
fn stage(path: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile, String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp =
        tempfile::NamedTempFile::new_in(dir).map_err(|e| format!("{}: {e}", path.display()))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if let Ok(meta) = std::fs::metadata(path) {
        // The temporary file was created private; keep the original's permissions.
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    }
    Ok(tmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(text: &str) -> IdMap {
        let mut m = IdMap::new();
        parse_pairs(text, "--map", &mut m).unwrap();
        m
    }

    const SRC: &str = "{\"flow\": [\n  {\"id\": 1, \"module\": \"a:b\", \"parameters\": {\"__IMTCONN__\": 111, \"x\": 111}},\n  {\"id\": 2, \"module\": \"a:b\", \"parameters\": {\"account\": \" 222 \"}, \"mapper\": {\"n\": 222}}\n]}\n";

    #[test]
    fn only_id_tokens_change_and_the_round_trip_is_exact() {
        let p = plan(
            Path::new("a.json"),
            SRC.as_bytes().to_vec(),
            &map("111=9001,222=9002"),
            &[RefKind::Connection],
        )
        .unwrap()
        .unwrap();
        assert_eq!(p.edits.len(), 2);
        let out = String::from_utf8(p.rewritten()).unwrap();
        assert_eq!(
            out,
            SRC.replacen("\"__IMTCONN__\": 111", "\"__IMTCONN__\": 9001", 1)
                .replace("\" 222 \"", "\" 9002 \"")
        );
        let back = plan(
            Path::new("a.json"),
            out.into_bytes(),
            &map("9001=111,9002=222"),
            &[RefKind::Connection],
        )
        .unwrap()
        .unwrap();
        assert_eq!(back.rewritten(), SRC.as_bytes());
    }

    #[test]
    fn ambiguous_and_malformed_maps_are_refused() {
        let mut m = IdMap::new();
        assert!(
            parse_pairs("1=2,1=3", "--map", &mut m)
                .unwrap_err()
                .contains("ambiguous")
        );
        assert!(parse_pairs("1=2,1=2", "--map", &mut IdMap::new()).is_ok());
        assert!(parse_pairs("1:2", "--map", &mut IdMap::new()).is_err());
        assert!(parse_pairs("0=2", "--map", &mut IdMap::new()).is_err());
    }

    #[test]
    fn a_json_map_repeating_an_old_id_is_refused_like_the_line_form() {
        let mut m = IdMap::new();
        let e = parse_map_text("{\"1\": 2, \"1\": 3}", "m.json", &mut m).unwrap_err();
        assert!(e.contains("m.json") && e.contains("ambiguous"), "{e}");
        let mut m = IdMap::new();
        parse_map_text("{\"1\": 2, \" 1\": \"2\", \"4\": 5}", "m.json", &mut m).unwrap();
        assert_eq!(m, IdMap::from([(1, 2), (4, 5)]));
        let mut m = IdMap::new();
        parse_map_text("# old=new\n1=2\n\n4 = 5 # why\n", "m.txt", &mut m).unwrap();
        assert_eq!(m, IdMap::from([(1, 2), (4, 5)]));
        let e = parse_map_text("[1, 2]", "m.json", &mut IdMap::new()).unwrap_err();
        assert!(e.starts_with("m.json: "), "{e}");
    }

    #[test]
    fn diff_shows_the_changed_line() {
        let p = plan(
            Path::new("a.json"),
            SRC.as_bytes().to_vec(),
            &map("111=9001"),
            &[RefKind::Connection],
        )
        .unwrap()
        .unwrap();
        let d = p.diff();
        assert!(
            d.contains("-  {\"id\": 1, \"module\": \"a:b\", \"parameters\": {\"__IMTCONN__\": 111"),
            "{d}"
        );
        assert!(
            d.contains(
                "+  {\"id\": 1, \"module\": \"a:b\", \"parameters\": {\"__IMTCONN__\": 9001"
            ),
            "{d}"
        );
    }

    #[test]
    fn a_file_changed_since_it_was_read_stops_every_write() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
        std::fs::write(&a, SRC).unwrap();
        std::fs::write(&b, SRC).unwrap();
        let m = map("111=9001");
        let plans: Vec<FilePlan> = [&a, &b]
            .iter()
            .map(|p| {
                plan(p, std::fs::read(p).unwrap(), &m, &[RefKind::Connection])
                    .unwrap()
                    .unwrap()
            })
            .collect();
        let edited = SRC.replace("\"a:b\"", "\"c:d\"");
        std::fs::write(&b, &edited).unwrap();
        let err = apply(&plans).unwrap_err();
        assert!(err.contains("changed since it was read"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&a).unwrap(),
            SRC,
            "a.json untouched"
        );
        assert_eq!(
            std::fs::read_to_string(&b).unwrap(),
            edited,
            "b.json keeps the other edit"
        );
        std::fs::write(&b, SRC).unwrap();
        assert_eq!(apply(&plans).unwrap(), 2);
        assert!(std::fs::read_to_string(&a).unwrap().contains("9001"));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 2, "no temporary files left behind");
    }
}

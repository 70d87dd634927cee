//! The map file (`--map`, `--map-file`): `OLD=NEW` lines or a JSON object, old ids (and, for
//! `bind`, placeholders) to new ids. An old key mapped to two new ids is refused, with where.

use std::collections::BTreeMap;
use std::path::Path;

use crate::finding::location::SourceIndex;
use crate::json::{self, Kind};
use crate::model;
use crate::side_file::{SideFileKind, read_side_file};

/// Old id -> new id.
pub type IdMap = BTreeMap<u64, u64>;

/// The left side of a map entry as `bind` reads it: an old id, or the text of a placeholder
/// (`<CONN_01>`, written `"<CONN_01>"=4101` in the line form, where quotes allow any text).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MapKey {
    Id(u64),
    Placeholder(String),
}

impl MapKey {
    /// The key as a map file writes it: the digits, or the placeholder as a JSON string with
    /// every non-ASCII character escaped, so the line is plain ASCII and reads back exactly.
    pub fn written(&self) -> String {
        match self {
            MapKey::Id(id) => id.to_string(),
            MapKey::Placeholder(text) => {
                let mut out = String::from("\"");
                for c in text.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        ' '..='~' => out.push(c),
                        c => {
                            let mut units = [0u16; 2];
                            for u in c.encode_utf16(&mut units) {
                                out.push_str(&format!("\\u{u:04x}"));
                            }
                        }
                    }
                }
                out.push('"');
                out
            }
        }
    }
}

impl std::fmt::Display for MapKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.written())
    }
}

/// Old id (or placeholder, for `bind`) -> new id.
pub type KeyMap = BTreeMap<MapKey, u64>;

/// What a map's left side can be: [`IdMap`] takes ids only, [`KeyMap`] placeholders too.
pub trait MapEntryKey: Ord + Clone {
    /// The key from an entry's (decoded) text; `None` when it is not one.
    fn from_text(text: &str) -> Option<Self>;
    /// `id 1001`, `placeholder "<CONN_01>"`, for messages.
    fn describe(&self) -> String;
    /// What a key must be, for messages (`a positive integer id`).
    const EXPECTED: &'static str;
    /// What an entry must be, for messages (`positive integer ids`).
    const PAIR: &'static str;
}

impl MapEntryKey for u64 {
    fn from_text(text: &str) -> Option<u64> {
        model::positive_id(text)
    }
    fn describe(&self) -> String {
        format!("id {self}")
    }
    const EXPECTED: &'static str = "a positive integer id";
    const PAIR: &'static str = "positive integer ids";
}

impl MapEntryKey for MapKey {
    fn from_text(text: &str) -> Option<MapKey> {
        if let Some(id) = model::positive_id(text) {
            return Some(MapKey::Id(id));
        }
        // Only what the model calls a placeholder can stand for one: not an expression, not
        // an empty or out-of-range value.
        match model::classify_string(text, &|_| None) {
            model::RefValue::Placeholder { .. } => Some(MapKey::Placeholder(text.trim().into())),
            _ => None,
        }
    }
    fn describe(&self) -> String {
        match self {
            MapKey::Id(id) => format!("id {id}"),
            MapKey::Placeholder(_) => format!("placeholder {}", shown(&self.written())),
        }
    }
    const EXPECTED: &'static str = "a positive integer id or a placeholder";
    const PAIR: &'static str = "an id or placeholder and a positive integer id";
}

/// Parses `OLD=NEW[,OLD=NEW...]` entries into `map`; an old id mapped to two new ids is refused.
pub fn parse_pairs<K: MapEntryKey>(
    text: &str,
    source: &str,
    map: &mut BTreeMap<K, u64>,
) -> Result<(), String> {
    for (n, raw) in entries(text).into_iter().enumerate() {
        let entry = raw.trim();
        let not_a_pair = || {
            format!(
                "{source}: entry {} `{}` is not OLD=NEW",
                n + 1,
                shown(entry)
            )
        };
        let (old, new) = split_entry(entry).ok_or_else(not_a_pair)?;
        let old = K::from_text(&old)
            .ok_or_else(|| format!("{source}: `{}` is not {}", shown(old.trim()), K::EXPECTED))?;
        let new = model::positive_id(new).ok_or_else(|| {
            format!(
                "{source}: `{}` is not a positive integer id",
                shown(new.trim())
            )
        })?;
        insert(map, old, new, source)?;
    }
    Ok(())
}

/// The entries of the line form: split at commas and line ends, `#` to the end of the line a
/// comment, except inside a double-quoted key.
fn entries(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped, mut comment) = (0, false, false, false);
    for (i, c) in text.char_indices() {
        if comment {
            if c == '\n' {
                comment = false;
                start = i + 1;
            }
            continue;
        }
        if quoted {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => quoted = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            '#' | ',' | '\n' => {
                out.push(&text[start..i]);
                comment = c == '#';
                start = i + 1;
            }
            _ => {}
        }
    }
    if !comment {
        out.push(&text[start..]);
    }
    out.retain(|e| !e.trim().is_empty());
    out
}

/// `OLD=NEW` as (the decoded old text, the new text); a quoted OLD is a JSON string.
fn split_entry(entry: &str) -> Option<(String, &str)> {
    if !entry.starts_with('"') {
        let (old, new) = entry.split_once('=')?;
        return Some((old.to_string(), new));
    }
    let mut escaped = false;
    let end = entry.char_indices().skip(1).find_map(|(i, c)| match c {
        _ if escaped => {
            escaped = false;
            None
        }
        '\\' => {
            escaped = true;
            None
        }
        '"' => Some(i),
        _ => None,
    })?;
    let old: String = serde_json::from_str(&entry[..=end]).ok()?;
    let new = entry[end + 1..].trim_start().strip_prefix('=')?;
    Some((old, new))
}

fn insert<K: MapEntryKey>(
    map: &mut BTreeMap<K, u64>,
    old: K,
    new: u64,
    source: &str,
) -> Result<(), String> {
    match map.get(&old) {
        Some(&existing) if existing != new => Err(format!(
            "{source}: {} is mapped to both {existing} and {new}; the map is ambiguous",
            old.describe()
        )),
        _ => {
            map.insert(old, new);
            Ok(())
        }
    }
}

/// Reads a map file: a JSON object `{"OLD": NEW}` or lines of `OLD=NEW` (`#` comments).
pub fn load_map_file<K: MapEntryKey>(
    path: &Path,
    map: &mut BTreeMap<K, u64>,
) -> Result<(), String> {
    let text = read_side_file(path, SideFileKind::MapFile).map_err(|e| e.to_string())?;
    parse_map_text(&text, &path.display().to_string(), map)
}

/// The text of a map file (see [`load_map_file`]); `source` names it in messages.
pub fn parse_map_text<K: MapEntryKey>(
    text: &str,
    source: &str,
    map: &mut BTreeMap<K, u64>,
) -> Result<(), String> {
    if text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
    {
        load_json_map(text, source, map)
    } else {
        parse_pairs(text.trim_start_matches('\u{feff}'), source, map)
    }
}

/// A JSON map, read with the project's parser rather than serde_json, which keeps the last of
/// two members with the same key: `{"1001": 2001, "1001": 3001}` must be refused as ambiguous,
/// with the position of the second key.
fn load_json_map<K: MapEntryKey>(
    text: &str,
    source: &str,
    map: &mut BTreeMap<K, u64>,
) -> Result<(), String> {
    let doc = json::parse(text).map_err(|e| format!("{source}: invalid JSON: {e}"))?;
    let index = SourceIndex::new(text, Vec::new());
    let root = doc.root();
    if !root.is_object() {
        return Err(format!("{source}: the map is not a JSON object"));
    }
    // Old key -> (new id, line of its key), for this file alone: the error names both lines.
    let mut seen: BTreeMap<K, (u64, u32)> = BTreeMap::new();
    // Every member, duplicates too: a repeated id is exactly what must be caught here.
    for member in root.all_members() {
        let key = member.key_str();
        let value = member.value;
        let new = match value.kind() {
            Kind::Number => model::positive_id(value.raw()),
            Kind::String => value.as_str().and_then(|s| model::positive_id(&s)),
            _ => None,
        };
        let key_at = index.position(member.key.span().start as usize);
        let here = format!("{source}:{}:{}", key_at.line, key_at.column);
        let (old, new) = match (K::from_text(&key), new) {
            (Some(old), Some(new)) => (old, new),
            _ => {
                return Err(format!(
                    "{here}: `{}: {}` is not a pair of {}",
                    shown(member.key.raw()),
                    shown(value.raw()),
                    K::PAIR
                ));
            }
        };
        match seen.get(&old) {
            Some(&(first, first_line)) if first != new => {
                return Err(format!(
                    "{here}: {} is mapped to both {first} (line {first_line}) and {new}; \
                     the map is ambiguous",
                    old.describe()
                ));
            }
            Some(_) => {}
            None => {
                seen.insert(old.clone(), (new, key_at.line));
            }
        }
        insert(map, old, new, source)?;
    }
    Ok(())
}

/// Text from a map file, shortened, with anything that could drive a terminal escaped.
fn shown(raw: &str) -> String {
    model::truncate(raw, 40)
        .chars()
        .flat_map(|c| match c {
            '"' | '\'' => vec![c],
            c => c.escape_debug().collect(),
        })
        .collect()
}

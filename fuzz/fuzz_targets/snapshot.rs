//! Arbitrary text as a connections snapshot (`--connections FILE`) through
//! `Snapshot::from_str`, which `Snapshot::load` calls on the file's text: pages, arrays of
//! pages, plain arrays, both field shapes, `teamId`, recorded verifications, hooks, data stores
//! and keys. Asserted: no panic; an error names the file; a snapshot that loads answers
//! lookups, and writing its connections back in the real API's shape and loading that gives
//! the same connections, team and verifications (the reader loses nothing it keeps).
#![no_main]

use std::collections::BTreeSet;

use bplint::live::connection::parse_time;
use bplint::live::snapshot::Snapshot;
use bplint::live::{Connection, ConnectionSource, ResolveRequest};
use bplint::model::RefKind;
use chrono::{DateTime, SecondsFormat, Utc};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

fuzz_target!(|data: &[u8]| {
    // `Snapshot::load` refuses non-UTF-8 before parsing.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let snap = match Snapshot::from_str(text, "fuzz.json") {
        Err(e) => {
            assert!(e.starts_with("fuzz.json"), "the error names no file: {e}");
            return;
        }
        Ok(snap) => snap,
    };
    let ids: BTreeSet<u64> = snap.connections().map(|c| c.id).collect();
    assert_eq!(ids.len(), snap.len());
    let mut ask = ResolveRequest {
        team: snap.team(),
        ids: ids.clone(),
        verify: true,
        ..ResolveRequest::default()
    };
    // An id the snapshot lacks is missing, never unchecked.
    let absent = (1..).find(|id| !ids.contains(id)).expect("a free id");
    ask.ids.insert(absent);
    for kind in [RefKind::Hook, RefKind::DataStore, RefKind::Keychain] {
        ask.objects.insert(kind, [1, 2, absent].into());
    }
    let first = snap.resolve(&ask);
    assert_eq!(first.found.len(), ids.len());
    assert!(first.not_found.contains(&absent) && first.unchecked.is_empty());

    let rows: Vec<Value> = snap
        .connections()
        .map(|c| real_shape(c, first.verification.get(&c.id)))
        .collect();
    let mut page = Map::new();
    if let Some(team) = snap.team() {
        page.insert("teamId".into(), json!(team));
    }
    page.insert("connections".into(), Value::Array(rows));
    let written = Value::Object(page).to_string();
    let again = Snapshot::from_str(&written, "again.json")
        .unwrap_or_else(|e| panic!("a written snapshot does not load: {e}\n{written}"));
    assert_eq!(again.team(), snap.team(), "{written}");
    assert_eq!(again.len(), snap.len(), "{written}");
    for c in snap.connections() {
        assert_eq!(again.get(c.id), Some(c), "{written}");
    }
    let second = again.resolve(&ResolveRequest {
        objects: Default::default(),
        ..ask
    });
    assert_eq!(second.verification, first.verification, "{written}");
});

/// A connection as `GET /connections` lists it (`accountName` = type), with a recorded
/// verification.
fn real_shape(c: &Connection, v: Option<&bplint::live::Verification>) -> Value {
    let mut row = Map::new();
    row.insert("id".into(), json!(c.id));
    row.insert("name".into(), json!(c.name));
    row.insert("accountType".into(), json!("oauth"));
    if let Some(t) = &c.connection_type {
        row.insert("accountName".into(), json!(t));
    }
    if let Some(l) = &c.account_label {
        row.insert("accountLabel".into(), json!(l));
    }
    if let Some(p) = &c.package_name {
        row.insert("packageName".into(), json!(p));
    }
    if let Some(t) = c.team_id {
        row.insert("teamId".into(), json!(t));
    }
    if let Some(e) = c.expire {
        row.insert("expire".into(), expire(e));
    }
    if let Some(s) = &c.scopes {
        row.insert("scopes".into(), json!(s));
    }
    if let Some(v) = v {
        row.insert("verified".into(), json!(v.verified));
        if let Some(e) = &v.error {
            row.insert("verifyError".into(), json!(e));
        }
    }
    Value::Object(row)
}

/// An expiry in the first form the reader takes back exactly: epoch seconds, RFC 3339,
/// `YYYY-MM-DD hh:mm:ss` (which also spells years before 0 and after 9999, and leap seconds),
/// epoch milliseconds.
fn expire(e: DateTime<Utc>) -> Value {
    [
        (e.timestamp_subsec_nanos() == 0).then(|| json!(e.timestamp())),
        Some(json!(e.to_rfc3339_opts(SecondsFormat::AutoSi, true))),
        Some(json!(e.format("%Y-%m-%d %H:%M:%S").to_string())),
        Some(json!(e.timestamp_millis())),
    ]
    .into_iter()
    .flatten()
    .find(|v| parse_time(v) == Some(e))
    .unwrap_or_else(|| panic!("an expiry read that no form writes back: {e:?}"))
}

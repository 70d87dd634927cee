//! Arbitrary bytes as the body of a Make API answer, through every decoder the client uses
//! (`bplint::live::decode`): list pages of connections, scenarios, hooks, data stores and keys;
//! a connection by id; a verification; a scenario's blueprint; the message of an error answer.
//! A server, a proxy or a man in the middle may send anything. Asserted: no panic; the pager
//! and the readers agree on every row's id (a row the pager counts is one the resolver reads);
//! a connection answer is about the id asked; a blueprint is valid JSON, and the text the body
//! holds when nothing was put back beside it; a quoted error message is short and holds no
//! control character.
#![no_main]

use bplint::live::decode::{self, DecodeError, MAX_MESSAGE_CHARS};
use bplint::live::{Connection, StoredObject};
use bplint::model::RefKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let message = decode::error_message(body);
    if !message.is_empty() {
        let inner = message
            .strip_prefix(" (")
            .and_then(|m| m.strip_suffix(')'))
            .unwrap_or_else(|| panic!("not ` (...)`: {message:?}"));
        assert!(!inner.chars().any(char::is_control), "{message:?}");
        // Each character kept is itself or its escape (`\u{9b}`: at most 8).
        assert!(
            inner.chars().count() <= MAX_MESSAGE_CHARS * 8,
            "{message:?}"
        );
    }

    if let Ok(blueprint) = decode::blueprint(body) {
        assert!(
            serde_json::from_str::<serde::de::IgnoredAny>(&blueprint).is_ok(),
            "not JSON: {blueprint:?}"
        );
        // With no inputs or scheduling beside it, nothing is put back: the blueprint is the
        // very text the answer holds.
        let bare = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|answer| answer.get("response").cloned())
            .is_some_and(|r| r.get("metadata").is_none() && r.get("scheduling").is_none());
        if bare {
            assert!(
                body.windows(blueprint.len().max(1))
                    .any(|w| w == blueprint.as_bytes()),
                "not the text the answer holds"
            );
        }
    }

    let answer = match decode::json(body) {
        Ok(answer) => answer,
        Err(e) => {
            assert!(matches!(e, DecodeError::NotJson(_)), "{e}");
            return;
        }
    };
    for (key, kind) in [
        ("connections", None),
        ("scenarios", None),
        ("hooks", Some(RefKind::Hook)),
        ("dataStores", Some(RefKind::DataStore)),
        ("keys", Some(RefKind::Keychain)),
    ] {
        let Ok(page) = decode::page(&answer, key) else {
            continue;
        };
        for row in page.rows {
            let id = decode::row_id(row);
            let connection = Connection::from_json(row);
            assert_eq!(connection.as_ref().map(|c| c.id), id, "{row}");
            if let Some(c) = connection {
                let _ = c.describe();
            }
            if let Some(kind) = kind {
                let object = StoredObject::from_json(kind, row);
                assert_eq!(object.as_ref().map(|o| o.id), id, "{row}");
                if let Some(o) = object {
                    let _ = o.describe();
                }
            }
        }
    }

    let about = decode::row_id(answer.get("connection").unwrap_or(&answer));
    for asked in [about, about.map(|id| id.wrapping_add(1)), Some(1)]
        .into_iter()
        .flatten()
    {
        match decode::connection(&answer, asked) {
            Ok(c) => {
                assert_eq!(c.id, asked);
                let _ = c.describe();
            }
            Err(DecodeError::OtherConnection { found }) => assert_ne!(found, asked),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
    if let Ok(v) = decode::verification(&answer) {
        assert_eq!(
            Some(v.verified),
            answer.get("verified").and_then(|v| v.as_bool())
        );
    }
});

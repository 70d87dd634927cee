//! Runs one live rule over a one-module blueprint with a given lookup.

use chrono::{DateTime, TimeZone, Utc};

use crate::finding::Finding;
use crate::live::{Catalog, Connection, LiveSettings, Lookup};
use crate::model::{Detected, build, detect};
use crate::rules::{LiveContext, RefSite, Rule, sites};

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .expect("valid time")
}

pub fn days_from_now(days: i64) -> DateTime<Utc> {
    now() + chrono::Duration::days(days)
}

pub fn conn() -> Connection {
    Connection {
        id: 42,
        name: "Slack (acme)".into(),
        connection_type: Some("slack2".into()),
        account_label: None,
        package_name: None,
        team_id: Some(7),
        expire: None,
        scopes: Some(vec!["chat:write".into()]),
        scoped: None,
        auth: None,
    }
}

pub fn found(c: Connection) -> Lookup {
    Lookup::Found {
        connection: c,
        verification: None,
    }
}

pub fn not_found() -> Lookup {
    Lookup::NotFound { id: 42 }
}

/// A live hook applied to the context and the reference.
type Check<'a> = dyn FnMut(&LiveContext<'_>, &RefSite<'_>, &mut Vec<Finding>) + 'a;

/// Models `src` and calls `check` with live context and its first reference; every finding
/// must point at that reference's `42`.
fn run_on(
    src: &str,
    teams: &[u64],
    settings: &LiveSettings,
    check: &mut Check<'_>,
) -> Vec<Finding> {
    let doc = crate::json::parse(src).expect("valid");
    let Detected::Blueprint { form, root, base } = detect(doc.root()) else {
        panic!("blueprint")
    };
    let scenario = build(&doc, root, form, base);
    let cx = LiveContext {
        scenario: &scenario,
        settings,
        teams,
    };
    let mut out = Vec::new();
    let at = sites(&scenario).next().expect("a reference");
    check(&cx, &at, &mut out);
    for f in &out {
        assert_eq!(
            &src[f.span.range()],
            "42",
            "live findings point at the reference"
        );
    }
    out
}

/// The settings of a run at [`now`] with the default 14-day window.
pub fn settings() -> LiveSettings {
    LiveSettings {
        now: now(),
        expiry_warning_days: 14,
        catalog: Catalog::builtin(),
        requirements: Default::default(),
        verify: false,
    }
}

pub fn findings(rule: &dyn Rule, lookup: &Lookup, teams: &[u64]) -> Vec<Finding> {
    findings_with(rule, lookup, teams, &settings())
}

fn findings_with(
    rule: &dyn Rule,
    lookup: &Lookup,
    teams: &[u64],
    settings: &LiveSettings,
) -> Vec<Finding> {
    let src =
        r#"{"flow":[{"id":1,"module":"slack:CreateMessage","parameters":{"__IMTCONN__":42}}]}"#;
    run_on(src, teams, settings, &mut |cx, at, out| {
        rule.check_connection(cx, &at.resolved(lookup), out)
    })
}

pub fn codes(rule: &dyn Rule, lookup: &Lookup, teams: &[u64]) -> Vec<&'static str> {
    codes_with(rule, lookup, teams, &settings())
}

/// [`codes`] under other settings (window, clock).
pub fn codes_with(
    rule: &dyn Rule,
    lookup: &Lookup,
    teams: &[u64],
    settings: &LiveSettings,
) -> Vec<&'static str> {
    findings_with(rule, lookup, teams, settings)
        .iter()
        .map(|f| f.rule.code)
        .collect()
}

/// Runs one live rule over a one-module blueprint referencing stored object 42 of `kind`.
pub fn object_codes(
    rule: &dyn Rule,
    kind: crate::model::RefKind,
    lookup: &crate::live::ObjectLookup,
    teams: &[u64],
) -> Vec<&'static str> {
    use crate::model::RefKind;
    let src = match kind {
        RefKind::Hook => {
            r#"{"flow":[{"id":1,"module":"gateway:CustomWebHook","parameters":{"hook":42}}]}"#
        }
        RefKind::DataStore => {
            r#"{"flow":[{"id":1,"module":"datastore:AddRecord","parameters":{"datastore":42}}]}"#
        }
        _ => {
            r#"{"flow":[{"id":1,"module":"http:ActionSendDataAPIKeyAuth","parameters":{"apiKeyKeychain":42},"metadata":{"parameters":[{"name":"apiKeyKeychain","type":"keychain:apikeyauth"}]}}]}"#
        }
    };
    run_on(src, teams, &settings(), &mut |cx, at, out| {
        assert_eq!(at.reference.kind, kind);
        rule.check_object(cx, &at.resolved(lookup), out)
    })
    .iter()
    .map(|f| f.rule.code)
    .collect()
}

pub fn object(kind: crate::model::RefKind, team: u64) -> crate::live::ObjectLookup {
    crate::live::ObjectLookup::Found(crate::live::StoredObject {
        kind,
        id: 42,
        name: "thing".into(),
        team_id: Some(team),
    })
}

pub fn object_missing(kind: crate::model::RefKind) -> crate::live::ObjectLookup {
    crate::live::ObjectLookup::NotFound {
        kind,
        id: 42,
        team: Some(7),
    }
}

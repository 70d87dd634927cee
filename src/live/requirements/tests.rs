use serde_json::json;

use super::*;
use crate::model::{Detected, build, detect};

fn modelled(src: &str) -> crate::model::Scenario {
    let doc = crate::json::parse(src).expect("valid");
    let Detected::Blueprint { form, root, base } = detect(doc.root()) else {
        panic!("blueprint")
    };
    build(&doc, root, form, base)
}

fn demand(src: &str, requirements: &Requirements) -> ModuleRequirement {
    let s = modelled(src);
    let r = &s.references[0];
    demand_for(&s.modules[r.module], r, requirements, &Catalog::builtin())
}

#[test]
fn app_versions_of_module_names() {
    let (app, module) = AppVersion::of_module("slack:CreateMessage", Some(4)).unwrap();
    assert_eq!((app.app.as_str(), app.version.as_str()), ("slack", "4"));
    assert_eq!(module, "CreateMessage");
    let (app, module) =
        AppVersion::of_module("app#errorhandler-dpgcf8:errorhandler", None).unwrap();
    assert_eq!(app.app, "app#errorhandler-dpgcf8");
    assert_eq!(app.version, "latest");
    assert_eq!(app.custom_name(), Some("errorhandler-dpgcf8"));
    assert_eq!(module, "errorhandler");
    assert_eq!(AppVersion::of_module("slack", None), None);
    assert_eq!(AppVersion::of_module(":x", None), None);
    assert_eq!(
        AppVersion::of_module("slack:x", None)
            .unwrap()
            .0
            .custom_name(),
        None
    );
}

#[test]
fn credential_requests_answer_merges_variants_of_one_module() {
    let answer = json!({"appModules": [
        {"id": "CreateMessage", "name": "CreateMessage", "label": "Send a Message",
         "type": "account:slack2,slack3", "scope": ["chat:write", "chat:write.public"], "hook": false},
        {"id": "MakeRequest", "name": "MakeRequest", "type": "account:slack3", "scope": []},
        {"id": "MakeRequest:authenticationType:apiKey", "name": "MakeRequest",
         "type": "keychain:apikeyauth", "hook": false},
        {"id": "WatchThing:authenticationType:x", "type": "account:slack2"},
        {"id": "", "name": ""},
        "not an object",
    ]});
    let modules = parse_modules_with_credentials(&answer).unwrap();
    let m = &modules["CreateMessage"];
    assert_eq!(m.types, BTreeSet::from(["slack2".into(), "slack3".into()]));
    assert_eq!(
        m.scopes.clone().unwrap(),
        BTreeSet::from(["chat:write".into(), "chat:write.public".into()])
    );
    let m = &modules["MakeRequest"];
    assert_eq!(m.types, BTreeSet::from(["slack3".into()]));
    assert_eq!(m.keychains, BTreeSet::from(["apikeyauth".into()]));
    assert_eq!(
        m.scopes,
        Some(BTreeSet::new()),
        "an empty scope list says none"
    );
    // Without `name`, the part of `id` before its variant names the module.
    assert!(modules["WatchThing"].scopes.is_none());
    assert_eq!(modules.len(), 3);
    assert!(parse_modules_with_credentials(&json!({"modules": []})).is_err());
}

#[test]
fn sdk_answers_in_json_with_comments() {
    let body = b"\xef\xbb\xbf// default scopes\n[\"read\", /* and */ \"write\"]\n";
    let v = parse_jsonc(body).unwrap();
    assert_eq!(
        parse_scope_section(&v).unwrap(),
        BTreeSet::from(["read".into(), "write".into()])
    );
    assert!(parse_jsonc(b"{\"a\": ").is_err());
    assert_eq!(
        parse_scope_section(&json!("a b,c")).unwrap().len(),
        3,
        "a scope string is split"
    );
    assert!(parse_scope_section(&json!({})).unwrap().is_empty());
    assert!(parse_scope_section(&json!(5)).is_err());
    let module =
        json!({"appModule": {"name": "x", "connection": "acme-oauth", "altConnection": null}});
    assert_eq!(parse_sdk_module(&module).unwrap(), ["acme-oauth"]);
    assert!(parse_sdk_module(&json!({"appModule": "x"})).is_err());
    let c =
        json!({"appConnection": {"name": "acme-oauth", "label": "Acme", "type": "oauth-refresh"}});
    assert_eq!(parse_sdk_connection(&c).unwrap(), "oauth-refresh");
    assert!(is_oauth_type("oauth-refresh") && is_oauth_type("oauth-1"));
    assert!(!is_oauth_type("apikey") && !is_oauth_type("basic") && !is_oauth_type("other"));
    for key in ["appConnections", "connections"] {
        let list = json!({key: [{"name": "acme-key", "type": "apikey"}, {"name": 1}]});
        assert_eq!(parse_app_connections(&list).unwrap()["acme-key"], "apikey");
    }
}

const SLACK: &str = r#"{"flow":[{"id":1,"module":"slack:CreateMessage","version":4,"parameters":{"__IMTCONN__":42}}]}"#;
const SLACK_ECHO: &str = r#"{"flow":[{"id":1,"module":"slack:CreateMessage","version":4,"parameters":{"__IMTCONN__":42},"metadata":{"parameters":[{"name":"__IMTCONN__","type":"account:slack3","label":"Connection"}]}}]}"#;

fn slack_from_make(source: RequirementSource) -> Requirements {
    let mut reqs = Requirements::new(source);
    let answer = json!({"appModules": [{"name": "CreateMessage", "type": "account:slack2",
        "scope": ["chat:write", "channels:read"]}]});
    reqs.insert(
        AppVersion {
            app: "slack".into(),
            version: "4".into(),
        },
        parse_modules_with_credentials(&answer).unwrap(),
    );
    reqs
}

#[test]
fn echo_wins_for_types_make_for_scopes_and_the_catalog_falls_back() {
    // Nothing from Make: the catalog answers both.
    let d = demand(SLACK, &Requirements::default());
    assert_eq!(d.types_from.unwrap().source, RequirementSource::Catalog);
    let from = d.scopes_from.unwrap();
    assert_eq!(from.source, RequirementSource::Catalog);
    assert!(
        from.cite().contains("rules/catalog/slack.toml"),
        "{}",
        from.cite()
    );
    assert_eq!(d.scopes[0].any_of, ["chat:write"]);
    assert!(d.docs.is_some());

    let make = slack_from_make(RequirementSource::MakeApi);
    let d = demand(SLACK, &make);
    assert_eq!(
        d.accepted_types.as_deref(),
        Some(&["slack2".to_string()][..])
    );
    assert_eq!(d.scopes.len(), 2);
    let from = d.scopes_from.clone().unwrap();
    assert_eq!(from.source, RequirementSource::MakeApi);
    assert_eq!(from.cite(), "Make's requirements of slack version 4");
    assert!(d.refuses("slack3") && !d.refuses("slack2"));

    // The echo describes the module version in the file: it decides types.
    let d = demand(SLACK_ECHO, &make);
    assert_eq!(
        d.accepted_types.as_deref(),
        Some(&["slack3".to_string()][..])
    );
    assert_eq!(
        d.types_from.unwrap().source,
        RequirementSource::BlueprintEcho
    );
    assert_eq!(d.scopes_from.unwrap().source, RequirementSource::MakeApi);

    // Another version of the app is another question: the catalog answers.
    let other = SLACK.replace("\"version\":4", "\"version\":3");
    assert_eq!(
        demand(&other, &make).scopes_from.unwrap().source,
        RequirementSource::Catalog
    );

    // A snapshot's record cites the same words as the API's answer.
    let snap = slack_from_make(RequirementSource::Snapshot);
    let d = demand(SLACK, &snap);
    let from = d.scopes_from.unwrap();
    assert_eq!(from.source, RequirementSource::Snapshot);
    assert_eq!(from.cite(), "Make's requirements of slack version 4");

    // A module no source knows gets no scope check.
    let unknown = r#"{"flow":[{"id":1,"module":"acme:Do","parameters":{"__IMTCONN__":42}}]}"#;
    let d = demand(unknown, &make);
    assert!(d.scopes.is_empty() && d.scopes_from.is_none() && d.accepted_types.is_none());
}

#[test]
fn snapshot_form_round_trips_and_bad_forms_name_the_place() {
    let reqs = slack_from_make(RequirementSource::MakeApi);
    let v = reqs.to_json();
    let back = Requirements::from_json(&v, "s.json: requirements").unwrap();
    assert_eq!(back.source, Some(RequirementSource::Snapshot));
    assert_eq!(back.to_json(), v);
    let e = Requirements::from_json(&json!({}), "s.json: requirements").unwrap_err();
    assert!(e.contains("s.json: requirements is not a list"), "{e}");
    let e = Requirements::from_json(
        &json!([{"app": "x", "version": "1", "modules": {"M": {"scopes": [1]}}}]),
        "r",
    )
    .unwrap_err();
    assert!(e.contains("r[0].modules.M.scopes"), "{e}");
    let e = Requirements::from_json(&json!([{"app": "x"}]), "r").unwrap_err();
    assert!(e.contains("r[0]: `version`"), "{e}");
}

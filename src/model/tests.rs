use super::*;
use crate::json::parse;

fn model(src: &str) -> Scenario {
    let doc = parse(src).expect("valid json");
    match detect(doc.root()) {
        Detected::Blueprint { form, root, base } => build(&doc, root, form, base),
        Detected::NotBlueprint { reason } => panic!("not a blueprint: {reason}"),
    }
}

const NESTED: &str = r#"{
  "name": "nesting",
  "io": {"input_spec": [{"name": "Conn", "type": "account:slack2", "default": 77}]},
  "flow": [
    {"id": 1, "module": "gateway:CustomWebHook", "parameters": {"hook": 5}},
    {"id": 2, "module": "builtin:BasicRouter", "routes": [
      {"flow": [{"id": 3, "module": "slack:CreateMessage", "parameters": {"__IMTCONN__": 11},
                 "onerror": [{"id": 4, "module": "builtin:BasicRouter", "routes": [
                    {"flow": [{"id": 5, "module": "slack:CreateMessage", "parameters": {"__IMTCONN__": "{{var.input.Conn}}"}}]}]}]}]},
      {"disabled": true, "flow": [{"id": 6, "module": "google-sheets:addRow", "parameters": {"account": "<CONN>"},
          "metadata": {"restore": {"account": {"label": "Legacy", "data": {"connection": "google"}}}}}]}
    ]},
    {"id": 7, "module": "builtin:BasicIfElse", "branches": [
      {"type": "if", "flow": [{"id": 8, "module": "app#custom-x1:doIt", "parameters": {"makeConnectionId": 1.5}}]},
      {"type": "else", "flow": [{"id": 9, "module": "ai-local-agent:RunLocalAIAgent", "tools": [
        {"name": "t", "flow": [{"id": 10, "module": "notion:search", "parameters": {"connection": 12},
          "metadata": {"parameters": [{"name": "connection", "type": "account:notion2,notion3", "required": true},
                                      {"name": "keys", "type": "keychain:apikey", "required": true}],
                       "restore": {"parameters": {"connection": {"label": "N", "data": {"scoped": "true", "connection": "notion3"}}}}}}]}]}]}
    ]}
  ],
  "metadata": {"zone": "eu1.make.com", "designer": {"orphans": [[{"id": 11, "module": "builtin:BasicRouter", "routes": [
      {"flow": [{"id": 12, "module": "datastore:AddRecord", "parameters": {"datastore": 9}}]}]}]]}}
}"#;

#[test]
fn every_nesting_form_is_visited_once() {
    let s = model(NESTED);
    let mut ids: Vec<i64> = s.modules.iter().filter_map(|m| m.id).collect();
    ids.sort();
    assert_eq!(ids, (1..=12).collect::<Vec<_>>());
    let by_id = |id| s.modules.iter().find(|m| m.id == Some(id)).unwrap();
    assert_eq!(by_id(3).pointer, "/flow/1/routes/0/flow/0");
    assert_eq!(
        by_id(5).pointer,
        "/flow/1/routes/0/flow/0/onerror/0/routes/0/flow/0"
    );
    assert!(by_id(5).in_error_handler);
    assert!(by_id(6).disabled);
    assert!(!by_id(3).disabled);
    assert_eq!(
        by_id(10).pointer,
        "/flow/2/branches/1/flow/0/tools/0/flow/0"
    );
    assert_eq!(by_id(10).depth, 2);
    assert!(by_id(12).orphan && by_id(11).orphan);
    assert_eq!(
        by_id(12).pointer,
        "/metadata/designer/orphans/0/0/routes/0/flow/0"
    );
    assert!(by_id(8).is_custom_app());
    assert_eq!(by_id(8).app(), Some("app#custom-x1"));
    // Document order.
    let order: Vec<i64> = s.modules.iter().filter_map(|m| m.id).collect();
    assert_eq!(order, (1..=12).collect::<Vec<_>>());
}

#[test]
fn references_are_classified_with_their_context() {
    let src = NESTED;
    let s = model(src);
    let conns: Vec<_> = s.connection_references().collect();
    assert_eq!(conns.len(), 5);
    let of = |id| {
        s.references
            .iter()
            .find(|r| s.modules[r.module].id == Some(id))
            .unwrap()
    };
    assert_eq!(of(3).value.effective_id(), Some(11));
    assert_eq!(&src[of(3).span.range()], "11");
    assert_eq!(of(5).value.effective_id(), Some(77));
    assert_eq!(of(6).value.kind_name(), "placeholder");
    assert_eq!(of(6).chosen_type.as_deref(), Some("google"));
    assert_eq!(of(6).label.as_deref(), Some("Legacy"));
    assert_eq!(of(8).value.kind_name(), "invalid");
    let notion = of(10);
    assert_eq!(notion.allowed_types, ["notion2", "notion3"]);
    assert_eq!(notion.chosen_type.as_deref(), Some("notion3"));
    assert!(notion.required && notion.declared);
    let keychain = s
        .references
        .iter()
        .find(|r| r.kind == RefKind::Keychain)
        .unwrap();
    assert_eq!(keychain.value, RefValue::Missing);
    assert_eq!(of(1).kind, RefKind::Hook);
    assert_eq!(of(12).kind, RefKind::DataStore);
    assert_eq!(s.zone.as_ref().unwrap().0, "eu1.make.com");
}

#[test]
fn wrapper_and_clipboard_forms_are_blueprints() {
    let s = model(r#"{"code":"OK","response":{"blueprint":{"flow":[{"id":1,"module":"a:b"}]}}}"#);
    assert_eq!(s.form, BlueprintForm::ApiResponse);
    assert_eq!(s.modules[0].pointer, "/response/blueprint/flow/0");
    let s = model(r#"{"subflows":[{"flow":[{"id":1,"module":"a:b"}]}]}"#);
    assert_eq!(s.form, BlueprintForm::Clipboard);
    assert_eq!(s.modules[0].pointer, "/subflows/0/flow/0");
}

#[test]
fn other_json_is_not_a_blueprint() {
    for src in [
        r#"{"blueprint":{"modules":[]}}"#,
        r#"[1,2]"#,
        r#"{"flow": {}}"#,
        r#"{"name":"x"}"#,
    ] {
        let doc = parse(src).unwrap();
        assert!(
            matches!(detect(doc.root()), Detected::NotBlueprint { .. }),
            "{src}"
        );
    }
}

#[test]
fn malformed_items_are_structure_issues_not_panics() {
    let s = model(
        r#"{"flow":[1, {"id":2,"module":"builtin:BasicRouter","routes":[{"flow":{}}]}], "metadata":{"designer":{"orphans":[{"id":3,"module":"a:b"}]}}}"#,
    );
    assert_eq!(s.modules.len(), 2);
    assert_eq!(s.structure_issues.len(), 2);
    assert!(s.modules[1].orphan);
}

#[test]
fn data_structures_and_sub_scenarios_are_references() {
    let src = r#"{"flow":[
      {"id":1,"module":"json:CreateJSON","parameters":{"type":403260},
       "metadata":{"parameters":[{"name":"type","type":"udt","label":"Data structure","required":true}]}},
      {"id":2,"module":"json:ParseJSON","parameters":{"type":""}},
      {"id":3,"module":"scenario-service:CallSubscenario","parameters":{"scenario":4711}},
      {"id":4,"module":"http:ActionSendData","parameters":{"type":"post","scenario":"x"}},
      {"id":5,"module":"a:b","parameters":{"cfg":7},
       "metadata":{"parameters":[{"name":"cfg","type":"scenario","required":true}]}}
    ]}"#;
    let s = model(src);
    let kinds: Vec<(i64, RefKind, bool)> = s
        .references
        .iter()
        .map(|r| (s.modules[r.module].id.unwrap(), r.kind, r.declared))
        .collect();
    assert_eq!(
        kinds,
        [
            (1, RefKind::DataStructure, true),
            (2, RefKind::DataStructure, false),
            (3, RefKind::Scenario, false),
            (5, RefKind::Scenario, true),
        ],
        "`type` and `scenario` name references only on JSON and scenario-service modules"
    );
    assert!(!RefKind::DataStructure.needed_without_echo());
    assert!(RefKind::Scenario.needed_without_echo());
}

#[test]
fn agent_tools_name_connections_account_id_and_connection_id() {
    let s = model(
        r#"{"flow":[
      {"id":1,"module":"x:y","parameters":{"accountId":9}},
      {"id":2,"module":"ai-local-agent:RunLocalAIAgent","parameters":{"makeConnectionId":1},"tools":[
        {"name":"t","flow":[{"id":3,"module":"zendesk:createTicket","parameters":{"accountId":5521}},
                            {"id":4,"module":"builtin:BasicRouter","routes":[{"flow":[
                              {"id":5,"module":"hubspotcrm:createContact","parameters":{"connectionId":"<CONN_03>"}}]}]}]}]}
    ]}"#,
    );
    let conns: Vec<(i64, &str)> = s
        .connection_references()
        .map(|r| (s.modules[r.module].id.unwrap(), r.key.as_str()))
        .collect();
    assert_eq!(
        conns,
        [
            (2, "makeConnectionId"),
            (3, "accountId"),
            (5, "connectionId")
        ],
        "outside the agent's tools `accountId` is an ordinary field"
    );
    let by_id = |id| s.modules.iter().find(|m| m.id == Some(id)).unwrap();
    assert!(by_id(5).in_agent_tool && !by_id(2).in_agent_tool);
    assert_eq!((by_id(5).position, by_id(4).position), (0, 1));
}

#[test]
fn an_undefined_chosen_type_is_no_choice() {
    let entry = |connection: &str| {
        format!(
            r#"{{"flow":[{{"id":1,"module":"slack:A","parameters":{{"__IMTCONN__":5}},"metadata":{{"restore":{{"parameters":{{"__IMTCONN__":{{"label":"L","data":{{"scoped":"undefined","connection":{connection}}}}}}}}}}}}}]}}"#
        )
    };
    for unknown in [r#""undefined""#, r#""""#, "null"] {
        let s = model(&entry(unknown));
        let r = &s.references[0];
        assert_eq!(r.chosen_type, None, "{unknown}");
        assert_eq!(r.label.as_deref(), Some("L"));
    }
    let s = model(&entry(r#""slack2""#));
    assert_eq!(s.references[0].chosen_type.as_deref(), Some("slack2"));
    assert_eq!(
        s.references[0].chosen_type_pointer.as_deref(),
        Some("/flow/0/metadata/restore/parameters/__IMTCONN__/data/connection")
    );
}

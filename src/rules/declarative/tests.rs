use super::*;
use crate::finding::Finding;
use crate::model::{Detected, build, detect};
use crate::rules::RuleKind;
use crate::rules::{Context, OfflineSettings};

fn rules(files: &[&str]) -> Result<RuleSet, LoadError> {
    let texts = files
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("r{i}.toml"), t.to_string()))
        .collect();
    load_texts(RuleSet::builtin(), texts)
}

/// Runs `set` over `src`; returns the findings of rules whose code starts with `T` and the
/// number of subtrees converted to serde_json.
fn run(set: &RuleSet, src: &str) -> (Vec<Finding>, usize) {
    let doc = crate::json::parse(src).unwrap();
    let Detected::Blueprint { form, root, base } = detect(doc.root()) else {
        panic!("not a blueprint")
    };
    let scenario = build(&doc, root, form, base);
    let settings = OfflineSettings::default();
    let cx = Context::new(&doc, &scenario, &settings);
    let found = set
        .run_offline(&cx)
        .into_iter()
        .filter(|f| f.rule.code.starts_with('T'))
        .collect();
    (found, cx.serde.conversions())
}

fn snippets<'a>(src: &'a str, found: &[Finding]) -> Vec<&'a str> {
    found.iter().map(|f| &src[f.span.range()]).collect()
}

fn error(files: &[&str]) -> (String, String) {
    match rules(files) {
        Err(LoadError::File(e)) => {
            let span = e.span.offset()..e.span.offset() + e.span.len();
            let text = e.src.inner();
            (e.message().to_string(), text[span].to_string())
        }
        Err(LoadError::Io(m)) => panic!("io error {m}"),
        Ok(_) => panic!("no error"),
    }
}

/// Modules in a route, an error handler, an If-Else branch, an agent tool, and an orphan.
const NESTED: &str = r#"{"name":"n","flow":[
  {"id":1,"module":"http:ActionSendData","mapper":{"url":"http://a"},"routes":[]},
  {"id":2,"module":"builtin:BasicRouter","routes":[{"flow":[
    {"id":3,"module":"http:ActionSendData","mapper":{"url":"http://b"},
     "onerror":[{"id":4,"module":"http:ActionSendData","mapper":{"url":"http://c"}}]}]}]},
  {"id":5,"module":"builtin:BasicIfElse","branches":[{"flow":[
    {"id":6,"module":"http:ActionSendData","mapper":{"url":"http://d"}}]}]},
  {"id":7,"module":"ai-local-agent:RunLocalAIAgent","tools":[{"name":"t","flow":[
    {"id":8,"module":"http:ActionSendData","mapper":{"url":"http://e"}}]}]}],
 "metadata":{"designer":{"orphans":[{"id":9,"module":"http:ActionSendData","mapper":{"url":"http://f"}}]}}}"#;

const PLAIN_HTTP: &str = r#"[[rule]]
code = "T001"
name = "plain"
modules = ["HTTP:*"]
given = "$.mapper.url"
message = "{module} {module_id} {value} {path} {pointer}"
then = { function = "pattern", not_match = "^http://" }
"#;

#[test]
fn module_rules_see_every_module_the_model_found() {
    let set = rules(&[PLAIN_HTTP]).unwrap();
    let (found, conversions) = run(&set, NESTED);
    assert_eq!(
        snippets(NESTED, &found),
        [
            "\"http://a\"",
            "\"http://b\"",
            "\"http://c\"",
            "\"http://d\"",
            "\"http://e\""
        ],
        "orphans are skipped by default; globs ignore case"
    );
    assert_eq!(
        found[2].message,
        "http:ActionSendData 4 http://c $['mapper']['url'] /flow/1/routes/0/flow/0/onerror/0/mapper/url"
    );
    assert_eq!(found[2].module_id, Some(4));
    assert_eq!(conversions, 0, "a static `given` needs no serde_json copy");

    let with_orphans = PLAIN_HTTP.replace("given =", "skip = [\"error-handlers\"]\ngiven =");
    let (found, _) = run(&rules(&[&with_orphans]).unwrap(), NESTED);
    assert_eq!(found.len(), 5, "error handler out, orphan in");
    assert!(found.iter().any(|f| f.module_id == Some(9)));
}

#[test]
fn dynamic_queries_share_one_copy_per_file() {
    let a = r#"[[rule]]
code = "T001"
name = "a"
scope = "module"
given = "$..url"
message = "a"
then = { function = "pattern", not_match = "^http://" }

[[rule]]
code = "T002"
name = "b"
scope = "module"
given = "$[?@.url]"
message = "b"
then = { field = "url", function = "pattern", not_match = "^http://" }

[[rule]]
code = "T003"
name = "c"
given = "$.flow[*]"
message = "c"
then = { field = "id", function = "defined" }
"#;
    let set = rules(&[a]).unwrap();
    let (found, conversions) = run(&set, NESTED);
    let count = |c: &str| found.iter().filter(|f| f.rule.code == c).count();
    // `$..url` from a router or If-Else also reaches the modules inside it: 5 own urls, and
    // b, c (router 2), c (module 3 over its handler), d (If-Else 5), e (agent 7).
    assert_eq!(count("T001"), 5 + 5);
    assert_eq!(count("T002"), 5);
    assert_eq!(count("T003"), 0);
    // T003 (scenario scope, run first) copies only `flow`, where every module is then found
    // (the orphan in `metadata` is skipped by default): one copy, not the whole blueprint.
    assert_eq!(conversions, 1);
}

#[test]
fn missing_values_point_at_what_exists() {
    let r = r#"[[rule]]
code = "T001"
name = "m"
modules = ["*"]
given = "$"
message = "{module_id}: {error}"
then = { field = "metadata.interface", function = "defined" }
"#;
    let src = r#"{"name":"n","flow":[{"id":1,"module":"a:b"},{"id":2,"module":"a:c","metadata":{"x":1}}]}"#;
    let (found, _) = run(&rules(&[r]).unwrap(), src);
    assert_eq!(snippets(src, &found), ["\"a:b\"", "\"metadata\""]);
    assert_eq!(
        found[1].label.as_deref(),
        Some("`interface` is missing here")
    );
    assert_eq!(found[1].pointer.as_deref(), Some("/flow/1/metadata"));
    assert_eq!(found[0].message, "1: missing");
}

#[test]
fn extends_replaces_or_copies_a_rule() {
    let base = PLAIN_HTTP;
    let replace = "[[rule]]\nextends = \"T001\"\nseverity = \"error\"\n";
    let set = rules(&[base, replace]).unwrap();
    let (meta, origin) = set.find("T001").unwrap();
    assert_eq!(
        (meta.severity, origin.as_str()),
        (Severity::Error, "r1.toml")
    );
    assert_eq!(run(&set, NESTED).0.len(), 5);

    let copy = "[[rule]]\nextends = \"plain\"\ncode = \"T002\"\nname = \"plain-strict\"\nmodules = [\"http:*\"]\nskip = []\n";
    let set = rules(&[base, copy]).unwrap();
    let (found, _) = run(&set, NESTED);
    assert_eq!(found.iter().filter(|f| f.rule.code == "T001").count(), 5);
    assert_eq!(found.iter().filter(|f| f.rule.code == "T002").count(), 6);

    let nameless = "[[rule]]\nextends = \"T001\"\ncode = \"T002\"\n";
    assert_eq!(
        error(&[base, nameless]),
        (
            "a rule extending `T001` under a new code needs its own `name`".into(),
            "\"T002\"".into()
        )
    );
    assert_eq!(
        error(&["[[rule]]\nextends = \"BP011\"\n"]).1,
        "\"BP011\"",
        "built-in Rust rules cannot be extended"
    );
    let (msg, at) = error(&[
        base,
        "[[rule]]\nextends = \"T001\"\nscope = \"everywhere\"\n",
    ]);
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("unknown scope `everywhere`", "\"everywhere\"")
    );
}

#[test]
fn compile_errors_point_at_the_offending_text() {
    let with = |from: &str, to: &str| PLAIN_HTTP.replace(from, to);
    for (text, message, at) in [
        (with("T001", "t001"), "invalid rule code `t001`", "\"t001\""),
        (
            with("\"plain\"", "\"Plain\""),
            "invalid rule name `Plain`",
            "\"Plain\"",
        ),
        (
            with("$.mapper.url", "$.mapper[?@.a ==]"),
            "invalid JSONPath in `given`",
            "=",
        ),
        (
            with("{value}", "{valeu}"),
            "invalid message template",
            "{valeu}",
        ),
        (
            with("^http://", "^(http"),
            "invalid regular expression",
            "\"^(http\"",
        ),
        (
            with("\"pattern\"", "\"matches\""),
            "unknown function `matches`",
            "\"matches\"",
        ),
        (
            with("[\"HTTP:*\"]", "[\"@connections\"]"),
            "unknown module selector `@connections`",
            "\"@connections\"",
        ),
        (with("modules", "module"), "invalid rule file", "module"),
    ] {
        assert_eq!(
            error(&[&text]),
            (message.to_string(), at.to_string()),
            "{text}"
        );
    }
    let (msg, at) = error(&[PLAIN_HTTP, &PLAIN_HTTP.replace("\"plain\"", "\"other\"")]);
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("duplicate rule code", "\"T001\"")
    );
    let (msg, _) = error(&[&PLAIN_HTTP.replace("T001", "BP011")]);
    assert_eq!(msg, "duplicate rule code");
}

#[test]
fn disabled_rules_are_listed_but_do_not_run() {
    let off = PLAIN_HTTP.replace("given =", "enabled = false\ngiven =");
    let set = rules(&[&off]).unwrap();
    assert_eq!(set.find("T001").unwrap().1, "r0.toml (disabled)");
    assert!(run(&set, NESTED).0.is_empty());
}

#[test]
fn the_shipped_files_compile() {
    let set = load(RuleSet::builtin(), &[], true).unwrap();
    assert!(BUILTIN.len() >= 7);
    for (name, _) in BUILTIN {
        assert!(
            set.metas().iter().any(|(_, o)| o.starts_with(name)),
            "{name} is not in the set"
        );
    }
}

#[test]
fn compile_texts_checks_like_load_texts_and_the_loaded_rule_gets_its_metadata() {
    let texts = |t: &str| vec![("r0.toml".to_string(), t.to_string())];
    let extended = format!("{PLAIN_HTTP}[[rule]]\nextends = \"T001\"\nseverity = \"error\"\n");
    let checked = compile_texts(&RuleSet::builtin(), texts(&extended)).unwrap();
    let [only] = &checked[..] else {
        panic!("the extending rule replaces the one it extends")
    };
    assert_eq!(
        (only.code.as_str(), only.name.as_str(), only.severity),
        ("T001", "plain", Severity::Error)
    );
    assert!(only.enabled);

    let e = compile_texts(
        &RuleSet::builtin(),
        texts(&PLAIN_HTTP.replace("T001", "t001")),
    )
    .err()
    .unwrap();
    assert_eq!(e.message(), "invalid rule code `t001`");
    assert_eq!(&PLAIN_HTTP.replace("T001", "t001")[e.span()], "\"t001\"");

    // Loading makes the metadata compiling leaves out.
    let set = rules(&[&extended]).unwrap();
    let (meta, _) = set.find("T001").unwrap();
    assert_eq!(
        (meta.name, meta.severity, meta.summary, meta.kind),
        (
            "plain",
            Severity::Error,
            "{module} {module_id} {value} {path} {pointer}",
            RuleKind::Offline
        )
    );
    assert_eq!(
        meta.docs,
        " {module} {module_id} {value} {path} {pointer}\n"
    );
    let (found, _) = run(&set, NESTED);
    assert!(found.iter().all(|f| f.rule.code == "T001"));
    assert_eq!(found.len(), 5);
}

#[test]
fn a_control_character_outside_a_string_is_named_in_the_label() {
    // toml 0.8 gives no message for it (found by fuzz/fuzz_targets/config.rs).
    let Err(LoadError::File(e)) = rules(&["#\0"]) else {
        panic!("no error")
    };
    assert_eq!(e.message(), "invalid rule file");
    assert_eq!(
        e.label,
        "invalid TOML: control character U+0000 is not allowed here"
    );
    assert_eq!(e.span(), 1..2);
}

#[test]
fn an_error_inside_a_multibyte_character_underlines_the_whole_character() {
    // Found by fuzz/fuzz_targets/rule_file.rs: the JSONPath error's `pos..pos + 1` cut U+0489
    // (two bytes) in half, and slicing the text with the span panicked.
    let text = PLAIN_HTTP.replace("$.mapper.url", "$[?@\u{489}apper]");
    assert_eq!(
        error(&[&text]),
        ("invalid JSONPath in `given`".into(), "\u{489}".into())
    );
}

#[test]
fn data_structure_and_scenario_selectors_pick_their_modules() {
    let src = r#"{"name":"n","flow":[
      {"id":1,"module":"json:CreateJSON","parameters":{"type":403260}},
      {"id":2,"module":"scenario-service:CallSubscenario","parameters":{"scenario":4711}},
      {"id":3,"module":"http:ActionSendData","parameters":{"type":"x"}}]}"#;
    for (selector, want) in [("@data-structure", "1"), ("@scenario", "2")] {
        let rule = format!(
            "[[rule]]\ncode = \"T001\"\nname = \"sel\"\nmodules = [\"{selector}\"]\ngiven = \"$.id\"\nmessage = \"m\"\nthen = {{ function = \"undefined\" }}\n"
        );
        let set = rules(&[&rule]).unwrap();
        let (found, _) = run(&set, src);
        assert_eq!(snippets(src, &found), [want], "{selector}");
    }
}

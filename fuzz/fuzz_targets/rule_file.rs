//! Arbitrary text as a declarative rule file (`--rules DIR`, `rules_dirs`) through the same
//! loader and compiler as `declarative::load_texts`: TOML, `extends`, codes and names,
//! templates, JSONPath, globs, regexes, JSON Schemas. A rule file that compiles is then run
//! over two fixed blueprints, since a rule can be valid and still odd (`min` above `max`, a
//! path into nothing). Asserted: no panic; an error has a message and points inside the text,
//! and renders; a compiled rule has a well-formed code and name, and every finding lies inside
//! the blueprint it was found in.
#![no_main]

use std::sync::OnceLock;

use bplint::json;
use bplint::model::{Detected, build, detect};
use bplint::rules::declarative::compile_texts;
use bplint::rules::{Context, OfflineSettings, RuleSet};
use libfuzzer_sys::fuzz_target;

/// Modules in a route, an error handler, an If-Else branch, an agent tool and an orphan.
const NESTED: &str = r##"{"name":"n","flow":[
  {"id":1,"module":"http:ActionSendData","mapper":{"url":"http://a","n":3,"t":[1,"x",null]},"routes":[]},
  {"id":2,"module":"builtin:BasicRouter","routes":[{"flow":[
    {"id":3,"module":"slack:CreateMessage","parameters":{"__IMTCONN__":5},"mapper":{"channel":"#sales"},
     "onerror":[{"id":4,"module":"builtin:Ignore","mapper":{"url":"http://c"}}]}]}]},
  {"id":5,"module":"builtin:BasicIfElse","branches":[{"flow":[
    {"id":6,"module":"http:ActionSendData","mapper":{"url":"https://d"},"filter":{"conditions":[]}}]}]},
  {"id":7,"module":"ai-local-agent:RunLocalAIAgent","tools":[{"name":"t","flow":[
    {"id":8,"module":"http:ActionSendData","mapper":{"url":"http://e"}}]}]}],
 "metadata":{"designer":{"orphans":[{"id":9,"module":"http:ActionSendData"}]},
   "scenario":{"dlq":false,"maxErrors":3}}}"##;
const TEAM: &str = include_str!("../../fixtures/rule-files/team-blueprint.json");

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    static BASE: OnceLock<RuleSet> = OnceLock::new();
    let base = BASE.get_or_init(RuleSet::builtin);
    let files = vec![("fuzz.toml".to_string(), text.to_string())];
    let rules = match compile_texts(base, files) {
        Err(e) => {
            assert!(!e.message().is_empty(), "an error without a message");
            let span = e.span();
            assert!(span.end <= text.len(), "points past the end: {span:?}");
            assert!(
                text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
                "points inside a character: {span:?}"
            );
            let _ = e.render(false);
            return;
        }
        Ok(rules) => rules,
    };
    for r in &rules {
        let letters = r.code.bytes().take_while(u8::is_ascii_uppercase).count();
        assert!(
            letters > 0
                && letters < r.code.len()
                && r.code[letters..].bytes().all(|b| b.is_ascii_digit()),
            "code {:?}",
            r.code
        );
        assert!(
            r.name.starts_with(|c: char| c.is_ascii_lowercase())
                && r.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "name {:?}",
            r.name
        );
    }
    let settings = OfflineSettings::default();
    for src in [NESTED, TEAM] {
        let doc = json::parse(src).expect("fixture parses");
        let Detected::Blueprint {
            form,
            root,
            base: pointer_base,
        } = detect(doc.root())
        else {
            panic!("fixture is a blueprint")
        };
        let scenario = build(&doc, root, form, pointer_base);
        let cx = Context::new(&doc, &scenario, &settings);
        let mut found = Vec::new();
        for r in &rules {
            r.rule.check_scenario(&cx, &mut found);
            for module in &scenario.modules {
                r.rule.check_module(&cx, module, &mut found);
            }
            for site in bplint::rules::sites(&scenario) {
                r.rule.check_reference(&cx, &site, &mut found);
            }
        }
        for f in &found {
            let range = f.span.range();
            assert!(range.end <= src.len(), "finding past the end: {range:?}");
        }
    }
});

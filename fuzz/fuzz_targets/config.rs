//! Arbitrary text as `bplint.toml` through `Config::parse`, which `Config::load` calls on the
//! file's text: TOML, every key and type checked, rule codes, globs, `[[ignore]]` lines. A
//! config file sits in the repository being checked, so it may hold anything. Asserted: no
//! panic; an error has a message and a label that lies inside the text, and renders as the CLI
//! renders it; a valid config answers its questions.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use bplint::config::Config;
use bplint::rules::RuleSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // `Config::load` refuses non-UTF-8 before parsing.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    let rules = RULES.get_or_init(RuleSet::builtin);
    match Config::parse(text, Path::new("fuzz/bplint.toml"), rules) {
        Err(errors) => {
            assert!(!errors.errors.is_empty(), "an error result without errors");
            for e in &errors.errors {
                assert!(!e.message.is_empty(), "an error without a message");
                if let Some(span) = e.span {
                    let end = span.offset() + span.len();
                    assert!(end <= text.len(), "label past the end: {span:?}");
                    assert!(
                        text.is_char_boundary(span.offset()) && text.is_char_boundary(end),
                        "label inside a character: {span:?}"
                    );
                }
            }
            let _ = errors.render(false, 80);
        }
        Ok(cfg) => {
            let lines = text.lines().count().max(1);
            for ignore in &cfg.ignores {
                assert!((1..=lines + 1).contains(&ignore.line), "{}", ignore.line);
            }
            for file in [
                "fuzz/a.json",
                "fuzz/sub/b.blueprint.json",
                "/elsewhere/c.json",
            ] {
                let _ = cfg.teams_for(file);
                let _ = cfg.in_scope(file);
                for (code, _) in &cfg.rules {
                    let _ = cfg.level_for(code, file);
                }
            }
        }
    }
});

//! docs/rules.md, the page SARIF's `helpUri`s point at: generated from the rules' own docs,
//! committed, and kept in step here (`BPLINT_BLESS=1 cargo test --test docs` rewrites it).

use std::path::Path;

use bplint::report::{rules_doc, sarif};
use bplint::rules::RuleSet;

const PAGE: &str = "docs/rules.md";

fn shipped_rules() -> RuleSet {
    let set = sarif::shipped_rules();
    assert!(
        set.metas().len() > RuleSet::builtin().metas().len(),
        "the shipped declarative rules are in"
    );
    set
}

/// GitHub's anchors for the page's `## ` headings (lowercase, spaces to dashes, punctuation
/// other than `-` and `_` dropped).
fn anchors(page: &str) -> Vec<String> {
    page.lines()
        .filter_map(|l| l.strip_prefix("## "))
        .map(|h| {
            h.to_lowercase()
                .chars()
                .filter_map(|c| match c {
                    ' ' => Some('-'),
                    c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                    _ => None,
                })
                .collect()
        })
        .collect()
}

#[test]
fn the_rules_page_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(PAGE);
    let want = rules_doc::markdown(&shipped_rules());
    if std::env::var_os("BPLINT_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{PAGE} is stale: run `BPLINT_BLESS=1 cargo test --test docs` and commit it"
    );
}

#[test]
fn every_shipped_rule_has_the_section_its_help_uri_names() {
    let page = rules_doc::markdown(&shipped_rules());
    let anchors = anchors(&page);
    let metas = shipped_rules().metas();
    assert!(metas.len() >= 40, "built-in and shipped declarative rules");
    for (meta, _) in &metas {
        let anchor = sarif::rule_anchor(meta);
        assert_eq!(
            sarif::help_uri(meta),
            Some(format!("{}#{anchor}", sarif::RULES_DOC_URL))
        );
        assert!(
            anchors.contains(&anchor),
            "{} has no `#{anchor}` section",
            meta.code
        );
    }
    assert_eq!(anchors.len(), metas.len(), "one section per rule");
    assert!(
        sarif::RULES_DOC_URL.starts_with("https://github.com/bplint/bplint/blob/main/"),
        "{}",
        sarif::RULES_DOC_URL
    );
    assert!(sarif::RULES_DOC_URL.ends_with(PAGE));
}

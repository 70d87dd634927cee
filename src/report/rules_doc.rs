//! docs/rules.md: every rule bplint ships, one section each, with what `bplint explain` prints.
//! SARIF's `helpUri` points at these sections, so the page is generated from the same metadata
//! (tests/docs.rs keeps the committed file in step with it).

use crate::rules::RuleSet;

/// The page for `rules`: [`super::sarif::shipped_rules`] for docs/rules.md.
pub fn markdown(rules: &RuleSet) -> String {
    let mut out = String::from(
        "# bplint rules\n\n\
         Generated from the rules' own documentation (`bplint explain CODE` prints the same \
         text); do not edit by hand: `BPLINT_BLESS=1 cargo test --test docs` rewrites it.\n",
    );
    for (meta, origin) in rules.metas() {
        out.push_str(&format!(
            "\n## {} {}\n\nSeverity: {} · Kind: {} · Origin: {}\n\n{}\n",
            meta.code,
            meta.name,
            meta.severity,
            meta.kind.as_str(),
            origin,
            demote_headings(&meta.docs_markdown()).trim_end()
        ));
    }
    out
}

/// The docs' own `## What it does` headings one level down, so each rule's sections nest
/// under its `## CODE name` heading; lines inside code fences stay as they are.
fn demote_headings(docs: &str) -> String {
    let mut out = String::with_capacity(docs.len() + 16);
    let mut in_fence = false;
    for line in docs.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        if !in_fence && line.starts_with('#') {
            out.push('#');
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_nest_but_code_stays() {
        let docs = "## What it does\nx\n```sh\n# a comment\n```\n## Example\n";
        assert_eq!(
            demote_headings(docs),
            "### What it does\nx\n```sh\n# a comment\n```\n### Example\n"
        );
    }

    #[test]
    fn every_built_in_rule_has_a_section() {
        let page = markdown(&RuleSet::builtin());
        assert!(page.contains("\n## BP011 connection-placeholder\n"));
        assert!(
            page.contains("\n## BP009 unused-ignore\n"),
            "file rules too"
        );
    }
}

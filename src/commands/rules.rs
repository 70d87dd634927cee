//! `bplint rules` (the run's rules) and `bplint explain` (one rule's documentation).

use super::{EXIT_CLEAN, write_output};
use crate::cli::args::{RulesArgs, TableFormat};
use crate::redact;
use crate::report::format_table;
use crate::rules::RuleSet;

pub fn list(args: RulesArgs, rules: &RuleSet) -> Result<u8, String> {
    let metas = rules.metas();
    let text = match args.format {
        TableFormat::Json => {
            let rows: Vec<_> = metas
                .iter()
                .map(|(m, origin)| {
                    serde_json::json!({"code": m.code, "name": m.name, "severity": m.severity, "kind": m.kind, "origin": origin, "summary": m.summary})
                })
                .collect();
            serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())? + "\n"
        }
        TableFormat::Table => {
            let mut table = vec![vec![
                "CODE".to_string(),
                "NAME".into(),
                "SEVERITY".into(),
                "KIND".into(),
                "ORIGIN".into(),
                "SUMMARY".into(),
            ]];
            for (m, origin) in &metas {
                table.push(vec![
                    m.code.into(),
                    m.name.into(),
                    m.severity.as_str().into(),
                    m.kind.as_str().into(),
                    origin.clone(),
                    m.summary.into(),
                ]);
            }
            redact::safe_layout(&format_table(&table))
        }
    };
    write_output(None, &text)?;
    Ok(EXIT_CLEAN)
}

pub fn explain(rule: &str, rules: &RuleSet) -> Result<u8, String> {
    let Some((m, origin)) = rules.find(rule) else {
        return Err(format!("no rule {rule:?}; `bplint rules` lists them"));
    };
    // A rule pack's docs come from its files: shown with control characters replaced.
    let text = redact::safe_layout(&format!(
        "# {} {}\n\nSeverity: {} · Kind: {} · Origin: {origin}\n\n{}\n",
        m.code,
        m.name,
        m.severity,
        m.kind.as_str(),
        m.docs_markdown()
    ));
    write_output(None, &text)?;
    Ok(EXIT_CLEAN)
}

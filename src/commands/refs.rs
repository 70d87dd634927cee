//! `bplint refs`: every reference the blueprints make, as a table or JSON.

use super::{EXIT_CLEAN, EXIT_TROUBLE, file_problems, read_models, write_output};
use crate::cli::args::{RefsArgs, TableFormat};
use crate::pipeline::Status;
use crate::redact;
use crate::report::{self, Diagnostic, format_table};
use crate::settings::Settings;

#[derive(serde::Serialize)]
struct RefRow {
    file: String,
    line: u32,
    column: u32,
    pointer: String,
    module_id: Option<i64>,
    module: Option<String>,
    kind: &'static str,
    key: String,
    value: String,
    value_kind: &'static str,
    resolved_id: Option<u64>,
    allowed_types: Vec<String>,
    chosen_type: Option<String>,
    label: Option<String>,
    required: bool,
    orphan: bool,
    disabled: bool,
}

pub fn run(args: RefsArgs, settings: &Settings) -> Result<u8, String> {
    let results = read_models(&args.paths, settings);
    let kinds = args.kind.kinds();
    let mut rows = Vec::new();
    for r in &results {
        let Some(s) = &r.scenario else { continue };
        for (reference, loc) in s.references.iter().zip(&r.reference_locations) {
            if !kinds.contains(&reference.kind) {
                continue;
            }
            let m = &s.modules[reference.module];
            // Every text here comes from the file: cleaned before it is printed.
            rows.push(RefRow {
                file: redact::clean(&r.display),
                line: loc.start.line,
                column: loc.start.column,
                pointer: redact::clean(&reference.pointer),
                module_id: m.id,
                module: m.name.as_deref().map(redact::clean),
                kind: reference.kind.name(),
                key: redact::clean(&reference.key),
                value: redact::clean(&reference.value.display()),
                value_kind: reference.value.kind_name(),
                resolved_id: reference.value.effective_id(),
                allowed_types: reference
                    .allowed_types
                    .iter()
                    .map(|t| redact::clean(t))
                    .collect(),
                chosen_type: reference.chosen_type.as_deref().map(redact::clean),
                label: reference.label.as_deref().map(redact::clean),
                required: reference.required,
                orphan: m.orphan,
                disabled: m.disabled,
            });
        }
    }
    let problems: Vec<&Diagnostic> = file_problems(&results).collect();
    let text = match args.format {
        TableFormat::Json => {
            let files_with_errors: Vec<_> = problems
                .iter()
                .map(|d| report::json::FindingV1::from(d))
                .collect();
            let v = serde_json::json!({ "version": 1, "references": rows, "problems": files_with_errors });
            serde_json::to_string_pretty(&v).map_err(|e| e.to_string())? + "\n"
        }
        TableFormat::Table => refs_table(&rows),
    };
    write_output(None, &text)?;
    if args.format == TableFormat::Table {
        for d in &problems {
            eprint!("{}", report::compact::line(d));
        }
    }
    Ok(if results.iter().any(|r| r.status == Status::Unreadable) {
        EXIT_TROUBLE
    } else {
        EXIT_CLEAN
    })
}

fn refs_table(rows: &[RefRow]) -> String {
    let header = [
        "LOCATION",
        "POINTER",
        "MODULE",
        "KIND",
        "KEY",
        "VALUE",
        "VALUE KIND",
        "ALLOWED TYPES",
        "CHOSEN TYPE",
        "LABEL",
    ];
    let mut table: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for r in rows {
        table.push(vec![
            format!("{}:{}:{}", r.file, r.line, r.column),
            r.pointer.to_string(),
            format!(
                "{} {}",
                r.module_id
                    .map(|i| i.to_string())
                    .unwrap_or_else(|| "-".into()),
                r.module.as_deref().unwrap_or("-")
            ),
            r.kind.to_string(),
            r.key.to_string(),
            match r.resolved_id {
                Some(id) if r.value_kind == "expression" => format!("{} (= {id})", r.value),
                _ => r.value.clone(),
            },
            r.value_kind.to_string(),
            if r.allowed_types.is_empty() {
                "-".into()
            } else {
                r.allowed_types.join(",")
            },
            r.chosen_type.as_deref().unwrap_or("-").to_string(),
            crate::model::truncate(r.label.as_deref().unwrap_or("-"), 40),
        ]);
    }
    format_table(&table) + &format!("{} reference(s)\n", rows.len())
}

//! `bplint catalog MODULE...`: what each module needs of its connection (accepted types,
//! required scopes) and where that comes from: Make's API, a snapshot, or the built-in catalog.

use serde_json::json;

use super::{EXIT_CLEAN, EXIT_TROUBLE, api_client, say, write_output};
use crate::cli::args::{CatalogArgs, TableFormat};
use crate::live::ConnectionSource;
use crate::live::requirements::{
    AppVersion, ModuleRequirement, Origin, RequirementsAnswer, Wanted, requirement_of,
};
use crate::live::snapshot::Snapshot;
use crate::redact;
use crate::settings::Settings;

/// One asked module: `app:Action` and its version (`app:Action@4`).
struct Asked {
    name: String,
    version: Option<i64>,
}

fn parse_module(text: &str) -> Result<Asked, String> {
    let (name, version) = match text.rsplit_once('@') {
        Some((name, v)) => {
            let version = v.trim().parse::<i64>().map_err(|_| {
                format!(
                    "`{text}`: the version after `@` must be a number (`slack:CreateMessage@4`)"
                )
            })?;
            (name, Some(version))
        }
        None => (text, None),
    };
    if AppVersion::of_module(name, version).is_none() {
        return Err(format!(
            "`{text}` is not a module name: expected `app:Action` (e.g. `slack:CreateMessage`)"
        ));
    }
    Ok(Asked {
        name: name.to_string(),
        version,
    })
}

pub fn run(args: &CatalogArgs, settings: &Settings) -> Result<u8, String> {
    let asked: Vec<Asked> = args
        .modules
        .iter()
        .map(|m| parse_module(m))
        .collect::<Result<_, _>>()?;
    let catalog = settings.module_catalog()?;
    let mut wanted = Wanted::new();
    for a in &asked {
        if let Some((app, module)) = AppVersion::of_module(&a.name, a.version) {
            wanted.entry(app).or_default().insert(module);
        }
    }
    let source: Option<Box<dyn ConnectionSource>> = if args.online {
        Some(Box::new(api_client(&args.api, settings)?))
    } else if let Some(path) = &args.connections {
        Some(Box::new(Snapshot::load(path)?))
    } else {
        None
    };
    let answer = match &source {
        Some(source) => source.requirements(&wanted),
        None => RequirementsAnswer::default(),
    };
    let rows: Vec<(&Asked, ModuleRequirement)> = asked
        .iter()
        .map(|a| {
            let req = requirement_of(&a.name, a.version, None, &answer.requirements, &catalog);
            (a, req)
        })
        .collect();
    let text = match args.format {
        TableFormat::Json => json_text(&rows)?,
        TableFormat::Table => human_text(&rows),
    };
    write_output(None, &text)?;
    for note in &answer.notes {
        say("note", &redact::clean(note));
    }
    for error in &answer.errors {
        say("error", &redact::clean(error));
    }
    // A refusal (no `apps:read`) or an unknown app is a note: the catalog answered. Make not
    // answering at all (network, 5xx) is never silence.
    Ok(if answer.errors.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_TROUBLE
    })
}

fn origin_text(origin: &Option<Origin>) -> String {
    match origin {
        Some(o) => format!("{}: {}", o.source.word(), o.detail),
        None => "no source knows".to_string(),
    }
}

fn human_text(rows: &[(&Asked, ModuleRequirement)]) -> String {
    let mut out = String::new();
    for (a, req) in rows {
        let version = match a.version {
            Some(v) => format!("version {v}"),
            None => "version latest".to_string(),
        };
        out.push_str(&format!("{} ({version})\n", a.name));
        let types = match &req.accepted_types {
            Some(t) => t.join(", "),
            None => "unknown".to_string(),
        };
        out.push_str(&format!(
            "  accepted types:  {types}  [{}]\n",
            origin_text(&req.types_from)
        ));
        if let Some(evidence) = &req.types_evidence {
            out.push_str(&format!("                   ({evidence})\n"));
        }
        let scopes = if req.scopes.is_empty() {
            if req.scopes_from.is_some() {
                "none".to_string()
            } else {
                "unknown (no scope check)".to_string()
            }
        } else {
            req.scopes
                .iter()
                .map(|n| n.display())
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push_str(&format!(
            "  required scopes: {scopes}  [{}]\n",
            origin_text(&req.scopes_from)
        ));
        if let Some(docs) = &req.docs {
            out.push_str(&format!("  docs:            {docs}\n"));
        }
    }
    // Types and scopes may come from Make's answers: printed like any untrusted text.
    redact::safe_layout(&out)
}

fn json_text(rows: &[(&Asked, ModuleRequirement)]) -> Result<String, String> {
    let origin = |o: &Option<Origin>| match o {
        Some(o) => json!({"source": o.source, "detail": o.detail}),
        None => serde_json::Value::Null,
    };
    let list: Vec<_> = rows
        .iter()
        .map(|(a, req)| {
            json!({
                "module": a.name,
                "version": a.version.map_or("latest".to_string(), |v| v.to_string()),
                "accepted_types": req.accepted_types,
                "types_source": origin(&req.types_from),
                "types_evidence": req.types_evidence,
                "scopes": req.scopes.iter().map(|n| n.any_of.clone()).collect::<Vec<_>>(),
                "scopes_source": origin(&req.scopes_from),
                "docs": req.docs,
            })
        })
        .collect();
    let mut list = serde_json::Value::Array(list);
    clean_strings(&mut list);
    Ok(serde_json::to_string_pretty(&list).map_err(|e| e.to_string())? + "\n")
}

/// Types and scopes may come from Make's answers: every text is cleaned like any untrusted
/// text before it is printed (JSON escapes what is left).
fn clean_strings(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) => *s = redact::clean(s),
        serde_json::Value::Array(items) => items.iter_mut().for_each(clean_strings),
        serde_json::Value::Object(map) => map.values_mut().for_each(clean_strings),
        _ => {}
    }
}

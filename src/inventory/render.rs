//! Renders an [`Inventory`]: aligned tables for a terminal, JSON, CSV (one row per connection
//! and user) and Markdown tables to paste into a ticket.

use crate::inventory::{Entry, Inventory, Stray, Usage};

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn expire_text(e: &Entry) -> String {
    e.expire
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| "never".into())
}

fn usage_text(u: &Usage) -> String {
    format!(
        "{}:{}:{} module {} {}",
        u.file,
        u.line,
        u.column,
        u.module_id.map_or_else(|| "-".into(), |i| i.to_string()),
        u.module.as_deref().unwrap_or("-")
    )
}

fn users_text(users: &[Usage]) -> Vec<String> {
    if users.is_empty() {
        vec!["-".into()]
    } else {
        users.iter().map(usage_text).collect()
    }
}

/// One table row per user (a connection used three times takes three rows; only the first
/// names it), so every location stays greppable: the first row is `cells` with the user
/// inserted at column `at`, the others are blank but for the user.
fn rows_per_user(cells: Vec<String>, users: &[Usage], at: usize) -> Vec<Vec<String>> {
    users_text(users)
        .into_iter()
        .enumerate()
        .map(|(i, user)| {
            let mut row = if i == 0 {
                cells.clone()
            } else {
                vec![String::new(); cells.len()]
            };
            row.insert(at, user);
            row
        })
        .collect()
}

fn entry_rows(e: &Entry) -> Vec<Vec<String>> {
    let cells = vec![
        e.id.to_string(),
        e.name.clone(),
        opt(e.connection_type.as_deref()),
        opt(e.team_id),
        expire_text(e),
    ];
    rows_per_user(cells, &e.used_by, 5)
}

const ENTRY_HEADER: [&str; 6] = ["ID", "NAME", "TYPE", "TEAM", "EXPIRES", "USED BY"];

fn stray_rows(s: &Stray) -> Vec<Vec<String>> {
    let (name, kind, team) = match &s.connection {
        Some(c) => (
            c.name.clone(),
            opt(c.connection_type.as_deref()),
            opt(c.team_id),
        ),
        None => (String::new(), String::new(), String::new()),
    };
    let note = s.reason.clone().unwrap_or_default();
    rows_per_user(
        vec![s.id.to_string(), name, kind, team, note],
        &s.used_by,
        4,
    )
}

const STRAY_HEADER: [&str; 6] = ["ID", "NAME", "TYPE", "TEAM", "USED BY", "REASON"];

/// A section: title, header, rows.
type Section = (String, Vec<&'static str>, Vec<Vec<String>>);

/// The sections in order.
fn sections(inv: &Inventory) -> Vec<Section> {
    let pick = |ids: &[u64]| -> Vec<Vec<String>> {
        inv.connections
            .iter()
            .filter(|e| ids.contains(&e.id))
            .flat_map(entry_rows)
            .collect()
    };
    let strays =
        |list: &[Stray]| -> Vec<Vec<String>> { list.iter().flat_map(stray_rows).collect() };
    vec![
        (
            format!(
                "Connections of team {} ({})",
                inv.team,
                inv.connections.len()
            ),
            ENTRY_HEADER.to_vec(),
            inv.connections.iter().flat_map(entry_rows).collect(),
        ),
        (
            format!("Unused ({})", inv.unused.len()),
            ENTRY_HEADER.to_vec(),
            pick(&inv.unused),
        ),
        (
            format!(
                "Expiring within {} days ({})",
                inv.expiry_warning_days,
                inv.expiring.len()
            ),
            ENTRY_HEADER.to_vec(),
            pick(&inv.expiring),
        ),
        (
            format!("Expired ({})", inv.expired.len()),
            ENTRY_HEADER.to_vec(),
            pick(&inv.expired),
        ),
        (
            format!("Outside team {} ({})", inv.team, inv.outside_team.len()),
            STRAY_HEADER.to_vec(),
            strays(&inv.outside_team),
        ),
        (
            format!("Missing ({})", inv.missing.len()),
            STRAY_HEADER.to_vec(),
            strays(&inv.missing),
        ),
        (
            format!("Could not be checked ({})", inv.unchecked.len()),
            STRAY_HEADER.to_vec(),
            strays(&inv.unchecked),
        ),
    ]
}

pub fn table(inv: &Inventory) -> String {
    let mut out = String::new();
    for (i, (title, header, rows)) in sections(inv).into_iter().enumerate() {
        // Empty problem sections say so in their title; an empty table would only be noise.
        if i > 0 && rows.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&title);
        out.push('\n');
        let mut table = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
        table.extend(rows);
        out.push_str(&crate::report::format_table(&table));
    }
    out
}

/// Pipes and line breaks would break a Markdown table row.
fn md_cell(s: &str) -> String {
    let s = s.replace('\\', "\\\\").replace('|', "\\|");
    s.replace(['\r', '\n'], " ")
}

pub fn markdown(inv: &Inventory) -> String {
    let mut out = format!("# Connection inventory of team {}\n", inv.team);
    for (title, header, rows) in sections(inv) {
        out.push_str(&format!("\n## {}\n\n", md_cell(&title)));
        if rows.is_empty() {
            out.push_str("None.\n");
            continue;
        }
        out.push_str(&format!("| {} |\n", header.join(" | ")));
        out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
        for r in rows {
            let cells: Vec<String> = r.iter().map(|c| md_cell(c)).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
    }
    out
}

pub fn json(inv: &Inventory) -> Result<String, String> {
    let mut v = serde_json::to_value(inv).map_err(|e| e.to_string())?;
    if let Some(o) = v.as_object_mut() {
        o.insert("version".into(), serde_json::json!(1));
    }
    serde_json::to_string_pretty(&v)
        .map(|s| s + "\n")
        .map_err(|e| e.to_string())
}

/// A cell a spreadsheet would run as a formula (`=HYPERLINK(...)` as a connection's name) gets a
/// leading `'`, as OWASP advises against CSV injection: the cell then reads as text. Every cell
/// goes through this; the ones bplint writes itself (ids, counts, dates) never start so.
fn csv_cell(text: String) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    }
}

/// One record per (connection, user); a connection nobody uses has one record with empty user
/// fields. `status` says which section the record belongs to. Cells that would start a formula
/// are neutralised ([`csv_cell`]).
pub fn csv(inv: &Inventory) -> Result<String, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| e.to_string();
    w.write_record([
        "status",
        "connection_id",
        "name",
        "type",
        "team_id",
        "expire",
        "expiry",
        "file",
        "line",
        "column",
        "module_id",
        "module",
        "reason",
    ])
    .map_err(err)?;
    let mut write = |status: &str,
                     id: u64,
                     c: Option<&Entry>,
                     users: &[Usage],
                     reason: &str|
     -> Result<(), String> {
        let base = [
            status.to_string(),
            id.to_string(),
            c.map(|c| c.name.clone()).unwrap_or_default(),
            opt(c.and_then(|c| c.connection_type.as_deref())),
            opt(c.and_then(|c| c.team_id)),
            c.map(expire_text).unwrap_or_default(),
            opt(c.map(|c| c.expiry.as_str())),
        ];
        let blank = [None];
        let users: Vec<Option<&Usage>> = if users.is_empty() {
            blank.to_vec()
        } else {
            users.iter().map(Some).collect()
        };
        for u in users {
            let mut rec = base.to_vec();
            rec.extend([
                opt(u.map(|u| u.file.as_str())),
                opt(u.map(|u| u.line)),
                opt(u.map(|u| u.column)),
                opt(u.and_then(|u| u.module_id)),
                opt(u.and_then(|u| u.module.as_deref())),
                reason.to_string(),
            ]);
            w.write_record(rec.into_iter().map(csv_cell)).map_err(err)?;
        }
        Ok(())
    };
    for e in &inv.connections {
        let status = if e.used_by.is_empty() {
            "unused"
        } else {
            "used"
        };
        write(status, e.id, Some(e), &e.used_by, "")?;
    }
    for (status, list) in [
        ("outside-team", &inv.outside_team),
        ("missing", &inv.missing),
        ("unchecked", &inv.unchecked),
    ] {
        for s in list {
            write(
                status,
                s.id,
                s.connection.as_ref(),
                &s.used_by,
                s.reason.as_deref().unwrap_or(""),
            )?;
        }
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(line: u32) -> Usage {
        Usage {
            file: "a.json".into(),
            line,
            column: 3,
            module_id: Some(1),
            module: Some("slack:CreateMessage".into()),
        }
    }

    #[test]
    fn a_connection_is_named_on_its_first_user_row_only() {
        let cells = vec!["7".to_string(), "Slack".into(), "x".into()];
        let rows = rows_per_user(cells, &[user(2), user(9)], 2);
        assert_eq!(
            rows,
            [
                vec!["7", "Slack", "a.json:2:3 module 1 slack:CreateMessage", "x"],
                vec!["", "", "a.json:9:3 module 1 slack:CreateMessage", ""],
            ]
        );
        assert_eq!(rows_per_user(vec!["7".into()], &[], 1), [vec!["7", "-"]]);
    }
}

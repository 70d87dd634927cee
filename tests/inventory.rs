//! `bplint inventory` end to end: against a snapshot and against the Make API test server.

mod support;

use assert_cmd::Command;
use serde_json::{Value, json};
use support::bin::{ids, run_with};
use support::make_server::{MakeServer, TOKEN, demo_rows, real_row};

const NOW: &str = "2026-03-01T00:00:00Z";

/// The demo's connections plus one of team 100 that no blueprint uses.
fn rows_with_unused() -> Vec<Value> {
    let mut rows = demo_rows();
    rows.push(real_row(1010, "Spare Slack", "slack2", 100, &[]));
    rows
}

fn bplint(token: Option<&str>) -> Command {
    let mut cmd = support::bin::bplint();
    if let Some(t) = token {
        cmd.env("MAKE_API_TOKEN", t);
    }
    cmd
}

fn run(cmd: &mut Command, args: &[&str]) -> (i32, String, String) {
    let r = run_with(cmd, args);
    (r.code, r.stdout, r.stderr)
}

fn assert_demo_sections(v: &Value) {
    assert_eq!(v["team"], 100);
    let listed: Vec<u64> = v["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    assert_eq!(listed, vec![1001, 1002, 1003, 1004, 1006, 1007, 1010]);
    assert_eq!(ids(v, "unused"), vec![1010]);
    assert_eq!(ids(v, "expiring"), vec![1006]);
    assert_eq!(ids(v, "expired"), vec![1002]);
    assert_eq!(ids(v, "outside_team"), vec![1005]);
    assert_eq!(v["outside_team"][0]["connection"]["team_id"], 200);
    assert_eq!(ids(v, "missing"), vec![1999]);
    assert_eq!(ids(v, "unchecked"), Vec::<u64>::new());
    let slack = &v["connections"][0];
    assert_eq!(
        slack["used_by"],
        json!([{
            "file": "fixtures/demo/lead-router.blueprint.json", "line": 50, "column": 48,
            "module_id": 4, "module": "slack:CreateMessage"
        }])
    );
}

fn write_snapshot(dir: &std::path::Path) -> String {
    let path = dir.join("snap.json");
    let doc = json!({"teamId": 100, "connections": rows_with_unused()});
    std::fs::write(&path, doc.to_string()).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn inventory_from_a_snapshot_lists_every_section() {
    let dir = tempfile::tempdir().unwrap();
    let snap = write_snapshot(dir.path());
    let (code, out, err) = run(
        &mut bplint(None),
        &[
            "inventory",
            "fixtures/demo",
            "--team",
            "100",
            "--connections",
            &snap,
            "--now",
            NOW,
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], 1);
    assert_demo_sections(&v);
}

#[test]
fn inventory_from_the_api_asks_one_list_and_only_the_ids_it_lacks() {
    let rows = rows_with_unused();
    let own = |team: u64| -> Vec<Value> {
        rows.iter()
            .filter(|r| r["teamId"] == team)
            .cloned()
            .collect()
    };
    let server = MakeServer::builder()
        .team(100, own(100))
        .team(200, own(200))
        .start();
    let (code, out, err) = run(
        &mut bplint(Some(TOKEN)),
        &[
            "inventory",
            "fixtures/demo",
            "--team",
            "100",
            "--api-url",
            server.base_url(),
            "--now",
            NOW,
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_demo_sections(&v);
    // One page of the team's list, then 1005 (other team) and 1999 (missing) by id.
    assert_eq!(server.count(), 3, "{:?}", server.requests());
    assert_eq!(server.list_calls().len(), 1);
    let mut by_id = server.by_id_calls();
    by_id.sort_unstable();
    assert_eq!(by_id, vec![1005, 1999]);
}

#[test]
fn inventory_exits_2_when_the_api_cannot_be_asked() {
    let server = MakeServer::builder().fail_first(100, 503).start();
    let (code, out, err) = run(
        &mut bplint(Some(TOKEN)),
        &[
            "inventory",
            "fixtures/demo",
            "--team",
            "100",
            "--api-url",
            server.base_url(),
            "--max-retries",
            "1",
        ],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("could not list the connections of team 100"),
        "{err}"
    );
    assert!(out.is_empty(), "{out}");
    assert_eq!(server.count(), 2);

    let (code, _, err) = run(
        &mut bplint(None),
        &[
            "inventory",
            "fixtures/demo",
            "--team",
            "100",
            "--api-url",
            server.base_url(),
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("MAKE_API_TOKEN"), "{err}");
}

#[test]
fn inventory_formats() {
    let dir = tempfile::tempdir().unwrap();
    let snap = write_snapshot(dir.path());
    let base = [
        "inventory",
        "fixtures/demo",
        "--team",
        "100",
        "--connections",
        &snap,
        "--now",
        NOW,
        "--format",
    ];
    let with = |f: &str| {
        let mut args = base.to_vec();
        args.push(f);
        let (code, out, err) = run(&mut bplint(None), &args);
        assert_eq!(code, 0, "{err}");
        out
    };

    let table = with("table");
    for section in [
        "Connections of team 100 (7)",
        "Unused (1)",
        "Expiring within 14 days (1)",
        "Expired (1)",
        "Outside team 100 (1)",
        "Missing (1)",
    ] {
        assert!(table.contains(section), "{section}:\n{table}");
    }
    assert!(
        table.contains(
            "fixtures/demo/weekly-digest.json:15:32 module 1 google-calendar:ActionGetEvents"
        ),
        "{table}"
    );

    let md = with("markdown");
    assert!(
        md.starts_with("# Connection inventory of team 100\n"),
        "{md}"
    );
    assert!(md.contains("## Missing (1)\n\n| ID | NAME | TYPE | TEAM | USED BY | REASON |\n|---|---|---|---|---|---|\n| 1999 |"), "{md}");
    assert!(
        md.contains("## Could not be checked (0)\n\nNone.\n"),
        "{md}"
    );

    let csv = with("csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "status,connection_id,name,type,team_id,expire,expiry,file,line,column,module_id,module,reason"
        )
    );
    let rows: Vec<&str> = lines.collect();
    assert!(
        rows.contains(&"unused,1010,Spare Slack,slack2,100,never,never,,,,,,"),
        "{csv}"
    );
    assert!(rows.contains(&"missing,1999,,,,,,fixtures/demo/lead-router.blueprint.json,132,44,9,slack:CreateMessage,"), "{csv}");
    // Times in CSV are RFC 3339 to the second, like the other formats.
    assert!(
        rows.iter().any(|r| r.starts_with(
            "used,1002,Sheets (ops@acme.test),google,100,2026-02-20T10:00:00Z,expired,"
        )),
        "{csv}"
    );
    assert_eq!(rows.len(), 9, "{csv}");
}

/// Names, types, file and module names are untrusted: a cell a spreadsheet would run as a
/// formula gets a leading `'` (OWASP's advice against CSV injection).
#[test]
fn inventory_csv_neutralises_cells_that_would_start_a_formula() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let blueprint = json!({
        "name": "x",
        "flow": [{"id": 1, "module": "@evil:Run", "version": 1,
                  "parameters": {"__IMTCONN__": 1010}}],
        "metadata": {"version": 1}
    });
    std::fs::write(d.join("=1+2.json"), blueprint.to_string()).unwrap();
    let hyperlink = "=HYPERLINK(\"http://evil.test\",\"click\")";
    let rows = vec![
        real_row(1010, hyperlink, "@SUM(A1)", 100, &[]),
        real_row(1011, "+1+2", "slack2", 100, &[]),
        real_row(1012, "-2+3", "slack2", 100, &[]),
        real_row(1013, "\tcmd", "slack2", 100, &[]),
        real_row(1014, "\rcmd", "slack2", 100, &[]),
        real_row(1015, "Plain = fine", "slack2", 100, &[]),
    ];
    std::fs::write(
        d.join("snap.json"),
        json!({"teamId": 100, "connections": rows}).to_string(),
    )
    .unwrap();
    let (code, out, err) = run(
        bplint(None).current_dir(d),
        &[
            "inventory",
            "=1+2.json",
            "--team",
            "100",
            "--connections",
            "snap.json",
            "--now",
            NOW,
            "--format",
            "csv",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let by_id = |id: &str| {
        records
            .iter()
            .find(|r| &r[1] == id)
            .unwrap_or_else(|| panic!("no record for {id}: {out}"))
    };
    let used = by_id("1010");
    assert_eq!(&used[2], format!("'{hyperlink}"), "{out}");
    assert_eq!(&used[3], "'@SUM(A1)");
    assert_eq!(&used[7], "'=1+2.json");
    assert_eq!(&used[11], "'@evil:Run");
    assert_eq!(&by_id("1011")[2], "'+1+2");
    assert_eq!(&by_id("1012")[2], "'-2+3");
    // Names are neutralized before any renderer sees them: a tab or CR is shown escaped, so
    // the cell starts with a backslash, which no spreadsheet reads as a formula.
    assert_eq!(&by_id("1013")[2], "\\tcmd");
    assert_eq!(&by_id("1014")[2], "\\rcmd");
    assert_eq!(&by_id("1015")[2], "Plain = fine");
    // No cell of any record starts a formula.
    for r in &records {
        for cell in r {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?} in {out}"
            );
        }
    }
}

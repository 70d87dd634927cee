//! `bplint bind` against a snapshot (`--connections team.json`): candidates, ambiguity, the map
//! file, dry runs, placeholders, symlinks, data structures.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::bin::{Run, run_in};
use crate::{
    FIXTURES, SECOND, SHEETS_READONLY, SHEETS_SCOPE, TEMPLATE, one_module, read, workspace,
};

fn bind(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["bind", "--team", "100", "--connections", "team.json"];
    args.extend_from_slice(extra);
    run_in(dir, &args)
}

/// A folder with `a.json`, one module of `module` referencing `value`, and a snapshot of team
/// 100 holding `connections`.
fn one_module_and_team(module: &str, value: Value, connections: Value) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("a.json"), one_module(module, value)).unwrap();
    snapshot(d.path(), connections);
    d
}

fn snapshot(dir: &Path, connections: Value) {
    let text = json!({"teamId": 100, "connections": connections}).to_string();
    std::fs::write(dir.join("team.json"), text).unwrap();
}

fn seed(id: u64, name: &str, kind: &str, scopes: Option<&[&str]>) -> Value {
    let mut row = json!({"id": id, "name": name, "accountName": "x@acme.test",
        "accountType": kind, "teamId": 100, "expire": null});
    if let Some(s) = scopes {
        row["scopes"] = json!(s);
    }
    row
}

#[test]
fn unique_candidates_are_bound_byte_exactly_and_ambiguous_ones_reported_and_left() {
    let d = workspace();
    let r = bind(d.path(), &[TEMPLATE, SECOND]);
    assert_eq!(r.code, 1, "one placeholder is left unbound: {}", r.stderr);
    // Whole files: placeholders became bare ids, other teams' ids the team's, quotes and
    // spaces around a quoted id kept, nothing else changed.
    assert_eq!(
        read(d.path(), TEMPLATE),
        read(d.path(), "template.bound.json")
    );
    assert_eq!(read(d.path(), SECOND), read(d.path(), "second.bound.json"));
    // One decision for a placeholder shared by modules in two files.
    assert!(
        r.stderr.contains(
            "bound connection \"<CONN_SLACK>\" -> 4201 \"Slack main\" (slack2) in 3 reference(s)"
        ),
        "{}",
        r.stderr
    );
    // The ambiguous one: reported with its candidates by id, name and type, left unchanged.
    assert!(
        r.stderr.contains(
            "unbound connection \"CONNECTION_PLACEHOLDER\" in 1 reference(s) \
             (template.blueprint.json /flow/5/parameters/__IMTCONN__): 2 candidates"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("  candidate 4401 \"HubSpot EU\" (hubspotcrm)\n")
    );
    assert!(
        r.stderr
            .contains("  candidate 4402 \"HubSpot US\" (hubspotcrm)\n")
    );
    assert!(
        r.stdout
            .contains("template.blueprint.json: 6 id(s) rewritten")
    );
    // Nothing left to bind but the ambiguous one: a second run changes no byte.
    let again = bind(d.path(), &[TEMPLATE, SECOND]);
    assert_eq!(again.code, 1);
    assert_eq!(
        read(d.path(), TEMPLATE),
        read(d.path(), "template.bound.json")
    );
    assert!(
        again
            .stderr
            .contains("rewrote 0 id(s) in 0 of 2 blueprint(s)"),
        "{}",
        again.stderr
    );
}

#[test]
fn a_wrong_type_or_a_connection_lacking_a_scope_is_never_chosen() {
    // A Gmail connection holding the scope (wrong type) and a Sheets one without it.
    let misfits = vec![
        seed(1, "Gmail", "google-email", Some(&[SHEETS_SCOPE])),
        seed(2, "Sheets read-only", "google", Some(&[SHEETS_READONLY])),
    ];
    let d = one_module_and_team("google-sheets:addRow", json!("<CONN_01>"), json!(misfits));
    let file = d.path().join("a.json");
    let text = std::fs::read_to_string(&file).unwrap();
    let r = bind(d.path(), &["a.json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("no connection of team 100 fits what its module(s) accept and need"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("accepts google (per the catalog"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("candidate 1"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    // Add a Sheets connection with the scope: it is the one candidate.
    let mut fitting = misfits.clone();
    fitting.push(seed(3, "Sheets", "google", Some(&[SHEETS_SCOPE])));
    snapshot(d.path(), json!(fitting));
    let r = bind(d.path(), &["a.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        text.replace("\"<CONN_01>\"", "3")
    );
}

#[test]
fn a_connection_whose_scopes_are_unknown_stays_a_candidate_and_the_report_says_so() {
    let d = one_module_and_team(
        "google-sheets:addRow",
        json!("<CONN_01>"),
        json!([
            seed(7, "Sheets", "google", None),
            seed(8, "Sheets 2", "google", None)
        ]),
    );
    let r = bind(d.path(), &["a.json"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("  candidate 7 \"Sheets\" (google, scopes unknown)"),
        "{}",
        r.stderr
    );
    snapshot(d.path(), json!([seed(7, "Sheets", "google", None)]));
    let r = bind(d.path(), &["a.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("-> 7 \"Sheets\" (google, scopes unknown)"),
        "{}",
        r.stderr
    );
}

#[test]
fn prefer_resolves_ambiguity_only_when_it_names_exactly_one() {
    let d = workspace();
    let r = bind(d.path(), &[TEMPLATE, "--prefer", "HubSpot", "--dry-run"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("2 candidates, and --prefer matches the names of 2 of them, not one"),
        "{}",
        r.stderr
    );
    let r = bind(d.path(), &[TEMPLATE, "--prefer", "(?i)\\beu$"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("-> 4401 \"HubSpot EU\" (hubspotcrm) in 1 reference(s), chosen by --prefer")
    );
    let expected = String::from_utf8(read(d.path(), "template.bound.json"))
        .unwrap()
        .replace("\"CONNECTION_PLACEHOLDER\"", "4401");
    assert_eq!(
        String::from_utf8(read(d.path(), TEMPLATE)).unwrap(),
        expected
    );
    let r = bind(d.path(), &[TEMPLATE, "--prefer", "("]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--prefer"), "{}", r.stderr);
}

#[test]
fn the_proposal_round_trips_through_the_map_file() {
    let d = workspace();
    let before = read(d.path(), TEMPLATE);
    let r = bind(d.path(), &[TEMPLATE, SECOND, "--propose"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(read(d.path(), TEMPLATE), before, "--propose writes nothing");
    let proposal = r.stdout;
    assert!(
        proposal.contains("\n\"<CONN_SLACK>\" = 4201  # \"Slack main\" (slack2)\n"),
        "{proposal}"
    );
    assert!(proposal.contains("\n9001 = 4301  # \"Drive uploads\" (google-restricted)\n"));
    assert!(
        proposal.contains("\n# \"CONNECTION_PLACEHOLDER\" = 4401  # \"HubSpot EU\" (hubspotcrm)\n")
    );
    assert!(
        proposal.contains("\n# \"CONNECTION_PLACEHOLDER\" = 4402  # \"HubSpot US\" (hubspotcrm)\n")
    );
    // As proposed, the map binds what has one candidate and leaves the rest.
    std::fs::write(d.path().join("map.txt"), &proposal).unwrap();
    let r = bind(d.path(), &[TEMPLATE, SECOND, "--map-file", "map.txt"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        read(d.path(), TEMPLATE),
        read(d.path(), "template.bound.json")
    );
    // A person chooses one of the candidates: everything is bound.
    let chosen = proposal.replace(
        "# \"CONNECTION_PLACEHOLDER\" = 4402",
        "\"CONNECTION_PLACEHOLDER\" = 4402",
    );
    std::fs::write(d.path().join("map.txt"), chosen).unwrap();
    std::fs::write(d.path().join(TEMPLATE), &before).unwrap();
    let r = bind(d.path(), &[TEMPLATE, SECOND, "--map-file", "map.txt"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "-> 4402 \"HubSpot US\" (hubspotcrm) in 1 reference(s), chosen by the map file"
        )
    );
    let expected = String::from_utf8(read(d.path(), "template.bound.json"))
        .unwrap()
        .replace("\"CONNECTION_PLACEHOLDER\"", "4402");
    assert_eq!(
        String::from_utf8(read(d.path(), TEMPLATE)).unwrap(),
        expected
    );
}

#[test]
fn a_map_file_choice_that_is_no_candidate_is_refused_and_changes_nothing_there() {
    let d = workspace();
    // 4202 lacks chat:write; 9002 is another team's.
    std::fs::write(
        d.path().join("map.txt"),
        "\"<CONN_SLACK>\" = 4202\n\"CONNECTION_PLACEHOLDER\"=9002\n\"<UNUSED>\" = 1\n",
    )
    .unwrap();
    let r = bind(d.path(), &[SECOND, "--map-file", "map.txt", "--dry-run"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(
            "the map file binds it to 4202, which is not a candidate: a module here does not \
             accept it (its type or its scopes)"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("map file entry \"<UNUSED>\" names no reference to bind")
    );
    assert!(
        !r.stdout.contains("4202"),
        "unbound, so not in the diff: {}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("+         \"parameters\": {\"__IMTCONN__\": \" 4301 \"}")
    );
    let r = bind(d.path(), &[TEMPLATE, "--map-file", "map.txt", "--dry-run"]);
    assert!(
        r.stderr.contains(
            "binds it to 9002, which is not a candidate: it is no connection of team 100"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn dry_run_prints_the_diff_and_changes_nothing() {
    let d = workspace();
    let before = read(d.path(), TEMPLATE);
    let r = bind(d.path(), &[TEMPLATE, "--dry-run"]);
    assert_eq!(r.code, 1);
    assert_eq!(read(d.path(), TEMPLATE), before);
    assert!(
        r.stdout
            .contains("--- a/template.blueprint.json\n+++ b/template.blueprint.json\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("\n-            \"parameters\": {\"hook\": \"<HOOK_01>\", \"maxResults\": 1},\n+            \"parameters\": {\"hook\": 5101, \"maxResults\": 1},\n"));
    assert!(
        r.stderr
            .contains("would rewrite 6 id(s) in 1 of 1 blueprint(s)"),
        "{}",
        r.stderr
    );
}

#[test]
fn bind_then_remap_back_restores_the_ids() {
    let d = tempfile::tempdir().unwrap();
    let text = "{\"flow\": [\n  {\"id\": 1, \"module\": \"google-drive:uploadAFile\", \"parameters\": {\"__IMTCONN__\": 9001}},\n  {\"id\": 2, \"module\": \"google-drive:uploadAFile\", \"parameters\": {\"__IMTCONN__\": \" 9001 \"}},\n  {\"id\": 3, \"module\": \"gateway:CustomWebHook\", \"parameters\": {\"hook\": 777},\n   \"metadata\": {\"parameters\": [{\"name\": \"hook\", \"type\": \"hook:gateway-webhook\"}]}}\n]}\n";
    std::fs::write(d.path().join("a.json"), text).unwrap();
    std::fs::copy(
        Path::new(FIXTURES).join("team.json"),
        d.path().join("team.json"),
    )
    .unwrap();
    let r = bind(d.path(), &["a.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let bound = std::fs::read_to_string(d.path().join("a.json")).unwrap();
    // Another team's webhook 777: of the team's two, only one is a `gateway-webhook`.
    assert_eq!(bound, text.replace("9001", "4301").replace("777", "5101"));
    let r = run_in(
        d.path(),
        &[
            "remap",
            "a.json",
            "--kind",
            "all",
            "--map",
            "4301=9001,5101=777",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(d.path().join("a.json")).unwrap(),
        text
    );
}

#[test]
fn without_a_teams_list_of_a_kind_a_placeholder_stays_and_ids_are_noted() {
    let d = tempfile::tempdir().unwrap();
    let text = "{\"flow\": [{\"id\": 1, \"module\": \"gateway:CustomWebHook\", \"parameters\": {\"hook\": \"<HOOK>\"}},\n {\"id\": 2, \"module\": \"gateway:CustomWebHook\", \"parameters\": {\"hook\": 5}}]}";
    std::fs::write(d.path().join("a.json"), text).unwrap();
    snapshot(d.path(), json!([]));
    let r = bind(d.path(), &["a.json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("unbound hook \"<HOOK>\" in 1 reference(s) (a.json /flow/0/parameters/hook): snapshot team.json holds no `hooks` list"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("note: 1 hook id(s) not checked: snapshot team.json holds no `hooks` list"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(d.path().join("a.json")).unwrap(),
        text
    );
}

#[test]
fn names_and_placeholders_from_files_and_lists_are_neutralised() {
    let d = one_module_and_team(
        "slack:CreateMessage",
        json!("<CONN \u{1b}[31m>"),
        json!([
            seed(
                1,
                "Slack \u{1b}]8;;evil\u{7}",
                "slack2",
                Some(&["chat:write"])
            ),
            seed(2, "Slack \u{202e}b", "slack2", Some(&["chat:write"])),
        ]),
    );
    for extra in [&[][..], &["--propose"][..]] {
        let mut args = vec!["a.json"];
        args.extend_from_slice(extra);
        let r = bind(d.path(), &args);
        assert_eq!(r.code, 1);
        for text in [&r.stdout, &r.stderr] {
            assert!(
                !text.contains('\u{1b}') && !text.contains('\u{202e}'),
                "{text}"
            );
        }
        assert!(r.stderr.contains("\\u{1b}]8;;evil\\u{7}"), "{}", r.stderr);
    }
    // The proposal's key is ASCII and reads back as the file's placeholder.
    let r = bind(d.path(), &["a.json", "--propose"]);
    let chosen = r
        .stdout
        .replace("# \"<CONN \\u001b[31m>\" = 2", "\"<CONN \\u001b[31m>\" = 2");
    assert_ne!(chosen, r.stdout, "{}", r.stdout);
    std::fs::write(d.path().join("map.txt"), chosen).unwrap();
    let r = bind(d.path(), &["a.json", "--map-file", "map.txt"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        std::fs::read_to_string(d.path().join("a.json"))
            .unwrap()
            .contains("\"__IMTCONN__\": 2")
    );
}

#[test]
fn a_placeholder_shaped_like_a_secret_is_not_repeated_in_the_proposal() {
    let secret = "xoxb-123456789012-1234567890123-abcdefghijABCDEFGHIJklmn";
    let d = one_module_and_team(
        "slack:CreateMessage",
        json!(secret),
        json!([seed(1, "A", "slack2", None), seed(2, "B", "slack2", None)]),
    );
    let r = bind(d.path(), &["a.json", "--propose"]);
    assert!(
        !r.stdout.contains(secret) && !r.stderr.contains(secret),
        "{}{}",
        r.stdout,
        r.stderr
    );
    assert!(r.stdout.contains("looks like a secret"), "{}", r.stdout);
}

#[test]
fn team_comes_from_the_config_and_is_required() {
    let d = workspace();
    let r = run_in(
        d.path(),
        &["bind", "--connections", "team.json", TEMPLATE, "--dry-run"],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("bind needs --team T"), "{}", r.stderr);
    std::fs::write(d.path().join("bplint.toml"), "team = 100\n").unwrap();
    let r = run_in(
        d.path(),
        &["bind", "--connections", "team.json", TEMPLATE, "--dry-run"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("bound connection \"<CONN_SLACK>\" -> 4201"),
        "{}",
        r.stderr
    );
    let r = run_in(d.path(), &["bind", TEMPLATE]);
    assert_eq!(
        r.code, 2,
        "--connections or --online is required: {}",
        r.stderr
    );
}

#[test]
fn another_teams_id_is_bound_and_a_symlink_keeps_being_a_link() {
    let d = workspace();
    let text = one_module("slack:CreateMessage", json!(9002));
    std::fs::write(d.path().join("real.json"), &text).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("real.json", d.path().join("link.json")).unwrap();
    #[cfg(not(unix))]
    std::fs::copy(d.path().join("real.json"), d.path().join("link.json")).unwrap();
    let r = bind(d.path(), &["link.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // 9002 is in the snapshot, but of team 200.
    assert!(
        r.stderr.contains("bound connection 9002 -> 4201"),
        "{}",
        r.stderr
    );
    let rewritten = text.replace("9002", "4201");
    assert_eq!(
        std::fs::read_to_string(d.path().join("link.json")).unwrap(),
        rewritten
    );
    #[cfg(unix)]
    {
        assert!(
            std::fs::symlink_metadata(d.path().join("link.json"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            std::fs::read_to_string(d.path().join("real.json")).unwrap(),
            rewritten
        );
    }
}

#[test]
fn a_data_structure_is_bound_only_from_the_teams_list_and_else_noted() {
    let d = tempfile::tempdir().unwrap();
    let text = "{\"flow\": [{\"id\": 1, \"module\": \"json:CreateJSON\", \"parameters\": {\"type\": \"<UDT_01>\"}}]}";
    std::fs::write(d.path().join("a.json"), text).unwrap();
    snapshot(d.path(), json!([]));
    let r = bind(d.path(), &["a.json"]);
    assert_eq!(
        r.code, 0,
        "a note, not a reference left unbound: {}",
        r.stderr
    );
    assert!(
        r.stderr.contains("note: 1 data-structure placeholder(s) left as they are: snapshot team.json holds no `dataStructures` list"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(d.path().join("a.json")).unwrap(),
        text
    );
    let listed = json!({"teamId": 100, "connections": [],
        "dataStructures": [{"id": 61, "name": "Lead", "teamId": 100}]});
    std::fs::write(d.path().join("team.json"), listed.to_string()).unwrap();
    let r = bind(d.path(), &["a.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(d.path().join("a.json")).unwrap(),
        text.replace("\"<UDT_01>\"", "61")
    );
}

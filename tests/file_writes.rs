//! Integrity of the files bplint writes: `--output FILE` of every command, and `remap`.
#![cfg(unix)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::json;
use support::bin::{run, run_cmd};
use support::make_server::{MakeServer, TOKEN, real_row};

const DEMO_FILE: &str = "fixtures/demo/lead-router.blueprint.json";
/// A blueprint with offline findings (BP011 among them): `check` exits 1.
const FINDINGS_FILE: &str = "fixtures/demo/weekly-digest.json";
const SNAPSHOT: &str = "fixtures/demo/connections.json";

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

/// The mode `File::create` (0666 under the umask) gives a new file: what any tool's output gets.
fn umask_default(dir: &Path) -> u32 {
    let probe = dir.join("umask-probe");
    std::fs::File::create(&probe).unwrap();
    let m = mode(&probe);
    std::fs::remove_file(probe).unwrap();
    m
}

/// A folder with `victim` (a file that must not change) and `out.json`, a link to it.
struct Planted {
    dir: tempfile::TempDir,
}

impl Planted {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("victim"), "export PATH=/usr/bin\n").unwrap();
        std::os::unix::fs::symlink(dir.path().join("victim"), dir.path().join("out.json")).unwrap();
        Planted { dir }
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out.json")
    }

    fn out_arg(&self) -> String {
        self.out().to_str().unwrap().to_string()
    }

    /// The link's target is untouched; the link became a regular file holding the report.
    fn assert_replaced(&self, what: &str) -> String {
        assert_eq!(
            std::fs::read_to_string(self.dir.path().join("victim")).unwrap(),
            "export PATH=/usr/bin\n",
            "{what}: the link's target was written through"
        );
        let meta = std::fs::symlink_metadata(self.out()).unwrap();
        assert!(meta.is_file(), "{what}: out.json is not a regular file");
        assert_eq!(
            mode(&self.out()),
            umask_default(self.dir.path()),
            "{what}: permissions"
        );
        let names: Vec<_> = std::fs::read_dir(self.dir.path()).unwrap().collect();
        assert_eq!(names.len(), 2, "{what}: temporary files left behind");
        std::fs::read_to_string(self.out()).unwrap()
    }
}

#[test]
fn output_onto_a_symlink_replaces_the_link_and_leaves_its_target_for_every_command() {
    let check = Planted::new();
    let r = run(&[
        "check",
        FINDINGS_FILE,
        "--format",
        "json",
        "--output",
        &check.out_arg(),
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(check.assert_replaced("check").contains("\"findings\""));

    let baseline = Planted::new();
    let r = run(&["baseline", FINDINGS_FILE, "--output", &baseline.out_arg()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(baseline.assert_replaced("baseline").contains("BP011"));

    let inventory = Planted::new();
    let r = run(&[
        "inventory",
        "fixtures/demo",
        "--team",
        "100",
        "--connections",
        SNAPSHOT,
        "--now",
        "2026-03-01T00:00:00Z",
        "--format",
        "csv",
        "--output",
        &inventory.out_arg(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        inventory
            .assert_replaced("inventory")
            .starts_with("status,connection_id,")
    );

    let server = MakeServer::builder()
        .team(100, vec![real_row(1001, "Slack", "slack2", 100, &[])])
        .start();
    let export = Planted::new();
    let mut cmd = support::bin::bplint();
    cmd.env("MAKE_API_TOKEN", TOKEN);
    let r = run_cmd(
        cmd,
        &[
            "connections",
            "export",
            "--team",
            "100",
            "--api-url",
            server.base_url(),
            "--output",
            &export.out_arg(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(export.assert_replaced("export").contains("\"teamId\": 100"));
}

#[test]
fn output_keeps_an_existing_files_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    std::fs::write(&out, "old").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).unwrap();
    let r = run(&[
        "check",
        FINDINGS_FILE,
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(mode(&out), 0o640);
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("\"findings\"")
    );
}

/// Streams and special files are written into, not replaced by a regular file.
#[cfg(target_os = "linux")]
#[test]
fn output_to_the_process_own_stdout_and_to_a_fifo_writes_into_them() {
    let r = run(&[
        "check",
        FINDINGS_FILE,
        "--format",
        "compact",
        "--output",
        "/proc/self/fd/1",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains(": warning BP011 "), "{}", r.stdout);

    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let (tx, rx) = std::sync::mpsc::channel();
    let reader_path = fifo.clone();
    std::thread::spawn(move || {
        let _ = tx.send(std::fs::read_to_string(reader_path));
    });
    let r = run(&[
        "check",
        FINDINGS_FILE,
        "--format",
        "compact",
        "--output",
        fifo.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let got = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("the report went into the FIFO")
        .unwrap();
    assert!(got.contains(": warning BP011 "), "{got}");
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(!kind.is_file(), "the FIFO was replaced by a regular file");
}

#[test]
fn remap_rewrites_a_symlinks_target_and_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("store")).unwrap();
    let target = d.join("store/lead-router.json");
    std::fs::copy(DEMO_FILE, &target).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = d.join("lead-router.json");
    std::os::unix::fs::symlink("store/lead-router.json", &link).unwrap();
    let before = std::fs::read_to_string(&target).unwrap();

    let r = run(&["remap", link.to_str().unwrap(), "--map", "1001=2001"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is still a link"
    );
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        Path::new("store/lead-router.json")
    );
    let after = std::fs::read_to_string(&target).unwrap();
    assert_eq!(
        after,
        before.replace("\"__IMTCONN__\": 1001", "\"__IMTCONN__\": 2001")
    );
    assert_eq!(mode(&target), 0o640, "the target keeps its permissions");
    assert_eq!(std::fs::read_dir(d.join("store")).unwrap().count(), 1);
    assert_eq!(std::fs::read_dir(d).unwrap().count(), 2);

    // Walked as a folder, the link and its target are one file: rewritten once, still a link.
    let r = run(&["remap", d.to_str().unwrap(), "--map", "2001=1001"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), before);
}

#[test]
fn remap_identity_map_leaves_every_byte_and_a_change_keeps_escapes_and_spaces() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("escapes.json");
    // Quoted ids with a JSON escape, spaces, and an escaped space around the digits.
    let text = "{\"name\": \"e\", \"flow\": [\n  {\"id\": 1, \"module\": \"slack:CreateMessage\", \"parameters\": {\"__IMTCONN__\": \"\\t1001\"}},\n  {\"id\": 2, \"module\": \"slack:CreateMessage\", \"parameters\": {\"__IMTCONN__\": \" 1001 \"}},\n  {\"id\": 3, \"module\": \"slack:CreateMessage\", \"parameters\": {\"__IMTCONN__\": \"\\u00201001\\n\"}},\n  {\"id\": 4, \"module\": \"slack:CreateMessage\", \"parameters\": {\"__IMTCONN__\": 1001}}\n], \"metadata\": {}}\n";
    std::fs::write(&file, text).unwrap();
    let f = file.to_str().unwrap();

    let r = run(&["remap", f, "--map", "1001=1001"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("4 id(s)"), "{}", r.stdout);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text, "identity");

    let r = run(&["remap", f, "--map", "1001=42"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let changed = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        changed,
        text.replace("\\t1001\"", "\\t42\"")
            .replace("\" 1001 \"", "\" 42 \"")
            .replace("\\u00201001\\n", "\\u002042\\n")
            .replace("\"__IMTCONN__\": 1001}", "\"__IMTCONN__\": 42}")
    );
    let r = run(&["remap", f, "--map", "42=1001"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text, "round trip");
}

#[test]
fn remap_refuses_a_json_map_file_with_a_duplicate_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.json");
    std::fs::copy(DEMO_FILE, &file).unwrap();
    let before = std::fs::read(&file).unwrap();
    let map = dir.path().join("map.json");
    std::fs::write(&map, "{\n  \"1001\": 2001,\n  \"1001\": 3001\n}\n").unwrap();
    let r = run(&[
        "remap",
        file.to_str().unwrap(),
        "--map-file",
        map.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("map.json:3:3: id 1001 is mapped to both 2001 (line 2) and 3001"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("ambiguous"), "{}", r.stderr);
    assert_eq!(std::fs::read(&file).unwrap(), before, "nothing written");

    // The same pair twice is not ambiguous, as with `--map 1001=2001,1001=2001`.
    std::fs::write(
        &map,
        json!({"1001": 2001})
            .to_string()
            .replace('}', ", \"1001\": \"2001\"}"),
    )
    .unwrap();
    let r = run(&[
        "remap",
        file.to_str().unwrap(),
        "--map-file",
        map.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

//! Side files (snapshot, config, baseline, map file, catalog and rule files) that are not
//! what they claim: a device, a FIFO, a folder, a file over the size cap, bytes that are not
//! UTF-8. Each must end the run with exit 2 and a message naming the file, within seconds: a
//! hang fails the test through the timeout instead of hanging CI.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use bplint::side_file::SideFileKind;

const OK: &str = "fixtures/cases/clean/ok.json";
const TIMEOUT: Duration = Duration::from_secs(20);

/// Every kind of side file, with how the binary is pointed at it.
#[derive(Debug, Clone, Copy)]
enum Side {
    Snapshot,
    Config,
    Baseline,
    MapFile,
    /// A `*.toml` entry of a `--catalog` folder.
    Catalog,
    /// A `*.toml` entry of a `--rules` folder.
    Rules,
}

const ALL: [Side; 6] = [
    Side::Snapshot,
    Side::Config,
    Side::Baseline,
    Side::MapFile,
    Side::Catalog,
    Side::Rules,
];

impl Side {
    fn kind(self) -> SideFileKind {
        match self {
            Side::Snapshot => SideFileKind::Snapshot,
            Side::Config => SideFileKind::Config,
            Side::Baseline => SideFileKind::Baseline,
            Side::MapFile => SideFileKind::MapFile,
            Side::Catalog => SideFileKind::CatalogFile,
            Side::Rules => SideFileKind::RuleFile,
        }
    }

    /// Where the bad file goes in `dir`: named directly, or as an entry of a folder.
    fn slot(self, dir: &Path) -> PathBuf {
        match self {
            Side::Catalog | Side::Rules => {
                let folder = dir.join("side");
                std::fs::create_dir_all(&folder).unwrap();
                folder.join("bad.toml")
            }
            _ => dir.join("bad.side"),
        }
    }

    /// The arguments of a run reading `path` (relative to the run's folder) as this kind.
    fn args(self, path: &str) -> Vec<String> {
        let check = |flag: &str, value: &str| {
            vec!["check".into(), "ok.json".into(), flag.into(), value.into()]
        };
        match self {
            Side::Snapshot => check("--connections", path),
            Side::Config => check("--config", path),
            Side::Baseline => check("--baseline", path),
            Side::Catalog => check("--catalog", "side"),
            Side::Rules => check("--rules", "side"),
            Side::MapFile => vec![
                "remap".into(),
                "--map-file".into(),
                path.into(),
                "--dry-run".into(),
                "ok.json".into(),
            ],
        }
    }
}

fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(OK),
        dir.path().join("ok.json"),
    )
    .unwrap();
    dir
}

/// Runs the binary in `dir` reading `path` as `side`; asserts exit 2 and a message naming
/// `named` (the file as given) and saying `reason`.
fn assert_refused(dir: &Path, side: Side, path: &Path, reason: &str) {
    let shown = path
        .strip_prefix(dir)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf());
    let shown = shown.to_string_lossy().into_owned();
    let mut cmd = support::bin::bplint_in(dir);
    cmd.args(side.args(&shown)).timeout(TIMEOUT);
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{side:?}: did not finish within {TIMEOUT:?}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{side:?}: {stderr}");
    let named = format!("{} {shown}", side.kind().name());
    assert!(
        stderr.contains(&named),
        "{side:?}: {named:?} not in {stderr}"
    );
    assert!(
        stderr.contains(reason),
        "{side:?}: {reason:?} not in {stderr}"
    );
}

#[cfg(unix)]
#[test]
fn dev_zero_is_refused_for_every_side_file() {
    for side in ALL {
        let dir = workdir();
        let path = match side {
            // A folder entry can only be a device through a symlink, which is followed.
            Side::Catalog | Side::Rules => {
                let slot = side.slot(dir.path());
                std::os::unix::fs::symlink("/dev/zero", &slot).unwrap();
                slot
            }
            _ => PathBuf::from("/dev/zero"),
        };
        assert_refused(
            dir.path(),
            side,
            &path,
            "is not a regular file (a character device)",
        );
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_for_every_side_file_without_hanging() {
    let has_mkfifo = std::process::Command::new("mkfifo")
        .arg("--version")
        .output()
        .is_ok();
    if !has_mkfifo {
        eprintln!("skipped: no mkfifo on this machine");
        return;
    }
    for side in ALL {
        let dir = workdir();
        let slot = side.slot(dir.path());
        let made = std::process::Command::new("mkfifo")
            .arg(&slot)
            .status()
            .unwrap();
        assert!(made.success());
        assert_refused(dir.path(), side, &slot, "is not a regular file (a FIFO)");
    }
}

#[test]
fn a_folder_is_refused_for_every_side_file() {
    for side in ALL {
        let dir = workdir();
        let slot = side.slot(dir.path());
        std::fs::create_dir(&slot).unwrap();
        assert_refused(dir.path(), side, &slot, "is a folder, not a file");
    }
}

#[test]
fn a_sparse_file_over_the_cap_is_refused_unread() {
    for side in ALL {
        let dir = workdir();
        let slot = side.slot(dir.path());
        let f = std::fs::File::create(&slot).unwrap();
        // Sparse: the size without the blocks, so the test costs no disk.
        f.set_len(side.kind().cap() + 1).unwrap();
        drop(f);
        let reason = format!(
            "larger than the {} MiB limit for a {}",
            side.kind().cap() >> 20,
            side.kind().name()
        );
        assert_refused(dir.path(), side, &slot, &reason);
    }
}

#[test]
fn invalid_utf8_is_refused_for_every_side_file() {
    for side in ALL {
        let dir = workdir();
        let slot = side.slot(dir.path());
        std::fs::write(&slot, b"# ok\n\xff\xfe").unwrap();
        assert_refused(
            dir.path(),
            side,
            &slot,
            "not UTF-8 text (invalid byte at offset 5)",
        );
    }
}

/// Symlinks are followed: only what they point at has to be a regular file.
#[cfg(unix)]
#[test]
fn a_symlink_to_a_regular_file_is_read() {
    let dir = workdir();
    let d = dir.path();
    std::fs::write(d.join("real.json"), r#"{"connections": []}"#).unwrap();
    std::os::unix::fs::symlink(d.join("real.json"), d.join("link.json")).unwrap();
    let mut cmd = support::bin::bplint_in(d);
    cmd.args(["check", "ok.json", "--connections", "link.json"])
        .timeout(TIMEOUT);
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?}: {stderr}",
        out.status
    );
}

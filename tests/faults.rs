//! Input-side faults: files too large to read, files that change under the run, files that
//! cannot be read. Each must become a finding (or an exit 2) and never stop the run.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bplint::discover::{Input, discover};
use bplint::pipeline::{Options, Status, check_input};
use serde_json::Value;
use support::bin::{codes, run, run_cmd};

const OK: &str = "fixtures/cases/clean/ok.json";

fn file_name(v: &Value) -> String {
    let f = v["file"].as_str().unwrap_or_default();
    Path::new(f)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `(file name, code)` of every finding of a `--format json` report.
fn by_file(v: &Value) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| (file_name(f), f["code"].as_str().unwrap_or_default().into()))
        .collect()
}

fn inputs_of(dir: &Path) -> Vec<Input> {
    let (inputs, problems) = discover(&[dir.to_path_buf()]);
    assert!(problems.is_empty(), "{problems:?}");
    inputs
}

fn path_of(input: &Input) -> PathBuf {
    match input {
        Input::File { path, .. } => path.clone(),
        Input::Stdin => panic!("not a file"),
    }
}

#[cfg(unix)]
#[test]
fn a_sparse_1_gib_file_is_refused_unread_fast_and_small() {
    let dir = tempfile::tempdir().unwrap();
    // Sparse: 1 GiB long, no blocks on disk.
    let f = std::fs::File::create(dir.path().join("huge.json")).unwrap();
    f.set_len(1 << 30).unwrap();
    drop(f);
    std::fs::copy(OK, dir.path().join("ok.json")).unwrap();

    // Reading even the first 64 MiB would show in the peak RSS (GNU time, where installed),
    // and reading the whole file could not fit under the address-space cap.
    let bin = env!("CARGO_BIN_EXE_bplint");
    let gnu_time = Path::new("/usr/bin/time").exists();
    let rss_file = dir.path().join("rss.txt");
    let script = if gnu_time {
        r#"ulimit -v 409600 && exec /usr/bin/time -f %M -o "$1" "$0" check . --format json"#
    } else {
        r#"ulimit -v 409600 && exec "$0" check . --format json"#
    };
    let mut sh = assert_cmd::Command::new("sh");
    for name in support::bin::scrubbed_vars() {
        sh.env_remove(name);
    }
    sh.env_remove("MAKE_API_TOKEN")
        .env("BPLINT_NO_DECLARATIVE", "1")
        .env("NO_COLOR", "1")
        .current_dir(dir.path())
        .arg("-c")
        .arg(script)
        .arg(bin)
        .arg(&rss_file);
    let start = Instant::now();
    let r = run_cmd(sh, &[]);
    let took = start.elapsed();
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let v = r.json();
    assert_eq!(
        by_file(&v),
        [("huge.json".to_string(), "BP007".to_string())]
    );
    let msg = v["findings"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("1073741824 bytes") && msg.contains("67108864") && msg.contains("not read"),
        "{msg}"
    );
    assert_eq!(v["summary"]["blueprints"], 1, "the run goes on: {v}");
    // Reading 1 GiB of zeros takes seconds even from the page cache.
    assert!(took < Duration::from_secs(10), "took {took:?}");
    if gnu_time {
        // GNU time puts "Command exited with non-zero status 1" before the figure.
        let text = std::fs::read_to_string(&rss_file).unwrap();
        let kb: u64 = text.lines().last().unwrap_or("").trim().parse().unwrap();
        // About 14 MB in a debug build; 64 MiB read would put it well past 48.
        assert!(kb < 48 * 1024, "peak RSS {kb} KB");
    }
}

#[test]
fn a_file_deleted_between_discovery_and_reading_is_bp008_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(OK, dir.path().join("a.json")).unwrap();
    std::fs::copy(OK, dir.path().join("b.json")).unwrap();
    let inputs = inputs_of(dir.path());
    assert_eq!(inputs.len(), 2);
    std::fs::remove_file(path_of(&inputs[0])).unwrap();

    let opts = Options::default();
    let results: Vec<_> = inputs.iter().map(|i| check_input(i, &opts)).collect();
    assert_eq!(results[0].status, Status::Unreadable);
    let d = &results[0].diagnostics;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code(), "BP008");
    assert!(d[0].message.contains("vanished"), "{}", d[0].message);
    assert_eq!(results[1].status, Status::Blueprint, "the run goes on");

    // Through the binary, an unreadable named file exits 2 and the other is still checked.
    let gone = dir.path().join("a.json");
    let ok = dir.path().join("b.json");
    let r = run(&[
        "check",
        gone.to_str().unwrap(),
        ok.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert_eq!(codes(&r.json()), ["BP008"]);
    assert_eq!(r.json()["summary"]["blueprints"], 1);
}

#[test]
fn a_file_that_grows_past_the_limit_after_discovery_is_bp007_without_reading_it_all() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(OK, dir.path().join("a.json")).unwrap();
    let inputs = inputs_of(dir.path());
    let opts = Options {
        max_file_size: 4096,
        ..Options::default()
    };
    // Replaced after discovery by one past the limit.
    std::fs::write(path_of(&inputs[0]), vec![b' '; 1 << 20]).unwrap();
    let r = check_input(&inputs[0], &opts);
    assert_eq!(r.status, Status::Invalid);
    assert_eq!(r.diagnostics[0].code(), "BP007");
}

#[cfg(target_os = "linux")]
#[test]
fn a_file_that_grows_while_being_read_is_read_at_most_to_the_limit_plus_one() {
    // A procfs file stands in for a file growing while it is read: a regular file whose size
    // says 0 but which delivers kilobytes. The reader must stop at limit + 1 and report BP007.
    // (A FIFO used to play this part; FIFOs are now refused before they are opened.)
    let input = Input::File {
        path: PathBuf::from("/proc/self/maps"),
        display: "growing.json".into(),
        explicit: true,
    };
    let opts = Options {
        max_file_size: 100,
        ..Options::default()
    };
    let r = check_input(&input, &opts);
    assert_eq!(r.status, Status::Invalid);
    assert_eq!(r.diagnostics[0].code(), "BP007");
    assert_eq!(r.bytes, 101, "read stops one byte past the limit");
}

#[cfg(unix)]
#[test]
fn a_file_without_read_permission_is_bp008_exit_2() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked.json");
    std::fs::copy(OK, &locked).unwrap();
    std::fs::copy(OK, dir.path().join("ok.json")).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&locked).is_ok() {
        // Root (or CAP_DAC_OVERRIDE) reads it anyway: nothing to test here.
        eprintln!("skipped: this user can read a mode-000 file");
        return;
    }
    let r = run(&["check", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    let v = r.json();
    assert_eq!(
        by_file(&v),
        [("locked.json".to_string(), "BP008".to_string())]
    );
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("permission denied")
    );
    assert_eq!(v["summary"]["blueprints"], 1);
}

#[test]
fn a_folder_named_like_a_blueprint_is_walked_and_a_named_folder_file_is_bp008() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("looks-like.json");
    std::fs::create_dir(&sub).unwrap();
    std::fs::copy(OK, sub.join("ok.json")).unwrap();
    let r = run(&["check", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.json()["summary"]["blueprints"], 1);

    // A folder handed to the reader (as if a file had been replaced by one) is unreadable.
    let input = Input::File {
        path: sub,
        display: "looks-like.json".into(),
        explicit: true,
    };
    let res = check_input(&input, &Options::default());
    assert_eq!(res.status, Status::Unreadable);
    assert_eq!(res.diagnostics[0].code(), "BP008");
}

#[test]
fn a_fifo_or_device_named_or_walked_as_a_blueprint_is_bp008_and_never_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.json");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mkfifo is missing: skipped");
        return;
    }
    std::fs::write(
        dir.path().join("ok.json"),
        r#"{"name":"a","flow":[],"metadata":{"version":1}}"#,
    )
    .unwrap();
    let dir_arg = dir.path().to_str().unwrap();
    let fifo_arg = fifo.to_str().unwrap();
    // Walking a folder passes over what is not a regular file, without opening it.
    let mut cmd = support::bin::bplint();
    cmd.timeout(Duration::from_secs(20));
    let walked = run_cmd(cmd, &["check", dir_arg, "--format", "json"]);
    assert_eq!(walked.code, 0, "{}\n{}", walked.stdout, walked.stderr);
    assert_eq!(walked.json()["summary"]["files"], 1);
    for args in [
        vec!["check", fifo_arg, "--format", "json"],
        vec!["check", "/dev/zero", "--format", "json"],
    ] {
        let mut cmd = support::bin::bplint();
        cmd.timeout(Duration::from_secs(20));
        let r = run_cmd(cmd, &args);
        assert_eq!(r.code, 2, "{args:?}: {}\n{}", r.stdout, r.stderr);
        let v = r.json();
        assert!(
            codes(&v).contains(&"BP008".to_string()),
            "{args:?}: {}",
            r.stdout
        );
        assert!(r.stdout.contains("not a regular file"), "{}", r.stdout);
    }
}

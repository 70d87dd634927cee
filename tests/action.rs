//! The GitHub Action (action.yml and its scripts in action/): the metadata read as text (every
//! input described, no token input, inputs only ever reach scripts through `env`), run.sh run
//! for real with the built binary (exit codes passed through, SARIF written, the token never
//! printed), install.sh run for real against a local release folder (checksum checked, cargo
//! fallback), and the release workflow, install script and binstall metadata naming the same
//! archives.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::make_server::{MakeServer, TOKEN};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// What the release workflow builds, and install.sh downloads.
const TARGETS: &[&str] = &[
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
];

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(path)).unwrap()
}

/// Indentation of a line, in spaces.
fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The inputs of action.yml: name -> the lines of its mapping.
fn inputs(action: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut inside = false;
    for line in action.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        match indent(line) {
            0 => inside = line == "inputs:",
            2 if inside => {
                let name = line.trim().strip_suffix(':').expect("an input name");
                out.push((name.to_string(), Vec::new()));
            }
            _ if inside => out.last_mut().unwrap().1.push(line.trim().to_string()),
            _ => {}
        }
    }
    out
}

#[test]
fn every_input_is_described_and_none_is_a_token() {
    let action = read("action.yml");
    let inputs = inputs(&action);
    assert!(inputs.len() >= 12, "{inputs:?}");
    for (name, lines) in &inputs {
        let description = lines
            .iter()
            .find_map(|l| l.strip_prefix("description:"))
            .unwrap_or_else(|| panic!("input `{name}` has no description"));
        assert!(description.trim().len() > 20, "`{name}`: {description}");
        assert!(
            lines.iter().any(|l| l.starts_with("default:")),
            "`{name}` has a default"
        );
        for word in ["token", "secret", "password", "key"] {
            assert!(
                !name.contains(word),
                "`{name}`: secrets come from env, not inputs"
            );
        }
    }
    let names: BTreeSet<&str> = inputs.iter().map(|(n, _)| n.as_str()).collect();
    for wanted in [
        "paths",
        "connections",
        "online",
        "team",
        "zone",
        "format",
        "fail-on",
        "baseline",
        "args",
        "upload-sarif",
        "sarif-file",
    ] {
        assert!(names.contains(wanted), "no input `{wanted}`");
    }

    // Every `${{ inputs.X }}` names a declared input, and every input is used.
    let used: BTreeSet<&str> = action
        .split("inputs.")
        .skip(1)
        .map(|rest| {
            rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(used, names, "inputs used == inputs declared");
    assert!(action.contains("uses: github/codeql-action/upload-sarif@"));
    assert!(action.contains("using: composite"));
}

#[test]
fn inputs_reach_scripts_only_through_env() {
    let action = read("action.yml");
    let lines: Vec<&str> = action.lines().collect();
    let mut i = 0;
    let mut runs = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(rest) = line.trim_start().strip_prefix("run:") {
            runs += 1;
            let mut script = vec![rest];
            let depth = indent(line);
            while i + 1 < lines.len()
                && (lines[i + 1].trim().is_empty() || indent(lines[i + 1]) > depth)
            {
                i += 1;
                script.push(lines[i]);
            }
            let script = script.join("\n");
            assert!(
                !script.contains("${{"),
                "an expression in a script: {script}"
            );
        }
        i += 1;
    }
    assert_eq!(runs, 3, "install, check, exit");

    // The variables run.sh reads are the ones action.yml sets, each from its input.
    let run_sh = read("action/run.sh");
    let read_vars: BTreeSet<&str> = run_sh
        .split("INPUT_")
        .skip(1)
        .map(|r| {
            r.split(|c: char| !(c.is_ascii_uppercase() || c == '_'))
                .next()
                .unwrap()
        })
        .filter(|v| !v.is_empty())
        .collect();
    for var in &read_vars {
        let input = var.to_lowercase().replace('_', "-");
        let line = format!("INPUT_{var}: ${{{{ inputs.{input} }}}}");
        assert!(action.contains(&line), "action.yml lacks `{line}`");
    }
    assert!(read_vars.len() >= 11, "{read_vars:?}");
}

/// run.sh with the built binary, in `dir`, with these inputs; returns (exit, stdout+stderr,
/// the step outputs).
fn run_action(dir: &Path, inputs: &[(&str, &str)], token: Option<&str>) -> (i32, String, String) {
    let outputs = dir.join("github-output.txt");
    let _ = std::fs::remove_file(&outputs);
    let mut cmd = Command::new("bash");
    for name in support::bin::scrubbed_vars() {
        cmd.env_remove(name);
    }
    cmd.arg(Path::new(ROOT).join("action/run.sh"))
        .current_dir(dir)
        .env("BPLINT", env!("CARGO_BIN_EXE_bplint"))
        .env("GITHUB_OUTPUT", &outputs)
        .env("BPLINT_NO_DECLARATIVE", "1")
        .env("NO_COLOR", "1")
        .env_remove("MAKE_API_TOKEN")
        .env_remove("GITHUB_STEP_SUMMARY");
    for (k, v) in inputs {
        cmd.env(format!("INPUT_{}", k.to_uppercase().replace('-', "_")), v);
    }
    if let Some(t) = token {
        cmd.env("MAKE_API_TOKEN", t);
    }
    let out = cmd.output().expect("bash runs");
    let log =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let outputs = std::fs::read_to_string(&outputs).unwrap_or_default();
    (out.status.code().unwrap_or(-1), log, outputs)
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let copy = |from: &str, to: &str| {
        let to = dir.path().join(to);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(Path::new(ROOT).join(from), to).unwrap();
    };
    copy(
        "fixtures/demo/weekly-digest.json",
        "scenarios/weekly-digest.json",
    );
    copy("fixtures/cases/clean/ok.json", "clean/ok.json");
    copy("fixtures/cases/clean/ok.json", "my dir/a b.json");
    copy("fixtures/demo/connections.json", "connections.json");
    dir
}

#[test]
fn run_passes_the_exit_code_through_as_an_output() {
    let ws = workspace();
    let d = ws.path();
    let (code, log, outputs) = run_action(d, &[("paths", "scenarios")], None);
    assert_eq!(code, 0, "the step itself succeeds: {log}");
    assert_eq!(outputs, "exit-code=1\n");
    assert!(
        log.contains("+ bplint check --format github -- scenarios\n"),
        "{log}"
    );
    assert!(
        log.contains("::warning file=scenarios/weekly-digest.json,"),
        "{log}"
    );

    let (code, log, outputs) = run_action(d, &[("paths", "clean")], None);
    assert_eq!((code, outputs.as_str()), (0, "exit-code=0\n"), "{log}");

    // fail-on and extra args reach bplint.
    let (_, log, outputs) = run_action(
        d,
        &[
            ("paths", "scenarios"),
            ("fail-on", "never"),
            ("args", "--max-file-size  1000000"),
        ],
        None,
    );
    assert_eq!(outputs, "exit-code=0\n", "{log}");
    assert!(
        log.contains(
            "+ bplint check --fail-on never --format github --max-file-size 1000000 -- scenarios\n"
        ),
        "{log}"
    );

    // A run that cannot check passes 2 through.
    let (_, _, outputs) = run_action(d, &[("paths", "missing-folder")], None);
    assert_eq!(outputs, "exit-code=2\n");
}

#[test]
fn run_reads_paths_one_per_line_or_by_spaces_and_never_as_options() {
    let ws = workspace();
    let d = ws.path();
    let (_, log, outputs) = run_action(
        d,
        &[
            ("paths", "my dir/a b.json\n  clean \n\n"),
            ("format", "json"),
        ],
        None,
    );
    assert_eq!(outputs, "exit-code=0\n", "{log}");
    let json = &log[log.find('{').unwrap()..log.rfind('}').unwrap() + 1];
    let v: Value = serde_json::from_str(json).unwrap();
    assert_eq!(v["summary"]["files"], 2, "{log}");

    let (_, log, _) = run_action(d, &[("paths", "clean scenarios")], None);
    assert!(log.contains("-- clean scenarios\n"), "{log}");

    // `--help` as a path is a path (that does not exist), not an option.
    let (_, log, outputs) = run_action(d, &[("paths", "--help")], None);
    assert_eq!(outputs, "exit-code=2\n", "{log}");
    assert!(!log.contains("Usage:"), "{log}");

    // Shell syntax in an input stays text.
    let marker = d.join("pwned");
    let (_, _, outputs) = run_action(
        d,
        &[("paths", "clean"), ("args", "$(touch pwned) ;touch pwned")],
        None,
    );
    assert!(!marker.exists());
    assert_eq!(
        outputs, "exit-code=2\n",
        "the words are paths bplint cannot read"
    );
}

#[test]
fn run_writes_sarif_for_the_upload() {
    let ws = workspace();
    let d = ws.path();
    let (code, log, outputs) = run_action(
        d,
        &[
            ("paths", "scenarios"),
            ("upload-sarif", "true"),
            ("sarif-file", "out/b.sarif"),
        ],
        None,
    );
    assert_eq!(code, 0, "{log}");
    // bplint does not create folders: the report could not be written, so no sarif-file.
    assert_eq!(outputs, "exit-code=2\n", "{log}");

    std::fs::create_dir(d.join("out")).unwrap();
    let (_, log, outputs) = run_action(
        d,
        &[
            ("paths", "scenarios"),
            ("upload-sarif", "true"),
            ("sarif-file", "out/b.sarif"),
        ],
        None,
    );
    assert_eq!(outputs, "exit-code=1\nsarif-file=out/b.sarif\n", "{log}");
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out/b.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(!sarif["runs"][0]["results"].as_array().unwrap().is_empty());

    let (code, log, outputs) = run_action(d, &[("upload-sarif", "yes please")], None);
    assert_eq!(code, 2);
    assert!(
        log.contains("input `upload-sarif` must be true or false"),
        "{log}"
    );
    assert!(outputs.is_empty());
}

#[test]
fn run_online_takes_the_token_from_env_and_never_prints_it() {
    let ws = workspace();
    let d = ws.path();
    let text = read("fixtures/demo/connections.json");
    let rows: Value = serde_json::from_str(&text).unwrap();
    let own: Vec<Value> = rows["connections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["teamId"] == 100)
        .cloned()
        .collect();
    let server = MakeServer::builder().team(100, own).start();
    let api_url = format!("--api-url {}", server.url());
    let inputs = [
        ("paths", "scenarios"),
        ("online", "true"),
        ("team", "100"),
        ("format", "compact"),
        ("args", api_url.as_str()),
    ];
    let (code, log, outputs) = run_action(d, &inputs, Some(TOKEN));
    assert_eq!(code, 0, "{log}");
    assert_eq!(outputs, "exit-code=1\n", "{log}");
    assert!(log.contains("BP011"), "offline findings too: {log}");
    assert!(log.contains("--online --team 100"), "{log}");
    assert!(!log.contains(TOKEN), "the token is printed: {log}");
    assert!(!server.requests().is_empty(), "the API was asked");

    // Without the token in env the run cannot check: exit 2, and it says why.
    let (_, log, outputs) = run_action(d, &inputs, None);
    assert_eq!(outputs, "exit-code=2\n");
    assert!(log.contains("MAKE_API_TOKEN"), "{log}");
}

// ---------------------------------------------------------------------------------------------
// install.sh

struct Release {
    dir: tempfile::TempDir,
}

impl Release {
    /// A release folder `v<version>/` holding a stand-in binary for `target` that prints
    /// `bplint <version> (stand-in)`, and its `.sha256` (or a wrong one).
    fn new(version: &str, target: &str, right_checksum: bool) -> Release {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join(format!("bplint-{target}"));
        std::fs::create_dir_all(&folder).unwrap();
        let bin = folder.join("bplint");
        std::fs::write(
            &bin,
            format!("#!/bin/sh\necho 'bplint {version} (stand-in)'\n"),
        )
        .unwrap();
        let release = dir.path().join(format!("v{version}"));
        std::fs::create_dir_all(&release).unwrap();
        let archive = format!("bplint-{target}.tar.gz");
        let ok = Command::new("tar")
            .args(["-czf"])
            .arg(release.join(&archive))
            .arg("-C")
            .arg(dir.path())
            .arg(format!("bplint-{target}"))
            .status()
            .unwrap();
        assert!(ok.success());
        let sum = Command::new("sha256sum")
            .arg(&archive)
            .current_dir(&release)
            .output()
            .unwrap();
        let mut line = String::from_utf8(sum.stdout).unwrap();
        if !right_checksum {
            line = format!("{}{}", "0".repeat(64), &line[64..]);
        }
        std::fs::write(release.join(format!("{archive}.sha256")), line).unwrap();
        Release { dir }
    }

    fn url(&self) -> String {
        format!("file://{}", self.dir.path().display())
    }
}

struct Installed {
    code: i32,
    log: String,
    outputs: String,
    github_path: String,
    /// What the stand-in cargo was asked, if it was.
    cargo: Option<String>,
}

/// install.sh as the runner runs it, with a stand-in `cargo` first on PATH that records its
/// arguments and "builds" a binary where `--root` says.
fn install(release_url: &str, env: &[(&str, &str)]) -> Installed {
    let temp = tempfile::tempdir().unwrap();
    let t = temp.path();
    let fake_bin = t.join("fake-bin");
    std::fs::create_dir(&fake_bin).unwrap();
    let cargo_log = t.join("cargo-args.txt");
    let cargo = fake_bin.join("cargo");
    std::fs::write(
        &cargo,
        format!(
            "#!/bin/sh\necho \"$@\" > '{}'\nwhile [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=$2; shift; done\n\
             mkdir -p \"$root/bin\" && printf '#!/bin/sh\\necho bplint built\\n' > \"$root/bin/bplint\" && chmod +x \"$root/bin/bplint\"\n",
            cargo_log.display()
        ),
    )
    .unwrap();
    chmod_x(&cargo);
    let runner_temp = t.join("runner-temp");
    std::fs::create_dir(&runner_temp).unwrap();
    let (outputs, path_file) = (t.join("out.txt"), t.join("path.txt"));
    let mut cmd = Command::new("bash");
    cmd.arg(Path::new(ROOT).join("action/install.sh"))
        .env(
            "PATH",
            format!("{}:{}", fake_bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("GITHUB_ACTION_PATH", ROOT)
        .env("BPLINT_RELEASE_URL", release_url)
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .env("RUNNER_TEMP", &runner_temp)
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_PATH", &path_file)
        .env_remove("BPLINT_VERSION")
        .env_remove("BPLINT_CARGO_FALLBACK");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let installed = Installed {
        code: out.status.code().unwrap_or(-1),
        log: String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr),
        outputs: std::fs::read_to_string(&outputs).unwrap_or_default(),
        github_path: std::fs::read_to_string(&path_file).unwrap_or_default(),
        cargo: std::fs::read_to_string(&cargo_log).ok(),
    };
    // The paths it wrote live in `temp`, gone after this: check what they said, not the files.
    drop(temp);
    installed
}

#[cfg(unix)]
fn chmod_x(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn install_fetches_the_release_of_the_action_version_and_checks_its_sha256() {
    let version = env!("CARGO_PKG_VERSION");
    let release = Release::new(version, "x86_64-unknown-linux-musl", true);
    let r = install(&release.url(), &[]);
    assert_eq!(r.code, 0, "{}", r.log);
    assert!(
        r.log.contains(&format!("bplint {version} (stand-in)")),
        "it ran the binary: {}",
        r.log
    );
    assert!(r.log.contains("SHA-256"), "{}", r.log);
    let path = r.outputs.strip_prefix("path=").unwrap().trim_end();
    assert!(
        path.ends_with(&format!(
            "bplint-{version}-x86_64-unknown-linux-musl/bplint"
        )),
        "{path}"
    );
    assert_eq!(
        r.github_path.trim_end(),
        PathBuf::from(path).parent().unwrap().to_str().unwrap()
    );
    assert!(r.cargo.is_none(), "no build");

    // ARM runners get theirs; an explicit `version` (with or without v) picks the release.
    let release = Release::new("9.8.7", "aarch64-unknown-linux-musl", true);
    for v in ["9.8.7", "v9.8.7"] {
        let r = install(
            &release.url(),
            &[("RUNNER_ARCH", "ARM64"), ("BPLINT_VERSION", v)],
        );
        assert_eq!(r.code, 0, "{}", r.log);
        assert!(r.log.contains("bplint 9.8.7 (stand-in)"));
    }
}

#[test]
fn install_refuses_a_download_that_fails_its_checksum_and_does_not_build_instead() {
    let release = Release::new(
        env!("CARGO_PKG_VERSION"),
        "x86_64-unknown-linux-musl",
        false,
    );
    let r = install(&release.url(), &[]);
    assert_eq!(r.code, 1, "{}", r.log);
    assert!(
        r.log.contains("does not match its published SHA-256"),
        "{}",
        r.log
    );
    assert!(r.outputs.is_empty() && r.github_path.is_empty());
    assert!(
        r.cargo.is_none(),
        "a bad download is no reason to build: {:?}",
        r.cargo
    );
}

#[test]
fn install_builds_from_the_action_source_when_there_is_no_release() {
    let empty = tempfile::tempdir().unwrap();
    let url = format!("file://{}", empty.path().display());
    let r = install(&url, &[]);
    assert_eq!(r.code, 0, "{}", r.log);
    let args = r.cargo.expect("cargo was asked");
    assert!(
        args.starts_with(&format!("install --locked --path {ROOT} --root ")),
        "{args}"
    );
    assert!(
        r.outputs.starts_with("path=") && r.outputs.trim_end().ends_with("bplint-cargo/bin/bplint")
    );

    // A platform without releases builds too; with the fallback off, it is an error.
    let r = install(&url, &[("RUNNER_OS", "FreeBSD")]);
    assert_eq!(r.code, 0, "{}", r.log);
    assert!(
        r.log.contains("no release binary for FreeBSD/X64"),
        "{}",
        r.log
    );
    let r = install(&url, &[("BPLINT_CARGO_FALLBACK", "false")]);
    assert_eq!(r.code, 1);
    assert!(r.log.contains("cargo-fallback is false"), "{}", r.log);
    assert!(r.cargo.is_none());

    let r = install(&url, &[("BPLINT_VERSION", "latest; rm -rf /")]);
    assert_eq!(r.code, 1);
    assert!(r.log.contains("must look like 0.1.0"), "{}", r.log);
}

#[test]
fn release_workflow_install_script_and_binstall_name_the_same_archives() {
    let workflow = read(".github/workflows/release.yml");
    let install = read("action/install.sh");
    for target in TARGETS {
        assert!(
            workflow.contains(&format!("target: {target}\n")),
            "release.yml builds {target}"
        );
        assert!(
            install.contains(&format!("target={target}")),
            "install.sh knows {target}"
        );
    }
    assert!(
        workflow.contains("archive=\"bplint-$TARGET.tar.gz\""),
        "release.yml's archive name"
    );
    assert!(install.contains("archive=\"bplint-$target.tar.gz\""));
    assert!(workflow.contains("SHA256SUMS") && workflow.contains(".sha256"));

    let manifest: toml::Table = toml::from_str(&read("Cargo.toml")).unwrap();
    let binstall = &manifest["package"]["metadata"]["binstall"];
    assert_eq!(
        binstall["pkg-url"].as_str(),
        Some("{ repo }/releases/download/v{ version }/{ name }-{ target }.tar.gz")
    );
    assert_eq!(
        binstall["bin-dir"].as_str(),
        Some("{ name }-{ target }/{ bin }{ binary-ext }")
    );
    assert_eq!(
        manifest["package"]["repository"].as_str(),
        Some("https://github.com/bplint/bplint")
    );
    assert!(install.contains("https://github.com/bplint/bplint/releases/download"));
}

/// The `with:` keys of each `uses: bplint/bplint@...` step in a YAML text, with the version.
fn action_uses(yaml: &str) -> Vec<(String, Vec<String>)> {
    let lines: Vec<&str> = yaml.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(at) = line.find("uses: bplint/bplint@") else {
            continue;
        };
        let version = line[at + "uses: bplint/bplint@".len()..].trim().to_string();
        let step = indent(line)
            + if line.trim_start().starts_with("- ") {
                2
            } else {
                0
            };
        let mut keys = Vec::new();
        let mut in_with = false;
        for l in &lines[i + 1..] {
            if l.trim().is_empty() || l.trim_start().starts_with('#') {
                continue;
            }
            if indent(l) < step {
                break;
            }
            if indent(l) == step {
                in_with = l.trim() == "with:";
            } else if in_with && indent(l) == step + 2 {
                keys.push(l.trim().split(':').next().unwrap().to_string());
            }
        }
        out.push((version, keys));
    }
    out
}

#[test]
fn the_readme_and_init_use_the_action_with_its_inputs_and_this_version() {
    let action = read("action.yml");
    let declared: BTreeSet<String> = inputs(&action).into_iter().map(|(n, _)| n).collect();
    let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
    let readme = read("README.md");
    let dir = tempfile::tempdir().unwrap();
    let init = support::bin::run_in(dir.path(), &["init"]).stdout;
    for (what, text) in [("README", readme.as_str()), ("bplint init", init.as_str())] {
        let uses = action_uses(text);
        assert!(!uses.is_empty(), "{what} uses the action");
        for (version, keys) in uses {
            assert_eq!(version, tag, "{what}");
            assert!(!keys.is_empty(), "{what}");
            for k in keys {
                assert!(
                    declared.contains(&k),
                    "{what}: `{k}` is no input of the action"
                );
            }
        }
    }
    assert!(readme.contains("MAKE_API_TOKEN: ${{ secrets.MAKE_API_TOKEN }}"));
    let documented: BTreeSet<String> = action_uses(&readme)
        .into_iter()
        .flat_map(|(_, k)| k)
        .collect();
    for k in [
        "paths",
        "connections",
        "online",
        "team",
        "zone",
        "baseline",
        "upload-sarif",
    ] {
        assert!(
            documented.contains(k),
            "the README shows `{k}`: {documented:?}"
        );
    }
}

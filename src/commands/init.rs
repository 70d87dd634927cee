//! `bplint init`: a commented `bplint.toml` for the repository bplint runs in, guessed from
//! where its blueprints are (include/exclude), the zone they were exported from, and the team of
//! a connections snapshot lying beside them; then the pre-commit and GitHub Actions snippets that
//! go with it, on standard output.
//!
//! Everything guessed comes from file names and file contents, which are untrusted: every value
//! is written through the TOML / JSON serializers (never pasted into the text), and the file is
//! parsed back with the config parser before it is written.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::{Config, FILE_NAME};
use crate::discover::{self, Input};
use crate::live::api;
use crate::live::snapshot::Snapshot;
use crate::pipeline::{self, Options, Status};
use crate::rules::RuleSet;
use crate::rules::offline::zone_mismatch::normalize_zone;

/// Where release tags, the action and the hooks live.
const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");
const SCHEMA_URL: &str =
    "https://raw.githubusercontent.com/bplint/bplint/main/docs/bplint.schema.json";
/// Snapshots larger than this are not worth reading to guess a team id.
const SNAPSHOT_MAX_BYTES: u64 = 8 * 1024 * 1024;

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Overwrite an existing bplint.toml.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{0} already exists; `bplint init --force` overwrites it")]
    Exists(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the working folder: {0}")]
    WorkingFolder(#[source] std::io::Error),
    /// The generated file does not parse: a bug, caught before anything is written.
    #[error("the generated {FILE_NAME} does not parse ({0}); nothing was written")]
    Generated(String),
}

/// What the walk of the repository found.
#[derive(Debug, Default)]
pub struct Survey {
    /// Display paths of the blueprints (relative, `/`-separated).
    pub blueprints: Vec<String>,
    /// Files that look like blueprints by name but are not valid JSON.
    pub invalid: Vec<String>,
    /// Zones the blueprints were exported from (short form, e.g. `eu1`), with counts.
    pub zones: BTreeMap<String, usize>,
    /// A connections snapshot (`bplint connections export`) and the team it names.
    pub snapshot: Option<(String, Option<u64>)>,
}

/// Walks the working folder (gitignore-aware, as `bplint check .` does) and sorts what it finds.
pub fn survey() -> Survey {
    let (inputs, _) = discover::discover(&[PathBuf::from(".")]);
    let opts = Options {
        excerpts: false,
        keep_model: true,
        ..Options::default()
    };
    let mut survey = Survey::default();
    let mut snapshots = Vec::new();
    for (input, result) in inputs.iter().zip(pipeline::check_all(&inputs, &opts)) {
        let path = slashes(&result.display);
        match result.status {
            Status::Blueprint => {
                if let Some((zone, _)) = result.scenario.as_ref().and_then(|s| s.zone.as_ref()) {
                    if let Some(short) = config_zone(zone) {
                        *survey.zones.entry(short).or_default() += 1;
                    }
                }
                survey.blueprints.push(path);
            }
            Status::Invalid => survey.invalid.push(path),
            Status::Skipped => {
                if let Input::File { path: file, .. } = input {
                    let named = file
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().contains("connections"));
                    let small = std::fs::metadata(file).is_ok_and(|m| m.len() < SNAPSHOT_MAX_BYTES);
                    if named && small {
                        snapshots.push((path, file.clone()));
                    }
                }
            }
            Status::Unreadable => {}
        }
    }
    // The first snapshot that reads as one (sorted, so the guess does not depend on the walk).
    snapshots.sort();
    survey.snapshot = snapshots
        .into_iter()
        .find_map(|(display, file)| Snapshot::load(&file).ok().map(|s| (display, s.team())));
    survey.blueprints.sort();
    survey.invalid.sort();
    survey
}

fn slashes(display: &str) -> String {
    let s = display.replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// A blueprint's `metadata.zone` as `bplint.toml` writes it (`eu1`, `eu1.celonis`), when it is
/// a zone bplint knows.
fn config_zone(zone: &str) -> Option<String> {
    let host = normalize_zone(zone);
    let short = if let Some(region) = host.strip_suffix(".make.celonis.com") {
        format!("{region}.celonis")
    } else {
        host.strip_suffix(".make.com")?.to_string()
    };
    api::zone_base_url(&short).ok().map(|_| short)
}

/// The top-level folders holding blueprints, or `None` when some lie at the root (then every
/// walked file is in scope, and no `include` is written).
fn blueprint_folders(blueprints: &[String]) -> Option<BTreeSet<String>> {
    let mut folders = BTreeSet::new();
    for b in blueprints {
        let (first, rest) = b.split_once('/')?;
        if rest.is_empty() {
            return None;
        }
        folders.insert(first.to_string());
    }
    (!folders.is_empty()).then_some(folders)
}

/// Folders of files that are not valid JSON and hold no blueprint get excluded whole; an
/// invalid file beside blueprints is excluded by name.
fn exclusions(survey: &Survey) -> Vec<String> {
    let parent = |p: &str| p.rsplit_once('/').map(|(d, _)| d.to_string());
    let blueprint_dirs: BTreeSet<Option<String>> =
        survey.blueprints.iter().map(|b| parent(b)).collect();
    let mut out = BTreeSet::new();
    for file in &survey.invalid {
        match parent(file) {
            Some(dir) if !blueprint_dirs.contains(&Some(dir.clone())) => {
                out.insert(format!("{}/**", globset::escape(&dir)));
            }
            _ => {
                out.insert(globset::escape(file));
            }
        }
    }
    out.into_iter().collect()
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn toml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| toml_string(i)).collect();
    format!("[{}]", quoted.join(", "))
}

/// A YAML double-quoted scalar: JSON's escapes are YAML's.
fn yaml_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// The commented `bplint.toml`.
pub fn config_text(survey: &Survey) -> String {
    let mut t = String::new();
    t.push_str(&format!("#:schema {SCHEMA_URL}\n"));
    t.push_str(
        "# bplint.toml, written by `bplint init`. Every key is checked: a typo stops the run\n\
         # (exit 2) instead of being ignored. Command-line flags win over this file; the API token\n\
         # is never read from it (set MAKE_API_TOKEN). Paths are relative to this file.\n\n",
    );

    let mut zones: Vec<(&String, &usize)> = survey.zones.iter().collect();
    zones.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    match zones.first() {
        Some((zone, n)) => {
            t.push_str(&format!(
                "# The zone {n} blueprint(s) were exported from: BP030 reports any from another zone,\n\
                 # and live checks ask this zone's API.\n"
            ));
            if zones.len() > 1 {
                let all: Vec<String> = zones.iter().map(|(z, n)| format!("{z} ({n})")).collect();
                t.push_str(&format!("# Zones seen: {}.\n", all.join(", ")));
            }
            t.push_str(&format!("zone = {}\n\n", toml_string(zone)));
        }
        None => t.push_str(
            "# The zone the blueprints target (BP030) and live checks ask; none was found in them.\n\
             # zone = \"eu1\"\n\n",
        ),
    }

    match &survey.snapshot {
        Some((file, Some(team))) => t.push_str(&format!(
            "# The team of the connections snapshot {}: live checks run for it.\nteam = {team}\n\n",
            toml_string(file)
        )),
        _ => t.push_str(
            "# The team the blueprints are checked for by live checks (--online or --connections).\n\
             # team = 123\n\n",
        ),
    }

    match blueprint_folders(&survey.blueprints) {
        Some(folders) => {
            let globs: Vec<String> = folders
                .iter()
                .map(|f| format!("{}/**", globset::escape(f)))
                .collect();
            t.push_str(&format!(
                "# Where the {} blueprint(s) of this repository are; other walked files are left out\n\
                 # (files named on the command line are always read).\ninclude = {}\n",
                survey.blueprints.len(),
                toml_list(&globs)
            ));
        }
        None if survey.blueprints.is_empty() => t.push_str(
            "# No blueprint was found here yet. Where they will be (walked files outside are left out):\n\
             # include = [\"scenarios/**\"]\n",
        ),
        None => t.push_str(&format!(
            "# {} blueprint(s) found, some at the top of the repository: every walked file is in scope.\n\
             # include = [\"scenarios/**\"]\n",
            survey.blueprints.len()
        )),
    }
    let excluded = exclusions(survey);
    if excluded.is_empty() {
        t.push_str("# exclude = [\"scenarios/archive/**\"]\n\n");
    } else {
        t.push_str(&format!(
            "# Not valid JSON (templates with placeholders?): {} file(s), left out.\nexclude = {}\n\n",
            survey.invalid.len(),
            toml_list(&excluded)
        ));
    }

    t.push_str(
        "# Lowest severity that makes `bplint check` exit 1: error | warning | info | never.\n\
         # fail_on = \"warning\"\n\
         # Warn about connections expiring within this many days.\n\
         # expiry_warning_days = 14\n\
         # Team rule folders (declarative rules, see rules/README.md in bplint's repository).\n\
         # rules_dirs = [\"lint/rules\"]\n\n\
         # Severities by rule code or name: off | info | warning | error (`bplint rules` lists them).\n\
         [rules]\n\
         # BP200 = \"off\"\n\
         # connection-placeholder = \"error\"\n\n\
         # Severities for some paths only:\n\
         # [[overrides]]\n\
         # paths = [\"legacy/**\"]\n\
         # rules = { BP011 = \"info\" }\n\n\
         # JSON has no comments, so ignores live here, each with its reason:\n\
         # [[ignore]]\n\
         # rule = \"BP020\"\n\
         # paths = [\"fixtures/**\"]\n\
         # reason = \"test data, not real credentials\"\n",
    );
    t
}

/// The pre-commit and GitHub Actions snippets for this repository.
pub fn snippets(survey: &Survey) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let folders = blueprint_folders(&survey.blueprints);
    let mut s = String::new();
    s.push_str(&format!(
        "# .pre-commit-config.yaml\n\
         repos:\n  - repo: {REPOSITORY}\n    rev: v{version}\n    hooks:\n\
         \x20     # runs the installed bplint (no compiler); `id: bplint` builds it with cargo instead\n\
         \x20     - id: bplint-system\n"
    ));
    if let Some(folders) = &folders {
        // Named files are always checked, and a JSON file that is not a blueprint is an error
        // when named: keep the hook to the blueprint folders.
        let alternatives: Vec<String> = folders.iter().map(|f| regex::escape(f)).collect();
        let pattern = format!("^({})/.*\\.(json|blueprint)$", alternatives.join("|"));
        s.push_str(&format!("        files: {}\n", yaml_string(&pattern)));
        if let Some((snapshot, _)) = &survey.snapshot {
            if folders
                .iter()
                .any(|f| snapshot.starts_with(&format!("{f}/")))
            {
                let pattern = format!("^{}$", regex::escape(snapshot));
                s.push_str(&format!("        exclude: {}\n", yaml_string(&pattern)));
            }
        }
    }

    let paths = match &folders {
        Some(f) => f.iter().cloned().collect::<Vec<_>>().join(" "),
        None => ".".to_string(),
    };
    s.push_str(&format!(
        "\n# .github/workflows/bplint.yml\n\
         name: bplint\n\
         on: [push, pull_request]\n\
         permissions:\n  contents: read\n  security-events: write   # upload-sarif\n\
         jobs:\n  bplint:\n    runs-on: ubuntu-latest\n    steps:\n\
         \x20     - uses: actions/checkout@v5\n        with:\n          persist-credentials: false\n\
         \x20     - uses: bplint/bplint@v{version}\n        with:\n          paths: {}\n",
        yaml_string(&paths)
    ));
    match &survey.snapshot {
        Some((file, _)) => s.push_str(&format!("          connections: {}\n", yaml_string(file))),
        None => s.push_str(
            "          # live checks: online: true (team and zone from bplint.toml), and on this step\n\
             \x20         # env: { MAKE_API_TOKEN: ${{ secrets.MAKE_API_TOKEN }} }\n",
        ),
    }
    s.push_str("          upload-sarif: true\n");
    s
}

pub fn run(args: &InitArgs) -> Result<u8, InitError> {
    let cwd = std::env::current_dir().map_err(InitError::WorkingFolder)?;
    let target = Path::new(FILE_NAME);
    if target.exists() && !args.force {
        return Err(InitError::Exists(FILE_NAME.to_string()));
    }
    let survey = survey();
    let text = config_text(&survey);
    Config::parse(&text, &cwd.join(FILE_NAME), &RuleSet::builtin())
        .map_err(|e| InitError::Generated(e.to_string()))?;
    std::fs::write(target, &text).map_err(|source| InitError::Write {
        path: FILE_NAME.to_string(),
        source,
    })?;
    let mut out = std::io::stdout().lock();
    // A closed pipe (`bplint init | head`) is not an error worth a message.
    let _ = out.write_all(snippets(&survey).as_bytes());
    let _ = out.flush();
    eprintln!(
        "wrote {FILE_NAME}: {} blueprint(s){}; the snippets above set up pre-commit and GitHub Actions",
        survey.blueprints.len(),
        match survey.zones.keys().next() {
            Some(_) => String::new(),
            None => ", no zone found in them".to_string(),
        }
    );
    if !cwd.join(".git").exists() {
        if let Some(root) = cwd.ancestors().skip(1).find(|d| d.join(".git").exists()) {
            eprintln!(
                "note: the repository's root is {}; CI and pre-commit run bplint from there, where \
                 {FILE_NAME} is found too, but its paths are relative to this folder",
                root.display()
            );
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn survey(blueprints: &[&str], invalid: &[&str]) -> Survey {
        Survey {
            blueprints: blueprints.iter().map(|s| s.to_string()).collect(),
            invalid: invalid.iter().map(|s| s.to_string()).collect(),
            ..Survey::default()
        }
    }

    #[test]
    fn folders_of_blueprints_become_include_globs() {
        let s = survey(
            &["scenarios/a.json", "scenarios/x/b.json", "flows/c.json"],
            &[],
        );
        assert_eq!(
            blueprint_folders(&s.blueprints)
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            ["flows", "scenarios"]
        );
        assert!(blueprint_folders(&["a.json".to_string()]).is_none());
        assert!(blueprint_folders(&[]).is_none());
    }

    #[test]
    fn invalid_files_are_excluded_by_folder_or_by_name() {
        let s = survey(
            &["scenarios/a.json"],
            &[
                "templates/t.json",
                "scenarios/broken.json",
                "weird[1]/x.json",
            ],
        );
        assert_eq!(
            exclusions(&s),
            ["scenarios/broken.json", "templates/**", "weird[[]1[]]/**"]
        );
    }

    #[test]
    fn zones_are_written_as_the_config_names_them() {
        assert_eq!(config_zone("eu1.make.com").as_deref(), Some("eu1"));
        assert_eq!(config_zone("eu1.integromat.com").as_deref(), Some("eu1"));
        assert_eq!(
            config_zone("us1.make.celonis.com").as_deref(),
            Some("us1.celonis")
        );
        assert_eq!(config_zone("mars.make.com"), None);
        assert_eq!(config_zone("\"\n[x]"), None);
    }

    #[test]
    fn hostile_names_stay_inside_their_strings() {
        let mut s = survey(&["a\"\n[rules]\nBP011 = \"off/x.json"], &[]);
        s.zones.insert("eu1".into(), 1);
        let text = config_text(&s);
        let cfg = Config::parse(&text, Path::new("bplint.toml"), &RuleSet::builtin()).unwrap();
        assert!(cfg.rules.is_empty(), "{text}");
        assert_eq!(cfg.zone.as_deref(), Some("eu1"));
        let yaml = snippets(&s);
        assert!(!yaml.contains("\n[rules]"), "{yaml}");
    }
}

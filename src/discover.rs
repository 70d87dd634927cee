//! Finding the files to check: named files always, folders walked gitignore-aware.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// One thing to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file; `explicit` when named on the command line (then a non-blueprint is reported).
    File {
        path: PathBuf,
        display: String,
        explicit: bool,
    },
    /// `-`: one blueprint from standard input.
    Stdin,
}

impl Input {
    pub fn display(&self) -> &str {
        match self {
            Input::File { display, .. } => display,
            Input::Stdin => "<stdin>",
        }
    }
}

/// A path that could not be walked, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkProblem {
    pub display: String,
    pub message: String,
    /// A symbolic link loop (reported, but no file was missed).
    pub is_loop: bool,
}

/// Folders never worth walking into.
const SKIP_DIRS: &[&str] = &[".git", "node_modules", "target", ".hg", ".svn"];

/// Whether a file found by walking is a candidate blueprint.
pub fn is_candidate(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json") || e.eq_ignore_ascii_case("blueprint"))
}

fn display_of(path: &Path) -> String {
    let s = path.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// Expands `paths` into inputs, in argument order, folders sorted by name. Each file appears once.
pub fn discover(paths: &[PathBuf]) -> (Vec<Input>, Vec<WalkProblem>) {
    let mut inputs = Vec::new();
    let mut problems = Vec::new();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut add = |inputs: &mut Vec<Input>, path: &Path, explicit: bool| {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if seen.insert(key) {
            inputs.push(Input::File {
                path: path.to_path_buf(),
                display: display_of(path),
                explicit,
            });
        }
    };
    for arg in paths {
        if arg.as_os_str() == "-" {
            if !inputs.contains(&Input::Stdin) {
                inputs.push(Input::Stdin);
            }
            continue;
        }
        match std::fs::metadata(arg) {
            Ok(meta) if meta.is_dir() => walk(arg, &mut inputs, &mut problems, &mut add),
            // Named files, and anything that is not a folder, are read (and errors reported then).
            Ok(_) => add(&mut inputs, arg, true),
            Err(e) => problems.push(WalkProblem {
                display: display_of(arg),
                message: match e.kind() {
                    std::io::ErrorKind::NotFound => "no such file or folder".into(),
                    _ => e.to_string(),
                },
                is_loop: false,
            }),
        }
    }
    (inputs, problems)
}

fn walk(
    dir: &Path,
    inputs: &mut Vec<Input>,
    problems: &mut Vec<WalkProblem>,
    add: &mut dyn FnMut(&mut Vec<Input>, &Path, bool),
) {
    let walker = ignore::WalkBuilder::new(dir)
        .follow_links(true)
        .require_git(false)
        .hidden(true)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|e| {
            !(e.file_type().is_some_and(|t| t.is_dir())
                && e.file_name()
                    .to_str()
                    .is_some_and(|n| SKIP_DIRS.contains(&n)))
        })
        .build();
    for entry in walker {
        match entry {
            Ok(e) => {
                if e.file_type().is_some_and(|t| t.is_file()) && is_candidate(e.path()) {
                    add(inputs, e.path(), false);
                }
            }
            Err(err) => {
                let is_loop = matches!(innermost(&err), ignore::Error::Loop { .. });
                let display = error_path(&err)
                    .map(|p| display_of(&p))
                    .unwrap_or_else(|| display_of(dir));
                let message = if is_loop {
                    "symbolic link loop; not followed".to_string()
                } else {
                    innermost(&err).to_string()
                };
                problems.push(WalkProblem {
                    display,
                    message,
                    is_loop,
                });
            }
        }
    }
}

fn innermost(err: &ignore::Error) -> &ignore::Error {
    match err {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => innermost(err),
        other => other,
    }
}

fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        _ => None,
    }
}

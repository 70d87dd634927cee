//! `bplint remap`: rewrite connection (or other) ids in blueprint files, byte-exactly.
//!
//! Only the digits of the id tokens change, located by the model's spans; every other byte of a
//! file stays as it was (quotes, escapes and spaces around a quoted id included), and an entry
//! mapping an id to itself changes nothing. All files are planned before any is written. A
//! symbolic link is kept: its target is what gets rewritten. Writing is in two phases: [`stage`]
//! checks that no file changed since it was read and writes every new text (and a copy of every
//! original) to a synced temporary file beside it; [`Staged::commit`] re-checks each file right
//! before renaming its new text over it, and when a rename fails or a file changed meanwhile,
//! renames the copies back over the files already rewritten, so a run is all or nothing, or
//! says exactly which files it left rewritten.

use std::collections::HashSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::atomic_file::{self, WriteError};
use crate::json;
use crate::model::{self, Detected, RefKind, RefValue, Reference, Scenario};

mod map_file;

pub use map_file::{
    IdMap, KeyMap, MapEntryKey, MapKey, load_map_file, parse_map_text, parse_pairs,
};

/// One id token to rewrite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    /// The id replaced, or the placeholder (`bind`), whose whole string becomes the bare id.
    pub old: MapKey,
    pub new: u64,
    pub pointer: String,
    pub kind: RefKind,
    /// The module (`app:Action`) and the connection types its echo accepts, for checking NEW.
    pub module: Option<String>,
    pub allowed_types: Vec<String>,
}

/// The plan for one file.
#[derive(Debug)]
pub struct FilePlan {
    pub path: PathBuf,
    pub original: Vec<u8>,
    pub edits: Vec<Edit>,
}

impl Edit {
    /// The edit replacing reference `r`'s value (see [`value_range`]) with `new`.
    pub fn at(
        src: &str,
        scenario: &Scenario,
        r: &Reference,
        old: MapKey,
        new: u64,
        path: &Path,
    ) -> Result<Edit, String> {
        let range = value_range(src, r, path)?;
        Ok(Edit {
            start: range.start,
            end: range.end,
            old,
            new,
            pointer: r.pointer.clone(),
            kind: r.kind,
            module: scenario.modules[r.module].name.clone(),
            allowed_types: r.allowed_types.clone(),
        })
    }

    /// Whether the edit changes a byte: an id mapped to itself keeps its bytes.
    pub fn changes_bytes(&self) -> bool {
        self.old != MapKey::Id(self.new)
    }
}

impl FilePlan {
    /// The plan of `edits` to `original`, in file order; two references to one value are one
    /// edit, and overlapping edits could not be applied.
    pub fn new(path: &Path, original: Vec<u8>, mut edits: Vec<Edit>) -> FilePlan {
        edits.sort_by_key(|e| e.start);
        edits.dedup_by(|later, earlier| later.start < earlier.end);
        FilePlan {
            path: path.to_path_buf(),
            original,
            edits,
        }
    }

    /// The file's bytes with every edit applied.
    pub fn rewritten(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.original.len());
        let mut at = 0;
        // An id mapped to itself keeps its bytes, even when they are not the plain digits.
        for e in self.edits.iter().filter(|e| e.changes_bytes()) {
            out.extend_from_slice(&self.original[at..e.start]);
            out.extend_from_slice(e.new.to_string().as_bytes());
            at = e.end;
        }
        out.extend_from_slice(&self.original[at..]);
        out
    }

    /// Whether any edit changes a byte (an identity map changes none).
    pub fn changes_bytes(&self) -> bool {
        self.edits.iter().any(Edit::changes_bytes)
    }

    /// A unified diff of the change.
    pub fn diff(&self) -> String {
        let before = String::from_utf8_lossy(&self.original);
        let after_bytes = self.rewritten();
        let after = String::from_utf8_lossy(&after_bytes);
        let name = self.path.display().to_string();
        similar::TextDiff::from_lines(before.as_ref(), after.as_ref())
            .unified_diff()
            .context_radius(2)
            .header(&format!("a/{name}"), &format!("b/{name}"))
            .to_string()
    }
}

/// A blueprint file to rewrite in place: its path, bytes and model.
#[derive(Debug)]
pub struct BlueprintFile {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub scenario: Scenario,
}

/// The model of one file's bytes; `None` when the file is not a blueprint.
pub fn scenario_of(path: &Path, bytes: &[u8]) -> Result<Option<Scenario>, String> {
    let src =
        std::str::from_utf8(bytes).map_err(|e| format!("{}: not UTF-8 ({e})", path.display()))?;
    let doc = json::parse(src).map_err(|e| format!("{}: invalid JSON: {e}", path.display()))?;
    let Detected::Blueprint { form, root, base } = model::detect(doc.root()) else {
        return Ok(None);
    };
    Ok(Some(model::build(&doc, root, form, base)))
}

/// Plans the edits for one file's bytes; `None` when the file is not a blueprint.
pub fn plan(
    path: &Path,
    bytes: Vec<u8>,
    map: &IdMap,
    kinds: &[RefKind],
) -> Result<Option<FilePlan>, String> {
    let Some(scenario) = scenario_of(path, &bytes)? else {
        return Ok(None);
    };
    plan_modelled(path, bytes, &scenario, map, kinds).map(Some)
}

/// [`plan`] for a file already modelled ([`scenario_of`] of the same bytes).
pub fn plan_modelled(
    path: &Path,
    bytes: Vec<u8>,
    scenario: &Scenario,
    map: &IdMap,
    kinds: &[RefKind],
) -> Result<FilePlan, String> {
    let src = String::from_utf8_lossy(&bytes);
    let mut edits = Vec::new();
    for r in &scenario.references {
        if !kinds.contains(&r.kind) {
            continue;
        }
        let RefValue::Id { id, .. } = r.value else {
            continue;
        };
        let Some(&new) = map.get(&id) else { continue };
        edits.push(Edit::at(&src, scenario, r, MapKey::Id(id), new, path)?);
    }
    drop(src);
    Ok(FilePlan::new(path, bytes, edits))
}

/// The bytes of reference `r`'s value in `src` that a new id replaces: an id's digits (inside
/// the quotes of a quoted id, any spaces or escapes around them kept), or a placeholder's
/// whole string, quotes included, so `"<CONN_01>"` becomes the bare `4101`.
pub fn value_range(src: &str, r: &Reference, path: &Path) -> Result<Range<usize>, String> {
    let (start, end) = (r.span.start as usize, r.span.end as usize);
    match r.value {
        RefValue::Id { quoted: true, id } => src
            .get(start + 1..end.saturating_sub(1))
            .and_then(id_digits)
            .map(|digits| start + 1 + digits.start..start + 1 + digits.end)
            .ok_or_else(|| {
                format!(
                    "{}: {}: cannot locate the digits of the id {id}",
                    path.display(),
                    r.pointer
                )
            }),
        RefValue::Id { quoted: false, .. } | RefValue::Placeholder { .. } => Ok(start..end),
        _ => Err(format!(
            "{}: {}: a {} value holds no id to replace",
            path.display(),
            r.pointer,
            r.value.kind_name()
        )),
    }
}

/// The byte range, in the raw text between a string's quotes, of what decodes to the string
/// trimmed: the id's digits, without the (possibly escaped) whitespace around them. `None` when
/// the trimmed text is not all ASCII digits, which the model never calls an id.
fn id_digits(inner: &str) -> Option<Range<usize>> {
    // Each decoded character with its raw range; `None` for a lone surrogate half, which is
    // neither whitespace nor a digit.
    let mut decoded: Vec<(Option<char>, Range<usize>)> = Vec::new();
    let bytes = inner.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let c = if bytes[i] == b'\\' {
            let escape = *bytes.get(i + 1)?;
            i += 2;
            match escape {
                b'u' => {
                    let hex = inner.get(i..i + 4)?;
                    i += 4;
                    char::from_u32(u32::from_str_radix(hex, 16).ok()?)
                }
                b'"' => Some('"'),
                b'\\' => Some('\\'),
                b'/' => Some('/'),
                b'b' => Some('\u{8}'),
                b'f' => Some('\u{c}'),
                b'n' => Some('\n'),
                b'r' => Some('\r'),
                b't' => Some('\t'),
                _ => return None,
            }
        } else {
            let c = inner.get(i..)?.chars().next()?;
            i += c.len_utf8();
            Some(c)
        };
        decoded.push((c, start..i));
    }
    // `str::trim`'s notion of whitespace, as the model's classification uses it.
    let is_space = |c: &Option<char>| c.is_some_and(char::is_whitespace);
    let first = decoded.iter().position(|(c, _)| !is_space(c))?;
    let last = decoded.iter().rposition(|(c, _)| !is_space(c))?;
    let digits = &decoded[first..=last];
    digits
        .iter()
        .all(|(c, _)| c.is_some_and(|c| c.is_ascii_digit()))
        .then(|| digits[0].1.start..digits[digits.len() - 1].1.end)
}

/// Why a NEW connection id does not fit where the map puts it, per the target's connections.
/// `allowed_for` gives the catalog's types for modules whose echo lists none.
pub fn check_targets(
    plans: &[FilePlan],
    resolution: &crate::live::Resolution,
    team: Option<u64>,
    allowed_for: &dyn Fn(&str) -> Option<Vec<String>>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for p in plans {
        for e in p.edits.iter().filter(|e| e.kind == RefKind::Connection) {
            let at = format!("{} {}", p.path.display(), e.pointer);
            let Some(c) = resolution.found.get(&e.new) else {
                if resolution.not_found.contains(&e.new) {
                    problems.push(format!("{at}: new connection {} does not exist", e.new));
                }
                continue;
            };
            if let (Some(want), Some(have)) = (team, c.team_id) {
                if want != have {
                    problems.push(format!(
                        "{at}: new connection {} belongs to team {have}, not {want}",
                        c.describe()
                    ));
                }
            }
            let allowed = if e.allowed_types.is_empty() {
                e.module
                    .as_deref()
                    .and_then(allowed_for)
                    .unwrap_or_default()
            } else {
                e.allowed_types.clone()
            };
            if let Some(t) = &c.connection_type {
                if !allowed.is_empty() && !allowed.contains(t) {
                    problems.push(format!(
                        "{at}: new connection {} is of type `{t}`, but {} accepts {}",
                        c.describe(),
                        e.module.as_deref().unwrap_or("the module"),
                        allowed.join(", ")
                    ));
                }
            }
        }
    }
    problems
}

/// What went wrong in one file while writing.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} changed since it was read", path.display())]
    Changed { path: PathBuf },
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// Why [`apply`] did not rewrite every file, and what it left on disk.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// Found before any file was replaced.
    #[error("{problem}; nothing was written")]
    NothingWritten { problem: Problem },
    /// Found after some files were replaced; they were given back their original bytes.
    #[error(
        "{problem}; the {} file(s) already rewritten were restored ({}), so nothing was changed",
        restored.len(),
        list(restored)
    )]
    RolledBack {
        problem: Problem,
        restored: Vec<PathBuf>,
    },
    /// Restoring failed too: the files on disk are a mix, named here.
    #[error(
        "{problem}; restoring failed ({}), so the run is partial: rewritten with the new ids: \
         {}; as they were: {}",
        restore_errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "),
        list(rewritten),
        list(unchanged)
    )]
    Partial {
        problem: Problem,
        rewritten: Vec<PathBuf>,
        unchanged: Vec<PathBuf>,
        restore_errors: Vec<WriteError>,
    },
}

fn list(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "none".into();
    }
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One file ready to be replaced: its new text and a copy of its original, both staged beside
/// the file that will be replaced (a symbolic link's target).
#[derive(Debug)]
struct StagedFile<'a> {
    plan: &'a FilePlan,
    new: atomic_file::Staged,
    backup: atomic_file::Staged,
}

/// Every file of a run, staged and not yet replaced. Dropped without [`Staged::commit`], it
/// deletes its temporary files and changes nothing.
#[derive(Debug)]
pub struct Staged<'a> {
    files: Vec<StagedFile<'a>>,
}

/// The file `path` names: a symbolic link's target, so the link stays a link and the file
/// it points at gets the new ids.
fn target_of(path: &Path) -> Result<PathBuf, Problem> {
    std::fs::canonicalize(path).map_err(|source| Problem::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Whether `target` still holds exactly the bytes `plan` was made from.
fn unchanged_since_planned(plan: &FilePlan, target: &Path) -> Result<(), Problem> {
    let now = std::fs::read(target).map_err(|source| Problem::Read {
        path: plan.path.clone(),
        source,
    })?;
    if now == plan.original {
        Ok(())
    } else {
        Err(Problem::Changed {
            path: plan.path.clone(),
        })
    }
}

/// Checks that no file to rewrite changed since it was planned, then stages every new text
/// and a copy of every original beside its file. Nothing is replaced yet; on error nothing is
/// left behind. A file reached twice (a link and its target) is staged once.
pub fn stage(plans: &[FilePlan]) -> Result<Staged<'_>, ApplyError> {
    let nothing_written = |problem| ApplyError::NothingWritten { problem };
    let mut targets = HashSet::new();
    let mut checked = Vec::new();
    for p in plans.iter().filter(|p| p.changes_bytes()) {
        let target = target_of(&p.path).map_err(nothing_written)?;
        unchanged_since_planned(p, &target).map_err(nothing_written)?;
        if targets.insert(target.clone()) {
            checked.push((p, target));
        }
    }
    // Every new text is written and synced before any rename, so an interruption (or a full
    // disk) while writing leaves every original as it was.
    let mut files = Vec::with_capacity(checked.len());
    for (plan, target) in checked {
        let new = atomic_file::stage(&target, &plan.rewritten())
            .map_err(|e| nothing_written(e.into()))?;
        let backup =
            atomic_file::stage(&target, &plan.original).map_err(|e| nothing_written(e.into()))?;
        files.push(StagedFile { plan, new, backup });
    }
    Ok(Staged { files })
}

impl Staged<'_> {
    /// Files that will be replaced.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Replaces every file, each re-checked right before its rename (an edit made since
    /// staging is never lost to ours). On the first failure the files already replaced get
    /// their originals back, renamed over them from the staged copies (no new write needed,
    /// so a full disk cannot stop a rollback).
    pub fn commit(self) -> Result<usize, ApplyError> {
        let mut replaced: Vec<(&FilePlan, atomic_file::Staged)> = Vec::new();
        let mut pending = self.files.into_iter();
        while let Some(StagedFile { plan, new, backup }) = pending.next() {
            let result = unchanged_since_planned(plan, new.dest())
                .and_then(|()| new.commit().map_err(Problem::from));
            if let Err(problem) = result {
                let mut untouched = vec![plan.path.clone()];
                untouched.extend(pending.map(|f| f.plan.path.clone()));
                return Err(roll_back(problem, replaced, untouched));
            }
            replaced.push((plan, backup));
        }
        Ok(replaced.len())
    }

    /// The temporary files (new text, original copy) of each staged file, for tests that
    /// make a rename fail.
    #[cfg(test)]
    fn temp_paths(&self) -> Vec<(PathBuf, PathBuf)> {
        self.files
            .iter()
            .map(|f| {
                (
                    f.new.temp_path().to_path_buf(),
                    f.backup.temp_path().to_path_buf(),
                )
            })
            .collect()
    }
}

fn roll_back(
    problem: Problem,
    replaced: Vec<(&FilePlan, atomic_file::Staged)>,
    mut unchanged: Vec<PathBuf>,
) -> ApplyError {
    let mut restored = Vec::new();
    let mut rewritten = Vec::new();
    let mut restore_errors = Vec::new();
    for (plan, backup) in replaced.into_iter().rev() {
        match backup.commit() {
            Ok(()) => restored.push(plan.path.clone()),
            Err(e) => {
                rewritten.push(plan.path.clone());
                restore_errors.push(e);
            }
        }
    }
    restored.reverse();
    rewritten.reverse();
    if rewritten.is_empty() {
        return ApplyError::RolledBack { problem, restored };
    }
    restored.append(&mut unchanged);
    ApplyError::Partial {
        problem,
        rewritten,
        unchanged: restored,
        restore_errors,
    }
}

/// Stages and commits every plan that changes a byte; the number of files replaced. All or
/// nothing, except when a rollback itself fails, which the error then spells out.
pub fn apply(plans: &[FilePlan]) -> Result<usize, ApplyError> {
    stage(plans)?.commit()
}

#[cfg(test)]
mod tests;

//! Replacing a file atomically: the new bytes go to a temporary file beside the destination,
//! are synced, and the temporary file is renamed over the destination.
//!
//! Renaming replaces whatever is at the destination, a symbolic link included, so a link planted
//! where a report goes (`--output report.json` -> `~/.bashrc`) is replaced, never written
//! through. Callers that mean to rewrite a link's target resolve it first. A reader never sees
//! half a file, and an interrupted write leaves the previous file as it was.
//!
//! Permissions: an existing regular file keeps its own; a new file gets `0666 & !umask` (the
//! temporary file is created with mode 0666 and the kernel applies the umask), as `cp` or a shell
//! redirection would give it, rather than tempfile's private 0600.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot create a temporary file beside {}: {source}", path.display())]
    Create {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot replace {}: {source}", path.display())]
    Replace {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// A new version of a file, written and synced beside it, not yet in place. Dropped without
/// [`Staged::commit`], it is deleted and the destination stays as it was.
#[derive(Debug)]
pub struct Staged {
    tmp: tempfile::NamedTempFile,
    dest: PathBuf,
}

impl Staged {
    /// The file this will replace.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// The temporary file holding the new bytes.
    pub fn temp_path(&self) -> &Path {
        self.tmp.path()
    }

    /// Renames the staged file over its destination (atomic on one file system).
    pub fn commit(self) -> Result<(), WriteError> {
        let dest = self.dest;
        self.tmp
            .persist(&dest)
            .map(drop)
            .map_err(|e| WriteError::Replace {
                path: dest,
                source: e.error,
            })
    }
}

/// The folder a temporary file for `dest` goes in: the destination's own, so the final rename
/// never crosses file systems.
fn folder_of(dest: &Path) -> &Path {
    dest.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Writes `bytes` to a synced temporary file beside `dest`, with the permissions described in
/// the module documentation.
pub fn stage(dest: &Path, bytes: &[u8]) -> Result<Staged, WriteError> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".bplint-").suffix(".tmp");
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::Permissions::from_mode(0o666)
    };
    #[cfg(unix)]
    builder.permissions(mode);
    let mut tmp = builder
        .tempfile_in(folder_of(dest))
        .map_err(|source| WriteError::Create {
            path: dest.to_path_buf(),
            source,
        })?;
    let write_error = |source| WriteError::Write {
        path: dest.to_path_buf(),
        source,
    };
    // symlink_metadata: a link's target's permissions are not the destination's (the link
    // itself is what gets replaced). Set before any byte is written, so a private file's new
    // text is never readable by others, even briefly.
    if let Ok(meta) = std::fs::symlink_metadata(dest) {
        if meta.is_file() {
            tmp.as_file()
                .set_permissions(meta.permissions())
                .map_err(write_error)?;
        }
    }
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(write_error)?;
    Ok(Staged {
        tmp,
        dest: dest.to_path_buf(),
    })
}

/// Replaces `dest` with `bytes` atomically (see the module documentation).
pub fn replace(dest: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    stage(dest, bytes)?.commit()
}

/// Where a report goes (`--output FILE`): replaced atomically like [`replace`], except for
/// files that are not files. A device, a FIFO or a socket named as such (`/dev/null`, a named
/// pipe) is written into: renaming over it would put a regular file in its place (as root,
/// `/dev/null` itself). The process's own streams (`/dev/stdout`, `/dev/stderr`, `/dev/fd/N`,
/// `/proc/self/fd/N`) are symbolic links that are followed for the same reason. Any other link
/// is replaced, so a link planted at FILE never redirects the report into its target.
pub fn write_output(dest: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let special = match std::fs::symlink_metadata(dest) {
        Ok(meta) if meta.file_type().is_symlink() => is_own_stream(dest),
        Ok(meta) => !meta.is_file() && !meta.is_dir(),
        Err(_) => false,
    };
    if !special {
        return replace(dest, bytes);
    }
    let write_error = |source| WriteError::Write {
        path: dest.to_path_buf(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(dest)
        .map_err(write_error)?;
    file.write_all(bytes)
        .and_then(|_| file.flush())
        .map_err(write_error)
}

/// `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`: names of this process's own
/// open files, which only the process itself (not a file planted in a repository) can point.
fn is_own_stream(path: &Path) -> bool {
    let Some(text) = path.to_str() else {
        return false;
    };
    let fd = |rest: &str| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit());
    matches!(text, "/dev/stdout" | "/dev/stderr")
        || text.strip_prefix("/dev/fd/").is_some_and(fd)
        || text.strip_prefix("/proc/self/fd/").is_some_and(fd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    }

    /// What the process's umask gives a file created with mode 0666 (`File::create`).
    #[cfg(unix)]
    fn umask_default(dir: &Path) -> u32 {
        let probe = dir.join("probe");
        std::fs::File::create(&probe).unwrap();
        let m = mode(&probe);
        std::fs::remove_file(probe).unwrap();
        m
    }

    #[cfg(unix)]
    #[test]
    fn new_files_follow_the_umask_and_existing_files_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("fresh.json");
        replace(&fresh, b"{}").unwrap();
        assert_eq!(mode(&fresh), umask_default(dir.path()));

        let private = dir.path().join("private.json");
        std::fs::write(&private, "old").unwrap();
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
        replace(&private, b"new").unwrap();
        assert_eq!(mode(&private), 0o600);
        assert_eq!(std::fs::read_to_string(&private).unwrap(), "new");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_at_the_destination_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let link = dir.path().join("out.json");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        replace(&link, b"report").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert!(std::fs::symlink_metadata(&link).unwrap().is_file());
        assert_eq!(std::fs::read_to_string(&link).unwrap(), "report");
    }

    #[test]
    fn a_dropped_stage_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a.json");
        std::fs::write(&dest, "old").unwrap();
        let staged = stage(&dest, b"new").unwrap();
        assert!(staged.temp_path().exists());
        drop(staged);
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_missing_folder_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("no/such/a.json");
        let err = replace(&dest, b"x").unwrap_err().to_string();
        assert!(
            err.starts_with("cannot create a temporary file beside"),
            "{err}"
        );
        assert!(err.contains("a.json"), "{err}");
    }

    #[test]
    fn only_the_process_own_streams_count_as_streams() {
        for own in [
            "/dev/stdout",
            "/dev/stderr",
            "/dev/fd/1",
            "/proc/self/fd/12",
        ] {
            assert!(is_own_stream(Path::new(own)), "{own}");
        }
        for other in [
            "/dev/sda",
            "/dev/fd/",
            "/dev/fd/1/../../sda",
            "/proc/1/fd/1",
            "out/dev/stdout",
            "report.json",
        ] {
            assert!(!is_own_stream(Path::new(other)), "{other}");
        }
    }
}

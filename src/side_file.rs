//! Reading the files a run is given beside the blueprints: config, rule and catalog files,
//! remap map files, baselines and connection snapshots.
//!
//! Each is named by a user or a CI job and read whole, so each reader goes through
//! [`read_side_file`]: only a regular file is opened (a FIFO would block the run forever, a
//! device such as `/dev/zero` would fill memory), its size is capped per kind (checked before
//! reading, and again while reading, for a file that grows), and its text must be UTF-8.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::Path;

const MIB: u64 = 1 << 20;

/// What a side file is for: names it in messages and sets its size cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SideFileKind {
    Config,
    RuleFile,
    CatalogFile,
    MapFile,
    Baseline,
    Snapshot,
}

impl SideFileKind {
    /// The largest file read. Far above any real file of the kind (a config is a few KiB, a
    /// snapshot of 100,000 connections about 50 MiB), low enough that a wrong path cannot
    /// exhaust a CI runner's memory.
    pub fn cap(self) -> u64 {
        match self {
            SideFileKind::Config | SideFileKind::RuleFile | SideFileKind::CatalogFile => MIB,
            SideFileKind::MapFile => 16 * MIB,
            SideFileKind::Baseline => 64 * MIB,
            SideFileKind::Snapshot => 256 * MIB,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SideFileKind::Config => "config file",
            SideFileKind::RuleFile => "rule file",
            SideFileKind::CatalogFile => "catalog file",
            SideFileKind::MapFile => "map file",
            SideFileKind::Baseline => "baseline",
            SideFileKind::Snapshot => "connections snapshot",
        }
    }
}

impl fmt::Display for SideFileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a side file was not read. The message names the kind and the file.
#[derive(Debug, thiserror::Error)]
pub enum SideFileError {
    #[error("{kind} {path}: cannot read: {source}")]
    Io {
        kind: SideFileKind,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{kind} {path}: is a folder, not a file")]
    Folder { kind: SideFileKind, path: String },
    #[error("{kind} {path}: is not a regular file ({what}); only regular files are read")]
    NotRegular {
        kind: SideFileKind,
        path: String,
        what: &'static str,
    },
    #[error(
        "{kind} {path}: larger than the {} limit for a {kind} ({size}); not read",
        show_size(*cap)
    )]
    TooLarge {
        kind: SideFileKind,
        path: String,
        /// What is known of its size: `N bytes`, or `more than N bytes` when it grew while read.
        size: String,
        cap: u64,
    },
    #[error("{kind} {path}: not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 {
        kind: SideFileKind,
        path: String,
        offset: usize,
    },
}

/// Reads the whole text of a side file of `kind`, within the kind's size cap.
pub fn read_side_file(path: &Path, kind: SideFileKind) -> Result<String, SideFileError> {
    read_capped(path, kind, kind.cap())
}

fn read_capped(path: &Path, kind: SideFileKind, cap: u64) -> Result<String, SideFileError> {
    let shown = || shown_path(path);
    let io = |source| SideFileError::Io {
        kind,
        path: shown(),
        source,
    };
    // Follows symlinks, and opens nothing: a FIFO or a device is refused before it can block.
    let meta = std::fs::metadata(path).map_err(io)?;
    check_regular(&meta, kind, path)?;
    if meta.len() > cap {
        return Err(SideFileError::TooLarge {
            kind,
            path: shown(),
            size: format!("{} bytes", meta.len()),
            cap,
        });
    }
    let file = open_nonblocking(path).map_err(io)?;
    // The path may have been swapped for something else between the two looks.
    check_regular(&file.metadata().map_err(io)?, kind, path)?;
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > cap {
        return Err(SideFileError::TooLarge {
            kind,
            path: shown(),
            size: format!("more than {cap} bytes"),
            cap,
        });
    }
    String::from_utf8(bytes).map_err(|e| SideFileError::NotUtf8 {
        kind,
        path: shown(),
        offset: e.utf8_error().valid_up_to(),
    })
}

fn check_regular(
    meta: &std::fs::Metadata,
    kind: SideFileKind,
    path: &Path,
) -> Result<(), SideFileError> {
    if meta.is_file() {
        return Ok(());
    }
    if meta.is_dir() {
        return Err(SideFileError::Folder {
            kind,
            path: shown_path(path),
        });
    }
    Err(SideFileError::NotRegular {
        kind,
        path: shown_path(path),
        what: file_type_name(&meta.file_type()),
    })
}

#[cfg(unix)]
pub(crate) fn file_type_name(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

#[cfg(not(unix))]
pub(crate) fn file_type_name(_: &std::fs::FileType) -> &'static str {
    "not a file"
}

/// Opening a FIFO for reading waits for a writer; non-blocking, it returns at once (and the
/// re-check of the opened file then refuses it). On a regular file the flag changes nothing.
#[cfg(unix)]
pub(crate) fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
pub(crate) fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().read(true).open(path)
}

/// The path for a message, with control characters escaped: a file name from a listed folder
/// is untrusted text and must not drive the terminal.
fn shown_path(path: &Path) -> String {
    let text = path.display().to_string();
    if text.chars().any(char::is_control) {
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect()
    } else {
        text
    }
}

fn show_size(bytes: u64) -> String {
    if bytes >= MIB && bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes}-byte")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_at_the_cap_is_read_and_one_byte_more_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.txt");
        std::fs::write(&path, "1=2\n").unwrap();
        assert_eq!(
            read_capped(&path, SideFileKind::MapFile, 4).unwrap(),
            "1=2\n"
        );
        let e = read_capped(&path, SideFileKind::MapFile, 3).unwrap_err();
        assert!(matches!(e, SideFileError::TooLarge { .. }), "{e}");
        let text = e.to_string();
        assert!(text.starts_with("map file "), "{text}");
        assert!(text.contains("m.txt") && text.contains("4 bytes"), "{text}");
    }

    /// /proc files are regular and report a size of 0, yet deliver text: the same as a file
    /// that grows after its size was looked at. The cap holds while reading.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_larger_than_its_reported_size_is_caught_while_read() {
        let path = Path::new("/proc/self/maps");
        assert_eq!(std::fs::metadata(path).unwrap().len(), 0);
        let e = read_capped(path, SideFileKind::Config, 16).unwrap_err();
        assert!(e.to_string().contains("more than 16 bytes"), "{e}");
    }

    /// The error reading a file `name` of `kind` gives after `write` made it.
    fn error_of(name: &str, kind: SideFileKind, write: impl FnOnce(&Path)) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        write(&path);
        read_side_file(&path, kind).unwrap_err().to_string()
    }

    #[test]
    fn caps_are_shown_in_mib() {
        let kind = SideFileKind::Baseline;
        let e = error_of("b.json", kind, |path| {
            File::create(path).unwrap().set_len(kind.cap() + 1).unwrap()
        });
        assert!(
            e.contains("larger than the 64 MiB limit for a baseline (67108865 bytes)"),
            "{e}"
        );
    }

    #[test]
    fn invalid_utf8_names_the_offset() {
        let e = error_of("c.toml", SideFileKind::CatalogFile, |path| {
            std::fs::write(path, b"ok = 1\n\xff").unwrap()
        });
        assert!(
            e.contains("not UTF-8 text (invalid byte at offset 7)"),
            "{e}"
        );
    }

    #[test]
    fn control_characters_in_paths_are_escaped() {
        let e = read_side_file(
            Path::new("/nonexistent/\u{1b}[31mred"),
            SideFileKind::Snapshot,
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(!text.contains('\u{1b}'), "{text:?}");
        assert!(text.contains("\\u{1b}[31mred"), "{text}");
    }
}
